"""OR-Tools routing behind the engine protocol (the only module importing ortools).

:class:`OrToolsEngine` builds an OR-Tools model of a problem, loads a given
plan as the initial assignment (or lets OR-Tools build one) and runs the
local search metaheuristic until the deadline. No OR-Tools object leaves
this module.

Model: one routing node per visit plus one per distinct start/end location;
arc cost is the vehicle's travel seconds (zero on the start->end arc of an
unused vehicle, which the objective does not count); a time dimension with
service added to the departing node's transit and waiting as slack; windows
as the cumul hull with the gaps removed; a load dimension (``demand`` against
``min(max_visits, capacity)``); the break as an OR-Tools break interval;
optional visits as disjunctions with their prize; serve costs
(``Visit.serve_cost``, the week plan) as a ``Serve`` dimension whose span is
charged. With current routes (re-planning), a ``Moves`` dimension counts the
move costs of visits served away from their current vehicle (one unary
transit vector per vehicle, its span cost charged one for one), and skipping
such a visit costs its prize plus its move cost. Both terms can apply at once.

OR-Tools is imported when an engine is created, not when routeplan is: a
process forked after that inherits it instead of importing it again.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from routeplan.solver.engines.base import Answer, Sequences, common_reason
from routeplan.solver.model import Problem
from routeplan.solver.params import SolveParams
from routeplan.solver.schedule import has_break

__all__ = ["FIRST_SOLUTIONS", "REPRODUCIBLE_LNS_S", "OrToolsEngine"]

#: OR-Tools first-solution strategies (used when a search has no start)
FIRST_SOLUTIONS = (
    "AUTOMATIC",
    "PATH_CHEAPEST_ARC",
    "PARALLEL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_INSERTION",
    "SAVINGS",
    "CHRISTOFIDES",
)
#: seconds OR-Tools is always given, however late it is called
_MIN_SEARCH_S = 0.05
#: seconds each sub-search may take in reproducible mode (far more than any needs)
REPRODUCIBLE_LNS_S = 60.0


def _ortools() -> tuple[Any, Any]:
    """Return OR-Tools' ``pywrapcp`` and ``routing_enums_pb2`` modules."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    return pywrapcp, routing_enums_pb2


