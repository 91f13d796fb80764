"""Every command as one library call (routeplan.commands), and the CLI as a thin layer over it.

Each test does through ``import routeplan`` what a command does, on the tiny
day or the small history database, and where it helps compares with what the
command prints for the same inputs.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest

import routeplan as rp
from routeplan.cli import main
from routeplan.errors import ChangedFilesError, InputError
from routeplan.io.store import Store, StoreError
from tests.helpers import DATE, PLAN_DATE, check_tiny, plan_tiny, read_csv, run

HEADER = "account_id,agent_id,visit_date,outcome,amount_paid,ptp_date,ptp_amount,notes\n"
LIBRARY_CALLS = (
    "plan_to_folder",
    "check_plan_inputs",
    "retime_folder",
    "replan_folder",
    "write_dispatch_outputs",
    "record_outcomes",
    "history_trail",
    "report_activity",
)


def _outcomes(path: Path, body: str) -> Path:
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _quick() -> rp.Config:
    return rp.Config().replace(solver__time_limit_s=1.0)


def test_every_command_has_its_library_call_in_routeplan() -> None:
    """plan, check, retime, replan, map, record, history and report: each one name of routeplan."""
    assert set(LIBRARY_CALLS) <= set(rp.__all__)
    assert all(callable(getattr(rp, name)) for name in LIBRARY_CALLS)


# --- plan and check ---------------------------------------------------------------------


def test_plan_to_folder_writes_stores_and_checks(tiny_dir: Path, tmp_path: Path) -> None:
    """plan_to_folder plans the tiny day into a folder and the history; check_plan_inputs agrees."""
    out, db = tmp_path / "plan", tmp_path / "h.db"
    lines: list[str] = []
    run_ = rp.plan_to_folder(
        tiny_dir / "accounts.csv",
        tiny_dir / "agents.csv",
        out,
        date=PLAN_DATE,
        config=_quick(),
        db=db,
        options=rp.FolderOptions(geocode=False),
        progress=lines.append,
    )
    assert run_.out_dir == out and run_.plan_id == 1
    assert run_.plan.summary.counts.planned == 4
    assert len(read_csv(out / "itineraries.csv").query("kind == 'visit'")) == 4
    assert any(line == f"plan stored in {db} as plan 1" for line in lines)
    with Store(db) as s:
        assert list(s.plans()["plan_date"]) == [DATE]
    report = rp.check_plan_inputs(out, tiny_dir / "accounts.csv", tiny_dir / "agents.csv", db=db)
    assert report.ok and report.violations == []
    assert (report.date, report.config.jurisdiction) == (PLAN_DATE, "CN")  # from summary.json


def test_check_plan_inputs_lists_what_the_cli_prints(tiny_dir: Path, tmp_path: Path) -> None:
    """A broken edit: check_plan_inputs returns the violations routeplan check prints."""
    out = tmp_path / "plan"
    assert plan_tiny(tiny_dir, out).exit_code == 0
    it = read_csv(out / "itineraries.csv")
    first = it.index[it["kind"] == "visit"][0]
    it.loc[first, ["arrival", "service_start", "service_end"]] = ["23:00", "23:00", "23:30"]
    it.to_csv(out / "itineraries.csv", index=False)
    report = rp.check_plan_inputs(out, tiny_dir / "accounts.csv", tiny_dir / "agents.csv")
    assert not report.ok
    res = check_tiny(tiny_dir, out)
    assert res.exit_code == 1
    assert res.stdout.splitlines() == [v.message() for v in report.violations]


def test_check_plan_inputs_missing_folder(tiny_dir: Path, tmp_path: Path) -> None:
    """A plan folder that does not exist is an InputError naming it."""
    with pytest.raises(InputError, match=r"nowhere: plan folder not found"):
        rp.check_plan_inputs(
            tmp_path / "nowhere", tiny_dir / "accounts.csv", tiny_dir / "agents.csv"
        )


def test_plan_to_folder_refuses_a_folder_edited_by_hand(tiny_dir: Path, tmp_path: Path) -> None:
    """A hand-edited itinerary stops plan_to_folder before it plans; force moves it aside."""
    out = tmp_path / "plan"
    assert plan_tiny(tiny_dir, out).exit_code == 0
    edited = out / "itineraries.csv"
    edited.write_text(edited.read_text(encoding="utf-8-sig") + "\n", encoding="utf-8")
    args = (tiny_dir / "accounts.csv", tiny_dir / "agents.csv", out)
    no_geocode = rp.FolderOptions(geocode=False)
    with pytest.raises(ChangedFilesError, match=r"itineraries\.csv"):
        rp.plan_to_folder(*args, date=PLAN_DATE, config=_quick(), options=no_geocode)
    forced = rp.FolderOptions(geocode=False, force=True)
    done = rp.plan_to_folder(*args, date=PLAN_DATE, config=_quick(), options=forced)
    assert done.plan_id is None
    assert len(list(out.glob("backup-*/itineraries.csv"))) == 1


def test_retime_folder_needs_both_inputs(tmp_path: Path) -> None:
    """retime_folder takes accounts and agents together, and a config only with them."""
    with pytest.raises(ValueError, match="both accounts and agents"):
        rp.retime_folder(tmp_path, accounts=tmp_path / "accounts.csv")
    with pytest.raises(ValueError, match="go with accounts and agents"):
        rp.retime_folder(tmp_path, config=rp.Config())


def test_retime_folder_from_the_input_files(tiny_dir: Path, tmp_path: Path) -> None:
    """A folder without plan_context.json is re-timed from accounts.csv and agents.csv."""
    out = tmp_path / "plan"
    assert plan_tiny(tiny_dir, out).exit_code == 0
    (out / "plan_context.json").unlink()
    result = rp.retime_folder(
        out, accounts=tiny_dir / "accounts.csv", agents=tiny_dir / "agents.csv"
    )
    assert result.feasible and result.removed == ()
    assert len(result.itineraries.query("kind == 'visit'")) == 4
    assert (out / "plan_context.json").exists()


def test_replan_folder_writes_the_revision_the_cli_writes(tiny_dir: Path, tmp_path: Path) -> None:
    """replan_folder re-plans the tiny day at 09:45 into a revision folder, as routeplan replan
    does; the plan's date must be today unless the options name it."""
    out = tmp_path / "plan"
    assert plan_tiny(tiny_dir, out).exit_code == 0
    events = tmp_path / "events.csv"
    events.write_text(
        "time,event,agent_id,account_id,arrival,service_end\n09:40,done,A2,ACC02,09:03,09:33\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="give --date 2026-12-01"):
        rp.replan_folder(out, events, out / "r0", at_min=585, today=dt.date(2026, 12, 2))
    assert not (out / "r0").exists()
    lines: list[str] = []
    result = rp.replan_folder(
        out,
        events,
        out / "r1",
        at_min=585,
        options=rp.ReplanOptions(date=PLAN_DATE, time_limit_s=1.0),
        progress=lines.append,
    )
    assert result.revision == 1 and result.out_dir == out / "r1"
    assert result.entry["at"] == "09:45" and result.entry["events_accepted"] == {"done": 1}
    written = json.loads((out / "r1" / "summary.json").read_text(encoding="utf-8"))
    assert written["replan"] == json.loads(json.dumps(dict(result.entry)))
    visits = read_csv(out / "r1" / "itineraries.csv").query("kind == 'visit'")
    assert dict(zip(visits["account_id"], visits["status"], strict=True))["ACC02"] == "done"
    assert any(line.startswith("1 events accepted, 0 refused") for line in lines)


# --- record, history, report ------------------------------------------------------------


def test_record_outcomes_library_call(db: Path, tmp_path: Path) -> None:
    """record_outcomes stores good rows, reports and writes the refused ones, skips blank ones."""
    src = _outcomes(
        tmp_path / "out.csv",
        "A1,AG1,2026-12-01,ptp,,2026-12-10,500,will pay\n"
        "NOPE,AG1,2026-12-01,refused,,,,\n"
        "A2,AG1,2026-12-01,,,,,\n"
        "E1,AG2,2026-12-01,hardship,,,,\n",
    )
    report = rp.record_outcomes(src, db, today=PLAN_DATE)
    assert (report.inserted, report.unchanged, report.updated) == (2, 0, 0)
    assert [(p.row, p.column) for p in report.rejected] == [(3, "account_id")]
    assert [(row, acc) for row, acc, _agent, _why in report.flagged] == [(5, "E1")]
    assert report.skipped == (4,) and report.filled == 3
    assert report.rejected_file == tmp_path / "out_rejected.csv"
    assert list(read_csv(report.rejected_file)["row"]) == ["3"]
    again = rp.record_outcomes(src, db, today=PLAN_DATE)
    assert (again.inserted, again.unchanged) == (0, 2)


def test_record_outcomes_progress_hook(db: Path, tmp_path: Path) -> None:
    """on_row is called once per stored row with (rows done, rows in all)."""
    src = _outcomes(
        tmp_path / "o.csv", "A1,AG1,2026-12-01,refused,,,,\nA3,AG2,2026-12-01,not_home,,,,\n"
    )
    seen: list[tuple[int, int]] = []
    rp.record_outcomes(src, db, today=PLAN_DATE, on_row=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 2), (2, 2)]


