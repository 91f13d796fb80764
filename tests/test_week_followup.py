"""Re-planning a day of a week plan (``plan --week``) and the week stored in the history.

The tiny week is Monday 2026-11-23 and Tuesday 2026-11-24 in Shenzhen (CN
rules: visits 08:00-22:00 every day); agents work 09:00-17:00 from bases on
the same parallel (0.01 degree of longitude is about 1 km). Which day each
account goes is fixed by hand: a weekday window (``Mon 09:00-17:00``) or
hard continuity with its ``assigned_agent`` off on Monday. Solver runs are
bounded (time limit 1-2 s, solution limit).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import routeplan as rp
from routeplan.io.store import Store
from tests.helpers import (
    WEEK_ACCOUNT_HEADER,
    WEEK_AGENT_HEADER,
    run,
    week_account,
    week_agent,
    write_rows,
)

MON, TUE = "2026-11-23", "2026-11-24"
#: A1 lives at 114.05, A2 at 114.10
AGENTS = [("A1", 114.05), ("A2", 114.10)]
#: account, longitude, window, assigned agent; with hard continuity and A2 off on
#: Monday: M1, M2 go Monday with A1; T1, TP, F go Tuesday with A1; B goes Tuesday
#: with A2 though Monday would suit it (A2 is off Monday); E, open both days, goes
#: Monday with A1 (a visit is worth 3 % less each day it waits)
ACCOUNTS = [
    ("M1", 114.060, "Mon 09:00-17:00", "A1"),
    ("M2", 114.070, "Mon 09:00-17:00", "A1"),
    ("T1", 114.060, "Tue 09:00-17:00", "A1"),
    ("TP", 114.070, "Tue 09:00-17:00", "A1"),
    ("F", 114.100, "Tue 09:00-17:00", "A1"),
    ("B", 114.095, "", "A2"),
    ("E", 114.065, "", "A1"),
]
WEEK_TOML = '[week]\ncontinuity = "hard"\n'


def _inputs(tmp: Path) -> tuple[Path, Path]:
    rows = [
        week_account(a, lon, visit_windows=w, assigned_agent=own) for a, lon, w, own in ACCOUNTS
    ]
    acc = write_rows(tmp / "accounts.csv", WEEK_ACCOUNT_HEADER, rows)
    ag = write_rows(
        tmp / "agents.csv", WEEK_AGENT_HEADER, [week_agent(a, lon) for a, lon in AGENTS]
    )
    return acc, ag


def _plan_week(tmp: Path, *extra: str | Path) -> Path:
    """Plan the two days (A2 off on Monday, hard continuity); return the week folder."""
    acc, ag = _inputs(tmp)
    (tmp / "availability.csv").write_text(f"date,agent_id,off\n{MON},A2,true\n", encoding="utf-8")
    (tmp / "week.toml").write_text(WEEK_TOML, encoding="utf-8")
    res = run(
        "plan-week",
        "--accounts",
        acc,
        "--agents",
        ag,
        "--availability",
        tmp / "availability.csv",
        "--config",
        tmp / "week.toml",
        "--from",
        MON,
        "--days",
        "2",
        "--out",
        tmp / "week",
        "--no-geocode",
        "--time-limit",
        "2",
        "--solution-limit",
        "50",
        *extra,
    )
    assert res.exit_code == 0, res.output
    return tmp / "week"


def _new_db(tmp: Path) -> Path:
    path = tmp / "history.db"
    Store(path).close()
    return path


def _replan(
    tmp: Path, day: str, out: str, *extra: str | Path, move_min: float | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any], str]:
    """Run ``plan --week`` for ``day``; return visits, dropped.csv, summary.json and stderr."""
    args: list[str | Path] = ["--accounts", tmp / "accounts.csv", "--agents", tmp / "agents.csv"]
    if move_min is not None:
        (tmp / "replan.toml").write_text(
            f"[replan]\nmove_penalty_min = {move_min}\n", encoding="utf-8"
        )
        args += ["--config", tmp / "replan.toml"]
    res = run(
        "plan",
        *args,
        "--date",
        day,
        "--week",
        tmp / "week",
        "--out",
        tmp / out,
        "--no-geocode",
        "--time-limit",
        "1",
        *extra,
    )
    assert res.exit_code == 0, res.output
    itin = pd.read_csv(tmp / out / "itineraries.csv", dtype=str, keep_default_na=False)
    dropped = pd.read_csv(tmp / out / "dropped.csv", dtype=str, keep_default_na=False)
    summary = json.loads((tmp / out / "summary.json").read_text(encoding="utf-8"))
    return itin[itin["kind"] == "visit"], dropped.set_index("account_id"), summary, res.stderr


def _week_table(week: Path) -> pd.DataFrame:
    return pd.read_csv(week / "week.csv", dtype=str, keep_default_na=False).set_index("account_id")


def _agent_of(visits: pd.DataFrame) -> dict[str, str]:
    return dict(zip(visits["account_id"], visits["agent_id"], strict=True))


def test_week_assignment_is_as_built_by_hand(tmp_path: Path) -> None:
    """The tiny week puts M1, M2, E Monday and T1, TP, F Tuesday with A1, B Tuesday with A2."""
    week = _week_table(_plan_week(tmp_path))
    got = {a: (week.loc[a, "date"], week.loc[a, "agent_id"]) for a, *_ in ACCOUNTS}
    assert got == {
        "M1": (MON, "A1"),
        "M2": (MON, "A1"),
        "T1": (TUE, "A1"),
        "TP": (TUE, "A1"),
        "F": (TUE, "A1"),
        "B": (TUE, "A2"),
        "E": (MON, "A1"),
    }


def test_replan_tuesday_drops_the_paid_account_and_keeps_the_rest_with_their_agent(
    tmp_path: Path,
) -> None:
    """An outcome ``paid`` recorded Monday for TP: the Tuesday re-plan excludes it, keeps the rest.

    T1 and F stay with A1 and B with A2 (kept 3, dropped 1, of which 1 no
    longer eligible); E, placed Monday and not recorded since, is free and
    planned (added 1); summary.json's ``week`` block and the stderr line say so.
    """
    db = _new_db(tmp_path)
    week = _plan_week(tmp_path, "--db", db)
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text(
        f"account_id,agent_id,visit_date,outcome,amount_paid\nTP,A1,{MON},paid,30000\n",
        encoding="utf-8",
    )
    rec = run("record", outcomes, "--db", db)
    assert rec.exit_code == 0, rec.output
    visits, dropped, summary, err = _replan(tmp_path, TUE, "tue", "--db", db)
    agent_of = _agent_of(visits)
    assert "TP" not in agent_of and "TP" not in dropped.index
    excluded = pd.read_csv(tmp_path / "tue" / "excluded.csv", dtype=str)
    assert "TP" in set(excluded["account_id"])
    assert agent_of["T1"] == agent_of["F"] == "A1" and agent_of["B"] == "A2"
    block = summary["week"]
    assert isinstance(block, dict)
    assert block["week_dir"] == str(week)
    assert "E" in agent_of
    keys = ("week_visits", "kept", "moved", "dropped", "now_excluded", "added")
    keys += ("added_from_earlier", "held")
    assert {k: block[k] for k in keys} == {
        "week_visits": 4,
        "kept": 3,
        "moved": 0,
        "dropped": 1,
        "now_excluded": 1,
        "added": 1,
        "added_from_earlier": 1,
        "held": 0,
    }
    assert "of its 4 visits today 3 kept with their agent, 0 moved" in err
    common = ["--accounts", tmp_path / "accounts.csv", "--agents", tmp_path / "agents.csv"]
    checked = run("check", *common, "--date", TUE, "--db", db, tmp_path / "tue")
    assert checked.exit_code == 0, checked.output


def test_replan_monday_leaves_later_accounts_to_their_day(tmp_path: Path) -> None:
    """Re-planning Monday: B (plannable Monday, placed Tuesday with A2) is ``planned_another_day``.

    Its detail names the date and the agent; the Tuesday-only accounts are
    held the same way; M1 and M2 stay with A1. Without --db (allowed): no history.
    """
    _plan_week(tmp_path)
    visits, dropped, summary, _ = _replan(tmp_path, MON, "mon")
    assert _agent_of(visits) == {"M1": "A1", "M2": "A1", "E": "A1"}
    for acc in ("B", "T1", "TP", "F"):
        assert dropped.loc[acc, "reason"] == "planned_another_day", acc
    assert TUE in dropped.loc["B", "detail"] and "A2" in dropped.loc["B", "detail"]
    block = summary["week"]
    assert isinstance(block, dict)
    assert (block["kept"], block["held"]) == (3, 4)


@pytest.mark.parametrize(("move_min", "f_agent"), [(0, "A2"), (120, "A1")])
def test_move_cost_keeps_the_weeks_agent_when_moving_gains_little(
    tmp_path: Path, move_min: float, f_agent: str
) -> None:
    """F lies at A2's base but the week gave it to A1 (hard continuity).

    Re-planned without a move cost it goes to A2 (about 10 km less for A1);
    with ``[replan] move_penalty_min = 120`` moving it costs more than it
    saves and A1 keeps it.
    """
    _plan_week(tmp_path)
    visits, _, summary, _ = _replan(tmp_path, TUE, "tue", move_min=move_min)
    assert _agent_of(visits)["F"] == f_agent
    block = summary["week"]
    assert isinstance(block, dict)
    assert block["moved"] == (1 if f_agent == "A2" else 0)


def test_week_errors_are_one_line(tmp_path: Path) -> None:
    """A date outside the week, a folder without week.csv, a week.csv without its columns,
    and --out on the week's own day folder: one line each, exit 1."""
    week = _plan_week(tmp_path)
    common = ["--accounts", tmp_path / "accounts.csv", "--agents", tmp_path / "agents.csv"]
    common += ["--no-geocode", "--time-limit", "1"]
    res = run("plan", *common, "--date", "2026-11-25", "--week", week, "--out", tmp_path / "x")
    assert res.exit_code == 1
    assert "2026-11-25 is not a date of this week plan (2026-11-23 to 2026-11-24)" in res.stderr
    assert "Traceback" not in res.output
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run("plan", *common, "--date", MON, "--week", empty, "--out", tmp_path / "x")
    assert res.exit_code == 1 and f"{empty / 'week.csv'}: not found" in res.stderr
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "week.csv").write_text("account_id,date\nM1,2026-11-23\n", encoding="utf-8")
    res = run("plan", *common, "--date", MON, "--week", bad, "--out", tmp_path / "x")
    assert res.exit_code == 1
    assert "column(s) missing: agent_id, order, status" in res.stderr
    res = run("plan", *common, "--date", MON, "--week", week, "--out", week / MON)
    assert res.exit_code == 1 and "week plan's own folder" in res.stderr
    (bad / "week.csv").write_text(
        "account_id,date,agent_id,order,status\nM1,2026-11-23,A1,inf,visited\n", encoding="utf-8"
    )
    res = run("plan", *common, "--date", MON, "--week", bad, "--out", tmp_path / "x")
    assert res.exit_code == 1
    assert f"{bad / 'week.csv'} row 2, column order: not a number: 'inf'" in res.stderr
    res = run(
        "plan",
        *common,
        "--date",
        MON,
        "--week",
        week,
        "--out",
        tmp_path / "x",
        "--region-column",
        "region",
    )
    assert res.exit_code == 2 and "--week and --availability go without region" in res.output
    assert not (tmp_path / "x").exists()


