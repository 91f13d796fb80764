"""Re-check a plan folder against the inputs and the rules.

``check_plan`` is an oracle independent of the solver: it re-reads
``itineraries.csv`` (possibly edited by a dispatcher) and verifies windows,
legal hours and days, shifts, breaks, travel times, skills, credentials,
eligibility, duplicates and that every account is accounted for. Each
problem is a :class:`Violation` of one :class:`~routeplan.schema.ViolationRule`;
a cell that cannot be read is a ``format`` violation, not an error.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from routeplan import schema as S
from routeplan.build import agent_break, agent_status, effective_windows, required_skills
from routeplan.calendar import windows_on
from routeplan.config import Config
from routeplan.eligibility import determine_eligibility
from routeplan.errors import InputError
from routeplan.formats import clock_or_none, format_clock, format_windows
from routeplan.io.context import CONTEXT_FILE, read_plan_context
from routeplan.io.planfolder import (
    DROPPED_FILE,
    EXCLUDED_FILE,
    ITINERARIES_FILE,
    REJECTED_FILE,
    SUMMARY_FILE,
    PlanFolder,
    read_plan_table,
    read_summary,
)
from routeplan.schema import ViolationRule
from routeplan.travel.base import TravelModel
from routeplan.travel.day import LegTimes

#: slack for times shown rounded down to the minute
TOLERANCE_S = 60
#: ``status`` of an itinerary row an agent reported (``routeplan replan``): its times are
#: what happened, so the plan's own rules on them (travel to it, time with the debtor,
#: window, shift) are not checked; the law (legal hours and days), eligibility, skills
#: and the place still are
REPORTED_STATUSES = frozenset({"done", "in_progress", "no_show"})


@dataclass(frozen=True)
class Violation:
    """One rule a plan breaks, located by agent, stop and account."""

    agent_id: str
    stop_no: int | None
    account_id: str
    rule: ViolationRule
    detail: str

    def message(self) -> str:
        """Return a one-line description."""
        where = [f"agent {self.agent_id}"] if self.agent_id else []
        if self.stop_no is not None:
            where.append(f"stop {self.stop_no}")
        if self.account_id:
            where.append(f"account {self.account_id}")
        return f"{', '.join(where) or 'plan'}: [{self.rule}] {self.detail}"


def _clock_s(value: Any) -> int | None:
    """Return a clock cell in seconds after midnight (``24:00`` allowed), None when unreadable."""
    minutes = clock_or_none(value)
    return None if minutes is None else minutes * 60


@dataclass
class _Day:
    """What every route of one plan is checked against (accounts, rules, the day)."""

    acc: pd.DataFrame
    config: Config
    service_s: int
    excluded_ids: set[str]
    lawful_day: bool
    why_day: str
    #: where valid accounts and agents come from, named in the messages
    accounts_source: str = "accounts.csv"
    agents_source: str = "agents.csv"
    #: account -> agent of the visits seen so far (duplicates)
    seen: dict[str, str] = field(default_factory=dict)


def check_plan(
    plan_dir: str | Path,
    accounts: pd.DataFrame,
    agents: pd.DataFrame,
    plan_date: dt.date,
    config: Config,
    *,
    extra_exclusions: pd.DataFrame | None = None,
    travel: TravelModel | None = None,
) -> list[Violation]:
    """Return every violation of the plan in ``plan_dir`` (empty when lawful).

    Parameters
    ----------
    plan_dir
        A plan folder; ``itineraries.csv`` is required, ``dropped.csv``,
        ``excluded.csv`` and ``rejected.csv`` are used to check that every
        account is accounted for.
    accounts, agents
        The validated inputs the plan was made from.
    plan_date, config
        The day and the rules (jurisdiction, eligibility, service time).
    extra_exclusions
        Exclusions from the visit history, when the plan used one.
    travel
        The travel model to check travel times with (default: the one
        ``config.travel`` names); ``routeplan check`` passes the plan's own.
    """
    if travel is None:
        from routeplan.travel.factory import travel_model

        with travel_model(config.travel) as model:
            return check_plan(
                plan_dir,
                accounts,
                agents,
                plan_date,
                config,
                extra_exclusions=extra_exclusions,
                travel=model,
            )
    d = Path(plan_dir)
    # the weekday's windows first, then the ones a re-plan took from today's events
    accounts = _todays_windows(d, windows_on(accounts, plan_date))
    elig = determine_eligibility(accounts, plan_date, config, extra_exclusions=extra_exclusions)
    excluded_ids = set(elig.excluded[S.ACCOUNT_ID])
    day = _day(accounts, plan_date, config, excluded_ids)
    itinerary = read_plan_table(d, ITINERARIES_FILE, required=S.ITINERARY_COLUMNS)
    out = _check_itinerary(itinerary, agents, plan_date, day, travel)
    out.extend(_check_accounted(d, accounts, set(day.seen), excluded_ids))
    return out


def _todays_windows(plan_dir: Path, accounts: pd.DataFrame) -> pd.DataFrame:
    """Return ``accounts`` with the windows a re-plan took from today's events.

    A revision made by ``routeplan replan`` lists them in ``summary.json``
    (``replan.new_windows``: account -> ``HH:MM-HH:MM;...``): the debtor's
    availability today, which the portfolio file does not know.
    """
    from routeplan.formats import parse_windows

    path = plan_dir / SUMMARY_FILE
    if not path.exists():
        return accounts
    entry = read_summary(plan_dir).extra.get("replan")
    changed = entry.get("new_windows") if isinstance(entry, Mapping) else None
    if not isinstance(changed, Mapping) or not changed:
        return accounts
    try:
        windows = {str(a): parse_windows(str(w)) for a, w in changed.items()}
    except ValueError as exc:
        raise InputError(f"{path}, key replan.new_windows: {exc}") from None
    return with_windows(accounts, windows)


def with_windows(
    accounts: pd.DataFrame, windows: Mapping[str, tuple[tuple[int, int], ...]]
) -> pd.DataFrame:
    """Return ``accounts`` with the visit windows of the accounts in ``windows`` replaced.

    ``windows`` maps an account id to its windows today (minutes after
    midnight), as a re-plan's ``new_window`` events give them.
    """
    if not windows:
        return accounts
    out = accounts.copy()
    out["windows"] = [
        windows.get(str(a), w) for a, w in zip(out[S.ACCOUNT_ID], out["windows"], strict=True)
    ]
    return out


def check_plan_folder(
    plan: str | Path | PlanFolder, *, travel: TravelModel | None = None
) -> list[Violation]:
    """Return every violation of a plan folder, checked against the inputs kept in it.

    The same checks as :func:`check_plan`, with the agents, the plannable
    accounts, the rules and the date recorded in the folder's
    ``plan_context.json`` by ``routeplan plan``; the eligibility verdicts are
    those of ``excluded.csv``. Every account the plan could visit must be on a
    route or in ``dropped.csv``.

    Parameters
    ----------
    plan
        The plan folder (its files are read as text: a bad cell is a
        ``format`` violation), or its content already read or held in memory
        (:class:`~routeplan.io.planfolder.PlanFolder`).
    travel
        The travel model to check travel times with; default the one the
        plan was made with: its ``summary.json`` ``travel`` block, else the
        ``[travel]`` of the config recorded in ``plan_context.json``.

    Raises
    ------
    InputError
        When the folder has no ``plan_context.json`` (made by an older
        routeplan), a file cannot be read, or the plan's travel model cannot
        be reopened (its data file missing or changed).
    """
    folder = plan if isinstance(plan, PlanFolder) else None
    d = plan.path if isinstance(plan, PlanFolder) else Path(plan)
    if folder is not None and folder.context_problem:
        raise InputError(folder.context_problem)
    ctx = folder.context if folder is not None else read_plan_context(d)
    if ctx is None:
        raise InputError(
            f"{d}: no {CONTEXT_FILE} (plan made by an older routeplan); "
            "check it with routeplan check --accounts FILE --agents FILE"
        )
    if travel is None:
        from routeplan.travel.factory import plan_travel_model

        record = _summary_travel(d) if folder is None else folder.summary.travel
        source = str(d / SUMMARY_FILE)
        with plan_travel_model(record, ctx.config.travel, source=source) as model:
            return check_plan_folder(folder or d, travel=model)
    if folder is not None:
        excluded, itinerary = folder.excluded, folder.itineraries
    else:
        excluded = (
            read_plan_table(d, EXCLUDED_FILE, required=(S.ACCOUNT_ID,))
            if (d / EXCLUDED_FILE).exists()
            else pd.DataFrame(columns=[S.ACCOUNT_ID])
        )
        itinerary = read_plan_table(d, ITINERARIES_FILE, required=S.ITINERARY_COLUMNS)
    day = _day(ctx.accounts, ctx.date, ctx.config, set(excluded[S.ACCOUNT_ID]), source=CONTEXT_FILE)
    out = _check_itinerary(itinerary, ctx.agents, ctx.date, day, travel)
    listed = (
        folder.dropped
        if folder is not None
        else read_plan_table(d, DROPPED_FILE, required=(S.ACCOUNT_ID, S.REASON))
    )
    dropped = set(listed[S.ACCOUNT_ID])
    for aid in sorted(set(ctx.accounts[S.ACCOUNT_ID]) - set(day.seen) - dropped):
        out.append(
            Violation(
                "",
                None,
                str(aid),
                ViolationRule.ACCOUNTED,
                "neither on a route nor in dropped.csv (removed by hand? "
                "routeplan retime lists it as dropped)",
            )
        )
    return out


def _summary_travel(folder: Path) -> Mapping[str, Any] | None:
    """Return the ``travel`` block of a folder's ``summary.json`` (None without one)."""
    if not (folder / SUMMARY_FILE).exists():
        return None
    return read_summary(folder).travel


