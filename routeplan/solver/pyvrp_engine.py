"""A second engine behind the solver boundary: PyVRP's iterated local search.

PyVRP (a runtime dependency) searches capacitated routing with time windows
and optional visits with prizes far better than OR-Tools' guided local search
once a day has many hundreds of stops (benchmarks/README.md). It cannot
express everything routeplan's model can, so :func:`why_not` decides, per
problem, whether PyVRP may search it:

* no lunch breaks (PyVRP has none);
* every visit may be served by every vehicle searched (skills are not
  expressed);
* a visit with several windows is given only its widest window: a restriction,
  so whatever PyVRP returns is still valid under the real windows.

The objective is routeplan's: travel seconds of each vehicle's own travel
profile as PyVRP's distance, the prize of every optional visit as its prize.
Whatever PyVRP returns is re-timed and checked by the caller
(:mod:`routeplan.solver.schedule`) before it is used, like any other engine.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence

import numpy as np

from routeplan.solver.model import Problem
from routeplan.solver.schedule import has_break


def available() -> bool:
    """Return True when PyVRP can be imported."""
    try:
        import pyvrp  # noqa: F401
    except ImportError:
        return False
    return True


def why_not(problem: Problem, vehicles: Sequence[int], visits: Sequence[int]) -> str | None:
    """Return why PyVRP cannot search this part of ``problem`` (None when it can)."""
    if not available():
        return "pyvrp is not installed"
    veh = set(vehicles)
    if not veh or not visits:
        return "nothing to search"
    for k in vehicles:
        if has_break(problem, k):
            return f"vehicle {problem.vehicles[k].id} has a break"
    for v in visits:
        allowed = problem.visits[v].allowed_vehicles
        if allowed is not None and not veh.issubset(allowed):
            return f"visit {problem.visits[v].id} is restricted to some vehicles"
    return None


def _widest(windows: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """Return the widest window (the first of equals)."""
    return max(windows, key=lambda w: w[1] - w[0])


def pyvrp_routes(
    problem: Problem,
    vehicles: Sequence[int],
    visits: Sequence[int],
    *,
    time_limit_s: float,
    seed: int = 0,
    initial: Sequence[Sequence[int]] | None = None,
) -> list[list[int]] | None:
    """Return PyVRP's visit sequences, one per entry of ``vehicles``.

    Parameters
    ----------
    problem
        The full problem; only ``vehicles`` and ``visits`` are given to PyVRP.
        :func:`why_not` must have returned None for them.
    time_limit_s
        PyVRP's run time in seconds.
    seed
        PyVRP's random seed.
    initial
        Optional warm start, one sequence per entry of ``vehicles``, using
        only ``visits``; it should be feasible.

    Returns
    -------
    list of list of int or None
        Sequences of visit indices, or None when PyVRP found no feasible plan.
    """
    import pyvrp
    from pyvrp.stop import MaxRuntime

    t0 = time.perf_counter()
    veh = list(vehicles)
    vis = list(visits)
    # locations: every distinct node once; depots are the vehicles' start and end nodes
    depot_nodes = sorted(
        {problem.vehicles[k].start_node for k in veh} | {problem.vehicles[k].end_node for k in veh}
    )
    client_nodes = sorted({problem.visits[v].node for v in vis} - set(depot_nodes))
    nodes = depot_nodes + client_nodes
    where = {n: i for i, n in enumerate(nodes)}
    idx = np.array(nodes, dtype=np.int64)
    profiles = sorted({problem.vehicles[k].profile for k in veh})
    prof_of = {p: i for i, p in enumerate(profiles)}
    mats = [np.ascontiguousarray(problem.durations_s[p][np.ix_(idx, idx)]) for p in profiles]

    depots = [pyvrp.Depot(where[n]) for n in depot_nodes]
    depot_of = {n: i for i, n in enumerate(depot_nodes)}
    clients = []
    for v in vis:
        visit = problem.visits[v]
        lo, hi = _widest(visit.windows)
        clients.append(
            pyvrp.Client(
                location=where[visit.node],
                delivery=[visit.demand],
                service_duration=visit.service_s,
                tw_early=lo,
                tw_late=hi,
                prize=0 if visit.required else visit.prize,
                required=visit.required,
            )
        )

    # identical vehicles share one type: PyVRP then treats them as interchangeable
    types: dict[tuple[int, ...], list[int]] = {}
    for j, k in enumerate(veh):
        agent = problem.vehicles[k]
        cap = agent.max_visits
        if problem.capacity is not None:
            cap = min(cap, problem.capacity[k])
        key = (
            agent.start_node,
            agent.end_node,
            agent.shift_start_s,
            agent.shift_end_s,
            int(cap),
            agent.profile,
        )
        types.setdefault(key, []).append(j)
    keys = list(types)
    vtypes = [
        pyvrp.VehicleType(
            len(types[key]),
            capacity=[key[4]],
            start_depot=depot_of[key[0]],
            end_depot=depot_of[key[1]],
            tw_early=key[2],
            tw_late=key[3],
            profile=prof_of[key[5]],
            unit_distance_cost=1,
            unit_duration_cost=0,
        )
        for key in keys
    ]
    type_of = {j: t for t, key in enumerate(keys) for j in types[key]}
    data = pyvrp.ProblemData(
        [pyvrp.Location(0, 0) for _ in nodes], clients, depots, vtypes, mats, mats
    )

    warm = None
    if initial is not None:
        pos = {v: i for i, v in enumerate(vis)}
        routes = [
            pyvrp.Route(data, [pos[v] for v in seq], type_of[j])
            for j, seq in enumerate(initial)
            if seq
        ]
        try:
            warm = pyvrp.Solution(data, routes)
        except RuntimeError:  # PyVRP refuses the start (e.g. a visit twice): start cold
            warm = None
    with warnings.catch_warnings():
        # PyVRP warns when a day has no feasible plan; None says so to the caller
        warnings.simplefilter("ignore")
        res = pyvrp.solve(
            data,
            stop=MaxRuntime(max(0.05, time_limit_s - (time.perf_counter() - t0))),
            seed=seed,
            collect_stats=False,
            display=False,
            initial_solution=warm,
        )
    if not res.is_feasible():
        return None
    out: list[list[int]] = [[] for _ in veh]
    free = {t: list(types[key]) for t, key in enumerate(keys)}
    for route in res.best.routes():
        j = free[route.vehicle_type()].pop(0)
        out[j] = [vis[int(a.idx)] for a in route if a.is_client()]
    return out
