"""`routeplan replan` on tiny days checked by hand (CliRunner).

Each day is planned, then arranged into a known morning plan with `retime`
(as a dispatcher would), then re-planned from an events file. Places lie on
straight lines from the base; times are computed here with the plan's travel
model (great circle x 1.35 at 25 km/h), as in `test_retime`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from routeplan.travel import road_distance_m, travel_time_s
from tests.helpers import (
    ACCOUNT_HEADER,
    AGENT_HEADER,
    DATE,
    account,
    agent,
    check_tiny,
    plan_tiny,
    read_csv,
    run,
)

BASE = ("31.2300", "121.4700")
EVENT_HEADER = "time,event,agent_id,account_id,arrival,service_end,lat,lon,windows,outcome,note"


def point(lat: str, lon: str) -> tuple[float, float]:
    """Return a place as floats."""
    return float(lat), float(lon)


def leg_s(a: tuple[float, float], b: tuple[float, float]) -> int:
    """Travel seconds between two places at the default 25 km/h."""
    dist = road_distance_m([a[0], b[0]], [a[1], b[1]], circuity=1.35)
    return int(travel_time_s(dist, speed_kmh=25.0)[0, 1])


def hhmm(seconds: int) -> str:
    """Seconds after midnight as HH:MM, rounded down like the itineraries."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def write_day(folder: Path, accounts: list[str], agents: list[str]) -> Path:
    """Write accounts.csv and agents.csv into ``folder`` and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "accounts.csv").write_text(
        ACCOUNT_HEADER + "\n" + "".join(r + "\n" for r in accounts), encoding="utf-8"
    )
    (folder / "agents.csv").write_text(
        AGENT_HEADER + "\n" + "".join(r + "\n" for r in agents), encoding="utf-8"
    )
    return folder


def morning(day: Path, out: Path, routes: dict[str, list[str]]) -> Path:
    """Plan the day, then give each agent exactly ``routes`` (in order) and re-time: the morning."""
    res = plan_tiny(day, out)
    assert res.exit_code == 0, res.output
    it = read_csv(out / "itineraries.csv")
    it = it[it["kind"] != "visit"].copy()
    rows = []
    for agent_id, visits in routes.items():
        for n, aid in enumerate(visits, start=1):
            new = dict.fromkeys(it.columns, "")
            new.update(date=DATE, agent_id=agent_id, stop_no=str(n), kind="visit", account_id=aid)
            rows.append(new)
    it = pd.concat([it, pd.DataFrame(rows)], ignore_index=True)
    it.to_csv(out / "itineraries.csv", index=False)
    res = run("retime", out)
    assert res.exit_code == 0, res.output
    return out


def replan(plan: Path, events: list[str], at: str, out: Path, *extra: str | Path) -> object:
    """Write events.csv beside the plan and replan it (1 s of search); return the CLI result."""
    path = plan.parent / "events.csv"
    path.write_text(EVENT_HEADER + "\n" + "".join(e + "\n" for e in events), encoding="utf-8")
    return run(
        "replan",
        plan,
        "--events",
        path,
        "--at",
        at,
        "--date",
        DATE,
        "--out",
        out,
        "--time-limit",
        "1",
        *extra,
    )


def rows_of(out: Path, agent_id: str) -> pd.DataFrame:
    """Return one agent's itinerary rows in stop order."""
    it = read_csv(out / "itineraries.csv")
    return it[it["agent_id"] == agent_id].reset_index(drop=True)


def visits_of(out: Path, agent_id: str) -> list[str]:
    """Return one agent's visits in order."""
    rows = rows_of(out, agent_id)
    return list(rows.loc[rows["kind"] == "visit", "account_id"])


def check_ok(day: Path, out: Path) -> None:
    """Assert that routeplan check passes on ``out`` against the day's input files."""
    res = check_tiny(day, out)
    assert res.exit_code == 0, res.output