def test_record_outcomes_never_replaces_its_input(db: Path, tmp_path: Path) -> None:
    """A rejection report naming the outcomes file itself is refused; nothing is stored."""
    src = _outcomes(tmp_path / "o.csv", "A1,AG1,2026-12-01,bogus,,,,\n")
    before = src.read_bytes()
    with pytest.raises(InputError, match="would replace the outcomes file"):
        rp.record_outcomes(src, db, today=PLAN_DATE, rejected=tmp_path / "." / "o.csv")
    assert src.read_bytes() == before
    with Store(db) as s:
        assert s.outcomes().empty


def test_record_outcomes_needs_an_existing_database(tmp_path: Path) -> None:
    """A missing database is a StoreError and is not created."""
    src = _outcomes(tmp_path / "o.csv", "A1,AG1,2026-12-01,refused,,,,\n")
    with pytest.raises(StoreError, match="no history database"):
        rp.record_outcomes(src, tmp_path / "none.db", today=PLAN_DATE)
    assert not (tmp_path / "none.db").exists()


def test_history_trail_is_what_history_prints(db: Path, tmp_path: Path) -> None:
    """history_trail returns the lines routeplan history prints under its heading."""
    src = _outcomes(tmp_path / "o.csv", "A1,AG1,2026-12-01,ptp,,2026-12-10,500,will pay\n")
    rp.record_outcomes(src, db, today=PLAN_DATE)
    lines = rp.history_trail("A1", db)
    assert lines[1] == (
        "2026-12-01  visit     AG1 (Name AG1): ptp; promised 500.00 by 2026-12-10; "
        "notes: will pay [planned]"
    )
    res = run("history", "A1", "--db", db)
    assert res.stdout.splitlines() == [f"Account A1 ({db})", *lines]
    assert rp.history_trail("NOBODY", db) == []