def _day(
    accounts: pd.DataFrame,
    plan_date: dt.date,
    config: Config,
    excluded_ids: set[str],
    *,
    source: str | None = None,
) -> _Day:
    """Gather what each route is checked against; ``source`` names where inputs came from."""
    lawful_day, why_day = config.legal.allows_day(plan_date)
    return _Day(
        acc=accounts.set_index(S.ACCOUNT_ID, drop=False),
        config=config,
        service_s=config.visits.service_min * 60,
        excluded_ids=excluded_ids,
        lawful_day=lawful_day,
        why_day=why_day,
        accounts_source=source or "accounts.csv",
        agents_source=source or "agents.csv",
    )


def _check_itinerary(
    itin: pd.DataFrame, agents: pd.DataFrame, plan_date: dt.date, day: _Day, travel: TravelModel
) -> list[Violation]:
    """Check every row of ``itineraries.csv``: dates, agents and each agent's route."""
    out: list[Violation] = []
    ag = agents.set_index(S.AGENT_ID, drop=False)
    status = agent_status(agents, plan_date, day.config)
    unusable = dict(zip(status.unusable[S.AGENT_ID], status.unusable["reason"], strict=True))

    bad_dates = itin[itin["date"] != plan_date.isoformat()]
    for r in bad_dates.itertuples(index=False):
        out.append(
            Violation(
                str(r.agent_id),
                None,
                str(r.account_id),
                ViolationRule.DATE,
                f"row dated {r.date}, plan is for {plan_date.isoformat()}",
            )
        )

    legs = LegTimes(travel, itin, agents)
    for agent_id, rows in itin.groupby("agent_id", sort=False):
        agent_id = str(agent_id)
        if agent_id not in ag.index:
            out.append(
                Violation(agent_id, None, "", ViolationRule.AGENT, f"not in {day.agents_source}")
            )
            continue
        if agent_id in unusable:
            out.append(Violation(agent_id, None, "", ViolationRule.CREDENTIAL, unusable[agent_id]))
        out.extend(_check_route(agent_id, rows, ag.loc[agent_id], day, legs))
    return out


