"""Turn today's eligible accounts and usable agents into a solver problem.

Structural reasons a visit cannot be planned (no agent with the skill, no
window inside the shifts and legal hours, cannot be reached and returned
from within any shift) are diagnosed here, before solving, so that the
solver only sees visits that can be planned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from routeplan import schema as S
from routeplan.config import Config
from routeplan.formats import NO_WINDOW_TODAY, format_clock, format_windows
from routeplan.solver.model import Problem, Vehicle, Visit
from routeplan.travel.base import Points, TravelModel
from routeplan.travel.day import DayTravel, day_travel
from routeplan.travel.profiles import agent_mode

DAY_MIN = 24 * 60
#: optional agents column: why the agent does not work on the plan date (set by the week plan)
OFF_REASON = "off_reason"


@dataclass(frozen=True)
class AgentStatus:
    """Whether an agent can be given visits on the plan date, and why not."""

    usable: pd.DataFrame
    unusable: pd.DataFrame  # agent_id, reason


def agent_status(agents: pd.DataFrame, plan_date: dt.date, config: Config) -> AgentStatus:
    """Split agents into usable ones and those that get no visits today.

    An agent gets no visits without a credential id, with a credential that
    expired before ``plan_date``, with ``max_visits`` of 0, or when an
    ``off_reason`` column says why he does not work that day (the week plan's
    ``availability.csv``).
    """
    reasons: list[str] = []
    for row in agents.itertuples(index=False):
        cred = str(getattr(row, S.CREDENTIAL_ID) or "").strip()
        expiry = getattr(row, S.CREDENTIAL_EXPIRY)
        max_visits = getattr(row, S.MAX_VISITS)
        off = str(getattr(row, OFF_REASON, "") or "")
        if off:
            reasons.append(off)
        elif not cred:
            reasons.append("no credential_id: cannot show a collector ID")
        elif expiry is not None and not _isna(expiry) and expiry < plan_date:
            reasons.append(f"credential {cred} expired on {expiry.isoformat()}")
        elif max_visits is not None and not _isna(max_visits) and int(max_visits) == 0:
            reasons.append("max_visits is 0")
        else:
            reasons.append("")
    mask = pd.Series([r == "" for r in reasons], index=agents.index, dtype=bool)
    unusable = pd.DataFrame(
        {S.AGENT_ID: agents.loc[~mask, S.AGENT_ID], "reason": [r for r in reasons if r]}
    )
    return AgentStatus(agents[mask].reset_index(drop=True), unusable.reset_index(drop=True))


@dataclass(frozen=True)
class AgentBreak:
    """The break an agent owes on the day: ``agents.csv``'s window clipped to the shift.

    ``window`` is ``(start_min, end_min)`` after midnight, the part of the
    break window inside the shift, where the whole break of ``minutes`` must
    lie; None when no break is owed. ``note`` says why not when the agent has
    a break window that the shift leaves too short (empty otherwise).
    """

    minutes: int
    window: tuple[int, int] | None
    note: str = ""
    #: the window as ``agents.csv`` gives it (None without break columns)
    given: tuple[int, int] | None = None

    @property
    def owed(self) -> bool:
        """Whether the agent must take a break today."""
        return self.window is not None

    def describe(self) -> str:
        """Return the break as ``summary.json`` states it (``none: ...`` when not owed)."""
        if self.window is None:
            return f"none: {self.note}" if self.note else "none"
        text = f"{self.minutes} min in {_span(self.window)}"
        if self.given is not None and self.given != self.window:
            text += f" (window {_span(self.given)} clipped to the shift)"
        return text


def day_break(shift: tuple[int, int], window: tuple[int, int] | None, minutes: int) -> AgentBreak:
    """Clip a break window to the shift and say whether the break is still owed.

    Parameters
    ----------
    shift
        ``(start_min, end_min)`` of the agent's shift.
    window
        ``(start_min, end_min)`` in which the break is taken, as given; None
        when the agent has no break.
    minutes
        The break's length; 0 means no break.

    Returns
    -------
    AgentBreak
        The window inside the shift when it still holds ``minutes``; else no
        break is owed and ``note`` says why (a lunch window outside the shift
        is normal for a late shift and refuses nothing).
    """
    if window is None or minutes <= 0:
        return AgentBreak(0, None)
    lo, hi = max(window[0], shift[0]), min(window[1], shift[1])
    if hi <= lo:
        note = f"break window {_span(window)} lies outside the shift {_span(shift)}"
        return AgentBreak(minutes, None, note, window)
    if hi - lo < minutes:
        note = (
            f"break window {_span(window)} leaves {hi - lo} min inside the shift "
            f"{_span(shift)}, less than the {minutes}-min break"
        )
        return AgentBreak(minutes, None, note, window)
    return AgentBreak(minutes, (lo, hi), "", window)


def agent_break(agent: Any) -> AgentBreak:
    """Return the break an agent row of ``agents.csv`` owes (see :func:`day_break`).

    ``agent`` is a row of the validated agents table: a ``pandas.Series`` or a
    row of ``itertuples``.
    """

    def get(column: str) -> Any:
        return agent.get(column) if isinstance(agent, pd.Series) else getattr(agent, column, None)

    shift = (int(get(S.SHIFT_START)), int(get(S.SHIFT_END)))
    bm, bs, be = get(S.BREAK_MINUTES), get(S.BREAK_START), get(S.BREAK_END)
    if any(x is None or _isna(x) for x in (bm, bs, be)):
        return AgentBreak(0, None)
    return day_break(shift, (int(bs), int(be)), int(bm))


def _span(window: tuple[int, int]) -> str:
    return f"{format_clock(window[0])}-{format_clock(window[1])}"


@dataclass(frozen=True)
class BuiltProblem:
    """A solver problem plus what is needed to read its result back.

    ``visit_accounts[i]`` is the account of visit ``i``; ``vehicle_agents[k]``
    the agent of vehicle ``k``; ``windows_min`` the account's effective visit
    windows (minutes, after legal hours); ``dropped`` the structural drops.
    """

    problem: Problem
    visit_accounts: tuple[str, ...]
    vehicle_agents: tuple[str, ...]
    windows_min: Mapping[str, tuple[tuple[int, int], ...]]
    dropped: pd.DataFrame
    #: the day's travel matrices (one per profile), as the travel model made them
    travel: DayTravel | None = None
    #: agents whose start or end has no road route, and why
    agent_notes: Mapping[str, str] = dataclasses.field(default_factory=dict)


def effective_windows(
    windows: tuple[tuple[int, int], ...], legal: tuple[int, int]
) -> tuple[tuple[int, int], ...]:
    """Intersect an account's visit windows (empty = any time) with legal hours."""
    base = windows or ((0, DAY_MIN),)
    lo_l, hi_l = legal
    out = []
    for lo, hi in base:
        a, b = max(lo, lo_l), min(hi, hi_l)
        if a < b:
            out.append((a, b))
    return tuple(out)


