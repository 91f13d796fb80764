"""Solve a routing :class:`~routeplan.solver.model.Problem` within a time limit.

``solve(problem, params, progress)`` always returns a feasible
:class:`~routeplan.solver.model.Result`, in three stages:

1. **construction** (:func:`first_plan`): a vectorised regret insertion
   (:mod:`routeplan.solver.construct`) builds a first plan in seconds, even
   for thousands of visits;
2. **epochs** (:mod:`routeplan.solver.portfolio`): OR-Tools improves areas of
   the day (:mod:`routeplan.solver.areas`) while a second engine searches the
   whole day on the other core (PyVRP where it expresses the day, else
   routeplan's ruin-and-recreate search); each epoch is a fixed amount of
   work and starts from the best plan so far;
3. **final check** (:func:`finish`): every route is re-timed and the whole plan
   checked (:mod:`routeplan.solver.schedule`); if anything fails the check the
   construction is returned instead.

The objective is travel seconds plus the prizes of skipped visits. With
``params.reproducible`` nothing depends on the clock: the construction runs
to its end and the epochs' work is set by the time limit alone.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

from routeplan.execution import Executor, InProcessExecutor, default_executor
from routeplan.solver.construct import Builder, construct
from routeplan.solver.context import Context, FirstPlan
from routeplan.solver.model import (
    REQUIRED_PENALTY,
    Problem,
    Progress,
    Result,
    Route,
    SolveStatus,
    route_cost,
)
from routeplan.solver.params import SolveParams
from routeplan.solver.portfolio import Found, search_epochs
from routeplan.solver.schedule import check_routes, timed_routes

__all__ = ["solve"]

#: seconds left below which the construction's plan is returned without a search
_MIN_SEARCH_S = 0.1


def solve(
    problem: Problem,
    params: SolveParams | None = None,
    progress: Progress | None = None,
    *,
    executor: Executor | None = None,
    start: Sequence[Sequence[int]] | None = None,
) -> Result:
    """Return a feasible plan for ``problem`` found within ``params.time_limit_s``.

    Parameters
    ----------
    problem
        The frozen problem (see :mod:`routeplan.solver.model`).
    params
        Time and solution limits, metaheuristic, area size, seed, second engine.
    progress
        Called with one-line updates (construction, improvements, areas).
    executor
        Where the second search runs (:mod:`routeplan.execution`); by default
        a :class:`~routeplan.execution.ProcessExecutor` when another core is
        free and ``params.second_search`` is on, else none runs.
    start
        A plan of the caller's (one visit sequence per vehicle, e.g. the week
        plan's day-by-day construction): re-timed, it replaces the
        construction's plan as the searches' start when its objective is lower.

    Returns
    -------
    Result
        One route per vehicle, dropped visit indices, objective (travel
        seconds + prizes of skipped visits), status, timings, and a report of
        every search.
    """
    params = params or SolveParams()
    if executor is None:
        # without a second search nothing runs beside the caller
        executor = default_executor() if params.second_search else InProcessExecutor()
    ctx = Context(problem, params, executor, progress)
    if not problem.visits or not problem.vehicles:
        ctx.say(f"nothing to route: {'no visits' if not problem.visits else 'no vehicles'}")
        return _result(
            ctx,
            timed_routes(problem, [[] for _ in problem.vehicles]),
            SolveStatus.EMPTY,
            None,
            "construction",
        )
    first = first_plan(ctx)
    if start is not None:
        first = _better_start(ctx, first, start)
    return finish(ctx, first, search(ctx, first))


def _better_start(ctx: Context, first: FirstPlan, start: Sequence[Sequence[int]]) -> FirstPlan:
    """Return ``first`` with the caller's plan instead when that plan costs less."""
    routes = timed_routes(ctx.problem, start)
    cost = route_cost(ctx.problem, routes)
    ctx.say(f"given start: objective {cost} (construction {first.objective})")
    if cost >= first.objective:
        return first
    return dataclasses.replace(first, routes=tuple(routes), objective=cost)


def first_plan(ctx: Context) -> FirstPlan:
    """Build the construction's plan within a share of the time limit."""
    p = ctx.problem
    builder = Builder(p)
    # all-required (VRPTW-like) problems: plain cheapest insertion gave guided local
    # search the better start (benchmarks/README.md); with prizes, regret helps choose
    regret = 0.0 if all(v.required for v in p.visits) else 1.0
    stop = None
    if not ctx.params.reproducible:
        stop = ctx.t0 + ctx.tuning.construction_share * ctx.params.time_limit_s
    routes = timed_routes(p, construct(p, deadline=stop, builder=builder, regret_weight=regret))
    cost = route_cost(p, routes)
    served = {v for r in routes for v in r.visits}
    ctx.say(f"construction: {len(served)}/{len(p.visits)} visits, objective {cost}")
    missing = any(v.required and i not in served for i, v in enumerate(p.visits))
    return FirstPlan(
        routes=tuple(routes),
        objective=cost,
        seconds=time.perf_counter() - ctx.t0,
        usable=tuple(k for k, ok in enumerate(builder.usable) if ok),
        required_penalty=REQUIRED_PENALTY if missing else None,
    )


def search(ctx: Context, first: FirstPlan) -> Found:
    """Improve the construction's plan in epochs (nothing to do without time or vehicles)."""
    if ctx.left() <= _MIN_SEARCH_S or not first.usable:
        return Found(first.sequences(), SolveStatus.CONSTRUCTION, "construction")
    return search_epochs(ctx, first)


def finish(ctx: Context, first: FirstPlan, found: Found) -> Result:
    """Re-time and check the plan found; fall back to the construction if it fails the check."""
    p = ctx.problem
    routes: Sequence[Route] = timed_routes(p, found.sequences)
    status, engine = found.status, found.engine
    # a required visit no vehicle can serve is reported, not a reason to fall back
    problems = [m for m in check_routes(p, routes) if not m.startswith("required visit")]
    if problems:
        ctx.say(f"improved plan failed the check ({problems[0]}); using the construction")
        routes, status, engine = first.routes, SolveStatus.CONSTRUCTION, "construction"
    on_route = {v for r in routes for v in r.visits}
    unserved = [v.id for i, v in enumerate(p.visits) if v.required and i not in on_route]
    if unserved:
        ctx.say(f"{len(unserved)} required visits cannot be served, e.g. {unserved[0]}")
        status = SolveStatus.REQUIRED_UNSERVED
    return _result(ctx, routes, status, first.seconds, engine)


def _result(
    ctx: Context,
    routes: Sequence[Route],
    status: SolveStatus,
    first_s: float | None,
    engine: str,
) -> Result:
    """Return the result of ``routes`` with the solve's record."""
    p = ctx.problem
    served = {v for r in routes for v in r.visits}
    dropped = tuple(i for i in range(len(p.visits)) if i not in served)
    objective = route_cost(p, routes)
    ctx.say(f"done: {len(served)} visits, objective {objective}, status {status}, {ctx.mode}")
    return Result(
        routes=tuple(routes),
        dropped=dropped,
        objective=objective,
        status=status,
        runtime_s=time.perf_counter() - ctx.t0,
        first_solution_s=first_s,
        engine=engine,
        log=tuple(ctx.log),
        searches=tuple(ctx.searches),
        mode=ctx.mode,
    )