def _check_route(
    agent_id: str, rows: pd.DataFrame, agent: pd.Series, day: _Day, legs: LegTimes
) -> list[Violation]:
    config = day.config
    out: list[Violation] = []

    def v(stop: int | None, account: str, rule: ViolationRule, detail: str) -> None:
        out.append(Violation(agent_id, stop, account, rule, detail))

    try:
        stops = [int(float(x)) for x in rows["stop_no"]]
    except (ValueError, OverflowError):
        v(None, "", ViolationRule.FORMAT, "stop_no must be whole numbers")
        return out
    rows = rows.assign(stop_int=stops).sort_values("stop_int", kind="stable")
    kinds = list(rows[S.KIND])
    out.extend(
        Violation(agent_id, None, "", ViolationRule.ORDER, d) for d in _order_problems(stops, kinds)
    )
    n_visits = kinds.count(S.EventKind.VISIT)
    max_visits = int(_given(agent[S.MAX_VISITS], config.visits.default_max_visits))
    if n_visits > max_visits:
        v(None, "", ViolationRule.MAX_VISITS, f"{n_visits} visits > max_visits {max_visits}")
    shift_lo, shift_hi = int(agent[S.SHIFT_START]) * 60, int(agent[S.SHIFT_END]) * 60
    skills = set(agent[S.SKILLS] or ())
    legal_lo, legal_hi = config.legal.start_min * 60, config.legal.end_min * 60

    prev_pos: tuple[float, float] | None = None
    prev_ready: int | None = None
    pending_break = break_end = 0
    break_rows: list[tuple[int, int]] = []
    first_time: int | None = None
    last_time: int | None = None
    for r in rows.itertuples(index=False):
        stop = int(r.stop_int)
        kind = str(r.kind)
        arr, s0, s1 = _clock_s(r.arrival), _clock_s(r.service_start), _clock_s(r.service_end)
        if arr is None or s0 is None or s1 is None:
            v(
                stop,
                str(r.account_id),
                ViolationRule.FORMAT,
                "arrival/service_start/service_end must be HH:MM",
            )
            continue
        first_time = arr if first_time is None else first_time
        last_time = max(s1, arr)
        if kind == S.EventKind.BREAK:
            if prev_ready is not None and s0 < prev_ready - TOLERANCE_S:
                v(stop, "", ViolationRule.BREAK, "break starts before the previous stop ends")
            break_rows.append((s0, s1))
            pending_break += s1 - s0
            break_end = s1
            continue
        pos = _position(r)
        if pos is None:
            v(stop, str(r.account_id), ViolationRule.LOCATION, "lat/lon missing or not numbers")
            continue
        if kind == S.EventKind.START:
            out.extend(
                Violation(agent_id, stop, "", rule, d)
                for rule, d in _start_problems(pos, s1, agent, shift_lo)
            )
            prev_pos, prev_ready = pos, s1
            continue
        reported = str(getattr(r, "status", "") or "").strip() in REPORTED_STATUSES
        if prev_pos is not None and prev_ready is not None and not reported:
            need, why = legs.seconds(agent_id, prev_pos, pos)
            due = max(prev_ready + (need or 0) + pending_break, break_end)
            if need is None:
                v(
                    stop,
                    str(r.account_id),
                    ViolationRule.TRAVEL,
                    f"no road route from the previous stop: {why}",
                )
            elif arr + TOLERANCE_S < due:
                v(
                    stop,
                    str(r.account_id),
                    ViolationRule.TRAVEL,
                    f"arrives {format_clock(arr, seconds=True)} but leaving at "
                    f"{format_clock(prev_ready, seconds=True)} needs {math.ceil(need / 60)} min "
                    f"travel{' plus the break' if pending_break else ''}: "
                    f"{math.ceil((due - arr) / 60)} min late",
                )
        pending_break = break_end = 0
        if kind == S.EventKind.END:
            out.extend(
                Violation(agent_id, stop, "", rule, d)
                for rule, d in _end_problems(pos, arr, agent, shift_hi)
            )
            continue
        if kind != S.EventKind.VISIT:
            v(stop, "", ViolationRule.FORMAT, f"unknown kind {kind!r}")
            continue
        aid = str(r.account_id)
        bounds = _Bounds(arr, s0, s1, legal_lo, legal_hi, shift_lo, shift_hi, reported)
        out.extend(_check_visit(agent_id, stop, aid, r, bounds, skills, day))
        day.seen[aid] = agent_id
        prev_pos, prev_ready = pos, s1
    out.extend(_check_break(agent_id, agent, break_rows, (first_time, last_time), _facts(rows)))
    return out


