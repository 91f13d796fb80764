"""Improve the day in epochs of fixed work on two cores, keeping the best plan.

In each epoch the caller's process runs OR-Tools over areas of the day
(:class:`~routeplan.solver.areas.AreaSearch`) while the executor runs a
second engine over the whole day from the same plan: PyVRP where it
expresses the day exactly, else routeplan's ruin-and-recreate search
(:class:`~routeplan.solver.engines.RuinRecreateEngine`), which keeps every
rule (breaks, skills, several windows) exact. At the end of the epoch the
cheaper of the two plans, re-timed and checked, is where the next epoch
starts; a plan is only ever replaced by a cheaper one.

Every epoch is a fixed amount of work. Its length in nominal seconds
(``tuning.epoch_s``, then ``tuning.epoch_growth`` times longer each time)
becomes area searches, PyVRP iterations or ruin-and-recreate iterations by
measured rates, never by reading the clock. So a 30 s run begins with the
epochs of a 5 s run and only adds more, and a busy machine finishes fewer
epochs instead of searching differently. In time-limited mode the deadline
cuts the last epoch short (each engine returns its best so far); in
reproducible mode the epochs run until their nominal seconds add up to the
time limit, whatever the clock says, and the executor's timing decides
nothing: each epoch waits for both answers and compares them in a fixed
order. Where no second core is free, the executor runs the second engine
before the areas, in the caller's process: the same work, one after the other.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from routeplan.solver.areas import AreaSearch, Plan
from routeplan.solver.context import Context, FirstPlan, Part
from routeplan.solver.engines import (
    Answer,
    Engine,
    OrToolsEngine,
    PyVRPEngine,
    RelaxedPolish,
    RuinRecreateEngine,
    Sequences,
)
from routeplan.solver.model import SearchOutcome, SolveStatus
from routeplan.solver.params import SearchTuning, SecondEngine, SolveParams

__all__ = ["CONSTRUCTION_ORTOOLS", "Epoch", "Found", "epochs", "search_epochs", "second_engine"]

#: Result.engine when OR-Tools improved (or kept) the construction's plan
CONSTRUCTION_ORTOOLS = "construction+ortools"
#: the record of the second core's OR-Tools search over the whole day (second_engine "ortools")
ORTOOLS_DAY = "ortools-day"
#: nominal seconds below which an epoch is not worth starting
_MIN_EPOCH_S = 0.05
#: seconds left below which a time-limited search starts no new epoch (a child process,
#: PyVRP's data and a first area search take about that long)
_LAST_EPOCH_S = 0.5


@dataclass(frozen=True)
class Found:
    """What a search stage returns: the plan, how it ended, the engine whose plan it is."""

    sequences: list[list[int]]
    status: SolveStatus
    engine: str


@dataclass(frozen=True)
class Epoch:
    """One epoch: its number (from 0), its length in nominal seconds, and before any trim."""

    index: int
    nominal_s: float
    full_s: float


def epochs(tuning: SearchTuning, budget_s: float | None) -> Iterator[Epoch]:
    """Yield the epochs of a search, growing, until their nominal seconds reach ``budget_s``.

    The last epoch is trimmed to the budget; None means no budget (the clock
    ends the search). The lengths never depend on the budget except for that
    trim, so a larger budget repeats a smaller one's epochs and adds more.
    """
    index, spent = 0, 0.0
    while budget_s is None or budget_s - spent > _MIN_EPOCH_S:
        full = tuning.epoch_s * tuning.epoch_growth**index
        length = full if budget_s is None else min(full, budget_s - spent)
        yield Epoch(index, length, full)
        spent += length
        index += 1


def second_engine(ctx: Context, day: Part) -> tuple[Engine, str] | None:
    """Return the engine for the other core and its name in the record (None: no second search).

    PyVRP when the settings allow it and it expresses the day exactly; else
    PyVRP on the break-free relaxation of the planned visits, repaired and
    refilled by routeplan's ruin-and-recreate search
    (:class:`~routeplan.solver.engines.RelaxedPolish`), or that search alone
    when PyVRP is missing (OR-Tools over the whole day with ``second_engine =
    "ortools"``). None with a solution limit, or with ``second_search`` off
    outside reproducible mode (in reproducible mode the second engine's work
    then runs in this process, one epoch after the other, so that a plan made
    on a one-core cluster worker is the plan made on a desktop). Why PyVRP is
    not used as it is is logged and recorded in ``Result.searches``.
    """
    setting = ctx.params.second_engine
    pyvrp = PyVRPEngine(restrict_windows=setting == SecondEngine.PYVRP)
    one_search = not ctx.params.second_search and not ctx.params.reproducible
    if ctx.params.solution_limit is not None or one_search:
        why = (
            "a solution limit is set: one search only"
            if ctx.params.solution_limit is not None
            else "second_search is off: one search only"
        )
        ctx.record("pyvrp", SearchOutcome.DECLINED, why)
        return None
    elif setting == SecondEngine.ORTOOLS:
        why = "second_engine is 'ortools'"
    else:
        reason = pyvrp.supports(day.problem)
        if reason is None:
            return pyvrp, pyvrp.name
        why = reason
    ctx.record("pyvrp", SearchOutcome.DECLINED, why)
    if setting == SecondEngine.ORTOOLS:
        ctx.say(f"second engine: OR-Tools on the whole day, not PyVRP ({why})")
        return OrToolsEngine(), ORTOOLS_DAY
    lns = RuinRecreateEngine().prepared(day.problem)
    polish = _relaxed_polish(ctx, day, lns)
    if polish.supports(day.problem) is None:
        ctx.say(f"second engine: PyVRP on a relaxation, then ruin-and-recreate ({why})")
        return polish, polish.name
    ctx.say(f"second engine: ruin-and-recreate, not PyVRP ({why})")
    return lns, lns.name


@dataclass
class _Tally:
    """What became of one engine's searches over the epochs."""

    answered: int = 0
    kept: int = 0
    last_error: str = "no epoch left it enough work to run"


