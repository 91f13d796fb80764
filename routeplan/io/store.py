"""History store: every plan made and every visit outcome recorded, in SQLite.

One embedded database file (default ``routeplan.db``) holds

- ``plans``: plan id, plan date, the configuration and the summary (JSON);
- ``plan_events``: every row of the plan's itineraries (start, visits, breaks,
  end) with the agent, times and the leg's km;
- ``decisions``: every eligibility decision of the plan: one row per exclusion
  reason, one ``planned`` row per planned visit (with why it was chosen), one
  ``dropped`` row per eligible account left unplanned, one ``eligible`` row for
  a scored account that is neither;
- ``scores``: each eligible account's priority, probability, expected recovery
  and points (the ``pts_*`` columns as JSON);
- ``plan_agents``: the agents of each plan (the roster ``record`` checks against);
- ``outcomes``: one row per visit, unique on ``(account_id, agent_id,
  visit_date)``, with the plan it belongs to (or a flag when the stop was not
  planned); ``outcome_revisions`` keeps every version a correction replaced;
- ``record_runs``: one row per ``routeplan record`` call (file, digest, counts).

All SQL of routeplan lives in this module.

Safety
------
The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` is an
ordered list applied on open, each in its own transaction, so an old file is
brought up to date and a newer one is refused. The database runs in WAL mode
with a busy timeout: when two commands write at once the second waits for the
first instead of failing. Every write is one ``BEGIN IMMEDIATE`` transaction, so
a process killed in the middle of ``record`` leaves nothing of that file behind.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from routeplan import schema as S
from routeplan.errors import RouteplanError, RowProblem

if TYPE_CHECKING:
    from routeplan.plan import Plan

DEFAULT_DB = "routeplan.db"
#: seconds a command waits for another one holding the write lock
DEFAULT_BUSY_TIMEOUT_S = 60.0

#: outcome fields compared to decide whether a re-recorded visit changed
_OUTCOME_VALUE_FIELDS = (S.OUTCOME, S.AMOUNT_PAID, S.PTP_DATE, S.PTP_AMOUNT, S.NOTES)


class StoreError(RouteplanError):
    """The history database cannot be opened or used."""


# --- schema -------------------------------------------------------------------------

_V1 = """
CREATE TABLE plans (
    plan_id      INTEGER PRIMARY KEY,
    plan_date    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    config_json  TEXT NOT NULL,
    summary_json TEXT NOT NULL
);
CREATE INDEX plans_by_date ON plans (plan_date, plan_id);

CREATE TABLE plan_events (
    plan_id           INTEGER NOT NULL REFERENCES plans (plan_id),
    agent_id          TEXT NOT NULL,
    stop_no           INTEGER NOT NULL,
    kind              TEXT NOT NULL,
    account_id        TEXT NOT NULL DEFAULT '',
    address           TEXT NOT NULL DEFAULT '',
    arrival           TEXT NOT NULL DEFAULT '',
    service_start     TEXT NOT NULL DEFAULT '',
    service_end       TEXT NOT NULL DEFAULT '',
    service_start_min INTEGER,
    travel_km         REAL,
    travel_min        REAL,
    priority          REAL,
    balance           REAL,
    expected_recovery REAL,
    visit_window      TEXT NOT NULL DEFAULT '',
    chosen_because    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (plan_id, agent_id, stop_no)
);
CREATE INDEX plan_events_by_account ON plan_events (account_id, plan_id);

CREATE TABLE decisions (
    plan_id    INTEGER NOT NULL REFERENCES plans (plan_id),
    account_id TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('excluded', 'planned', 'dropped', 'eligible')),
    reason     TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX decisions_by_account ON decisions (account_id, plan_id);

CREATE TABLE scores (
    plan_id           INTEGER NOT NULL REFERENCES plans (plan_id),
    account_id        TEXT NOT NULL,
    priority          REAL,
    probability       REAL,
    expected_recovery REAL,
    points_total      REAL,
    points_json       TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (plan_id, account_id)
);

