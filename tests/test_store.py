"""Tests for routeplan.io.store: the SQLite history of plans and outcomes."""

from __future__ import annotations

import datetime as dt
import math
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from routeplan.errors import RowProblem
from routeplan.io import store as st
from routeplan.io.store import SCHEMA_VERSION, Store, StoreError
from tests.helpers import D1, make_plan, old_database, outcome_rows


def test_new_file_gets_current_schema_and_wal(tmp_path: Path) -> None:
    """Opening a new file creates the schema at the current version in WAL mode."""
    with Store(tmp_path / "n.db") as s:
        assert s.schema_version == SCHEMA_VERSION == len(st.MIGRATIONS)
    conn = sqlite3.connect(tmp_path / "n.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_save_plan_round_trip(db: Path) -> None:
    """A saved plan's stops, roster, known accounts, km and config come back."""
    with Store(db) as s:
        plans = s.plans()
        assert list(plans["plan_date"]) == ["2026-12-01"]
        pid = int(plans["plan_id"].iloc[0])
        assert s.plan_config(pid)["jurisdiction"] == "CN"
        stops = s.planned_stops(D1, D1)
        assert list(stops["account_id"]) == ["A1", "A2", "A3"]
        assert list(stops["service_start_min"]) == [570, 630, 840]
        assert list(stops["agent_name"]) == ["Name AG1", "Name AG1", "Name AG2"]
        assert s.known_agents() == {"AG1", "AG2"}
        assert s.known_accounts() == {"A1", "A2", "A3", "X1", "D1", "E1"}
        km = s.route_km(D1, D1).set_index("agent_id")
        assert km.loc["AG1", "km"] == pytest.approx(6.5)
        assert km.loc["AG2", "km"] == pytest.approx(6.0)
        assert km.loc["AG1", "visits"] == 2


def test_decisions_cover_every_account(db: Path) -> None:
    """Each account has its decision: excluded per reason, planned, dropped or eligible."""
    with Store(db) as s:
        x1 = s.account_trail("X1")["decisions"]
        assert list(x1["reason"]) == ["disputed", "do_not_visit"]
        assert set(x1["status"]) == {"excluded"}
        a1 = s.account_trail("A1")["decisions"]
        assert list(a1["status"]) == ["planned"]
        assert a1["detail"].iloc[0] == "high balance A1"
        assert list(s.account_trail("D1")["decisions"]["status"]) == ["dropped"]
        assert list(s.account_trail("E1")["decisions"]["status"]) == ["eligible"]
        scores = s.account_trail("A1")["scores"]
        assert scores["points_total"].iloc[0] == 20.0


def test_roster_includes_agents_without_visits(tmp_path: Path) -> None:
    """Agents passed as the roster are known even when they got no visit."""
    with Store(tmp_path / "r.db") as s:
        roster = pd.DataFrame({"agent_id": ["AG1", "AG9"], "name": ["One", "Nine"]})
        s.save_plan(**make_plan(), agents=roster)  # type: ignore[arg-type]
        assert s.known_agents() == {"AG1", "AG2", "AG9"}


def test_latest_plan_of_a_day_wins(db: Path) -> None:
    """A day planned twice counts once, with its last plan."""
    with Store(db) as s:
        s.save_plan(**make_plan(visits=[("AG2", "A1", "16:00", "1 Main St", 9.0)]))  # type: ignore[arg-type]
        stops = s.planned_stops(D1, D1)
        assert list(stops["account_id"]) == ["A1"]
        assert list(stops["agent_id"]) == ["AG2"]
        assert len(s.route_km(D1, D1)) == 1


def test_record_is_idempotent(db: Path) -> None:
    """Recording the same rows twice inserts once, then reports them unchanged."""
    rows = outcome_rows(
        ("A1", "AG1", "2026-12-01", "not_home"), ("A3", "AG2", "2026-12-01", "refused")
    )
    with Store(db) as s:
        first = s.record_outcomes(rows, "out.csv")
        assert (first.inserted, first.unchanged, first.updated) == (2, 0, 0)
        before = s.outcomes()
        again = s.record_outcomes(rows, "out.csv")
        assert (again.inserted, again.unchanged, again.updated) == (0, 2, 0)
        after = s.outcomes()
    pd.testing.assert_frame_equal(before, after)


def test_changed_row_is_a_correction_with_revision(db: Path) -> None:
    """A row with new values for a stored visit replaces it and keeps the old version."""
    with Store(db) as s:
        s.record_outcomes(outcome_rows(("A1", "AG1", "2026-12-01", "not_home")), "a.csv")
        fix = s.record_outcomes(
            outcome_rows(("A1", "AG1", "2026-12-01", "partial_payment"), amount_paid=50.0), "b.csv"
        )
        assert (fix.inserted, fix.unchanged, fix.updated) == (0, 0, 1)
        got = s.outcomes()
        assert list(got["outcome"]) == ["partial_payment"]
        assert got["amount_paid"].iloc[0] == 50.0
        rev = s.outcome_revisions()
        assert list(rev["outcome"]) == ["not_home"]
        assert list(rev["source"]) == ["a.csv"]


def test_unplanned_visits_are_flagged(db: Path) -> None:
    """Visits no plan had are stored and flagged with the reason."""
    rows = outcome_rows(
        ("A1", "AG1", "2026-12-01", "refused"),  # planned
        ("A1", "AG2", "2026-12-01", "refused"),  # planned for another agent
        ("E1", "AG1", "2026-12-01", "refused"),  # not in that plan
        ("A1", "AG1", "2026-11-30", "refused"),  # no plan that day
    )
    with Store(db) as s:
        rep = s.record_outcomes(rows, "f.csv")
        assert rep.inserted == 4
        flags = {(r, acc, agent): why for r, acc, agent, why in rep.flagged}
        assert len(flags) == 3
        assert "planned for agent AG1" in flags[(3, "A1", "AG2")]
        assert "not in the plan of 2026-12-01" in flags[(4, "E1", "AG1")]
        assert "no plan stored for 2026-11-30" in flags[(5, "A1", "AG1")]
        got = s.outcomes().set_index(["account_id", "agent_id", "visit_date"])
        assert bool(got.loc[("A1", "AG1", pd.Timestamp("2026-12-01")), "planned"]) is True
        assert not bool(got.loc[("E1", "AG1", pd.Timestamp("2026-12-01")), "planned"])
        assert s.record_outcomes(rows, "f.csv").flagged == ()  # unchanged: nothing new


def test_outcomes_carry_planned_time_and_address(db: Path) -> None:
    """outcomes() gives the planned start time and the visited address (apply_history input)."""
    with Store(db) as s:
        s.record_outcomes(
            outcome_rows(
                ("A2", "AG1", "2026-12-01", "not_home"), ("A2", "AG2", "2026-12-01", "moved")
            ),
            "f.csv",
        )
        got = s.outcomes(until=D1)
        assert got["visit_date"].dtype.kind == "M"
        by_agent = got.set_index("agent_id")
        assert by_agent.loc["AG1", "visit_start_min"] == 630
        assert math.isnan(by_agent.loc["AG2", "visit_start_min"])
        assert set(got["visited_address"]) == {"2 Main St"}  # the unplanned visit: last known
        assert s.outcomes(until=dt.date(2026, 11, 30)).empty
        assert len(s.outcomes(since=D1)) == 2


def test_record_counts_rejected_in_run_audit(db: Path) -> None:
    """Each record call leaves one audit row with its counts."""
    bad = [RowProblem("f.csv", 3, "outcome", "unknown")]
    with Store(db) as s:
        rep = s.record_outcomes(
            outcome_rows(("A1", "AG1", "2026-12-01", "refused")), "f.csv", rejected=bad
        )
        runs = s.record_runs()
    assert rep.stored == 1
    assert list(runs[["inserted", "rejected", "flagged"]].iloc[0]) == [1, 1, 0]


def test_failed_record_leaves_nothing(db: Path) -> None:
    """An error in the middle of a record rolls the whole file back."""
    calls = {"n": 0}

    def failing(done: int, total: int) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk on fire")

    rows = outcome_rows(("A1", "AG1", "2026-12-01", "refused"), ("A3", "AG2", "2026-12-01", "paid"))
    with Store(db) as s:
        with pytest.raises(RuntimeError):
            s.record_outcomes(rows, "f.csv", on_row=failing)
        assert s.outcomes().empty
        assert s.record_runs().empty
    with Store(db) as s:
        assert s.record_outcomes(rows.iloc[:1], "f.csv").inserted == 1


def test_on_row_reports_progress_inside_the_transaction(db: Path) -> None:
    """on_row sees (rows done, rows in all) after each row, before the file is committed."""
    seen: list[tuple[int, int, int]] = []
    rows = outcome_rows(("A1", "AG1", "2026-12-01", "refused"), ("A3", "AG2", "2026-12-01", "paid"))

    def watch(done: int, total: int) -> None:
        # another connection sees nothing of this file until the commit
        other = sqlite3.connect(db)
        try:
            committed = other.execute("SELECT COUNT(*) FROM outcomes").fetchone()[0]
        finally:
            other.close()
        seen.append((done, total, committed))

    with Store(db) as s:
        assert s.record_outcomes(rows, "f.csv", on_row=watch).inserted == 2
    assert seen == [(1, 2, 0), (2, 2, 0)]


def test_old_version_is_migrated_on_open(tmp_path: Path) -> None:
    """A version-1 file is brought to the current schema, keeping its data."""
    path = tmp_path / "old.db"
    old_database(path, 1)
    with Store(path) as s:
        assert s.schema_version == SCHEMA_VERSION
        got = s.outcomes()
        assert list(got["outcome"]) == ["not_home"]
        assert got["visit_start_min"].iloc[0] == 540
        rep = s.record_outcomes(outcome_rows(("A1", "AG1", "2026-12-01", "refused")), "x.csv")
        assert rep.updated == 1
        assert len(s.outcome_revisions()) == 1


def test_newer_version_refused(tmp_path: Path) -> None:
    """A file from a newer routeplan is refused with a clear message."""
    path = tmp_path / "new.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="newer than this routeplan"):
        Store(path)


def test_not_a_database_refused(tmp_path: Path) -> None:
    """A text file given as the database is refused, not overwritten."""
    path = tmp_path / "notes.db"
    path.write_text("hello, this is not sqlite\n" * 100)
    with pytest.raises(StoreError, match="not a routeplan history database"):
        Store(path)
    assert path.read_text().startswith("hello")


def test_foreign_sqlite_database_refused(tmp_path: Path) -> None:
    """Another application's SQLite file is refused, and left without our tables."""
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="something else"):
        Store(path)
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    conn.close()
    assert tables == ["invoices"]


def test_missing_directory_refused(tmp_path: Path) -> None:
    """A database path in a missing folder is an error naming the folder."""
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "nope" / "h.db")


def test_concurrent_first_open_migrates_once(tmp_path: Path) -> None:
    """Several processes opening a new file at once all get the current schema."""
    import os
    import subprocess
    import sys

    path = tmp_path / "fresh.db"
    code = (
        "import sys; from routeplan.io.store import Store; print(Store(sys.argv[1]).schema_version)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(path)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outs
    assert {o.strip() for o, _e in outs} == {str(SCHEMA_VERSION).encode()}
    with Store(path) as s:
        assert s.plans().empty


def test_busy_database_is_a_store_error(db: Path) -> None:
    """A writer that cannot get the lock within the timeout fails with a StoreError."""
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with Store(db, busy_timeout_s=0.2) as s:
            with pytest.raises(StoreError, match="try again"):
                s.record_outcomes(outcome_rows(("A1", "AG1", "2026-12-01", "refused")), "f.csv")
            assert s.outcomes().empty  # reads still work while another process writes
    finally:
        holder.execute("ROLLBACK")
        holder.close()
