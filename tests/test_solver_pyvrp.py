"""Tests of the PyVRP engine (``routeplan.solver.engines.PyVRPEngine``) and its use in ``solve``."""

from __future__ import annotations

import sys
import time
from dataclasses import replace

import pytest

from routeplan.execution import ProcessExecutor, cores
from routeplan.solver import SearchOutcome, SearchReport, SolveParams, solve
from routeplan.solver.engines import PyVRPEngine, Sequences
from routeplan.solver.model import Problem
from routeplan.solver.schedule import check_routes, time_route
from tests.test_solver import H, agent, assert_feasible, line_problem, random_problem, visit


def _routes(problem, seqs):  # type: ignore[no-untyped-def]
    routes = [time_route(problem, k, s) for k, s in enumerate(seqs)]
    assert all(r is not None for r in routes)
    return routes


def pyvrp(
    problem: Problem, seconds: float, start: Sequences | None = None, restrict: bool = True
) -> Sequences | None:
    """Return PyVRP's sequences for ``problem`` within ``seconds``."""
    answer = PyVRPEngine(restrict_windows=restrict).solve(
        problem, SolveParams(), start, time.perf_counter() + seconds
    )
    return None if answer is None else answer.sequences


def test_skills_send_each_visit_to_an_allowed_vehicle() -> None:
    """Visits restricted to the far agent go to it, though the near agent is closer."""
    visits = [
        visit("any", 1),
        visit("only-b", 1, allowed_vehicles=(1,)),
        visit("only-a", 2, allowed_vehicles=(0,)),
    ]
    problem = line_problem([0, 100, 200, 5000], visits, [agent("a", node=0), agent("b", node=3)])
    seqs = pyvrp(problem, 1.0)
    assert seqs is not None
    assert 1 in seqs[1] and 2 in seqs[0]
    assert check_routes(problem, _routes(problem, seqs)) == []


def test_prizes_windows_and_capacity_by_hand() -> None:
    """A far cheap visit is skipped, a windowed one served in its window, capacity held.

    Nodes on a line (metres = seconds): depot 0, visits at 100, 200 (window
    09:00-09:10 only), 300, and 50,000 with a prize of 10 (a 100,000 s detour).
    """
    xs = [0, 100, 200, 300, 50_000]
    visits = [
        visit("near", 1),
        visit("timed", 2, windows=((9 * H, 9 * H + 600),)),
        visit("far-cheap", 4, prize=10),
        visit("third", 3),
    ]
    problem = line_problem(xs, visits, [agent("a", max_visits=2), agent("b", max_visits=2)])
    seqs = pyvrp(problem, 1.0)
    assert seqs is not None
    routes = _routes(problem, seqs)
    assert check_routes(problem, routes) == []
    served = sorted(v for s in seqs for v in s)
    assert served == [0, 1, 3]  # the far visit is not worth 100,000 s of travel
    assert all(len(s) <= 2 for s in seqs)
    timed = next(r for r in routes if 1 in r.visits)
    start = timed.service_start_s[timed.visits.index(1)]
    assert 9 * H <= start <= 9 * H + 600


def test_two_windows_become_the_one_that_fits_the_shifts() -> None:
    """A two-window visit is searched in one window: the one inside the agents' shifts.

    The first window (06:00-07:30) is wider but before the 08:00 shift; the
    second (14:00-15:00) is the one PyVRP must get, and the plan stays valid.
    """
    visits = [visit("two", 1, windows=((6 * H, 7 * H + 1800), (14 * H, 15 * H)))]
    problem = line_problem([0, 100], visits, [agent("a")])
    seqs = pyvrp(problem, 0.5)
    assert seqs == ((0,),)
    (route,) = _routes(problem, seqs)
    assert 14 * H <= route.service_start_s[0] <= 15 * H


def test_a_warm_start_keeps_its_window() -> None:
    """When the warm start serves a two-window visit, PyVRP gets that window."""
    visits = [visit("two", 1, windows=((9 * H, 10 * H), (14 * H, 17 * H)))]
    problem = line_problem([0, 100], visits, [agent("a", end=11 * H)])
    assert pyvrp(problem, 0.5, start=((0,),)) == ((0,),)


def test_prizes_far_above_pyvrp_default_penalty_cap_still_give_a_feasible_plan() -> None:
    """Prizes of 10**7 s (a large expected recovery) must not make overloading pay.

    PyVRP caps penalties at 100,000 per unit of excess load by default; one
    agent with ``max_visits = 2`` and three such visits would then never be
    feasible. Cold start, so the search has to get there itself.
    """
    visits = [visit(f"v{i}", i, prize=10**7) for i in (1, 2, 3)]
    problem = line_problem([0, 100, 200, 300], visits, [agent("a", max_visits=2)])
    seqs = pyvrp(problem, 1.0)
    assert seqs is not None and len(seqs[0]) == 2
    assert check_routes(problem, _routes(problem, seqs)) == []


