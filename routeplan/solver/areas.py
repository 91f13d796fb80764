"""Improve a large day area by area.

An area is a few neighbouring routes plus the unserved visits nearest to
them. Each round searches one area with OR-Tools in a short slice (two
disjoint areas at a time when the executor has a worker free) and keeps the
area's new routes only when they lower the objective. Guided local search
gains most in its first seconds on an area, so many short slices over
changing areas beat a few long ones (benchmarks/README.md).

The other core may instead run a whole-day search: PyVRP when it expresses
the day, or, on all-required days, VROOM's plan as a better start; its plan
replaces the current one when it is valid and cheaper.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from routeplan.execution import Outcome, Task
from routeplan.solver.context import Context, FirstPlan, Part
from routeplan.solver.engines import Answer, Engine, OrToolsEngine, VroomEngine
from routeplan.solver.model import Problem, SearchOutcome, SolveStatus
from routeplan.solver.portfolio import (
    CONSTRUCTION_ORTOOLS,
    Found,
    Second,
    adopt,
    final_wait,
    second_deadline,
    start_second,
)
from routeplan.solver.schedule import time_route

__all__ = ["search_areas"]

#: seconds the caller's area search keeps over the other worker's (its answer is awaited)
_CHILD_SLICE_MARGIN_S = 0.1
#: seconds left below which no new round starts
_LAST_ROUND_S = 0.5


@dataclass
class _State:
    """The plan being improved and the bookkeeping of the rounds."""

    ctx: Context
    plan: list[list[int]]
    vehicles: list[int]
    engine: OrToolsEngine
    current: int
    cap: int
    rng: np.random.Generator
    uncovered: set[int] = field(default_factory=set)
    improved: int = 0
    rounds: int = 0

    @property
    def problem(self) -> Problem:
        """The whole day's problem."""
        return self.ctx.problem

    def open_count(self) -> int:
        """Return the number of visits on no route."""
        return len(self.problem.visits) - sum(len(s) for s in self.plan)


def search_areas(ctx: Context, first: FirstPlan, day: Part, pyvrp: Engine | None) -> Found:
    """Improve the day area by area until the deadline; return the plan and how it ended."""
    state = _State(
        ctx=ctx,
        plan=first.sequences(),
        vehicles=list(first.usable),
        engine=OrToolsEngine(required_penalty=first.required_penalty),
        current=first.objective,
        cap=min(ctx.params.max_area_visits, ctx.tuning.area_visits),
        rng=np.random.default_rng(ctx.params.seed),
        uncovered=set(first.usable),
    )
    two = ctx.params.solution_limit is None and ctx.executor.workers > 0
    name = CONSTRUCTION_ORTOOLS
    helper = _start_helper(ctx, day, pyvrp, state.plan) if two else None
    try:
        while ctx.left() > _LAST_ROUND_S:
            if helper is not None and helper.task.done():
                adopted = adopt(ctx, helper, state.plan, 0.0)
                if adopted is not None:
                    state.current = adopted
                    state.uncovered = set(state.vehicles)
                    state.improved += 1
                    name = helper.name
                helper = None
            searched = _round(state, workers=2 if two else 1, busy=helper is not None)
            if not searched or (ctx.params.solution_limit is not None and not state.uncovered):
                break
        if helper is not None and adopt(ctx, helper, state.plan, final_wait(ctx)) is not None:
            state.improved += 1
            name = helper.name
    finally:
        if helper is not None:
            helper.task.cancel()
    ctx.say(f"areas: {state.rounds} solved, {state.improved} improved")
    outcome = SearchOutcome.KEPT if state.improved else SearchOutcome.NOT_BETTER
    ctx.record("ortools-areas", outcome, f"{state.rounds} areas, {state.improved} improved")
    status = SolveStatus.FEASIBLE if state.improved else SolveStatus.CONSTRUCTION
    return Found(state.plan, status, name)


def _start_helper(
    ctx: Context, day: Part, pyvrp: Engine | None, plan: list[list[int]]
) -> Second | None:
    """Start a whole-day search on the other core, or None (the other core then takes areas).

    PyVRP when it expresses the day; else, on all-required days, VROOM's fast
    plan (VROOM serves every visit it can: a poor start where prizes matter).
    """
    t = ctx.tuning
    if pyvrp is not None and ctx.left() > t.areas_second_min_left_s:
        return start_second(ctx, pyvrp, day, plan, second_deadline(ctx))
    vroom = VroomEngine(exploration=1)
    if (
        all(v.required for v in ctx.problem.visits)
        and vroom.supports(day.problem) is None
        and ctx.left() > t.areas_vroom_min_left_s
    ):
        deadline = time.perf_counter() + t.areas_vroom_share * ctx.params.time_limit_s
        second = start_second(ctx, vroom, day, None, deadline)
        # its plan is then improved area by area: the kept plan is VROOM's, searched by OR-Tools
        return Second(f"{vroom.name}+ortools", second.task, second.part)
    return None