def _given(value: Any, default: float) -> Any:
    """Return ``value``, or ``default`` when the agent's cell is empty (None or NaN)."""
    return value if value is not None and not pd.isna(value) else default


def _order_problems(stops: list[int], kinds: list[str]) -> list[str]:
    """Return what is wrong with a route's stop numbers and its start and end rows."""
    out: list[str] = []
    if sorted(stops) != list(range(len(stops))):
        out.append(f"stop_no should count 0..{len(stops) - 1}, got {sorted(stops)}")
    if not kinds or kinds[0] != S.EventKind.START or kinds[-1] != S.EventKind.END:
        out.append("the day must begin with a start row and finish with an end row")
    if kinds.count(S.EventKind.START) != 1 or kinds.count(S.EventKind.END) != 1:
        out.append("exactly one start and one end row")
    return out


def _start_problems(
    pos: tuple[float, float], leave_s: int, agent: pd.Series, shift_lo: int
) -> list[tuple[ViolationRule, str]]:
    """Return what is wrong with a start row: not at the base, or leaving before the shift."""
    out: list[tuple[ViolationRule, str]] = []
    if (
        abs(pos[0] - float(agent[S.BASE_LAT])) > 1e-5
        or abs(pos[1] - float(agent[S.BASE_LON])) > 1e-5
    ):
        out.append((ViolationRule.LOCATION, "start is not the agent's base"))
    if leave_s < shift_lo:
        out.append(
            (
                ViolationRule.SHIFT,
                f"leaves at {format_clock(leave_s, seconds=True)}, before the "
                f"shift starts {format_clock(shift_lo, seconds=True)}",
            )
        )
    return out


