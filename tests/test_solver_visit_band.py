"""``Vehicle.visit_band``: a soft range of visits a vehicle's day should hold (the week's balance).

Two vehicles at the same depot, four visits 100 s away from it and from each
other. Without a band the cheapest plan puts all four on one vehicle (one
trip); with a band of 2 visits on each vehicle and 1,000 s per visit outside
it, splitting them 2 + 2 (one more trip, 200 s) is cheaper than the 2 x 1,000 s
the 4 + 0 plan pays on each vehicle.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from routeplan.solver import Problem, SolveParams, Vehicle, Visit, solve
from routeplan.solver.engines import OrToolsEngine
from routeplan.solver.engines.pyvrp import PyVRPEngine
from routeplan.solver.engines.vroom import VroomEngine
from routeplan.solver.model import band_cost, plan_cost


def _problem(band: tuple[int, int] | None, cost: int = 1000) -> Problem:
    d = np.full((5, 5), 100, dtype=np.int64)
    np.fill_diagonal(d, 0)
    visits = tuple(Visit(f"v{i}", i + 1, 60, ((0, 10_000),), prize=100_000) for i in range(4))
    fleet = tuple(
        Vehicle(name, 0, 0, 0, 10_000, 5, visit_band=band, band_cost=cost) for name in "ab"
    )
    return Problem(d, (d,), visits, fleet)


def test_plan_cost_charges_each_visit_outside_the_band() -> None:
    """4 + 0 visits against a band of 2-2 at 1,000 s: 2,000 s on each vehicle, plus 500 s of
    travel; 2 + 2 pays no band and 600 s of travel; an empty plan pays 2 x 2 x 1,000 s and
    every prize."""
    p = _problem((2, 2))
    assert band_cost(p, 0, [0, 1, 2, 3]) == 2000 and band_cost(p, 1, []) == 2000
    assert plan_cost(p, [[0, 1, 2, 3], []]) == 500 + 4000
    assert plan_cost(p, [[0, 1], [2, 3]]) == 600
    assert plan_cost(p, [[], []]) == 4 * 100_000 + 4000
    assert plan_cost(_problem(None), [[0, 1, 2, 3], []]) == 500


@pytest.mark.parametrize(("band", "counts"), [(None, [4, 0]), ((2, 2), [2, 2])])
def test_the_solve_follows_the_band(band: tuple[int, int] | None, counts: list[int]) -> None:
    """Without a band one vehicle takes the four visits; with it they are split 2 + 2."""
    p = _problem(band)
    result = solve(p, SolveParams(time_limit_s=1.0, solution_limit=50, second_search=False))
    assert sorted((len(r.visits) for r in result.routes), reverse=True) == counts
    assert result.objective == (500 if band is None else 600)


def test_ortools_moves_visits_into_the_band() -> None:
    """OR-Tools alone, started from 4 + 0, ends at 2 + 2 (its model charges the soft bounds)."""
    p = _problem((2, 2))
    answer = OrToolsEngine().solve(
        p,
        SolveParams(time_limit_s=1.0, solution_limit=50),
        ((0, 1, 2, 3), ()),
        time.perf_counter() + 1,
    )
    assert answer is not None
    assert sorted(len(s) for s in answer.sequences) == [2, 2]


def test_engines_without_bands_decline_and_bad_bands_are_refused() -> None:
    """PyVRP and VROOM decline a problem with bands (not one with a zero cost); a reversed
    band or a negative cost is refused."""
    assert PyVRPEngine().supports(_problem((2, 2))) is not None
    assert VroomEngine().supports(_problem((2, 2))) is not None
    assert PyVRPEngine().supports(_problem((2, 2), cost=0)) is None
    veh = _problem(None).vehicles[0]
    with pytest.raises(ValueError, match="visit band"):
        replace(veh, visit_band=(3, 2))
    with pytest.raises(ValueError, match="band_cost"):
        replace(veh, band_cost=-1)


def test_construction_fills_the_band_first() -> None:
    """The insertion heuristic charges the band as it goes: 2 + 2 without any search (without a
    band it puts all four on the first vehicle)."""
    from routeplan.solver.construct import construct

    assert sorted(len(s) for s in construct(_problem((2, 2)))) == [2, 2]
    assert sorted(len(s) for s in construct(_problem(None))) == [0, 4]
