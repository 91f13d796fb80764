"""Recording visit outcomes: idempotent per visit, corrections kept as revisions.

One ``record`` call is one ``BEGIN IMMEDIATE`` transaction: a process killed
half-way, or any error raised while the rows are written, leaves nothing of
that file in the database. Inside it, once the rows are written, the proof
of every visit this call stored (and of the visits it is compared with) is
checked and its findings stored (:mod:`routeplan.io.store.checks`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from routeplan import schema as S
from routeplan.errors import RowProblem
from routeplan.io.store import checks as _checks
from routeplan.io.store.checks import Key, VisitFindings
from routeplan.io.store.db import Database
from routeplan.io.store.values import date_text, number, text
from routeplan.outcomes import PROOF_COLUMNS_PRESENT
from routeplan.proof import ProofRules

#: the visit's proof as stored, ``proof_columns`` naming the columns its file had
_PROOF_FIELDS = (*S.PROOF_COLUMNS, "proof_columns")
#: outcome fields compared to decide whether a re-recorded visit changed
_OUTCOME_VALUE_FIELDS = (
    S.OUTCOME,
    S.AMOUNT_PAID,
    S.PTP_DATE,
    S.PTP_AMOUNT,
    S.NOTES,
    *_PROOF_FIELDS,
)
_N = len(_OUTCOME_VALUE_FIELDS)

#: called after each row is written, inside the transaction: (rows done, rows in all)
RowHook = Callable[[int, int], None]


@dataclass(frozen=True)
class RecordReport:
    """What recording one outcomes file did.

    ``findings`` holds what the checks found on each visit this call stored
    (new or corrected; :class:`~routeplan.io.store.checks.VisitFindings`, with
    its file row), and ``rechecked`` the visits recorded earlier whose
    findings changed because of this call (another visit of the agent that
    day, a receipt number now given twice). ``flagged`` lists ``(row,
    account_id, agent_id, problem)`` for each stored visit with a flag (the
    problem is every flag as ``flag: detail``, joined by ``; ``).
    ``rejected`` holds the rows the validation refused (passed in by the
    caller, counted here). ``skipped`` lists the rows of an outcomes template
    left blank, and ``rejected_file`` the rejection report written (both set
    by :func:`routeplan.record_outcomes`, which reads the file; empty when
    the rows came from elsewhere).
    """

    source: str
    inserted: int
    unchanged: int
    updated: int
    rejected: tuple[RowProblem, ...] = ()
    flagged: tuple[tuple[int, str, str, str], ...] = ()
    run_id: int | None = None
    skipped: tuple[int, ...] = ()
    rejected_file: Path | None = None
    findings: tuple[VisitFindings, ...] = ()
    rechecked: tuple[VisitFindings, ...] = ()
    #: the proof columns of :data:`routeplan.schema.PROOF_COLUMNS` the rows had
    proof_columns: tuple[str, ...] = ()

    @property
    def not_fully_verified(self) -> int:
        """Visits stored by this call without a flag but with a check that could not be made."""
        return sum(1 for f in self.findings if not f.flags and f.unverified)

    @property
    def stored(self) -> int:
        """Rows now in the store from this file (new, unchanged or corrected)."""
        return self.inserted + self.unchanged + self.updated

    @property
    def filled(self) -> int:
        """Rows of the file that held an outcome (every row but the blank ones)."""
        return self.stored + len({p.row for p in self.rejected})


@dataclass
class _Counts:
    inserted: int = 0
    unchanged: int = 0
    updated: int = 0
    #: visits this call stored, with their file row
    written: dict[Key, int] = field(default_factory=dict)
    #: receipt numbers a correction took away (their other holders are checked again)
    old_receipts: set[str] = field(default_factory=set)


def record_outcomes(
    db: Database,
    rows: pd.DataFrame,
    source: str,
    *,
    rejected: Sequence[RowProblem] = (),
    on_row: RowHook | None = None,
    rules: ProofRules | None = None,
    places: Mapping[str, tuple[float, float]] | None = None,
) -> RecordReport:
    """Store validated outcome rows in one transaction (see ``Store.record_outcomes``)."""
    now = db.now()
    counts = _Counts()
    records = list(_outcome_records(rows))
    present = _present_columns(rows)
    with db.write() as conn:
        run_id = int(
            conn.execute(
                "INSERT INTO record_runs (source, recorded_at, inserted, unchanged, "
                "updated, rejected, flagged) VALUES (?, ?, 0, 0, 0, ?, 0)",
                (source, now, len(rejected)),
            ).lastrowid
            or 0
        )
        for done, rec in enumerate(records, start=1):
            _record_one(conn, rec, (source, now, run_id), counts)
            if on_row is not None:
                on_row(done, len(records))
        checked = _checks.check_visits(
            conn,
            counts.written,
            rules=rules or ProofRules(),
            places=places or {},
            old_receipts=counts.old_receipts,
        )
        flagged = [
            (
                f.row or 0,
                f.key[0],
                f.key[1],
                "; ".join(x.text() for x in f.flags),
            )
            for f in checked.written
            if f.flags
        ]
        conn.execute(
            "UPDATE record_runs SET inserted = ?, unchanged = ?, updated = ?, flagged = ? "
            "WHERE run_id = ?",
            (counts.inserted, counts.unchanged, counts.updated, len(flagged), run_id),
        )
    return RecordReport(
        source=source,
        inserted=counts.inserted,
        unchanged=counts.unchanged,
        updated=counts.updated,
        rejected=tuple(rejected),
        flagged=tuple(flagged),
        run_id=run_id,
        findings=checked.written,
        rechecked=checked.others,
        proof_columns=present,
    )


def _present_columns(rows: pd.DataFrame) -> tuple[str, ...]:
    """Return the proof columns the validated rows' file had (none for other frames)."""
    if PROOF_COLUMNS_PRESENT not in rows.columns or rows.empty:
        return ()
    named = {c for cell in rows[PROOF_COLUMNS_PRESENT] for c in text(cell).split(";") if c}
    return tuple(c for c in S.PROOF_COLUMNS if c in named)


