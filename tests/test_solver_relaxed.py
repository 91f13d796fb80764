"""Tests of PyVRP on the break-free relaxation, repaired and refilled (``RelaxedPolish``)."""

from __future__ import annotations

import sys

import pytest

from routeplan.solver import SolveParams, solve
from routeplan.solver.construct import construct
from routeplan.solver.engines import RelaxedPolish, RuinRecreateEngine
from routeplan.solver.engines.relaxed import relaxed_problem
from routeplan.solver.model import plan_cost
from routeplan.solver.schedule import check_routes, time_route, timed_routes
from tests.test_solver import H, agent, assert_feasible, line_problem, random_problem, visit

PARAMS = SolveParams()
FAR = 1e9  # a deadline no test reaches: the work ends every search below


def test_the_relaxation_keeps_the_planned_visits_required_and_drops_the_breaks() -> None:
    """Only the given visits, each required; vehicles keep their shifts but lose their break."""
    problem = line_problem(
        [0, 100, 200, 300],
        [visit("a", 1, allowed_vehicles=(1,)), visit("b", 2), visit("c", 3, prize=5)],
        [agent("x", break_window=(12 * H, 13 * H), break_s=1800), agent("y")],
    )
    relaxed = relaxed_problem(problem, [0, 2])
    assert [v.id for v in relaxed.visits] == ["a", "c"]
    assert all(v.required for v in relaxed.visits) and relaxed.visits[1].prize == 5
    assert relaxed.visits[0].allowed_vehicles == (1,)
    x = relaxed.vehicles[0]
    assert (x.break_window, x.break_s) == (None, 0)
    assert (x.shift_start_s, x.shift_end_s) == (8 * H, 18 * H)


def test_a_day_with_breaks_comes_back_valid_under_every_rule() -> None:
    """Breaks, skills, two windows and two speeds: the answer passes the model's check.

    The relaxed plan may have no room for a break on some routes; the repair
    and the refill make it valid again.
    """
    problem = random_problem(120, 6, seed=5)
    start = tuple(tuple(s) for s in construct(problem))
    engine = RelaxedPolish(lns=RuinRecreateEngine().prepared(problem))
    answer = engine.solve(problem, PARAMS, start, FAR, work=200)
    assert answer is not None and answer.note.startswith("relaxation then")
    routes = timed_routes(problem, answer.sequences)
    assert check_routes(problem, routes) == []
    assert all(time_route(problem, k, s) is not None for k, s in enumerate(answer.sequences))
    assert plan_cost(problem, answer.sequences) < plan_cost(problem, start)


def test_the_same_seed_and_work_give_the_same_plan() -> None:
    """PyVRP and the refill are both counted and seeded: a rerun repeats the plan."""
    problem = random_problem(80, 4, seed=2)
    start = tuple(tuple(s) for s in construct(problem))
    engine = RelaxedPolish(lns=RuinRecreateEngine().prepared(problem))
    runs = [engine.solve(problem, PARAMS, start, FAR, work=100) for _ in range(2)]
    assert runs[0] is not None and runs[1] is not None
    assert runs[0].sequences == runs[1].sequences


def test_without_a_start_the_refill_does_all_the_work() -> None:
    """No plan to relax: the ruin-and-recreate search starts from the construction."""
    problem = random_problem(40, 3, seed=1)
    answer = RelaxedPolish().solve(problem, PARAMS, None, FAR, work=50)
    assert answer is not None and answer.note.startswith("relaxation then 50 iterations")
    assert check_routes(problem, timed_routes(problem, answer.sequences)) == []


def test_settings_are_checked_and_a_missing_pyvrp_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shares outside (0, 1) are refused; without PyVRP the engine says why it cannot run."""
    with pytest.raises(ValueError, match=r"share must be in \(0, 1\)"):
        RelaxedPolish(share=1.0)
    with pytest.raises(ValueError, match="pyvrp_per_lns must be > 0"):
        RelaxedPolish(pyvrp_per_lns=0)
    problem = line_problem([0, 100], [visit("a", 1)], [agent()])
    assert RelaxedPolish().supports(problem) is None
    monkeypatch.setitem(sys.modules, "pyvrp", None)
    assert RelaxedPolish().supports(problem) == "pyvrp is not installed"


def test_solve_runs_it_on_a_day_with_breaks() -> None:
    """On a day with lunch breaks the solve's second engine is the relaxation; its plan is valid."""
    problem = random_problem(60, 4, seed=5)
    result = solve(problem, SolveParams(time_limit_s=1.0, reproducible=True))
    assert_feasible(problem, result)
    assert [s.engine for s in result.searches] == ["pyvrp", "ortools", "pyvrp-relaxed+lns"]
