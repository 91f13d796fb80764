"""Recording visit outcomes: idempotent per visit, corrections kept as revisions.

One ``record`` call is one ``BEGIN IMMEDIATE`` transaction: a process killed
half-way, or any error raised while the rows are written, leaves nothing of
that file in the database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from routeplan import schema as S
from routeplan.errors import RowProblem
from routeplan.io.store.db import Database
from routeplan.io.store.values import date_text, number, text

#: outcome fields compared to decide whether a re-recorded visit changed
_OUTCOME_VALUE_FIELDS = (S.OUTCOME, S.AMOUNT_PAID, S.PTP_DATE, S.PTP_AMOUNT, S.NOTES)

#: called after each row is written, inside the transaction: (rows done, rows in all)
RowHook = Callable[[int, int], None]


@dataclass(frozen=True)
class RecordReport:
    """What recording one outcomes file did.

    ``flagged`` lists ``(row, account_id, agent_id, problem)`` for visits that
    were stored although no plan had that stop; ``rejected`` holds the rows the
    validation refused (passed in by the caller, counted here). ``skipped``
    lists the rows of an outcomes template left blank, and ``rejected_file``
    the rejection report written (both set by :func:`routeplan.record_outcomes`,
    which reads the file; empty when the rows came from elsewhere).
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
    flagged: list[tuple[int, str, str, str]] = field(default_factory=list)


def record_outcomes(
    db: Database,
    rows: pd.DataFrame,
    source: str,
    *,
    rejected: Sequence[RowProblem] = (),
    on_row: RowHook | None = None,
) -> RecordReport:
    """Store validated outcome rows in one transaction (see ``Store.record_outcomes``)."""
    now = db.now()
    counts = _Counts()
    records = list(_outcome_records(rows))
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
        conn.execute(
            "UPDATE record_runs SET inserted = ?, unchanged = ?, updated = ?, flagged = ? "
            "WHERE run_id = ?",
            (counts.inserted, counts.unchanged, counts.updated, len(counts.flagged), run_id),
        )
    return RecordReport(
        source=source,
        inserted=counts.inserted,
        unchanged=counts.unchanged,
        updated=counts.updated,
        rejected=tuple(rejected),
        flagged=tuple(counts.flagged),
        run_id=run_id,
    )


def _record_one(
    conn: sqlite3.Connection,
    rec: dict[str, Any],
    run: tuple[str, str, int],
    counts: _Counts,
) -> None:
    """Insert, keep or correct one visit; ``run`` is (source, recorded_at, run_id)."""
    source, now, run_id = run
    key = (rec[S.ACCOUNT_ID], rec[S.AGENT_ID], rec[S.VISIT_DATE])
    old = conn.execute(
        "SELECT outcome, amount_paid, ptp_date, ptp_amount, notes, source, recorded_at "
        "FROM outcomes WHERE account_id = ? AND agent_id = ? AND visit_date = ?",
        key,
    ).fetchone()
    values = tuple(rec[f] for f in _OUTCOME_VALUE_FIELDS)
    if old is not None and _same(tuple(old[:5]), values):
        counts.unchanged += 1
        return
    # only rows this run stores are flagged: a file recorded again reports nothing new
    plan_id, flag = _match_plan(conn, *key)
    if flag:
        counts.flagged.append((rec["_row"], key[0], key[1], flag))
    if old is None:
        conn.execute(
            "INSERT INTO outcomes (account_id, agent_id, visit_date, outcome, amount_paid, "
            "ptp_date, ptp_amount, notes, plan_id, flag, source, source_row, recorded_at, "
            "run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*key, *values, plan_id, flag, source, rec["_row"], now, run_id),
        )
        counts.inserted += 1
    else:
        conn.execute(
            "INSERT INTO outcome_revisions (account_id, agent_id, visit_date, outcome, "
            "amount_paid, ptp_date, ptp_amount, notes, source, recorded_at, replaced_at, "
            "replaced_by_run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*key, *old, now, run_id),
        )
        conn.execute(
            "UPDATE outcomes SET outcome = ?, amount_paid = ?, ptp_date = ?, ptp_amount = ?, "
            "notes = ?, plan_id = ?, flag = ?, source = ?, source_row = ?, recorded_at = ?, "
            "run_id = ? WHERE account_id = ? AND agent_id = ? AND visit_date = ?",
            (*values, plan_id, flag, source, rec["_row"], now, run_id, *key),
        )
        counts.updated += 1


def _match_plan(
    conn: sqlite3.Connection, account_id: str, agent_id: str, visit_date: str
) -> tuple[int | None, str]:
    """Return the plan that had this stop, or None and why the visit is flagged."""
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