def _record_one(
    conn: sqlite3.Connection,
    rec: dict[str, Any],
    run: tuple[str, str, int],
    counts: _Counts,
) -> None:
    """Insert, keep or correct one visit; ``run`` is (source, recorded_at, run_id)."""
    source, now, run_id = run
    key = (rec[S.ACCOUNT_ID], rec[S.AGENT_ID], rec[S.VISIT_DATE])
    fields = ", ".join(_OUTCOME_VALUE_FIELDS)
    found = conn.execute(
        f"SELECT {fields}, source, recorded_at, proof_checked FROM outcomes "
        "WHERE account_id = ? AND agent_id = ? AND visit_date = ?",
        key,
    ).fetchone()
    old = None if found is None else tuple(found[:-1])
    values = tuple(rec[f] for f in _OUTCOME_VALUE_FIELDS)
    if old is not None and _same(old[:_N], values):
        counts.unchanged += 1
        if not found[-1]:  # recorded before visits were checked: check it now, once
            counts.written[key] = int(rec["_row"])
        return
    # only rows this run stores are checked: a file recorded again reports nothing new
    counts.written[key] = int(rec["_row"])
    plan_id, flag = _match_plan(conn, *key)
    marks = ", ".join("?" * (_N + 10))
    if old is None:
        conn.execute(
            f"INSERT INTO outcomes (account_id, agent_id, visit_date, {fields}, plan_id, flag, "
            f"source, source_row, recorded_at, run_id, proof_checked) VALUES ({marks})",
            (*key, *values, plan_id, flag, source, rec["_row"], now, run_id, 0),
        )
        counts.inserted += 1
        return
    counts.old_receipts.add(text(old[_OUTCOME_VALUE_FIELDS.index(S.RECEIPT_NO)]))
    conn.execute(
        f"INSERT INTO outcome_revisions (account_id, agent_id, visit_date, {fields}, source, "
        "recorded_at, flags_json, replaced_at, replaced_by_run) "
        f"VALUES ({', '.join('?' * (_N + 8))})",
        (*key, *old, _checks.flags_json(conn, key), now, run_id),
    )
    assignments = ", ".join(f"{f} = ?" for f in _OUTCOME_VALUE_FIELDS)
    conn.execute(
        f"UPDATE outcomes SET {assignments}, plan_id = ?, flag = ?, source = ?, "
        "source_row = ?, recorded_at = ?, run_id = ?, proof_checked = 0 "
        "WHERE account_id = ? AND agent_id = ? AND visit_date = ?",
        (*values, plan_id, flag, source, rec["_row"], now, run_id, *key),
    )
    counts.updated += 1


