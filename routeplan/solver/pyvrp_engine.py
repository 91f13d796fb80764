"""A second engine behind the solver boundary: PyVRP's iterated local search.

PyVRP (a runtime dependency) searches capacitated routing with time windows
and optional visits with prizes far better than OR-Tools' guided local search
once a day has many hundreds of stops (benchmarks/README.md). Its model is
narrower than routeplan's, so the day is translated with care:

* **skills**: vehicles that may serve the same visits and travel at the same
  speed form a class; each class is a PyVRP routing profile whose arcs into the
  visits it may not serve take longer than the whole day, so no feasible PyVRP
  plan uses them. :func:`why_not` refuses when those matrices would take more
  than ``MAX_MATRIX_BYTES``;
* **several windows**: only on request (``restrict_windows``, the solver's
  ``second_engine = "pyvrp"``), a visit gets one of its windows (a
  restriction: whatever PyVRP returns is still valid under the real windows):
  the one the warm start serves it in, else the one that best overlaps the
  shifts of the agents who may serve it. By default such a day stays with
  OR-Tools, which handles several windows itself and did better on the
  sample day (benchmarks/README.md);
* **breaks**: PyVRP has none, and :func:`why_not` refuses a day with
  breaks. Searching with each shift shortened by its break, then dropping
  visits from routes that could not hold it, was tried and lost to OR-Tools on
  the benchmark days (benchmarks/README.md).

The objective is routeplan's: travel seconds of each vehicle's own travel
profile as PyVRP's distance, the prize of every optional visit as its prize.
Whatever PyVRP returns is re-timed and checked by the caller
(:mod:`routeplan.solver.schedule`) before it is used, like any other engine.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from routeplan.solver.model import Problem
from routeplan.solver.schedule import has_break, time_route

#: at most this many bytes of PyVRP matrices (two per vehicle class)
MAX_MATRIX_BYTES = 2 * 1024**3
#: PyVRP's default cap on a penalty per unit of excess load or time warp
PENALTY_CAP = 100_000.0
#: the cap is raised to this multiple of the largest prize when that is higher
PENALTY_OVER_PRIZE = 1.5


def available() -> bool:
    """Return True when PyVRP can be imported."""
    try:
        import pyvrp  # noqa: F401
    except ImportError:
        return False
    return True


class _Layout:
    """How a part of a problem maps onto PyVRP's depots, locations and classes."""

    def __init__(self, problem: Problem, vehicles: Sequence[int], visits: Sequence[int]):
        self.veh = list(vehicles)
        self.vis = list(visits)
        veh_set = set(self.veh)
        self.depot_nodes = sorted(
            {problem.vehicles[k].start_node for k in self.veh}
            | {problem.vehicles[k].end_node for k in self.veh}
        )
        restricted = [
            i
            for i, v in enumerate(self.vis)
            if problem.visits[v].allowed_vehicles is not None
            and not veh_set.issubset(problem.visits[v].allowed_vehicles or ())
        ]
        # vehicles that may serve the same visits at the same speed share a class
        self.class_of: list[int] = []
        self.classes: list[tuple[int, frozenset[int]]] = []
        for k in self.veh:
            forbidden = frozenset(
                i
                for i in restricted
                if k not in (problem.visits[self.vis[i]].allowed_vehicles or ())
            )
            key = (problem.vehicles[k].profile, forbidden)
            if key not in self.classes:
                self.classes.append(key)
            self.class_of.append(self.classes.index(key))
        # a restricted visit needs its own location (its column is blocked per class)
        if restricted:
            self.client_loc = [len(self.depot_nodes) + i for i in range(len(self.vis))]
            self.nodes = self.depot_nodes + [problem.visits[v].node for v in self.vis]
        else:
            client_nodes = sorted(
                {problem.visits[v].node for v in self.vis} - set(self.depot_nodes)
            )
            self.nodes = self.depot_nodes + client_nodes
            where = {n: i for i, n in enumerate(self.nodes)}
            self.client_loc = [where[problem.visits[v].node] for v in self.vis]

    def matrix_bytes(self) -> int:
        """Return the bytes of PyVRP's matrices (a distance and a duration per class)."""
        return 2 * len(self.classes) * len(self.nodes) ** 2 * 8


def why_not(
    problem: Problem,
    vehicles: Sequence[int],
    visits: Sequence[int],
    *,
    restrict_windows: bool = False,
) -> str | None:
    """Return why PyVRP should not search this part of ``problem`` (None when it can).

    A visit with several windows rules PyVRP out unless ``restrict_windows``
    (PyVRP then searches it in one window, see :func:`pyvrp_routes`).
    """
    if not available():
        return "pyvrp is not installed"
    if not vehicles or not visits:
        return "nothing to search"
    for k in vehicles:
        if has_break(problem, k):
            return f"vehicle {problem.vehicles[k].id} has a break"
    if not restrict_windows:
        for v in visits:
            if len(problem.visits[v].windows) > 1:
                return f"visit {problem.visits[v].id} has several windows"
    layout = _Layout(problem, vehicles, visits)
    need = layout.matrix_bytes()
    if need > MAX_MATRIX_BYTES:
        return (
            f"{len(layout.classes)} vehicle classes (skills, speeds) over "
            f"{len(layout.nodes)} locations need {need / 1024**3:.1f} GiB of matrices"
        )
    return None


