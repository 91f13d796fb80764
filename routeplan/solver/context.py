"""What every stage of one solve shares: the clock, the settings, the record, the plan's parts.

:class:`Context` replaces attributes a solve would otherwise grow as it goes:
it is made once, before the construction, and holds the deadline, the
executor, the progress lines and the report of every search. :class:`Part`
is some vehicles and visits of the day as a problem of their own (the whole
day's usable vehicles, or an area), with the renumbering both ways.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from routeplan.execution import Executor
from routeplan.solver.engines import Sequences
from routeplan.solver.model import (
    REQUIRED_PENALTY,
    Problem,
    Progress,
    Route,
    SearchOutcome,
    SearchReport,
    SolveMode,
    plan_cost,
)
from routeplan.solver.params import SearchTuning, SolveParams
from routeplan.solver.schedule import plan_is_valid

__all__ = ["Context", "FirstPlan", "Part"]

#: seconds added to the reproducible mode's safety limit
_SAFETY_EXTRA_S = 60.0


@dataclass
class Context:
    """One solve's settings, clock, executor and record."""

    problem: Problem
    params: SolveParams
    executor: Executor
    progress: Progress | None = None
    t0: float = field(default_factory=time.perf_counter)
    log: list[str] = field(default_factory=list)
    searches: list[SearchReport] = field(default_factory=list)
    last_report: float = -1e9

    @property
    def tuning(self) -> SearchTuning:
        """The search's measured constants."""
        return self.params.tuning

    @property
    def mode(self) -> SolveMode:
        """What bounds this solve: the clock, or a fixed amount of work."""
        return SolveMode.REPRODUCIBLE if self.params.reproducible else SolveMode.TIME_LIMITED

    @property
    def deadline(self) -> float:
        """``time.perf_counter()`` instant the result is due.

        In reproducible mode the work decides when the search ends; the clock
        only stops a run that takes ``tuning.reproducible_safety`` times the
        time limit (plus a minute), on a machine far slower than expected.
        """
        limit = self.params.time_limit_s
        if self.params.reproducible:
            limit = limit * self.tuning.reproducible_safety + _SAFETY_EXTRA_S
        return self.t0 + limit

    @property
    def search_deadline(self) -> float:
        """The deadline less the reserve kept for timing, the check and the result."""
        return self.deadline - self.tuning.reserve_s

    def left(self) -> float:
        """Return seconds left before :attr:`search_deadline`."""
        return self.search_deadline - time.perf_counter()

    def say(self, msg: str) -> None:
        """Record and report one progress line."""
        line = f"[{time.perf_counter() - self.t0:6.1f}s] {msg}"
        self.log.append(line)
        if self.progress is not None:
            self.progress(line)

    def record(self, engine: str, outcome: SearchOutcome, detail: str = "") -> None:
        """Record what became of one search."""
        self.searches.append(SearchReport(engine, outcome, detail))

    def reporter(self, base: int, part_start: int) -> Callable[[int], None]:
        """Return a callback that reports a part's improvements, at most every few seconds.

        ``base`` is the whole plan's objective when the part's search began,
        ``part_start`` the part's own; the line gives the whole plan's objective.
        """
        best = [part_start]

        def report(obj: int) -> None:
            if obj < best[0]:
                best[0] = obj
                now = time.perf_counter()
                if now - self.last_report >= self.tuning.report_every_s:
                    self.last_report = now
                    self.say(f"improved: objective {base - part_start + obj}")

        return report

    def cost(
        self,
        sequences: Sequence[Sequence[int]],
        vehicles: Sequence[int] | None = None,
        visits: Sequence[int] | None = None,
    ) -> int:
        """Return travel plus skip costs as the solver compares plans (required weigh most)."""
        return plan_cost(
            self.problem,
            sequences,
            vehicles=vehicles,
            visits=visits,
            required_penalty=REQUIRED_PENALTY,
        )

    def cheaper(
        self, current: Sequence[Sequence[int]], other: Sequence[Sequence[int]]
    ) -> int | None:
        """Return the cost of ``other`` when it is valid and cheaper than ``current``, else None."""
        cost = self.cost(other)
        if cost >= self.cost(current) or not plan_is_valid(self.problem, other):
            return None
        return cost


@dataclass(frozen=True)
class FirstPlan:
    """The construction's plan and what the searches need to know about it."""

    routes: tuple[Route, ...]
    objective: int
    seconds: float
    #: vehicles whose empty day fits their shift (the others get nothing)
    usable: tuple[int, ...]
    #: skip cost OR-Tools gives required visits when the construction left one out
    required_penalty: int | None

    def sequences(self) -> list[list[int]]:
        """Return the plan's visit sequences, one per vehicle."""
        return [list(r.visits) for r in self.routes]


@dataclass(frozen=True)
class Part:
    """Some vehicles and visits of a problem as a problem of their own (``Problem.restrict``)."""

    vehicles: tuple[int, ...]
    visits: tuple[int, ...]
    problem: Problem

    @classmethod
    def of(cls, problem: Problem, vehicles: Sequence[int], visits: Sequence[int]) -> Part:
        """Return the part of ``problem`` with these vehicles and visits."""
        return cls(tuple(vehicles), tuple(visits), problem.restrict(vehicles, visits))

    def local(self, sequences: Sequence[Sequence[int]]) -> Sequences:
        """Return the part's vehicles' routes from a whole plan, numbered as in the part.

        Every visit on those routes must be one of the part's visits.
        """
        pos = {v: i for i, v in enumerate(self.visits)}
        return tuple(tuple(pos[v] for v in sequences[k]) for k in self.vehicles)

    def lift(self, sequences: Sequence[Sequence[int]], answer: Sequences) -> list[list[int]]:
        """Return ``sequences`` with the part's vehicles' routes replaced by ``answer``."""
        new = [list(s) for s in sequences]
        for j, k in enumerate(self.vehicles):
            new[k] = [self.visits[i] for i in answer[j]]
        return new