def _end_problems(
    pos: tuple[float, float], arrive_s: int, agent: pd.Series, shift_hi: int
) -> list[tuple[ViolationRule, str]]:
    """Return what is wrong with an end row: back after the shift, or not at the end point."""
    out: list[tuple[ViolationRule, str]] = []
    if arrive_s > shift_hi:
        out.append(
            (
                ViolationRule.SHIFT,
                f"returns {format_clock(arrive_s, seconds=True)}, after the shift "
                f"ends {format_clock(shift_hi, seconds=True)}",
            )
        )
    if abs(pos[0] - float(agent[S.END_LAT])) > 1e-5 or abs(pos[1] - float(agent[S.END_LON])) > 1e-5:
        out.append((ViolationRule.LOCATION, "end is not the agent's end point"))
    return out


@dataclass(frozen=True)
class _Bounds:
    """A visit's times and the legal and shift bounds around it (seconds)."""

    arr: int
    s0: int
    s1: int
    legal_lo: int
    legal_hi: int
    shift_lo: int
    shift_hi: int
    #: times reported by the agent (see :data:`REPORTED_STATUSES`)
    reported: bool = False


def _check_visit(
    agent_id: str, stop: int, aid: str, r: Any, b: _Bounds, skills: set[str], day: _Day
) -> list[Violation]:
    out: list[Violation] = []
    config, service_s = day.config, day.service_s
    arr, s0, s1 = b.arr, b.s0, b.s1
    legal_lo, legal_hi, shift_lo, shift_hi = b.legal_lo, b.legal_hi, b.shift_lo, b.shift_hi

    def v(rule: ViolationRule, detail: str) -> None:
        out.append(Violation(agent_id, stop, aid, rule, detail))

    if aid in day.seen:
        v(ViolationRule.DUPLICATE, f"already visited by agent {day.seen[aid]} today")
    if aid not in day.acc.index:
        v(ViolationRule.ACCOUNT, f"not a valid account in {day.accounts_source}")
        return out
    a = day.acc.loc[aid]
    if not day.lawful_day:
        v(ViolationRule.LEGAL_DAY, day.why_day)
    if aid in day.excluded_ids:
        v(ViolationRule.ELIGIBILITY, "account is not eligible today (see excluded.csv)")
    if arr > s0:
        v(ViolationRule.TIMES, "arrival after service start")
    # start and end are both shown rounded down, so a whole visit shows in full
    if s1 - s0 < service_s and not b.reported:
        v(
            ViolationRule.SERVICE,
            f"{(s1 - s0) // 60} min with the debtor, {service_s // 60} required",
        )
    if arr < legal_lo or s1 > legal_hi:
        v(
            ViolationRule.LEGAL_HOURS,
            f"visit {format_clock(arr, seconds=True)}-{format_clock(s1, seconds=True)}"
            f" outside legal hours {format_clock(legal_lo, seconds=True)}-"
            f"{format_clock(legal_hi, seconds=True)}",
        )
    if (s0 < shift_lo or s1 > shift_hi) and not b.reported:
        v(ViolationRule.SHIFT, "visit outside the agent's shift")
    wins = effective_windows(
        tuple(a["windows"] or ()), (config.legal.start_min, config.legal.end_min)
    )
    in_window = any(lo * 60 <= s0 and s1 <= hi * 60 + TOLERANCE_S for lo, hi in wins)
    if not in_window and not b.reported:
        v(
            ViolationRule.WINDOW,
            f"service {format_clock(s0, seconds=True)}-{format_clock(s1, seconds=True)} "
            f"not inside the visit windows {format_windows(wins) or '(none left)'}",
        )
    need = set(required_skills(a, config))
    if not need <= skills:
        v(
            ViolationRule.SKILLS,
            f"needs {', '.join(sorted(need))}; agent has {', '.join(sorted(skills)) or 'none'}",
        )
    lat, lon = a[S.LAT], a[S.LON]
    if not pd.isna(lat) and (abs(float(r.lat) - lat) > 1e-5 or abs(float(r.lon) - lon) > 1e-5):
        v(ViolationRule.LOCATION, f"lat/lon differ from {day.accounts_source}")
    return out


