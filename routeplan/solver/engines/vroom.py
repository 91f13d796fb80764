"""VROOM (``pyvroom``) behind the engine protocol (the only module importing vroom).

VROOM builds good VRPTW routes fast and understands skills, breaks, several
windows and capacities, but not prizes traded against travel: it serves as
many (high-priority) visits as it can. Its routes serve as a *start* that
OR-Tools then improves under routeplan's objective (see
:class:`~routeplan.solver.engines.relay.Relay`); like every answer they are
re-timed and checked by the solver before they are used.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from routeplan.solver.engines.base import (
    Answer,
    Sequences,
    common_reason,
    moves_reason,
    serve_cost_reason,
)
from routeplan.solver.model import Problem
from routeplan.solver.params import SolveParams
from routeplan.solver.schedule import has_break

__all__ = ["VroomEngine"]

#: seconds VROOM is always given, however late it is called
_MIN_SEARCH_S = 0.1


@dataclass(frozen=True)
class VroomEngine:
    """VROOM's heuristic, one thread; ignores prizes (serves as much as it can).

    Parameters
    ----------
    exploration
        VROOM's exploration level, 0 (fastest) to 5 (thorough).
    """

    exploration: int = 5

    def __post_init__(self) -> None:
        """Refuse an exploration level outside 0..5."""
        if not 0 <= self.exploration <= 5:
            raise ValueError(f"exploration must be in 0..5, got {self.exploration}")

    @property
    def name(self) -> str:
        """``vroom``."""
        return "vroom"

    def supports(self, problem: Problem) -> str | None:
        """Return why VROOM cannot run (not installed, or nothing to search); None when it can.

        VROOM expresses every constraint but the prizes, which it turns into
        priorities: its plan is a start, not a substitute for the objective. It
        does not run on a re-planned day (move costs): its routes would ignore
        the routes in force.
        """
        return (
            common_reason(problem, "vroom") or moves_reason(problem) or serve_cost_reason(problem)
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
        """Return VROOM's plan, due by ``deadline`` (no warm start: ``start`` is unused).

        VROOM has no work bound of its own (``work`` is unused): on one thread
        it returns the same plan on every run that finishes before ``deadline``.
        """
        if not problem.vehicles or not problem.visits:
            return Answer(tuple(() for _ in problem.vehicles), "nothing to search")
        inp = _input(problem)
        timeout = max(_MIN_SEARCH_S, deadline - time.perf_counter())
        sol = inp.solve(
            exploration_level=self.exploration, nb_threads=1, timeout=dt.timedelta(seconds=timeout)
        )
        out: list[tuple[int, ...]] = [() for _ in problem.vehicles]
        df = sol.routes
        if len(df):
            for vid, grp in df.groupby("vehicle_id", sort=False):
                jobs_done = grp[grp["type"] == "job"]["id"].astype(int).tolist()
                out[int(vid) - 1] = tuple(j - 1 for j in jobs_done)
        return Answer(tuple(out), f"{len(sol.unassigned)} unassigned")


def _input(problem: Problem) -> Any:
    """Return VROOM's input for ``problem``.

    Vehicle ``k`` is VROOM's vehicle ``k + 1`` and visit ``i`` its job ``i + 1``.
    """
    import vroom

    nodes = sorted(
        {v.node for v in problem.visits}
        | {v.start_node for v in problem.vehicles}
        | {v.end_node for v in problem.vehicles}
    )
    loc = {n: i for i, n in enumerate(nodes)}
    idx = np.array(nodes, dtype=np.int64)
    inp = vroom.Input()
    for prof in sorted({v.profile for v in problem.vehicles}):
        inp.set_durations_matrix(f"p{prof}", problem.durations_s[prof][np.ix_(idx, idx)])
    # VROOM jobs need *all* their skills; one skill per distinct allowed set expresses "one of"
    skill_of: dict[tuple[int, ...], int] = {}
    for visit in problem.visits:
        if visit.allowed_vehicles is not None:
            skill_of.setdefault(visit.allowed_vehicles, len(skill_of) + 1)
    for k, agent in enumerate(problem.vehicles):
        breaks = []
        if has_break(problem, k):
            assert agent.break_window is not None
            window = vroom.TimeWindow(*agent.break_window)
            breaks = [vroom.Break(1, time_windows=[window], service=agent.break_s)]
        inp.add_vehicle(
            vroom.Vehicle(
                k + 1,
                start=loc[agent.start_node],
                end=loc[agent.end_node],
                profile=f"p{agent.profile}",
                capacity=[problem.load_limit(k)],
                skills={s for allowed, s in skill_of.items() if k in allowed},
                time_window=vroom.TimeWindow(agent.shift_start_s, agent.shift_end_s),
                breaks=breaks,
            )
        )
    top = max((v.prize for v in problem.visits), default=0) or 1
    inp.add_job([_job(vroom, problem, i, loc, skill_of, top) for i in range(len(problem.visits))])
    return inp


def _job(
    vroom: Any,
    problem: Problem,
    i: int,
    loc: dict[int, int],
    skill_of: dict[tuple[int, ...], int],
    top: int,
) -> Any:
    """Return visit ``i`` as a VROOM job (its prize as a share of ``top`` as priority)."""
    visit = problem.visits[i]
    priority = 100 if visit.required else round(100 * visit.prize / top)
    return vroom.Job(
        i + 1,
        location=loc[visit.node],
        default_service=visit.service_s,
        delivery=[visit.demand],
        skills=None if visit.allowed_vehicles is None else {skill_of[visit.allowed_vehicles]},
        priority=priority,
        time_windows=[vroom.TimeWindow(lo, hi) for lo, hi in visit.windows],
    )
