"""`routeplan replan` and an agent's break whose window passes before it is free again.

One agent (shift 09:00-17:00, base at 31.2300,121.4700) has three visits due
north of its base, each 30 min and about a minute apart (X1 09:01-09:31, X2
09:32-10:02, X3 10:04-10:34): its morning ends before its break window, so
the morning has no break row. Its reports then run into the window.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import account, agent
from tests.test_replan import check_ok, morning, replan, rows_of, write_day


def _day(tmp_path: Path, window: tuple[str, str]) -> tuple[Path, Path]:
    """Return the day folder and its morning plan, the break ``window`` lasting 30 min."""
    accounts = [
        account("X1", lat="31.2340", lon="121.4700"),
        account("X2", lat="31.2380", lon="121.4700"),
        account("X3", lat="31.2420", lon="121.4700"),
    ]
    agents = [agent("A1", shift=("09:00", "17:00"), brk=(*window, "30"))]
    day = write_day(tmp_path / "day", accounts, agents)
    plan = morning(day, tmp_path / "plan", {"A1": ["X1", "X2", "X3"]})
    rows = rows_of(plan, "A1")
    assert list(rows["kind"]) == ["start", "visit", "visit", "visit", "end"]
    assert list(rows["service_start"][1:4]) == ["09:01", "09:32", "10:04"]
    return day, plan


def _kinds_and_times(out: Path) -> list[tuple[str, str, str, str]]:
    rows = rows_of(out, "A1")
    return [
        (str(r["kind"]), str(r["account_id"]), str(r["service_start"]), str(r["service_end"]))
        for r in rows.fillna("").to_dict("records")
    ]


def test_a_break_owed_between_two_reported_visits_is_shown_in_their_gap(tmp_path: Path) -> None:
    """Window 12:00-12:45; X1 reported done 09:01-11:40, X2 12:50-13:20; at 13:25.

    The window has passed when the agent is free again, but the reports leave
    a gap (11:40-12:50) that holds the break: the revision shows it at the
    earliest lawful time, 12:00-12:30, between them. The agent set out for X3
    at 13:20 (next, a minute away): 13:21-13:51, then the end row comes last,
    after it (not the morning's 10:38 end row), and check passes.
    """
    day, plan = _day(tmp_path, ("12:00", "12:45"))
    events = ["09:30,done,A1,X1,09:01,11:40,,,,,", "13:00,done,A1,X2,12:50,13:20,,,,,"]
    res = replan(plan, events, "13:25", tmp_path / "r1")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    got = _kinds_and_times(tmp_path / "r1")
    assert got[:5] == [
        ("start", "", "09:00", "09:00"),
        ("visit", "X1", "09:01", "11:40"),
        ("break", "", "12:00", "12:30"),
        ("visit", "X2", "12:50", "13:20"),
        ("visit", "X3", "13:21", "13:51"),
    ]
    assert got[5][0] == "end" and got[5][2] > "13:51" and len(got) == 6
    check_ok(day, tmp_path / "r1")


def test_a_late_report_takes_the_break_before_the_visit_it_makes_impossible(
    tmp_path: Path,
) -> None:
    """Window 12:00-12:45 (the break starts by 12:15); X1 reported done 09:01-11:50; at 11:55.

    The agent set out for X2 at 11:50: done at once (11:51-12:21) it would
    leave no time for the break in its window. So the break is taken first,
    at its earliest lawful start 12:00-12:30 (waiting at X2), and X2 follows
    at 12:30-13:00; check passes.
    """
    day, plan = _day(tmp_path, ("12:00", "12:45"))
    res = replan(plan, ["09:30,done,A1,X1,09:01,11:50,,,,,"], "11:55", tmp_path / "r1")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    got = _kinds_and_times(tmp_path / "r1")
    assert got[:4] == [
        ("start", "", "09:00", "09:00"),
        ("visit", "X1", "09:01", "11:50"),
        ("break", "", "12:00", "12:30"),
        ("visit", "X2", "12:30", "13:00"),
    ]
    assert [k for k, *_ in got[4:]] == ["visit", "end"]
    check_ok(day, tmp_path / "r1")


@pytest.mark.parametrize("status", ["done", "in_progress"])
def test_a_reported_visit_filling_the_whole_window_owes_no_break(
    tmp_path: Path, status: str
) -> None:
    """Window 12:00-13:00; X1 reported 09:10-13:05 (done or under way); at 13:10.

    The agent was at a visit it reported for the whole window: no break can be
    placed lawfully any more and none is owed (as for a window the shift cuts
    below the break). The revision has no break row, says why on stderr, and
    check, which knows the reported visit as a fact, passes.
    """
    day, plan = _day(tmp_path, ("12:00", "13:00"))
    event = f"09:30,{status},A1,X1,09:10,13:05,,,,,"
    res = replan(plan, [event], "13:10", tmp_path / "r1")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert "A1: its break window has passed before it is free again" in res.output  # type: ignore[attr-defined]
    got = _kinds_and_times(tmp_path / "r1")
    assert [k for k, *_ in got] == ["start", "visit", "visit", "visit", "end"]
    assert got[1] == ("visit", "X1", "09:10", "13:05")
    check_ok(day, tmp_path / "r1")


def test_a_break_owed_while_idle_before_at_is_shown_taken_then(tmp_path: Path) -> None:
    """Window 10:40-11:20; the morning ends at X3 (10:04-10:34); at 12:00 X4 (one more
    minute north, left out of the morning) becomes urgent.

    The agent was free from 10:34 to 12:00: its break, owed in a window that has
    passed, is shown taken at the earliest lawful time, 10:40-11:10, and it then
    goes on to X4 after 12:00; check passes.
    """
    accounts = [
        account("X1", lat="31.2340", lon="121.4700"),
        account("X2", lat="31.2380", lon="121.4700"),
        account("X3", lat="31.2420", lon="121.4700"),
        account("X4", lat="31.2460", lon="121.4700"),
    ]
    agents = [agent("A1", shift=("09:00", "17:00"), brk=("10:40", "11:20", "30"))]
    day = write_day(tmp_path / "day", accounts, agents)
    plan = morning(day, tmp_path / "plan", {"A1": ["X1", "X2", "X3"]})
    assert "break" not in set(rows_of(plan, "A1")["kind"])
    res = replan(plan, ["11:50,urgent,,X4,,,,,,,promise broken"], "12:00", tmp_path / "r1")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    got = _kinds_and_times(tmp_path / "r1")
    assert [k for k, *_ in got] == ["start", "visit", "visit", "visit", "break", "visit", "end"]
    assert got[4] == ("break", "", "10:40", "11:10")
    assert got[5][1] == "X4" and got[5][2] >= "12:00"
    check_ok(day, tmp_path / "r1")


def test_an_agent_gone_after_its_last_visit_has_no_break_after_its_end_row(
    tmp_path: Path,
) -> None:
    """Window 11:00-11:40; the morning: X1-X3 as above, its break 11:00-11:30, X4 (window
    12:00-13:00) at 12:00. The agent is unavailable from 11:45; re-planned at 11:50.

    Its day ends with X3 (10:04-10:34) and straight back to its base: the end row
    comes last, and no break is shown after it (the morning's 10:40 break would
    have to follow the agent's return at 10:38); the window was still open when it
    left, so none is owed, and check passes.
    """
    accounts = [
        account("X1", lat="31.2340", lon="121.4700"),
        account("X2", lat="31.2380", lon="121.4700"),
        account("X3", lat="31.2420", lon="121.4700"),
        account("X4", lat="31.2460", lon="121.4700", windows="12:00-13:00"),
    ]
    agents = [agent("A1", shift=("09:00", "17:00"), brk=("11:00", "11:40", "30"))]
    day = write_day(tmp_path / "day", accounts, agents)
    plan = morning(day, tmp_path / "plan", {"A1": ["X1", "X2", "X3", "X4"]})
    morning_rows = _kinds_and_times(plan)
    assert morning_rows[3:6] == [
        ("visit", "X3", "10:04", "10:34"),
        ("break", "", "11:00", "11:30"),
        ("visit", "X4", "12:00", "12:30"),
    ]
    res = replan(plan, ["11:45,unavailable_from,A1,,,,,,,,sick"], "11:50", tmp_path / "r1")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    got = _kinds_and_times(tmp_path / "r1")
    assert [k for k, *_ in got] == ["start", "visit", "visit", "visit", "end"]
    assert got[3] == ("visit", "X3", "10:04", "10:34")
    check_ok(day, tmp_path / "r1")
