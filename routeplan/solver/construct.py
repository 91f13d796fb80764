"""Build a feasible first plan fast: vectorised regret insertion.

OR-Tools needs minutes to find a first solution on a large day with skills,
breaks and windows. This construction inserts visits one at a time where they
add the least travel, choosing next the visit with the largest net gain
(prize minus added travel) plus a regret bonus (how much worse its second-best
vehicle is). After each insertion only the changed vehicle's column of the
insertion-cost matrix is recomputed, with numpy over all open visits, so a day
of 5,000 visits and 120 vehicles is built in seconds.

When the problem has current routes (re-planning), each vehicle starts from
its current route, in order, as far as it still fits; the other visits are
then inserted, a current visit only between its current neighbours on its own
vehicle, and placing a visit on another vehicle than its current one adds its
move cost. Last, a visit left out that is worth more than a routed one near
it (an urgent visit, a visit of an agent gone) takes that one's place when
the swap pays, the one displaced going elsewhere only if that pays too.
Inserting everything by value instead, current visits included, let each
newcomer push a current visit to a neighbour, which pushed another: on a
5,000-visit day it moved 156 visits where a few swaps do
(``benchmarks/README.md``).

Each route keeps, per item (start, visits, end), the earliest departure and
the latest arrival that keeps the rest of the route feasible, which makes the
feasibility of inserting a visit in any gap an O(1) test. The break is a
floating item in one gap (see :mod:`routeplan.solver.schedule`); a visit can
be inserted on either side of it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from routeplan.solver.model import Problem, Route, band_excess
from routeplan.solver.schedule import (
    break_gap,
    first_start,
    has_break,
    latest_arrival,
    time_route,
)

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
        home = problem.home_vehicles()
        #: current vehicle of each visit (-1: none) and what serving it elsewhere costs
        self.home = np.array([-1 if h is None else h for h in home], dtype=np.int64)
        self.move = np.array(
            [v.move_cost if h is not None else 0 for v, h in zip(visits, home, strict=True)],
            dtype=np.int64,
        )
        #: position of each visit on its current route (-1: on none)
        self.rank = np.full(n, -1, dtype=np.int64)
        for seq in problem.current_routes or ():
            self.rank[list(seq)] = np.arange(len(seq), dtype=np.int64)
        # leaving a visit off its current route costs its move cost on top of the prize
        prize = np.array([v.prize for v in visits], dtype=np.int64) + self.move
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
        #: each vehicle's soft visit range and its cost per visit outside (``visit_band``)
        self.band: tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]] | None = None
        if problem.has_visit_bands():
            vs = problem.vehicles
            self.band = (
                np.array([v.visit_band[0] if v.visit_band else 0 for v in vs], dtype=np.int64),
                np.array([v.visit_band[1] if v.visit_band else INF for v in vs], dtype=np.int64),
                np.array([v.band_cost if v.visit_band else 0 for v in vs], dtype=np.int64),
            )

    def band_change(self, k: int, load: int, demand: NDArray[np.int64]) -> NDArray[np.int64]:
        """Return what adding ``demand`` to vehicle ``k``'s ``load`` changes its band cost by."""
        if self.band is None:
            return np.zeros(len(demand), dtype=np.int64)
        lo, hi, cost = int(self.band[0][k]), int(self.band[1][k]), int(self.band[2][k])
        out: NDArray[np.int64] = cost * (
            band_excess(lo, hi, load + demand) - band_excess(lo, hi, load)
        )
        return out

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
        for k, seq in enumerate(problem.current_routes or ()):
            if seq and self.usable[k]:
                self.seed(self.routes[k], seq)

    def seed(self, r: _Route, seq: tuple[int, ...]) -> None:
        """Start ``r`` from ``seq`` in its order, keeping each visit that still fits.

        A visit is kept when the route so far with it can still be timed
        (window, shift, break), the vehicle may serve it and ``max_visits``
        allows; the rest stay open for insertion.
        """
        p, d = self.p, self.d
        kept: list[int] = []
        load = 0
        for v in seq:
            if not d.allowed[v, r.k] or load + int(d.demand[v]) > d.cap[r.k]:
                continue
            if time_route(p, r.k, [*kept, v]) is not None:
                kept.append(v)
                load += int(d.demand[v])
        route = time_route(p, r.k, kept)
        if not kept or route is None:
            return
        r.seq, r.load = kept, load
        if r.gap >= 0:
            r.gap = self._break_gap(route)
        self._refresh(r)

    def _break_gap(self, route: Route) -> int:
        """Return the gap holding a timed route's break: the visits that end before it starts."""
        assert route.break_start_s is not None
        ends = np.array(route.service_start_s, dtype=np.int64) + self.d.service[list(route.visits)]
        return int((ends <= route.break_start_s).sum())

    def without(self, r: _Route, pos: int) -> _Route:
        """Return a copy of ``r`` without its visit at ``pos`` (feasible: waiting is allowed)."""
        v = r.seq[pos]
        gap = r.gap - 1 if r.gap > pos else r.gap
        out = _Route(
            r.k, [*r.seq[:pos], *r.seq[pos + 1 :]], gap, load=r.load - int(self.d.demand[v])
        )
        self._refresh(out)
        return out

    def load(self, k: int, seq: Sequence[int]) -> bool:
        """Make ``seq`` vehicle ``k``'s route, its break where it returns earliest.

        Returns False (and leaves the route as it was) when ``seq`` cannot be
        timed on ``k``. Load and allowed vehicles are the caller's to respect.
        """
        gap = (0 if has_break(self.p, k) else -1) if not seq else break_gap(self.p, k, seq)
        if gap is None:
            return False
        r = self.routes[k]
        r.seq, r.gap = list(seq), gap
        r.load = int(self.d.demand[list(seq)].sum()) if seq else 0
        self._refresh(r)
        return True

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
        ok &= self._in_order(r, rows)
        if d.serve is not None:
            delta = delta + d.serve[rows, r.k][:, None]
        if d.band is not None:
            delta = delta + d.band_change(r.k, int(r.load), d.demand[rows])[:, None]
        # a visit placed away from its current vehicle pays its move cost
        moved = np.where((d.home[rows] >= 0) & (d.home[rows] != r.k), d.move[rows], 0)
        cost = np.where(ok, delta + moved[:, None], INF)
        best_gap = cost.argmin(axis=1)
        best = cost[np.arange(m), best_gap]
        after_flag = after & (best_gap == r.gap)
        return best, best_gap.astype(np.int64), after_flag

    def _in_order(self, r: _Route, rows: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Return where each visit may go in ``r`` keeping ``r``'s current visits in order.

        A visit of ``r``'s current route may only go between the current
        visits before and after it on that route; other visits go anywhere.
        """
        d = self.d
        n = len(r.seq)
        ok = np.ones((len(rows), n + 1), dtype=bool)
        mine = d.home[rows] == r.k
        if not mine.any():
            return ok
        seq = np.array(r.seq, dtype=np.int64)
        own = d.home[seq] == r.k if n else np.zeros(0, dtype=bool)
        before = np.maximum.accumulate(np.concatenate([[-1], np.where(own, d.rank[seq], -1)]))
        big = np.int64(len(d.rank) + 1)
        after = np.minimum.accumulate(
            np.concatenate([np.where(own, d.rank[seq], big), [big]])[::-1]
        )[::-1]
        key = d.rank[rows[mine]][:, None]
        ok[mine] = (before[None, :] < key) & (key < after[None, :])
        return ok

    def removal_saving(self, r: _Route, pos: int) -> int:
        """Return the travel seconds saved by taking the visit at ``pos`` off ``r``."""
        mat = self.p.durations_s[self.p.vehicles[r.k].profile]
        items = self._items(r)
        a, v, b = items[pos], items[pos + 1], items[pos + 2]
        return int(mat[a, v] + mat[v, b] - mat[a, b])

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
        Continue from an existing builder, inserting only ``candidates``
        (default: every visit on none of its routes).
    """
    b = builder if builder is not None else Builder(problem)
    d = b.d
    nveh = len(problem.vehicles)
    if candidates is None:
        routed = {v for r in b.routes for v in r.seq}
        open_rows = np.array(
            [v for v in range(len(problem.visits)) if v not in routed], dtype=np.int64
        )
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
    if problem.current_routes is not None:
        make_room(b, deadline=deadline)
    return [list(r.seq) for r in b.routes]


#: how many of the nearest routes a left-out visit may take a place on (re-planning)
ROOM_ROUTES = 6


def make_room(b: Builder, *, deadline: float | None = None) -> None:
    """Swap left-out visits for routed ones worth less, most valuable first, while it pays.

    For each visit on no route (by prize, highest first) the routes passing
    nearest to it are tried: each visit worth less is taken off in turn and
    the left-out one put where it fits best. The best swap that lowers the
    objective is made; the visit displaced then goes where it adds least, if
    that is worth its prize, else it is left out.
    """
    d, p = b.d, b.p
    routed = {v for r in b.routes for v in r.seq}
    waiting = [v for v in range(len(p.visits)) if v not in routed and d.prize[v] > 0]
    waiting.sort(key=lambda v: -int(d.prize[v]))
    for v in waiting:
        if deadline is not None and time.perf_counter() > deadline:
            return
        swap = _best_swap(b, v)
        if swap is None:
            continue
        r, pos, gap, after_break = swap
        w = r.seq[pos]
        smaller = b.without(r, pos)
        r.seq, r.gap, r.load, r.dep, r.late = (
            smaller.seq,
            smaller.gap,
            smaller.load,
            smaller.dep,
            smaller.late,
        )
        b.insert(r, v, gap, after_break)
        _reinsert(b, w)


def _best_swap(b: Builder, v: int) -> tuple[_Route, int, int, bool] | None:
    """Return (route, position to free, gap, after break) of the best paying swap for ``v``."""
    d, p = b.d, b.p
    node = int(d.node[v])
    near = []
    for r in b.routes:
        if r.seq and b.usable[r.k] and d.allowed[v, r.k]:
            items = np.array(b._items(r), dtype=np.int64)
            near.append((int(p.distance_m[node, items].min()), r.k))
    near.sort()
    rows = np.array([v], dtype=np.int64)
    best: tuple[int, _Route, int, int, bool] | None = None
    for _, k in near[:ROOM_ROUTES]:
        r = b.routes[k]
        for pos, w in enumerate(r.seq):
            if d.prize[w] >= d.prize[v] or d.required[w]:
                continue
            smaller = b.without(r, pos)
            cost, gap, after = b.column(smaller, rows)
            if cost[0] >= INF:
                continue
            saved = b.removal_saving(r, pos)
            if d.serve is not None:
                saved += int(d.serve[w, r.k])
            gain = int(d.prize[v] - cost[0]) - int(d.prize[w] - saved)
            if gain > 0 and (best is None or gain > best[0]):
                best = (gain, r, pos, int(gap[0]), bool(after[0]))
    return None if best is None else best[1:]


def _reinsert(b: Builder, w: int) -> None:
    """Put a displaced visit where it adds least, when that is worth its prize."""
    rows = np.array([w], dtype=np.int64)
    best: tuple[int, _Route, int, bool] | None = None
    for r in b.routes:
        cost, gap, after = b.column(r, rows)
        if cost[0] < INF and (best is None or cost[0] < best[0]):
            best = (int(cost[0]), r, int(gap[0]), bool(after[0]))
    if best is not None and best[0] < b.d.prize[w]:
        b.insert(best[1], w, best[2], best[3])


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
