"""Independent readers and checkers for the benchmarks (no solver code is imported).

* :func:`read_solomon` parses the Solomon / Gehring-Homberger text format.
* :func:`check_vrptw` checks VRPTW routes (customer ids per route) in the
  DIMACS convention (every arc truncated to one decimal, times included) and
  also with exact float64 times, and returns both distances.
* :func:`evaluate_plan` re-times visit sequences on a
  :class:`routeplan.solver.model.Problem` (windows, shifts, breaks, load,
  allowed vehicles) and returns feasibility and the objective (travel
  seconds + prizes of skipped visits). It is the one evaluator used to
  compare routeplan and PyVRP on the collection days.

This code deliberately re-implements timing instead of reusing
``routeplan.solver.schedule``, so a bug there cannot hide here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from routeplan.solver.model import Problem


@dataclass(frozen=True)
class Instance:
    """A VRPTW instance; row 0 is the depot."""

    name: str
    vehicles: int
    capacity: int
    xy: NDArray[np.float64]
    demand: NDArray[np.int64]
    ready: NDArray[np.int64]
    due: NDArray[np.int64]
    service: NDArray[np.int64]

    @property
    def customers(self) -> int:
        """Return the number of customers."""
        return len(self.demand) - 1

    def exact(self) -> NDArray[np.float64]:
        """Return the float64 Euclidean distance matrix."""
        d = self.xy[:, None, :] - self.xy[None, :, :]
        return np.sqrt((d**2).sum(axis=2))

    def tenths(self) -> NDArray[np.int64]:
        """Return distances in tenths, truncated (DIMACS: one decimal, truncated)."""
        return np.floor(self.exact() * 10.0 + 1e-9).astype(np.int64)


def read_solomon(path: Path) -> Instance:
    """Read a Solomon-format instance file.

    Raises
    ------
    ValueError
        Naming the file when the VEHICLE or CUSTOMER section is missing.
    """
    lines = [ln.split() for ln in path.read_text().splitlines()]
    lines = [ln for ln in lines if ln]
    name = lines[0][0]
    try:
        vi = next(i for i, ln in enumerate(lines) if ln[0].upper() == "VEHICLE")
        ci = next(i for i, ln in enumerate(lines) if ln[0].upper() == "CUSTOMER")
    except StopIteration:
        raise ValueError(f"{path}: not a Solomon instance (VEHICLE/CUSTOMER missing)") from None
    vehicles, capacity = int(lines[vi + 2][0]), int(lines[vi + 2][1])
    rows = [ln for ln in lines[ci + 1 :] if ln[0].lstrip("-").isdigit()]
    data = np.array([[float(x) for x in ln[:7]] for ln in rows])
    return Instance(
        name=name,
        vehicles=vehicles,
        capacity=capacity,
        xy=data[:, 1:3],
        demand=data[:, 3].astype(np.int64),
        ready=data[:, 4].astype(np.int64),
        due=data[:, 5].astype(np.int64),
        service=data[:, 6].astype(np.int64),
    )


@dataclass
class VrptwCheck:
    """Outcome of :func:`check_vrptw`."""

    feasible: bool
    feasible_exact: bool
    vehicles: int
    distance_t1: float
    distance_exact: float
    problems: list[str] = field(default_factory=list)


def check_vrptw(inst: Instance, routes: Sequence[Sequence[int]]) -> VrptwCheck:
    """Check routes of customer ids (1..n) against ``inst``.

    Feasibility: each customer exactly once, load <= capacity, at most the
    fleet size of non-empty routes, service start in [ready, due] and return
    by the depot's due date, with truncated one-decimal travel times
    (``feasible``) and with exact float64 times (``feasible_exact``).
    """
    problems: list[str] = []
    t1 = inst.tenths()
    ex = inst.exact()
    used = [list(r) for r in routes if len(r)]
    seen: dict[int, int] = {}
    for r in used:
        for c in r:
            seen[c] = seen.get(c, 0) + 1
    for c in range(1, inst.customers + 1):
        if seen.get(c, 0) != 1:
            problems.append(f"customer {c} served {seen.get(c, 0)} times")
    if any(not 1 <= c <= inst.customers for c in seen):
        problems.append("unknown customer id")
        return VrptwCheck(False, False, len(used), math.inf, math.inf, problems)
    if len(used) > inst.vehicles:
        problems.append(f"{len(used)} routes > fleet {inst.vehicles}")
    exact_ok = not problems
    dist_t1 = 0
    dist_ex = 0.0
    for ri, r in enumerate(used):
        load = int(inst.demand[r].sum())
        if load > inst.capacity:
            problems.append(f"route {ri}: load {load} > {inst.capacity}")
            exact_ok = False
        t_int = 0  # tenths
        t_ex = 0.0
        prev = 0
        for c in r:
            dist_t1 += int(t1[prev, c])
            dist_ex += float(ex[prev, c])
            t_int = max(t_int + int(t1[prev, c]), int(inst.ready[c]) * 10)
            t_ex = max(t_ex + float(ex[prev, c]), float(inst.ready[c]))
            if t_int > int(inst.due[c]) * 10:
                problems.append(f"route {ri}: customer {c} late")
            if t_ex > float(inst.due[c]) + 1e-9:
                exact_ok = False
            t_int += int(inst.service[c]) * 10
            t_ex += float(inst.service[c])
            prev = c
        dist_t1 += int(t1[prev, 0])
        dist_ex += float(ex[prev, 0])
        if t_int + int(t1[prev, 0]) > int(inst.due[0]) * 10:
            problems.append(f"route {ri}: returns late")
        if t_ex + float(ex[prev, 0]) > float(inst.due[0]) + 1e-9:
            exact_ok = False
    return VrptwCheck(not problems, exact_ok, len(used), dist_t1 / 10.0, dist_ex, problems)


@dataclass
class PlanEval:
    """Outcome of :func:`evaluate_plan`."""

    feasible: bool
    objective: int
    travel_s: int
    served: int
    prize_served: int
    problems: list[str] = field(default_factory=list)


def _earliest(windows: Sequence[tuple[int, int]], t: int) -> int | None:
    best = None
    for lo, hi in windows:
        if lo <= t <= hi:
            return t
        if t < lo and (best is None or lo < best):
            best = lo
    return best


def _simulate(
    problem: Problem, k: int, seq: Sequence[int], brk_gap: int | None
) -> tuple[bool, int]:
    """Return (feasible, return time) of ``seq`` with the break before stop ``brk_gap``."""
    veh = problem.vehicles[k]
    mat = problem.durations_s[veh.profile]
    t = veh.shift_start_s
    at = veh.start_node
    stops = [*list(seq), None]
    for i, v in enumerate(stops):
        dest = veh.end_node if v is None else problem.visits[v].node
        travel = int(mat[at, dest])
        if brk_gap == i:
            assert veh.break_window is not None
            b_lo, b_hi = veh.break_window
            b_start = t if t >= b_lo else b_lo
            if b_start > b_hi:
                return False, 0
            arrive = max(t + travel, b_lo) + veh.break_s
        else:
            arrive = t + travel
        if v is None:
            return arrive <= veh.shift_end_s, arrive
        start = _earliest(problem.visits[v].windows, arrive)
        if start is None:
            return False, 0
        t = start + problem.visits[v].service_s
        at = dest
    return False, 0  # pragma: no cover


def evaluate_plan(problem: Problem, sequences: Sequence[Sequence[int]]) -> PlanEval:
    """Check visit sequences (one per vehicle) and return the model objective.

    The schedule is the earliest one (wait for windows, break in the gap that
    makes the route feasible); objective = travel seconds + prizes skipped.
    """
    problems: list[str] = []
    counts = np.zeros(len(problem.visits), dtype=np.int64)
    travel = 0
    for k, seq in enumerate(sequences):
        if not seq:
            continue
        veh = problem.vehicles[k]
        mat = problem.durations_s[veh.profile]
        nodes = [veh.start_node, *(problem.visits[v].node for v in seq), veh.end_node]
        travel += int(sum(int(mat[a, b]) for a, b in itertools.pairwise(nodes)))
        load = sum(problem.visits[v].demand for v in seq)
        for v in seq:
            counts[v] += 1
            allowed = problem.visits[v].allowed_vehicles
            if allowed is not None and k not in allowed:
                problems.append(f"vehicle {veh.id} may not serve {problem.visits[v].id}")
        if load > veh.max_visits:
            problems.append(f"vehicle {veh.id}: {load} visits > {veh.max_visits}")
        if problem.capacity is not None and load > problem.capacity[k]:
            problems.append(f"vehicle {veh.id}: load over capacity")
        needs_break = veh.break_window is not None and veh.break_s > 0
        options: list[int | None] = list(range(len(seq) + 1)) if needs_break else [None]
        if not any(_simulate(problem, k, seq, g)[0] for g in options):
            problems.append(f"vehicle {veh.id}: no feasible schedule")
    if (counts > 1).any():
        problems.append(f"{int((counts > 1).sum())} visits served more than once")
    skipped = 0
    prize_served = 0
    for i, visit in enumerate(problem.visits):
        if counts[i] == 0:
            skipped += visit.prize
            if visit.required:
                problems.append(f"required visit {visit.id} not served")
        else:
            prize_served += visit.prize
    return PlanEval(
        not problems, travel + skipped, travel, int((counts > 0).sum()), prize_served, problems
    )
