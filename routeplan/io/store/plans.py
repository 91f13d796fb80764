"""Saving plans: each stop, eligibility decision, score and agent of a plan.

A plan is kept as the rows of seven tables (``plans``, ``plan_events``,
``decisions``, ``scores``, ``plan_agents``, and for the proof of visit
``plan_checklist``, what each stop had to show, and ``plan_places``, where
each account of the portfolio was) written in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from routeplan import schema as S
from routeplan.formats import clock_or_none
from routeplan.io.store.db import Database, StoreError
from routeplan.io.store.values import column, json_text, number, text


@dataclass(frozen=True)
class PlanRecord:
    """One plan as the store keeps it (see :meth:`routeplan.io.store.Store.save_plan`)."""

    plan_date: dt.date
    config: Mapping[str, Any]
    itineraries: pd.DataFrame
    excluded: pd.DataFrame
    dropped: pd.DataFrame
    scores: pd.DataFrame
    summary: Mapping[str, Any]
    agents: pd.DataFrame | None = None
    #: ``checklist.csv`` rows (``account_id, agent_id, item, category, code``)
    checklist: pd.DataFrame | None = None
    #: the accounts (``account_id, lat, lon``): where each one was that day
    places: pd.DataFrame | None = None


def insert_plan(db: Database, plan: PlanRecord) -> int:
    """Store one plan with its stops, decisions, scores and roster; return its plan id."""
    now = db.now()
    events = _event_rows(plan.itineraries)
    decisions = _decision_rows(plan.itineraries, plan.excluded, plan.dropped, plan.scores)
    score_rows = _score_rows(plan.scores)
    roster = _roster(events.agents, plan.agents)
    with db.write() as conn:
        cur = conn.execute(
            "INSERT INTO plans (plan_date, created_at, config_json, summary_json) "
            "VALUES (?, ?, ?, ?)",
            (plan.plan_date.isoformat(), now, json_text(plan.config), json_text(plan.summary)),
        )
        plan_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO plan_events (plan_id, agent_id, stop_no, kind, account_id, "
            "address, arrival, service_start, service_end, service_start_min, travel_km, "
            "travel_min, priority, balance, expected_recovery, visit_window, chosen_because) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(plan_id, *row) for row in events.rows],
        )
        conn.executemany(
            "INSERT INTO decisions (plan_id, account_id, status, reason, detail) "
            "VALUES (?, ?, ?, ?, ?)",
            [(plan_id, *row) for row in decisions],
        )
        conn.executemany(
            "INSERT INTO scores (plan_id, account_id, priority, probability, "
            "expected_recovery, points_total, points_json) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(plan_id, *row) for row in score_rows],
        )
        conn.executemany(
            "INSERT INTO plan_agents (plan_id, agent_id, name) VALUES (?, ?, ?)",
            [(plan_id, a, n) for a, n in roster.items()],
        )
        conn.executemany(
            "INSERT INTO plan_checklist (plan_id, account_id, agent_id, code, item, category) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(plan_id, *row) for row in _checklist_rows(plan.checklist)],
        )
        conn.executemany(
            "INSERT OR REPLACE INTO plan_places (plan_id, account_id, lat, lon) "
            "VALUES (?, ?, ?, ?)",
            [(plan_id, *row) for row in _place_rows(plan.places, plan.itineraries)],
        )
    return plan_id


def _checklist_rows(checklist: pd.DataFrame | None) -> list[tuple[str, str, str, str, str]]:
    """Return ``(account_id, agent_id, code, item, category)`` of each checklist row."""
    if checklist is None or checklist.empty:
        return []
    return [
        (text(acc), text(agent), text(code).strip().upper(), text(item), text(category))
        for acc, agent, code, item, category in zip(
            column(checklist, S.ACCOUNT_ID),
            column(checklist, S.AGENT_ID),
            column(checklist, "code"),
            column(checklist, "item"),
            column(checklist, "category"),
            strict=True,
        )
    ]


def _place_rows(
    accounts: pd.DataFrame | None, itineraries: pd.DataFrame
) -> list[tuple[str, float, float]]:
    """Return ``(account_id, lat, lon)`` of every located account, the visits' last."""
    rows: list[tuple[str, float, float]] = []
    visits = itineraries[column(itineraries, "kind").astype(str) == S.KIND_VISIT]
    for frame in (accounts, visits):
        if frame is None or frame.empty:
            continue
        for acc, lat, lon in zip(
            column(frame, S.ACCOUNT_ID), column(frame, S.LAT), column(frame, S.LON), strict=True
        ):
            la, lo = number(lat), number(lon)
            if text(acc) and la is not None and lo is not None:
                rows.append((text(acc), la, lo))
    return rows


def plans(db: Database) -> pd.DataFrame:
    """Return every stored plan: ``plan_id, plan_date, created_at`` (oldest first)."""
    return db.frame("SELECT plan_id, plan_date, created_at FROM plans ORDER BY plan_id")


