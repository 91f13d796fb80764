"""Tests of ``routeplan.solver.solve`` on tiny hand-checkable problems and random days."""

from __future__ import annotations

import time

import numpy as np
import pytest

from routeplan.execution import InProcessExecutor, ProcessExecutor
from routeplan.solver import SearchOutcome, SolveStatus, solve
from routeplan.solver.model import (
    REQUIRED_PENALTY,
    Problem,
    Result,
    SolveParams,
    Vehicle,
    Visit,
    plan_cost,
    route_cost,
)
from routeplan.solver.schedule import check_routes

H = 3600
DAY = ((0, 24 * H),)
FAST = SolveParams(time_limit_s=1.0)


def line_problem(
    xs: list[int],
    visits: list[Visit],
    vehicles: list[Vehicle],
    speeds: tuple[int, ...] = (1,),
    capacity: tuple[int, ...] | None = None,
) -> Problem:
    """Return a problem whose nodes lie on a line at ``xs`` metres (travel = metres / speed)."""
    x = np.array(xs, dtype=np.int64)
    dist = np.abs(x[:, None] - x[None, :])
    durations = tuple((dist // s).astype(np.int64) for s in speeds)
    return Problem(dist, durations, tuple(visits), tuple(vehicles), capacity)


def agent(
    name: str = "a",
    node: int = 0,
    start: int = 8 * H,
    end: int = 18 * H,
    max_visits: int = 10,
    **kw: object,
) -> Vehicle:
    """Return a vehicle starting and ending at ``node``."""
    return Vehicle(name, node, node, start, end, max_visits, **kw)  # type: ignore[arg-type]


def visit(name: str, node: int, windows=DAY, prize: int = 10**6, service_s: int = 600, **kw):  # type: ignore[no-untyped-def]
    """Return a visit at ``node`` with a 10-minute service by default."""
    return Visit(name, node, service_s, windows, prize, **kw)


def assert_feasible(problem: Problem, result: Result) -> None:
    """Assert the result passes the model check and its objective is consistent."""
    assert check_routes(problem, result.routes) == []
    assert result.objective == route_cost(problem, result.routes)
    served = sorted(v for r in result.routes for v in r.visits)
    assert sorted(served + list(result.dropped)) == list(range(len(problem.visits)))
    assert [r.vehicle for r in result.routes] == list(range(len(problem.vehicles)))


def test_windows_respected_with_waiting() -> None:
    """A visit whose window opens late is served at its opening, after waiting."""
    p = line_problem(
        [0, 600, 1200],
        [visit("early", 1), visit("late", 2, windows=((10 * H, 11 * H),))],
        [agent()],
    )
    r = solve(p, FAST)
    assert_feasible(p, r)
    assert r.dropped == ()
    route = r.routes[0]
    starts = dict(zip(route.visits, route.service_start_s, strict=True))
    assert starts[1] == 10 * H
    # 600 m there and back via both stops: 1200 + 1200 travel
    assert r.objective == 2400


def test_two_windows_per_visit() -> None:
    """A visit with a morning and an afternoon window is served in one of them."""
    windows = ((9 * H, 9 * H + 60), (15 * H, 16 * H))
    p = line_problem(
        [0, 3000, 100],
        [visit("two", 1, windows=windows), visit("noon", 2, windows=((12 * H, 12 * H + 60),))],
        [agent(start=10 * H)],
    )
    r = solve(p, FAST)
    assert_feasible(p, r)
    assert r.dropped == ()
    route = r.routes[0]
    starts = dict(zip(route.visits, route.service_start_s, strict=True))
    # the morning window is gone by the 10:00 start; the afternoon one is used
    assert 15 * H <= starts[0] <= 16 * H
    assert starts[1] == 12 * H


def test_visit_only_one_vehicle_may_serve() -> None:
    """A visit allowed only to the far vehicle is served by it, not by the near one."""
    p = line_problem(
        [0, 10000, 100],
        [visit("skill", 2, allowed_vehicles=(1,))],
        [agent("near", 0), agent("far", 1)],
    )
    r = solve(p, FAST)
    assert_feasible(p, r)
    assert r.routes[1].visits == (0,)
    assert r.routes[0].visits == ()


def test_low_prize_far_visit_dropped_high_prize_served() -> None:
    """Skipping costs the prize: a far cheap visit is dropped, a far valuable one served."""
    p = line_problem(
        [0, 5000, -5000],
        [visit("cheap", 1, prize=1000), visit("rich", 2, prize=50000)],
        [agent()],
    )
    r = solve(p, FAST)
    assert_feasible(p, r)
    assert r.dropped == (0,)
    assert r.routes[0].visits == (1,)
    assert r.objective == 10000 + 1000


def test_max_visits() -> None:
    """A vehicle with max_visits 2 serves the two most valuable of three visits."""
    p = line_problem(
        [0, 10, 20, 30],
        [visit("a", 1, prize=5000), visit("b", 2, prize=100), visit("c", 3, prize=7000)],
        [agent(max_visits=2)],
    )
    r = solve(p, FAST)
    assert_feasible(p, r)
    assert sorted(r.routes[0].visits) == [0, 2]
    assert r.dropped == (1,)


def test_break_inside_window_not_during_service() -> None:
    """The break starts in its window and does not overlap any service."""
    visits = [
        visit(f"v{i}", 1, windows=((11 * H + i * 1800, 11 * H + i * 1800),), service_s=1800)
        for i in range(4)
    ]
    p = line_problem(
        [0, 10],
        visits,
        [agent(break_window=(12 * H, 12 * H + 30 * 60), break_s=30 * 60)],
    )
    r = solve(p, FAST)
    assert_feasible(p, r)
    route = r.routes[0]
    brk = route.break_start_s
    assert brk is not None
    assert 12 * H <= brk <= 12 * H + 1800
    for s in route.service_start_s:
        assert brk + 1800 <= s or brk >= s + 1800
    # the four services fill 11:00-13:00 back to back at one place; the break
    # (12:00-12:30 start) can only replace the 12:00 or the 12:30 one
    assert len(r.dropped) == 1


def test_required_visits_all_served() -> None:
    """Required visits are served even when their prize is zero and travel is long."""
    p = line_problem(
        [0, 5000, -5000, 500],
        [
            visit("r1", 1, prize=0, required=True),
            visit("r2", 2, prize=0, required=True),
            visit("opt", 3, prize=0),
        ],
        [agent(), agent("b")],
        capacity=(5, 5),
    )
    r = solve(p, FAST)
    assert_feasible(p, r)
    served = {v for route in r.routes for v in route.visits}
    assert {0, 1} <= served


def test_capacity_limits_load() -> None:
    """With capacity, the demand served per vehicle stays within it."""
    p = line_problem(
        [0, 10, 20, 30],
        [visit(f"v{i}", i + 1, demand=2, required=True) for i in range(3)],
        [agent("a"), agent("b")],
        capacity=(4, 4),
    )
    r = solve(p, FAST)
    assert_feasible(p, r)
    assert sorted(len(route.visits) for route in r.routes) == [1, 2]


def test_per_vehicle_profile_speeds() -> None:
    """A vehicle on a faster profile reaches a visit that a slow one cannot in time."""
    p = line_problem(
        [0, 7200],
        [visit("far", 1, windows=((8 * H, 9 * H),))],
        [agent("slow", profile=0), agent("fast", profile=1)],
        speeds=(1, 4),
    )
    r = solve(p, FAST)
    assert_feasible(p, r)
    assert r.routes[1].visits == (0,)
    assert r.routes[1].service_start_s == (8 * H + 1800,)
    assert r.objective == 3600


def test_empty_problem_and_no_vehicles() -> None:
    """No visits gives empty routes; no vehicles drops every visit."""
    p = line_problem([0], [], [agent()])
    r = solve(p, FAST)
    assert r.routes[0].visits == () and r.dropped == () and r.objective == 0
    p2 = line_problem([0, 5], [visit("x", 1, prize=7)], [])
    r2 = solve(p2, FAST)
    assert r2.routes == () and r2.dropped == (0,) and r2.objective == 7


def test_unusable_vehicle_gets_nothing() -> None:
    """A vehicle whose break cannot fit its shift serves nothing; others still work."""
    p = line_problem(
        [0, 10],
        [visit("v", 1)],
        [agent("nobreak", start=8 * H, end=9 * H, break_window=(10 * H, 11 * H), break_s=600)],
    )
    r = solve(p, FAST)
    assert_feasible(p, r)
    assert r.dropped == (0,)


def random_problem(nv: int, nk: int, seed: int) -> Problem:
    """Return a random city day with windows, breaks, skills, profiles and prizes."""
    rng = np.random.default_rng(seed)
    depots = max(1, nk // 5)
    pts = rng.uniform(0, 20000, size=(nv + depots, 2))
    dist = (np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1)) * 1.35).astype(np.int64)
    durations = ((dist / 7).astype(np.int64), (dist / 10).astype(np.int64))
    visits = []
    for i in range(nv):
        if rng.random() < 0.3:
            windows: tuple[tuple[int, int], ...] = ((9 * H, 12 * H), (14 * H, 17 * H))
        else:
            a = int(rng.integers(8, 16)) * H
            windows = ((a, a + int(rng.integers(2, 5)) * H),)
        allowed = None
        if rng.random() < 0.2:
            allowed = tuple(sorted(rng.choice(nk, size=max(1, nk // 4), replace=False).tolist()))
        visits.append(
            Visit(
                f"v{i}", i, 1800, windows, int(rng.integers(1000, 20000)), allowed_vehicles=allowed
            )
        )
    vehicles = [
        Vehicle(
            f"a{k}",
            nv + k % depots,
            nv + k % depots,
            8 * H,
            18 * H,
            10,
            profile=k % 2,
            break_window=(12 * H, 13 * H),
            break_s=1800,
        )
        for k in range(nk)
    ]
    return Problem(dist, durations, tuple(visits), tuple(vehicles))


def test_random_300_visits_within_limit() -> None:
    """300 visits / 10 vehicles with a 2 s limit: feasible, near full, within limit + 3 s."""
    p = random_problem(300, 10, seed=1)
    t = time.perf_counter()
    r = solve(p, SolveParams(time_limit_s=2.0))
    assert time.perf_counter() - t < 5.0
    assert_feasible(p, r)
    assert r.num_served() >= 80
    assert r.first_solution_s is not None and r.first_solution_s < 2.0


def test_solution_limit_stops_early() -> None:
    """A solution limit ends the search well before a generous time limit."""
    p = random_problem(60, 4, seed=2)
    t = time.perf_counter()
    r = solve(p, SolveParams(time_limit_s=30.0, solution_limit=5))
    assert time.perf_counter() - t < 10.0
    assert_feasible(p, r)


def test_progress_reports_lines() -> None:
    """Progress receives, as they happen, the one-line messages the result's log keeps.

    At least two: the construction's plan and the end of the solve.
    """
    lines: list[str] = []
    p = random_problem(40, 3, seed=3)
    r = solve(p, SolveParams(time_limit_s=1.0), progress=lines.append)
    assert lines == list(r.log) and len(lines) >= 2
    assert all("\n" not in line for line in lines)


@pytest.mark.slow
def test_random_1500_visits_60_vehicles_in_10s() -> None:
    """A 1,500-visit / 60-vehicle day gives a feasible non-empty plan within a 10 s limit."""
    p = random_problem(1500, 60, seed=4)
    t = time.perf_counter()
    r = solve(p, SolveParams(time_limit_s=10.0))
    assert time.perf_counter() - t < 13.0
    assert_feasible(p, r)
    assert r.num_served() >= 400


def test_impossible_visits_do_not_break_the_solve() -> None:
    """A visit no vehicle may serve and an unreachable required visit are dropped, not fatal."""
    p = line_problem(
        [0, 10, 20, 30],
        [
            visit("nobody", 1, allowed_vehicles=()),
            visit("too-late", 2, windows=((20 * H, 21 * H),), required=True),
            visit("fine", 3),
        ],
        [agent()],
    )
    r = solve(p, FAST)
    assert r.status == "required-unserved"
    assert r.dropped == (0, 1)
    assert r.routes[0].visits == (2,)
    assert [m for m in check_routes(p, r.routes) if not m.startswith("required")] == []


def test_statuses_say_how_the_solve_ended() -> None:
    """Empty, construction only (no time to search) and improved solves have their status."""
    empty = solve(line_problem([0], [], [agent()]), FAST)
    assert empty.status is SolveStatus.EMPTY and empty.status == "empty"
    p = line_problem([0, 5000, 100], [visit("far", 1), visit("near", 2)], [agent()])
    # 0.05 s leaves no time to search once the reserve is kept back
    quick = solve(p, SolveParams(time_limit_s=0.05))
    assert quick.status is SolveStatus.CONSTRUCTION and quick.engine == "construction"
    assert_feasible(p, quick)
    r = random_problem(40, 3, seed=3)
    full = solve(r, SolveParams(time_limit_s=1.0))
    assert full.status in {SolveStatus.FEASIBLE, SolveStatus.CONSTRUCTION}
    assert {s.engine for s in full.searches} >= {"ortools"}


def test_one_core_runs_the_same_searches_one_after_the_other() -> None:
    """With an in-process executor both searches run, in this process; the plan is as feasible.

    The work of a solve never depends on the cores (a reproducible plan is the
    same on any machine): on one core the second engine runs before the areas.
    """
    p = random_problem(40, 3, seed=3)
    r = solve(p, SolveParams(time_limit_s=1.0), executor=InProcessExecutor())
    assert_feasible(p, r)
    ran = [s.engine for s in r.searches if s.outcome != SearchOutcome.DECLINED]
    assert ran == ["ortools", "pyvrp-relaxed+lns"]
    assert r.engine in {"construction+ortools", "pyvrp-relaxed+lns"}


@pytest.mark.skipif(
    "spawn" not in __import__("multiprocessing").get_all_start_methods(), reason="no spawn"
)
def test_second_search_runs_in_a_spawned_process() -> None:
    """Where fork is unavailable the second search is spawned: it still answers and is checked."""
    p = random_problem(40, 3, seed=3)
    r = solve(p, SolveParams(time_limit_s=6.0), executor=ProcessExecutor("spawn"))
    assert_feasible(p, r)
    second = [s for s in r.searches if s.engine == "pyvrp-relaxed+lns"]
    assert [s.outcome for s in second] in (
        [SearchOutcome.KEPT],
        [SearchOutcome.NOT_BETTER],
    ), second


def test_restrict_renumbers_vehicles_visits_and_skills() -> None:
    """A part keeps the matrices; its vehicles, visits and allowed vehicles are renumbered."""
    p = line_problem(
        [0, 10, 20, 30],
        [
            visit("a", 1, allowed_vehicles=(0, 2)),
            visit("b", 2),
            visit("c", 3, allowed_vehicles=(0,)),
        ],
        [agent("x"), agent("y"), agent("z")],
        capacity=(1, 2, 3),
    )
    part = p.restrict([2, 1], [2, 0])
    assert [v.id for v in part.vehicles] == ["z", "y"] and part.capacity == (3, 2)
    assert [v.id for v in part.visits] == ["c", "a"]
    assert part.visits[0].allowed_vehicles == () and part.visits[1].allowed_vehicles == (0,)
    assert part.distance_m is p.distance_m


def test_one_cost_function_for_objective_and_comparisons() -> None:
    """Travel out and back plus skipped prizes; a required visit weighs its penalty when asked.

    Visits at 100 m (prize 7) and 300 m (required, prize 0); one vehicle at 0.
    Serving only the first: 200 s of travel, the required one skipped.
    """
    p = line_problem(
        [0, 100, 300], [visit("a", 1, prize=7), visit("r", 2, prize=0, required=True)], [agent()]
    )
    assert plan_cost(p, [[0]]) == 200
    assert plan_cost(p, [[0]], required_penalty=REQUIRED_PENALTY) == 200 + REQUIRED_PENALTY
    assert plan_cost(p, [[]]) == 7
    assert plan_cost(p, [[1, 0]], vehicles=[0], visits=[0]) == 600
    r = solve(p, FAST)
    assert r.objective == route_cost(p, r.routes) == plan_cost(p, [r.routes[0].visits])


@pytest.mark.skipif(ProcessExecutor().workers == 0, reason="needs a second core")
def test_second_search_off_runs_one_search_on_a_free_core() -> None:
    """``second_search=False`` (inside a cluster worker) keeps the second engine out.

    Without it the same solve, with a free core, starts a second search beside
    OR-Tools; with it only OR-Tools searches and no child process is started.
    """
    p = random_problem(40, 3, seed=3)
    on = solve(p, SolveParams(time_limit_s=2.0), executor=ProcessExecutor())
    assert any(s.engine != "ortools" for s in on.searches if s.outcome != SearchOutcome.DECLINED)
    r = solve(p, SolveParams(time_limit_s=1.0, second_search=False))
    assert_feasible(p, r)
    ran = [s.engine for s in r.searches if s.outcome != SearchOutcome.DECLINED]
    assert ran == ["ortools"]
    assert not any("second search" in line for line in r.log)
