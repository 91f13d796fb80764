"""Reading the history back: outcomes, planned stops, km, rosters and trails.

Reads run outside any write transaction and see the last committed state
(WAL): they never wait for a writer.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from routeplan import schema as S
from routeplan.io.store.db import Database
from routeplan.io.store.values import date_bounds

#: the plan id of the last plan of ``p``'s day and region (its summary's ``region``, if any):
#: a day planned twice counts once, per region when it was planned region by region
_LATEST_OF_DAY_AND_REGION = (
    "(SELECT MAX(plan_id) FROM plans q WHERE q.plan_date = p.plan_date "
    "AND COALESCE(json_extract(q.summary_json, '$.region'), '') "
    "= COALESCE(json_extract(p.summary_json, '$.region'), ''))"
)


def known_accounts(db: Database) -> frozenset[str]:
    """Return every account any stored plan has seen (planned, dropped or excluded)."""
    return frozenset(
        db.column("SELECT account_id FROM decisions UNION SELECT account_id FROM scores")
    )


def known_agents(db: Database) -> frozenset[str]:
    """Return every agent of any stored plan."""
    return frozenset(db.column("SELECT DISTINCT agent_id FROM plan_agents"))


def agent_names(db: Database) -> dict[str, str]:
    """Return the latest known display name of every agent."""
    rows = db.conn.execute("SELECT agent_id, name FROM plan_agents ORDER BY plan_id").fetchall()
    return {a: n for a, n in rows}


def planned_stops(
    db: Database, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> pd.DataFrame:
    """Return the visits of the latest plan of each day in ``[date_from, date_to]``.

    A day planned twice counts once: the last plan saved for it is the one
    dispatched (per region, when the day was planned region by region).
    Columns: ``plan_id, plan_date, agent_id, agent_name, stop_no, account_id,
    address, service_start, service_start_min, travel_km, priority, balance,
    expected_recovery, chosen_because``.
    """
    lo, hi = date_bounds(date_from, date_to)
    return db.frame(
        """
        SELECT e.plan_id, p.plan_date, e.agent_id, COALESCE(a.name, '') AS agent_name,
               e.stop_no, e.account_id, e.address, e.service_start, e.service_start_min,
               e.travel_km, e.priority, e.balance, e.expected_recovery, e.chosen_because
        FROM plan_events e
        JOIN plans p ON p.plan_id = e.plan_id
        LEFT JOIN plan_agents a ON a.plan_id = e.plan_id AND a.agent_id = e.agent_id
        WHERE e.kind = 'visit' AND p.plan_date BETWEEN ? AND ?
          AND p.plan_id = """
        + _LATEST_OF_DAY_AND_REGION
        + """
        ORDER BY p.plan_date, e.agent_id, e.stop_no
        """,
        (lo, hi),
    )


def route_km(
    db: Database, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> pd.DataFrame:
    """Return km of each agent's planned route per day (latest plan of each day and region).

    Columns ``plan_date, agent_id, agent_name, visits, km``; only agents with
    at least one visit (an idle agent does not drive).
    """
    lo, hi = date_bounds(date_from, date_to)
    return db.frame(
        """
        SELECT p.plan_date, e.agent_id, COALESCE(a.name, '') AS agent_name,
               SUM(e.kind = 'visit') AS visits, COALESCE(SUM(e.travel_km), 0.0) AS km
        FROM plan_events e
        JOIN plans p ON p.plan_id = e.plan_id
        LEFT JOIN plan_agents a ON a.plan_id = e.plan_id AND a.agent_id = e.agent_id
        WHERE p.plan_date BETWEEN ? AND ?
          AND p.plan_id = """
        + _LATEST_OF_DAY_AND_REGION
        + """
        GROUP BY p.plan_date, e.agent_id
        HAVING SUM(e.kind = 'visit') > 0
        ORDER BY p.plan_date, e.agent_id
        """,
        (lo, hi),
    )


def planned_routes(
    db: Database, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> pd.DataFrame:
    """Return every route row (start, visit, break, end) of the latest plan of each day and region.

    Columns ``plan_id, plan_date, agent_id, stop_no, kind, account_id,
    arrival, service_start, service_end, travel_km, expected_recovery``, in
    route order: an agent's day is his rows of one ``plan_id``.
    """
    lo, hi = date_bounds(date_from, date_to)
    return db.frame(
        """
        SELECT e.plan_id, p.plan_date, e.agent_id, e.stop_no, e.kind, e.account_id,
               e.arrival, e.service_start, e.service_end, e.travel_km, e.expected_recovery
        FROM plan_events e
        JOIN plans p ON p.plan_id = e.plan_id
        WHERE p.plan_date BETWEEN ? AND ?
          AND p.plan_id = """
        + _LATEST_OF_DAY_AND_REGION
        + """
        ORDER BY p.plan_date, e.plan_id, e.agent_id, e.stop_no
        """,
        (lo, hi),
    )


def usable_agents(
    db: Database, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> pd.DataFrame:
    """Return ``plan_id, agent_id`` of every agent marked usable in the latest plan of each day.

    The same plans as :func:`planned_routes` (latest of each day and region),
    read from their stored ``summary.json`` (its ``agents``).
    """
    lo, hi = date_bounds(date_from, date_to)
    return db.frame(
        """
        SELECT p.plan_id, json_extract(a.value, '$.agent_id') AS agent_id
        FROM plans p, json_each(p.summary_json, '$.agents') a
        WHERE p.plan_date BETWEEN ? AND ?
          AND json_extract(a.value, '$.usable') = 1
          AND p.plan_id = """
        + _LATEST_OF_DAY_AND_REGION
        + """
        ORDER BY p.plan_id, agent_id
        """,
        (lo, hi),
    )


def outcomes(
    db: Database,
    until: dt.date | None = None,
    *,
    since: dt.date | None = None,
    account_id: str | None = None,
) -> pd.DataFrame:
    """Return recorded outcomes with ``since <= visit_date <= until`` (None: open).

    ``account_id`` limits them to one account.

    Columns: ``account_id, agent_id, visit_date`` (datetime64), ``outcome,
    amount_paid, ptp_date`` (datetime64), ``ptp_amount, notes, planned``
    (bool), ``plan_id``, ``flag``, ``visit_start_min`` (planned start of the
    visit in minutes after midnight, NaN when not planned) and
    ``visited_address`` (the address the plan sent the agent to; "" when no
    plan had it), ``flags`` (the codes the proof checks flagged the visit
    with, ``,``-separated; "" when none), ordered by visit date. This is the
    ``outcomes`` input of :func:`routeplan.history.apply_history`.
    """
    lo, hi = date_bounds(since, until)
    frame = db.frame(
        """
        SELECT o.account_id, o.agent_id, o.visit_date, o.outcome, o.amount_paid,
               o.ptp_date, o.ptp_amount, o.notes, o.plan_id, o.flag,
               e.service_start_min AS visit_start_min,
               COALESCE(e.address, (
                   SELECT e2.address FROM plan_events e2 JOIN plans p2
                     ON p2.plan_id = e2.plan_id
                   WHERE e2.account_id = o.account_id AND e2.kind = 'visit'
                     AND p2.plan_date <= o.visit_date
                   ORDER BY p2.plan_date DESC, e2.plan_id DESC LIMIT 1), '')
                 AS visited_address,
               COALESCE((SELECT GROUP_CONCAT(flag, ',') FROM (
                   SELECT f.flag FROM visit_flags f
                   WHERE f.account_id = o.account_id AND f.agent_id = o.agent_id
                     AND f.visit_date = o.visit_date AND f.status = 'flagged'
                   ORDER BY f.flag)), '') AS flags,
               o.source, o.recorded_at
        FROM outcomes o
        LEFT JOIN plan_events e
          ON e.plan_id = o.plan_id AND e.account_id = o.account_id
         AND e.agent_id = o.agent_id AND e.kind = 'visit'
        WHERE o.visit_date BETWEEN ? AND ? AND (? IS NULL OR o.account_id = ?)
        ORDER BY o.visit_date, o.account_id, o.agent_id
        """,
        (lo, hi, account_id, account_id),
    )
    frame[S.VISIT_DATE] = pd.to_datetime(frame[S.VISIT_DATE], format="%Y-%m-%d")
    frame[S.PTP_DATE] = pd.to_datetime(frame[S.PTP_DATE], format="%Y-%m-%d")
    for col in (S.AMOUNT_PAID, S.PTP_AMOUNT, "visit_start_min"):
        frame[col] = pd.to_numeric(frame[col]).astype(float)
    frame["planned"] = frame["plan_id"].notna()
    return frame


def item_codes(db: Database) -> frozenset[str]:
    """Return every checklist item code of any stored plan."""
    return frozenset(
        str(c).upper() for c in db.column("SELECT DISTINCT code FROM plan_checklist") if c
    )


def verification(
    db: Database, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the recorded visits of a period and what their proof checks found.

    ``visits``: ``account_id, agent_id, visit_date, proof_checked`` (False for
    a visit recorded before routeplan checked visits); ``findings``:
    ``account_id, agent_id, visit_date, flag, status, detail`` (status
    ``flagged`` or ``unverified``).
    """
    lo, hi = date_bounds(date_from, date_to)
    visits = db.frame(
        "SELECT account_id, agent_id, visit_date, proof_checked FROM outcomes "
        "WHERE visit_date BETWEEN ? AND ? ORDER BY visit_date, agent_id, account_id",
        (lo, hi),
    )
    visits["proof_checked"] = visits["proof_checked"].astype(bool)
    findings = db.frame(
        "SELECT account_id, agent_id, visit_date, flag, status, detail FROM visit_flags "
        "WHERE visit_date BETWEEN ? AND ? ORDER BY visit_date, agent_id, account_id, flag",
        (lo, hi),
    )
    return visits, findings