def _subtract(
    windows: tuple[tuple[int, int], ...], avoid: tuple[int, int]
) -> tuple[tuple[int, int], ...]:
    x, y = avoid
    out: list[tuple[int, int]] = []
    for lo, hi in windows:
        if hi <= x or lo >= y:
            out.append((lo, hi))
            continue
        if lo < x:
            out.append((lo, x))
        if hi > y:
            out.append((y, hi))
    return tuple(out)


def required_skills(account: pd.Series | object, config: Config) -> tuple[str, ...]:
    """Return the skills an agent needs for this account (language, seniority)."""
    need: list[str] = []
    lang = str(getattr(account, S.LANGUAGE, "") or "").strip().lower()
    if lang:
        need.append(lang)
    if float(getattr(account, S.BALANCE)) >= config.visits.senior_balance:
        need.append(config.visits.senior_skill)
    return tuple(need)


def build_problem(
    eligible: pd.DataFrame,
    agents: pd.DataFrame,
    config: Config,
    *,
    avoid_windows: Mapping[str, tuple[int, int]] | None = None,
    travel: TravelModel | None = None,
) -> BuiltProblem:
    """Build the routing problem for ``eligible`` accounts and usable ``agents``.

    Parameters
    ----------
    eligible
        Eligible accounts with coordinates and an ``expected_recovery`` column.
    agents
        Usable agents (see :func:`agent_status`).
    config
        Service time, seniority rule, travel model, legal hours and the
        objective's ``value_of_hour``.
    avoid_windows
        ``account_id -> (start_min, end_min)`` times of day to avoid (the last
        unanswered attempt); ignored when nothing else would remain.
    travel
        The travel model (default: the one ``config.travel`` names). An
        account it has no road route to (too far from any road, a road cut off
        from the agents' bases) is dropped with ``no_road_route``.
    """
    if travel is None:
        from routeplan.travel.factory import travel_model

        with travel_model(config.travel) as model:
            return build_problem(
                eligible, agents, config, avoid_windows=avoid_windows, travel=model
            )
    avoid = avoid_windows or {}
    legal = (config.legal.start_min, config.legal.end_min)
    service_s = config.visits.service_min * 60
    n_acc = len(eligible)
    m = len(agents)

    # --- nodes and matrices ----------------------------------------------------------
    depot_points: dict[tuple[float, float], int] = {}
    depot_ids: list[str] = []  # location ids (a matrix file's keys): base:AGENT, end:AGENT
    for row in agents.itertuples(index=False):
        for kind, lat, lon in (
            ("base", getattr(row, S.BASE_LAT), getattr(row, S.BASE_LON)),
            ("end", getattr(row, S.END_LAT), getattr(row, S.END_LON)),
        ):
            if (float(lat), float(lon)) not in depot_points:
                depot_points[(float(lat), float(lon))] = n_acc + len(depot_points)
                depot_ids.append(f"{kind}:{getattr(row, S.AGENT_ID)}")
    lats = np.concatenate([eligible[S.LAT].to_numpy(float), [p[0] for p in depot_points]])
    lons = np.concatenate([eligible[S.LON].to_numpy(float), [p[1] for p in depot_points]])
    ids = (*(str(a) for a in eligible[S.ACCOUNT_ID]), *depot_ids)
    day = day_travel(
        travel, Points.of(lats, lons, ids), [agent_mode(r) for r in agents.itertuples(index=False)]
    )
    # the solver has one distance matrix (for km and proximity): the first profile's
    dist = day.matrices[0].distances_m
    durations = tuple(mat.durations_s for mat in day.matrices)
    profiles = list(day.agent_profile)

    # --- vehicles ------------------------------------------------------------------------
    vehicles: list[Vehicle] = []
    skills: list[frozenset[str]] = []
    for k, row in enumerate(agents.itertuples(index=False)):
        vehicles.append(_vehicle(row, depot_points, profiles[k], config))
        skills.append(frozenset(getattr(row, S.SKILLS) or ()))

    # --- visits, with structural diagnosis -----------------------------------------------
    shift_lo = np.array([v.shift_start_s for v in vehicles], dtype=np.int64)
    shift_hi = np.array([v.shift_end_s for v in vehicles], dtype=np.int64)
    starts = np.array([v.start_node for v in vehicles], dtype=np.int64)
    ends = np.array([v.end_node for v in vehicles], dtype=np.int64)
    prof = np.array(profiles, dtype=np.int64)
    to_visit = np.zeros((n_acc, m), dtype=np.int64)
    from_visit = np.zeros((n_acc, m), dtype=np.int64)
    routable = np.zeros((n_acc, m), dtype=bool)  # a road route from the start and to the end
    for p, dur in enumerate(durations):
        cols = np.flatnonzero(prof == p)
        if len(cols) and n_acc:
            to_visit[:, cols] = dur[starts[cols]][:, :n_acc].T
            from_visit[:, cols] = dur[:n_acc][:, ends[cols]]
            ok = day.matrices[p].routed
            routable[:, cols] = ok[starts[cols]][:, :n_acc].T & ok[:n_acc][:, ends[cols]]
            # a place off the network is never visited, not even from a base at that place
            off = np.array([i for i in day.matrices[p].notes if i < n_acc], dtype=np.int64)
            routable[np.ix_(off, cols)] = False
    earliest = shift_lo[None, :] + to_visit  # earliest service start per (visit, vehicle)
    latest = shift_hi[None, :] - service_s - from_visit

    visits: list[Visit] = []
    visit_accounts: list[str] = []
    windows_min: dict[str, tuple[tuple[int, int], ...]] = {}
    dropped: list[dict[str, object]] = []
    value_per_s = config.solver.value_of_hour / 3600.0
    for i, row in enumerate(eligible.itertuples(index=False)):
        acc = str(getattr(row, S.ACCOUNT_ID))
        raw = tuple(row.windows or ())
        wins = _visit_windows(raw, legal, avoid.get(acc), config.visits.service_min)
        windows_min[acc] = wins
        start_wins = tuple(
            (a * 60, b * 60 - service_s) for a, b in wins if b * 60 - service_s >= a * 60
        )
        need = required_skills(row, config)
        skilled = np.array([set(need) <= sk for sk in skills], dtype=bool)
        if not routable[i].any():
            why = day.note(i) or (
                "no road route from any agent's start to it and on to the agent's end "
                "(a road cut off from the rest)"
            )
            dropped.append(_drop(acc, S.DR_NO_ROAD, why))
            continue
        if not start_wins:
            shown = "none on this weekday" if raw == NO_WINDOW_TODAY else format_windows(raw)
            shown = shown or "any time"
            dropped.append(
                _drop(
                    acc,
                    S.DroppedReason.NO_WINDOW,
                    f"windows {shown} leave no {config.visits.service_min}-min visit "
                    f"inside legal hours {format_clock(legal[0])}-"
                    f"{format_clock(legal[1])}",
                )
            )
            continue
        if not skilled.any():
            dropped.append(
                _drop(
                    acc,
                    S.DroppedReason.NO_SKILL,
                    f"needs {' + '.join(need)}; no usable agent has it",
                )
            )
            continue
        shift_meet = np.zeros(m, dtype=bool)
        reach = np.zeros(m, dtype=bool)
        for lo, hi in start_wins:
            shift_meet |= np.maximum(lo, shift_lo) <= np.minimum(hi, shift_hi - service_s)
            reach |= np.maximum(lo, earliest[i]) <= np.minimum(hi, latest[i])
        ok = skilled & reach & routable[i]
        if not ok.any():
            if not (skilled & shift_meet).any():
                dropped.append(
                    _drop(
                        acc,
                        S.DroppedReason.NO_WINDOW,
                        f"windows {format_windows(wins)} do not meet the shift of "
                        "any agent with the needed skills",
                    )
                )
            else:
                dropped.append(
                    _drop(
                        acc,
                        S.DroppedReason.UNREACHABLE,
                        "no agent with the skills can travel there, visit and "
                        "return within the shift",
                    )
                )
            continue
        allowed = None if ok.all() else tuple(int(k) for k in np.flatnonzero(ok))
        er = float(row.expected_recovery)
        visits.append(
            Visit(
                id=acc,
                node=i,
                service_s=service_s,
                windows=start_wins,
                prize=_prize(er, value_per_s),
                allowed_vehicles=allowed,
            )
        )
        visit_accounts.append(acc)

    problem = _compact(dist, durations, visits, vehicles)
    agent_notes = {
        v.id: day.note(node)
        for v in vehicles
        for node in (v.start_node, v.end_node)
        if day.note(node)
    }
    return BuiltProblem(
        problem=problem,
        visit_accounts=tuple(visit_accounts),
        vehicle_agents=tuple(v.id for v in vehicles),
        windows_min=windows_min,
        dropped=pd.DataFrame(dropped, columns=list(S.DROPPED_COLUMNS)),
        travel=day,
        agent_notes=agent_notes,
    )


