"""Write a re-plan's revision: the plan folder, ``changes.csv`` and a message per agent.

:func:`write_revision` turns what :func:`routeplan.replan.replan_folder`
computed into the revision's tables (itineraries with the frozen part,
dropped, checklist, excluded, scores, rejected, summary), checks them with
the plan's travel model, writes them as a plan folder as
:meth:`routeplan.plan.Plan.write` does (map, sheets and exports included,
every file through the folder's manifest: nothing changed by hand is
overwritten), with ``changes.csv`` and ``messages/AGENT.txt``, and, with a
history database, stores the revision and records the outcomes reported with
the events (checked for proof like ``routeplan record``).

An agent whose day is unchanged (no event of its own, same visits in the same
order, times still reachable) keeps its morning rows exactly, so its route
sheet is the morning's byte for byte. One whose route is unchanged but whose
past moved (a visit ran long) keeps its morning rows for the rest of the day
when they are still reachable.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd

from routeplan import schema as S
from routeplan.build import BuiltProblem
from routeplan.check import Violation, check_plan_folder, with_windows
from routeplan.checklist import (
    CHECKLIST_OUTPUT_COLUMNS,
    RULES,
    StopContext,
    build_checklist,
    checklist_for_stop,
)
from routeplan.events import REPORTED, EventType
from routeplan.io.manifest import PlanFiles
from routeplan.io.planfiles import write_plan_folder
from routeplan.io.safe import write_csv_atomic, write_text_atomic
from routeplan.itinerary import assemble_itineraries
from routeplan.plan import Plan, road_routes
from routeplan.present.common import file_stems
from routeplan.present.exports import inside
from routeplan.present.labels import Labels, plan_language
from routeplan.replan import (
    STATUS,
    ReplanResult,
    Run,
    clock,
    clock_seconds,
    new_windows,
    windows_text,
)
from routeplan.replan_state import FrozenVisit, Past
from routeplan.solver.model import Result
from routeplan.summary import PlanSummary, SolverSummary, refresh_summary

__all__ = [
    "CHANGES_FILE",
    "CHANGE_COLUMNS",
    "MESSAGES_DIR",
    "REPLAN_REASONS",
    "Change",
    "write_revision",
]

CHANGES_FILE = "changes.csv"
MESSAGES_DIR = "messages"
#: columns of ``changes.csv``: one row per change to one agent's day
CHANGE_COLUMNS = (
    S.AGENT_ID,
    S.ACCOUNT_ID,
    "change",
    "old_time",
    "new_time",
    "other_agent_id",
    "detail",
)
ITINERARY_OUT = (*S.ITINERARY_COLUMNS, *S.ITINERARY_EXTRA)


class Change(StrEnum):
    """What happened to a visit of an agent's day (``changes.csv``'s ``change``)."""

    ADDED = "added"
    REMOVED = "removed"
    MOVED_FROM = "moved_from"
    MOVED_TO = "moved_to"
    RETIMED = "retimed"


#: why a visit of the plan in force is not on a route after the re-plan (``dropped.csv``)
REPLAN_REASONS = frozenset(
    {
        S.DroppedReason.AGENT_UNAVAILABLE,
        S.DroppedReason.NO_TIME_AFTER_REPLAN,
        S.DroppedReason.VISIT_CANCELLED,
        S.DroppedReason.ACCOUNT_REMOVED,
    }
)


# --- itineraries -------------------------------------------------------------------------


def revision_itineraries(run: Run) -> tuple[pd.DataFrame, set[str]]:
    """Return the revision's itinerary rows and the agents whose rows are the morning's."""
    it = run.morning.itineraries
    final, current = run.final_routes(), run.current_routes()
    fresh = _continuation_rows(run)
    kept: set[str] = set()
    rows: list[dict[str, Any]] = []
    for k, agent in enumerate(run.day.agents):
        mine = it[it[S.AGENT_ID] == agent]
        mine = mine.assign(_stop=pd.to_numeric(mine["stop_no"], errors="coerce"))
        morning = mine.sort_values("_stop", kind="stable").drop(columns="_stop")
        past = run.past[k]
        same_route = past.continues and final.get(k, ()) == current.get(k, ())
        times_hold = same_route and _times_hold(run, k, morning)
        if times_hold and not past.touched and all(f.as_planned for f in past.visits):
            status = {run.day.account_of(f.visit): f.status for f in past.visits}
            for r in _records(morning):
                r[STATUS] = (
                    status.get(str(r[S.ACCOUNT_ID]), "") if r["kind"] == S.KIND_VISIT else ""
                )
                rows.append(r)
            if len(morning):
                kept.add(agent)
            continue
        day = _agent_day(run, k, morning, fresh.get(agent), times_hold)
        rows.extend(day)
    frame = pd.DataFrame(rows)
    for column in ITINERARY_OUT:
        if column not in frame.columns:
            frame[column] = ""
    return frame, kept


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return rows as dicts with a ``status`` cell (kept as is when present)."""
    out = [{str(k): v for k, v in r.items()} for r in frame.to_dict("records")]
    for r in out:
        r.setdefault(STATUS, "")
    return out


