"""Improve a day with OR-Tools one area at a time.

An area is a few neighbouring routes plus the unplanned visits nearest to
them, at most ``min(max_area_visits, tuning.area_visits)`` visits; a day no
larger than that is one area. Each area search is a fixed number of OR-Tools
solutions (``tuning.area_solutions``) from the area's current routes, and its
routes are kept only when they lower the objective. Guided local search gains
most in its first solutions on an area, so many short searches over changing
areas beat a few long ones (benchmarks/README.md), and one OR-Tools model of
a whole day of several hundred visits with breaks moves too slowly to help.

Areas are drawn with the solve's seed, routes not yet searched first, so the
same plan and seed give the same areas on every run.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from routeplan.solver.context import Context, FirstPlan, Part
from routeplan.solver.engines import Answer, OrToolsEngine
from routeplan.solver.model import Problem
from routeplan.solver.params import Metaheuristic
from routeplan.solver.schedule import time_route

__all__ = ["AreaSearch"]

#: seconds left before the deadline below which no new area search starts
_LAST_ROUND_S = 0.3

Plan = list[list[int]]


class AreaSearch:
    """OR-Tools over one area at a time; it remembers which routes it has searched."""

    def __init__(self, ctx: Context, first: FirstPlan) -> None:
        self.ctx = ctx
        self.vehicles = list(first.usable)
        self.required_penalty = first.required_penalty
        self.cap = min(ctx.params.max_area_visits, ctx.tuning.area_visits)
        self.rng = np.random.default_rng(ctx.params.seed)
        # a descent ends by itself at a local optimum: its work is bounded without a clock
        self.params = replace(ctx.params, metaheuristic=Metaheuristic.GREEDY_DESCENT)
        self.uncovered = set(self.vehicles)
        #: area searches run, and how many lowered the objective
        self.rounds = 0
        self.improved = 0

    @property
    def problem(self) -> Problem:
        """The whole day's problem."""
        return self.ctx.problem

    def run(self, plan: Plan, cost: int, count: int, deadline: float) -> tuple[Plan, int]:
        """Search ``count`` areas of ``plan`` in turn; return the improved plan and its cost.

        Fewer areas are searched when ``deadline`` comes first; ``plan`` is
        not changed (the improved plan is a copy).
        """
        plan = [list(s) for s in plan]
        for _ in range(count):
            if not self.vehicles or time.perf_counter() > deadline - _LAST_ROUND_S:
                break
            part = self._pick(plan)
            answer = self._search(part, plan, cost, deadline)
            cost = self._apply(plan, cost, part, answer)
        return plan, cost

    def areas_to_cover(self) -> int:
        """Return how many areas one pass over the whole day takes."""
        return max(1, -(-len(self.problem.visits) // self.cap))

    def _search(self, part: Part, plan: Plan, cost: int, deadline: float) -> Answer | None:
        """Return OR-Tools' answer on one area, bounded by ``tuning.area_solutions``."""
        ctx = self.ctx
        before = ctx.cost([plan[k] for k in part.vehicles], part.vehicles, part.visits)
        engine = OrToolsEngine(
            required_penalty=self.required_penalty, on_solution=ctx.reporter(cost, before)
        )
        return engine.solve(
            part.problem, self.params, part.local(plan), deadline, work=ctx.tuning.area_solutions
        )

    def _apply(self, plan: Plan, cost: int, part: Part, answer: Answer | None) -> int:
        """Keep an area's new routes in ``plan`` when valid and cheaper; return the cost."""
        self.rounds += 1
        self.uncovered -= set(part.vehicles)
        if answer is None:
            return cost
        ctx = self.ctx
        after = part.lift(plan, answer.sequences)
        new = [after[k] for k in part.vehicles]
        old_cost = ctx.cost([plan[k] for k in part.vehicles], part.vehicles, part.visits)
        new_cost = ctx.cost(new, part.vehicles, part.visits)
        if new_cost >= old_cost or any(
            time_route(self.problem, k, s) is None for k, s in zip(part.vehicles, new, strict=True)
        ):
            return cost
        plan[:] = after
        self.improved += 1
        cost += new_cost - old_cost
        ctx.say(
            f"area {self.rounds}: {len(part.vehicles)} vehicles, {len(part.visits)} visits, "
            f"objective {cost}"
        )
        return cost

    def _pick(self, plan: Plan) -> Part:
        """Return the next area: the whole day when it fits, else grown around a random route."""
        p = self.problem
        if len(p.visits) <= self.cap:
            return Part.of(p, self.vehicles, range(len(p.visits)))
        if not self.uncovered:
            self.uncovered = set(self.vehicles)
        anchors = np.array([_anchor(p, k, plan[k]) for k in self.vehicles], dtype=np.int64)
        pool = sorted(self.uncovered)
        seed_k = pool[int(self.rng.integers(len(pool)))]
        area = self._grow(plan, anchors, seed_k)
        return Part.of(p, area, self._area_visits(plan, anchors, area))

    def _grow(self, plan: Plan, anchors: NDArray[np.int64], seed_k: int) -> list[int]:
        """Return the vehicles of the area around vehicle ``seed_k``: nearest routes first.

        Routes join until the area holds about ``cap`` planned visits (fewer
        when many visits are unplanned, to leave them room); only a few empty
        vehicles join, as spare routes.
        """
        p, veh = self.problem, self.vehicles
        unplanned = len(p.visits) - sum(len(s) for s in plan)
        open_share = unplanned / max(1, len(p.visits))
        routed_cap = max(1, int(self.cap * (1.0 - min(0.5, open_share))))
        order = np.argsort(p.distance_m[anchors[veh.index(seed_k)], anchors], kind="stable")
        area: list[int] = []
        count = 0
        empties = 0
        for j in order:
            k = veh[int(j)]
            if area and count + len(plan[k]) > routed_cap:
                break
            if not plan[k]:
                if empties >= max(2, len(area) // 4):
                    continue
                empties += 1
            area.append(k)
            count += len(plan[k])
        return area

    def _area_visits(self, plan: Plan, anchors: NDArray[np.int64], area: list[int]) -> list[int]:
        """Return the area's planned visits plus the unplanned visits nearest to its routes.

        Unplanned visits whose nearest route is in the area fill the room left
        up to ``cap``, highest prize first.
        """
        p, veh = self.problem, self.vehicles
        routed = {v for s in plan for v in s}
        open_v = np.array([i for i in range(len(p.visits)) if i not in routed], dtype=np.int64)
        count = sum(len(plan[k]) for k in area)
        cands: list[int] = []
        if len(open_v):
            node = np.array([p.visits[i].node for i in open_v], dtype=np.int64)
            dist = p.distance_m[np.ix_(node, anchors)]
            nearest = np.array(veh, dtype=np.int64)[dist.argmin(axis=1)]
            mine = open_v[np.isin(nearest, area)]
            room = max(0, self.cap - count)
            if len(mine) > room:
                prize = np.array([p.visits[i].prize for i in mine], dtype=np.int64)
                mine = mine[np.argsort(-prize, kind="stable")[:room]]
            cands = [int(v) for v in mine]
        return sorted({v for k in area for v in plan[k]} | set(cands))


def _anchor(p: Problem, k: int, seq: Sequence[int]) -> int:
    """Return a representative node of vehicle ``k``'s route (its medoid, or its start)."""
    if not seq:
        return p.vehicles[k].start_node
    nodes = np.array([p.visits[v].node for v in seq], dtype=np.int64)
    sub = p.distance_m[np.ix_(nodes, nodes)]
    return int(nodes[int(sub.sum(axis=1).argmin())])