def _match_plan(
    conn: sqlite3.Connection, account_id: str, agent_id: str, visit_date: str
) -> tuple[int | None, str]:
    """Return the plan that had this stop, or None and why the visit is flagged."""
    # the latest plan of that day that decided about the account: with regions a
    # day has one plan per region, each deciding about its own accounts only
    latest = conn.execute(
        "SELECT MAX(d.plan_id) FROM decisions d JOIN plans p ON p.plan_id = d.plan_id "
        "WHERE p.plan_date = ? AND d.account_id = ?",
        (visit_date, account_id),
    ).fetchone()[0]
    if latest is None:
        latest = conn.execute(
            "SELECT MAX(plan_id) FROM plans WHERE plan_date = ?", (visit_date,)
        ).fetchone()[0]
    if latest is None:
        return None, f"no plan stored for {visit_date}"
    agents = [
        r[0]
        for r in conn.execute(
            "SELECT agent_id FROM plan_events WHERE plan_id = ? AND kind = 'visit' "
            "AND account_id = ? ORDER BY agent_id",
            (latest, account_id),
        )
    ]
    if agent_id in agents:
        return int(latest), ""
    if agents:
        return None, f"planned for agent {', '.join(agents)} on {visit_date}, not {agent_id}"
    return None, f"not in the plan of {visit_date}"


def _outcome_records(rows: pd.DataFrame) -> Iterable[dict[str, Any]]:
    for i, rec in enumerate(rows.to_dict("records")):
        row = number(rec.get("_row"))
        yield {
            S.ACCOUNT_ID: text(rec.get(S.ACCOUNT_ID)),
            S.AGENT_ID: text(rec.get(S.AGENT_ID)),
            S.VISIT_DATE: date_text(rec.get(S.VISIT_DATE)),
            S.OUTCOME: text(rec.get(S.OUTCOME)),
            S.AMOUNT_PAID: number(rec.get(S.AMOUNT_PAID)),
            S.PTP_DATE: date_text(rec.get(S.PTP_DATE)),
            S.PTP_AMOUNT: number(rec.get(S.PTP_AMOUNT)),
            S.NOTES: text(rec.get(S.NOTES)),
            S.CHECKIN_TIME: _checks.moment_text(rec.get(S.CHECKIN_TIME)),
            S.CHECKOUT_TIME: _checks.moment_text(rec.get(S.CHECKOUT_TIME)),
            S.CHECKIN_LAT: number(rec.get(S.CHECKIN_LAT)),
            S.CHECKIN_LON: number(rec.get(S.CHECKIN_LON)),
            S.GPS_ACCURACY_M: number(rec.get(S.GPS_ACCURACY_M)),
            S.EVIDENCE: text(rec.get(S.EVIDENCE)),
            S.RECEIPT_NO: text(rec.get(S.RECEIPT_NO)).strip(),
            S.PHOTO_REF: text(rec.get(S.PHOTO_REF)),
            "proof_columns": text(rec.get(PROOF_COLUMNS_PRESENT)),
            "_row": int(row) if row is not None else i + 2,
        }


def _same(old: tuple[Any, ...], new: tuple[Any, ...]) -> bool:
    for a, b in zip(old, new, strict=True):
        if isinstance(a, float) or isinstance(b, float):
            if a is None or b is None:
                if a is not b:
                    return False
            elif abs(float(a) - float(b)) > 1e-9:
                return False
        elif (a or "") != (b or ""):
            return False
    return True
