"""Build a feasible first plan fast: vectorised regret insertion.

OR-Tools needs minutes to find a first solution on a large day with skills,
breaks and windows. This construction inserts visits one at a time where they
add the least travel, choosing next the visit with the largest net gain
(prize minus added travel) plus a regret bonus (how much worse its second-best
vehicle is). After each insertion only the changed vehicle's column of the
insertion-cost matrix is recomputed, with numpy over all open visits, so a day
of 5,000 visits and 120 vehicles is built in seconds.

Each route keeps, per item (start, visits, end), the earliest departure and
the latest arrival that keeps the rest of the route feasible, which makes the
feasibility of inserting a visit in any gap an O(1) test. The break is a
floating item in one gap (see :mod:`routeplan.solver.schedule`); a visit can
be inserted on either side of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from routeplan.solver.model import Problem
from routeplan.solver.schedule import first_start, has_break, latest_arrival

INF = np.int64(1) << np.int64(60)
#: stand-in prize of a required visit: always worth more than any detour
REQUIRED_PRIZE = np.int64(1) << np.int64(40)


@dataclass
class _Route:
    """One vehicle's partial route with its time bookkeeping."""

    k: int
    seq: list[int] = field(default_factory=list)
    #: gap index holding the break (gap i lies between item i and item i+1), -1 = none
    gap: int = -1
    #: earliest departure from items 0..n (start and visits)
    dep: NDArray[np.int64] = field(default_factory=lambda: np.zeros(1, np.int64))
    #: latest arrival at items 0..n+1 (entry 0 unused)
    late: NDArray[np.int64] = field(default_factory=lambda: np.zeros(2, np.int64))
    load: int = 0


class _Data:
    """Visit attributes as numpy arrays for vectorised insertion tests."""

    def __init__(self, problem: Problem):
        visits = problem.visits
        n = len(visits)
        self.node = np.array([v.node for v in visits], dtype=np.int64)
        self.service = np.array([v.service_s for v in visits], dtype=np.int64)
        self.demand = np.array([v.demand for v in visits], dtype=np.int64)
        self.required = np.array([v.required for v in visits], dtype=bool)
        prize = np.array([v.prize for v in visits], dtype=np.int64)
        self.prize = np.where(self.required, REQUIRED_PRIZE, prize)
        width = max((len(v.windows) for v in visits), default=1)
        self.win_lo = np.full((n, width), INF, dtype=np.int64)
        self.win_hi = np.full((n, width), -1, dtype=np.int64)
        for i, v in enumerate(visits):
            for j, (lo, hi) in enumerate(v.windows):
                self.win_lo[i, j] = lo
                self.win_hi[i, j] = hi
        nveh = len(problem.vehicles)
        self.allowed = np.ones((n, nveh), dtype=bool)
        for i, v in enumerate(visits):
            if v.allowed_vehicles is not None:
                self.allowed[i, :] = False
                ok = [k for k in v.allowed_vehicles if 0 <= k < nveh]
                self.allowed[i, ok] = True
        caps = [problem.load_limit(k) for k in range(len(problem.vehicles))]
        self.cap = np.array(caps, dtype=np.int64)
        #: what serving each visit costs on each vehicle (``Visit.serve_cost``), or None
        self.serve: NDArray[np.int64] | None = None
        if problem.has_serve_costs():
            self.serve = np.zeros((n, nveh), dtype=np.int64)
            for i, v in enumerate(visits):
                if v.serve_cost is not None:
                    self.serve[i, :] = v.serve_cost

    def first_start(self, rows: NDArray[np.int64], arr: NDArray[np.int64]) -> NDArray[np.int64]:
        """Return the earliest service start >= ``arr`` per visit row (INF if none).

        ``arr`` has shape ``(len(rows), P)``.
        """
        lo = self.win_lo[rows][:, None, :]
        hi = self.win_hi[rows][:, None, :]
        cand = np.maximum(arr[:, :, None], lo)
        best: NDArray[np.int64] = np.where(cand <= hi, cand, INF).min(axis=2)
        return best


def usable_vehicles(problem: Problem) -> list[bool]:
    """Return per vehicle whether an empty route (start, break, end) fits its shift."""
    out = []
    for k, veh in enumerate(problem.vehicles):
        t = veh.shift_start_s + problem.duration(k, veh.start_node, veh.end_node)
        if has_break(problem, k):
            assert veh.break_window is not None
            blo, bhi = veh.break_window
            ok = max(veh.shift_start_s, blo) <= bhi and max(t, blo) + veh.break_s <= (
                veh.shift_end_s
            )
        else:
            ok = t <= veh.shift_end_s
        out.append(ok and veh.max_visits > 0)
    return out


