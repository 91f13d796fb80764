"""Solve a routing :class:`~routeplan.solver.model.Problem` within a time limit.

``solve(problem, params, progress)`` always returns a feasible
:class:`~routeplan.solver.model.Result`:

1. a vectorised regret insertion (:mod:`routeplan.solver.construct`) builds a
   first plan in seconds, even for thousands of visits;
2. OR-Tools' local search (:mod:`routeplan.solver.ortools_backend`) improves
   it from that plan. Problems with more than ``params.max_area_visits``
   visits are improved area by area: a group of neighbouring routes plus the
   unserved visits nearest to them, solved in turn with a share of the time,
   each accepted only when it lowers the objective;
3. every route is re-timed and the whole plan checked
   (:mod:`routeplan.solver.schedule`); if anything fails the check the
   construction is returned instead.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from routeplan.solver.construct import Builder, construct
from routeplan.solver.model import Problem, Progress, Result, Route, SolveParams, route_cost
from routeplan.solver.schedule import check_routes, time_route

__all__ = ["solve"]

#: skip penalty of a required visit the construction could not place
REQUIRED_PENALTY = 10**12
#: seconds kept back from the time limit for timing, checks and the result
RESERVE_S = 0.15


def solve(
    problem: Problem, params: SolveParams | None = None, progress: Progress | None = None
) -> Result:
    """Return a feasible plan for ``problem`` found within ``params.time_limit_s``.

    Parameters
    ----------
    problem
        The frozen problem (see :mod:`routeplan.solver.model`).
    params
        Time and solution limits, metaheuristic, area size, seed.
    progress
        Called with one-line updates (construction, improvements, areas).

    Returns
    -------
    Result
        One route per vehicle, dropped visit indices, objective (travel
        seconds + prizes of skipped visits), status, timings.
    """
    params = params if params is not None else SolveParams()
    return _Solve(problem, params, progress).run()


class _Solve:
    """One solve: construction, improvement, check."""

    def __init__(self, problem: Problem, params: SolveParams, progress: Progress | None):
        self.p = problem
        self.params = params
        self.progress = progress
        self.t0 = time.perf_counter()
        self.deadline = self.t0 + params.time_limit_s
        self.log: list[str] = []
        self.last_report = -1e9

    def say(self, msg: str) -> None:
        """Record and report one progress line."""
        line = f"[{time.perf_counter() - self.t0:6.1f}s] {msg}"
        self.log.append(line)
        if self.progress is not None:
            self.progress(line)

    def left(self) -> float:
        """Return seconds left before the deadline, minus the reserve."""
        return self.deadline - time.perf_counter() - RESERVE_S

    def run(self) -> Result:
        """Run the solve and return its result."""
        p = self.p
        if not p.visits or not p.vehicles:
            what = "no visits" if not p.visits else "no vehicles"
            self.say(f"nothing to route: {what}")
            return self._result([[] for _ in p.vehicles], "empty", None, "construction")
        budget = self.params.time_limit_s
        builder = Builder(p)
        seqs = construct(p, deadline=self.t0 + 0.6 * budget, builder=builder)
        routes = _timed(p, seqs)
        seqs = [list(r.visits) for r in routes]
        first_s = time.perf_counter() - self.t0
        construction = routes
        cost = route_cost(p, routes)
        served = sum(len(s) for s in seqs)
        self.say(f"construction: {served}/{len(p.visits)} visits, objective {cost}")
        self.usable = builder.usable
        missing_required = any(
            v.required and i not in {x for s in seqs for x in s} for i, v in enumerate(p.visits)
        )
        self.required_penalty = REQUIRED_PENALTY if missing_required else None
        status = "feasible-construction"
        engine = "construction"
        if self.left() > 0.1 and any(self.usable):
            from routeplan.solver.ortools_backend import improve  # noqa: F401 - import cost once

            if len(p.visits) <= self.params.max_area_visits:
                seqs, status = self._improve_whole(seqs, cost)
            else:
                seqs, status = self._improve_areas(seqs, cost)
            engine = "construction+ortools"
        routes = _timed(p, seqs)
        problems = check_routes(p, routes)
        if problems:
            self.say(f"improved plan failed the check ({problems[0]}); using the construction")
            routes, status, engine = construction, "feasible-construction", "construction"
        return self._result([list(r.visits) for r in routes], status, first_s, engine, routes)

    def _result(
        self,
        seqs: Sequence[Sequence[int]],
        status: str,
        first_s: float | None,
        engine: str,
        routes: Sequence[Route] | None = None,
    ) -> Result:
        p = self.p
        routes = list(routes) if routes is not None else _timed(p, seqs)
        served = {v for r in routes for v in r.visits}
        dropped = tuple(i for i in range(len(p.visits)) if i not in served)
        obj = route_cost(p, routes)
        runtime = time.perf_counter() - self.t0
        self.say(f"done: {len(served)} visits, objective {obj}, status {status}")
        return Result(
            routes=tuple(routes),
            dropped=dropped,
            objective=obj,
            status=status,
            runtime_s=runtime,
            first_solution_s=first_s,
            engine=engine,
            log=tuple(self.log),
        )

    # -- improvement -------------------------------------------------------
    def _reporter(self, base: int, area_start: int) -> Callable[[int], None]:
        """Return a callback reporting improvements at most every 2 seconds."""
        best = [area_start]

        def report(obj: int) -> None:
            if obj < best[0]:
                best[0] = obj
                now = time.perf_counter()
                if now - self.last_report >= 2.0:
                    self.last_report = now
                    self.say(f"improved: objective {base - area_start + obj}")

        return report

    def _improve_whole(self, seqs: list[list[int]], cost: int) -> tuple[list[list[int]], str]:
        from routeplan.solver.ortools_backend import improve

        p = self.p
        veh = [k for k in range(len(p.vehicles)) if self.usable[k]]
        out = improve(
            p,
            veh,
            range(len(p.visits)),
            [seqs[k] for k in veh],
            time_limit_s=self.left(),
            solution_limit=self.params.solution_limit,
            metaheuristic=self.params.metaheuristic,
            required_penalty=self.required_penalty,
            log_search=self.params.log_search,
            on_solution=self._reporter(cost, cost),
        )
        if out is None:
            return seqs, "feasible-construction"
        new = [list(s) for s in seqs]
        for j, k in enumerate(veh):
            new[k] = list(out.sequences[j])
        if _better(p, new, seqs):
            return new, out.status
        return seqs, out.status

    def _improve_areas(self, seqs: list[list[int]], cost: int) -> tuple[list[list[int]], str]:
        from routeplan.solver.ortools_backend import improve

        p = self.p
        rng = np.random.default_rng(self.params.seed)
        veh = [k for k in range(len(p.vehicles)) if self.usable[k]]
        cap = self.params.max_area_visits
        node = np.array([v.node for v in p.visits], dtype=np.int64)
        prize = np.array([v.prize for v in p.visits], dtype=np.int64)
        uncovered = set(veh)
        total_routed = sum(len(seqs[k]) for k in veh)
        areas_est = max(1, -(-min(len(p.visits), 2 * total_routed + 1) // cap))
        improved = 0
        rounds = 0
        current = route_cost(p, _timed(p, seqs))
        while self.left() > 0.5:
            anchors = np.array([_anchor(p, k, seqs[k]) for k in veh], dtype=np.int64)
            if uncovered:
                pool = sorted(uncovered)
                seed_k = pool[int(rng.integers(len(pool)))]
            else:
                seed_k = veh[int(rng.integers(len(veh)))]
            seed_anchor = anchors[veh.index(seed_k)]
            order = np.argsort(p.distance_m[seed_anchor, anchors], kind="stable")
            area: list[int] = []
            count = 0
            for j in order:
                k = veh[int(j)]
                if area and count + len(seqs[k]) > cap // 2:
                    break
                area.append(k)
                count += len(seqs[k])
            routed = {v for s in seqs for v in s}
            open_v = np.array([i for i in range(len(p.visits)) if i not in routed], dtype=np.int64)
            cands: list[int] = []
            if len(open_v):
                dist = p.distance_m[np.ix_(node[open_v], anchors)]
                nearest = np.array(veh, dtype=np.int64)[dist.argmin(axis=1)]
                mine = open_v[np.isin(nearest, area)]
                room = max(0, cap - count)
                if len(mine) > room:
                    mine = mine[np.argsort(-prize[mine], kind="stable")[:room]]
                cands = [int(v) for v in mine]
            visits = sorted({v for k in area for v in seqs[k]} | set(cands))
            todo = max(1, areas_est - rounds) if uncovered else 1
            slice_s = min(self.left(), max(1.0, self.left() / todo))
            if not uncovered:
                slice_s = min(self.left(), max(1.0, self.params.time_limit_s / max(areas_est, 1)))
            before = [list(seqs[k]) for k in area]
            area_cost = _part_cost(p, area, before, visits)
            out = improve(
                p,
                area,
                visits,
                before,
                time_limit_s=slice_s,
                solution_limit=self.params.solution_limit,
                metaheuristic=self.params.metaheuristic,
                required_penalty=self.required_penalty,
                log_search=self.params.log_search,
                on_solution=self._reporter(current, area_cost),
            )
            rounds += 1
            uncovered -= set(area)
            if out is None:
                continue
            after = [list(s) for s in out.sequences]
            new_cost = _part_cost(p, area, after, visits)
            if new_cost < area_cost and all(
                time_route(p, k, s) is not None for k, s in zip(area, after, strict=True)
            ):
                for k, s in zip(area, after, strict=True):
                    seqs[k] = s
                current += new_cost - area_cost
                improved += 1
                self.say(
                    f"area {rounds}: {len(area)} vehicles, {len(visits)} visits, "
                    f"objective {current}"
                )
            if self.params.solution_limit is not None and not uncovered:
                break
        status = "ROUTING_SUCCESS" if improved else "feasible-construction"
        self.say(f"areas: {rounds} solved, {improved} improved")
        return seqs, status


def _part_cost(
    p: Problem, vehicles: Sequence[int], seqs: Sequence[Sequence[int]], visits: Sequence[int]
) -> int:
    """Return travel of ``vehicles`` plus prizes of ``visits`` they leave unserved."""
    served = {v for s in seqs for v in s}
    travel = 0
    for k, seq in zip(vehicles, seqs, strict=True):
        if not seq:
            continue
        veh = p.vehicles[k]
        prev = veh.start_node
        for v in seq:
            travel += p.duration(k, prev, p.visits[v].node)
            prev = p.visits[v].node
        travel += p.duration(k, prev, veh.end_node)
    skipped = 0
    for v in visits:
        if v not in served:
            visit = p.visits[v]
            skipped += REQUIRED_PENALTY if visit.required else visit.prize
    return travel + skipped


def _better(p: Problem, new: Sequence[Sequence[int]], old: Sequence[Sequence[int]]) -> bool:
    """Return True when ``new`` is feasible and costs less than ``old``."""
    all_v = range(len(p.visits))
    veh = range(len(p.vehicles))
    if any(time_route(p, k, s) is None for k, s in zip(veh, new, strict=True)):
        return False
    return _part_cost(p, veh, new, all_v) < _part_cost(p, veh, old, all_v)


def _anchor(p: Problem, k: int, seq: Sequence[int]) -> int:
    """Return a representative node of vehicle ``k``'s route (its medoid, or its start)."""
    if not seq:
        return p.vehicles[k].start_node
    nodes = np.array([p.visits[v].node for v in seq], dtype=np.int64)
    sub = p.distance_m[np.ix_(nodes, nodes)]
    return int(nodes[int(sub.sum(axis=1).argmin())])


def _timed(p: Problem, seqs: Sequence[Sequence[int]]) -> list[Route]:
    """Return timed routes; a sequence that cannot be timed keeps its feasible prefix."""
    routes = []
    for k, seq in enumerate(seqs):
        route = time_route(p, k, seq)
        if route is None:
            kept: list[int] = []
            for v in seq:
                if time_route(p, k, [*kept, v]) is not None:
                    kept.append(v)
            route = time_route(p, k, kept)
            assert route is not None
        routes.append(route)
    return routes