def _check_break(
    agent_id: str,
    agent: pd.Series,
    breaks: list[tuple[int, int]],
    span: tuple[int | None, int | None],
    facts: list[tuple[int, int]],
) -> list[Violation]:
    """Return what is wrong with an agent's break.

    ``span`` is when its day begins and ends; ``facts`` are the visits it
    reported (a revision's): a break is owed only if they leave room for it
    in its window, as a window the shift cuts below the break owes none.
    """
    first, last = span
    out: list[Violation] = []

    def v(detail: str) -> None:
        out.append(Violation(agent_id, None, "", ViolationRule.BREAK, detail))

    owed = agent_break(agent)
    if owed.window is None:
        if breaks:
            v(f"agent owes no break today ({owed.note})" if owed.note else "agent has no break")
        return out
    # the window clipped to the shift, as the plan was made
    lo, hi = owed.window[0] * 60, owed.window[1] * 60
    if len(breaks) > 1:
        v("more than one break")
    # break times are shown rounded down alike: lengths and bounds need no slack
    for s0, s1 in breaks:
        if s1 - s0 < owed.minutes * 60:
            v(f"break of {(s1 - s0) // 60} min, {owed.minutes} required")
        if s0 < lo or s1 > hi:
            v(
                f"break {format_clock(s0, seconds=True)}-{format_clock(s1, seconds=True)} "
                f"outside its window {format_clock(lo, seconds=True)}-"
                f"{format_clock(hi, seconds=True)}"
            )
    spans = first is not None and last is not None and first <= lo and last >= hi
    if not breaks and spans and _room(lo, hi, facts) >= owed.minutes * 60:
        v("the day spans the whole break window but no break is planned")
    return out