def _vehicle(
    row: Any, depot_points: Mapping[tuple[float, float], int], profile: int, config: Config
) -> Vehicle:
    """Return the solver vehicle of an agent row (minutes turned into seconds)."""
    start = depot_points[(float(getattr(row, S.BASE_LAT)), float(getattr(row, S.BASE_LON)))]
    end = depot_points[(float(getattr(row, S.END_LAT)), float(getattr(row, S.END_LON)))]
    mv = getattr(row, S.MAX_VISITS)
    max_visits = int(mv) if mv is not None and not _isna(mv) else config.visits.default_max_visits
    owed = agent_break(row)
    brk = None
    brk_s = 0
    if owed.window is not None:
        # the solver's window is for the break's start
        brk = (owed.window[0] * 60, (owed.window[1] - owed.minutes) * 60)
        brk_s = owed.minutes * 60
    return Vehicle(
        id=str(getattr(row, S.AGENT_ID)),
        start_node=start,
        end_node=end,
        shift_start_s=int(getattr(row, S.SHIFT_START)) * 60,
        shift_end_s=int(getattr(row, S.SHIFT_END)) * 60,
        max_visits=max_visits,
        profile=profile,
        break_window=brk,
        break_s=brk_s,
    )


def _visit_windows(
    raw: tuple[tuple[int, int], ...],
    legal: tuple[int, int],
    avoid: tuple[int, int] | None,
    service_min: int,
) -> tuple[tuple[int, int], ...]:
    """Return an account's windows (minutes) inside legal hours, around ``avoid`` if one fits.

    The time to avoid is cut out only when a window of at least ``service_min``
    minutes remains; otherwise the legal windows are kept whole.
    """
    wins = effective_windows(raw, legal)
    if avoid is not None and wins:
        rest = _subtract(wins, avoid)
        if any(b - a >= service_min for a, b in rest):
            return rest
    return wins


