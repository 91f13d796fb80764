"""Agents' breaks: the break window is clipped to the shift, owed or not, planned and checked.

A team's lunch window (11:30-14:00) is given to every agent, whatever their
shift; an agent on a late shift is planned with the part of the window inside
the shift, or without a break when that part cannot hold it. Only rows that
contradict themselves are refused.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from routeplan.build import agent_status, build_problem, day_break
from routeplan.config import Config
from routeplan.io.readers import read_agents
from tests.helpers import (
    PLAN_DATE,
    agent,
    check_tiny,
    invoke,
    planned_ok,
    read_out,
    rejected_at,
    set_agents,
)


def _minutes(clock: str) -> int:
    h, m = clock.split(":")
    return int(h) * 60 + int(m)


def _agent_summary(out: Path, agent_id: str) -> dict[str, object]:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return next(a for a in summary["agents"] if a["agent_id"] == agent_id)


def test_day_break_clips_the_window_to_the_shift() -> None:
    """11:30-14:00 for a 12:00-17:30 shift becomes 12:00-14:00; too little left owes nothing."""
    noon = day_break((720, 1050), (690, 840), 45)
    assert (noon.owed, noon.window, noon.minutes) == (True, (720, 840), 45)
    assert noon.describe() == "45 min in 12:00-14:00 (window 11:30-14:00 clipped to the shift)"
    inside = day_break((540, 1020), (720, 810), 30)
    assert inside.describe() == "30 min in 12:00-13:30"
    late = day_break((900, 1200), (690, 840), 45)
    assert late.window is None
    assert late.describe() == "none: break window 11:30-14:00 lies outside the shift 15:00-20:00"
    short = day_break((810, 1200), (690, 840), 45)
    assert short.window is None
    assert short.describe() == (
        "none: break window 11:30-14:00 leaves 30 min inside the shift 13:30-20:00, "
        "less than the 45-min break"
    )
    touching = day_break((840, 1200), (690, 840), 45)  # the window ends as the shift starts
    assert touching.window is None and "lies outside" in touching.note
    assert day_break((540, 1020), None, 0).describe() == "none"


def test_clipped_window_reaches_the_solver(tiny_dir: Path) -> None:
    """The vehicle's break may start 12:00-13:15 (45 min in 12:00-14:00); no break when not owed."""
    set_agents(
        tiny_dir,
        agent("L1", shift=("12:00", "17:30"), brk=("11:30", "14:00", "45")),
        agent("L2", shift=("15:00", "20:00"), brk=("11:30", "14:00", "45")),
    )
    agents = read_agents(tiny_dir / "agents.csv")
    assert agents.rejected == []
    status = agent_status(agents.frame, PLAN_DATE, Config())
    eligible = pd.DataFrame(columns=["account_id", "lat", "lon", "windows", "expected_recovery"])
    built = build_problem(eligible, status.usable, Config())
    l1, l2 = built.problem.vehicles
    assert (l1.break_window, l1.break_s) == ((12 * 3600, 13 * 3600 + 15 * 60), 45 * 60)
    assert (l2.break_window, l2.break_s) == (None, 0)


def test_lunch_window_before_the_shift_start_is_clipped(tiny_dir: Path, tmp_path: Path) -> None:
    """Shift 12:00-17:30, lunch 11:30-14:00 (45 min): planned, a 45-min break inside 12:00-14:00."""
    set_agents(tiny_dir, agent("L1", shift=("12:00", "17:30"), brk=("11:30", "14:00", "45")))
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out)  # plan, then check as the oracle
    assert rejected_at(out) == set()
    assert set(visits["agent_id"]) == {"L1"} and len(visits) >= 3
    it = read_out(out, "itineraries.csv")
    breaks = it[it["kind"] == "break"]
    assert len(breaks) == 1
    start, end = _minutes(breaks["service_start"].iloc[0]), _minutes(breaks["service_end"].iloc[0])
    assert start >= 12 * 60 and end <= 14 * 60 and end - start == 45
    assert _agent_summary(out, "L1")["break"] == (
        "45 min in 12:00-14:00 (window 11:30-14:00 clipped to the shift)"
    )


