"""events.csv for `routeplan replan`: refused rows, contradictions, clean errors, the extras.

On the tiny day (tests/data/tiny): A1 (senior) always gets ACC03 and A2
(Cantonese) ACC02; ACC14 (18:00-20:00) and ACC15 (too far) are dropped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from routeplan.events import EventType, Known, check_events, parse_events
from routeplan.io.store import Store
from tests.helpers import (
    ACCOUNT_HEADER,
    DATE,
    PLAN_DATE,
    account,
    check_tiny,
    no_crash,
    one_line_error,
    plan_tiny,
    read_csv,
    run,
)

EVENT_HEADER = "time,event,agent_id,account_id,arrival,service_end,lat,lon,windows,outcome,note"


@pytest.fixture
def planned(tiny_dir: Path, tmp_path: Path) -> Path:
    """The tiny day planned into a folder."""
    out = tmp_path / "plan"
    res = plan_tiny(tiny_dir, out)
    assert res.exit_code == 0, res.output
    return out


def events_file(folder: Path, *rows: str, header: str = EVENT_HEADER) -> Path:
    """Write an events file and return its path."""
    path = folder / "events.csv"
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return path


def replan(plan: Path, events: Path, *extra: str | Path, at: str = "10:00") -> object:
    """Run routeplan replan into plan/r1 with a 1 s search, catching crashes."""
    return run(
        "replan",
        plan,
        "--events",
        events,
        "--at",
        at,
        "--out",
        plan / "r1",
        "--time-limit",
        "1",
        *extra,
        catch=True,
    )


def refused(out: Path) -> set[tuple[str, str, str]]:
    """Return (file, row, column) of the rows refused from events.csv."""
    rej = read_csv(out / "rejected.csv")
    rej = rej[rej["file"] == "events.csv"]
    return set(zip(rej["file"], rej["row"], rej["column"], strict=True))


def visits(out: Path) -> dict[str, str]:
    """Return account -> agent of the visits in a folder."""
    it = read_csv(out / "itineraries.csv")
    v = it[it["kind"] == "visit"]
    return dict(zip(v["account_id"], v["agent_id"], strict=True))


def test_unknown_agents_and_accounts_and_late_rows_are_refused_the_rest_applied(
    tiny_dir: Path, planned: Path
) -> None:
    """Unknown agent (row 2), unknown account (row 3), a time after --at (row 4), a bad kind
    (row 5) are refused with row and column; A1's unavailability (row 6) is applied."""
    events = events_file(
        planned.parent,
        "09:10,done,ZZ,ACC03,09:01,09:31,,,,,",
        "09:20,urgent,,NOPE,,,,,,,",
        "10:30,remove,,ACC01,,,,,,,paid",
        "09:30,teleport,A1,,,,,,,,",
        "08:30,unavailable_from,A1,,,,,,,,",
    )
    res = replan(planned, events, "--date", DATE)
    no_crash(res)
    assert res.exit_code == 0, res.output
    out = planned / "r1"
    assert refused(out) == {
        ("events.csv", "2", "agent_id"),
        ("events.csv", "3", "account_id"),
        ("events.csv", "4", "time"),
        ("events.csv", "5", "event"),
    }
    assert "refused: events.csv, row 3, column account_id: 'NOPE' is not an account" in res.stderr
    assert "give --accounts" in res.stderr
    assert "A1" not in set(visits(out).values())
    dropped = read_csv(out / "dropped.csv").set_index("account_id")
    assert dropped.loc["ACC03", "reason"] == "agent_unavailable"  # only A1 is senior
    assert "ACC01" in visits(out)  # the remove row was refused
    check_ok = check_tiny(tiny_dir, out)
    assert check_ok.exit_code == 0, check_ok.output