def _times_hold(run: Run, k: int, morning: pd.DataFrame) -> bool:
    """Return True when vehicle ``k``'s remaining morning times can all still be kept.

    The re-planned route is the morning's and each visit can start no later
    than planned (a minute's rounding allowed): the agent just waits.
    """
    j = run.cont.vehicles.index(k) if k in run.cont.vehicles else None
    if j is None:
        return False
    route = run.stable.result.routes[j]
    planned = {
        str(r[S.ACCOUNT_ID]): r["service_start"]
        for r in morning.to_dict("records")
        if r["kind"] == S.KIND_VISIT
    }
    for i, start in zip(route.visits, route.service_start_s, strict=True):
        then = clock_seconds(planned.get(run.day.account_of(run.cont.visits[i]), ""))
        if then is None or start > then + 59:
            return False
    if run.stable.problem.vehicles[j].break_s > 0:
        # the break still owed must be the morning's, after the frozen visits
        breaks = morning[morning["kind"] == S.KIND_BREAK]
        last = max((f.start_s for f in run.past[k].visits), default=0)
        if breaks.empty or _key(breaks.iloc[0].to_dict(), "service_start") < last:
            return False
    return True


def _agent_day(
    run: Run,
    k: int,
    morning: pd.DataFrame,
    fresh: pd.DataFrame | None,
    times_hold: bool,
) -> list[dict[str, Any]]:
    """Return one agent's revised rows: start, the frozen past, then the rest of the day."""
    past = run.past[k]
    agent = run.day.agents[k]
    by_kind = {kind: g for kind, g in morning.groupby("kind", sort=False)}
    start = _first(by_kind.get(S.KIND_START))
    rows: list[tuple[float, dict[str, Any]]] = []
    for f in past.visits:
        rows.append((f.start_s, _frozen_row(run, agent, f, morning)))
    brk = _first(by_kind.get(S.KIND_BREAK))
    if past.break_taken and brk is not None:
        rows.append((_key(brk, "service_start"), {**brk, STATUS: ""}))
    if past.continues and times_hold:
        last_frozen = max((f.start_s for f in past.visits), default=0)
        for r in _records(morning):
            if r["kind"] == S.KIND_VISIT and run.day.visit_of(str(r[S.ACCOUNT_ID])) in {
                f.visit for f in past.visits
            }:
                continue
            if r["kind"] in (S.KIND_VISIT, S.KIND_END) or (
                r["kind"] == S.KIND_BREAK
                and not past.break_taken
                and _key(r, "service_start") >= last_frozen
            ):
                rows.append((_key(r, "service_start"), {**r, STATUS: ""}))
    elif past.continues and fresh is not None and len(fresh):
        for r in _records(fresh):
            if r["kind"] != S.KIND_START:
                rows.append((_key(r, "service_start"), r))
    elif past.visits:
        rows.append((float("inf"), _end_row(run, k, past, morning)))
    visits = [r for _, r in rows if r["kind"] == S.KIND_VISIT]
    if not visits:
        return []
    if not any(r["kind"] == S.KIND_END for _, r in rows):
        rows.append((float("inf"), _end_row(run, k, past, morning)))
    ordered = [r for _, r in sorted(rows, key=lambda x: (x[0], x[1]["kind"] == S.KIND_END))]
    head = {**start, STATUS: ""} if start is not None else _start_row(run, k)
    if not past.visits:
        head["service_end"] = _departure(run, k, head, fresh)
    out = [head, *ordered]
    for n, r in enumerate(out):
        r["stop_no"] = n
        r[S.AGENT_ID] = agent
    return out


def _departure(run: Run, k: int, head: Mapping[str, Any], fresh: pd.DataFrame | None) -> str:
    """Return when an agent with nothing frozen leaves its base: as the re-planned day says.

    From a reported position the agent left its base earlier, at some time we
    do not know: the start of the shift is shown (the earliest it may have).
    """
    if run.past[k].at_position:
        return str(head["service_start"])
    if fresh is not None and len(fresh):
        first = fresh.sort_values("stop_no", kind="stable").iloc[0]
        if first["kind"] == S.KIND_START:
            return str(first["service_end"])
    return str(head["service_end"])