CREATE TABLE plan_agents (
    plan_id  INTEGER NOT NULL REFERENCES plans (plan_id),
    agent_id TEXT NOT NULL,
    name     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (plan_id, agent_id)
);

CREATE TABLE outcomes (
    account_id  TEXT NOT NULL,
    agent_id    TEXT NOT NULL,
    visit_date  TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    amount_paid REAL,
    ptp_date    TEXT,
    ptp_amount  REAL,
    notes       TEXT NOT NULL DEFAULT '',
    plan_id     INTEGER REFERENCES plans (plan_id),
    flag        TEXT NOT NULL DEFAULT '',
    source      TEXT NOT NULL DEFAULT '',
    source_row  INTEGER,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (account_id, agent_id, visit_date)
);
CREATE INDEX outcomes_by_date ON outcomes (visit_date);
"""

_V2 = """
CREATE TABLE record_runs (
    run_id      INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    inserted    INTEGER NOT NULL,
    unchanged   INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    flagged     INTEGER NOT NULL
);

CREATE TABLE outcome_revisions (
    account_id  TEXT NOT NULL,
    agent_id    TEXT NOT NULL,
    visit_date  TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    amount_paid REAL,
    ptp_date    TEXT,
    ptp_amount  REAL,
    notes       TEXT NOT NULL,
    source      TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    replaced_at TEXT NOT NULL,
    replaced_by_run INTEGER REFERENCES record_runs (run_id)
);
ALTER TABLE outcomes ADD COLUMN run_id INTEGER REFERENCES record_runs (run_id);
"""

#: ordered schema migrations; index i brings ``user_version`` from i to i + 1
MIGRATIONS: tuple[str, ...] = (_V1, _V2)
SCHEMA_VERSION = len(MIGRATIONS)


# --- results ------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordReport:
    """What ``record_outcomes`` did with one outcomes file.

    ``flagged`` lists ``(row, account_id, agent_id, problem)`` for visits that
    were stored although no plan had that stop; ``rejected`` holds the rows the
    validation refused (passed in by the caller, counted here).
    """

    source: str
    inserted: int
    unchanged: int
    updated: int
    rejected: tuple[RowProblem, ...] = ()
    flagged: tuple[tuple[int, str, str, str], ...] = ()
    run_id: int | None = None

    @property
    def stored(self) -> int:
        """Rows now in the store from this file (new, unchanged or corrected)."""
        return self.inserted + self.unchanged + self.updated


@dataclass
class _Counts:
    inserted: int = 0
    unchanged: int = 0
    updated: int = 0
    flagged: list[tuple[int, str, str, str]] = field(default_factory=list)


# --- the store ----------------------------------------------------------------------


class Store:
    """An open history database (a context manager; ``close()`` when done).

    Parameters
    ----------
    path
        The SQLite file; created (with its schema) when missing. Its directory
        must exist.
    busy_timeout_s
        Seconds to wait for another process holding the write lock.
    clock
        Returns the current UTC time for audit columns (``created_at``,
        ``recorded_at``); tests pass a fixed one.
    """

    def __init__(
        self,
        path: str | Path = DEFAULT_DB,
        *,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.path = Path(path)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        if self.path.is_dir():
            raise StoreError(f"{self.path}: is a directory, not a database file")
        if not self.path.parent.exists():
            raise StoreError(f"{self.path}: directory {self.path.parent} does not exist")
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves
            self._conn = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open database ({exc})") from exc
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.OperationalError as exc:
            self._conn.close()
            raise StoreError(f"{self.path}: cannot use the database ({exc})") from exc
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(f"{self.path}: not a routeplan history database ({exc})") from exc
        except StoreError:
            self._conn.close()
            raise

    # -- lifecycle

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite)."""
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The ``user_version`` of the open file."""
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """Run a block in one write transaction (waits for other writers).

        SQLite's operational failures (still locked after the busy timeout,
        disk full, read-only file) become a ``StoreError`` after the rollback.
        """
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            hint = (
                "; another routeplan command kept it busy, try again"
                if "locked" in str(exc) or "busy" in str(exc)
                else ""
            )
            raise StoreError(f"{self.path}: cannot write ({exc}){hint}") from exc

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this routeplan "
                f"understands ({SCHEMA_VERSION}); upgrade routeplan"
            )
        if version == 0:
            tables = [
                r[0]
                for r in self._conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
                )
            ]
            if tables:
                raise StoreError(
                    f"{self.path}: an SQLite database of something else (tables "
                    f"{', '.join(tables[:5])}), not a routeplan history database"
                )
        while version < SCHEMA_VERSION:
            with self._write() as conn:
                # re-read inside the lock: another process may have migrated meanwhile
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                if version >= SCHEMA_VERSION:
                    break
                for statement in _statements(MIGRATIONS[version]):
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")
            version += 1

    def _now(self) -> str:
        return self._clock().astimezone(dt.UTC).isoformat(timespec="seconds")

    # -- plans

    def save(self, plan: Plan) -> int:
        """Store a :class:`~routeplan.plan.Plan` (see :meth:`save_plan`); return its id."""
        return self.save_plan(
            plan.date,
            plan.config.to_dict(),
            plan.itineraries,
            plan.excluded,
            plan.dropped,
            plan.scores,
            plan.summary,
            agents=plan.agents,
        )

    def save_plan(
        self,
        plan_date: dt.date,
        config: Mapping[str, Any],
        itineraries: pd.DataFrame,
        excluded: pd.DataFrame,
        dropped: pd.DataFrame,
        scores: pd.DataFrame,
        summary: Mapping[str, Any],
        *,
        agents: pd.DataFrame | None = None,
    ) -> int:
        """Store one plan with its stops, decisions and scores; return its plan id.

        Parameters
        ----------
        plan_date
            The day planned.
        config
            The configuration used (``Config.to_dict()``), kept as JSON.
        itineraries, excluded, dropped, scores
            The plan outputs (contract columns; extra columns are ignored).
        summary
            ``summary.json`` content, kept as JSON.
        agents
            Optional roster (``agent_id``, ``name``): agents that got no visit
            are then known to ``record`` too.
        """
        now = self._now()
        events = _event_rows(itineraries)
        decisions = _decision_rows(itineraries, excluded, dropped, scores)
        score_rows = _score_rows(scores)
        roster: dict[str, str] = {}
        for agent_id, name in events.agents:
            roster.setdefault(agent_id, name)
        if agents is not None and len(agents):
            names = agents[S.AGENT_NAME] if S.AGENT_NAME in agents else pd.Series("", agents.index)
            for agent_id, name in zip(agents[S.AGENT_ID], names, strict=True):
                roster.setdefault(str(agent_id), _text(name))
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO plans (plan_date, created_at, config_json, summary_json) "
                "VALUES (?, ?, ?, ?)",
                (plan_date.isoformat(), now, _json(config), _json(summary)),
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
        return plan_id

    def plans(self) -> pd.DataFrame:
        """Return every stored plan: ``plan_id, plan_date, created_at`` (oldest first)."""
        return self._frame("SELECT plan_id, plan_date, created_at FROM plans ORDER BY plan_id", ())

    def plan_config(self, plan_id: int) -> dict[str, Any]:
        """Return the configuration a plan was made with."""
        row = self._conn.execute(
            "SELECT config_json FROM plans WHERE plan_id = ?", (plan_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"{self.path}: no plan {plan_id}")
        return dict(json.loads(row[0]))

    def known_accounts(self) -> frozenset[str]:
        """Return every account any stored plan has seen (planned, dropped or excluded)."""
        rows = self._conn.execute(
            "SELECT account_id FROM decisions UNION SELECT account_id FROM scores"
        ).fetchall()
        return frozenset(r[0] for r in rows)

    def known_agents(self) -> frozenset[str]:
        """Return every agent of any stored plan."""
        rows = self._conn.execute("SELECT DISTINCT agent_id FROM plan_agents").fetchall()
        return frozenset(r[0] for r in rows)

    def planned_stops(
        self, date_from: dt.date | None = None, date_to: dt.date | None = None
    ) -> pd.DataFrame:
        """Return the visits of the latest plan of each day in ``[date_from, date_to]``.

        A day planned twice counts once: the last plan saved for it is the one
        dispatched (per region, when the day was planned region by region).
        Columns: ``plan_id, plan_date, agent_id, agent_name, stop_no,
        account_id, address, service_start, service_start_min, travel_km,
        priority, balance, expected_recovery, chosen_because``.
        """
        lo, hi = _bounds(date_from, date_to)
        return self._frame(
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
        self, date_from: dt.date | None = None, date_to: dt.date | None = None
    ) -> pd.DataFrame:
        """Return km of each agent's planned route per day (latest plan of each day and region).

        Columns ``plan_date, agent_id, agent_name, visits, km``; only agents with
        at least one visit (an idle agent does not drive).
        """
        lo, hi = _bounds(date_from, date_to)
        return self._frame(
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

    def agent_names(self) -> dict[str, str]:
        """Return the latest known display name of every agent."""
        rows = self._conn.execute(
            "SELECT agent_id, name FROM plan_agents ORDER BY plan_id"
        ).fetchall()
        return {a: n for a, n in rows}

    # -- outcomes

    def record_outcomes(
        self,
        rows: pd.DataFrame,
        source: str,
        *,
        rejected: Sequence[RowProblem] = (),
    ) -> RecordReport:
        """Store validated outcome rows in one transaction; idempotent per visit.

        A visit is identified by ``(account_id, agent_id, visit_date)``. A row
        equal to the stored one changes nothing (``unchanged``); a row with other
        values replaces it (``updated``; the old version goes to
        ``outcome_revisions``). A visit that no plan of its day has for that
        agent is stored with a flag saying so and listed in the report's
        ``flagged`` when this call stores it (not when it is unchanged).

        Parameters
        ----------
        rows
            Validated rows (see :func:`routeplan.outcomes.validate_outcomes`):
            ``account_id, agent_id, visit_date, outcome, amount_paid, ptp_date,
            ptp_amount, notes`` and optionally ``_row`` (the file's row number).
        source
            The file the rows came from (kept with each row).
        rejected
            The rows validation refused, counted in the run's audit row.
        """
        now = self._now()
        counts = _Counts()
        records = list(_outcome_records(rows))
        with self._write() as conn:
            run_id = int(
                conn.execute(
                    "INSERT INTO record_runs (source, recorded_at, inserted, unchanged, "
                    "updated, rejected, flagged) VALUES (?, ?, 0, 0, 0, ?, 0)",
                    (source, now, len(rejected)),
                ).lastrowid
                or 0
            )
            for rec in records:
                self._record_one(conn, rec, source, now, run_id, counts)
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
        self,
        conn: sqlite3.Connection,
        rec: dict[str, Any],
        source: str,
        now: str,
        run_id: int,
        counts: _Counts,
    ) -> None:
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
        plan_id, flag = self._match_plan(conn, *key)
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

    @staticmethod
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

    def outcomes(
        self,
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
        plan had it), ordered by visit date. This is the ``outcomes`` input of
        :func:`routeplan.history.apply_history`.
        """
        lo, hi = _bounds(since, until)
        frame = self._frame(
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

    def record_runs(self) -> pd.DataFrame:
        """Return the audit rows of every ``record`` call, oldest first."""
        return self._frame("SELECT * FROM record_runs ORDER BY run_id", ())

    def outcome_revisions(self) -> pd.DataFrame:
        """Return every outcome version a later correction replaced."""
        return self._frame("SELECT * FROM outcome_revisions ORDER BY replaced_at", ())

    # -- looking back

    def account_trail(self, account_id: str) -> dict[str, pd.DataFrame]:
        """Return everything stored about one account.

        Keys: ``decisions`` (``plan_id, plan_date, status, reason, detail``),
        ``stops`` (``plan_id, plan_date, agent_id, agent_name, stop_no,
        service_start, priority, balance, expected_recovery, chosen_because``),
        ``scores`` (``plan_id, plan_date, priority, probability,
        expected_recovery, points_total``) and ``outcomes`` (as
        :meth:`outcomes`, plus ``agent_name``), each oldest first.
        """
        decisions = self._frame(
            "SELECT d.plan_id, p.plan_date, d.status, d.reason, d.detail FROM decisions d "
            "JOIN plans p ON p.plan_id = d.plan_id WHERE d.account_id = ? "
            "ORDER BY d.plan_id, d.rowid",
            (account_id,),
        )
        stops = self._frame(
            "SELECT e.plan_id, p.plan_date, e.agent_id, COALESCE(a.name, '') AS agent_name, "
            "e.stop_no, e.service_start, e.priority, e.balance, e.expected_recovery, "
            "e.chosen_because FROM plan_events e JOIN plans p ON p.plan_id = e.plan_id "
            "LEFT JOIN plan_agents a ON a.plan_id = e.plan_id AND a.agent_id = e.agent_id "
            "WHERE e.account_id = ? AND e.kind = 'visit' ORDER BY e.plan_id",
            (account_id,),
        )
        scores = self._frame(
            "SELECT s.plan_id, p.plan_date, s.priority, s.probability, s.expected_recovery, "
            "s.points_total FROM scores s JOIN plans p ON p.plan_id = s.plan_id "
            "WHERE s.account_id = ? ORDER BY s.plan_id",
            (account_id,),
        )
        outcomes = self.outcomes(account_id=account_id)
        names = self.agent_names()
        outcomes["agent_name"] = [names.get(a, "") for a in outcomes[S.AGENT_ID]]
        return {"decisions": decisions, "stops": stops, "scores": scores, "outcomes": outcomes}

    # -- helpers

    def _frame(self, sql: str, params: Sequence[Any]) -> pd.DataFrame:
        cur = self._conn.execute(sql, tuple(params))
        columns = [d[0] for d in cur.description]
        return pd.DataFrame.from_records(cur.fetchall(), columns=columns)


# --- plain-data helpers (no SQL below needs a connection) ---------------------------


#: the plan id of the last plan of ``p``'s day and region (its summary's ``region``, if any)
_LATEST_OF_DAY_AND_REGION = (
    "(SELECT MAX(plan_id) FROM plans q WHERE q.plan_date = p.plan_date "
    "AND COALESCE(json_extract(q.summary_json, '$.region'), '') "
    "= COALESCE(json_extract(p.summary_json, '$.region'), ''))"
)


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into statements (executescript would COMMIT)."""
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                yield buf.strip()
            buf = ""
    if buf.strip():
        yield buf.strip()


def _bounds(lo: dt.date | None, hi: dt.date | None) -> tuple[str, str]:
    return (
        lo.isoformat() if lo is not None else "0000-01-01",
        hi.isoformat() if hi is not None else "9999-12-31",
    )


def _json(obj: Any) -> str:
    return json.dumps(obj, default=_json_default, ensure_ascii=False, sort_keys=True)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (dt.date, dt.datetime, pd.Timestamp)):
        return obj.isoformat()
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, (set, frozenset, tuple)):
        return list(obj)
    if hasattr(obj, "item"):  # numpy scalars
        return obj.item()
    return str(obj)


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if value is pd.NaT:
        return ""
    return str(value)


def _num(value: Any) -> float | None:
    if value is None or value is pd.NA or value == "":
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _clock_min(value: Any) -> int | None:
    text = _text(value).strip()
    if ":" not in text:
        return None
    hh, _, mm = text.partition(":")
    try:
        return int(hh) * 60 + int(mm[:2])
    except ValueError:
        return None


def _date_text(value: Any) -> str | None:
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text[:10] if text else None


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


@dataclass(frozen=True)
class _Events:
    rows: list[tuple[Any, ...]]
    agents: list[tuple[str, str]]


def _event_rows(itineraries: pd.DataFrame) -> _Events:
    rows: list[tuple[Any, ...]] = []
    agents: list[tuple[str, str]] = []
    seen: set[str] = set()
    it = itineraries.reset_index(drop=True)
    cols = {
        name: _col(it, name).tolist()
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
        agent_id = _text(cols[S.AGENT_ID][i])
        if agent_id not in seen:
            seen.add(agent_id)
            agents.append((agent_id, _text(cols["agent_name"][i])))
        stop_no = _num(cols["stop_no"][i])
        rows.append(
            (
                agent_id,
                int(stop_no) if stop_no is not None else i,
                _text(cols["kind"][i]),
                _text(cols[S.ACCOUNT_ID][i]),
                _text(cols[S.ADDRESS][i]),
                _text(cols["arrival"][i]),
                _text(cols["service_start"][i]),
                _text(cols["service_end"][i]),
                _clock_min(cols["service_start"][i]),
                _num(cols["travel_km"][i]),
                _num(cols["travel_min"][i]),
                _num(cols["priority"][i]),
                _num(cols[S.BALANCE][i]),
                _num(cols["expected_recovery"][i]),
                _text(cols["visit_window"][i]),
                _text(cols["chosen_because"][i]),
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
        _col(excluded, S.ACCOUNT_ID),
        _col(excluded, "reason"),
        _col(excluded, "detail"),
        strict=True,
    ):
        rows.append((_text(acc), "excluded", _text(reason), _text(detail)))
    # scores may cover every account; "eligible" is only for the unexcluded rest
    decided: set[str] = {_text(a) for a in _col(excluded, S.ACCOUNT_ID)}
    visits = itineraries[_col(itineraries, "kind").astype(str) == S.KIND_VISIT]
    for acc, agent, because in zip(
        _col(visits, S.ACCOUNT_ID),
        _col(visits, S.AGENT_ID),
        _col(visits, "chosen_because"),
        strict=True,
    ):
        rows.append((_text(acc), "planned", f"agent {_text(agent)}", _text(because)))
        decided.add(_text(acc))
    for acc, reason, detail in zip(
        _col(dropped, S.ACCOUNT_ID),
        _col(dropped, "reason"),
        _col(dropped, "detail"),
        strict=True,
    ):
        rows.append((_text(acc), "dropped", _text(reason), _text(detail)))
        decided.add(_text(acc))
    for acc in _col(scores, S.ACCOUNT_ID):
        if _text(acc) not in decided:
            rows.append((_text(acc), "eligible", "", ""))
            decided.add(_text(acc))
    return rows


def _score_rows(scores: pd.DataFrame) -> list[tuple[Any, ...]]:
    pts_cols = [c for c in scores.columns if str(c).startswith("pts_")]
    rows: list[tuple[Any, ...]] = []
    for rec in scores.to_dict("records"):
        points = {c: _num(rec.get(c)) for c in pts_cols}
        rows.append(
            (
                _text(rec.get(S.ACCOUNT_ID)),
                _num(rec.get("priority")),
                _num(rec.get("probability")),
                _num(rec.get("expected_recovery")),
                _num(rec.get("points_total")),
                _json(points),
            )
        )
    return rows


def _outcome_records(rows: pd.DataFrame) -> Iterable[dict[str, Any]]:
    for i, rec in enumerate(rows.to_dict("records")):
        row = _num(rec.get("_row"))
        yield {
            S.ACCOUNT_ID: _text(rec.get(S.ACCOUNT_ID)),
            S.AGENT_ID: _text(rec.get(S.AGENT_ID)),
            S.VISIT_DATE: _date_text(rec.get(S.VISIT_DATE)),
            S.OUTCOME: _text(rec.get(S.OUTCOME)),
            S.AMOUNT_PAID: _num(rec.get(S.AMOUNT_PAID)),
            S.PTP_DATE: _date_text(rec.get(S.PTP_DATE)),
            S.PTP_AMOUNT: _num(rec.get(S.PTP_AMOUNT)),
            S.NOTES: _text(rec.get(S.NOTES)),
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