#: columns of :func:`flagged_visits`
FLAGGED_COLUMNS = (
    S.VISIT_DATE,
    S.AGENT_ID,
    "agent_name",
    S.ACCOUNT_ID,
    "flag",
    "detail",
    S.OUTCOME,
    S.AMOUNT_PAID,
    S.CHECKIN_TIME,
    S.CHECKOUT_TIME,
    S.CHECKIN_LAT,
    S.CHECKIN_LON,
    S.GPS_ACCURACY_M,
    "place_lat",
    "place_lon",
    S.EVIDENCE,
    S.RECEIPT_NO,
    S.PHOTO_REF,
    S.NOTES,
    S.ADDRESS,
)


def flagged_visits(
    db: Database,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    *,
    agent_id: str | None = None,
) -> pd.DataFrame:
    """Return one row per flag of the visits of a period, with the visit's evidence.

    Columns :data:`FLAGGED_COLUMNS`: the flag and its detail, the outcome,
    the check-in and check-out, the check-in position and accuracy, the
    account's location the check used (``place_lat``, ``place_lon``), the
    codes ticked, receipt, photo reference, notes and the address the latest
    plan up to the visit had for the account. Ordered by date, agent,
    account and flag; ``agent_id`` keeps one agent's.
    """
    lo, hi = date_bounds(date_from, date_to)
    return db.frame(
        """
        SELECT o.visit_date, o.agent_id,
               COALESCE((SELECT a.name FROM plan_agents a WHERE a.agent_id = o.agent_id
                         ORDER BY a.plan_id DESC LIMIT 1), '') AS agent_name,
               o.account_id, f.flag, f.detail, o.outcome, o.amount_paid,
               COALESCE(o.checkin_time, '') AS checkin_time,
               COALESCE(o.checkout_time, '') AS checkout_time,
               o.checkin_lat, o.checkin_lon, o.gps_accuracy_m, o.place_lat, o.place_lon,
               o.evidence, o.receipt_no, o.photo_ref, o.notes,
               COALESCE((SELECT e.address FROM plan_events e JOIN plans p
                           ON p.plan_id = e.plan_id
                         WHERE e.account_id = o.account_id AND e.kind = 'visit'
                           AND p.plan_date <= o.visit_date
                         ORDER BY p.plan_date DESC, e.plan_id DESC LIMIT 1), '') AS address
        FROM visit_flags f
        JOIN outcomes o ON o.account_id = f.account_id AND o.agent_id = f.agent_id
                       AND o.visit_date = f.visit_date
        WHERE f.status = 'flagged' AND o.visit_date BETWEEN ? AND ?
          AND (? IS NULL OR o.agent_id = ?)
        ORDER BY o.visit_date, o.agent_id, o.account_id, f.flag
        """,
        (lo, hi, agent_id, agent_id),
    )


