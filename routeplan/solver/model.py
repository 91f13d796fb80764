"""The solver boundary: a frozen problem in, a frozen result out.

Everything here is plain integers (seconds, metres, money converted to
seconds) and numpy arrays; no OR-Tools object crosses this boundary.

Nodes
-----
Matrices are indexed by *node*. Each visit has one node (``Visit.node``) and
each vehicle a start and an end node (``Vehicle.start_node`` /
``Vehicle.end_node``). Nodes may be shared (two agents starting from the same
office). Times are seconds after local midnight of the plan date.

Semantics
---------
* A route leaves ``start_node`` no earlier than ``shift_start_s`` and reaches
  ``end_node`` no later than ``shift_end_s``.
* Travel from node ``i`` to ``j`` takes ``durations_s[vehicle.profile][i, j]``
  seconds and covers ``distance_m[i, j]`` metres.
* A visit's service starts inside one of its ``windows`` (inclusive
  ``[earliest, latest]`` service-start times) and lasts ``service_s``;
  arriving early means waiting.
* A vehicle serves at most ``max_visits`` visits (sum of ``Visit.demand``).
* A break of ``break_s`` seconds starts inside ``break_window``; it may fall
  while waiting or between two stops, never during a service.
* A visit may only be served by the vehicles in ``allowed_vehicles`` (None =
  any vehicle).
* Skipping a visit costs ``prize``; travel costs one unit per second. The
  objective is ``sum(travel seconds) + sum(prizes of skipped visits)``.
* Serving visit ``i`` with vehicle ``k`` costs ``visits[i].serve_cost[k]`` on
  top (None = nothing): the week plan's way of making a later day, or an agent
  other than the debtor's own, worth less (``routeplan.week``). Engines that
  cannot express it decline such problems.
* Re-planning (``Problem.current_routes``, None otherwise): a visit on a
  vehicle's current route that is served by another vehicle, or skipped,
  also costs its ``move_cost`` (stability: what is in force changes only when
  it pays). The construction keeps each current route's order. Serve costs
  and move costs are separate terms and both count.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

# the parameters live in their own module; re-exported for ``from routeplan.solver.model import``
from routeplan.solver.params import SolveParams as SolveParams

Window = tuple[int, int]


@dataclass(frozen=True)
class Visit:
    """A stop that may be served (or skipped at the cost of its prize)."""

    id: str
    node: int
    service_s: int
    windows: tuple[Window, ...]
    prize: int
    demand: int = 1
    allowed_vehicles: tuple[int, ...] | None = None
    #: a mandatory visit has no skip option (used by the VRPTW benchmarks)
    required: bool = False
    #: seconds serving it costs on each vehicle, on top of travel (None = 0 everywhere)
    serve_cost: tuple[int, ...] | None = None
    #: re-planning: what serving this visit on another vehicle than the one whose
    #: current route holds it (``Problem.current_routes``), or skipping it, adds
    #: to the objective; 0 (and no current route) = free to move
    move_cost: int = 0

    def __post_init__(self) -> None:
        """Refuse a negative service time or prize and unsorted, overlapping or no windows."""
        if self.service_s < 0:
            raise ValueError(f"visit {self.id}: service_s must be >= 0")
        if not self.windows:
            raise ValueError(f"visit {self.id}: needs at least one window")
        prev_end = -1
        for lo, hi in self.windows:
            if lo > hi or lo <= prev_end:
                raise ValueError(f"visit {self.id}: windows must be sorted and disjoint")
            prev_end = hi
        if self.prize < 0:
            raise ValueError(f"visit {self.id}: prize must be >= 0")
        if self.serve_cost is not None and min(self.serve_cost, default=0) < 0:
            raise ValueError(f"visit {self.id}: serve_cost must be >= 0")
        if self.move_cost < 0:
            raise ValueError(f"visit {self.id}: move_cost must be >= 0")


@dataclass(frozen=True)
class Vehicle:
    """An agent's day."""

    id: str
    start_node: int
    end_node: int
    shift_start_s: int
    shift_end_s: int
    max_visits: int
    profile: int = 0
    break_window: Window | None = None
    break_s: int = 0
    #: soft range of visits (demand) this day should hold: each one outside it adds
    #: ``band_cost`` seconds to the objective (the week plan's balance); None = no range
    visit_band: tuple[int, int] | None = None
    band_cost: int = 0

    def __post_init__(self) -> None:
        """Refuse a shift that ends before it starts, a reversed break window or band."""
        if self.shift_end_s < self.shift_start_s:
            raise ValueError(f"vehicle {self.id}: shift ends before it starts")
        if self.visit_band is not None and not 0 <= self.visit_band[0] <= self.visit_band[1]:
            raise ValueError(f"vehicle {self.id}: visit band must be 0 <= low <= high")
        if self.band_cost < 0:
            raise ValueError(f"vehicle {self.id}: band_cost must be >= 0")
        if self.break_window is not None and self.break_s > 0:
            lo, hi = self.break_window
            if lo > hi:
                raise ValueError(f"vehicle {self.id}: break window is reversed")


