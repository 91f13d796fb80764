"""PyVRP's iterated local search behind the engine protocol (the only module importing pyvrp).

PyVRP (a runtime dependency) searches capacitated routing with time windows
and optional visits with prizes far better than OR-Tools' guided local search
once a day has many hundreds of stops (benchmarks/README.md). Its model is
narrower than routeplan's, so the day is translated with care:

* **skills**: vehicles that may serve the same visits and travel at the same
  speed form a class; each class is a PyVRP routing profile whose arcs into the
  visits it may not serve take longer than the whole day, so no feasible PyVRP
  plan uses them. ``supports`` refuses when those matrices would take more
  than ``max_matrix_bytes``;
* **several windows**: only with ``restrict_windows`` (the solver's
  ``second_engine = "pyvrp"``), a visit gets one of its windows (a
  restriction: whatever PyVRP returns is still valid under the real windows):
  the one the warm start serves it in, else the one that best overlaps the
  shifts of the agents who may serve it. By default such a day stays with
  OR-Tools, which handles several windows itself and did better on the
  sample day (benchmarks/README.md);
* **breaks**: PyVRP has none, and ``supports`` refuses a day with breaks.
  Searching with each shift shortened by its break, then dropping visits from
  routes that could not hold it, was tried and lost to OR-Tools on the
  benchmark days (benchmarks/README.md).

The objective is routeplan's: travel seconds of each vehicle's own travel
profile as PyVRP's distance, the prize of every optional visit as its prize.
Whatever PyVRP returns is re-timed and checked by the solver before it is
used, like any other engine's answer.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from routeplan.solver.engines.base import (
    Answer,
    Sequences,
    common_reason,
    moves_reason,
    serve_cost_reason,
)
from routeplan.solver.model import Problem, Window
from routeplan.solver.params import SolveParams
from routeplan.solver.schedule import has_break, time_route

__all__ = ["PyVRPEngine"]

#: PyVRP's default cap on a penalty per unit of excess load or time warp
PENALTY_CAP = 100_000.0
#: the cap is raised to this multiple of the largest prize when that is higher
PENALTY_OVER_PRIZE = 1.5
#: seconds PyVRP is always given, however late it is called
_MIN_SEARCH_S = 0.05


@dataclass(frozen=True)
class PyVRPEngine:
    """PyVRP's iterated local search; no breaks, skills as routing profiles.

    Parameters
    ----------
    restrict_windows
        Accept visits with several windows, each searched in one of them.
    max_matrix_bytes
        The most memory PyVRP's matrices may take (two per vehicle class).
    """

    restrict_windows: bool = False
    max_matrix_bytes: int = 2 * 1024**3

    @property
    def name(self) -> str:
        """``pyvrp``."""
        return "pyvrp"

    def supports(self, problem: Problem) -> str | None:
        """Return why PyVRP cannot express ``problem`` exactly (None when it can)."""
        reason = common_reason(problem, "pyvrp") or serve_cost_reason(problem)
        if reason is not None:
            return reason
        for k, vehicle in enumerate(problem.vehicles):
            if has_break(problem, k):
                return f"vehicle {vehicle.id} has a break"
        moves = moves_reason(problem)
        if moves is not None:
            return moves
        if not self.restrict_windows:
            for visit in problem.visits:
                if len(visit.windows) > 1:
                    return f"visit {visit.id} has several windows"
        layout = _Layout(problem)
        need = layout.matrix_bytes()
        if need > self.max_matrix_bytes:
            return (
                f"{len(layout.classes)} vehicle classes (skills, speeds) over "
                f"{len(layout.nodes)} locations need {need / 1024**3:.1f} GiB of matrices"
            )
        return None

    def solve(
        self,
        problem: Problem,
        params: SolveParams,
        start: Sequences | None,
        deadline: float,
        *,
        work: int | None = None,
    ) -> Answer | None:
        """Return PyVRP's plan found by ``deadline`` from ``start`` (None if none is feasible).

        ``params.seed`` seeds PyVRP; ``work`` caps its iterations (its search
        does not depend on the cap, so more iterations continue the same
        search). A warm start PyVRP refuses is dropped (the search then starts
        cold).
        """
        import pyvrp
        from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

        lay = _Layout(problem)
        data, types = _data(problem, lay, start)
        warm = _warm_start(data, lay, types, start)
        stop: Any = MaxRuntime(max(_MIN_SEARCH_S, deadline - time.perf_counter()))
        if work is not None:
            stop = MultipleCriteria([MaxIterations(max(1, work)), stop])
        with warnings.catch_warnings():
            # PyVRP warns when a day has no feasible plan; None says so to the caller
            warnings.simplefilter("ignore")
            res = pyvrp.solve(
                data,
                stop=stop,
                seed=params.seed,
                collect_stats=False,
                display=False,
                initial_solution=warm,
                params=_params([0 if v.required else v.prize for v in problem.visits]),
            )
        if not res.is_feasible():
            return None
        out: list[tuple[int, ...]] = [() for _ in problem.vehicles]
        free = {t: list(members) for t, members in enumerate(types.values())}
        for route in res.best.routes():
            j = free[route.vehicle_type()].pop(0)
            out[j] = tuple(int(a.idx) for a in route if a.is_client())
        return Answer(tuple(out), "feasible")


class _Layout:
    """How a problem maps onto PyVRP's depots, locations and vehicle classes."""

    def __init__(self, problem: Problem) -> None:
        fleet = problem.vehicles
        self.depot_nodes = sorted({v.start_node for v in fleet} | {v.end_node for v in fleet})
        everyone = set(range(len(fleet)))
        restricted = [
            i
            for i, v in enumerate(problem.visits)
            if v.allowed_vehicles is not None and not everyone.issubset(v.allowed_vehicles)
        ]
        # vehicles that may serve the same visits at the same speed share a class
        self.class_of: list[int] = []
        self.classes: list[tuple[int, frozenset[int]]] = []
        for k, vehicle in enumerate(fleet):
            forbidden = frozenset(
                i for i in restricted if k not in (problem.visits[i].allowed_vehicles or ())
            )
            key = (vehicle.profile, forbidden)
            if key not in self.classes:
                self.classes.append(key)
            self.class_of.append(self.classes.index(key))
        # a restricted visit needs its own location (its column is blocked per class)
        if restricted:
            self.client_loc = [len(self.depot_nodes) + i for i in range(len(problem.visits))]
            self.nodes = self.depot_nodes + [v.node for v in problem.visits]
        else:
            client_nodes = sorted({v.node for v in problem.visits} - set(self.depot_nodes))
            self.nodes = self.depot_nodes + client_nodes
            where = {n: i for i, n in enumerate(self.nodes)}
            self.client_loc = [where[v.node] for v in problem.visits]

    def matrix_bytes(self) -> int:
        """Return the bytes of PyVRP's matrices (a distance and a duration per class)."""
        return 2 * len(self.classes) * len(self.nodes) ** 2 * 8

    def matrices(self, problem: Problem) -> list[NDArray[np.int64]]:
        """Return one travel matrix per class; arcs into forbidden visits outlast the day."""
        idx = np.array(self.nodes, dtype=np.int64)
        horizon = max(
            [max(hi for _, hi in v.windows) for v in problem.visits]
            + [v.shift_end_s for v in problem.vehicles]
        )
        mats = []
        for profile, forbidden in self.classes:
            mat = np.array(problem.durations_s[profile][np.ix_(idx, idx)], dtype=np.int64)
            if forbidden:
                cols = [self.client_loc[i] for i in sorted(forbidden)]
                mat[:, cols] = horizon + 1
                mat[cols, cols] = 0  # PyVRP wants a zero diagonal
            mats.append(mat)
        return mats