def record_runs(db: Database) -> pd.DataFrame:
    """Return the audit rows of every ``record`` call, oldest first."""
    return db.frame("SELECT * FROM record_runs ORDER BY run_id")


def outcome_revisions(db: Database) -> pd.DataFrame:
    """Return every outcome version a later correction replaced."""
    return db.frame("SELECT * FROM outcome_revisions ORDER BY replaced_at")


def account_trail(db: Database, account_id: str) -> dict[str, pd.DataFrame]:
    """Return everything stored about one account.

    Keys: ``decisions`` (``plan_id, plan_date, status, reason, detail``, and for a
    plan ``routeplan replan`` made, its ``revision`` number of the day and the time
    ``replan_at`` it was made at; NULL for other plans),
    ``stops`` (``plan_id, plan_date, agent_id, agent_name, stop_no,
    service_start, priority, balance, expected_recovery, chosen_because``),
    ``scores`` (``plan_id, plan_date, priority, probability,
    expected_recovery, points_total``) and ``outcomes`` (as
    :func:`outcomes`, plus ``agent_name``), each oldest first.
    """
    decisions = db.frame(
        "SELECT d.plan_id, p.plan_date, d.status, d.reason, d.detail, "
        "json_extract(p.summary_json, '$.replan.revision') AS revision, "
        "json_extract(p.summary_json, '$.replan.at') AS replan_at FROM decisions d "
        "JOIN plans p ON p.plan_id = d.plan_id WHERE d.account_id = ? "
        "ORDER BY d.plan_id, d.rowid",
        (account_id,),
    )
    stops = db.frame(
        "SELECT e.plan_id, p.plan_date, e.agent_id, COALESCE(a.name, '') AS agent_name, "
        "e.stop_no, e.service_start, e.priority, e.balance, e.expected_recovery, "
        "e.chosen_because FROM plan_events e JOIN plans p ON p.plan_id = e.plan_id "
        "LEFT JOIN plan_agents a ON a.plan_id = e.plan_id AND a.agent_id = e.agent_id "
        "WHERE e.account_id = ? AND e.kind = 'visit' ORDER BY e.plan_id",
        (account_id,),
    )
    scores = db.frame(
        "SELECT s.plan_id, p.plan_date, s.priority, s.probability, s.expected_recovery, "
        "s.points_total FROM scores s JOIN plans p ON p.plan_id = s.plan_id "
        "WHERE s.account_id = ? ORDER BY s.plan_id",
        (account_id,),
    )
    visits = outcomes(db, account_id=account_id)
    names = agent_names(db)
    visits["agent_name"] = [names.get(a, "") for a in visits[S.AGENT_ID]]
    return {"decisions": decisions, "stops": stops, "scores": scores, "outcomes": visits}