def _slice_s(state: _State, workers: int) -> float:
    """Return the seconds of one area search this round."""
    ctx = state.ctx
    in_play = sum(len(state.plan[k]) for k in state.vehicles) + state.open_count()
    per_pass = max(1, -(-min(len(state.problem.visits), in_play) // state.cap))
    slice_s = min(
        ctx.params.time_limit_s * ctx.tuning.area_slice_share, ctx.left() * workers / per_pass
    )
    return min(ctx.left(), max(ctx.tuning.area_slice_min_s, slice_s))


def _round(state: _State, workers: int, busy: bool) -> bool:
    """Search one area (two when another worker is free) and keep what improves.

    Returns False when there was no area to search.
    """
    ctx = state.ctx
    slice_s = _slice_s(state, workers)
    parts = _pick_areas(state, 1 if busy else workers)
    if not parts:
        return False
    child: Task[Answer | None] | None = None
    if len(parts) == 2:
        deadline = time.perf_counter() + slice_s - _CHILD_SLICE_MARGIN_S
        child = ctx.executor.submit(
            state.engine.solve, parts[1].problem, ctx.params, parts[1].local(state.plan), deadline
        )
    own = parts[0]
    before = ctx.cost([state.plan[k] for k in own.vehicles], own.vehicles, own.visits)
    engine = OrToolsEngine(
        required_penalty=state.engine.required_penalty,
        on_solution=ctx.reporter(state.current, before),
    )
    deadline = time.perf_counter() + slice_s
    outcomes: list[Outcome[Answer | None]] = [
        Outcome(engine.solve(own.problem, ctx.params, own.local(state.plan), deadline))
    ]
    if child is not None:
        outcomes.append(child.result(max(0.0, ctx.deadline - time.perf_counter())))
    for part, outcome in zip(parts, outcomes, strict=True):
        _apply(state, part, outcome)
    return True


def _apply(state: _State, part: Part, outcome: Outcome[Answer | None]) -> None:
    """Keep an area's new routes when they are feasible and lower its cost."""
    state.rounds += 1
    state.uncovered -= set(part.vehicles)
    if outcome.value is None:
        return
    ctx = state.ctx
    before = [state.plan[k] for k in part.vehicles]
    after = part.lift(state.plan, outcome.value.sequences)
    new = [after[k] for k in part.vehicles]
    old_cost = ctx.cost(before, part.vehicles, part.visits)
    new_cost = ctx.cost(new, part.vehicles, part.visits)
    if new_cost >= old_cost:
        return
    if any(
        time_route(state.problem, k, s) is None for k, s in zip(part.vehicles, new, strict=True)
    ):
        return
    state.plan[:] = after
    state.current += new_cost - old_cost
    state.improved += 1
    ctx.say(
        f"area {state.rounds}: {len(part.vehicles)} vehicles, {len(part.visits)} visits, "
        f"objective {state.current}"
    )


def _pick_areas(state: _State, count: int) -> list[Part]:
    """Return up to ``count`` disjoint areas grown around random uncovered routes."""
    p, veh = state.problem, state.vehicles
    anchors = np.array([_anchor(p, k, state.plan[k]) for k in veh], dtype=np.int64)
    parts: list[Part] = []
    taken_veh: set[int] = set()
    taken_vis: set[int] = set()
    for _ in range(count):
        pool = sorted((state.uncovered or set(veh)) - taken_veh) or sorted(set(veh) - taken_veh)
        if not pool:
            break
        seed_k = pool[int(state.rng.integers(len(pool)))]
        area = _grow(state, anchors, seed_k, taken_veh)
        if not area:
            break
        visits = _area_visits(state, anchors, area, taken_vis)
        parts.append(Part.of(p, area, visits))
        taken_veh |= set(area)
        taken_vis |= set(visits)
    return parts


def _grow(state: _State, anchors: NDArray[np.int64], seed_k: int, taken: set[int]) -> list[int]:
    """Return the vehicles of the area around vehicle ``seed_k``: nearest routes first.

    Routes join until the area holds about ``cap`` routed visits (fewer when
    many visits are open, to leave them room); only a few empty vehicles
    join, as spare routes.
    """
    p, veh, plan = state.problem, state.vehicles, state.plan
    open_share = state.open_count() / max(1, len(p.visits))
    routed_cap = max(1, int(state.cap * (1.0 - min(0.5, open_share))))
    seed_anchor = anchors[veh.index(seed_k)]
    order = np.argsort(p.distance_m[seed_anchor, anchors], kind="stable")
    area: list[int] = []
    count = 0
    empties = 0
    for j in order:
        k = veh[int(j)]
        if k in taken:
            continue
        if area and count + len(plan[k]) > routed_cap:
            break
        if not plan[k]:
            if empties >= max(2, len(area) // 4):
                continue
            empties += 1
        area.append(k)
        count += len(plan[k])
    return area


def _area_visits(
    state: _State, anchors: NDArray[np.int64], area: list[int], taken: set[int]
) -> list[int]:
    """Return the area's routed visits plus the open visits nearest to its routes.

    Open visits whose nearest route is in the area fill the room left up to
    ``cap``, highest prize first.
    """
    p, veh, plan = state.problem, state.vehicles, state.plan
    routed = {v for s in plan for v in s}
    open_v = np.array(
        [i for i in range(len(p.visits)) if i not in routed and i not in taken], dtype=np.int64
    )
    count = sum(len(plan[k]) for k in area)
    cands: list[int] = []
    if len(open_v):
        node = np.array([p.visits[i].node for i in open_v], dtype=np.int64)
        dist = p.distance_m[np.ix_(node, anchors)]
        nearest = np.array(veh, dtype=np.int64)[dist.argmin(axis=1)]
        mine = open_v[np.isin(nearest, area)]
        room = max(0, state.cap - count)
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