def _window(problem: Problem, v: int, served_at: int | None) -> Window:
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
        (vehicle.shift_start_s, vehicle.shift_end_s)
        for k, vehicle in enumerate(problem.vehicles)
        if allowed is None or k in allowed
    ]

    def fit(w: Window) -> tuple[int, int]:
        overlap = max((min(w[1], end) - max(w[0], start) for start, end in shifts), default=0)
        return (overlap, w[1] - w[0])

    return max(visit.windows, key=fit)


def _served_at(problem: Problem, start: Sequences | None) -> dict[int, int]:
    """Return the service start of every visit the warm start serves."""
    served: dict[int, int] = {}
    for k, seq in enumerate(start or ()):
        route = time_route(problem, k, seq) if seq else None
        if route is not None:
            served.update(zip(route.visits, route.service_start_s, strict=True))
    return served


def _data(
    problem: Problem, lay: _Layout, start: Sequences | None
) -> tuple[Any, dict[tuple[int, ...], list[int]]]:
    """Return PyVRP's problem data and the vehicles of each vehicle type."""
    import pyvrp

    served_at = _served_at(problem, start)
    clients = []
    for i, visit in enumerate(problem.visits):
        lo, hi = _window(problem, i, served_at.get(i))
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
    for k, agent in enumerate(problem.vehicles):
        key = (
            agent.start_node,
            agent.end_node,
            agent.shift_start_s,
            agent.shift_end_s,
            problem.load_limit(k),
            lay.class_of[k],
        )
        types.setdefault(key, []).append(k)
    depot_of = {n: i for i, n in enumerate(lay.depot_nodes)}
    vtypes = [
        pyvrp.VehicleType(
            len(members),
            capacity=[key[4]],
            start_depot=depot_of[key[0]],
            end_depot=depot_of[key[1]],
            tw_early=key[2],
            tw_late=key[3],
            profile=key[5],
            unit_distance_cost=1,
            unit_duration_cost=0,
        )
        for key, members in types.items()
    ]
    depots = [pyvrp.Depot(i) for i in range(len(lay.depot_nodes))]
    locations = [pyvrp.Location(0, 0) for _ in lay.nodes]
    mats = lay.matrices(problem)
    return pyvrp.ProblemData(locations, clients, depots, vtypes, mats, mats), types


def _warm_start(
    data: Any, lay: _Layout, types: dict[tuple[int, ...], list[int]], start: Sequences | None
) -> Any:
    """Return ``start`` as a PyVRP solution, or None (no start, or PyVRP refuses it)."""
    import pyvrp

    if start is None:
        return None
    type_of = {k: t for t, members in enumerate(types.values()) for k in members}
    routes = [pyvrp.Route(data, list(seq), type_of[k]) for k, seq in enumerate(start) if seq]
    try:
        return pyvrp.Solution(data, routes)
    except RuntimeError:  # PyVRP refuses the start (e.g. a visit twice): start cold
        return None


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