def test_contradicting_events_are_both_refused_naming_each_other(planned: Path) -> None:
    """ACC02 done at 09:33 and cancelled: neither can be trusted; each row names the other."""
    events = events_file(
        planned.parent,
        "09:35,done,A2,ACC02,09:03,09:33,,,,,",
        "09:40,cancelled,,ACC02,,,,,,,debtor called",
        "09:41,urgent,,ACC13,,,,,,,",
        "09:42,remove,,ACC13,,,,,,,",
    )
    res = replan(planned, events, "--date", DATE)
    no_crash(res)
    assert res.exit_code == 0, res.output
    rej = read_csv(planned / "r1" / "rejected.csv")
    rej = rej[rej["file"] == "events.csv"].set_index("row")
    assert "done and cancelled for the same visit (row 3)" in rej.loc["2", "problem"]
    assert "(row 2)" in rej.loc["3", "problem"]
    assert "urgent and remove for the same account (row 5)" in rej.loc["4", "problem"]
    assert visits(planned / "r1")["ACC02"] == "A2"


def test_at_outside_the_day_is_one_clean_error(planned: Path) -> None:
    """--at 23:00 is after every shift: one line naming the shifts, exit 1, nothing written."""
    events = events_file(planned.parent, "09:00,unavailable_from,A1,,,,,,,,")
    res = replan(planned, events, "--date", DATE, at="23:00")
    one_line_error(res, "--at 23:00 is outside the day", "09:00-17:00")
    assert not (planned / "r1").exists()


def test_another_days_plan_needs_date(planned: Path) -> None:
    """Without --date the plan must be today's: the error says which --date to give."""
    events = events_file(planned.parent, "09:00,unavailable_from,A1,,,,,,,,")
    res = replan(planned, events)
    one_line_error(res, f"is the plan of {DATE}", f"give --date {DATE}")


def test_an_events_file_without_its_event_column_is_one_clean_error(planned: Path) -> None:
    """A file lacking the required event column is refused as a whole, naming the column."""
    events = events_file(planned.parent, "09:00,A1", header="time,agent_id")
    res = replan(planned, events, "--date", DATE)
    one_line_error(res, "events.csv", "column event", "required column is missing")


def test_a_done_visit_that_was_not_planned_is_kept_and_flagged(
    tiny_dir: Path, planned: Path
) -> None:
    """A2 reports ACC14 (dropped: 18:00-20:00) done 09:40-10:05: it goes on A2's day as done,
    leaves dropped.csv, is flagged on stderr, and the revision passes check."""
    events = events_file(planned.parent, "09:50,done,A2,ACC14,09:40,10:05,,,,refused,")
    res = replan(planned, events, "--date", DATE, at="10:10")
    no_crash(res)
    assert res.exit_code == 0, res.output
    out = planned / "r1"
    it = read_csv(out / "itineraries.csv")
    row = it[it["account_id"] == "ACC14"].iloc[0]
    assert (row["agent_id"], row["status"], row["arrival"], row["service_end"]) == (
        "A2",
        "done",
        "09:40",
        "10:05",
    )
    assert "ACC14" not in set(read_csv(out / "dropped.csv")["account_id"])
    assert "note: events row 2: A2 reported done at ACC14, not planned today" in res.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert any("ACC14" in f for f in summary["replan"]["flags"])
    assert check_tiny(tiny_dir, out).exit_code == 0


def test_a_new_window_moves_the_visit_and_check_knows_it(tiny_dir: Path, planned: Path) -> None:
    """ACC01's debtor is home only 15:00-16:00 today: its visit moves there; check passes with
    the portfolio file (which still says any time), reading the window from the revision."""
    events = events_file(planned.parent, "09:05,new_window,,ACC01,,,,,15:00-16:00,,phoned")
    res = replan(planned, events, "--date", DATE, at="09:05")
    no_crash(res)
    assert res.exit_code == 0, res.output
    out = planned / "r1"
    it = read_csv(out / "itineraries.csv")
    row = it[it["account_id"] == "ACC01"].iloc[0]
    assert "15:00" <= row["service_start"] <= "15:30"
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["replan"]["new_windows"] == {"ACC01": "15:00-16:00"}
    assert check_tiny(tiny_dir, out).exit_code == 0