def _window(
    problem: Problem, v: int, vehicles: Sequence[int], served_at: int | None
) -> tuple[int, int]:
    """Return the one window PyVRP gets for visit ``v`` (a restriction of its windows).

    The window holding ``served_at`` (when the warm start serves the visit,
    so the start stays feasible); else the window that overlaps the shifts of
    the vehicles allowed to serve it the most, the wider one on ties.
    """
    visit = problem.visits[v]
    if len(visit.windows) == 1:
        return visit.windows[0]
    if served_at is not None:
        for lo, hi in visit.windows:
            if lo <= served_at <= hi:
                return (lo, hi)
    allowed = visit.allowed_vehicles
    shifts = [
        (problem.vehicles[k].shift_start_s, problem.vehicles[k].shift_end_s)
        for k in vehicles
        if allowed is None or k in allowed
    ]

    def fit(w: tuple[int, int]) -> tuple[int, int]:
        overlap = max((min(w[1], end) - max(w[0], start) for start, end in shifts), default=0)
        return (overlap, w[1] - w[0])

    return max(visit.windows, key=fit)


def _params(prizes: Sequence[int]) -> Any:
    """Return PyVRP's solve parameters, with penalties able to outweigh any prize.

    PyVRP caps its penalty per unit of excess load or time warp (100,000 by
    default). When a prize is larger (a big expected recovery in seconds), an
    overloaded or late route looks cheaper than skipping the visit and the
    search never becomes feasible; the cap is raised above the largest prize.
    """
    import pyvrp

    top = max(prizes, default=0)
    # PyVRP also starts its penalties at half the cap: raise it no more than needed
    penalty = pyvrp.PenaltyParams(max_penalty=max(PENALTY_CAP, PENALTY_OVER_PRIZE * top))
    return pyvrp.SolveParams(penalty=penalty)


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
        :func:`why_not` should have returned None for them.
    time_limit_s
        Seconds from the call to the answer (building PyVRP's data included).
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
    lay = _Layout(problem, vehicles, visits)
    veh, vis = lay.veh, lay.vis
    idx = np.array(lay.nodes, dtype=np.int64)
    # an arc into a visit a class may not serve takes longer than the whole day
    horizon = max(
        [max(hi for _, hi in problem.visits[v].windows) for v in vis]
        + [problem.vehicles[k].shift_end_s for k in veh]
    )
    blocked = horizon + 1
    mats = []
    for profile, forbidden in lay.classes:
        mat = np.array(problem.durations_s[profile][np.ix_(idx, idx)], dtype=np.int64)
        if forbidden:
            cols = [lay.client_loc[i] for i in sorted(forbidden)]
            mat[:, cols] = blocked
            mat[cols, cols] = 0  # PyVRP wants a zero diagonal
        mats.append(mat)

    served_at: dict[int, int] = {}
    if initial is not None:
        for j, seq in enumerate(initial):
            route = time_route(problem, veh[j], seq) if seq else None
            if route is not None:
                served_at.update(zip(route.visits, route.service_start_s, strict=True))
    depots = [pyvrp.Depot(i) for i in range(len(lay.depot_nodes))]
    depot_of = {n: i for i, n in enumerate(lay.depot_nodes)}
    clients = []
    for i, v in enumerate(vis):
        visit = problem.visits[v]
        lo, hi = _window(problem, v, veh, served_at.get(v))
        clients.append(
            pyvrp.Client(
                location=lay.client_loc[i],
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
        key = (
            agent.start_node,
            agent.end_node,
            agent.shift_start_s,
            agent.shift_end_s,
            problem.load_limit(k),
            lay.class_of[j],
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
            profile=key[5],
            unit_distance_cost=1,
            unit_duration_cost=0,
        )
        for key in keys
    ]
    type_of = {j: t for t, key in enumerate(keys) for j in types[key]}
    locations = [pyvrp.Location(0, 0) for _ in lay.nodes]
    data = pyvrp.ProblemData(locations, clients, depots, vtypes, mats, mats)

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
            params=_params([c.prize for c in clients]),
        )
    if not res.is_feasible():
        return None
    out: list[list[int]] = [[] for _ in veh]
    free = {t: list(types[key]) for t, key in enumerate(keys)}
    for route in res.best.routes():
        j = free[route.vehicle_type()].pop(0)
        out[j] = [vis[int(a.idx)] for a in route if a.is_client()]
    return out
