"""The history schema, as an ordered list of versioned migrations.

The schema version is SQLite's ``PRAGMA user_version``: migration ``i`` of
:data:`MIGRATIONS` brings a file from version ``i`` to ``i + 1``. On open,
:func:`migrate` applies the missing ones, each in its own ``BEGIN IMMEDIATE``
transaction, so an old file is brought up to date, a file of a newer routeplan
is refused and another application's SQLite file is left alone. A schema
change is a new entry at the end; an entry once released never changes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING

from routeplan.io.store.db import StoreError

if TYPE_CHECKING:
    from routeplan.io.store.db import Database

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

#: proof of visit: where each account was (plan_places) and what each stop had to show
#: (plan_checklist) for every stored plan; the proof columns of a recorded visit and
#: of its replaced versions; the findings of the checks (visit_flags)
_V3 = """
CREATE TABLE plan_places (
    plan_id    INTEGER NOT NULL REFERENCES plans (plan_id),
    account_id TEXT NOT NULL,
    lat        REAL NOT NULL,
    lon        REAL NOT NULL,
    PRIMARY KEY (plan_id, account_id)
);
CREATE INDEX plan_places_by_account ON plan_places (account_id, plan_id);

CREATE TABLE plan_checklist (
    plan_id    INTEGER NOT NULL REFERENCES plans (plan_id),
    account_id TEXT NOT NULL,
    agent_id   TEXT NOT NULL DEFAULT '',
    code       TEXT NOT NULL DEFAULT '',
    item       TEXT NOT NULL DEFAULT '',
    category   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX plan_checklist_by_account ON plan_checklist (account_id, plan_id);

ALTER TABLE outcomes ADD COLUMN checkin_time TEXT;
ALTER TABLE outcomes ADD COLUMN checkout_time TEXT;
ALTER TABLE outcomes ADD COLUMN checkin_lat REAL;
ALTER TABLE outcomes ADD COLUMN checkin_lon REAL;
ALTER TABLE outcomes ADD COLUMN gps_accuracy_m REAL;
ALTER TABLE outcomes ADD COLUMN evidence TEXT NOT NULL DEFAULT '';
ALTER TABLE outcomes ADD COLUMN receipt_no TEXT NOT NULL DEFAULT '';
ALTER TABLE outcomes ADD COLUMN photo_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE outcomes ADD COLUMN proof_columns TEXT NOT NULL DEFAULT '';
ALTER TABLE outcomes ADD COLUMN proof_checked INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outcomes ADD COLUMN place_lat REAL;
ALTER TABLE outcomes ADD COLUMN place_lon REAL;
CREATE INDEX outcomes_by_agent_day ON outcomes (agent_id, visit_date);
CREATE INDEX outcomes_by_receipt ON outcomes (receipt_no COLLATE NOCASE) WHERE receipt_no <> '';

ALTER TABLE outcome_revisions ADD COLUMN checkin_time TEXT;
ALTER TABLE outcome_revisions ADD COLUMN checkout_time TEXT;
ALTER TABLE outcome_revisions ADD COLUMN checkin_lat REAL;
ALTER TABLE outcome_revisions ADD COLUMN checkin_lon REAL;
ALTER TABLE outcome_revisions ADD COLUMN gps_accuracy_m REAL;
ALTER TABLE outcome_revisions ADD COLUMN evidence TEXT NOT NULL DEFAULT '';
ALTER TABLE outcome_revisions ADD COLUMN receipt_no TEXT NOT NULL DEFAULT '';
ALTER TABLE outcome_revisions ADD COLUMN photo_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE outcome_revisions ADD COLUMN proof_columns TEXT NOT NULL DEFAULT '';
ALTER TABLE outcome_revisions ADD COLUMN flags_json TEXT NOT NULL DEFAULT '[]';

CREATE TABLE visit_flags (
    account_id TEXT NOT NULL,
    agent_id   TEXT NOT NULL,
    visit_date TEXT NOT NULL,
    flag       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('flagged', 'unverified')),
    detail     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (account_id, agent_id, visit_date, flag),
    FOREIGN KEY (account_id, agent_id, visit_date)
        REFERENCES outcomes (account_id, agent_id, visit_date)
);
CREATE INDEX visit_flags_by_date ON visit_flags (visit_date, agent_id);
"""

#: ordered schema migrations; index i brings ``user_version`` from i to i + 1
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: Database) -> None:
    """Bring the open file to :data:`SCHEMA_VERSION`, one transaction per migration.

    Raises
    ------
    StoreError
        The file is of a newer routeplan, or an SQLite database of something
        else (it is left untouched).
    """
    version = db.user_version
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{db.path}: schema version {version} is newer than this routeplan "
            f"understands ({SCHEMA_VERSION}); upgrade routeplan"
        )
    if version == 0:
        tables = db.column("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if tables:
            raise StoreError(
                f"{db.path}: an SQLite database of something else (tables "
                f"{', '.join(tables[:5])}), not a routeplan history database"
            )
    while version < SCHEMA_VERSION:
        with db.write() as conn:
            # re-read inside the lock: another process may have migrated meanwhile
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version >= SCHEMA_VERSION:
                break
            for statement in _statements(MIGRATIONS[version]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
        version += 1


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
