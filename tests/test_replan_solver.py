"""The solver's re-planning terms: current routes and move costs (tiny line problems).

Nodes lie on a line; travel between two nodes takes as many seconds as
metres separate them, so every cost here can be added up by hand.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from routeplan.solver import Problem, SolveParams, Vehicle, Visit, solve
from routeplan.solver.construct import construct
from routeplan.solver.engines import OrToolsEngine, PyVRPEngine, VroomEngine
from routeplan.solver.model import plan_cost

DAY = (8 * 3600, 18 * 3600)


def line_problem(
    xs: list[int],
    depots: list[int],
    *,
    prize: int = 10_000,
    move_cost: int = 0,
    current: tuple[tuple[int, ...], ...] | None = None,
    windows: dict[int, tuple[int, int]] | None = None,
) -> Problem:
    """Return visits at ``xs`` (metres) and one vehicle per depot position (start = end)."""
    pts = np.array([*xs, *depots], dtype=np.int64)
    dist = np.abs(pts[:, None] - pts[None, :]).astype(np.int64)
    visits = tuple(
        Visit(
            f"v{i}",
            i,
            60,
            ((windows or {}).get(i, DAY),),
            prize,
            move_cost=move_cost,
        )
        for i in range(len(xs))
    )
    vehicles = tuple(
        Vehicle(f"k{j}", len(xs) + j, len(xs) + j, DAY[0], DAY[1], 10) for j in range(len(depots))
    )
    return Problem(dist, (dist,), visits, vehicles, current_routes=current)


def test_plan_cost_charges_a_moved_or_skipped_visit_its_move_cost() -> None:
    """v0 moved from k0 to k1 adds 500; v1 skipped off k0 costs prize 10000 + 500."""
    p = line_problem([100, 200], [0, 1000], move_cost=500, current=((0, 1), ()))
    stay = plan_cost(p, [[0, 1], []])
    assert stay == 400  # 0 -> 100 -> 200 -> 0
    assert plan_cost(p, [[1], [0]]) == 400 + 1800 + 500  # k0: 0-200-0, k1: 1000-100-1000
    assert plan_cost(p, [[0], []]) == 200 + 10_000 + 500
    fresh = line_problem([100, 200], [0, 1000], move_cost=500)  # no current routes: no charge
    assert plan_cost(fresh, [[1], [0]]) == 400 + 1800


def test_current_routes_must_be_one_sequence_per_vehicle_of_distinct_visits() -> None:
    """A visit on two current routes, or a route count that differs from the fleet, is refused."""
    with pytest.raises(ValueError, match="on two routes"):
        line_problem([100, 200], [0, 1000], current=((0,), (0,)))
    with pytest.raises(ValueError, match="one sequence per vehicle"):
        line_problem([100, 200], [0, 1000], current=((0,),))


def test_restrict_keeps_the_parts_current_routes_renumbered() -> None:
    """Vehicle k1 alone with visits 2 and 0: its current route (2, 0) reads (0, 1) in the part."""
    p = line_problem([100, 200, 300], [0, 1000], current=((1,), (2, 0)))
    part = p.restrict([1], [2, 0])
    assert part.current_routes == ((0, 1),)
    assert part.home_vehicles() == (0, 0)
    # k0's visit 1 is outside: the part has no current route for it
    assert p.restrict([1], [1, 2]).current_routes == ((1,),)


def test_construction_keeps_the_current_order_and_inserts_the_rest() -> None:
    """k0's current order 300, 100 (not the shortest) is kept; the open visit 200 is inserted."""
    p = line_problem([100, 300, 200], [0], current=((1, 0),))
    (seq,) = construct(p)
    assert [v for v in seq if v != 2] == [1, 0]
    assert sorted(seq) == [0, 1, 2]


def test_construction_never_reorders_current_visits_to_fit_one() -> None:
    """v0 (window closing at 08:02:30) fits only first, but its current place is after v1.

    Served in the current order v1, v0 it would start at 08:08:20 at the
    earliest (300 s out, 60 s there, 200 s back), so v0 and v1 cannot both be
    served: one is left out and the route is in the current order. Without a
    current order all three are served, v0 first.
    """
    closes = {0: (8 * 3600, 8 * 3600 + 150)}
    p = line_problem([100, 300, 400], [0], current=((1, 0, 2),), windows=closes)
    (seq,) = construct(p)
    assert len(seq) == 2 and 2 in seq
    assert seq == [v for v in (1, 0, 2) if v in seq]
    fresh = line_problem([100, 300, 400], [0], windows=closes)
    (free_order,) = construct(fresh)
    assert free_order[0] == 0 and sorted(free_order) == [0, 1, 2]