@dataclass(frozen=True)
class Problem:
    """A frozen routing problem.

    ``distance_m`` is an ``(n, n)`` int64 matrix; ``durations_s`` one
    ``(n, n)`` int64 matrix per travel profile (agents with different speeds).
    """

    distance_m: NDArray[np.int64]
    durations_s: tuple[NDArray[np.int64], ...]
    visits: tuple[Visit, ...]
    vehicles: tuple[Vehicle, ...]
    #: vehicle capacity in ``Visit.demand`` units on top of ``max_visits``
    #: (None = only ``max_visits``); the VRPTW benchmarks use it for load
    capacity: tuple[int, ...] | None = None
    #: re-planning: the routes in force, one visit sequence per vehicle (None = a
    #: fresh day). A visit on one of them pays its ``move_cost`` when served elsewhere
    #: or skipped, and the construction puts it back only in its current order
    current_routes: tuple[tuple[int, ...], ...] | None = None

    def __post_init__(self) -> None:
        """Refuse matrices, nodes, profiles and capacities that do not fit together."""
        n = self.distance_m.shape[0]
        if self.distance_m.shape != (n, n):
            raise ValueError("distance_m must be square")
        for d in self.durations_s:
            if d.shape != (n, n):
                raise ValueError("every durations_s matrix must match distance_m")
        for v in self.visits:
            if not 0 <= v.node < n:
                raise ValueError(f"visit {v.id}: node {v.node} out of range")
            if v.serve_cost is not None and len(v.serve_cost) != len(self.vehicles):
                raise ValueError(f"visit {v.id}: serve_cost needs one value per vehicle")
        for k in self.vehicles:
            if not (0 <= k.start_node < n and 0 <= k.end_node < n):
                raise ValueError(f"vehicle {k.id}: node out of range")
            if not 0 <= k.profile < len(self.durations_s):
                raise ValueError(f"vehicle {k.id}: profile {k.profile} out of range")
        if self.capacity is not None and len(self.capacity) != len(self.vehicles):
            raise ValueError("capacity needs one value per vehicle")
        if self.current_routes is not None:
            self._check_current_routes()

    def _check_current_routes(self) -> None:
        """Refuse current routes that are not one sequence per vehicle of distinct visits."""
        assert self.current_routes is not None
        if len(self.current_routes) != len(self.vehicles):
            raise ValueError("current_routes needs one sequence per vehicle")
        seen: set[int] = set()
        for seq in self.current_routes:
            for v in seq:
                if not 0 <= v < len(self.visits):
                    raise ValueError(f"current_routes: visit index {v} out of range")
                if v in seen:
                    raise ValueError(f"current_routes: visit {self.visits[v].id} is on two routes")
                seen.add(v)

    def home_vehicles(self) -> tuple[int | None, ...]:
        """Return, per visit, the vehicle whose current route holds it (None: on none)."""
        home: list[int | None] = [None] * len(self.visits)
        for k, seq in enumerate(self.current_routes or ()):
            for v in seq:
                home[v] = k
        return tuple(home)

    def has_serve_costs(self) -> bool:
        """Return True when some visit costs more on some vehicle (``Visit.serve_cost``)."""
        return any(v.serve_cost is not None and any(v.serve_cost) for v in self.visits)

    def has_visit_bands(self) -> bool:
        """Return True when some vehicle's day carries a soft visit range with a cost."""
        return any(v.visit_band is not None and v.band_cost > 0 for v in self.vehicles)

    @property
    def num_nodes(self) -> int:
        """Number of matrix nodes."""
        return int(self.distance_m.shape[0])

    def load_limit(self, vehicle: int) -> int:
        """Return the most demand ``vehicle`` may serve: ``max_visits``, capped by ``capacity``."""
        cap = self.vehicles[vehicle].max_visits
        if self.capacity is not None:
            cap = min(cap, self.capacity[vehicle])
        return int(cap)

    def duration(self, vehicle: int, i: int, j: int) -> int:
        """Return travel seconds of ``vehicle`` from node ``i`` to node ``j``."""
        return int(self.durations_s[self.vehicles[vehicle].profile][i, j])

    def restrict(self, vehicles: Sequence[int], visits: Sequence[int]) -> Problem:
        """Return the problem of some of the vehicles and visits, numbered in the given order.

        The matrices are shared, not copied (nodes keep their numbers);
        vehicle ``j`` of the result is ``vehicles[j]`` and visit ``i`` is
        ``visits[i]``; ``allowed_vehicles`` are renumbered and keep only the
        given vehicles. Current routes keep the given vehicles' visits that are
        among the given ones: a visit whose current vehicle is left out has
        left its route whatever the part does, so its move cost is constant
        there and not charged.
        """
        local = {k: j for j, k in enumerate(vehicles)}
        part = []
        for v in visits:
            visit = self.visits[v]
            if visit.allowed_vehicles is not None:
                allowed = tuple(sorted(local[k] for k in visit.allowed_vehicles if k in local))
                visit = replace(visit, allowed_vehicles=allowed)
            if visit.serve_cost is not None:
                visit = replace(visit, serve_cost=tuple(visit.serve_cost[k] for k in vehicles))
            part.append(visit)
        capacity = None if self.capacity is None else tuple(self.capacity[k] for k in vehicles)
        fleet = tuple(self.vehicles[k] for k in vehicles)
        current = None
        if self.current_routes is not None:
            pos = {v: i for i, v in enumerate(visits)}
            current = tuple(
                tuple(pos[v] for v in self.current_routes[k] if v in pos) for k in vehicles
            )
        return Problem(self.distance_m, self.durations_s, tuple(part), fleet, capacity, current)


