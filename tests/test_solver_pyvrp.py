"""Tests of the PyVRP engine behind the solver boundary (``routeplan.solver.pyvrp_engine``)."""

from __future__ import annotations

import multiprocessing as mp
from dataclasses import replace

import pytest

from routeplan.solver import parallel, solve
from routeplan.solver.model import SolveParams
from routeplan.solver.pyvrp_engine import pyvrp_routes, why_not
from routeplan.solver.schedule import check_routes, time_route
from tests.test_solver import H, agent, assert_feasible, line_problem, random_problem, visit


def _routes(problem, seqs):  # type: ignore[no-untyped-def]
    routes = [time_route(problem, k, s) for k, s in enumerate(seqs)]
    assert all(r is not None for r in routes)
    return routes


def test_why_not_refuses_breaks_and_huge_matrices_accepts_skills(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Skills are translated; breaks, several windows (unless asked) and huge matrices are not."""
    from routeplan.solver import pyvrp_engine

    plain = line_problem([0, 100, 200], [visit("v1", 1), visit("v2", 2)], [agent("a"), agent("b")])
    assert why_not(plain, [0, 1], [0, 1]) is None
    lunch = line_problem(
        [0, 100], [visit("v1", 1)], [agent("a", break_window=(12 * H, 13 * H), break_s=1800)]
    )
    assert why_not(lunch, [0], [0]) == "vehicle a has a break"
    skill = line_problem(
        [0, 100], [visit("v1", 1, allowed_vehicles=(1,))], [agent("a"), agent("b")]
    )
    assert why_not(skill, [0, 1], [0]) is None
    two = line_problem(
        [0, 100], [visit("v1", 1, windows=((9 * H, 10 * H), (14 * H, 15 * H)))], [agent("a")]
    )
    assert why_not(two, [0], [0]) == "visit v1 has several windows"
    assert why_not(two, [0], [0], restrict_windows=True) is None
    # two classes (a may not serve v1, b may) over 2 locations: 2 x 2 x 4 x 8 = 128 bytes
    monkeypatch.setattr(pyvrp_engine, "MAX_MATRIX_BYTES", 127)
    assert "2 vehicle classes" in (why_not(skill, [0, 1], [0]) or "")
    monkeypatch.setattr(pyvrp_engine, "MAX_MATRIX_BYTES", 128)
    assert why_not(skill, [0, 1], [0]) is None


def test_skills_send_each_visit_to_an_allowed_vehicle() -> None:
    """Visits restricted to the far agent go to it, though the near agent is closer."""
    visits = [
        visit("any", 1),
        visit("only-b", 1, allowed_vehicles=(1,)),
        visit("only-a", 2, allowed_vehicles=(0,)),
    ]
    problem = line_problem([0, 100, 200, 5000], visits, [agent("a", node=0), agent("b", node=3)])
    seqs = pyvrp_routes(problem, [0, 1], range(3), time_limit_s=1.0)
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
    seqs = pyvrp_routes(problem, [0, 1], range(4), time_limit_s=1.0)
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
    seqs = pyvrp_routes(problem, [0], [0], time_limit_s=0.5)
    assert seqs == [[0]]
    (route,) = _routes(problem, seqs)
    assert 14 * H <= route.service_start_s[0] <= 15 * H


def test_a_warm_start_keeps_its_window() -> None:
    """When the warm start serves a two-window visit, PyVRP gets that window."""
    visits = [visit("two", 1, windows=((9 * H, 10 * H), (14 * H, 17 * H)))]
    problem = line_problem([0, 100], visits, [agent("a", end=11 * H)])
    seqs = pyvrp_routes(problem, [0], [0], time_limit_s=0.5, initial=[[0]])
    assert seqs == [[0]]


def test_prizes_far_above_pyvrp_default_penalty_cap_still_give_a_feasible_plan() -> None:
    """Prizes of 10**7 s (a large expected recovery) must not make overloading pay.

    PyVRP caps penalties at 100,000 per unit of excess load by default; one
    agent with ``max_visits = 2`` and three such visits would then never be
    feasible. Cold start, so the search has to get there itself.
    """
    visits = [visit(f"v{i}", i, prize=10**7) for i in (1, 2, 3)]
    problem = line_problem([0, 100, 200, 300], visits, [agent("a", max_visits=2)])
    seqs = pyvrp_routes(problem, [0], range(3), time_limit_s=1.0)
    assert seqs is not None and len(seqs[0]) == 2
    assert check_routes(problem, _routes(problem, seqs)) == []


def test_warm_start_and_subsets_of_vehicles_and_visits() -> None:
    """Only the given vehicles and visits are searched, from a given start."""
    problem = line_problem(
        [0, 100, 200, 300, 0],
        [visit("v1", 1), visit("v2", 2), visit("v3", 3)],
        [agent("a", node=0), agent("b", node=4)],
    )
    seqs = pyvrp_routes(problem, [1], [0, 2], time_limit_s=0.5, initial=[[2, 0]])
    assert seqs is not None and len(seqs) == 1
    assert sorted(seqs[0]) == [0, 2]


def test_required_visits_are_all_served() -> None:
    """Required visits have no skip option."""
    visits = [visit(f"v{i}", i, prize=0, required=True) for i in (1, 2, 3)]
    problem = line_problem([0, 1000, 2000, 3000], visits, [agent("a"), agent("b")])
    seqs = pyvrp_routes(problem, [0, 1], range(3), time_limit_s=0.5)
    assert seqs is not None
    assert sorted(v for s in seqs for v in s) == [0, 1, 2]


needs_fork = pytest.mark.skipif(
    "fork" not in mp.get_all_start_methods() or parallel.cores() < 2,
    reason="fork or a second core unavailable",
)


@needs_fork
def test_solve_runs_pyvrp_beside_ortools_and_keeps_a_valid_plan() -> None:
    """On a day without breaks or skills the second core runs PyVRP; the result is checked."""
    day = random_problem(120, 6, seed=3)
    problem = replace(
        day,
        visits=tuple(replace(v, allowed_vehicles=None) for v in day.visits),
        vehicles=tuple(replace(k, break_window=None, break_s=0) for k in day.vehicles),
    )
    result = solve(problem, SolveParams(time_limit_s=3.0, second_engine="pyvrp"))
    assert any("PyVRP" in line and "started" in line for line in result.log)
    assert_feasible(problem, result)
    assert result.engine in {"pyvrp", "construction+ortools"}
    # by default the two-window visits keep PyVRP out
    result = solve(problem, SolveParams(time_limit_s=1.0))
    assert any("not PyVRP" in line and "several windows" in line for line in result.log)


@needs_fork
def test_solve_with_breaks_says_why_pyvrp_is_not_used() -> None:
    """A day with lunch breaks keeps OR-Tools as the second search and says why."""
    problem = random_problem(60, 4, seed=5)
    result = solve(problem, SolveParams(time_limit_s=2.0))
    assert any("not PyVRP" in line and "has a break" in line for line in result.log)
    assert_feasible(problem, result)


@needs_fork
def test_solve_uses_pyvrp_on_a_day_with_skills_two_windows_and_two_speeds() -> None:
    """Without breaks, PyVRP searches a day with skills, two windows and two speeds."""
    day = random_problem(120, 6, seed=5)
    problem = replace(
        day, vehicles=tuple(replace(k, break_window=None, break_s=0) for k in day.vehicles)
    )
    result = solve(problem, SolveParams(time_limit_s=3.0, second_engine="pyvrp"))
    assert any("PyVRP" in line and "started" in line for line in result.log)
    assert_feasible(problem, result)


def test_without_pyvrp_installed_the_second_search_is_ortools(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When PyVRP cannot be imported, the solve says so and still returns a checked plan."""
    from routeplan.solver import pyvrp_engine

    monkeypatch.setattr(pyvrp_engine, "available", lambda: False)
    problem = line_problem([0, 100, 200], [visit("v1", 1), visit("v2", 2)], [agent("a")])
    assert why_not(problem, [0], [0, 1]) == "pyvrp is not installed"
    result = solve(problem, SolveParams(time_limit_s=1.5))
    assert any("not PyVRP (pyvrp is not installed)" in line for line in result.log)
    assert result.engine != "pyvrp"
    assert_feasible(problem, result)


def test_second_engine_ortools_keeps_pyvrp_out() -> None:
    """``second_engine="ortools"`` never starts PyVRP; an unknown engine is refused."""
    problem = line_problem([0, 100, 200], [visit("v1", 1), visit("v2", 2)], [agent("a")])
    result = solve(problem, SolveParams(time_limit_s=1.5, second_engine="ortools"))
    assert any("not PyVRP (second_engine is 'ortools')" in line for line in result.log)
    assert result.engine != "pyvrp"
    assert_feasible(problem, result)
    with pytest.raises(ValueError, match="second_engine"):
        SolveParams(second_engine="gurobi")
