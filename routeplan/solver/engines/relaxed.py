"""PyVRP on a break-free relaxation of the planned visits, repaired and refilled exactly.

PyVRP has no lunch breaks, so it cannot search a day with breaks as it is.
This engine lets it reorder and reassign the visits a plan already serves:

1. **relax**: the visits on the start's routes, all required, on vehicles
   without their break (shifts unchanged) and with one window each (the one
   the start serves them in); PyVRP's iterated local search shortens the
   travel of that fixed set of visits, VRPTW-grade;
2. **repair**: on a route that then has no room for its break, the visits of
   least prize leave until it has (a few routes, a few visits);
3. **refill**: routeplan's ruin-and-recreate search
   (:class:`~routeplan.solver.engines.lns.RuinRecreateEngine`), exact on every
   rule, spends the rest of the work from the repaired plan: the time the
   shorter routes freed goes to the visits the repair dropped and to new ones.

Whatever it returns is re-timed and checked by the solver, and kept only when
cheaper than the plan it started from. Work is counted in ruin-and-recreate
iterations; ``share`` of it goes to PyVRP, at ``pyvrp_per_lns`` PyVRP
iterations each, unless ``pyvrp_work`` fixes PyVRP's iterations: ``work`` is
then the refill's alone, and more work continues the same search.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from routeplan.solver.engines.base import (
    Answer,
    Sequences,
    common_reason,
    moves_reason,
    serve_cost_reason,
)
from routeplan.solver.engines.lns import RuinRecreateEngine
from routeplan.solver.engines.pyvrp import PyVRPEngine
from routeplan.solver.model import Problem
from routeplan.solver.params import SolveParams
from routeplan.solver.schedule import time_route

__all__ = ["RelaxedPolish", "relaxed_problem"]


def relaxed_problem(problem: Problem, visits: list[int]) -> Problem:
    """Return ``visits`` of ``problem`` as required visits of vehicles without breaks."""
    part = problem.restrict(range(len(problem.vehicles)), visits)
    return replace(
        part,
        visits=tuple(replace(v, required=True) for v in part.visits),
        vehicles=tuple(replace(k, break_window=None, break_s=0) for k in part.vehicles),
    )


@dataclass(frozen=True)
class RelaxedPolish:
    """PyVRP over the planned visits without breaks, repaired, then ruin-and-recreate.

    Parameters
    ----------
    lns
        The ruin-and-recreate search that refills the plan (prepared for the
        problem, see :meth:`RuinRecreateEngine.prepared`).
    share
        Share of the work (and of the time to the deadline) PyVRP takes.
    pyvrp_per_lns
        PyVRP iterations worth one ruin-and-recreate iteration (their speeds'
        ratio on this problem).
    pyvrp_work
        PyVRP's iterations, fixed; ``work`` then bounds the refill alone.
    """

    lns: RuinRecreateEngine = field(default_factory=RuinRecreateEngine)
    share: float = 0.3
    pyvrp_per_lns: float = 3.0
    pyvrp_work: int | None = None

    def __post_init__(self) -> None:
        """Refuse a share outside (0, 1)."""
        if not 0 < self.share < 1:
            raise ValueError(f"share must be in (0, 1), got {self.share}")
        if not self.pyvrp_per_lns > 0:
            raise ValueError(f"pyvrp_per_lns must be > 0, got {self.pyvrp_per_lns}")

    @property
    def name(self) -> str:
        """``pyvrp-relaxed+lns``."""
        return "pyvrp-relaxed+lns"

    def supports(self, problem: Problem) -> str | None:
        """Return why the refill cannot run, or PyVRP is missing (None when both can).

        PyVRP's reordering ignores serve costs (``Visit.serve_cost``, the week
        plan), so such problems are declined too.
        """
        return (
            common_reason(problem, "pyvrp")
            or moves_reason(problem)
            or serve_cost_reason(problem)
            or self.lns.supports(problem)
        )

    def solve(
        self,
        problem: Problem,
        params: SolveParams,
        start: Sequences | None,
        deadline: float,
        *,
        work: int | None = None,
    ) -> Answer | None:
        """Return the refilled plan after PyVRP's reordering of ``start``'s visits.

        Without a start, or when PyVRP finds no plan of the relaxation, the
        whole work goes to the ruin-and-recreate search from ``start``.
        """
        lead, lns_work = start, work
        if start is not None and any(start):
            pyvrp_work = self.pyvrp_work
            if pyvrp_work is None and work is not None:
                pyvrp_work = max(1, round(self.share * work * self.pyvrp_per_lns))
                lns_work = max(1, work - round(self.share * work))
            now = time.perf_counter()
            due = now + self.share * (deadline - now)
            lead = self._reorder(problem, params, start, due, pyvrp_work)
        answer = self.lns.solve(problem, params, lead, deadline, work=lns_work)
        if answer is None:
            return None
        return Answer(answer.sequences, f"relaxation then {answer.note}")

    def _reorder(
        self,
        problem: Problem,
        params: SolveParams,
        start: Sequences,
        deadline: float,
        work: int | None,
    ) -> Sequences:
        """Return PyVRP's reordering of ``start``'s visits, repaired; ``start`` if none."""
        visits = sorted(v for seq in start for v in seq)
        relaxed = relaxed_problem(problem, visits)
        pyvrp = PyVRPEngine(restrict_windows=True)
        if pyvrp.supports(relaxed) is not None:
            return start
        pos = {v: i for i, v in enumerate(visits)}
        local = tuple(tuple(pos[v] for v in seq) for seq in start)
        answer = pyvrp.solve(relaxed, params, local, deadline, work=work)
        if answer is None:
            return start
        plan = [[visits[i] for i in seq] for seq in answer.sequences]
        return tuple(_repair(problem, k, seq) for k, seq in enumerate(plan))


def _repair(problem: Problem, k: int, seq: list[int]) -> tuple[int, ...]:
    """Return ``seq`` less its visits of least prize until vehicle ``k`` can time it (break too)."""
    while seq and time_route(problem, k, seq) is None:
        drop = min(range(len(seq)), key=lambda i: (problem.visits[seq[i]].prize, i))
        seq = seq[:drop] + seq[drop + 1 :]
    return tuple(seq)
