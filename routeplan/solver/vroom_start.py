"""Warm start from VROOM (``pyvroom``, a runtime dependency since it lifts VRPTW quality).

VROOM builds good VRPTW routes fast and understands skills, breaks, several
windows and capacities, but not prizes traded against travel: it serves as
many (high-priority) visits as it can. Its routes are only a *start*; OR-Tools
then improves them under routeplan's objective, and every route is re-timed
and checked by :mod:`routeplan.solver.schedule` before it is used. When
``pyvroom`` is not installed, :func:`vroom_routes` returns None.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from routeplan.solver.model import Problem
from routeplan.solver.schedule import has_break


def available() -> bool:
    """Return True when pyvroom can be imported."""
    try:
        import vroom  # noqa: F401
    except ImportError:
        return False
    return True


def vroom_routes(
    problem: Problem,
    vehicles: Sequence[int],
    visits: Sequence[int],
    *,
    time_limit_s: float,
    exploration: int = 5,
) -> list[list[int]] | None:
    """Return VROOM's visit sequences, one per entry of ``vehicles`` (None if unavailable).

    Parameters
    ----------
    problem
        The full problem; only ``vehicles`` and ``visits`` are given to VROOM.
    time_limit_s
        VROOM's timeout in seconds.
    exploration
        VROOM's exploration level, 1 (fast) to 5 (thorough).
    """
    try:
        import vroom
    except ImportError:
        return None
    veh = list(vehicles)
    vis = list(visits)
    if not veh or not vis:
        return [[] for _ in veh]
    nodes = sorted(
        {problem.visits[v].node for v in vis}
        | {problem.vehicles[k].start_node for k in veh}
        | {problem.vehicles[k].end_node for k in veh}
    )
    loc = {n: i for i, n in enumerate(nodes)}
    idx = np.array(nodes, dtype=np.int64)
    inp = vroom.Input()
    for prof in sorted({problem.vehicles[k].profile for k in veh}):
        inp.set_durations_matrix(f"p{prof}", problem.durations_s[prof][np.ix_(idx, idx)])

    # VROOM jobs need *all* their skills; one skill per distinct allowed set expresses "one of"
    skill_of: dict[tuple[int, ...], int] = {}
    for v in vis:
        allowed = problem.visits[v].allowed_vehicles
        if allowed is not None and allowed not in skill_of:
            skill_of[allowed] = len(skill_of) + 1
    for j, k in enumerate(veh):
        agent = problem.vehicles[k]
        breaks = []
        if has_break(problem, k):
            assert agent.break_window is not None
            breaks = [
                vroom.Break(
                    1,
                    time_windows=[vroom.TimeWindow(*agent.break_window)],
                    service=agent.break_s,
                )
            ]
        inp.add_vehicle(
            vroom.Vehicle(
                j + 1,
                start=loc[agent.start_node],
                end=loc[agent.end_node],
                profile=f"p{agent.profile}",
                capacity=[problem.load_limit(k)],
                skills={s for allowed, s in skill_of.items() if k in allowed},
                time_window=vroom.TimeWindow(agent.shift_start_s, agent.shift_end_s),
                breaks=breaks,
            )
        )
    prizes = np.array([problem.visits[v].prize for v in vis], dtype=np.float64)
    top = float(prizes.max()) if len(prizes) and prizes.max() > 0 else 1.0
    jobs = []
    for i, v in enumerate(vis):
        visit = problem.visits[v]
        priority = 100 if visit.required else round(100 * visit.prize / top)
        jobs.append(
            vroom.Job(
                i + 1,
                location=loc[visit.node],
                default_service=visit.service_s,
                delivery=[visit.demand],
                skills=(
                    {skill_of[visit.allowed_vehicles]}
                    if visit.allowed_vehicles is not None
                    else None
                ),
                priority=priority,
                time_windows=[vroom.TimeWindow(lo, hi) for lo, hi in visit.windows],
            )
        )
    inp.add_job(jobs)
    sol = inp.solve(
        exploration_level=exploration,
        nb_threads=1,
        timeout=dt.timedelta(seconds=max(0.1, time_limit_s)),
    )
    out: list[list[int]] = [[] for _ in veh]
    df = sol.routes
    if len(df) == 0:
        return out
    for vid, grp in df.groupby("vehicle_id", sort=False):
        jobs_done = grp[grp["type"] == "job"]["id"].astype(int).tolist()
        out[int(vid) - 1] = [vis[j - 1] for j in jobs_done]
    return out