@dataclass(frozen=True)
class Route:
    """One vehicle's day in a result.

    ``service_start_s[k]`` is when service of ``visits[k]`` starts;
    ``depart_s`` is the departure from the start node and ``return_s`` the
    arrival at the end node. ``break_start_s`` is None when the vehicle has no
    break (or an empty route).
    """

    vehicle: int
    visits: tuple[int, ...]
    service_start_s: tuple[int, ...]
    depart_s: int
    return_s: int
    break_start_s: int | None = None


class SolveStatus(StrEnum):
    """How a solve ended (``Result.status``, ``summary.json``'s ``solver.status``)."""

    #: a search improved on the construction; its plan passed the check
    FEASIBLE = "feasible"
    #: the construction's plan is returned (no time to search, no search did
    #: better, or the searched plan failed the final check)
    CONSTRUCTION = "construction"
    #: some required visit cannot be served by any vehicle (the rest is feasible)
    REQUIRED_UNSERVED = "required-unserved"
    #: nothing to route: no visits or no vehicles
    EMPTY = "empty"
    #: no search: the routes are a dispatcher's order, re-timed (``routeplan retime``)
    RETIMED = "retimed"


class SolveMode(StrEnum):
    """What bounds a solve (``Result.mode``, ``summary.json``'s ``solver.mode``)."""

    #: the clock: the search stops at the time limit (the default)
    TIME_LIMITED = "time-limited"
    #: the work (iterations, solutions): the same inputs, settings and seed give the same plan
    REPRODUCIBLE = "reproducible"


class SearchOutcome(StrEnum):
    """What became of one search of a solve (``SearchReport.outcome``)."""

    #: its plan was kept
    KEPT = "kept"
    #: it answered, but its plan did not beat the current one
    NOT_BETTER = "not-better"
    #: it gave no plan (no feasible plan, an error, or no answer in time)
    NO_PLAN = "no-plan"
    #: it did not run; ``detail`` says why (e.g. the engine cannot express the day)
    DECLINED = "declined"


@dataclass(frozen=True)
class SearchReport:
    """One search of a solve: which engine, what became of it, and why."""

    #: the engine, e.g. ``ortools``, ``pyvrp``, ``vroom+ortools`` (a VROOM start for OR-Tools)
    engine: str
    outcome: SearchOutcome
    detail: str = ""