def test_urgent_accounts_from_the_portfolio_are_checked_like_any(
    tiny_dir: Path, planned: Path, tmp_path: Path
) -> None:
    """NEW1 (eligible) is inserted; NEW2 (disputed) is refused: urgency never overrides a rule."""
    extra = tmp_path / "more.csv"
    extra.write_text(
        ACCOUNT_HEADER
        + "\n"
        + account("NEW1", lat="31.2330", lon="121.4720", balance="60000")
        + "\n"
        + account("NEW2", lat="31.2330", lon="121.4720", flags=("", "true", ""))
        + "\n",
        encoding="utf-8",
    )
    events = events_file(
        planned.parent,
        "09:05,urgent,,NEW1,,,,,,,promise broken",
        "09:05,urgent,,NEW2,,,,,,,",
    )
    res = replan(planned, events, "--date", DATE, "--accounts", extra, at="09:05")
    no_crash(res)
    assert res.exit_code == 0, res.output
    out = planned / "r1"
    assert "NEW1" in visits(out)
    assert refused(out) == {("events.csv", "3", "account_id")}
    assert "'NEW2' is not eligible today (disputed)" in res.stderr
    changes = read_csv(out / "changes.csv")
    added = changes[changes["change"] == "added"]
    assert list(added["account_id"]) == ["NEW1"]
    assert added["detail"].iloc[0] == "urgent: promise broken"
    scores = read_csv(out / "scores.csv")
    assert "NEW1" in set(scores["account_id"])


