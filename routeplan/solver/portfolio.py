"""Two searches of the whole day, one per core, and the better plan kept.

The caller's process runs OR-Tools from the construction; the executor runs a
second, differently started search beside it: PyVRP from the construction
when it expresses the day exactly (:func:`second_engine`), else OR-Tools from
VROOM's routes (:func:`fallback_engine`). Each answer is re-timed, checked
and compared under routeplan's objective before it replaces the plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from routeplan.execution import Task
from routeplan.solver.context import Context, FirstPlan, Part
from routeplan.solver.engines import Answer, Engine, OrToolsEngine, PyVRPEngine, Relay, VroomEngine
from routeplan.solver.model import SearchOutcome, SolveStatus
from routeplan.solver.params import SecondEngine

__all__ = [
    "Found",
    "Second",
    "adopt",
    "fallback_engine",
    "search_whole",
    "second_engine",
    "start_second",
]

#: Result.engine when OR-Tools improved (or kept) the construction's plan
CONSTRUCTION_ORTOOLS = "construction+ortools"
#: VROOM overruns its timeout on large inputs at its thorough levels
_VROOM_THOROUGH_VISITS = 200


@dataclass(frozen=True)
class Found:
    """What a search stage returns: the plan, how it ended, the engine whose plan it is."""

    sequences: list[list[int]]
    status: SolveStatus
    engine: str


@dataclass(frozen=True)
class Second:
    """A search running beside the caller."""

    name: str
    task: Task[Answer | None]
    part: Part


def second_engine(ctx: Context, day: Part) -> Engine | None:
    """Return PyVRP when the settings allow it and it expresses the day exactly, else None.

    Why PyVRP is not used is logged and recorded in ``Result.searches``.
    """
    engine = PyVRPEngine(restrict_windows=ctx.params.second_engine == SecondEngine.PYVRP)
    if ctx.params.solution_limit is not None:
        why = "a solution limit is set: one search only"
    elif ctx.params.second_engine == SecondEngine.ORTOOLS:
        why = "second_engine is 'ortools'"
    else:
        reason = engine.supports(day.problem)
        if reason is None:
            return engine
        why = reason
    ctx.say(f"second engine: OR-Tools, not PyVRP ({why})")
    ctx.record("pyvrp", SearchOutcome.DECLINED, why)
    return None


def fallback_engine(day: Part, required_penalty: int | None, share: float) -> Engine:
    """Return OR-Tools from VROOM's routes (``share`` of the time), or from its own start."""
    ortools = OrToolsEngine(required_penalty=required_penalty)
    level = 5 if len(day.visits) <= _VROOM_THOROUGH_VISITS else 3
    vroom = VroomEngine(exploration=level)
    if vroom.supports(day.problem) is None:
        return Relay(vroom, ortools, share=share)
    return ortools


def start_second(
    ctx: Context, engine: Engine, day: Part, start: list[list[int]] | None, deadline: float
) -> Second:
    """Submit ``engine`` on the day to the executor, from ``start`` (a whole plan) or cold."""
    local = day.local(start) if start is not None else None
    task = ctx.executor.submit(engine.solve, day.problem, ctx.params, local, deadline)
    ctx.say(f"second search ({engine.name}) started on the other core")
    return Second(engine.name, task, day)


def second_deadline(ctx: Context) -> float:
    """Return when a second whole-day search must answer: a margin before the search deadline.

    The margin lets its plan come home before OR-Tools', which may overrun its
    own limit a little on big days.
    """
    t = ctx.tuning
    return ctx.search_deadline - t.second_margin_s - t.second_margin_share * ctx.params.time_limit_s


def adopt(ctx: Context, second: Second, sequences: list[list[int]], wait_s: float) -> int | None:
    """Replace ``sequences`` in place by the second search's plan when it is valid and cheaper.

    Returns the adopted plan's objective, or None when ``sequences`` is kept.
    """
    outcome = second.task.result(wait_s)
    if outcome.value is None:
        why = outcome.error or "no feasible plan"
        ctx.say(f"second search ({second.name}) gave nothing ({why})")
        ctx.record(second.name, SearchOutcome.NO_PLAN, why)
        return None
    other = second.part.lift(sequences, outcome.value.sequences)
    cost = ctx.cheaper(sequences, other)
    if cost is None:
        ctx.say(f"second search ({second.name}) did not beat the current plan")
        ctx.record(second.name, SearchOutcome.NOT_BETTER)
        return None
    sequences[:] = other
    ctx.say(f"second search ({second.name}) kept: objective {cost}")
    ctx.record(second.name, SearchOutcome.KEPT, f"objective {cost}")
    return cost


def final_wait(ctx: Context) -> float:
    """Return how long to wait for a second search's answer at the end."""
    return max(ctx.tuning.second_wait_min_s, ctx.deadline - time.perf_counter() - 0.05)


def search_whole(ctx: Context, first: FirstPlan, day: Part, pyvrp: Engine | None) -> Found:
    """Improve the whole day with OR-Tools while a second search runs beside it; keep the better.

    Parameters
    ----------
    ctx
        The solve.
    first
        The construction's plan (the start of OR-Tools, and of PyVRP).
    day
        The usable vehicles and all visits.
    pyvrp
        The second engine when PyVRP expresses the day (:func:`second_engine`), else None.
    """
    plan = first.sequences()
    # made first: OR-Tools is then loaded before the second search's process forks
    engine = OrToolsEngine(
        required_penalty=first.required_penalty,
        on_solution=ctx.reporter(first.objective, first.objective),
    )
    second = None
    if (
        ctx.params.solution_limit is None
        and ctx.executor.workers > 0
        and ctx.left() > ctx.tuning.second_min_left_s
    ):
        if pyvrp is not None:
            second = start_second(ctx, pyvrp, day, plan, second_deadline(ctx))
        else:
            other = fallback_engine(day, first.required_penalty, ctx.tuning.vroom_start_share)
            second = start_second(ctx, other, day, None, second_deadline(ctx))
    try:
        answer = engine.solve(day.problem, ctx.params, day.local(plan), ctx.search_deadline)
        improved = _take(ctx, plan, day, answer)
        name = CONSTRUCTION_ORTOOLS
        if second is not None and adopt(ctx, second, plan, final_wait(ctx)) is not None:
            improved, name = True, second.name
    finally:
        if second is not None:
            second.task.cancel()
    return Found(plan, SolveStatus.FEASIBLE if improved else SolveStatus.CONSTRUCTION, name)


def _take(ctx: Context, plan: list[list[int]], day: Part, answer: Answer | None) -> bool:
    """Replace ``plan`` in place by OR-Tools' answer when it is valid and cheaper."""
    if answer is None:
        ctx.record("ortools", SearchOutcome.NO_PLAN, "no solution")
        return False
    new = day.lift(plan, answer.sequences)
    cost = ctx.cheaper(plan, new)
    if cost is None:
        ctx.record("ortools", SearchOutcome.NOT_BETTER, answer.note)
        return False
    plan[:] = new
    ctx.record("ortools", SearchOutcome.KEPT, answer.note)
    return True
