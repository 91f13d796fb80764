"""``Visit.serve_cost``: what serving a visit costs on each vehicle, on top of travel.

Two vehicles and one visit: the visit is 100 s from vehicle 0's depot and
300 s from vehicle 1's, so without serve costs vehicle 0 takes it (200 s of
travel against 600); a serve cost of 1,000 s on vehicle 0 moves it to
vehicle 1.
"""

from __future__ import annotations

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
