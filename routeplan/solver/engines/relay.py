"""Two engines in turn: the first builds a start, the second improves it."""

from __future__ import annotations

import time
from dataclasses import dataclass

from routeplan.solver.engines.base import Answer, Engine, Sequences
from routeplan.solver.model import Problem
from routeplan.solver.params import SolveParams

__all__ = ["Relay"]


@dataclass(frozen=True)
class Relay:
    """``first`` builds a plan with a share of the time, ``then`` improves it until the deadline.

    The routeplan second search on days PyVRP cannot express is
    ``Relay(VroomEngine(), OrToolsEngine())``: guided local search is
    sensitive to its start, and VROOM's routes differ from the construction.
    When ``first`` cannot run or finds nothing, ``then`` starts from ``start``.
    """

    first: Engine
    then: Engine
    #: share of the time to the deadline ``first`` may take
    share: float = 0.35

    def __post_init__(self) -> None:
        """Refuse a share outside (0, 1)."""
        if not 0 < self.share < 1:
            raise ValueError(f"share must be in (0, 1), got {self.share}")

    @property
    def name(self) -> str:
        """``first+then``, e.g. ``vroom+ortools``."""
        return f"{self.first.name}+{self.then.name}"

    def supports(self, problem: Problem) -> str | None:
        """Return why ``then`` cannot search ``problem`` (``first`` is optional)."""
        return self.then.supports(problem)

    def solve(
        self,
        problem: Problem,
        params: SolveParams,
        start: Sequences | None,
        deadline: float,
        *,
        work: int | None = None,
    ) -> Answer | None:
        """Return ``then``'s answer, started from ``first``'s plan when it has one.

        ``work`` bounds ``then``; ``first`` runs within its share of the time.
        """
        lead = start
        if self.first.supports(problem) is None:
            now = time.perf_counter()
            built = self.first.solve(problem, params, start, now + self.share * (deadline - now))
            if built is not None:
                lead = built.sequences
        return self.then.solve(problem, params, lead, deadline, work=work)