def _first(frame: pd.DataFrame | None) -> dict[str, Any] | None:
    """Return the first row of ``frame`` as a dict (None when there is none)."""
    if frame is None or frame.empty:
        return None
    return dict(frame.iloc[0].to_dict())


def _key(row: Mapping[str, Any], column: str) -> float:
    """Return a row's clock cell in seconds, for ordering (late when it cannot be read)."""
    value = clock_seconds(str(row.get(column, "")))
    return float(value) if value is not None else float("inf")


def _frozen_row(run: Run, agent: str, f: FrozenVisit, morning: pd.DataFrame) -> dict[str, Any]:
    """Return a frozen visit's row: the morning's when as planned, else with its known times."""
    account = run.day.account_of(f.visit)
    own = morning[(morning["kind"] == S.KIND_VISIT) & (morning[S.ACCOUNT_ID] == account)]
    if len(own):
        row = dict(own.iloc[0].to_dict())
        if f.as_planned:
            return {**row, STATUS: f.status}
    else:
        row = _visit_row(run, account)
        names = run.day.usable.set_index(S.AGENT_ID)[S.AGENT_NAME]
        row["agent_name"] = names.get(agent, "")
    row.update(
        arrival=clock(f.arrival_s),
        service_start=clock(f.start_s),
        service_end=clock(f.end_s),
        travel_km=round(f.distance_m / 1000, 2),
        travel_min=round(f.travel_s / 60, 1),
    )
    row[STATUS] = f.status
    return row


def _visit_row(run: Run, account: str) -> dict[str, Any]:
    """Return a visit row's account columns for an account this agent had not planned."""
    frame = run.day.frame.set_index(S.ACCOUNT_ID, drop=False)
    sc = run.scores.set_index(S.ACCOUNT_ID)
    a = frame.loc[account]
    s = sc.loc[account] if account in sc.index else None
    windows = run.day.built.windows_min.get(account, ())
    return {
        "date": run.morning.ctx.date.isoformat(),
        "kind": S.KIND_VISIT,
        S.ACCOUNT_ID: account,
        S.DEBTOR_NAME: a[S.DEBTOR_NAME],
        S.ADDRESS: a[S.ADDRESS],
        S.LAT: float(a[S.LAT]),
        S.LON: float(a[S.LON]),
        "priority": None if s is None else s["priority"],
        S.BALANCE: float(a[S.BALANCE]),
        S.DAYS_PAST_DUE: int(a[S.DAYS_PAST_DUE]),
        "visit_window": windows_text(windows),
        "expected_recovery": None if s is None else s["expected_recovery"],
        "chosen_because": "" if s is None else s["explanation"],
        S.LANGUAGE: a[S.LANGUAGE] or "",
        "why_today": "" if s is None else s["why_today"],
    }


def _start_row(run: Run, k: int) -> dict[str, Any]:
    """Return a start row at the agent's base at the start of its shift."""
    agent = run.day.usable.iloc[k]
    shift = run.day.problem.vehicles[k].shift_start_s
    return {
        "date": run.morning.ctx.date.isoformat(),
        "kind": S.KIND_START,
        S.LAT: float(agent[S.BASE_LAT]),
        S.LON: float(agent[S.BASE_LON]),
        "arrival": clock(shift),
        "service_start": clock(shift),
        "service_end": clock(shift),
        "travel_km": 0.0,
        "travel_min": 0.0,
        "agent_name": agent[S.AGENT_NAME],
        STATUS: "",
    }


def _end_row(run: Run, k: int, past: Past, morning: pd.DataFrame) -> dict[str, Any]:
    """Return the end row of a day that ends after its frozen visits: straight back."""
    p = run.day.problem
    veh = p.vehicles[k]
    last = past.visits[-1] if past.visits else None
    node = p.visits[last.visit].node if last is not None else veh.start_node
    leave = last.end_s if last is not None else veh.shift_start_s
    travel = p.duration(k, node, veh.end_node)
    agent = run.day.usable.iloc[k]
    back = clock(leave + travel)
    return {
        "date": run.morning.ctx.date.isoformat(),
        "kind": S.KIND_END,
        S.LAT: float(agent[S.END_LAT]),
        S.LON: float(agent[S.END_LON]),
        "arrival": back,
        "service_start": back,
        "service_end": back,
        "travel_km": round(int(p.distance_m[node, veh.end_node]) / 1000, 2),
        "travel_min": round(travel / 60, 1),
        "agent_name": agent[S.AGENT_NAME],
        STATUS: "",
    }


