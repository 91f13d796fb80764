"""Checking recorded visits: gather each visit's context, store what the checks find.

Runs inside ``record``'s write transaction (the connection passed in), so a
visit and its findings are committed together. The checks themselves are
pure (:mod:`routeplan.proof`); this module reads what they look at from the
stored plans and visits and writes their findings to ``visit_flags``.

Which visits are checked: every visit the call stored (new or corrected),
the other visits of the same agent on the same day (an overlap or an
impossible journey involves two visits) and the other visits carrying the
same receipt number, or the number a correction took away. A visit whose
findings are unchanged is not written again, so recording the same file
twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from routeplan.checklist import required_codes
from routeplan.io.readers import parse_windows
from routeplan.io.store.values import text
from routeplan.proof import Finding, PlannedStop, ProofRules, VisitContext, VisitProof

#: a visit's identity: ``(account_id, agent_id, visit_date as YYYY-MM-DD)``
Key = tuple[str, str, str]

#: how a check-in or check-out time is stored
MOMENT_FORMAT = "%Y-%m-%d %H:%M"

_VISIT_COLUMNS = (
    "account_id, agent_id, visit_date, outcome, amount_paid, checkin_time, checkout_time, "
    "checkin_lat, checkin_lon, gps_accuracy_m, evidence, receipt_no, proof_columns"
)


@dataclass(frozen=True)
class VisitFindings:
    """What the checks found on one visit (``row``: its row in the file just recorded)."""

    key: Key
    findings: tuple[Finding, ...]
    row: int | None = None

    @property
    def flags(self) -> tuple[Finding, ...]:
        """The findings that flag the visit."""
        return tuple(f for f in self.findings if f.flagged)

    @property
    def unverified(self) -> tuple[Finding, ...]:
        """The checks that could not be made."""
        return tuple(f for f in self.findings if not f.flagged)


@dataclass(frozen=True)
class Checked:
    """The findings of a record call: its own visits, and earlier ones that changed."""

    written: tuple[VisitFindings, ...]
    others: tuple[VisitFindings, ...]


def check_visits(
    conn: sqlite3.Connection,
    written: Mapping[Key, int],
    *,
    rules: ProofRules,
    places: Mapping[str, tuple[float, float]],
    old_receipts: Iterable[str] = (),
) -> Checked:
    """Check the visits just written and those compared with them; store the findings.

    Parameters
    ----------
    conn
        The open write transaction.
    written
        The visits this call stored, with their file row.
    rules
        The ``[audit]`` settings and the fallback jurisdiction.
    places
        ``account_id -> (lat, lon)`` for accounts no stored plan locates.
    old_receipts
        Receipt numbers corrected away: their other holders are checked again.
    """
    todo = dict.fromkeys(written)
    receipts = {r for r in old_receipts if r}
    for key in written:
        for other in _same_day_keys(conn, key[1], key[2]):
            todo.setdefault(other)
        receipts.add(_receipt_of(conn, key))
    for receipt in sorted(r for r in receipts if r):
        for other in _receipt_keys(conn, receipt):
            todo.setdefault(other)
    mine: list[VisitFindings] = []
    others: list[VisitFindings] = []
    for key in todo:
        visit = _visit(conn, key)
        if visit is None:
            continue
        stop = planned_stop(conn, visit.account_id, visit.visit_date, places)
        ctx = VisitContext(
            visit=visit,
            stop=stop,
            same_day=tuple(_visits(conn, "agent_id = ? AND visit_date = ?", key[1:])),
            same_receipt=tuple(_same_receipt(conn, visit.receipt_no)),
        )
        found = rules.check(ctx)
        changed = _store(conn, key, found, stop.place)
        if key in written:
            mine.append(VisitFindings(key, found, written[key]))
        elif changed:
            others.append(VisitFindings(key, found))
    return Checked(tuple(mine), tuple(others))


def planned_stop(
    conn: sqlite3.Connection,
    account_id: str,
    day: dt.date,
    places: Mapping[str, tuple[float, float]],
) -> PlannedStop:
    """Return what the latest stored plan of ``day`` said about an account.

    The jurisdiction is that plan's, else the one of the latest plan before
    ``day``; the place is the account's location in that plan, else in the
    nearest stored plan (earlier ones first), else ``places``.
    """
    iso = day.isoformat()
    plan_id = conn.execute("SELECT MAX(plan_id) FROM plans WHERE plan_date = ?", (iso,)).fetchone()[
        0
    ]
    agents: tuple[str, ...] = ()
    windows: tuple[tuple[int, int], ...] | None = None
    required = required_codes(())
    if plan_id is not None:
        events = conn.execute(
            "SELECT agent_id, visit_window FROM plan_events WHERE plan_id = ? "
            "AND kind = 'visit' AND account_id = ? ORDER BY agent_id",
            (plan_id, account_id),
        ).fetchall()
        agents = tuple(str(a) for a, _w in events)
        windows = _windows(events[0][1]) if events else None
        required = required_codes(
            conn.execute(
                "SELECT category, code FROM plan_checklist WHERE plan_id = ? AND account_id = ?",
                (plan_id, account_id),
            ).fetchall()
        )
    return PlannedStop(
        plan_id=None if plan_id is None else int(plan_id),
        agents=agents,
        windows=windows,
        required=required,
        jurisdiction=_jurisdiction(conn, iso),
        place=_place(conn, account_id, iso) or places.get(account_id),
    )


def flags_json(conn: sqlite3.Connection, key: Key) -> str:
    """Return a visit's stored findings as JSON (kept with a replaced version)."""
    rows = conn.execute(
        "SELECT flag, status, detail FROM visit_flags "
        "WHERE account_id = ? AND agent_id = ? AND visit_date = ? ORDER BY flag",
        key,
    ).fetchall()
    return json.dumps(
        [{"flag": f, "status": s, "detail": d} for f, s, d in rows], ensure_ascii=False
    )


