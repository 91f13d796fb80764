"""Tests of routeplan's ruin-and-recreate engine (``RuinRecreateEngine``)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from routeplan.solver import SolveParams
from routeplan.solver.construct import Builder, construct
from routeplan.solver.engines import RuinRecreateEngine
from routeplan.solver.engines.lns import nearest_visits
from routeplan.solver.model import plan_cost
from routeplan.solver.schedule import check_routes, timed_routes
from tests.test_solver import H, agent, line_problem, random_problem, visit

PARAMS = SolveParams()
FAR = 1e9  # a deadline no test reaches: the work ends every search below


def test_swaps_a_valuable_visit_in_when_the_agent_is_full() -> None:
    """An agent allowed two visits, started on the two cheap ones, ends with the valuable one.

    One agent at 0, visits at 100 and 200 m (prize 10 each) and at 300 m
    (prize 1,000); metres are seconds. The start serves 100 and 200: 400 s of
    travel + 1,000 skipped. Serving 300 and one cheap visit costs 600 s of
    travel + 10 skipped = 610, the best a two-visit day can do.
    """
    problem = line_problem(
        [0, 100, 200, 300],
        [visit("cheap1", 1, prize=10), visit("cheap2", 2, prize=10), visit("rich", 3, prize=1000)],
        [agent(max_visits=2)],
    )
    start = ((0, 1),)
    assert plan_cost(problem, start) == 1400
    answer = RuinRecreateEngine().solve(problem, PARAMS, start, FAR, work=200)
    assert answer is not None
    assert 2 in answer.sequences[0] and len(answer.sequences[0]) == 2
    assert plan_cost(problem, answer.sequences) == 610


def test_keeps_every_rule_on_a_day_with_breaks_skills_and_two_windows() -> None:
    """From the construction, 300 iterations give a lower cost and a plan that passes the check."""
    problem = random_problem(120, 6, seed=5)
    start = tuple(tuple(s) for s in construct(problem))
    answer = RuinRecreateEngine().solve(problem, PARAMS, start, FAR, work=300)
    assert answer is not None and answer.note.startswith("300 iterations")
    assert check_routes(problem, timed_routes(problem, answer.sequences)) == []
    assert plan_cost(problem, answer.sequences) < plan_cost(problem, start)


def test_the_same_seed_and_work_give_the_same_plan() -> None:
    """Iterations are counted and seeded: a rerun repeats the plan, another seed searches anew."""
    problem = random_problem(80, 4, seed=2)
    engine = RuinRecreateEngine().prepared(problem)
    runs = [engine.solve(problem, PARAMS, None, FAR, work=150) for _ in range(2)]
    other = engine.solve(problem, SolveParams(seed=1), None, FAR, work=150)
    assert runs[0] is not None and runs[1] is not None and other is not None
    assert runs[0].sequences == runs[1].sequences
    assert other.note.startswith("150 iterations")


def test_more_iterations_continue_the_same_search() -> None:
    """A larger work bound never ends costlier than a smaller one from the same start."""
    problem = random_problem(80, 4, seed=3)
    costs = []
    for work in (20, 80, 320):
        answer = RuinRecreateEngine().solve(problem, PARAMS, None, FAR, work=work)
        assert answer is not None
        costs.append(plan_cost(problem, answer.sequences))
    assert costs == sorted(costs, reverse=True)
    assert plan_cost(problem, construct(problem)) >= costs[0]


def test_a_deadline_in_the_past_returns_the_start() -> None:
    """Without time, the answer is the start itself (never worse, never empty-handed)."""
    problem = random_problem(40, 3, seed=1)
    start = tuple(tuple(s) for s in construct(problem))
    answer = RuinRecreateEngine().solve(problem, PARAMS, start, time.perf_counter() - 1)
    assert answer is not None and answer.sequences == start
    assert answer.note == "0 iterations, 0 accepted"


def test_nearest_visits_by_hand() -> None:
    """Visits on a line at 0, 10, 30, 70 m: each one's neighbours, nearest first."""
    problem = line_problem(
        [0, 10, 30, 70, 500], [visit(f"v{i}", i) for i in range(4)], [agent(node=4)]
    )
    assert nearest_visits(problem, 2).tolist() == [[1, 2], [0, 2], [1, 0], [2, 1]]
    assert nearest_visits(problem, 10).shape == (4, 3)


def test_settings_are_checked_and_empty_days_are_answered() -> None:
    """Bounds below one are refused, naming the setting; a day without visits has nothing to do."""
    with pytest.raises(ValueError, match="max_routes must be >= 1, got 0"):
        RuinRecreateEngine(max_routes=0)
    empty = line_problem([0], [], [agent()])
    assert RuinRecreateEngine().supports(empty) == "nothing to search"
    answer = RuinRecreateEngine().solve(empty, PARAMS, None, FAR, work=5)
    assert answer is not None and answer.sequences == ((),)


def test_builder_loads_a_route_with_its_break_where_it_returns_earliest() -> None:
    """A loaded route keeps its visits, takes its break in a feasible gap; an untimable one fails.

    One agent 08:00-18:00 with a 30-minute break in 12:00-13:00; visits at
    10:00 and 14:00 exactly. The break fits between them; the reverse order
    cannot be timed.
    """
    problem = line_problem(
        [0, 100, 200],
        [
            visit("ten", 1, windows=((10 * H, 10 * H),)),
            visit("two", 2, windows=((14 * H, 14 * H),)),
        ],
        [agent(break_window=(12 * H, 13 * H), break_s=1800)],
    )
    builder = Builder(problem)
    assert builder.load(0, [0, 1])
    assert builder.routes[0].seq == [0, 1] and builder.routes[0].gap == 1
    assert not builder.load(0, [1, 0])
    assert builder.routes[0].seq == [0, 1]
    rows = np.array([], dtype=np.int64)
    assert construct(problem, builder=builder, candidates=rows) == [[0, 1]]