@dataclass
class _Run:
    """The search in progress: the plan, its cost, and what each engine did."""

    plan: Plan
    cost: int
    engine: str
    tallies: dict[str, _Tally] = field(default_factory=dict)

    def tally(self, name: str) -> _Tally:
        """Return the tally of engine ``name``."""
        return self.tallies.setdefault(name, _Tally())


def search_epochs(ctx: Context, first: FirstPlan) -> Found:
    """Improve the construction's plan in epochs until the work or the time is spent."""
    day = Part.of(ctx.problem, first.usable, range(len(ctx.problem.visits)))
    areas = AreaSearch(ctx, first)
    run = _Run(first.sequences(), ctx.cost(first.sequences()), "construction")
    second = second_engine(ctx, day)
    if ctx.params.solution_limit is not None:
        run.plan, run.cost = areas.run(run.plan, run.cost, areas.areas_to_cover(), ctx.deadline)
        if areas.improved:
            run.engine = CONSTRUCTION_ORTOOLS
        _record(ctx, run, areas, None)
        return _found(run)
    done = 0
    for epoch in epochs(ctx.tuning, _budget_s(ctx)):
        if ctx.left() <= (_MIN_EPOCH_S if ctx.params.reproducible else _LAST_EPOCH_S):
            break
        _epoch(ctx, run, areas, None if second is None else (*second, day), epoch)
        done += 1
    ctx.say(f"epochs: {done} run, objective {run.cost}")
    if ctx.params.reproducible and ctx.left() <= _MIN_EPOCH_S:
        ctx.say(
            "reproducible: the safety time limit stopped the work; "
            "another run may return another plan"
        )
    _record(ctx, run, areas, None if second is None else second[1])
    return _found(run)


def _relaxed_polish(ctx: Context, day: Part, lns: RuinRecreateEngine) -> RelaxedPolish:
    """Return the relaxation engine, its PyVRP work scaled to the visits a plan can hold."""
    t, p = ctx.tuning, day.problem
    served = min(len(p.visits), sum(p.load_limit(k) for k in range(len(p.vehicles))))
    ratio = t.relaxed_pyvrp_per_s / math.sqrt(max(1, served)) / t.lns_per_s
    return RelaxedPolish(lns=lns, share=t.relaxed_share, pyvrp_per_lns=ratio)


def _budget_s(ctx: Context) -> float | None:
    """Return the nominal seconds of search in reproducible mode (None: the clock decides).

    The time limit less the reserve and the construction's nominal time
    (``visits * vehicles / tuning.construction_cells_per_s``).
    """
    if not ctx.params.reproducible:
        return None
    p, t = ctx.problem, ctx.tuning
    construction_s = len(p.visits) * len(p.vehicles) / t.construction_cells_per_s
    return max(0.0, ctx.params.time_limit_s - t.reserve_s - construction_s)


def _second_work(
    ctx: Context, engine: Engine, epoch: Epoch, visits: int
) -> tuple[Engine, int] | None:
    """Return the second engine for ``epoch`` and its work, or None when it cannot run.

    Work is PyVRP iterations, ruin-and-recreate iterations, or OR-Tools
    solutions. The relaxation's PyVRP phase is sized by the epoch before any
    trim and the trim only shortens the refill after it, so a trimmed epoch is
    the start of the full one; an epoch trimmed shorter than that phase runs
    no second engine (the full epoch can then only do better).
    """
    t = ctx.tuning
    if isinstance(engine, RelaxedPolish):
        lead = round(engine.share * epoch.full_s * t.lns_per_s)
        work = round(epoch.nominal_s * t.lns_per_s)
        if work < lead:
            return None
        phase = replace(engine, pyvrp_work=max(1, round(lead * engine.pyvrp_per_lns)))
        return phase, max(1, work - lead)
    if isinstance(engine, PyVRPEngine):
        rate = t.pyvrp_per_s / math.sqrt(max(1, visits))
    elif isinstance(engine, RuinRecreateEngine):
        rate = t.lns_per_s
    else:
        rate = t.area_solutions / t.area_round_s
    return engine, max(1, round(epoch.nominal_s * rate))