def digest(folder: Path, skip: str) -> dict[str, str]:
    """Return the SHA-256 of every file under ``folder`` outside its sub-folder ``skip``."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and skip not in p.relative_to(folder).parts
    }


# --- a sick agent ------------------------------------------------------------------------------

WEST, EAST, NORTH = ("31.2300", "121.4500"), ("31.2300", "121.4900"), ("31.3300", "121.4700")


@pytest.fixture
def sick_day(tmp_path: Path) -> tuple[Path, Path]:
    """S (base in the middle) has s1, s2, s3; N1 (west) has n1, N2 (east) n2, F (far north) f1."""
    day = write_day(
        tmp_path / "day",
        [
            account("s1", lat="31.2300", lon="121.4600"),
            account("s2", lat="31.2310", lon="121.4700"),
            account("s3", lat="31.2300", lon="121.4800"),
            account("n1", lat="31.2290", lon="121.4500"),
            account("n2", lat="31.2290", lon="121.4900"),
            account("f1", lat="31.3310", lon="121.4700"),
        ],
        [
            agent("S", name="Sam", base=BASE, max_visits="3", skills="zh"),
            agent("N1", name="Nia", base=WEST, max_visits="3", skills="zh"),
            agent("N2", name="Ned", base=EAST, max_visits="3", skills="zh"),
            agent("F", name="Fay", base=NORTH, max_visits="3", skills="zh"),
        ],
    )
    routes = {"S": ["s1", "s2", "s3"], "N1": ["n1"], "N2": ["n2"], "F": ["f1"]}
    return day, morning(day, tmp_path / "plan", routes)


def test_a_sick_agents_visits_go_to_the_two_nearest_agents(
    sick_day: tuple[Path, Path],
) -> None:
    """S calls in sick before 09:00: s1 goes west to N1, s3 east to N2, s2 to one of them.

    F, far north, keeps its day exactly (rows and route sheet byte for byte);
    changes.csv says who lost and who got what, each agent concerned gets a
    message, and the revision passes routeplan check.
    """
    day, plan = sick_day
    out = plan / "r1"
    res = replan(plan, ["08:50,unavailable_from,S,,,,,,,,fever"], "09:00", out)
    assert res.exit_code == 0, res.output
    assert visits_of(out, "S") == []
    n1, n2 = visits_of(out, "N1"), visits_of(out, "N2")
    assert "s1" in n1 and "s3" in n2 and "s2" in n1 + n2
    assert sorted(n1 + n2) == ["n1", "n2", "s1", "s2", "s3"]
    assert visits_of(out, "F") == ["f1"]
    pd.testing.assert_frame_equal(rows_of(out, "F"), rows_of(plan, "F"))
    assert (out / "sheets" / "F.html").read_bytes() == (plan / "sheets" / "F.html").read_bytes()
    changes = read_csv(out / "changes.csv")
    lost = changes[changes["agent_id"] == "S"]
    assert sorted(lost["account_id"]) == ["s1", "s2", "s3"]
    assert set(lost["change"]) == {"moved_from"}
    assert set(lost["other_agent_id"]) == {"N1", "N2"}
    got = changes[changes["change"] == "moved_to"]
    assert sorted(got["account_id"]) == ["s1", "s2", "s3"]
    assert "F" not in set(changes["agent_id"])
    assert sorted(p.name for p in (out / "messages").iterdir()) == ["N1.txt", "N2.txt", "S.txt"]
    assert "s1" in (out / "messages" / "N1.txt").read_text(encoding="utf-8")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["replan"]["revision"] == 1 and summary["replan"]["at"] == "09:00"
    assert summary["replan"]["events_accepted"] == {"unavailable_from": 1}
    assert "F" in summary["replan"]["agents_unchanged"]
    check_ok(day, out)


def test_the_morning_folder_is_never_modified(sick_day: tuple[Path, Path]) -> None:
    """Every file of the plan folder keeps its bytes; the revision goes to a new folder."""
    _day, plan = sick_day
    before = digest(plan, "r1")
    res = replan(plan, ["08:50,unavailable_from,S,,,,,,,,"], "09:00", plan / "r1")
    assert res.exit_code == 0, res.output
    assert digest(plan, "r1") == before
    assert (plan / "r1" / "itineraries.csv").exists()


def test_replanning_into_the_plan_folder_itself_is_refused(sick_day: tuple[Path, Path]) -> None:
    """--out naming the plan folder is one clean error; nothing is written."""
    _day, plan = sick_day
    before = digest(plan, "none")
    res = replan(plan, ["08:50,unavailable_from,S,,,,,,,,"], "09:00", plan)
    assert res.exit_code == 1
    assert "the plan folder itself" in res.output and "Traceback" not in res.output
    assert digest(plan, "none") == before


# --- a no-show frees time an urgent account takes -----------------------------------------------

A1, A2, U = ("31.2500", "121.4700"), ("31.2700", "121.4700"), ("31.2500", "121.4750")


@pytest.fixture
def short_day(tmp_path: Path) -> tuple[Path, Path]:
    """A (shift 09:00-10:40) visits a1 then a2; u, worth little, is left out: no time."""
    day = write_day(
        tmp_path / "day",
        [
            account("a1", lat=A1[0], lon=A1[1], balance="80000"),
            account("a2", lat=A2[0], lon=A2[1], balance="80000"),
            account("u", lat=U[0], lon=U[1], balance="12000"),
        ],
        [agent("A", name="Ann", base=BASE, shift=("09:00", "10:40"), skills="zh")],
    )
    plan = morning(day, tmp_path / "plan", {"A": ["a1", "a2"]})
    assert visits_of(plan, "A") == ["a1", "a2"]
    assert "u" in set(read_csv(plan / "dropped.csv")["account_id"])
    return day, plan


def test_a_no_show_frees_time_that_an_urgent_account_takes(short_day: tuple[Path, Path]) -> None:
    """Nobody home at a1 (09:07-09:12): A, on its way to a2, then has time for the urgent u.

    a2 starts on arrival, 09:12 + travel; u follows, then the base by 10:40.
    Without the no-show u could not fit: the morning dropped it.
    """
    day, plan = short_day
    out = plan / "r1"
    events = [
        "09:12,no_show,A,a1,09:07,09:12,,,,,",
        "09:15,urgent,,u,,,,,,,promise broken",
    ]
    res = replan(plan, events, "09:20", out)
    assert res.exit_code == 0, res.output
    base, a1, a2, u = point(*BASE), point(*A1), point(*A2), point(*U)
    s2 = 9 * 3600 + 12 * 60 + leg_s(a1, a2)
    su = s2 + 1800 + leg_s(a2, u)
    back = su + 1800 + leg_s(u, base)
    assert back <= 10 * 3600 + 40 * 60
    rows = rows_of(out, "A")
    assert list(rows["account_id"]) == ["", "a1", "a2", "u", ""]
    assert list(rows["status"]) == ["", "no_show", "", "", ""]
    assert list(rows["service_start"]) == ["09:00", "09:07", hhmm(s2), hhmm(su), hhmm(back)]
    assert list(rows["service_end"])[1:4] == ["09:12", hhmm(s2 + 1800), hhmm(su + 1800)]
    changes = read_csv(out / "changes.csv")
    assert changes[["agent_id", "account_id", "change"]].values.tolist() == [["A", "u", "added"]]
    assert "urgent: promise broken" in changes["detail"].iloc[0]
    assert "u" not in set(read_csv(out / "dropped.csv")["account_id"])
    assert "u" in (out / "messages" / "A.txt").read_text(encoding="utf-8")
    check_ok(day, out)


# --- a late visit pushes the rest ----------------------------------------------------------

L1, L2, L3 = ("31.2500", "121.4700"), ("31.2700", "121.4700"), ("31.2900", "121.4700")


def test_a_late_visit_pushes_the_rest_and_the_last_is_dropped_with_its_reason(
    tmp_path: Path,
) -> None:
    """l1 runs 50 minutes instead of 30: l2 starts 20 minutes later, l3 no longer fits.

    The shift ends 5 minutes after the morning's return, so l3 (30 minutes
    and the way back) is dropped as no_time_after_replan; l2 is retimed and
    the agent told both.
    """
    base, l1, l2, l3 = point(*BASE), point(*L1), point(*L2), point(*L3)
    s1 = 9 * 3600 + leg_s(base, l1)
    s2 = s1 + 1800 + leg_s(l1, l2)
    s3 = s2 + 1800 + leg_s(l2, l3)
    back = s3 + 1800 + leg_s(l3, base)
    shift_end = hhmm(back + 5 * 60 + 59)
    day = write_day(
        tmp_path / "day",
        [account(n, lat=p[0], lon=p[1]) for n, p in (("l1", L1), ("l2", L2), ("l3", L3))],
        [agent("A", name="Ann", base=BASE, shift=("09:00", shift_end), skills="zh")],
    )
    plan = morning(day, tmp_path / "plan", {"A": ["l1", "l2", "l3"]})
    assert list(rows_of(plan, "A")["service_start"])[1:4] == [hhmm(s1), hhmm(s2), hhmm(s3)]
    late_end = s1 // 60 * 60 + 50 * 60
    out = plan / "r1"
    events = [f"09:30,in_progress,A,l1,{hhmm(s1)},{hhmm(late_end)},,,,,"]
    res = replan(plan, events, "09:30", out)
    assert res.exit_code == 0, res.output
    new2 = late_end + leg_s(l1, l2)
    rows = rows_of(out, "A")
    assert list(rows["account_id"]) == ["", "l1", "l2", ""]
    assert list(rows["status"]) == ["", "in_progress", "", ""]
    assert list(rows["service_start"])[1:3] == [hhmm(s1), hhmm(new2)]
    assert rows["service_end"].iloc[1] == hhmm(late_end)
    dropped = read_csv(out / "dropped.csv").set_index("account_id")
    assert dropped.loc["l3", "reason"] == "no_time_after_replan"
    changes = read_csv(out / "changes.csv")
    assert changes[["account_id", "change", "old_time", "new_time"]].values.tolist() == [
        ["l2", "retimed", hhmm(s2), hhmm(new2)],
        ["l3", "removed", hhmm(s3), ""],
    ]
    # the plan is Chinese (CN): the message too, one line per change, the reason in words
    text = (out / "messages" / "A.txt").read_text(encoding="utf-8").splitlines()
    assert text[1:] == [
        f"~ l2：改为 {hhmm(new2)}（原定 {hhmm(s2)}）",
        f"- l3（原定 {hhmm(s3)}）：已从您的路线移除（重新排程后没有外访员有剩余时间）",
    ]
    check_ok(day, out)


def test_an_agent_given_a_visit_before_its_planned_departure_leaves_earlier(
    tmp_path: Path,
) -> None:
    """L's only visit (window 15:00-16:00) had it leave its base just before 15:00; given sick
    S's s1 (window 10:00-11:00) it leaves in time for 10:00, and the day passes check."""
    s1, l1 = ("31.2400", "121.4700"), ("31.2200", "121.4700")
    day = write_day(
        tmp_path / "day",
        [
            account("s1", lat=s1[0], lon=s1[1], windows="10:00-11:00"),
            account("l1", lat=l1[0], lon=l1[1], windows="15:00-16:00"),
        ],
        [
            agent("S", name="Sam", base=BASE, skills="zh"),
            agent("L", name="Lee", base=BASE, skills="zh"),
        ],
    )
    plan = morning(day, tmp_path / "plan", {"S": ["s1"], "L": ["l1"]})
    leave = 15 * 3600 - leg_s(point(*BASE), point(*l1))
    assert rows_of(plan, "L")["service_end"].iloc[0] == hhmm(leave)
    out = plan / "r1"
    res = replan(plan, ["08:55,unavailable_from,S,,,,,,,,"], "09:00", out)
    assert res.exit_code == 0, res.output
    rows = rows_of(out, "L")
    assert list(rows["account_id"]) == ["", "s1", "l1", ""]
    assert rows["service_end"].iloc[0] == hhmm(10 * 3600 - leg_s(point(*BASE), point(*s1)))
    assert rows["service_start"].iloc[1] == "10:00"
    check_ok(day, out)