def _continuation_rows(run: Run) -> dict[str, pd.DataFrame]:
    """Return the re-planned rest of each continuing agent's day, laid out (agent -> rows)."""
    cont, stable, day = run.cont, run.stable, run.day
    built = BuiltProblem(
        problem=stable.problem,
        visit_accounts=tuple(day.account_of(v) for v in cont.visits),
        vehicle_agents=tuple(day.agents[k] for k in cont.vehicles),
        windows_min=day.built.windows_min,
        dropped=day.built.dropped.iloc[0:0],
    )
    agents = day.usable.iloc[list(cont.vehicles)].reset_index(drop=True)
    result: Result = stable.result
    scores = run.scores.assign(
        explanation=run.scores["explanation"].fillna(""),
        why_today=run.scores["why_today"].fillna(""),
    )
    frame = assemble_itineraries(
        result,
        built,
        day.frame,
        agents,
        scores,
        run.morning.ctx.date,
        run.cfg.legal.start_min,
    )
    frame[STATUS] = ""
    return {str(a): g for a, g in frame.groupby(S.AGENT_ID, sort=False)}


# --- dropped, checklist, excluded, scores ----------------------------------------------------


def revision_dropped(run: Run, itineraries: pd.DataFrame) -> pd.DataFrame:
    """Return ``dropped.csv``: the morning's, less what is now on a route, plus what left one."""
    on_route = set(itineraries.loc[itineraries["kind"] == S.KIND_VISIT, S.ACCOUNT_ID].astype(str))
    base = run.morning.dropped
    base = base[~base[S.ACCOUNT_ID].astype(str).isin(on_route)]
    reasons = _why_off(run, on_route)
    base = base[~base[S.ACCOUNT_ID].astype(str).isin(reasons)]
    info = run.day.frame.set_index(S.ACCOUNT_ID)
    sc = run.scores.set_index(S.ACCOUNT_ID)
    added = []
    for account, (reason, detail) in reasons.items():
        known = account in info.index
        added.append(
            {
                S.ACCOUNT_ID: account,
                "reason": reason,
                "detail": detail,
                S.LAT: info.at[account, S.LAT] if known else None,
                S.LON: info.at[account, S.LON] if known else None,
                S.BALANCE: info.at[account, S.BALANCE] if known else None,
                "priority": sc.at[account, "priority"] if account in sc.index else None,
                "expected_recovery": sc.at[account, "expected_recovery"]
                if account in sc.index
                else None,
            }
        )
    frames = [f for f in (base, pd.DataFrame(added)) if len(f)]
    if not frames:
        return base.iloc[0:0]
    return pd.concat(frames, ignore_index=True)


def _why_off(run: Run, on_route: set[str]) -> dict[str, tuple[str, str]]:
    """Return account -> (reason, detail) for every planned or urgent visit now on no route."""
    at = clock(run.at_min * 60)
    notes = {
        e.account_id: e
        for e in run.events
        if e.kind in (EventType.CANCELLED, EventType.REMOVE, EventType.URGENT)
    }
    structural = {
        str(r[S.ACCOUNT_ID]): (str(r["reason"]), str(r["detail"]))
        for r in run.day.built.dropped.to_dict("records")
    }
    planned = run.morning.planned()
    urgent = {e.account_id for e in run.events if e.kind is EventType.URGENT}
    out: dict[str, tuple[str, str]] = {}
    frozen = {run.day.account_of(f.visit) for p in run.past for f in p.visits}
    for account in [*planned, *sorted(urgent)]:
        if account in on_route or account in frozen or account in out:
            continue
        e = notes.get(account)
        if e is not None and e.kind is EventType.CANCELLED:
            out[account] = (
                S.DroppedReason.VISIT_CANCELLED,
                _noted(f"cancelled at {clock(e.time_min * 60)}", e.note),
            )
        elif e is not None and e.kind is EventType.REMOVE:
            out[account] = (
                S.DroppedReason.ACCOUNT_REMOVED,
                _noted(f"removed at {clock(e.time_min * 60)}", e.note),
            )
        elif account in structural:
            out[account] = structural[account]
        elif account in planned and not _continues(run, planned[account]):
            out[account] = (
                S.DroppedReason.AGENT_UNAVAILABLE,
                f"agent {planned[account]} is unavailable; no other agent could take it at {at}",
            )
        else:
            what = "urgent: " if account in urgent else ""
            out[account] = (
                S.DroppedReason.NO_TIME_AFTER_REPLAN,
                f"{what}no agent has time left for it after the re-plan at {at}",
            )
    return out


def _noted(text: str, note: str) -> str:
    return f"{text}: {note}" if note else text


def _continues(run: Run, agent: str) -> bool:
    """Return True when the agent goes on working after the re-plan."""
    if agent not in run.day.agents:
        return False
    return run.past[run.day.agents.index(agent)].continues


