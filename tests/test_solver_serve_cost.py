"""``Visit.serve_cost``: what serving a visit costs on each vehicle, on top of travel.

Two vehicles and one visit: the visit is 100 s from vehicle 0's depot and
300 s from vehicle 1's, so without serve costs vehicle 0 takes it (200 s of
travel against 600); a serve cost of 1,000 s on vehicle 0 moves it to
vehicle 1.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from routeplan.solver import Problem, SolveParams, Vehicle, Visit, solve
from routeplan.solver.construct import construct
from routeplan.solver.engines import OrToolsEngine
from routeplan.solver.engines.pyvrp import PyVRPEngine
from routeplan.solver.model import plan_cost


def _problem(serve_cost: tuple[int, ...] | None) -> Problem:
    d = np.array([[0, 400, 100], [400, 0, 300], [100, 300, 0]], dtype=np.int64)
    visit = Visit("v", 2, 60, ((0, 10_000),), prize=100_000, serve_cost=serve_cost)
    fleet = (Vehicle("a", 0, 0, 0, 10_000, 5), Vehicle("b", 1, 1, 0, 10_000, 5))
    return Problem(d, (d,), (visit,), fleet)


def test_plan_cost_counts_the_serve_cost() -> None:
    """A visit served by vehicle 0 costs its travel plus its serve cost there."""
    p = _problem((1000, 0))
    assert plan_cost(p, [[0], []]) == 200 + 1000
    assert plan_cost(p, [[], [0]]) == 600
    assert plan_cost(p, [[], []]) == 100_000


@pytest.mark.parametrize("cost", [None, (1000, 0)])
def test_construction_and_ortools_follow_the_serve_cost(cost: tuple[int, ...] | None) -> None:
    """Construction and the full solve put the visit on the vehicle that is cheaper in total."""
    p = _problem(cost)
    want = 0 if cost is None else 1
    seqs = construct(p)
    assert seqs[want] == [0]
    result = solve(p, SolveParams(time_limit_s=1.0, solution_limit=20, second_search=False))
    assert result.routes[want].visits == (0,)
    assert result.objective == (200 if cost is None else 600)


def test_ortools_model_charges_the_serve_cost() -> None:
    """OR-Tools alone, started from the dearer plan, moves the visit to vehicle 1."""
    import time

    p = _problem((1000, 0))
    answer = OrToolsEngine().solve(
        p, SolveParams(time_limit_s=1.0, solution_limit=20), ((0,), ()), time.perf_counter() + 1
    )
    assert answer is not None and answer.sequences == ((), (0,))


def test_restrict_slices_and_other_engines_decline() -> None:
    """A sub-problem keeps its vehicles' serve costs; PyVRP declines a problem with them."""
    p = _problem((1000, 0))
    assert p.restrict([1], [0]).visits[0].serve_cost == (0,)
    assert PyVRPEngine().supports(p) is not None
    with pytest.raises(ValueError, match="one value per vehicle"):
        Problem(
            p.distance_m,
            p.durations_s,
            (Visit("x", 2, 0, ((0, 1),), 1, serve_cost=(1,)),),
            p.vehicles,
        )


def test_a_given_start_is_weighed_against_the_construction() -> None:
    """``solve(start=...)`` says what the caller's plan costs and keeps the cheaper start."""
    p = _problem((1000, 0))
    lines: list[str] = []
    params = SolveParams(time_limit_s=1.0, solution_limit=20, second_search=False)
    result = solve(p, params, lines.append, start=[[0], []])
    assert any("given start: objective 1200 (construction 600)" in line for line in lines)
    assert result.routes[1].visits == (0,) and result.objective == 600


def test_engines_without_serve_costs_decline_them() -> None:
    """VROOM and the relaxed PyVRP polish cannot charge serve costs, so they decline the problem."""
    from routeplan.solver.engines import RelaxedPolish, VroomEngine

    p = _problem((1000, 0))
    for engine in (VroomEngine(), RelaxedPolish()):
        reason = engine.supports(p)
        assert reason is not None and "week plan" in reason


def test_ruin_and_recreate_charges_the_serve_cost() -> None:
    """The LNS engine searches serve costs: from the dearer plan it moves the visit to vehicle 1."""
    import time

    from routeplan.solver.engines import RuinRecreateEngine

    p = _problem((1000, 0))
    engine = RuinRecreateEngine()
    assert engine.supports(p) is None
    params = SolveParams(time_limit_s=1.0, seed=1)
    answer = engine.solve(p, params, ((0,), ()), time.perf_counter() + 5, work=50)
    assert answer is not None and answer.sequences == ((), (0,))


def test_serve_and_move_costs_both_count() -> None:
    """With current routes, plan_cost and the solve charge both the serve and the move costs."""
    base = _problem((1000, 0))
    visit = replace(base.visits[0], move_cost=50)
    p = Problem(base.distance_m, base.durations_s, (visit,), base.vehicles, None, ((0,), ()))
    # on its current vehicle 0: travel 200 + serve 1000; moved to 1: travel 600 + move 50
    assert plan_cost(p, [[0], []]) == 1200
    assert plan_cost(p, [[], [0]]) == 650
    assert plan_cost(p, [[], []]) == 100_000 + 50
    params = SolveParams(time_limit_s=1.0, solution_limit=20, second_search=False)
    # the construction starts from the current route; the search moves the visit
    assert construct(p) == [[0], []]
    result = solve(p, params)
    assert result.routes[1].visits == (0,) and result.objective == 650
    dear = replace(visit, move_cost=800)
    q = Problem(base.distance_m, base.durations_s, (dear,), base.vehicles, None, ((0,), ()))
    # moving now costs 600 + 800 = 1400 > 1200: it stays on vehicle 0
    result = solve(q, params)
    assert result.routes[0].visits == (0,) and result.objective == 1200
