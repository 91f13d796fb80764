"""Re-check a plan folder against the inputs and the rules.

``check_plan`` is an oracle independent of the solver: it re-reads
``itineraries.csv`` (possibly edited by a dispatcher) and verifies windows,
legal hours and days, shifts, breaks, travel times, skills, credentials,
eligibility, duplicates and that every account is accounted for.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from routeplan import schema as S
from routeplan.build import agent_break, agent_status, effective_windows, required_skills
from routeplan.config import Config
from routeplan.eligibility import determine_eligibility
from routeplan.errors import InputError
from routeplan.io.readers import format_clock, format_windows, read_table
from routeplan.travel.base import TravelModel
from routeplan.travel.day import LegTimes

#: slack for times shown rounded down to the minute
TOLERANCE_S = 60


@dataclass(frozen=True)
class Violation:
    """One rule a plan breaks, located by agent, stop and account."""

    agent_id: str
    stop_no: int | None
    account_id: str
    rule: str
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
    text = str(value).strip()
    parts = text.split(":")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    h, m = int(parts[0]), int(parts[1])
    if m > 59 or h > 24:
        return None
    return h * 3600 + m * 60


def _read(plan_dir: Path, name: str, required: tuple[str, ...]) -> pd.DataFrame:
    path = plan_dir / name
    frame, _ = read_table(path)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"{name}: required column {', '.join(missing)} is missing")
    return frame


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
    itin = _read(d, "itineraries.csv", S.ITINERARY_COLUMNS)
    out: list[Violation] = []
    acc = accounts.set_index(S.ACCOUNT_ID, drop=False)
    ag = agents.set_index(S.AGENT_ID, drop=False)
    status = agent_status(agents, plan_date, config)
    unusable = dict(zip(status.unusable[S.AGENT_ID], status.unusable["reason"], strict=True))
    elig = determine_eligibility(accounts, plan_date, config, extra_exclusions=extra_exclusions)
    excluded_ids = set(elig.excluded[S.ACCOUNT_ID])
    legal = config.legal
    lawful_day, why_day = legal.allows_day(plan_date)
    service_s = config.visits.service_min * 60

    bad_dates = itin[itin["date"] != plan_date.isoformat()]
    for r in bad_dates.itertuples(index=False):
        out.append(
            Violation(
                str(r.agent_id),
                None,
                str(r.account_id),
                "date",
                f"row dated {r.date}, plan is for {plan_date.isoformat()}",
            )
        )

    seen_accounts: dict[str, str] = {}
    legs = LegTimes(travel, itin, agents)
    for agent_id, rows in itin.groupby("agent_id", sort=False):
        agent_id = str(agent_id)
        if agent_id not in ag.index:
            out.append(Violation(agent_id, None, "", "agent", "not in agents.csv"))
            continue
        if agent_id in unusable:
            out.append(Violation(agent_id, None, "", "credential", unusable[agent_id]))
        out.extend(
            _check_route(
                agent_id,
                rows,
                ag.loc[agent_id],
                acc,
                config,
                legs,
                service_s,
                excluded_ids,
                seen_accounts,
                lawful_day,
                why_day,
            )
        )
    out.extend(_check_accounted(d, accounts, set(seen_accounts), excluded_ids))
    return out


def _check_route(
    agent_id: str,
    rows: pd.DataFrame,
    agent: pd.Series,
    acc: pd.DataFrame,
    config: Config,
    legs: LegTimes,
    service_s: int,
    excluded_ids: set[str],
    seen: dict[str, str],
    lawful_day: bool,
    why_day: str,
) -> list[Violation]:
    out: list[Violation] = []

    def v(stop: int | None, account: str, rule: str, detail: str) -> None:
        out.append(Violation(agent_id, stop, account, rule, detail))

    try:
        stops = [int(float(x)) for x in rows["stop_no"]]
    except (ValueError, OverflowError):
        v(None, "", "format", "stop_no must be whole numbers")
        return out
    rows = rows.assign(stop_int=stops).sort_values("stop_int", kind="stable")
    if sorted(stops) != list(range(len(stops))):
        v(None, "", "order", f"stop_no should count 0..{len(stops) - 1}, got {sorted(stops)}")
    kinds = list(rows["kind"])
    if not kinds or kinds[0] != S.KIND_START or kinds[-1] != S.KIND_END:
        v(None, "", "order", "the day must begin with a start row and finish with an end row")
    if kinds.count(S.KIND_START) != 1 or kinds.count(S.KIND_END) != 1:
        v(None, "", "order", "exactly one start and one end row")
    n_visits = kinds.count(S.KIND_VISIT)
    mv = agent[S.MAX_VISITS]
    max_visits = int(mv) if mv is not None and not pd.isna(mv) else config.visits.default_max_visits
    if n_visits > max_visits:
        v(None, "", "max_visits", f"{n_visits} visits > max_visits {max_visits}")
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
            v(stop, str(r.account_id), "format", "arrival/service_start/service_end must be HH:MM")
            continue
        first_time = arr if first_time is None else first_time
        last_time = max(s1, arr)
        if kind == S.KIND_BREAK:
            if prev_ready is not None and s0 < prev_ready - TOLERANCE_S:
                v(stop, "", "break", "break starts before the previous stop ends")
            break_rows.append((s0, s1))
            pending_break += s1 - s0
            break_end = s1
            continue
        pos = _position(r)
        if pos is None:
            v(stop, str(r.account_id), "location", "lat/lon missing or not numbers")
            continue
        if kind == S.KIND_START:
            if (
                abs(pos[0] - float(agent[S.BASE_LAT])) > 1e-5
                or abs(pos[1] - float(agent[S.BASE_LON])) > 1e-5
            ):
                v(stop, "", "location", "start is not the agent's base")
            if s1 < shift_lo:
                v(
                    stop,
                    "",
                    "shift",
                    f"leaves at {format_clock(s1, seconds=True)}, before the "
                    f"shift starts {format_clock(shift_lo, seconds=True)}",
                )
            prev_pos, prev_ready = pos, s1
            continue
        if prev_pos is not None and prev_ready is not None:
            need, why = legs.seconds(agent_id, prev_pos, pos)
            due = max(prev_ready + (need or 0) + pending_break, break_end)
            if need is None:
                v(stop, str(r.account_id), "travel", f"no road route from the previous stop: {why}")
            elif arr + TOLERANCE_S < due:
                v(
                    stop,
                    str(r.account_id),
                    "travel",
                    f"arrives {format_clock(arr, seconds=True)} but leaving at "
                    f"{format_clock(prev_ready, seconds=True)} needs {math.ceil(need / 60)} min "
                    f"travel{' plus the break' if pending_break else ''}: "
                    f"{math.ceil((due - arr) / 60)} min late",
                )
        pending_break = break_end = 0
        if kind == S.KIND_END:
            if arr > shift_hi:
                v(
                    stop,
                    "",
                    "shift",
                    f"returns {format_clock(arr, seconds=True)}, after the shift "
                    f"ends {format_clock(shift_hi, seconds=True)}",
                )
            if (
                abs(pos[0] - float(agent[S.END_LAT])) > 1e-5
                or abs(pos[1] - float(agent[S.END_LON])) > 1e-5
            ):
                v(stop, "", "location", "end is not the agent's end point")
            continue
        if kind != S.KIND_VISIT:
            v(stop, "", "format", f"unknown kind {kind!r}")
            continue
        aid = str(r.account_id)
        out.extend(
            _check_visit(
                agent_id,
                stop,
                aid,
                r,
                arr,
                s0,
                s1,
                acc,
                config,
                service_s,
                skills,
                excluded_ids,
                seen,
                legal_lo,
                legal_hi,
                shift_lo,
                shift_hi,
                lawful_day,
                why_day,
            )
        )
        seen[aid] = agent_id
        prev_pos, prev_ready = pos, s1
    out.extend(_check_break(agent_id, agent, break_rows, first_time, last_time))
    return out


def _check_visit(
    agent_id: str,
    stop: int,
    aid: str,
    r: Any,
    arr: int,
    s0: int,
    s1: int,
    acc: pd.DataFrame,
    config: Config,
    service_s: int,
    skills: set[str],
    excluded_ids: set[str],
    seen: Mapping[str, str],
    legal_lo: int,
    legal_hi: int,
    shift_lo: int,
    shift_hi: int,
    lawful_day: bool,
    why_day: str,
) -> list[Violation]:
    out: list[Violation] = []

    def v(rule: str, detail: str) -> None:
        out.append(Violation(agent_id, stop, aid, rule, detail))

    if aid in seen:
        v("duplicate", f"already visited by agent {seen[aid]} today")
    if aid not in acc.index:
        v("account", "not a valid account in accounts.csv")
        return out
    a = acc.loc[aid]
    if not lawful_day:
        v("legal_day", why_day)
    if aid in excluded_ids:
        v("eligibility", "account is not eligible today (see excluded.csv)")
    if arr > s0:
        v("times", "arrival after service start")
    # start and end are both shown rounded down, so a whole visit shows in full
    if s1 - s0 < service_s:
        v("service", f"{(s1 - s0) // 60} min with the debtor, {service_s // 60} required")
    if arr < legal_lo or s1 > legal_hi:
        v(
            "legal_hours",
            f"visit {format_clock(arr, seconds=True)}-{format_clock(s1, seconds=True)}"
            f" outside legal hours {format_clock(legal_lo, seconds=True)}-"
            f"{format_clock(legal_hi, seconds=True)}",
        )
    if s0 < shift_lo or s1 > shift_hi:
        v("shift", "visit outside the agent's shift")
    wins = effective_windows(
        tuple(a["windows"] or ()), (config.legal.start_min, config.legal.end_min)
    )
    if not any(lo * 60 <= s0 and s1 <= hi * 60 + TOLERANCE_S for lo, hi in wins):
        v(
            "window",
            f"service {format_clock(s0, seconds=True)}-{format_clock(s1, seconds=True)} "
            f"not inside the visit windows {format_windows(wins) or '(none left)'}",
        )
    need = set(required_skills(a, config))
    if not need <= skills:
        v(
            "skills",
            f"needs {', '.join(sorted(need))}; agent has {', '.join(sorted(skills)) or 'none'}",
        )
    lat, lon = a[S.LAT], a[S.LON]
    if not pd.isna(lat) and (abs(float(r.lat) - lat) > 1e-5 or abs(float(r.lon) - lon) > 1e-5):
        v("location", "lat/lon differ from accounts.csv")
    return out


def _check_break(
    agent_id: str,
    agent: pd.Series,
    breaks: list[tuple[int, int]],
    first: int | None,
    last: int | None,
) -> list[Violation]:
    out: list[Violation] = []

    def v(detail: str) -> None:
        out.append(Violation(agent_id, None, "", "break", detail))

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
    if not breaks and first is not None and last is not None and first <= lo and last >= hi:
        v("the day spans the whole break window but no break is planned")
    return out


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
    for name in ("dropped.csv", "excluded.csv"):
        path = d / name
        if path.exists():
            frame = _read(d, name, (S.ACCOUNT_ID, "reason"))
            listed[name] = set(frame[S.ACCOUNT_ID])
            blank = frame[frame["reason"].str.strip() == ""]
            for r in blank.itertuples(index=False):
                out.append(
                    Violation("", None, str(r.account_id), "reason", f"{name} row without a reason")
                )
        else:
            out.append(Violation("", None, "", "files", f"{name} is missing"))
            listed[name] = set()
    dropped, excluded = listed["dropped.csv"], listed["excluded.csv"]
    # a dropped account a dispatcher moved onto a route is fine: the visit
    # itself is checked like any other, and dropped.csv is simply stale
    rej = (
        _read(d, "rejected.csv", ("file", "row"))
        if (d / "rejected.csv").exists()
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
                "", None, aid, "accounted", "listed in the plan but not a valid row of accounts.csv"
            )
        )
    for aid in sorted((excluded & known) - excluded_ids - planned):
        out.append(
            Violation("", None, aid, "accounted", "listed in excluded.csv but eligible today")
        )
    for aid in sorted(excluded_ids - excluded - refused - planned - dropped):
        out.append(
            Violation("", None, aid, "accounted", "not eligible but missing from excluded.csv")
        )
    for aid in sorted(set(accounts[S.ACCOUNT_ID]) - planned - dropped - excluded - refused):
        out.append(
            Violation("", None, aid, "accounted", "neither planned, dropped, excluded nor rejected")
        )
    return out


__all__ = ["Violation", "check_plan"]
