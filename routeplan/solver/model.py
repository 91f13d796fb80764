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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

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

    def __post_init__(self) -> None:
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

    def __post_init__(self) -> None:
        if self.shift_end_s < self.shift_start_s:
            raise ValueError(f"vehicle {self.id}: shift ends before it starts")
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

    def __post_init__(self) -> None:
        n = self.distance_m.shape[0]
        if self.distance_m.shape != (n, n):
            raise ValueError("distance_m must be square")
        for d in self.durations_s:
            if d.shape != (n, n):
                raise ValueError("every durations_s matrix must match distance_m")
        for v in self.visits:
            if not 0 <= v.node < n:
                raise ValueError(f"visit {v.id}: node {v.node} out of range")
        for k in self.vehicles:
            if not (0 <= k.start_node < n and 0 <= k.end_node < n):
                raise ValueError(f"vehicle {k.id}: node out of range")
            if not 0 <= k.profile < len(self.durations_s):
                raise ValueError(f"vehicle {k.id}: profile {k.profile} out of range")
        if self.capacity is not None and len(self.capacity) != len(self.vehicles):
            raise ValueError("capacity needs one value per vehicle")

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


@dataclass(frozen=True)
class Result:
    """What a solve returns.

    ``routes`` has one entry per vehicle (empty routes included, in vehicle
    order); ``dropped`` lists the indices of visits not served.
    """

    routes: tuple[Route, ...]
    dropped: tuple[int, ...]
    objective: int
    status: str
    runtime_s: float
    first_solution_s: float | None = None
    engine: str = "ortools"
    log: tuple[str, ...] = field(default_factory=tuple)

    def num_served(self) -> int:
        """Return the number of visits served."""
        return sum(len(r.visits) for r in self.routes)


SECOND_ENGINES = ("auto", "ortools", "pyvrp")


@dataclass(frozen=True)
class SolveParams:
    """How long and how hard to search.

    ``time_limit_s`` bounds the whole solve (construction included);
    ``solution_limit`` stops OR-Tools after that many solutions.
    """

    time_limit_s: float = 30.0
    solution_limit: int | None = None
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    #: split problems with more visits than this into areas solved in turn
    max_area_visits: int = 1000
    seed: int = 0
    log_search: bool = False
    #: the search on the other core: "auto" (PyVRP where it expresses the day
    #: exactly, else OR-Tools), "pyvrp" (also when a visit has several windows,
    #: searched in one of them) or "ortools" (never PyVRP)
    second_engine: str = "auto"

    def __post_init__(self) -> None:
        if self.second_engine not in SECOND_ENGINES:
            raise ValueError(f"second_engine must be one of {', '.join(SECOND_ENGINES)}")
        if self.time_limit_s <= 0:
            raise ValueError("time_limit_s must be > 0")
        if self.solution_limit is not None and self.solution_limit < 1:
            raise ValueError("solution_limit must be >= 1")


#: ``progress(message)`` is called with one-line updates during a solve.
Progress = Callable[[str], None]


def route_cost(problem: Problem, routes: Sequence[Route]) -> int:
    """Return the objective of ``routes``: travel seconds + prizes skipped.

    An independent evaluator used by tests and benchmarks; it does not check
    feasibility (see ``routeplan.check`` and ``benchmarks`` for that).
    """
    served: set[int] = set()
    travel = 0
    for r in routes:
        veh = problem.vehicles[r.vehicle]
        if not r.visits:
            continue
        prev = veh.start_node
        for v in r.visits:
            node = problem.visits[v].node
            travel += problem.duration(r.vehicle, prev, node)
            prev = node
            served.add(v)
        travel += problem.duration(r.vehicle, prev, veh.end_node)
    skipped = sum(v.prize for i, v in enumerate(problem.visits) if i not in served)
    return travel + skipped
