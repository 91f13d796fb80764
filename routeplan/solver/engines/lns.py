"""routeplan's own ruin-and-recreate search: every rule exact, no third-party library.

Each iteration takes a few neighbouring routes, removes a string of visits
from each (ruin), and lets the construction's regret insertion
(:mod:`routeplan.solver.construct`) refill them from the removed visits and
the unplanned visits nearest to them (recreate). The new routes replace the
old ones when the objective does not rise. Because the insertion checks
windows, shifts, lunch breaks, skills, ``max_visits`` and travel profiles
exactly, every plan it holds is valid: unlike PyVRP it needs no relaxation
for breaks, and unlike one OR-Tools model of a whole day its iterations stay
cheap on days of thousands of visits (each one touches a few routes).

Half of the iterations start from an unplanned visit drawn by prize, the
other half from a planned visit at random, so the search both swaps
valuable visits in (capacity binds on collection days) and reorders what is
planned. It is seeded and counts its iterations: the same start, seed and
``work`` give the same plan on every machine.

The ruin follows string removal (Christiaens & Vanden Berghe, "Slack
induction by string removals for vehicle routing problems", Transportation
Science 54(2), 2020), simplified: one string per route, routes chosen by
nearness to the seed visit.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray

from routeplan.solver.construct import Builder, construct
from routeplan.solver.engines.base import Answer, Sequences, common_reason, moves_reason
from routeplan.solver.model import REQUIRED_PENALTY, Problem, plan_cost
from routeplan.solver.params import SolveParams

__all__ = ["RuinRecreateEngine", "nearest_visits"]

#: rows of the distance matrix compared at a time when finding neighbours (bounds memory)
_CHUNK = 512


def nearest_visits(problem: Problem, count: int) -> NDArray[np.int64]:
    """Return, for each visit, the ``count`` other visits nearest to it, nearest first.

    Distances are ``problem.distance_m`` between the visits' nodes; the result
    has shape ``(len(visits), min(count, len(visits) - 1))``.
    """
    nodes = np.array([v.node for v in problem.visits], dtype=np.int64)
    n = len(nodes)
    width = max(0, min(count, n - 1))
    out = np.zeros((n, width), dtype=np.int64)
    if width == 0:
        return out
    for lo in range(0, n, _CHUNK):
        rows = nodes[lo : lo + _CHUNK]
        dist = problem.distance_m[np.ix_(rows, nodes)].astype(np.float64)
        dist[np.arange(len(rows)), np.arange(lo, lo + len(rows))] = np.inf
        idx = np.argpartition(dist, width - 1, axis=1)[:, :width]
        order = np.argsort(np.take_along_axis(dist, idx, axis=1), axis=1, kind="stable")
        out[lo : lo + len(rows)] = np.take_along_axis(idx, order, axis=1)
    return out


@dataclass(frozen=True)
class RuinRecreateEngine:
    """Ruin-and-recreate local search over the construction's exact insertion.

    Parameters
    ----------
    max_routes
        At most this many neighbouring routes are ruined per iteration.
    max_string
        At most this many consecutive visits are removed from each.
    candidates
        Visits offered to the recreate step: the removed ones, then the
        unplanned visits nearest to the seed visit up to this many.
    neighbours
        Nearest visits kept per visit (:func:`nearest_visits`).
    near
        Those neighbours, computed once for a problem (:meth:`prepared`); a
        process forked after that shares them.
    """

    max_routes: int = 3
    max_string: int = 6
    candidates: int = 40
    neighbours: int = 60
    near: NDArray[np.int64] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Refuse a size below 1."""
        for name in ("max_routes", "max_string", "candidates", "neighbours"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @property
    def name(self) -> str:
        """``lns``."""
        return "lns"

    def supports(self, problem: Problem) -> str | None:
        """Return None: the insertion expresses every rule (else nothing to do, or move costs).

        Serve costs (``Visit.serve_cost``) are searched: the insertion adds
        them and every plan is compared by ``plan_cost``, which charges them.
        """
        return common_reason(problem) or moves_reason(problem)

    def prepared(self, problem: Problem) -> RuinRecreateEngine:
        """Return this engine with ``problem``'s nearest visits computed once."""
        return replace(self, near=nearest_visits(problem, self.neighbours))

    def solve(
        self,
        problem: Problem,
        params: SolveParams,
        start: Sequences | None,
        deadline: float,
        *,
        work: int | None = None,
    ) -> Answer | None:
        """Return the best plan found in ``work`` iterations or by ``deadline``.

        Without a start the construction's plan is the start. The answer is
        never worse than the start; ``params.seed`` seeds the iterations.
        """
        if common_reason(problem) is not None:
            return Answer(tuple(() for _ in problem.vehicles), "nothing to search")
        near = self.near
        if near is None or near.shape[0] != len(problem.visits):
            near = nearest_visits(problem, self.neighbours)
        search = _Search(problem, self, near, start, params.seed)
        while (work is None or search.iterations < work) and time.perf_counter() < deadline:
            search.step()
        note = f"{search.iterations} iterations, {search.accepted} accepted"
        return Answer(search.best_sequences(), note)


@dataclass
class _Ruin:
    """One iteration's ruin: the routes touched, what is left on them, the visits offered."""

    routes: list[int]
    remain: dict[int, list[int]]
    offered: list[int]


class _Search:
    """The plan being improved, its cost, and the best plan seen."""

    def __init__(
        self,
        problem: Problem,
        engine: RuinRecreateEngine,
        near: NDArray[np.int64],
        start: Sequences | None,
        seed: int,
    ) -> None:
        self.p = problem
        self.e = engine
        self.near = near
        self.rng = np.random.default_rng(seed)
        begin = [list(s) for s in start] if start is not None else construct(problem)
        self.seqs: list[list[int]] = begin
        self.route_of = np.full(len(problem.visits), -1, dtype=np.int64)
        for k, seq in enumerate(self.seqs):
            self.route_of[seq] = k
        self.weight = np.array([max(1, v.prize) for v in problem.visits], dtype=np.float64)
        starts = [v.start_node for v in problem.vehicles]
        self.start_nodes = np.array(starts, dtype=np.int64)
        self.cost = self._cost(self.seqs)
        self.best = self.cost
        self.best_seqs = [list(s) for s in self.seqs]
        self.iterations = 0
        self.accepted = 0

    def _cost(
        self,
        seqs: Sequence[Sequence[int]],
        vehicles: Sequence[int] | None = None,
        visits: Sequence[int] | None = None,
    ) -> int:
        """Return travel plus skip costs (required visits weigh most), as the solver compares."""
        return plan_cost(
            self.p, seqs, vehicles=vehicles, visits=visits, required_penalty=REQUIRED_PENALTY
        )

    def best_sequences(self) -> Sequences:
        """Return the best plan seen."""
        return tuple(tuple(s) for s in self.best_seqs)

    def step(self) -> None:
        """Run one ruin-and-recreate iteration; keep its routes when the cost does not rise."""
        self.iterations += 1
        seed = self._seed_visit()
        routes = self._routes_near(seed)
        if not routes:
            return
        ruin = self._ruin(routes, seed)
        kept = sorted({v for k in routes for v in ruin.remain[k]})
        visits = kept + sorted(ruin.offered)
        new = self._recreate(ruin, visits)
        if new is None:
            return
        old_cost = self._cost([self.seqs[k] for k in routes], routes, visits)
        new_cost = self._cost([new[k] for k in routes], routes, visits)
        if new_cost <= old_cost:
            self._take(routes, new, new_cost - old_cost)

    def _seed_visit(self) -> int:
        """Return the visit the iteration starts from: unplanned by prize, or planned at random."""
        unplanned = np.flatnonzero(self.route_of < 0)
        planned = np.flatnonzero(self.route_of >= 0)
        if len(unplanned) and (not len(planned) or self.rng.random() < 0.5):
            w = self.weight[unplanned]
            return int(unplanned[int(np.searchsorted(np.cumsum(w), self.rng.random() * w.sum()))])
        return int(planned[int(self.rng.integers(len(planned)))])

    def _routes_near(self, seed: int) -> list[int]:
        """Return the routes to ruin: the seed's, those of its nearest planned visits, a spare."""
        want = int(self.rng.integers(min(2, self.e.max_routes), self.e.max_routes + 1))
        routes: list[int] = []
        if self.route_of[seed] >= 0:
            routes.append(int(self.route_of[seed]))
        for u in self.near[seed]:
            k = int(self.route_of[u])
            if len(routes) >= want:
                break
            if k >= 0 and k not in routes:
                routes.append(k)
        node = self.p.visits[seed].node
        by_base = np.argsort(self.p.distance_m[node, self.start_nodes], kind="stable")
        empty = [int(k) for k in by_base if not self.seqs[int(k)] and int(k) not in routes]
        # an empty route joins when too few routes are near, and at times as a spare
        if empty and (len(routes) < want or self.rng.random() < 0.5):
            routes.append(empty[0])
        return routes

    def _ruin(self, routes: list[int], seed: int) -> _Ruin:
        """Remove one string per route around its visit nearest to the seed."""
        remain: dict[int, list[int]] = {}
        removed: list[int] = []
        for k in routes:
            seq = self.seqs[k]
            if not seq:
                remain[k] = []
                continue
            near = [int(u) for u in self.near[seed] if self.route_of[u] == k]
            if self.route_of[seed] == k:
                pos = seq.index(seed)
            elif near:
                pos = seq.index(near[0])
            else:
                pos = int(self.rng.integers(len(seq)))
            length = int(self.rng.integers(1, min(self.e.max_string, len(seq)) + 1))
            lo = max(0, min(pos - int(self.rng.integers(length)), len(seq) - length))
            removed += seq[lo : lo + length]
            remain[k] = seq[:lo] + seq[lo + length :]
        offered = set(removed)
        if self.route_of[seed] < 0:
            offered.add(seed)
        for u in self.near[seed]:
            if len(offered) >= max(self.e.candidates, len(removed)):
                break
            if self.route_of[u] < 0:
                offered.add(int(u))
        return _Ruin(routes, remain, sorted(offered))

    def _recreate(self, ruin: _Ruin, visits: list[int]) -> dict[int, list[int]] | None:
        """Return the ruined routes refilled by regret insertion (None if a rest is untimable)."""
        part = self.p.restrict(ruin.routes, visits)
        local = {v: i for i, v in enumerate(visits)}
        builder = Builder(part)
        for j, k in enumerate(ruin.routes):
            if not builder.load(j, [local[v] for v in ruin.remain[k]]):
                return None
        offered = np.array([local[v] for v in ruin.offered], dtype=np.int64)
        regret = float(self.rng.integers(2))
        seqs = construct(part, builder=builder, candidates=offered, regret_weight=regret)
        return {k: [visits[i] for i in seqs[j]] for j, k in enumerate(ruin.routes)}

    def _take(self, routes: list[int], new: dict[int, list[int]], delta: int) -> None:
        """Make ``new`` the routes of ``routes`` and update the cost and the best plan."""
        for k in routes:
            self.route_of[self.seqs[k]] = -1
        for k in routes:
            self.seqs[k] = new[k]
            self.route_of[new[k]] = k
        self.accepted += 1
        self.cost += delta
        if self.cost < self.best:
            self.best = self.cost
            self.best_seqs = [list(s) for s in self.seqs]