def test_an_urgent_visit_takes_the_time_of_a_current_visit_worth_less() -> None:
    """k0 has room for one visit: the newcomer worth 50000 displaces the current one worth 10000."""
    p = line_problem([100, 200], [0], current=((0,),), move_cost=500)
    p = dataclasses.replace(
        p,
        vehicles=(dataclasses.replace(p.vehicles[0], max_visits=1),),
        current_routes=((0,),),
        visits=(p.visits[0], dataclasses.replace(p.visits[1], prize=50_000)),
    )
    assert construct(p) == [[1]]


def test_a_displaced_visit_is_left_out_rather_than_pushed_onto_a_full_neighbour() -> None:
    """k0 and k1 each have room for their one visit; a newcomer worth 50000 near k0 takes k0's
    place and k0's visit is left out: moving it would displace k1's in turn (a chain)."""
    p = line_problem([100, 900, 150], [0, 1000], move_cost=500)
    one = tuple(dataclasses.replace(k, max_visits=1) for k in p.vehicles)
    visits = (*p.visits[:2], dataclasses.replace(p.visits[2], prize=50_000))
    p = dataclasses.replace(p, vehicles=one, visits=visits, current_routes=((0,), (1,)))
    assert construct(p) == [[2], [1]]


def test_a_visit_stays_on_its_vehicle_while_moving_costs_more_than_it_saves() -> None:
    """v0 at 900 is on k0 (base 0) but k1 (base 1000) is nearer: it moves only when that pays.

    Serving it on k0 costs 1800 s, on k1 200 s: a move saves 1600, so it moves at a
    move cost of 1000 and stays at 2000.
    """
    params = SolveParams(time_limit_s=1.0, solution_limit=50)
    cheap = line_problem([900], [0, 1000], move_cost=1000, current=((0,), ()))
    dear = line_problem([900], [0, 1000], move_cost=2000, current=((0,), ()))
    moved = solve(cheap, params)
    assert [r.visits for r in moved.routes] == [(), (0,)]
    assert moved.objective == 200 + 1000
    kept = solve(dear, params)
    assert [r.visits for r in kept.routes] == [(0,), ()]
    assert kept.objective == 1800


def test_ortools_itself_weighs_the_move_cost() -> None:
    """OR-Tools from nothing keeps v0 on k0 (move 2000 > 1600 saved) and serves it (1500 + 500).

    Moving it saves 1600 s: it moves at a move cost of 1000, not of 2000. Alone,
    worth 1500 and 1800 s away, it is served when leaving the plan adds 500.
    """
    params = SolveParams(time_limit_s=1.0, solution_limit=20)
    engine = OrToolsEngine()
    dear = line_problem([900], [0, 1000], move_cost=2000, current=((0,), ()))
    answer = engine.solve(dear, params, None, time.perf_counter() + 1.0)
    assert answer is not None and answer.sequences == ((0,), ())
    cheap = line_problem([900], [0, 1000], move_cost=1000, current=((0,), ()))
    answer = engine.solve(cheap, params, None, time.perf_counter() + 1.0)
    assert answer is not None and answer.sequences == ((), (0,))
    # skipping: prize 1500 + move cost 500 > 1800 s of travel, so OR-Tools serves it
    kept = line_problem([900], [0], prize=1500, move_cost=500, current=((0,),))
    answer = engine.solve(kept, params, None, time.perf_counter() + 1.0)
    assert answer is not None and answer.sequences == ((0,),)


def test_dropping_a_current_visit_costs_its_prize_plus_the_move_cost() -> None:
    """A visit worth 1500 costing 1800 s to serve is dropped fresh, but kept with move cost 500."""
    params = SolveParams(time_limit_s=1.0, solution_limit=50)
    fresh = solve(line_problem([900], [0], prize=1500), params)
    assert fresh.routes[0].visits == () and fresh.dropped == (0,)
    kept = solve(line_problem([900], [0], prize=1500, move_cost=500, current=((0,),)), params)
    assert kept.routes[0].visits == (0,) and kept.objective == 1800


def test_pyvrp_and_vroom_decline_a_day_with_move_costs() -> None:
    """PyVRP and VROOM cannot charge move costs: they would reshuffle the routes in force."""
    p = line_problem([100], [0], move_cost=500, current=((0,),))
    assert "move costs" in (PyVRPEngine().supports(p) or "")
    assert "move costs" in (VroomEngine().supports(p) or "")
    assert PyVRPEngine().supports(line_problem([100], [0])) is None
    assert VroomEngine().supports(line_problem([100], [0])) is None