def plan_config(db: Database, plan_id: int) -> dict[str, Any]:
    """Return the configuration a plan was made with."""
    found = db.column("SELECT config_json FROM plans WHERE plan_id = ?", (plan_id,))
    if not found:
        raise StoreError(f"{db.path}: no plan {plan_id}")
    return dict(json.loads(found[0]))


def _roster(seen: list[tuple[str, str]], agents: pd.DataFrame | None) -> dict[str, str]:
    """Return agent id -> name: the agents on the routes, then the rest of the roster."""
    roster: dict[str, str] = {}
    for agent_id, name in seen:
        roster.setdefault(agent_id, name)
    if agents is not None and len(agents):
        names = agents[S.AGENT_NAME] if S.AGENT_NAME in agents else pd.Series("", agents.index)
        for agent_id, name in zip(agents[S.AGENT_ID], names, strict=True):
            roster.setdefault(str(agent_id), text(name))
    return roster


@dataclass(frozen=True)
class _Events:
    """A plan's itinerary rows as ``plan_events`` values, and its agents in order."""

    rows: list[tuple[Any, ...]]
    agents: list[tuple[str, str]]


def _event_rows(itineraries: pd.DataFrame) -> _Events:
    rows: list[tuple[Any, ...]] = []
    agents: list[tuple[str, str]] = []
    seen: set[str] = set()
    it = itineraries.reset_index(drop=True)
    cols = {
        name: column(it, name).tolist()
        for name in (
            S.AGENT_ID,
            "stop_no",
            "kind",
            S.ACCOUNT_ID,
            S.ADDRESS,
            "arrival",
            "service_start",
            "service_end",
            "travel_km",
            "travel_min",
            "priority",
            S.BALANCE,
            "expected_recovery",
            "visit_window",
            "chosen_because",
            "agent_name",
        )
    }
    for i in range(len(it)):
        agent_id = text(cols[S.AGENT_ID][i])
        if agent_id not in seen:
            seen.add(agent_id)
            agents.append((agent_id, text(cols["agent_name"][i])))
        stop_no = number(cols["stop_no"][i])
        rows.append(
            (
                agent_id,
                int(stop_no) if stop_no is not None else i,
                text(cols["kind"][i]),
                text(cols[S.ACCOUNT_ID][i]),
                text(cols[S.ADDRESS][i]),
                text(cols["arrival"][i]),
                text(cols["service_start"][i]),
                text(cols["service_end"][i]),
                clock_or_none(text(cols["service_start"][i])),
                number(cols["travel_km"][i]),
                number(cols["travel_min"][i]),
                number(cols["priority"][i]),
                number(cols[S.BALANCE][i]),
                number(cols["expected_recovery"][i]),
                text(cols["visit_window"][i]),
                text(cols["chosen_because"][i]),
            )
        )
    return _Events(rows, agents)


def _decision_rows(
    itineraries: pd.DataFrame,
    excluded: pd.DataFrame,
    dropped: pd.DataFrame,
    scores: pd.DataFrame,
) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for acc, reason, detail in zip(
        column(excluded, S.ACCOUNT_ID),
        column(excluded, "reason"),
        column(excluded, "detail"),
        strict=True,
    ):
        rows.append((text(acc), "excluded", text(reason), text(detail)))
    # scores may cover every account; "eligible" is only for the unexcluded rest
    decided: set[str] = {text(a) for a in column(excluded, S.ACCOUNT_ID)}
    visits = itineraries[column(itineraries, "kind").astype(str) == S.KIND_VISIT]
    for acc, agent, because in zip(
        column(visits, S.ACCOUNT_ID),
        column(visits, S.AGENT_ID),
        column(visits, "chosen_because"),
        strict=True,
    ):
        rows.append((text(acc), "planned", f"agent {text(agent)}", text(because)))
        decided.add(text(acc))
    for acc, reason, detail in zip(
        column(dropped, S.ACCOUNT_ID),
        column(dropped, "reason"),
        column(dropped, "detail"),
        strict=True,
    ):
        rows.append((text(acc), "dropped", text(reason), text(detail)))
        decided.add(text(acc))
    for acc in column(scores, S.ACCOUNT_ID):
        if text(acc) not in decided:
            rows.append((text(acc), "eligible", "", ""))
            decided.add(text(acc))
    return rows


def _score_rows(scores: pd.DataFrame) -> list[tuple[Any, ...]]:
    pts_cols = [c for c in scores.columns if str(c).startswith("pts_")]
    rows: list[tuple[Any, ...]] = []
    for rec in scores.to_dict("records"):
        points = {c: number(rec.get(c)) for c in pts_cols}
        rows.append(
            (
                text(rec.get(S.ACCOUNT_ID)),
                number(rec.get("priority")),
                number(rec.get("probability")),
                number(rec.get("expected_recovery")),
                number(rec.get("points_total")),
                json_text(points),
            )
        )
    return rows
