"""Solve the rest of a day with the routes in force kept unless changing them pays.

:func:`solve_stable` is the solver side of ``routeplan replan``, over plain
solver data (:mod:`routeplan.solver.model`): each vehicle already continues
from where and when its agent is (its start node and shift start), its
remaining visits form its *current route*, and the visits on no current
route are *free* (those of an agent who became unavailable, urgent accounts,
visits that no longer fit).

Stability is priced, not imposed: serving a current visit on another vehicle,
or leaving it out, costs ``move_cost_s`` (seconds of travel) on top of
travel and prizes (``Visit.move_cost``); urgent visits are worth more than
any other visit plus that cost plus ``urgent_bonus_s``, so they displace a
low-value visit whenever the detour costs less than the bonus.

Only part of the fleet is searched: the *disturbed* vehicles (an event
changed their time or their route no longer fits) and, for each free visit,
the ``neighbours`` vehicles whose current routes pass nearest to it. The
other vehicles keep their routes untouched; so does any undisturbed vehicle
searched (a neighbour) that ends up with exactly the visits it had: its
current order is restored even when the search found a shorter one, so an
agent whose day is unaffected keeps it exactly. A disturbed vehicle takes the
order the search found.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from routeplan.execution import Executor
from routeplan.solver import Problem, Progress, Result, Route, SolveParams, SolveStatus, solve
from routeplan.solver.model import route_cost
from routeplan.solver.schedule import time_route, timed_routes

__all__ = ["Stability", "StableSolve", "solve_stable", "stable_problem"]


@dataclass(frozen=True)
class Stability:
    """How much a re-plan holds on to the routes in force (``[replan]`` in seconds)."""

    #: what moving a current visit to another vehicle, or out of the plan, costs
    #: (seconds of travel)
    move_cost_s: int
    #: how much more an urgent visit is worth than the most valuable visit of the day
    #: plus the move cost (seconds of travel; see :func:`stable_problem`)
    urgent_bonus_s: int = 3600
    #: for each free visit, how many of the nearest vehicles are searched
    neighbours: int = 3


@dataclass(frozen=True)
class StableSolve:
    """What :func:`solve_stable` returns.

    ``result`` covers the whole problem (one route per vehicle, every
    vehicle's ``Route`` timed); ``problem`` is the problem it is a result of
    (with the move costs, urgent prizes and current routes set);
    ``searched`` the vehicles the search could change; ``kept`` the vehicles
    whose route is exactly their current route.
    """

    result: Result
    problem: Problem
    searched: tuple[int, ...]
    kept: tuple[int, ...]


def stable_problem(
    problem: Problem,
    current: Sequence[Sequence[int]],
    *,
    move_cost_s: int,
    urgent: Iterable[int] = (),
    urgent_bonus_s: int = 3600,
) -> Problem:
    """Return ``problem`` with its current routes, move costs and urgent prizes set.

    Every visit on a current route gets ``move_cost_s`` as its move cost; an
    urgent visit's prize becomes the largest prize of the day plus
    ``move_cost_s`` plus ``urgent_bonus_s`` (never less than its own).
    """
    on_route = {v for seq in current for v in seq}
    rush = set(urgent)
    top = max((v.prize for v in problem.visits), default=0)
    urgent_prize = top + move_cost_s + urgent_bonus_s
    visits = tuple(
        dataclasses.replace(
            v,
            move_cost=move_cost_s if i in on_route else 0,
            prize=max(v.prize, urgent_prize) if i in rush else v.prize,
        )
        for i, v in enumerate(problem.visits)
    )
    routes = tuple(tuple(int(v) for v in seq) for seq in current)
    return dataclasses.replace(problem, visits=visits, current_routes=routes)


def solve_stable(
    problem: Problem,
    current: Sequence[Sequence[int]],
    *,
    stability: Stability,
    params: SolveParams,
    disturbed: Iterable[int] = (),
    urgent: Iterable[int] = (),
    progress: Progress | None = None,
    executor: Executor | None = None,
) -> StableSolve:
    """Re-plan ``problem`` from the current routes, changing them only where it pays.

    Parameters
    ----------
    problem
        The rest of the day: vehicles continue from their agents' position and
        time, with their remaining shift, ``max_visits`` and break.
    current
        One visit sequence per vehicle: its remaining visits in order.
    stability
        The move cost, the urgent visits' bonus and how many nearest vehicles
        each free visit brings into the search.
    params
        Time limit and search settings.
    disturbed
        Vehicles an event touched (time freed or lost): searched even when
        their current route still fits.
    urgent
        Visits to be worth more than any other (see :func:`stable_problem`).
    progress, executor
        As for :func:`routeplan.solver.solve`.
    """
    p = stable_problem(
        problem,
        current,
        move_cost_s=stability.move_cost_s,
        urgent=urgent,
        urgent_bonus_s=stability.urgent_bonus_s,
    )
    assert p.current_routes is not None
    routes = [list(seq) for seq in p.current_routes]
    home = p.home_vehicles()
    free = [v for v in range(len(p.visits)) if home[v] is None]
    stuck = {k for k, seq in enumerate(routes) if not _fits(p, k, seq)}
    focus = sorted(set(disturbed) | stuck | _nearest(p, free, stability.neighbours))
    if not focus:
        timed = timed_routes(p, routes)
        result = _result(p, timed, SolveStatus.CONSTRUCTION, "unchanged", 0.0)
        return StableSolve(result, p, (), tuple(range(len(p.vehicles))))
    part_visits = sorted({v for k in focus for v in routes[k]} | set(free))
    part = p.restrict(focus, part_visits)
    if progress is not None:
        progress(
            f"re-planning {len(focus)} of {len(p.vehicles)} agents with "
            f"{len(part_visits)} visits ({len(free)} on no route)"
        )
    found = solve(part, params, progress, executor=executor)
    shaken = set(disturbed) | stuck
    for j, k in enumerate(focus):
        new = [part_visits[i] for i in found.routes[j].visits]
        if sorted(new) == sorted(routes[k]) and k not in shaken:
            continue  # an undisturbed agent with the same visits keeps its order (it fits)
        routes[k] = new
    timed = [_timed(p, k, seq) for k, seq in enumerate(routes)]
    result = _result(p, timed, found.status, found.engine, found.runtime_s, found)
    kept = tuple(k for k in range(len(p.vehicles)) if tuple(routes[k]) == p.current_routes[k])
    return StableSolve(result, p, tuple(focus), kept)


def _fits(p: Problem, k: int, seq: Sequence[int]) -> bool:
    """Return True when vehicle ``k`` can still serve ``seq`` in that order, by every rule."""
    if not seq:
        return True
    if sum(p.visits[v].demand for v in seq) > p.load_limit(k):
        return False
    for v in seq:
        allowed = p.visits[v].allowed_vehicles
        if allowed is not None and k not in allowed:
            return False
    return time_route(p, k, seq) is not None


def _nearest(p: Problem, free: Sequence[int], count: int) -> set[int]:
    """Return, for each free visit, the ``count`` vehicles whose routes pass nearest to it.

    A route's nearness is the distance from the visit to the closest of its
    start node and current visits; only vehicles allowed to serve the visit
    count.
    """
    if not free or count <= 0 or not p.vehicles:
        return set()
    assert p.current_routes is not None
    owner: list[int] = []
    nodes: list[int] = []
    for k, vehicle in enumerate(p.vehicles):
        for node in (vehicle.start_node, *(p.visits[v].node for v in p.current_routes[k])):
            owner.append(k)
            nodes.append(node)
    free_nodes = np.array([p.visits[v].node for v in free], dtype=np.int64)
    dist = p.distance_m[np.ix_(free_nodes, np.array(nodes, dtype=np.int64))]
    nearest = np.full((len(free), len(p.vehicles)), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(nearest.T, np.array(owner), dist.T)
    chosen: set[int] = set()
    for row, v in enumerate(free):
        allowed = p.visits[v].allowed_vehicles
        order = [int(k) for k in np.argsort(nearest[row], kind="stable")]
        usable = [k for k in order if allowed is None or k in allowed]
        chosen.update(usable[:count])
    return chosen


def _timed(p: Problem, k: int, seq: Sequence[int]) -> Route:
    """Return ``seq`` timed on vehicle ``k`` (an empty route when it cannot be timed)."""
    route = time_route(p, k, seq)
    if route is None:  # pragma: no cover - the solver only returns routes it timed
        route = time_route(p, k, [])
    assert route is not None
    return route


def _result(
    p: Problem,
    routes: Sequence[Route],
    status: SolveStatus,
    engine: str,
    runtime_s: float,
    found: Result | None = None,
) -> Result:
    """Return the whole problem's result for ``routes``."""
    served = {v for r in routes for v in r.visits}
    return Result(
        routes=tuple(routes),
        dropped=tuple(v for v in range(len(p.visits)) if v not in served),
        objective=route_cost(p, routes),
        status=status,
        runtime_s=runtime_s,
        first_solution_s=found.first_solution_s if found is not None else None,
        engine=engine,
        log=found.log if found is not None else (),
        searches=found.searches if found is not None else (),
    )