def test_check_holds_the_break_to_the_clipped_window(tiny_dir: Path, tmp_path: Path) -> None:
    """A break a dispatcher moves past 14:00 breaks the rule, named with the clipped window."""
    set_agents(tiny_dir, agent("L1", shift=("12:00", "17:30"), brk=("11:30", "14:00", "45")))
    out = tmp_path / "p"
    planned_ok(tiny_dir, out)
    it = read_out(out, "itineraries.csv")
    at = it.index[it["kind"] == "break"][0]
    it.loc[at, ["service_start", "service_end"]] = ["13:30", "14:15"]
    it.to_csv(out / "itineraries.csv", index=False)
    res = check_tiny(tiny_dir, out, catch=True)
    assert res.exit_code == 1
    assert "agent L1: [break] break 13:30-14:15 outside its window 12:00-14:00" in res.output


def test_break_window_after_the_shift_owes_no_break(tiny_dir: Path, tmp_path: Path) -> None:
    """Lunch 13:00-14:00, shift 09:00-12:00: planned without a break; summary and log say so."""
    set_agents(tiny_dir, agent("M1", shift=("09:00", "12:00"), brk=("13:00", "14:00", "30")))
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out)
    assert rejected_at(out) == set()
    assert set(visits["agent_id"]) == {"M1"}
    it = read_out(out, "itineraries.csv")
    assert (it["kind"] != "break").all()
    why = "break window 13:00-14:00 lies outside the shift 09:00-12:00"
    assert _agent_summary(out, "M1")["break"] == f"none: {why}"
    res = invoke(
        "plan",
        "--accounts",
        tiny_dir / "accounts.csv",
        "--agents",
        tiny_dir / "agents.csv",
        "--date",
        "2026-12-01",
        "--out",
        tmp_path / "logged",
        "--time-limit",
        "1",
        "--no-geocode",
    )
    assert res.exit_code == 0, res.output
    # each progress line starts with a [HH:MM:SS] time stamp
    lines = [line.split("] ", 1)[1] for line in res.stderr.splitlines() if "owes no break" in line]
    assert lines == [f"agent M1 owes no break today: {why}"]


def test_window_too_short_inside_the_shift_owes_no_break(tiny_dir: Path, tmp_path: Path) -> None:
    """Shift from 13:30: 30 min of the 11:30-14:00 window are left, not enough for 45 min."""
    set_agents(tiny_dir, agent("S1", shift=("13:30", "20:00"), brk=("11:30", "14:00", "45")))
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out)
    assert not visits.empty and rejected_at(out) == set()
    assert (read_out(out, "itineraries.csv")["kind"] != "break").all()
    assert _agent_summary(out, "S1")["break"] == (
        "none: break window 11:30-14:00 leaves 30 min inside the shift 13:30-20:00, "
        "less than the 45-min break"
    )


def test_agent_without_break_columns_says_none(tiny_dir: Path, tmp_path: Path) -> None:
    """An agent with no break columns has ``"break": "none"`` in summary.json."""
    set_agents(tiny_dir, agent("N1"))
    out = tmp_path / "p"
    planned_ok(tiny_dir, out)
    assert _agent_summary(out, "N1")["break"] == "none"


@pytest.mark.parametrize(
    ("brk", "column", "problem"),
    [
        (("08:00", "20:00", "600"), "break_minutes", "break of 600 min is longer than the shift"),
        (("14:00", "12:00", "30"), "break_end", "break window ends before it starts"),
        (("12:00", "12:20", "30"), "break_minutes", "does not fit its window 12:00-12:20"),
        (("", "", "45"), "break_start", "a break needs break_start, break_end and break_minutes"),
        (("12:00", "13:00", "-5"), "break_minutes", "below the minimum 0"),
    ],
)
def test_contradictory_break_is_refused(
    tiny_dir: Path, tmp_path: Path, brk: tuple[str, str, str], column: str, problem: str
) -> None:
    """A break that contradicts itself or the shift refuses the row (file, row, column)."""
    set_agents(tiny_dir, agent("OK"), agent("BAD", brk=brk))
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out)
    assert set(visits["agent_id"]) == {"OK"}
    assert rejected_at(out) == {("agents.csv", 3, column)}
    rejected = read_out(out, "rejected.csv")
    assert problem in rejected["problem"].iloc[0]
