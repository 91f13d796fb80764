"""Solve a routing :class:`~routeplan.solver.model.Problem` within a time limit.

``solve(problem, params, progress)`` always returns a feasible
:class:`~routeplan.solver.model.Result`:

1. a vectorised regret insertion (:mod:`routeplan.solver.construct`) builds a
   first plan in seconds, even for thousands of visits;
2. OR-Tools' guided local search (:mod:`routeplan.solver.ortools_backend`)
   improves it. Up to ``params.max_area_visits`` visits the whole problem is
   searched; larger problems are improved area by area: a few neighbouring
   routes plus the unserved visits nearest to them, searched in short slices,
   each kept only when it lowers the objective;
2b. meanwhile a forked child searches the whole problem on the other core and
   the better plan is kept: PyVRP (:mod:`routeplan.solver.pyvrp_engine`),
   started from the construction, on days it expresses (no breaks, skills
   translated, one window per visit unless ``second_engine="pyvrp"``, matrices
   within memory); else, for the whole-day search, OR-Tools from VROOM's
   routes (:mod:`routeplan.solver.vroom_start`), and for area-by-area days a
   second area at a time (all-required days first take VROOM's plan as a
   start);
3. every route is re-timed and the whole plan checked
   (:mod:`routeplan.solver.schedule`); if anything fails the check the
   construction is returned instead.

The objective is travel seconds plus the prizes of skipped visits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from routeplan.solver import parallel, pyvrp_engine, vroom_start
from routeplan.solver.construct import Builder, construct
from routeplan.solver.model import Problem, Progress, Result, Route, SolveParams, route_cost
from routeplan.solver.schedule import check_routes, time_route
from routeplan.solver.vroom_start import vroom_routes

__all__ = ["solve"]

#: skip penalty of a required visit the construction could not place
REQUIRED_PENALTY = 10**12
#: seconds kept back from the time limit for timing, checks and the result
RESERVE_S = 0.15
#: one area's search time as a share of the time limit, and its minimum (seconds)
AREA_SLICE_SHARE = 0.04
AREA_SLICE_MIN_S = 1.5
#: visits per area once a problem is split (at most ``max_area_visits``): small
#: areas let guided local search converge within a slice (measured on
#: R1_10_1 and the 1,500-visit collection day, see benchmarks/README.md)
AREA_VISITS = 150
#: the whole day is one OR-Tools model while visits**2 / budget seconds stays below
#: this: guided local search's neighbourhoods grow with the square of the visits
WHOLE_N2_PER_S = 15_000
#: the second engine's answer is due this long before the deadline (seconds + share)
CHILD_MARGIN_S = 0.3
CHILD_MARGIN_SHARE = 0.02
#: the least time the parent waits for the second engine's answer, even past the deadline
CHILD_WAIT_MIN_S = 0.25
#: share of the time limit VROOM may take to build an all-required start
VROOM_AREA_SHARE = 0.25


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
        # all-required (VRPTW-like) problems: plain cheapest insertion gave guided local
        # search the better start (benchmarks/README.md); with prizes, regret helps choose
        regret = 0.0 if all(v.required for v in p.visits) else 1.0
        seqs = construct(p, deadline=self.t0 + 0.6 * budget, builder=builder, regret_weight=regret)
        routes = _timed(p, seqs)
        seqs = [list(r.visits) for r in routes]
        first_s = time.perf_counter() - self.t0
        construction = routes
        cost = route_cost(p, routes)
        served = sum(len(s) for s in seqs)
        self.say(f"construction: {served}/{len(p.visits)} visits, objective {cost}")
        self.usable = builder.usable
        routed = {x for s in seqs for x in s}
        missing_required = any(v.required and i not in routed for i, v in enumerate(p.visits))
        self.required_penalty = REQUIRED_PENALTY if missing_required else None
        veh = [k for k in range(len(p.vehicles)) if self.usable[k]]
        why = (
            "second_engine is 'ortools'"
            if self.params.second_engine == "ortools"
            else pyvrp_engine.why_not(
                p,
                veh,
                range(len(p.visits)),
                restrict_windows=self.params.second_engine == "pyvrp",
            )
        )
        self.pyvrp = why is None and self.params.solution_limit is None
        if why is not None and self.params.solution_limit is None:
            self.say(f"second engine: OR-Tools, not PyVRP ({why})")
        status = "feasible-construction"
        engine = "construction"
        self.engine = "construction+ortools"
        if self.left() > 0.1 and any(self.usable):
            from routeplan.solver.ortools_backend import improve  # noqa: F401 - import cost once

            if self._whole_fits():
                seqs, status = self._improve_whole(seqs, cost)
            else:
                seqs, status = self._improve_areas(seqs, cost)
            engine = self.engine
        routes = _timed(p, seqs)
        # a required visit no vehicle can serve is reported, not a reason to fall back
        problems = [m for m in check_routes(p, routes) if not m.startswith("required visit")]
        if problems:
            self.say(f"improved plan failed the check ({problems[0]}); using the construction")
            routes, status, engine = construction, "feasible-construction", "construction"
        on_route = {v for r in routes for v in r.visits}
        unserved = [v.id for i, v in enumerate(p.visits) if v.required and i not in on_route]
        if unserved:
            self.say(f"{len(unserved)} required visits cannot be served, e.g. {unserved[0]}")
            status = "required-unserved"
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
        """Improve the whole problem; a forked child runs a second, differently started search."""
        from routeplan.solver.ortools_backend import improve

        p = self.p
        veh = [k for k in range(len(p.vehicles)) if self.usable[k]]
        child = None
        second = "vroom+ortools" if vroom_start.available() else "ortools"
        if self.pyvrp and self.left() > 1.0:
            child = self._start_pyvrp(seqs, veh)
            second = "pyvrp"
        elif self.params.solution_limit is None and self.left() > 1.0:
            child = parallel.start(
                _alternative,
                p,
                veh,
                self.left() - 0.2,
                self.params.metaheuristic,
                self.required_penalty,
            )
            if child is not None:
                self.say("second search (VROOM start, OR-Tools) started on the other core")
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
        best, status = [list(s) for s in seqs], "feasible-construction"
        if out is not None:
            new = _place(seqs, veh, out.sequences)
            if _better(p, new, best):
                best, status = new, out.status
            else:
                status = out.status
        if child is not None:
            wait = max(CHILD_WAIT_MIN_S, self.deadline - time.perf_counter() - 0.05)
            if self._adopt(child, second, best, veh, wait) is not None:
                status = "ROUTING_SUCCESS"
        return best, status

    def _whole_fits(self) -> bool:
        """Return True when one OR-Tools model over all visits is the better search.

        Guided local search on the whole day overtakes area-by-area
        improvement once the budget covers its quadratic neighbourhoods
        (``visits**2 / seconds <= WHOLE_N2_PER_S``; measured on days of 300
        visits at 10 s and 588 visits at 5, 10, 18 and 30 s); smaller budgets,
        and days above ``max_area_visits``, go area by area.
        """
        n = len(self.p.visits)
        if n > self.params.max_area_visits:
            return False
        if self.params.solution_limit is not None:
            return True
        return n * n <= WHOLE_N2_PER_S * self.params.time_limit_s

    def _improve_areas(self, seqs: list[list[int]], cost: int) -> tuple[list[list[int]], str]:
        """Improve area by area; with two cores, two disjoint areas at a time."""
        p = self.p
        rng = np.random.default_rng(self.params.seed)
        veh = [k for k in range(len(p.vehicles)) if self.usable[k]]
        cap = min(self.params.max_area_visits, AREA_VISITS)
        uncovered = set(veh)
        improved = 0
        rounds = 0
        current = cost
        workers = 2 if self.params.solution_limit is None and parallel.cores() >= 2 else 1
        # the other core: PyVRP on the whole day when it can express it; else VROOM's
        # plan as a start for all-required days (VROOM serves every visit it can, a
        # poor start where prizes matter); else a second area at a time
        other_child, other_name = None, ""
        if workers == 2 and self.pyvrp and self.left() > 2.0:
            other_child, other_name = self._start_pyvrp(seqs, veh), "pyvrp"
        elif (
            workers == 2
            and all(v.required for v in p.visits)
            and vroom_start.available()
            and self.left() > 5.0
        ):
            other_child, other_name = (
                parallel.start(_vroom_plan, p, veh, VROOM_AREA_SHARE * self.params.time_limit_s),
                "vroom+ortools",
            )
            if other_child is not None:
                self.say("VROOM start running on the other core")
        while self.left() > 0.5:
            if other_child is not None and other_child.ready():
                adopted = self._adopt(other_child, other_name, seqs, veh, 0.0)
                if adopted is not None:
                    current = adopted
                    uncovered = set(veh)
                    improved += 1
                other_child = None
            busy = other_child is not None
            anchors = np.array([_anchor(p, k, seqs[k]) for k in veh], dtype=np.int64)
            in_play = sum(len(seqs[k]) for k in veh) + self._open_count(seqs)
            per_pass = max(1, -(-min(len(p.visits), in_play) // cap))
            # guided local search gains most in its first seconds on an area: many
            # short slices over changing areas beat a few long ones
            slice_s = min(
                self.params.time_limit_s * AREA_SLICE_SHARE, self.left() * workers / per_pass
            )
            slice_s = min(self.left(), max(AREA_SLICE_MIN_S, slice_s))
            areas: list[tuple[list[int], list[int]]] = []
            taken_veh: set[int] = set()
            taken_vis: set[int] = set()
            for _ in range(1 if busy else workers):
                pool = sorted((uncovered or set(veh)) - taken_veh) or sorted(set(veh) - taken_veh)
                if not pool:
                    break
                seed_k = pool[int(rng.integers(len(pool)))]
                area, visits = self._area(seqs, veh, anchors, seed_k, taken_veh, taken_vis, cap)
                if not area:
                    break
                areas.append((area, visits))
                taken_veh |= set(area)
                taken_vis |= set(visits)
            child = None
            if len(areas) == 2:
                area2, visits2 = areas[1]
                child = parallel.start(
                    _area_search,
                    p,
                    area2,
                    visits2,
                    [list(seqs[k]) for k in area2],
                    slice_s - 0.1,
                    self.params.metaheuristic,
                    self.required_penalty,
                )
                if child is None:
                    areas = areas[:1]
            results: list[tuple[list[int], list[int], Sequence[Sequence[int]] | None]] = []
            area1, visits1 = areas[0]
            before1 = [list(seqs[k]) for k in area1]
            out = _area_search(
                p,
                area1,
                visits1,
                before1,
                slice_s,
                self.params.metaheuristic,
                self.required_penalty,
                self.params.solution_limit,
                self._reporter(current, _part_cost(p, area1, before1, visits1)),
            )
            results.append((area1, visits1, out))
            if child is not None:
                value, _error = child.result(max(0.0, self.deadline - time.perf_counter()))
                results.append((areas[1][0], areas[1][1], value))
            for area, visits, after in results:
                rounds += 1
                uncovered -= set(area)
                if after is None:
                    continue
                before = [list(seqs[k]) for k in area]
                old_cost = _part_cost(p, area, before, visits)
                new_cost = _part_cost(p, area, after, visits)
                if new_cost < old_cost and all(
                    time_route(p, k, s) is not None for k, s in zip(area, after, strict=True)
                ):
                    for k, s in zip(area, after, strict=True):
                        seqs[k] = list(s)
                    current += new_cost - old_cost
                    improved += 1
                    self.say(
                        f"area {rounds}: {len(area)} vehicles, {len(visits)} visits, "
                        f"objective {current}"
                    )
            if self.params.solution_limit is not None and not uncovered:
                break
        if other_child is not None:
            wait = max(CHILD_WAIT_MIN_S, self.deadline - time.perf_counter() - 0.05)
            if self._adopt(other_child, other_name, seqs, veh, wait) is not None:
                improved += 1
        status = "ROUTING_SUCCESS" if improved else "feasible-construction"
        self.say(f"areas: {rounds} solved, {improved} improved")
        return seqs, status

    def _start_pyvrp(self, seqs: Sequence[Sequence[int]], veh: list[int]) -> parallel.Handle | None:
        """Start PyVRP on the whole day in a child, warm-started from ``seqs``."""
        # PyVRP stops a margin before the deadline, so its plan is home before OR-Tools',
        # which may overrun its own limit a little on big days
        margin = CHILD_MARGIN_S + CHILD_MARGIN_SHARE * self.params.time_limit_s
        child = parallel.start(
            _pyvrp_plan,
            self.p,
            veh,
            [list(seqs[k]) for k in veh],
            self.left() - margin,
            self.params.seed,
        )
        if child is not None:
            self.say("second search (PyVRP, from the construction) started on the other core")
        return child

    def _adopt(
        self,
        child: parallel.Handle,
        name: str,
        seqs: list[list[int]],
        veh: list[int],
        wait_s: float,
    ) -> int | None:
        """Replace ``seqs`` in place by the child's plan when it is valid and cheaper.

        Returns the adopted plan's objective, or None when ``seqs`` is kept.
        """
        value, error = child.result(wait_s)
        if value is None:
            self.say(f"second search ({name}) gave nothing ({error or 'no feasible plan'})")
            return None
        other = _place(seqs, veh, value)
        everyone, visits = range(len(self.p.vehicles)), range(len(self.p.visits))
        cost = _part_cost(self.p, everyone, other, visits)
        if not self._valid(other) or cost >= _part_cost(self.p, everyone, seqs, visits):
            self.say(f"second search ({name}) did not beat the current plan")
            return None
        seqs[:] = other
        self.engine = name
        self.say(f"second search ({name}) kept: objective {cost}")
        return cost

    def _valid(self, seqs: Sequence[Sequence[int]]) -> bool:
        """Return True when ``seqs`` can be timed and pass the model check."""
        routes = []
        for k, seq in enumerate(seqs):
            route = time_route(self.p, k, seq)
            if route is None:
                return False
            routes.append(route)
        return not [m for m in check_routes(self.p, routes) if not m.startswith("required")]

    def _open_count(self, seqs: Sequence[Sequence[int]]) -> int:
        """Return the number of visits not on any route."""
        return len(self.p.visits) - sum(len(s) for s in seqs)

    def _area(
        self,
        seqs: Sequence[Sequence[int]],
        veh: list[int],
        anchors: np.ndarray,
        seed_k: int,
        taken_veh: set[int],
        taken_vis: set[int],
        cap: int,
    ) -> tuple[list[int], list[int]]:
        """Return the vehicles and visits of the area grown around vehicle ``seed_k``.

        Routes nearest to the seed's route join until ``cap`` visits; unserved
        visits whose nearest route is in the area fill the room left (highest
        prize first). Only a few empty vehicles join, as spare routes.
        """
        p = self.p
        open_share = self._open_count(seqs) / max(1, len(p.visits))
        routed_cap = max(1, int(cap * (1.0 - min(0.5, open_share))))
        seed_anchor = anchors[veh.index(seed_k)]
        order = np.argsort(p.distance_m[seed_anchor, anchors], kind="stable")
        area: list[int] = []
        count = 0
        empties = 0
        for j in order:
            k = veh[int(j)]
            if k in taken_veh:
                continue
            if area and count + len(seqs[k]) > routed_cap:
                break
            if not seqs[k]:
                if empties >= max(2, len(area) // 4):
                    continue
                empties += 1
            area.append(k)
            count += len(seqs[k])
        routed = {v for s in seqs for v in s}
        open_v = np.array(
            [i for i in range(len(p.visits)) if i not in routed and i not in taken_vis],
            dtype=np.int64,
        )
        cands: list[int] = []
        if len(open_v) and area:
            node = np.array([p.visits[i].node for i in open_v], dtype=np.int64)
            dist = p.distance_m[np.ix_(node, anchors)]
            nearest = np.array(veh, dtype=np.int64)[dist.argmin(axis=1)]
            mine = open_v[np.isin(nearest, area)]
            room = max(0, cap - count)
            if len(mine) > room:
                prize = np.array([p.visits[i].prize for i in mine], dtype=np.int64)
                mine = mine[np.argsort(-prize, kind="stable")[:room]]
            cands = [int(v) for v in mine]
        visits = sorted({v for k in area for v in seqs[k]} | set(cands))
        return area, visits


def _area_search(
    p: Problem,
    area: list[int],
    visits: list[int],
    before: list[list[int]],
    time_limit_s: float,
    metaheuristic: str,
    required_penalty: int | None,
    solution_limit: int | None = None,
    on_solution: Callable[[int], None] | None = None,
) -> tuple[tuple[int, ...], ...] | None:
    """Return OR-Tools' sequences for one area started from ``before`` (None if none)."""
    from routeplan.solver.ortools_backend import improve

    out = improve(
        p,
        area,
        visits,
        before,
        time_limit_s=time_limit_s,
        solution_limit=solution_limit,
        metaheuristic=metaheuristic,
        required_penalty=required_penalty,
        on_solution=on_solution,
    )
    return None if out is None else out.sequences