def _second_deadline(ctx: Context) -> float:
    """Return when the second engine must answer: a margin before the search deadline.

    The margin lets its plan come home before OR-Tools' area search, which
    may overrun its own limit a little on big days. In reproducible mode the
    deadline is only the safety limit.
    """
    t = ctx.tuning
    if ctx.params.reproducible:
        return ctx.search_deadline
    return ctx.search_deadline - t.second_margin_s - t.second_margin_share * ctx.params.time_limit_s


def _epoch(
    ctx: Context,
    run: _Run,
    areas: AreaSearch,
    second: tuple[Engine, str, Part] | None,
    epoch: Epoch,
) -> None:
    """Run one epoch: the second engine (if any) beside the areas, then keep the cheapest plan."""
    start = [list(s) for s in run.plan]
    task = None
    if second is not None:
        engine, _, day = second
        # each epoch's search gets its own seed: the same in every run of the same settings
        params = replace(ctx.params, seed=ctx.params.seed + 7919 * (epoch.index + 1))
        job = _second_work(ctx, engine, epoch, len(day.visits))
        if job is not None:
            task = ctx.executor.submit(
                _search_day, job[0], day, params, day.local(start), _second_deadline(ctx), job[1]
            )
    rounds = max(1, round(epoch.nominal_s / ctx.tuning.area_round_s))
    began = time.perf_counter()
    own, own_cost = areas.run(start, run.cost, rounds, ctx.search_deadline)
    own_s = time.perf_counter() - began
    kept = "the start"
    if own_cost < run.cost:
        run.plan, run.cost, run.engine = own, own_cost, CONSTRUCTION_ORTOOLS
        run.tally("ortools").kept += 1
        kept = "the areas' plan"
    waited = ""
    if second is not None and task is not None:
        began = time.perf_counter()
        outcome = task.result(
            max(ctx.tuning.second_wait_min_s, ctx.deadline - time.perf_counter() - 0.05)
        )
        waited = f", then {time.perf_counter() - began:.1f} s waiting for {second[1]}"
        lifted = second[2].lift(start, outcome.value.sequences) if outcome.value else None
        if _take_second(ctx, run, second[1], lifted, outcome.error):
            kept = second[1]
    ctx.say(
        f"epoch {epoch.index + 1} ({epoch.nominal_s:.1f} s of work): areas {own_s:.1f} s"
        f"{waited}; {kept} kept, objective {run.cost}"
    )


def _take_second(ctx: Context, run: _Run, name: str, other: Plan | None, error: str | None) -> bool:
    """Make the second engine's plan the run's when it is valid and cheaper; say if it was."""
    tally = run.tally(name)
    if other is None:
        tally.last_error = error or "no feasible plan"
        return False
    tally.answered += 1
    cost = ctx.cheaper(run.plan, other)
    if cost is None:
        return False
    run.plan, run.cost, run.engine = other, cost, name
    tally.kept += 1
    return True


def _search_day(
    engine: Engine, day: Part, params: SolveParams, start: Sequences, deadline: float, work: int
) -> Answer | None:
    """Run ``engine`` on the day with a work bound (a task for the executor)."""
    return engine.solve(day.problem, params, start, deadline, work=work)


def _record(ctx: Context, run: _Run, areas: AreaSearch, second: str | None) -> None:
    """Record what OR-Tools' areas and the second engine did over the epochs."""
    ortools = run.tally("ortools")
    outcome = SearchOutcome.KEPT if ortools.kept else SearchOutcome.NOT_BETTER
    ctx.say(f"areas: {areas.rounds} solved, {areas.improved} improved")
    ctx.record("ortools", outcome, f"{areas.rounds} areas, {areas.improved} improved")
    if second is None:
        return
    tally = run.tally(second)
    if tally.kept:
        ctx.record(second, SearchOutcome.KEPT, f"kept in {tally.kept} epochs")
    elif tally.answered:
        ctx.say(f"second search ({second}) did not beat the current plan")
        ctx.record(second, SearchOutcome.NOT_BETTER)
    else:
        ctx.say(f"second search ({second}) gave no plan ({tally.last_error})")
        ctx.record(second, SearchOutcome.NO_PLAN, tally.last_error)


def _found(run: _Run) -> Found:
    """Return the search's plan, with its status and the engine of its last improvement."""
    improved = run.engine != "construction"
    status = SolveStatus.FEASIBLE if improved else SolveStatus.CONSTRUCTION
    return Found(run.plan, status, run.engine)