def test_plan_to_folder_week_option(tmp_path: Path) -> None:
    """The API: ``FolderOptions(week=...)`` re-plans Monday; ``PlanRun.week`` has the counts."""
    week = _plan_week(tmp_path)
    config = rp.Config().replace(solver__time_limit_s=1.0, geocode__provider="none")
    got = rp.plan_to_folder(
        tmp_path / "accounts.csv",
        tmp_path / "agents.csv",
        tmp_path / "mon",
        date=dt.date(2026, 11, 23),
        config=config,
        options=rp.FolderOptions(geocode=False, week=week),
    )
    assert got.week is not None
    assert (got.week["week_visits"], got.week["kept"], got.week["held"]) == (3, 3, 4)
    dropped = got.plan.dropped.set_index("account_id")
    assert dropped.loc["B", "reason"] == rp.DroppedReason.OTHER_DAY
    assert dropped.loc["B", "detail"] == f"planned on {TUE} by A2 (week plan {week})"


def test_plan_week_db_stores_each_day(tmp_path: Path) -> None:
    """``plan-week --db`` stores one plan per date: report counts the week's visits per agent."""
    db = _new_db(tmp_path)
    week = _plan_week(tmp_path, "--db", db)
    with Store(db) as store:
        stored = store.plans()
    assert list(stored["plan_date"]) == [MON, TUE]
    table = rp.report_activity(db, dt.date(2026, 11, 23), dt.date(2026, 11, 24))
    planned = dict(zip(table["agent_id"], table["visits_planned"], strict=True))
    visited = _week_table(week)
    visited = visited[visited["status"] == "visited"]
    assert planned["A1"] == (visited["agent_id"] == "A1").sum() == 6
    assert planned["A2"] == (visited["agent_id"] == "A2").sum() == 1


def test_availability_keeps_the_weeks_day_off(tmp_path: Path) -> None:
    """``plan --week --availability``: A2, off on Monday in the week's file, is off again.

    Without the file A2 is usable on Monday (agents.csv alone); a bad row of
    the file (an unknown agent) is refused into rejected.csv with its row.
    """
    _plan_week(tmp_path)
    _, _, plain, _ = _replan(tmp_path, MON, "plain")
    usable = {a["agent_id"]: a["usable"] for a in plain["agents"]}
    assert usable == {"A1": True, "A2": True}
    with (tmp_path / "availability.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{MON},ZZ9,true\n")
    _, _, off, _ = _replan(tmp_path, MON, "off", "--availability", tmp_path / "availability.csv")
    agents = {a["agent_id"]: a for a in off["agents"]}
    assert agents["A2"]["usable"] is False
    assert agents["A2"]["unusable_reason"] == f"off on {MON} (availability.csv row 2)"
    rejected = pd.read_csv(tmp_path / "off" / "rejected.csv", dtype=str)
    assert list(zip(rejected["file"], rejected["row"], rejected["column"], strict=True)) == [
        ("availability.csv", "3", "agent_id")
    ]