class Builder:
    """Insertion state over all vehicles: routes with their time bookkeeping."""

    def __init__(self, problem: Problem):
        self.p = problem
        self.d = _Data(problem)
        self.usable = usable_vehicles(problem)
        self.routes = [_Route(k) for k in range(len(problem.vehicles))]
        for r in self.routes:
            if has_break(problem, r.k):
                r.gap = 0
            self._refresh(r)

    # -- route bookkeeping -------------------------------------------------
    def _items(self, r: _Route) -> list[int]:
        veh = self.p.vehicles[r.k]
        return [veh.start_node, *(int(self.d.node[v]) for v in r.seq), veh.end_node]

    def _refresh(self, r: _Route) -> None:
        """Recompute earliest departures and latest arrivals of ``r``."""
        p, d = self.p, self.d
        veh = p.vehicles[r.k]
        mat = p.durations_s[veh.profile]
        blo, bhi = veh.break_window if veh.break_window is not None else (0, 0)
        items = self._items(r)
        n = len(r.seq)
        dep = np.zeros(n + 1, dtype=np.int64)
        dep[0] = veh.shift_start_s
        for i in range(1, n + 1):
            arr = int(dep[i - 1] + mat[items[i - 1], items[i]])
            if r.gap == i - 1:
                arr = max(arr, blo) + veh.break_s
            v = r.seq[i - 1]
            s = first_start(p.visits[v].windows, arr)
            assert s is not None, "construction kept an infeasible route"
            dep[i] = s + int(d.service[v])
        late = np.zeros(n + 2, dtype=np.int64)
        late[n + 1] = veh.shift_end_s
        for i in range(n, 0, -1):
            travel = int(mat[items[i], items[i + 1]])
            if r.gap == i:
                latest_dep = min(bhi, int(late[i + 1]) - veh.break_s - travel)
            else:
                latest_dep = int(late[i + 1]) - travel
            v = r.seq[i - 1]
            la = latest_arrival(p.visits[v].windows, latest_dep - int(d.service[v]))
            late[i] = -INF if la is None else la
        r.dep, r.late = dep, late

    # -- insertion costs ---------------------------------------------------
    def column(
        self, r: _Route, rows: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.bool_]]:
        """Return best added travel, gap and after-break flag of each visit in ``rows``.

        Added travel is INF where the visit cannot be inserted in ``r``.
        """
        p, d = self.p, self.d
        m = len(rows)
        if m == 0 or not self.usable[r.k]:
            return (np.full(m, INF), np.zeros(m, np.int64), np.zeros(m, bool))
        veh = p.vehicles[r.k]
        mat = p.durations_s[veh.profile]
        items = np.array(self._items(r), dtype=np.int64)
        a_nodes, b_nodes = items[:-1], items[1:]
        un = d.node[rows]
        t_a = mat[np.ix_(un, a_nodes)]
        t_b = mat[np.ix_(un, b_nodes)]
        t_ab = mat[a_nodes, b_nodes]
        delta = t_a + t_b - t_ab[None, :]
        arr = r.dep[None, :] + t_a
        start = d.first_start(rows, arr)
        fin = start + d.service[rows][:, None]
        late_b = r.late[1:][None, :]
        ok = (start < INF) & (fin + t_b <= late_b)
        after = np.zeros(m, dtype=bool)
        if r.gap >= 0:
            g = r.gap
            assert veh.break_window is not None
            blo, bhi = veh.break_window
            brk = veh.break_s
            fin_g = fin[:, g]
            before_ok = (
                (start[:, g] < INF)
                & (np.maximum(fin_g, blo) <= bhi)
                & (np.maximum(fin_g + t_b[:, g], blo) + brk <= r.late[g + 1])
            )
            ready = np.maximum(r.dep[g] + t_a[:, g], blo) + brk
            start2 = d.first_start(rows, ready[:, None])[:, 0]
            after_ok = (start2 < INF) & (start2 + d.service[rows] + t_b[:, g] <= r.late[g + 1])
            ok[:, g] = before_ok | after_ok
            after = ~before_ok & after_ok
        fits = (d.demand[rows] + r.load <= d.cap[r.k]) & d.allowed[rows, r.k]
        ok &= fits[:, None]
        if d.serve is not None:
            delta = delta + d.serve[rows, r.k][:, None]
        cost = np.where(ok, delta, INF)
        best_gap = cost.argmin(axis=1)
        best = cost[np.arange(m), best_gap]
        after_flag = after & (best_gap == r.gap)
        return best, best_gap.astype(np.int64), after_flag

    def insert(self, r: _Route, v: int, gap: int, after_break: bool) -> None:
        """Insert visit ``v`` in gap ``gap`` of ``r`` (after the break if it is there)."""
        r.seq.insert(gap, v)
        if r.gap >= 0 and (gap < r.gap or (gap == r.gap and not after_break)):
            r.gap += 1
        r.load += int(self.d.demand[v])
        self._refresh(r)