def moment_text(value: Any) -> str | None:
    """Return a check-in or check-out time as stored (``YYYY-MM-DD HH:MM``), None when empty."""
    if isinstance(value, dt.datetime):
        return value.strftime(MOMENT_FORMAT)
    cell = text(value).strip()
    return cell or None


# --- reading a visit's context ------------------------------------------------------


def _visit(conn: sqlite3.Connection, key: Key) -> VisitProof | None:
    found = _visits(conn, "account_id = ? AND agent_id = ? AND visit_date = ?", key)
    return found[0] if found else None


def _visits(conn: sqlite3.Connection, where: str, params: Iterable[Any]) -> list[VisitProof]:
    rows = conn.execute(
        f"SELECT {_VISIT_COLUMNS} FROM outcomes WHERE {where}", tuple(params)
    ).fetchall()
    return [visit_proof(r) for r in rows]


def visit_proof(row: tuple[Any, ...]) -> VisitProof:
    """Return a :class:`VisitProof` from a row of :data:`_VISIT_COLUMNS`."""
    (acc, agent, day, outcome, amount, cin, cout, lat, lon, acc_m, evidence, receipt, cols) = row
    return VisitProof(
        account_id=str(acc),
        agent_id=str(agent),
        visit_date=dt.date.fromisoformat(str(day)),
        outcome=str(outcome),
        amount_paid=amount,
        checkin=_moment(cin),
        checkout=_moment(cout),
        lat=lat,
        lon=lon,
        accuracy_m=acc_m,
        evidence=frozenset(c for c in text(evidence).split(";") if c),
        receipt_no=text(receipt),
        columns=frozenset(c for c in text(cols).split(";") if c),
    )


def _moment(value: Any) -> dt.datetime | None:
    cell = text(value).strip()
    return dt.datetime.strptime(cell, MOMENT_FORMAT) if cell else None


def _same_receipt(conn: sqlite3.Connection, receipt: str) -> list[VisitProof]:
    if not receipt:
        return []
    return _visits(conn, "receipt_no = ? COLLATE NOCASE AND receipt_no <> ''", (receipt,))


