"""The engine protocol: what every search engine behind the solver boundary offers.

An engine searches a whole :class:`~routeplan.solver.model.Problem` (the
solver hands it a restricted problem, :meth:`Problem.restrict`, to search
part of a day). It says first whether it can express the problem, then
returns visit orders only: :mod:`routeplan.solver.schedule` times them, and
the solver checks every answer against the model before it is used.

A new engine is one module in this package with one class that has ``name``,
``supports`` and ``solve``, re-exported from ``__init__``; the third-party
library it wraps is imported there and nowhere else.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

from routeplan.solver.model import Problem
from routeplan.solver.params import SolveParams

__all__ = ["Answer", "Engine", "Sequences", "common_reason", "moves_reason", "serve_cost_reason"]

#: one sequence of visit indices per vehicle of a problem, in vehicle order
Sequences = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Answer:
    """What an engine found: one visit sequence per vehicle, and its own word on the search."""

    sequences: Sequences
    #: how the engine's search ended in its own terms (e.g. OR-Tools' ``ROUTING_SUCCESS``)
    note: str = ""


class Engine(Protocol):
    """A search engine behind the solver boundary."""

    @property
    def name(self) -> str:
        """Short name used in ``Result.engine`` and the log (``ortools``, ``pyvrp``, ...)."""
        ...

    def supports(self, problem: Problem) -> str | None:
        """Return why this engine cannot search ``problem`` (None when it can, exactly)."""
        ...

    def solve(
        self,
        problem: Problem,
        params: SolveParams,
        start: Sequences | None,
        deadline: float,
        *,
        work: int | None = None,
    ) -> Answer | None:
        """Return better visit sequences for ``problem``, or None when the engine found none.

        Parameters
        ----------
        problem
            The problem to search (``supports`` returned None for it).
        params
            Metaheuristic, solution limit and seed; time comes from ``deadline``.
        start
            A feasible plan to start from (one sequence per vehicle), or None.
        deadline
            ``time.perf_counter()`` instant by which the answer is due (the
            same clock in every process of one machine).
        work
            At most this many units of the engine's own work (OR-Tools
            solutions, PyVRP iterations, ruin-and-recreate iterations), or
            None for no bound but ``deadline``. Given the same problem, start,
            seed and work, an engine that honours it returns the same answer
            on every run that ends by its work rather than its deadline.
        """
        ...


def common_reason(problem: Problem, library: str | None = None) -> str | None:
    """Return why no engine need run on ``problem``, or why ``library`` is missing; else None.

    ``library`` is the module an engine wraps (``"pyvrp"``); it is looked up
    here only to see whether it can be imported.
    """
    if library is not None:
        try:
            importlib.import_module(library)
        except ImportError:
            return f"{'pyvroom' if library == 'vroom' else library} is not installed"
    if not problem.vehicles or not problem.visits:
        return "nothing to search"
    return None


def serve_cost_reason(problem: Problem) -> str | None:
    """Return why an engine that cannot charge ``Visit.serve_cost`` must not search ``problem``.

    Its plan would ignore what serving a visit on each vehicle costs (the week
    plan's later days and other agents), or what a day outside its visit band
    costs (``Vehicle.visit_band``, the week's balance); None when the problem
    has no such cost.
    """
    if problem.has_serve_costs():
        return "visits cost more on some vehicles (week plan), which this engine does not express"
    if problem.has_visit_bands():
        return "agents' days carry a visit band (week balance), which this engine does not express"
    return None


def moves_reason(problem: Problem) -> str | None:
    """Return why an engine that ignores move costs must not search ``problem`` (re-planning).

    An engine that cannot charge ``Visit.move_cost`` would reshuffle the routes
    in force for small gains; None when the problem has no move costs.
    """
    if problem.current_routes is not None and any(v.move_cost for v in problem.visits):
        return "visits carry move costs (re-planning), which this engine does not express"
    return None