def construct(
    problem: Problem,
    *,
    deadline: float | None = None,
    regret_weight: float = 1.0,
    builder: Builder | None = None,
    candidates: NDArray[np.int64] | None = None,
) -> list[list[int]]:
    """Return one visit sequence per vehicle built by regret insertion.

    Parameters
    ----------
    problem
        The problem to plan.
    deadline
        ``time.perf_counter()`` value after which insertion stops; the routes
        built so far are returned (still feasible, the rest dropped).
    regret_weight
        Weight of the regret bonus (second-best minus best added travel).
    builder, candidates
        Continue from an existing builder, inserting only ``candidates``.
    """
    b = builder if builder is not None else Builder(problem)
    d = b.d
    nveh = len(problem.vehicles)
    if candidates is None:
        open_rows = np.arange(len(problem.visits), dtype=np.int64)
    else:
        open_rows = np.asarray(candidates, dtype=np.int64)
    if nveh == 0 or len(open_rows) == 0:
        return [list(r.seq) for r in b.routes]
    nv = len(problem.visits)
    cost = np.full((nv, nveh), INF, dtype=np.int64)
    gaps = np.zeros((nv, nveh), dtype=np.int64)
    after = np.zeros((nv, nveh), dtype=bool)
    for r in b.routes:
        c, g, a = b.column(r, open_rows)
        cost[open_rows, r.k] = c
        gaps[open_rows, r.k] = g
        after[open_rows, r.k] = a
    is_open = np.zeros(nv, dtype=bool)
    is_open[open_rows] = True
    best1 = np.full(nv, INF, dtype=np.int64)
    best2 = np.full(nv, INF, dtype=np.int64)
    _update_best(cost, open_rows, best1, best2)
    regret_cap = np.int64(int(np.median(d.prize[open_rows])) + 1)
    while True:
        if deadline is not None and time.perf_counter() > deadline:
            break
        rows = np.flatnonzero(is_open)
        b1 = best1[rows]
        dead = b1 >= INF
        if dead.any():
            # infeasible everywhere: routes only tighten, so it stays infeasible
            is_open[rows[dead]] = False
            rows, b1 = rows[~dead], b1[~dead]
        if len(rows) == 0:
            break
        gain = d.prize[rows] - b1
        if gain.max() <= 0:
            break
        regret = np.minimum(best2[rows], b1 + regret_cap) - b1
        key = gain.astype(np.float64) + regret_weight * regret.astype(np.float64)
        key[gain <= 0] = -np.inf
        v = int(rows[int(key.argmax())])
        k = int(cost[v].argmin())
        r = b.routes[k]
        b.insert(r, v, int(gaps[v, k]), bool(after[v, k]))
        is_open[v] = False
        rows = np.flatnonzero(is_open)
        # insertion feasibility only shrinks as a route grows: skip known-infeasible rows
        rows = rows[cost[rows, k] < INF]
        old = cost[rows, k]
        c, g, a = b.column(r, rows)
        cost[rows, k] = c
        gaps[rows, k] = g
        after[rows, k] = a
        b2 = best2[rows]
        changed = rows[(old <= b2) | (c < b2)]
        _update_best(cost, changed, best1, best2)
    return [list(r.seq) for r in b.routes]


def _update_best(
    cost: NDArray[np.int64],
    rows: NDArray[np.int64],
    best1: NDArray[np.int64],
    best2: NDArray[np.int64],
) -> None:
    """Store the smallest and second-smallest cost over vehicles of ``rows``."""
    if len(rows) == 0:
        return
    sub = cost[rows]
    if sub.shape[1] >= 2:
        part = np.partition(sub, 1, axis=1)
        best1[rows], best2[rows] = part[:, 0], part[:, 1]
    else:
        best1[rows] = sub[:, 0]