def _same_day_keys(conn: sqlite3.Connection, agent_id: str, day: str) -> list[Key]:
    rows = conn.execute(
        "SELECT account_id, agent_id, visit_date FROM outcomes WHERE agent_id = ? "
        "AND visit_date = ? ORDER BY account_id",
        (agent_id, day),
    ).fetchall()
    return [(str(a), str(g), str(d)) for a, g, d in rows]


def _receipt_keys(conn: sqlite3.Connection, receipt: str) -> list[Key]:
    rows = conn.execute(
        "SELECT account_id, agent_id, visit_date FROM outcomes "
        "WHERE receipt_no = ? COLLATE NOCASE AND receipt_no <> '' "
        "ORDER BY visit_date, account_id, agent_id",
        (receipt,),
    ).fetchall()
    return [(str(a), str(g), str(d)) for a, g, d in rows]


def _receipt_of(conn: sqlite3.Connection, key: Key) -> str:
    row = conn.execute(
        "SELECT receipt_no FROM outcomes WHERE account_id = ? AND agent_id = ? AND visit_date = ?",
        key,
    ).fetchone()
    return text(row[0]) if row else ""


def _windows(cell: Any) -> tuple[tuple[int, int], ...] | None:
    """Return a stored ``visit_window`` as minute spans (empty: any time), None if unreadable."""
    try:
        return parse_windows(text(cell))
    except ValueError:
        return None


def _jurisdiction(conn: sqlite3.Connection, day: str) -> str:
    """Return the jurisdiction of the latest plan of ``day`` (or before it), "" when none."""
    row = conn.execute(
        "SELECT config_json FROM plans WHERE plan_date <= ? ORDER BY plan_date DESC, "
        "plan_id DESC LIMIT 1",
        (day,),
    ).fetchone()
    if row is None:
        return ""
    try:
        config = json.loads(row[0])
    except ValueError:
        return ""
    return str(config.get("jurisdiction") or "") if isinstance(config, dict) else ""


def _place(conn: sqlite3.Connection, account_id: str, day: str) -> tuple[float, float] | None:
    """Return where the stored plans put an account: that day's, else the nearest earlier."""
    row = conn.execute(
        "SELECT pp.lat, pp.lon FROM plan_places pp JOIN plans p ON p.plan_id = pp.plan_id "
        "WHERE pp.account_id = ? ORDER BY p.plan_date = ? DESC, p.plan_date <= ? DESC, "
        "p.plan_date DESC, pp.plan_id DESC LIMIT 1",
        (account_id, day, day),
    ).fetchone()
    return (float(row[0]), float(row[1])) if row else None


# --- writing the findings -----------------------------------------------------------


def _store(
    conn: sqlite3.Connection,
    key: Key,
    found: tuple[Finding, ...],
    place: tuple[float, float] | None,
) -> bool:
    """Store a visit's findings; return whether they differ from those stored before."""
    before = {
        (str(f), str(s), str(d))
        for f, s, d in conn.execute(
            "SELECT flag, status, detail FROM visit_flags "
            "WHERE account_id = ? AND agent_id = ? AND visit_date = ?",
            key,
        )
    }
    after = {(str(f.flag), str(f.status), f.detail) for f in found}
    lat, lon = place if place is not None else (None, None)
    conn.execute(
        "UPDATE outcomes SET proof_checked = 1, place_lat = ?, place_lon = ? "
        "WHERE account_id = ? AND agent_id = ? AND visit_date = ?",
        (lat, lon, *key),
    )
    if before == after:
        return False
    conn.execute(
        "DELETE FROM visit_flags WHERE account_id = ? AND agent_id = ? AND visit_date = ?", key
    )
    conn.executemany(
        "INSERT INTO visit_flags (account_id, agent_id, visit_date, flag, status, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(*key, *finding) for finding in sorted(after)],
    )
    return True


__all__ = [
    "Checked",
    "Key",
    "VisitFindings",
    "check_visits",
    "flags_json",
    "moment_text",
    "planned_stop",
    "visit_proof",
]