def test_with_a_database_the_revision_is_stored_and_outcomes_recorded(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """replan --db stores the revision as the day's latest plan and records the reported outcome;
    a paid outcome without an amount is refused like record refuses it."""
    db = tmp_path / "h.db"
    out = tmp_path / "plan"
    assert plan_tiny(tiny_dir, out, "--db", db).exit_code == 0
    events = events_file(
        tmp_path,
        "09:40,done,A2,ACC02,09:03,09:33,,,,refused,shut the door",
        "09:45,done,A1,ACC03,09:01,09:31,,,,paid,",
    )
    res = replan(out, events, "--date", DATE, "--db", db, at="09:45")
    no_crash(res)
    assert res.exit_code == 0, res.output
    with Store(db) as store:
        plans = store.plans()
        assert len(plans) == 2 and set(plans["plan_date"]) == {DATE}
        stops = store.planned_stops(PLAN_DATE, PLAN_DATE)
        assert set(stops["plan_id"]) == {int(plans["plan_id"].max())}
        recorded = store.outcomes(until=PLAN_DATE)
    assert list(recorded["account_id"]) == ["ACC02"]
    assert recorded["outcome"].iloc[0] == "refused"
    assert int(recorded["plan_id"].iloc[0]) == int(plans["plan_id"].max())
    rej = read_csv(out / "r1" / "rejected.csv")
    assert "amount_paid" in set(rej.loc[rej["row"] == "3", "column"])


def test_history_names_a_revision_as_such(tiny_dir: Path, tmp_path: Path) -> None:
    """routeplan history shows a plan replan stored as that day's revision, with its time,
    and the morning plan without one."""
    db = tmp_path / "h.db"
    out = tmp_path / "plan"
    assert plan_tiny(tiny_dir, out, "--db", db).exit_code == 0
    events = events_file(tmp_path, "09:40,done,A2,ACC02,09:03,09:33,,,,refused,")
    res = replan(out, events, "--date", DATE, "--db", db, at="09:45")
    assert res.exit_code == 0, res.output
    trail = run("history", "ACC02", "--db", db)
    assert trail.exit_code == 0, trail.output
    plan_lines = [line for line in trail.output.splitlines() if "  plan " in line]
    assert len(plan_lines) == 2, trail.output
    assert plan_lines[0].startswith(f"{DATE}  plan 1 ") and "revision" not in plan_lines[0]
    assert plan_lines[1].startswith(f"{DATE}  plan 2    (revision 1, re-planned at 09:45) ")


# --- the parser, row by row --------------------------------------------------------------------


def frame(*rows: dict[str, str]) -> pd.DataFrame:
    """Return event rows as read_table gives them (text cells, spreadsheet rows)."""
    df = pd.DataFrame(list(rows), dtype=object).fillna("")
    df["_row"] = range(2, 2 + len(df))
    return df


def test_the_parser_says_what_each_event_needs() -> None:
    """A position needs coordinates, a new window its windows, a visit its account; times HH:MM."""
    df = frame(
        {"time": "10:00", "event": "position", "agent_id": "A1", "lat": "95"},
        {"time": "10:00", "event": "new_window", "account_id": "X"},
        {"time": "10:00", "event": "done", "agent_id": "A1"},
        {"time": "9h", "event": "done", "agent_id": "A1", "account_id": "X"},
        {"time": "10:00", "event": "done", "agent_id": "A1", "account_id": "X", "outcome": "won"},
        {"time": "10:00", "event": "in_progress", "agent_id": "A1", "account_id": "X"},
        {
            "time": "10:00",
            "event": "done",
            "agent_id": "A1",
            "account_id": "X",
            "arrival": "09:00",
            "service_end": "10:30",
        },
        {"time": "10:00", "event": "available_until", "agent_id": "A1", "effective": "15:00"},
    )
    events, problems = parse_events(frame_with_columns(df), file="e.csv", at_min=600)
    got = {(p.row, p.column) for p in problems}
    assert got == {
        (2, "lat"),
        (2, "lon"),
        (3, "windows"),
        (4, "account_id"),
        (5, "time"),
        (6, "outcome"),
        (7, "arrival"),
        (8, "service_end"),
    }
    assert [(e.row, e.kind, e.effective_min) for e in events] == [
        (9, EventType.AVAILABLE_UNTIL, 15 * 60)
    ]


def frame_with_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with every events column present (empty when absent)."""
    from routeplan.events import EVENT_COLUMNS

    for column in EVENT_COLUMNS:
        if column not in df.columns:
            df[column] = ""
    return df


def test_in_progress_then_done_is_no_contradiction() -> None:
    """A visit reported under way, then done, by the same agent is its progress, not a clash."""
    df = frame_with_columns(
        frame(
            {
                "time": "09:10",
                "event": "in_progress",
                "agent_id": "A1",
                "account_id": "X",
                "arrival": "09:00",
            },
            {
                "time": "09:40",
                "event": "done",
                "agent_id": "A1",
                "account_id": "X",
                "arrival": "09:00",
                "service_end": "09:35",
            },
            {
                "time": "09:40",
                "event": "done",
                "agent_id": "A2",
                "account_id": "Y",
                "arrival": "09:00",
            },
            {
                "time": "09:41",
                "event": "done",
                "agent_id": "A1",
                "account_id": "Y",
                "arrival": "09:05",
            },
        )
    )
    events, problems = parse_events(df, file="e.csv", at_min=600)
    assert problems == []
    known = Known({"A1": "", "A2": ""}, {"X", "Y"}, set(), {}, {"X": "A1", "Y": "A2"})
    kept, refused_rows = check_events(events, known, file="e.csv")
    assert [e.row for e in kept] == [2, 3]
    assert {(p.row, p.column) for p in refused_rows} == {(4, "agent_id"), (5, "agent_id")}
    assert "one visit reported by two agents" in refused_rows[0].problem


def test_a_visit_reported_after_its_agent_became_unavailable_is_a_contradiction() -> None:
    """A1 unavailable from 09:00 cannot have started a visit at 09:30: both rows are refused."""
    df = frame_with_columns(
        frame(
            {"time": "09:00", "event": "unavailable_from", "agent_id": "A1"},
            {
                "time": "09:40",
                "event": "done",
                "agent_id": "A1",
                "account_id": "X",
                "arrival": "09:30",
            },
        )
    )
    events, _ = parse_events(df, file="e.csv", at_min=600)
    known = Known({"A1": ""}, {"X"}, set(), {}, {"X": "A1"})
    kept, problems = check_events(events, known, file="e.csv")
    assert kept == [] and {p.row for p in problems} == {2, 3}
    assert all("after the agent became unavailable" in p.problem for p in problems)


# --- positions, revisions of revisions, the output folder ----------------------------------


def test_a_reported_position_is_where_the_agent_continues_from(
    tiny_dir: Path, planned: Path
) -> None:
    """A1, seen at 31.2400,121.4800 at 09:20 and having reported nothing, goes to ACC03 from
    there at 09:30 (--at): ACC03 is not assumed done at its planned 09:01."""
    from routeplan.travel import road_distance_m, travel_time_s

    events = events_file(planned.parent, "09:20,position,A1,,,,31.2400,121.4800,,,stuck in traffic")
    res = replan(planned, events, "--date", DATE, at="09:30")
    no_crash(res)
    assert res.exit_code == 0, res.output
    dist = road_distance_m([31.2400, 31.2280], [121.4800, 121.4650], circuity=1.35)
    leg = int(travel_time_s(dist, speed_kmh=25.0)[0, 1])
    start = 9 * 3600 + 30 * 60 + leg
    it = read_csv(planned / "r1" / "itineraries.csv")
    row = it[it["account_id"] == "ACC03"].iloc[0]
    assert row["agent_id"] == "A1"
    assert row["service_start"] == f"{start // 3600:02d}:{start % 3600 // 60:02d}"
    assert float(row["travel_km"]) == round(int(dist[0, 1]) / 1000, 2)
    assert check_tiny(tiny_dir, planned / "r1").exit_code == 0


def test_a_revision_of_a_revision_keeps_what_was_reported(tiny_dir: Path, planned: Path) -> None:
    """r1 froze A2's ACC02 as done 09:03-09:40; r2 (from r1, with only a new event) keeps it so."""
    events = events_file(planned.parent, "09:45,done,A2,ACC02,09:03,09:40,,,,,")
    assert replan(planned, events, "--date", DATE, at="09:45").exit_code == 0
    r1 = planned / "r1"
    later = events_file(r1, "10:00,new_window,,ACC01,,,,,15:00-16:00,,")
    res = run(
        "replan",
        r1,
        "--events",
        later,
        "--at",
        "10:00",
        "--date",
        DATE,
        "--out",
        r1 / "r2",
        "--time-limit",
        "1",
        catch=True,
    )
    no_crash(res)
    assert res.exit_code == 0, res.output
    it = read_csv(r1 / "r2" / "itineraries.csv")
    row = it[it["account_id"] == "ACC02"].iloc[0]
    assert (row["status"], row["arrival"], row["service_end"]) == ("done", "09:03", "09:40")
    summary = json.loads((r1 / "r2" / "summary.json").read_text(encoding="utf-8"))
    assert summary["replan"]["revision"] == 2 and summary["replan"]["from_revision"] == 1
    assert check_tiny(tiny_dir, r1 / "r2").exit_code == 0


def test_files_changed_by_hand_in_the_output_folder_are_never_overwritten(planned: Path) -> None:
    """Re-planning again into r1 replaces routeplan's files; a changes.csv annotated by hand
    stops it (one line) unless --force, which first moves it to a backup."""
    events = events_file(planned.parent, "09:00,unavailable_from,A1,,,,,,,,")
    assert replan(planned, events, "--date", DATE).exit_code == 0
    assert replan(planned, events, "--date", DATE).exit_code == 0  # its own files: replaced
    changes = planned / "r1" / "changes.csv"
    changes.write_text(changes.read_text(encoding="utf-8-sig") + "called A1,,,,,,\n")
    one_line_error(replan(planned, events, "--date", DATE), "changes.csv", "--force")
    res = replan(planned, events, "--date", DATE, "--force")
    assert res.exit_code == 0, res.output
    (backup,) = (planned / "r1").glob("backup-*")
    assert "called A1" in (backup / "changes.csv").read_text()


def test_a_missing_history_database_is_refused_before_anything_is_written(
    planned: Path, tmp_path: Path
) -> None:
    """--db naming no file: one line saying to plan with --db first; no revision folder."""
    events = events_file(planned.parent, "09:00,unavailable_from,A1,,,,,,,,")
    res = replan(planned, events, "--date", DATE, "--db", tmp_path / "none.db")
    one_line_error(res, "none.db", "no history database")
    assert not (planned / "r1").exists()