def revision_checklist(run: Run, itineraries: pd.DataFrame) -> pd.DataFrame:
    """Return ``checklist.csv`` for the revision's visits.

    A visit that stays with its agent keeps the morning's rows; one moved to
    another agent keeps them with the agent's own items (credential,
    authorization) made for the new agent; a new visit gets the plan's rules.
    """
    morning = run.morning.checklist
    columns = list(CHECKLIST_OUTPUT_COLUMNS)
    visits = itineraries[itineraries["kind"] == S.KIND_VISIT]
    agents = run.day.usable.set_index(S.AGENT_ID, drop=False)
    accounts = run.day.frame.set_index(S.ACCOUNT_ID, drop=False)
    own_rules = tuple(r for r in RULES if r.name == "credential")
    parts: list[pd.DataFrame] = []
    for account, agent in zip(
        visits[S.ACCOUNT_ID].astype(str), visits[S.AGENT_ID].astype(str), strict=True
    ):
        rows = morning[morning[S.ACCOUNT_ID] == account]
        same = rows[rows[S.AGENT_ID].isin([agent, ""])]
        if len(same):
            parts.append(same)
        elif len(rows) and account in accounts.index:
            old = str(rows[S.AGENT_ID].iloc[0])
            parts.append(_moved_items(run, rows, old, agent, own_rules, accounts, agents))
        elif account in accounts.index:
            parts.append(
                build_checklist(
                    pd.DataFrame({S.ACCOUNT_ID: [account], S.AGENT_ID: [agent]}),
                    run.day.frame,
                    run.day.usable,
                    run.morning.ctx.date,
                    run.cfg,
                )
            )
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)
    for column in columns:
        if column not in out.columns:
            out[column] = ""
    return out[columns]


def _moved_items(
    run: Run,
    rows: pd.DataFrame,
    old: str,
    new: str,
    own_rules: Sequence[Any],
    accounts: pd.DataFrame,
    agents: pd.DataFrame,
) -> pd.DataFrame:
    """Return a moved visit's checklist rows with the agent's own items made for ``new``."""
    account = str(rows[S.ACCOUNT_ID].iloc[0])
    date, cfg = run.morning.ctx.date, run.cfg
    ctx_old = (
        StopContext(accounts.loc[account], agents.loc[old], date, cfg)
        if old in agents.index
        else None
    )
    ctx_new = StopContext(accounts.loc[account], agents.loc[new], date, cfg)
    old_items = checklist_for_stop(ctx_old, own_rules) if ctx_old is not None else []
    new_items = checklist_for_stop(ctx_new, own_rules)
    swap = {(e[0], e[1]): n for e, n in zip(old_items, new_items, strict=False)}
    out = rows.copy()
    for idx, r in out.iterrows():
        replacement = swap.get((str(r["item"]), str(r["reason"])))
        if replacement is not None:
            out.at[idx, "item"], out.at[idx, "reason"] = replacement[0], replacement[1]
            if "code" in out.columns:
                out.at[idx, "code"] = replacement[3]
    out[S.AGENT_ID] = new
    return out


def revision_excluded(run: Run, itineraries: pd.DataFrame) -> pd.DataFrame:
    """Return ``excluded.csv``: the morning's, less the urgent accounts now eligible and planned."""
    ex = run.morning.excluded
    now_in = set(run.extra[S.ACCOUNT_ID].astype(str)) if len(run.extra) else set()
    return ex[~ex[S.ACCOUNT_ID].astype(str).isin(now_in)].reset_index(drop=True)


def revision_scores(run: Run) -> pd.DataFrame:
    """Return ``scores.csv``: the morning's, plus the urgent accounts outside the plan."""
    sc = run.morning.scores
    new = run.scores[~run.scores[S.ACCOUNT_ID].isin(set(sc[S.ACCOUNT_ID]))]
    return pd.concat([sc, new], ignore_index=True) if len(new) else sc


# --- changes and messages --------------------------------------------------------------------


