"""Improve visit sequences with OR-Tools routing (the only module importing ortools).

:func:`improve` builds an OR-Tools model of a *part* of a problem (some
vehicles and some visits), loads given routes as the initial assignment and
runs the local search metaheuristic within a time limit. It returns visit
sequences only; :mod:`routeplan.solver.schedule` times them.

Model: one routing node per visit plus one per distinct start/end location;
arc cost is the vehicle's travel seconds (zero on the start->end arc of an
unused vehicle, which the objective does not count); a time dimension with
service added to the departing node's transit and waiting as slack; windows
as the cumul hull with the gaps removed; a load dimension (``demand`` against
``min(max_visits, capacity)``); the break as an OR-Tools break interval;
optional visits as disjunctions with their prize.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routeplan.solver.model import Problem
from routeplan.solver.schedule import has_break

METAHEURISTICS = {
    name: getattr(routing_enums_pb2.LocalSearchMetaheuristic, name)
    for name in (
        "AUTOMATIC",
        "GREEDY_DESCENT",
        "GUIDED_LOCAL_SEARCH",
        "SIMULATED_ANNEALING",
        "TABU_SEARCH",
        "GENERIC_TABU_SEARCH",
    )
}
FIRST_SOLUTIONS = {
    name: getattr(routing_enums_pb2.FirstSolutionStrategy, name)
    for name in (
        "AUTOMATIC",
        "PATH_CHEAPEST_ARC",
        "PARALLEL_CHEAPEST_INSERTION",
        "LOCAL_CHEAPEST_INSERTION",
        "SAVINGS",
        "CHRISTOFIDES",
    )
}


@dataclass(frozen=True)
class Outcome:
    """What one OR-Tools run produced."""

    #: one visit sequence (problem visit indices) per vehicle of the part
    sequences: tuple[tuple[int, ...], ...]
    status: str
    objective: int | None
    solutions: int
    runtime_s: float


def improve(
    problem: Problem,
    vehicles: Sequence[int],
    visits: Sequence[int],
    initial: Sequence[Sequence[int]] | None,
    *,
    time_limit_s: float,
    solution_limit: int | None = None,
    metaheuristic: str = "GUIDED_LOCAL_SEARCH",
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION",
    gls_lambda: float | None = None,
    neighbors_ratio: float | None = None,
    required_penalty: int | None = None,
    log_search: bool = False,
    on_solution: Callable[[int], None] | None = None,
) -> Outcome | None:
    """Search better sequences for ``vehicles`` over ``visits`` starting from ``initial``.

    Parameters
    ----------
    problem
        The full problem; only ``vehicles`` and ``visits`` (indices) are modelled.
    initial
        One sequence of visit indices per entry of ``vehicles`` (a feasible
        start), or None to let OR-Tools build one with ``first_solution``.
    time_limit_s
        Wall-clock limit of the search in seconds.
    solution_limit
        Stop after this many solutions (None = no limit).
    gls_lambda, neighbors_ratio
        Guided local search penalty coefficient; share of nearest nodes the
        local search operators consider (None = OR-Tools defaults).
    required_penalty
        When given, required visits become optional with this skip penalty
        (used when the start does not serve all of them).
    on_solution
        Called with the objective of each new solution.

    Returns
    -------
    The best sequences found, or None when OR-Tools found no solution.
    """
    t0 = time.perf_counter()
    vis = list(visits)
    veh = list(vehicles)
    nvis = len(vis)
    depot_nodes = sorted(
        {problem.vehicles[k].start_node for k in veh} | {problem.vehicles[k].end_node for k in veh}
    )
    node_of = [problem.visits[v].node for v in vis] + depot_nodes
    nmodel = len(node_of)
    depot_index = {node: nvis + j for j, node in enumerate(depot_nodes)}
    starts = [depot_index[problem.vehicles[k].start_node] for k in veh]
    ends = [depot_index[problem.vehicles[k].end_node] for k in veh]
    manager = pywrapcp.RoutingIndexManager(nmodel, len(veh), starts, ends)
    routing = pywrapcp.RoutingModel(manager)

    nodes = np.array(node_of, dtype=np.int64)
    service = np.zeros(nmodel, dtype=np.int64)
    service[:nvis] = [problem.visits[v].service_s for v in vis]
    profiles = sorted({problem.vehicles[k].profile for k in veh})
    cost_cb: dict[int, int] = {}
    time_cb: dict[int, int] = {}
    for prof in profiles:
        mat = problem.durations_s[prof][np.ix_(nodes, nodes)].astype(np.int64)
        cost = mat.copy()
        cost[nvis:, nvis:] = 0  # an unused vehicle travels nowhere
        cost_cb[prof] = routing.RegisterTransitMatrix(cost.tolist())
        time_cb[prof] = routing.RegisterTransitMatrix((mat + service[:, None]).tolist())
    if len(profiles) == 1:
        # one evaluator for all lets OR-Tools treat the vehicles as one class
        routing.SetArcCostEvaluatorOfAllVehicles(cost_cb[profiles[0]])
    else:
        for j, k in enumerate(veh):
            routing.SetArcCostEvaluatorOfVehicle(cost_cb[problem.vehicles[k].profile], j)

    horizon = max(problem.vehicles[k].shift_end_s for k in veh) + 1
    if len(profiles) == 1:
        routing.AddDimension(time_cb[profiles[0]], horizon, horizon, False, "Time")
    else:
        routing.AddDimensionWithVehicleTransits(
            [time_cb[problem.vehicles[k].profile] for k in veh], horizon, horizon, False, "Time"
        )
    tdim = routing.GetDimensionOrDie("Time")
    for j, k in enumerate(veh):
        v = problem.vehicles[k]
        tdim.CumulVar(routing.Start(j)).SetRange(v.shift_start_s, v.shift_end_s)
        tdim.CumulVar(routing.End(j)).SetRange(v.shift_start_s, v.shift_end_s)

    caps = [problem.load_limit(k) for k in veh]
    demand = [problem.visits[v].demand for v in vis] + [0] * len(depot_nodes)
    load_cb = routing.RegisterUnaryTransitVector(demand)
    routing.AddDimensionWithVehicleCapacity(load_cb, 0, caps, True, "Load")

    local = {k: j for j, k in enumerate(veh)}
    for i, vi in enumerate(vis):
        visit = problem.visits[vi]
        index = manager.NodeToIndex(i)
        windows = [(max(lo, 0), min(hi, horizon)) for lo, hi in visit.windows]
        windows = [(lo, hi) for lo, hi in windows if lo <= hi]
        optional = not visit.required or required_penalty is not None
        if not windows:
            # cannot be served by any vehicle of this part: keep it out of every route
            routing.VehicleVar(index).SetValues([-1])
            windows = [(0, horizon)]
        cumul = tdim.CumulVar(index)
        cumul.SetRange(windows[0][0], windows[-1][1])
        for (_, hi), (lo, _) in itertools.pairwise(windows):
            if lo - hi > 1:
                cumul.RemoveInterval(hi + 1, lo - 1)
        if optional:
            penalty = required_penalty if visit.required else visit.prize
            routing.AddDisjunction([index], int(penalty or 0))
        if visit.allowed_vehicles is not None:
            allowed = sorted(local[k] for k in visit.allowed_vehicles if k in local)
            routing.VehicleVar(index).SetValues(([-1] if optional else []) + allowed)

    transits = [0] * (routing.Size() + routing.vehicles())
    for index in range(routing.Size()):
        transits[index] = int(service[manager.IndexToNode(index)])
    solver = routing.solver()
    for j, k in enumerate(veh):
        if not has_break(problem, k):
            continue
        v = problem.vehicles[k]
        assert v.break_window is not None
        lo = max(v.break_window[0], v.shift_start_s)
        hi = min(v.break_window[1], v.shift_end_s - v.break_s)
        interval = solver.FixedDurationIntervalVar(lo, hi, v.break_s, False, f"break {v.id}")
        tdim.SetBreakIntervalsOfVehicle([interval], j, transits[: routing.Size()])

    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = FIRST_SOLUTIONS.get(
        first_solution, FIRST_SOLUTIONS["PARALLEL_CHEAPEST_INSERTION"]
    )
    params.local_search_metaheuristic = METAHEURISTICS.get(
        metaheuristic, METAHEURISTICS["GUIDED_LOCAL_SEARCH"]
    )
    if gls_lambda is not None:
        params.guided_local_search_lambda_coefficient = gls_lambda
    if neighbors_ratio is not None:
        # examine only the nearest share of nodes in local search moves: faster steps
        params.ls_operator_neighbors_ratio = neighbors_ratio
        params.ls_operator_min_neighbors = 10
    remaining = max(0.05, time_limit_s - (time.perf_counter() - t0))
    params.time_limit.FromMilliseconds(int(remaining * 1000))
    if solution_limit is not None:
        params.solution_limit = solution_limit
    params.log_search = log_search
    routing.CloseModelWithParameters(params)

    solutions = 0

    def _seen() -> None:
        nonlocal solutions
        solutions += 1
        if on_solution is not None:
            on_solution(int(routing.CostVar().Value()))

    routing.AddAtSolutionCallback(_seen)
    start_assignment = None
    if initial is not None:
        pos = {v: i for i, v in enumerate(vis)}
        routes = [[manager.NodeToIndex(pos[v]) for v in seq] for seq in initial]
        start_assignment = routing.ReadAssignmentFromRoutes(routes, True)
    remaining = max(0.05, time_limit_s - (time.perf_counter() - t0))
    params.time_limit.FromMilliseconds(int(remaining * 1000))
    if start_assignment is not None:
        solution = routing.SolveFromAssignmentWithParameters(start_assignment, params)
    else:
        solution = routing.SolveWithParameters(params)
    if solution is None:
        return None
    sequences = []
    for j in range(len(veh)):
        seq = []
        index = solution.Value(routing.NextVar(routing.Start(j)))
        while not routing.IsEnd(index):
            seq.append(vis[manager.IndexToNode(index)])
            index = solution.Value(routing.NextVar(index))
        sequences.append(tuple(seq))
    status = _status_name(routing.status())
    return Outcome(
        tuple(sequences),
        status,
        int(solution.ObjectiveValue()),
        solutions,
        time.perf_counter() - t0,
    )


def _status_name(code: int) -> str:
    """Return the name of an OR-Tools routing search status."""
    try:
        return str(routing_enums_pb2.RoutingSearchStatus.Value.Name(code))
    except ValueError:
        return f"ROUTING_STATUS_{code}"