def test_warm_start_and_subsets_of_vehicles_and_visits() -> None:
    """Only the given vehicles and visits are searched (``Problem.restrict``), from a start."""
    problem = line_problem(
        [0, 100, 200, 300, 0],
        [visit("v1", 1), visit("v2", 2), visit("v3", 3)],
        [agent("a", node=0), agent("b", node=4)],
    )
    part = problem.restrict([1], [0, 2])  # vehicle b; visits v1 and v3 (numbered 0 and 1)
    seqs = pyvrp(part, 0.5, start=((1, 0),))
    assert seqs is not None and len(seqs) == 1
    assert sorted(seqs[0]) == [0, 1]


def test_required_visits_are_all_served() -> None:
    """Required visits have no skip option."""
    visits = [visit(f"v{i}", i, prize=0, required=True) for i in (1, 2, 3)]
    problem = line_problem([0, 1000, 2000, 3000], visits, [agent("a"), agent("b")])
    seqs = pyvrp(problem, 0.5)
    assert seqs is not None
    assert sorted(v for s in seqs for v in s) == [0, 1, 2]


needs_two_cores = pytest.mark.skipif(cores() < 2, reason="a second core is unavailable")


def declined(result, reason: str) -> bool:  # type: ignore[no-untyped-def]
    """Return True when ``result`` records PyVRP declined for ``reason``."""
    return SearchReport("pyvrp", SearchOutcome.DECLINED, reason) in result.searches


def ran(result, engine: str) -> bool:  # type: ignore[no-untyped-def]
    """Return True when ``engine`` ran as a search of ``result`` (kept, not better or no plan)."""
    return any(s.engine == engine and s.outcome != SearchOutcome.DECLINED for s in result.searches)


@needs_two_cores
def test_solve_runs_pyvrp_beside_ortools_and_keeps_a_valid_plan() -> None:
    """On a day without breaks the second core runs PyVRP; the result is checked."""
    day = random_problem(120, 6, seed=3)
    problem = replace(
        day,
        visits=tuple(replace(v, allowed_vehicles=None) for v in day.visits),
        vehicles=tuple(replace(k, break_window=None, break_s=0) for k in day.vehicles),
    )
    params = SolveParams(time_limit_s=3.0, second_engine="pyvrp")
    result = solve(problem, params, executor=ProcessExecutor())
    assert ran(result, "pyvrp")
    assert_feasible(problem, result)
    assert result.engine in {"pyvrp", "construction+ortools"}
    # by default the two-window visits keep PyVRP out
    result = solve(problem, SolveParams(time_limit_s=1.0), executor=ProcessExecutor())
    two = next(v.id for v in problem.visits if len(v.windows) > 1)
    assert declined(result, f"visit {two} has several windows")
    assert not ran(result, "pyvrp")


@needs_two_cores
def test_solve_with_breaks_says_why_pyvrp_is_not_used() -> None:
    """A day with lunch breaks has PyVRP on its break-free relaxation as the second search."""
    problem = random_problem(60, 4, seed=5)
    result = solve(problem, SolveParams(time_limit_s=2.0), executor=ProcessExecutor())
    assert declined(result, "vehicle a0 has a break")
    assert ran(result, "pyvrp-relaxed+lns")
    assert_feasible(problem, result)


@needs_two_cores
def test_solve_uses_pyvrp_on_a_day_with_skills_two_windows_and_two_speeds() -> None:
    """Without breaks, PyVRP searches a day with skills, two windows and two speeds."""
    day = random_problem(120, 6, seed=5)
    problem = replace(
        day, vehicles=tuple(replace(k, break_window=None, break_s=0) for k in day.vehicles)
    )
    params = SolveParams(time_limit_s=3.0, second_engine="pyvrp")
    result = solve(problem, params, executor=ProcessExecutor())
    assert ran(result, "pyvrp")
    assert_feasible(problem, result)


def test_without_pyvrp_installed_the_second_search_is_ortools(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When PyVRP cannot be imported, the solve says so and still returns a checked plan."""
    monkeypatch.setitem(sys.modules, "pyvrp", None)
    problem = line_problem([0, 100, 200], [visit("v1", 1), visit("v2", 2)], [agent("a")])
    assert PyVRPEngine().supports(problem) == "pyvrp is not installed"
    result = solve(problem, SolveParams(time_limit_s=1.5))
    assert declined(result, "pyvrp is not installed")
    assert result.engine != "pyvrp"
    assert_feasible(problem, result)


def test_second_engine_ortools_keeps_pyvrp_out() -> None:
    """``second_engine="ortools"`` never starts PyVRP; an unknown engine is refused."""
    problem = line_problem([0, 100, 200], [visit("v1", 1), visit("v2", 2)], [agent("a")])
    result = solve(problem, SolveParams(time_limit_s=1.5, second_engine="ortools"))
    assert declined(result, "second_engine is 'ortools'")
    assert result.engine != "pyvrp"
    assert_feasible(problem, result)
    with pytest.raises(ValueError, match="second_engine"):
        SolveParams(second_engine="gurobi")