def changes_table(run: Run, itineraries: pd.DataFrame, dropped: pd.DataFrame) -> pd.DataFrame:
    """Return ``changes.csv``: per agent, each visit added, removed, moved or retimed.

    Frozen visits are facts, not changes, except for the agent a visit was
    planned for when another agent reported it done. A visit is retimed when
    its start moves by at least ``[replan] notice_min`` minutes.
    """
    before = _visits(run.morning.itineraries)
    after = _visits(itineraries)
    frozen = {run.day.account_of(f.visit) for p in run.past for f in p.visits}
    why = dict(zip(dropped[S.ACCOUNT_ID].astype(str), dropped["reason"].astype(str), strict=True))
    notice = run.cfg.replan.notice_min * 60
    rows: list[dict[str, Any]] = []

    def add(
        agent: str, account: str, change: Change, old: str, new: str, other: str, detail: str
    ) -> None:
        rows.append(
            dict(
                zip(
                    CHANGE_COLUMNS,
                    (agent, account, change.value, old, new, other, detail),
                    strict=True,
                )
            )
        )

    urgent = {e.account_id: e.note for e in run.events if e.kind is EventType.URGENT}
    for account in dict.fromkeys([*before, *after]):
        (m_agent, m_time), (r_agent, r_time) = (
            before.get(account, ("", "")),
            after.get(account, ("", "")),
        )
        if account in frozen:
            if m_agent and r_agent and m_agent != r_agent:
                add(
                    m_agent,
                    account,
                    Change.MOVED_FROM,
                    m_time,
                    r_time,
                    r_agent,
                    f"reported done by {r_agent}",
                )
            continue
        if m_agent and not r_agent:
            add(m_agent, account, Change.REMOVED, m_time, "", "", why.get(account, ""))
        elif r_agent and not m_agent:
            detail = (
                "urgent" + (f": {urgent[account]}" if urgent.get(account) else "")
                if account in urgent
                else ""
            )
            add(r_agent, account, Change.ADDED, "", r_time, "", detail)
        elif m_agent != r_agent:
            add(m_agent, account, Change.MOVED_FROM, m_time, r_time, r_agent, "")
            add(r_agent, account, Change.MOVED_TO, m_time, r_time, m_agent, "")
        else:
            old_s, new_s = clock_seconds(m_time), clock_seconds(r_time)
            if old_s is not None and new_s is not None and abs(new_s - old_s) >= max(notice, 60):
                add(r_agent, account, Change.RETIMED, m_time, r_time, "", "")
    frame = pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))
    order = {a: i for i, a in enumerate(run.day.agents)}
    frame["_o"] = frame[S.AGENT_ID].map(order).fillna(len(order))
    return frame.sort_values(["_o"], kind="stable").drop(columns="_o").reset_index(drop=True)