@dataclass(frozen=True)
class OrToolsEngine:
    """OR-Tools' local search over the whole model (skills, breaks, several windows).

    Parameters
    ----------
    first_solution
        OR-Tools' first-solution strategy, used when ``solve`` gets no start.
    required_penalty
        When given, required visits may be skipped at this cost (used when
        the start does not serve all of them); else they are mandatory.
    on_solution
        Called in the searching process with the objective of each new
        solution (progress reports); not sent to other processes.
    lns_time_limit_s
        OR-Tools' limit on each sub-search of its local search, among them the
        one that rebuilds the start's times and breaks before the search
        begins. OR-Tools' default, 0.1 s, is not enough for a day of several
        hundred visits with breaks on a busy machine: the rebuild fails and the
        search ends with no solution (measured on the sample day).
    """

    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    required_penalty: int | None = None
    lns_time_limit_s: float = 1.0
    on_solution: Callable[[int], None] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        """Refuse unknown strategies and a non-positive LNS time limit; load OR-Tools now."""
        if not self.lns_time_limit_s > 0:
            raise ValueError(f"lns_time_limit_s must be > 0, got {self.lns_time_limit_s}")
        if self.first_solution not in FIRST_SOLUTIONS:
            raise ValueError(
                f"first_solution must be one of {', '.join(FIRST_SOLUTIONS)}, "
                f"got {self.first_solution!r}"
            )
        _ortools()  # load it now, before any fork (see the module docstring)

    def __getstate__(self) -> dict[str, Any]:
        """Return the fields to pickle, without the progress callback."""
        # a progress callback belongs to the process that made it
        return {**self.__dict__, "on_solution": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore the pickled fields."""
        self.__dict__.update(state)

    @property
    def name(self) -> str:
        """``ortools``."""
        return "ortools"

    def supports(self, problem: Problem) -> str | None:
        """Return None: OR-Tools expresses the whole model (a reason only when there is nothing)."""
        return common_reason(problem)

    def solve(
        self,
        problem: Problem,
        params: SolveParams,
        start: Sequences | None,
        deadline: float,
        *,
        work: int | None = None,
    ) -> Answer | None:
        """Return OR-Tools' best sequences found by ``deadline`` (None if it found none).

        ``work`` caps the solutions (with ``params.solution_limit``, the lower
        wins). With ``params.reproducible`` each sub-search gets
        :data:`REPRODUCIBLE_LNS_S` instead of ``lns_time_limit_s``, so none of
        them ends by the clock.
        """
        pywrapcp, enums = _ortools()
        model = _Model(problem, self.required_penalty)
        search = _search_parameters(pywrapcp, enums, params, self.first_solution)
        limits = [n for n in (work, params.solution_limit) if n is not None]
        if limits:
            search.solution_limit = max(1, min(limits))
        lns_s = max(self.lns_time_limit_s, REPRODUCIBLE_LNS_S if params.reproducible else 0.0)
        search.lns_time_limit.FromMilliseconds(int(lns_s * 1000))
        _set_time(search, deadline)
        model.routing.CloseModelWithParameters(search)
        # OR-Tools keeps no reference to the callback: ``model`` holds it for the search
        model.watch(self.on_solution)
        assignment = None
        if start is not None:
            routes = [[model.manager.NodeToIndex(v) for v in seq] for seq in start]
            assignment = model.routing.ReadAssignmentFromRoutes(routes, True)
        _set_time(search, deadline)
        if assignment is not None:
            solution = model.routing.SolveFromAssignmentWithParameters(assignment, search)
        else:
            solution = model.routing.SolveWithParameters(search)
        if solution is None:
            return None
        return Answer(model.sequences(solution), _status_name(enums, model.routing.status()))


def _set_time(search: Any, deadline: float) -> None:
    """Set the search's time limit to what is left before ``deadline``."""
    remaining = max(_MIN_SEARCH_S, deadline - time.perf_counter())
    search.time_limit.FromMilliseconds(int(remaining * 1000))


def _search_parameters(pywrapcp: Any, enums: Any, params: SolveParams, first: str) -> Any:
    """Return OR-Tools' search parameters for ``params``."""
    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = getattr(enums.FirstSolutionStrategy, first)
    search.local_search_metaheuristic = getattr(
        enums.LocalSearchMetaheuristic, params.metaheuristic.value
    )
    search.log_search = params.log_search
    return search


def _status_name(enums: Any, code: int) -> str:
    """Return the name of an OR-Tools routing search status."""
    try:
        return str(enums.RoutingSearchStatus.Value.Name(code))
    except ValueError:
        return f"ROUTING_STATUS_{code}"


class _Model:
    """An OR-Tools routing model of a problem: visits are nodes ``0..n-1``, then depots."""

    def __init__(self, problem: Problem, required_penalty: int | None) -> None:
        pywrapcp, _ = _ortools()
        self.p = problem
        self.nvis = len(problem.visits)
        fleet = problem.vehicles
        depots = sorted({v.start_node for v in fleet} | {v.end_node for v in fleet})
        depot_index = {node: self.nvis + j for j, node in enumerate(depots)}
        self.nodes = np.array([v.node for v in problem.visits] + depots, dtype=np.int64)
        self.service = np.zeros(len(self.nodes), dtype=np.int64)
        self.service[: self.nvis] = [v.service_s for v in problem.visits]
        self.manager = pywrapcp.RoutingIndexManager(
            len(self.nodes),
            len(fleet),
            [depot_index[v.start_node] for v in fleet],
            [depot_index[v.end_node] for v in fleet],
        )
        self.routing = pywrapcp.RoutingModel(self.manager)
        self.callback: Callable[[], None] | None = None
        self.horizon = max(v.shift_end_s for v in fleet) + 1
        self.time = self._add_travel()
        self._add_load()
        self._add_serve_costs()
        home = problem.home_vehicles()
        self.leaving = [
            v.move_cost if h is not None else 0 for v, h in zip(problem.visits, home, strict=True)
        ]
        self._add_moves(home)
        for i in range(self.nvis):
            self._add_visit(i, required_penalty)
        self._add_breaks()

    def _add_travel(self) -> Any:
        """Register arc costs and the time dimension (one evaluator per travel profile)."""
        p, routing, nvis = self.p, self.routing, self.nvis
        profiles = sorted({v.profile for v in p.vehicles})
        cost_cb: dict[int, int] = {}
        time_cb: dict[int, int] = {}
        for prof in profiles:
            mat = p.durations_s[prof][np.ix_(self.nodes, self.nodes)].astype(np.int64)
            cost = mat.copy()
            cost[nvis:, nvis:] = 0  # an unused vehicle travels nowhere
            cost_cb[prof] = routing.RegisterTransitMatrix(cost.tolist())
            time_cb[prof] = routing.RegisterTransitMatrix((mat + self.service[:, None]).tolist())
        if len(profiles) == 1:
            # one evaluator for all lets OR-Tools treat the vehicles as one class
            routing.SetArcCostEvaluatorOfAllVehicles(cost_cb[profiles[0]])
            routing.AddDimension(time_cb[profiles[0]], self.horizon, self.horizon, False, "Time")
        else:
            for j, v in enumerate(p.vehicles):
                routing.SetArcCostEvaluatorOfVehicle(cost_cb[v.profile], j)
            evaluators = [time_cb[v.profile] for v in p.vehicles]
            routing.AddDimensionWithVehicleTransits(
                evaluators, self.horizon, self.horizon, False, "Time"
            )
        tdim = routing.GetDimensionOrDie("Time")
        for j, v in enumerate(p.vehicles):
            tdim.CumulVar(routing.Start(j)).SetRange(v.shift_start_s, v.shift_end_s)
            tdim.CumulVar(routing.End(j)).SetRange(v.shift_start_s, v.shift_end_s)
        return tdim

    def _add_load(self) -> None:
        """Add the load dimension: demand against ``min(max_visits, capacity)``, soft bands."""
        p = self.p
        caps = [p.load_limit(k) for k in range(len(p.vehicles))]
        demand = [v.demand for v in p.visits] + [0] * (len(self.nodes) - self.nvis)
        load_cb = self.routing.RegisterUnaryTransitVector(demand)
        self.routing.AddDimensionWithVehicleCapacity(load_cb, 0, caps, True, "Load")
        load = self.routing.GetDimensionOrDie("Load")
        for k, veh in enumerate(p.vehicles):
            if veh.visit_band is not None and veh.band_cost > 0:
                # a day's visits outside its band cost band_cost each (Vehicle.visit_band)
                end = self.routing.End(k)
                load.SetCumulVarSoftLowerBound(end, veh.visit_band[0], veh.band_cost)
                load.SetCumulVarSoftUpperBound(end, veh.visit_band[1], veh.band_cost)

    def _add_serve_costs(self) -> None:
        """Charge each visit's serve cost on each vehicle (``Visit.serve_cost``; the week plan).

        A ``Serve`` dimension counts them: one unary transit vector per
        vehicle, its span cost charged one for one.
        """
        if not self.p.has_serve_costs():
            return
        pad = [0] * (len(self.nodes) - self.nvis)
        costs = [v.serve_cost or (0,) * len(self.p.vehicles) for v in self.p.visits]
        evaluators = [
            self.routing.RegisterUnaryTransitVector([int(c[k]) for c in costs] + pad)
            for k in range(len(self.p.vehicles))
        ]
        total = sum(max(c) for c in costs) + 1
        self.routing.AddDimensionWithVehicleTransits(evaluators, 0, total, True, "Serve")
        self.routing.GetDimensionOrDie("Serve").SetSpanCostCoefficientForAllVehicles(1)

    def _add_moves(self, home: tuple[int | None, ...]) -> None:
        """Charge each visit's move cost on every vehicle but its current one (re-planning)."""
        if not any(self.leaving):
            return
        pad = [0] * (len(self.nodes) - self.nvis)
        evaluators = [
            self.routing.RegisterUnaryTransitVector(
                [c if home[i] != k else 0 for i, c in enumerate(self.leaving)] + pad
            )
            for k in range(len(self.p.vehicles))
        ]
        total = sum(self.leaving) + 1
        self.routing.AddDimensionWithVehicleTransits(evaluators, 0, total, True, "Moves")
        self.routing.GetDimensionOrDie("Moves").SetSpanCostCoefficientForAllVehicles(1)

    def _add_visit(self, i: int, required_penalty: int | None) -> None:
        """Constrain visit ``i``: windows, skip penalty, allowed vehicles."""
        visit = self.p.visits[i]
        routing = self.routing
        index = self.manager.NodeToIndex(i)
        windows = [(max(lo, 0), min(hi, self.horizon)) for lo, hi in visit.windows]
        windows = [(lo, hi) for lo, hi in windows if lo <= hi]
        optional = not visit.required or required_penalty is not None
        if not windows:
            # cannot be served by any vehicle of this problem: keep it out of every route
            routing.VehicleVar(index).SetValues([-1])
            windows = [(0, self.horizon)]
        cumul = self.time.CumulVar(index)
        cumul.SetRange(windows[0][0], windows[-1][1])
        for (_, hi), (lo, _) in itertools.pairwise(windows):
            if lo - hi > 1:
                cumul.RemoveInterval(hi + 1, lo - 1)
        if optional:
            penalty = required_penalty if visit.required else visit.prize + self.leaving[i]
            routing.AddDisjunction([index], int(penalty or 0))
        if visit.allowed_vehicles is not None:
            allowed = sorted(visit.allowed_vehicles)
            # -1 keeps the visit droppable (SetAllowedVehiclesForIndex fails from Python)
            routing.VehicleVar(index).SetValues(([-1] if optional else []) + allowed)

    def _add_breaks(self) -> None:
        """Give each vehicle with a break an OR-Tools break interval (never during a service)."""
        routing = self.routing
        transits = [int(self.service[self.manager.IndexToNode(i)]) for i in range(routing.Size())]
        solver = routing.solver()
        for j, v in enumerate(self.p.vehicles):
            if not has_break(self.p, j):
                continue
            assert v.break_window is not None
            lo = max(v.break_window[0], v.shift_start_s)
            hi = min(v.break_window[1], v.shift_end_s - v.break_s)
            interval = solver.FixedDurationIntervalVar(lo, hi, v.break_s, False, f"break {v.id}")
            self.time.SetBreakIntervalsOfVehicle([interval], j, transits)

    def watch(self, on_solution: Callable[[int], None] | None) -> None:
        """Call ``on_solution`` with the objective of each solution the search finds."""
        if on_solution is None:
            return
        routing = self.routing

        def seen() -> None:
            on_solution(int(routing.CostVar().Value()))

        self.callback = seen
        routing.AddAtSolutionCallback(seen)

    def sequences(self, solution: Any) -> Sequences:
        """Return the visit sequence of every vehicle in ``solution``."""
        routing = self.routing
        out = []
        for j in range(len(self.p.vehicles)):
            seq = []
            index = solution.Value(routing.NextVar(routing.Start(j)))
            while not routing.IsEnd(index):
                seq.append(int(self.manager.IndexToNode(index)))
                index = solution.Value(routing.NextVar(index))
            out.append(tuple(seq))
        return tuple(out)