def _compact(
    dist: np.ndarray,
    durations: tuple[np.ndarray, ...],
    visits: list[Visit],
    vehicles: list[Vehicle],
) -> Problem:
    """Keep only the matrix nodes a visit or vehicle uses (dropped accounts go)."""
    used = sorted(
        {v.node for v in visits} | {k.start_node for k in vehicles} | {k.end_node for k in vehicles}
    )
    remap = {old: new for new, old in enumerate(used)}
    idx = np.array(used, dtype=np.int64)
    return Problem(
        distance_m=np.ascontiguousarray(dist[np.ix_(idx, idx)]),
        durations_s=tuple(np.ascontiguousarray(d[np.ix_(idx, idx)]) for d in durations),
        visits=tuple(dataclasses.replace(v, node=remap[v.node]) for v in visits),
        vehicles=tuple(
            dataclasses.replace(k, start_node=remap[k.start_node], end_node=remap[k.end_node])
            for k in vehicles
        ),
    )


#: the largest skip penalty (seconds): keeps sums of thousands of prizes far from
#: int64 overflow; a visit worth more than ~35,000 agent-years is simply "must do"
MAX_PRIZE = 2**40


def _prize(expected_recovery: float, value_per_s: float) -> int:
    """Convert expected recovery to a skip penalty in seconds of travel, capped."""
    if not math.isfinite(expected_recovery) or expected_recovery <= 0 or value_per_s <= 0:
        return 0
    return int(min(MAX_PRIZE, math.floor(expected_recovery / value_per_s)))


def _drop(account_id: str, reason: S.DroppedReason, detail: str) -> dict[str, object]:
    return {S.ACCOUNT_ID: account_id, S.REASON: reason, S.DETAIL: detail}


def _isna(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


__all__ = [
    "AgentBreak",
    "AgentStatus",
    "BuiltProblem",
    "agent_break",
    "agent_status",
    "build_problem",
    "day_break",
    "effective_windows",
    "required_skills",
]