@dataclass(frozen=True)
class Result:
    """What a solve returns.

    ``routes`` has one entry per vehicle (empty routes included, in vehicle
    order); ``dropped`` lists the indices of visits not served. ``engine``
    names the search whose plan was kept (``construction``,
    ``construction+ortools``, ``pyvrp``, ``vroom+ortools``, ...);
    ``searches`` says what every search did, or why it did not run;
    ``mode`` what bounded the search (the clock, or a fixed amount of work).
    """

    routes: tuple[Route, ...]
    dropped: tuple[int, ...]
    objective: int
    status: SolveStatus
    runtime_s: float
    first_solution_s: float | None = None
    engine: str = "ortools"
    log: tuple[str, ...] = field(default_factory=tuple)
    searches: tuple[SearchReport, ...] = ()
    mode: SolveMode = SolveMode.TIME_LIMITED

    def num_served(self) -> int:
        """Return the number of visits served."""
        return sum(len(r.visits) for r in self.routes)


#: ``progress(message)`` is called with one-line updates during a solve.
Progress = Callable[[str], None]

#: skip cost of a required visit in the solver's comparisons (and in OR-Tools' model when
#: the construction could not place one): more than any plan's travel
REQUIRED_PENALTY = 10**12


def plan_cost(
    problem: Problem,
    sequences: Sequence[Sequence[int]],
    *,
    vehicles: Sequence[int] | None = None,
    visits: Iterable[int] | None = None,
    required_penalty: int | None = None,
) -> int:
    """Return travel seconds of ``sequences`` plus the skip costs of what they leave out.

    The serve costs of the visits on them (``Visit.serve_cost``) count as travel,
    and so does each visit a vehicle's day holds outside its ``visit_band``.

    Parameters
    ----------
    problem
        The problem the sequences belong to.
    sequences
        Visit indices in order, one sequence per entry of ``vehicles``.
    vehicles
        The vehicle of each sequence (default: vehicle ``j`` for sequence ``j``).
    visits
        The visits whose skipping counts (default: all); a visit on none of
        ``sequences`` costs its prize.
    required_penalty
        What skipping a required visit costs (default: its prize, as in the
        objective; the solver uses :data:`REQUIRED_PENALTY` to compare plans).

    With current routes (re-planning), a visit served by another vehicle than
    its current one, or skipped, adds its ``move_cost``.
    """
    veh = range(len(sequences)) if vehicles is None else vehicles
    home = problem.home_vehicles() if problem.current_routes is not None else None
    served: set[int] = set()
    travel = 0
    for k, seq in zip(veh, sequences, strict=True):
        served.update(seq)
        travel += serve_costs(problem, k, seq) + band_cost(problem, k, seq)
        if home is not None:
            travel += sum(
                problem.visits[v].move_cost for v in seq if home[v] is not None and home[v] != k
            )
        if seq:
            nodes = [problem.vehicles[k].start_node]
            nodes += [problem.visits[v].node for v in seq]
            nodes.append(problem.vehicles[k].end_node)
            mat = problem.durations_s[problem.vehicles[k].profile]
            travel += int(mat[nodes[:-1], nodes[1:]].sum())
    skipped = 0
    for v in range(len(problem.visits)) if visits is None else visits:
        if v not in served:
            visit = problem.visits[v]
            penalty = required_penalty if visit.required and required_penalty is not None else None
            skipped += visit.prize if penalty is None else penalty
            if home is not None and home[v] is not None:
                skipped += visit.move_cost
    return travel + skipped


def serve_costs(problem: Problem, vehicle: int, seq: Sequence[int]) -> int:
    """Return the serve costs of ``seq``'s visits on ``vehicle`` (``Visit.serve_cost``)."""
    total = 0
    for v in seq:
        cost = problem.visits[v].serve_cost
        if cost is not None:
            total += cost[vehicle]
    return total


def band_excess(lo: int, hi: int, load: Any) -> Any:
    """Return how many visits ``load`` (a number or an array of them) lies outside ``[lo, hi]``."""
    return np.maximum(0, lo - load) + np.maximum(0, load - hi)


def band_cost(problem: Problem, vehicle: int, seq: Sequence[int]) -> int:
    """Return what ``seq`` on ``vehicle`` pays for lying outside its ``visit_band``."""
    veh = problem.vehicles[vehicle]
    if veh.visit_band is None or veh.band_cost <= 0:
        return 0
    load = sum(problem.visits[v].demand for v in seq)
    return veh.band_cost * int(band_excess(*veh.visit_band, load))


def route_cost(problem: Problem, routes: Sequence[Route]) -> int:
    """Return the objective of ``routes``: travel seconds + prizes skipped (+ move costs).

    An independent evaluator used by tests and benchmarks; it does not check
    feasibility (see ``routeplan.check`` and ``benchmarks`` for that).
    """
    return plan_cost(problem, [r.visits for r in routes], vehicles=[r.vehicle for r in routes])