def _facts(rows: pd.DataFrame) -> list[tuple[int, int]]:
    """Return when the visits a revision reports (done, under way, no-show) took place."""
    out = []
    for r in rows.itertuples(index=False):
        s0, s1 = _clock_s(r.service_start), _clock_s(r.service_end)
        status = str(getattr(r, "status", "") or "").strip()
        if r.kind == S.EventKind.VISIT and status in REPORTED_STATUSES and s0 is not None:
            out.append((s0, s1 if s1 is not None else s0))
    return out


def _room(lo: int, hi: int, busy: list[tuple[int, int]]) -> int:
    """Return the longest stretch of ``lo..hi`` that no ``busy`` interval covers."""
    best, free_from = 0, lo
    for s0, s1 in sorted(busy):
        best = max(best, min(s0, hi) - free_from)
        free_from = max(free_from, s1)
    return max(best, hi - free_from)


def _position(r: Any) -> tuple[float, float] | None:
    """Return the row's (lat, lon), or None when either is missing or not a number."""
    try:
        lat, lon = float(r.lat), float(r.lon)
    except (TypeError, ValueError):
        return None
    if math.isnan(lat) or math.isnan(lon):
        return None
    return lat, lon


def _check_accounted(
    d: Path, accounts: pd.DataFrame, planned: set[str], excluded_ids: set[str]
) -> list[Violation]:
    out: list[Violation] = []
    listed: dict[str, set[str]] = {}
    for name in (DROPPED_FILE, EXCLUDED_FILE):
        path = d / name
        if path.exists():
            frame = read_plan_table(d, name, required=(S.ACCOUNT_ID, S.REASON))
            listed[name] = set(frame[S.ACCOUNT_ID])
            blank = frame[frame[S.REASON] == ""]
            for r in blank.itertuples(index=False):
                out.append(
                    Violation(
                        "",
                        None,
                        str(r.account_id),
                        ViolationRule.REASON,
                        f"{name} row without a reason",
                    )
                )
        else:
            out.append(Violation("", None, "", ViolationRule.FILES, f"{name} is missing"))
            listed[name] = set()
    dropped, excluded = listed[DROPPED_FILE], listed[EXCLUDED_FILE]
    # a dropped account a dispatcher moved onto a route is fine: the visit
    # itself is checked like any other, and dropped.csv is simply stale
    rej = (
        read_plan_table(d, REJECTED_FILE, required=("file", "row"))
        if (d / REJECTED_FILE).exists()
        else pd.DataFrame(columns=["file", "row"])
    )
    rej_rows = set(rej["row"].astype(str))
    # accounts without coordinates were refused (geocoding) unless placed then
    unplaced = accounts[accounts[S.LAT].isna()]
    refused = {
        aid
        for aid, row in zip(unplaced[S.ACCOUNT_ID], unplaced["_row"], strict=True)
        if str(row) in rej_rows
    }
    known = set(accounts[S.ACCOUNT_ID])
    for aid in sorted((excluded | dropped) - known):
        out.append(
            Violation(
                "",
                None,
                aid,
                ViolationRule.ACCOUNTED,
                "listed in the plan but not a valid row of accounts.csv",
            )
        )
    for aid in sorted((excluded & known) - excluded_ids - planned):
        out.append(
            Violation(
                "", None, aid, ViolationRule.ACCOUNTED, "listed in excluded.csv but eligible today"
            )
        )
    for aid in sorted(excluded_ids - excluded - refused - planned - dropped):
        out.append(
            Violation(
                "", None, aid, ViolationRule.ACCOUNTED, "not eligible but missing from excluded.csv"
            )
        )
    for aid in sorted(set(accounts[S.ACCOUNT_ID]) - planned - dropped - excluded - refused):
        out.append(
            Violation(
                "",
                None,
                aid,
                ViolationRule.ACCOUNTED,
                "neither planned, dropped, excluded nor rejected",
            )
        )
    return out


__all__ = ["Violation", "ViolationRule", "check_plan", "check_plan_folder"]