def _visits(itineraries: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Return account -> (agent, service start) of the visits of an itinerary table."""
    v = itineraries[itineraries["kind"] == S.KIND_VISIT]
    return {
        str(a): (str(g), str(t))
        for a, g, t in zip(v[S.ACCOUNT_ID], v[S.AGENT_ID], v["service_start"], strict=True)
    }


def agent_messages(
    run: Run, changes: pd.DataFrame, itineraries: pd.DataFrame, language: str
) -> dict[str, str]:
    """Return agent -> what to tell it: a heading, then one line per change."""
    t = Labels(language)
    names = dict(
        zip(
            run.day.usable[S.AGENT_ID].astype(str),
            run.day.usable[S.AGENT_NAME].astype(str),
            strict=True,
        )
    )
    debtors = dict(
        zip(
            run.day.frame[S.ACCOUNT_ID].astype(str),
            run.day.frame[S.ADDRESS].astype(str),
            strict=True,
        )
    )
    at = clock(run.at_min * 60)
    reasons = {str(r) for r in run.day.built.dropped["reason"]} | REPLAN_REASONS
    out: dict[str, str] = {}
    for agent, group in changes.groupby(S.AGENT_ID, sort=False):
        agent = str(agent)
        lines = [t("replan.msg.heading", name=names.get(agent, agent), agent_id=agent, at=at)]
        k = run.day.agents.index(agent) if agent in run.day.agents else None
        if k is not None and not run.past[k].continues:
            lines.append(t("replan.msg.day_over"))
        for r in group.to_dict("records"):
            key = f"replan.msg.{r['change']}"
            lines.append(
                t(
                    key,
                    account=r[S.ACCOUNT_ID],
                    address=debtors.get(str(r[S.ACCOUNT_ID]), ""),
                    old=r["old_time"],
                    new=r["new_time"],
                    other=r["other_agent_id"],
                    detail=t.reason(r["detail"]) if r["detail"] in reasons else r["detail"] or "-",
                )
            )
        out[agent] = "\n".join(lines) + "\n"
    return out


# --- summary and writing --------------------------------------------------------------------------


def revision_summary(
    run: Run,
    itineraries: pd.DataFrame,
    dropped: pd.DataFrame,
    changes: pd.DataFrame,
    flags: Sequence[str],
) -> PlanSummary:
    """Return ``summary.json`` with the route figures recomputed and a ``replan`` entry."""
    out = refresh_summary(run.morning.summary, itineraries, dropped, run.cfg.visits.service_min)
    result = run.stable.result
    solver = dataclasses.replace(
        out.solver or SolverSummary(),
        status=result.status,
        engine=result.engine,
        objective=int(result.objective),
        runtime_s=round(result.runtime_s, 2),
        time_limit_s=run.cfg.replan.time_limit_s,
    )
    kinds: dict[str, int] = {}
    for e in run.events:
        kinds[e.kind.value] = kinds.get(e.kind.value, 0) + 1
    windows = {a: windows_text(w) for a, w in new_windows(run.events).items()}
    entry = {
        "revision": run.morning.revision + 1,
        "at": clock(run.at_min * 60),
        "from_plan": str(run.morning.folder),
        "from_revision": run.morning.revision,
        "events_file": str(run.events_path),
        "events_sha256": run.event_digest(),
        "events_accepted": kinds,
        "events_refused_rows": len({p.row for p in run.rejected}),
        "move_penalty_min": run.cfg.replan.move_penalty_min,
        "urgent_bonus_min": run.cfg.replan.urgent_bonus_min,
        "new_windows": windows,
        "urgent": sorted({e.account_id for e in run.events if e.kind is EventType.URGENT}),
        "agents_searched": [run.day.agents[run.cont.vehicles[j]] for j in run.stable.searched],
        "agents_unchanged": sorted(set(run.day.agents) - set(changes[S.AGENT_ID].astype(str))),
        "changes": {str(k): int(v) for k, v in changes["change"].value_counts().items()},
        "flags": list(flags),
        "report": "changes.csv",
    }
    return dataclasses.replace(out, solver=solver, extra={**out.extra, "replan": entry})


def _flags(run: Run) -> list[str]:
    """Return what was accepted but deserves a look."""
    planned = run.morning.planned()
    flags = []
    for e in run.events:
        if e.kind in REPORTED and planned.get(e.account_id) != e.agent_id:
            was = planned.get(e.account_id)
            where = f"planned for {was}" if was else "not planned today"
            flags.append(
                f"events row {e.row}: {e.agent_id} reported {e.kind.value} at {e.account_id}, "
                f"{where}"
            )
    flags.extend(run.cont.notes)
    return flags


def write_revision(
    run: Run,
    out: Path,
    *,
    db: Path | str | None,
    show_names: bool,
    force: bool,
    notify: Callable[[str], None] | None,
) -> ReplanResult:
    """Write the revision folder (and store it with ``db``); return what was done."""
    itineraries, _kept = revision_itineraries(run)
    dropped = revision_dropped(run, itineraries)
    changes = changes_table(run, itineraries, dropped)
    flags = _flags(run)
    summary = revision_summary(run, itineraries, dropped, changes, flags)
    outcome_rows, outcome_problems = _outcomes(run, db)
    rejected_rows = [p.as_record() for p in (*run.rejected, *outcome_problems)]
    rejected = pd.concat(
        [run.morning.rejected, pd.DataFrame(rejected_rows, columns=list(S.REJECTED_COLUMNS))],
        ignore_index=True,
    )
    for column in S.REJECTED_COLUMNS:
        if column not in rejected.columns:
            rejected[column] = ""
    context_accounts = (
        pd.concat([run.morning.ctx.accounts, run.extra], ignore_index=True)
        if len(run.extra)
        else run.morning.ctx.accounts
    )
    context_accounts = with_windows(context_accounts, new_windows(run.events))
    plan = Plan(
        date=run.morning.ctx.date,
        config=run.cfg,
        itineraries=itineraries[list(ITINERARY_OUT)],
        checklist=revision_checklist(run, itineraries),
        excluded=revision_excluded(run, itineraries),
        dropped=dropped,
        rejected=rejected,
        scores=revision_scores(run),
        summary=summary,
        accounts=context_accounts,
        agents=run.morning.ctx.agents,
        result=run.stable.result,
        last_visits=run.morning.last_visits,
        routes=(
            road_routes(run.travel, itineraries, run.day.usable, run.cfg, run.progress)
            if run.cfg.travel.geometry
            else None
        ),
    )
    language = Labels(plan_language(summary, None)).language
    messages = agent_messages(run, changes, itineraries, language)
    violations, written = _write_plan(
        plan,
        run,
        RevisionReport(out, changes, messages),
        show_names=show_names,
        force=force,
        notify=notify,
    )
    plan_id, recorded = _store(run, plan, outcome_rows, db)
    return ReplanResult(
        out_dir=out,
        plan=plan,
        revision=run.morning.revision + 1,
        changes=changes,
        messages=messages,
        rejected=tuple((*run.rejected, *outcome_problems)),
        flags=tuple(flags),
        violations=violations,
        written=tuple(written),
        plan_id=plan_id,
        outcomes_recorded=recorded,
    )


@dataclass(frozen=True)
class RevisionReport:
    """What a revision tells besides its plan folder: ``changes.csv`` and the messages."""

    out: Path
    changes: pd.DataFrame
    #: agent -> the text of ``messages/AGENT.txt``
    messages: Mapping[str, str]

    def write(self, files: PlanFiles, agents: Sequence[str]) -> list[Path]:
        """Write ``changes.csv`` and the messages through the folder's manifest.

        A file someone changed since routeplan wrote it is kept and the fresh
        one written beside it (:meth:`~routeplan.io.manifest.PlanFiles.claim`).
        """
        written = [
            write_csv_atomic(files.claim(self.out / CHANGES_FILE), self.changes, spreadsheet=True)
        ]
        stems = file_stems(list(agents))
        for agent, text in self.messages.items():
            path = inside(self.out, self.out / MESSAGES_DIR / f"{stems.get(agent, agent)}.txt")
            written.append(write_text_atomic(files.claim(path), text))
        files.record(written)
        return written


def _write_plan(
    plan: Plan,
    run: Run,
    report: RevisionReport,
    *,
    show_names: bool,
    force: bool,
    notify: Callable[[str], None] | None,
) -> tuple[tuple[Violation, ...], list[Path]]:
    """Check the revision with the plan's travel model, then write its plan folder.

    As :meth:`routeplan.plan.Plan.write` (files changed by hand refused, or
    backed up with ``force``; every file atomic and in the manifest), with the
    violations found drawn on the map and sheets, and ``report`` written with
    the dispatch outputs. Returns the violations and the files written.
    """
    from routeplan.present import write_dispatch_outputs

    folder = plan.folder(report.out)
    violations = tuple(check_plan_folder(folder, travel=run.travel))

    def outputs(files: PlanFiles) -> list[Path]:
        drawn = write_dispatch_outputs(
            folder, show_names=show_names, files=files, notify=notify, violations=violations
        )
        return [*drawn, *report.write(files, run.day.agents)]

    written = write_plan_folder(
        folder.path,
        plan.tables(),
        plan.summary,
        folder.context.to_record() if folder.context is not None else {},
        outputs=outputs,
        routes=plan.routes,
        force=force,
        notify=notify,
    )
    return violations, written


# --- the history database ---------------------------------------------------------------------


def _outcomes(run: Run, db: Path | str | None) -> tuple[pd.DataFrame, list[Any]]:
    """Return the outcomes reported with the events, validated as ``record`` does, and the refusals.

    A ``no_show`` without an outcome is recorded as ``not_home``. Nothing
    without a database.
    """
    if db is None:
        return pd.DataFrame(), []
    from routeplan.io.store import Store
    from routeplan.outcomes import validate_outcomes

    rows = []
    for e in run.events:
        code = e.outcome or ("not_home" if e.kind is EventType.NO_SHOW else "")
        if e.kind in (EventType.DONE, EventType.NO_SHOW) and code:
            rows.append(
                {
                    S.ACCOUNT_ID: e.account_id,
                    S.AGENT_ID: e.agent_id,
                    S.VISIT_DATE: run.morning.ctx.date.isoformat(),
                    S.OUTCOME: code,
                    S.NOTES: e.note,
                    "_row": e.row,
                }
            )
    if not rows:
        return pd.DataFrame(), []
    frame = pd.DataFrame(rows)
    known_accounts = set(run.day.frame[S.ACCOUNT_ID].astype(str))
    with Store(db) as store:
        known_accounts |= set(store.known_accounts())
        agents = set(store.known_agents()) | set(run.day.agents)
    checked = validate_outcomes(
        frame.astype({"_row": int}).fillna(""),
        file=run.events_path.name,
        today=run.morning.ctx.date,
        known_accounts=known_accounts,
        known_agents=agents,
    )
    return checked.rows, list(checked.rejected)


def _store(
    run: Run, plan: Plan, outcomes: pd.DataFrame, db: Path | str | None
) -> tuple[int | None, int]:
    """Store the revision and its outcomes in ``db``; return its plan id and outcomes stored."""
    if db is None:
        return None, 0
    from routeplan.io.store import Store
    from routeplan.proof import ProofRules

    places = {
        str(a): (float(la), float(lo))
        for a, la, lo in zip(
            run.day.frame[S.ACCOUNT_ID], run.day.frame[S.LAT], run.day.frame[S.LON], strict=True
        )
    }
    with Store(db) as store:
        plan_id = store.save(plan)
        if outcomes is None or outcomes.empty:
            return plan_id, 0
        report = store.record_outcomes(
            outcomes,
            source=str(run.events_path),
            rules=ProofRules(run.cfg.audit, run.cfg.jurisdiction),
            places=places,
        )
    return plan_id, int(getattr(report, "inserted", 0)) + int(getattr(report, "updated", 0))