def _vroom_plan(p: Problem, veh: list[int], time_limit_s: float) -> list[list[int]] | None:
    """Return VROOM's fast plan for ``veh`` over all visits (child process)."""
    return vroom_routes(p, veh, range(len(p.visits)), time_limit_s=time_limit_s, exploration=1)


def _pyvrp_plan(
    p: Problem, veh: list[int], start: list[list[int]], time_limit_s: float, seed: int
) -> list[list[int]] | None:
    """Return PyVRP's plan for ``veh`` over all visits, from ``start`` (child process)."""
    return pyvrp_engine.pyvrp_routes(
        p, veh, range(len(p.visits)), time_limit_s=time_limit_s, seed=seed, initial=start
    )


def _alternative(
    p: Problem,
    veh: list[int],
    time_limit_s: float,
    metaheuristic: str,
    required_penalty: int | None,
) -> tuple[tuple[int, ...], ...] | None:
    """Search from VROOM's routes when pyvroom is installed, else from OR-Tools' own start.

    Runs in the child process of :func:`routeplan.solver.parallel.start`.
    """
    from routeplan.solver.ortools_backend import improve

    t0 = time.perf_counter()
    visits = range(len(p.visits))
    # VROOM overruns its timeout on large inputs at its thorough levels
    level = 5 if len(p.visits) <= 200 else 3
    start = vroom_routes(p, veh, visits, time_limit_s=0.35 * time_limit_s, exploration=level)
    out = improve(
        p,
        veh,
        visits,
        start,
        time_limit_s=time_limit_s - (time.perf_counter() - t0),
        metaheuristic=metaheuristic,
        first_solution="PARALLEL_CHEAPEST_INSERTION",
        required_penalty=required_penalty,
    )
    return None if out is None else out.sequences


def _place(
    seqs: Sequence[Sequence[int]], veh: Sequence[int], part: Sequence[Sequence[int]]
) -> list[list[int]]:
    """Return ``seqs`` with the routes of ``veh`` replaced by ``part``."""
    new = [list(s) for s in seqs]
    for j, k in enumerate(veh):
        new[k] = list(part[j])
    return new


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