def test_report_activity_is_what_report_prints(db: Path, tmp_path: Path) -> None:
    """report_activity returns the table routeplan report --csv prints."""
    src = _outcomes(
        tmp_path / "o.csv",
        "A1,AG1,2026-12-01,ptp,,2026-12-03,500,\nA3,AG2,2026-12-01,paid,1000,,,\n",
    )
    rp.record_outcomes(src, db, today=PLAN_DATE)
    d1, d7 = PLAN_DATE, dt.date(2026, 12, 7)
    table = rp.report_activity(db, d1, d7).set_index("agent_id")
    assert table.loc["AG2", "amount_collected"] == 1000.0
    assert table.loc["AG1", "promises_broken"] == 1
    res = run("report", "--from", d1.isoformat(), "--to", d7.isoformat(), "--db", db, "--csv")
    printed = pd.read_csv(io.StringIO(res.stdout)).set_index("agent_id")
    pd.testing.assert_frame_equal(printed, table, check_dtype=False)
    as_json = run("report", "--from", "2026-12-01", "--to", "2026-12-07", "--db", db, "--json")
    assert json.loads(as_json.stdout)["overall"]["visits_done"] == 2
    with pytest.raises(ValueError, match="after date_to"):
        rp.report_activity(db, d7, d1)


# --- one --db option ----------------------------------------------------------------------


def test_db_option_is_one_option_with_one_default() -> None:
    """Every command taking --db takes the same option: same help, no default value."""
    options = [
        p for cmd in main.commands.values() for p in cmd.params if "--db" in getattr(p, "opts", ())
    ]
    assert {p.name for p in options} == {"db_path"} and len(options) >= 5
    assert {p.default for p in options} == {None}
    assert len({p.help for p in options}) == 1  # type: ignore[attr-defined]


def test_record_history_report_default_to_routeplan_db_here(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --db, record, history and report open routeplan.db in the current folder."""
    here = tmp_path / "work"
    here.mkdir()
    db.rename(here / "routeplan.db")
    monkeypatch.chdir(here)
    src = _outcomes(here / "o.csv", "A1,AG1,2026-12-01,refused,,,,\n")
    res = run("record", src, "--today", DATE)
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("o.csv -> routeplan.db: 1 new")
    assert run("history", "A1").stdout.startswith("Account A1 (routeplan.db)")
    report = run("report", "--from", DATE, "--to", DATE)
    assert report.stdout.startswith(f"Field activity {DATE} to {DATE} (routeplan.db)")
