"""`routeplan retime` and the map's warning on hand-edited plans (CliRunner, tiny data)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import routeplan
from routeplan.travel import road_distance_m, travel_time_s
from tests.helpers import DATE, check_tiny, plan_tiny, read_csv, run

BANNER = 'class="rp-violations"'
#: the tiny data's travel model (config defaults; agents A1 and A3 have no speed)
CIRCUITY, SPEED_A1, SPEED_A2 = 1.35, 25.0, 20.0
BASE = (31.2300, 121.4700)
PLACE = {"ACC01": (31.2350, 121.4750), "ACC02": (31.2320, 121.4800), "ACC03": (31.2280, 121.4650)}
PLACE |= {"ACC13": (31.2360, 121.4810), "ACC14": (31.2250, 121.4760)}


def arrange(out: Path, stops: dict[str, tuple[str, str]]) -> None:
    """Edit itineraries.csv as a dispatcher: visits get ``(agent, stop_no)``, others are deleted.

    Rows keep their (now stale) times and other cells; a visit not in the file
    yet (a dropped account) is added as a row with only its ids.
    """
    it = read_csv(out / "itineraries.csv")
    visits = it["kind"] == "visit"
    it = it[~visits | it["account_id"].isin(list(stops))].copy()
    for aid, (agent, stop) in stops.items():
        rows = it.index[it["account_id"] == aid]
        if len(rows):
            it.loc[rows, ["agent_id", "stop_no"]] = [agent, stop]
        else:
            new = dict.fromkeys(it.columns, "")
            new.update(date=DATE, agent_id=agent, stop_no=stop, kind="visit", account_id=aid)
            it = pd.concat([it, pd.DataFrame([new])], ignore_index=True)
    it.to_csv(out / "itineraries.csv", index=False)


def leg_s(a: tuple[float, float], b: tuple[float, float], speed: float) -> int:
    """Travel seconds between two points with the plan's model (great circle x circuity)."""
    dist = road_distance_m([a[0], b[0]], [a[1], b[1]], circuity=CIRCUITY)
    return int(travel_time_s(dist, speed_kmh=speed)[0, 1])


def hhmm(seconds: int) -> str:
    """Seconds after midnight as HH:MM, rounded down like the itineraries."""
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def agent_rows(out: Path, agent: str) -> pd.DataFrame:
    """Return one agent's itinerary rows in stop order."""
    it = read_csv(out / "itineraries.csv")
    return it[it["agent_id"] == agent].reset_index(drop=True)


@pytest.fixture
def planned(tiny_dir: Path, tmp_path: Path) -> Path:
    """A tiny plan folder made by routeplan plan."""
    out = tmp_path / "plan"
    plan_tiny(tiny_dir, out)
    return out


def test_moved_stop_is_retimed_as_computed_by_hand(tiny_dir: Path, planned: Path) -> None:
    """ACC01 moved after ACC03 on A1: times from the travel model, stops renumbered, check OK."""
    arrange(
        planned,
        {"ACC03": ("A1", "1"), "ACC01": ("A1", "2"), "ACC02": ("A2", "1"), "ACC13": ("A2", "2")},
    )
    res = run("retime", planned)
    assert res.exit_code == 0, res.output
    assert "Re-timed" in res.stdout and "4 visits by 2 agents" in res.stdout
    t1 = leg_s(BASE, PLACE["ACC03"], SPEED_A1)
    t2 = leg_s(PLACE["ACC03"], PLACE["ACC01"], SPEED_A1)
    t3 = leg_s(PLACE["ACC01"], BASE, SPEED_A1)
    s03 = 9 * 3600 + t1  # leaves at 09:00, any time is lawful for ACC03 (08:00-22:00)
    s01 = s03 + 1800 + t2
    back = s01 + 1800 + t3
    rows = agent_rows(planned, "A1")
    assert list(rows["kind"]) == ["start", "visit", "visit", "end"]  # the day ends before 12:00
    assert list(rows["stop_no"]) == ["0", "1", "2", "3"]
    assert list(rows["account_id"]) == ["", "ACC03", "ACC01", ""]
    assert list(rows["arrival"]) == ["09:00", hhmm(s03), hhmm(s01), hhmm(back)]
    assert list(rows["service_start"]) == ["09:00", hhmm(s03), hhmm(s01), hhmm(back)]
    assert list(rows["service_end"]) == ["09:00", hhmm(s03 + 1800), hhmm(s01 + 1800), hhmm(back)]
    (lat3, lon3), (lat1, lon1) = PLACE["ACC03"], PLACE["ACC01"]
    km = road_distance_m([lat3, lat1], [lon3, lon1], circuity=CIRCUITY)
    assert float(rows.loc[2, "travel_km"]) == round(int(km[0, 1]) / 1000, 2)
    assert float(rows.loc[2, "travel_min"]) == round(t2 / 60, 1)
    assert list(agent_rows(planned, "A2")["account_id"]) == ["", "ACC02", "ACC13", ""]
    assert read_csv(planned / "retime.csv").empty
    assert check_tiny(tiny_dir, planned).exit_code == 0
    summary = json.loads((planned / "summary.json").read_text(encoding="utf-8"))
    a1 = next(a for a in summary["agents"] if a["agent_id"] == "A1")
    assert a1["visits"] == 2 and summary["retime"]["violations"] == 0
    assert BANNER not in (planned / "map.html").read_text(encoding="utf-8")
    (backup,) = planned.glob("backup-*")
    assert read_csv(backup / "itineraries.csv")["stop_no"].tolist().count("2") >= 2  # the edit kept


def test_deleted_stop_goes_to_dropped_and_check_accounts_for_it(
    tiny_dir: Path, planned: Path
) -> None:
    """A visit deleted by hand lands in dropped.csv as removed_by_dispatcher; check passes."""
    it = read_csv(planned / "itineraries.csv")
    it[it["account_id"] != "ACC13"].to_csv(planned / "itineraries.csv", index=False)
    stale = check_tiny(tiny_dir, planned)
    assert stale.exit_code == 1 and "ACC13: [accounted]" in stale.output
    res = run("retime", planned)
    assert res.exit_code == 0, res.output
    assert "account ACC13: removed by hand -> dropped.csv" in res.stderr
    dropped = read_csv(planned / "dropped.csv").set_index("account_id")
    assert dropped.loc["ACC13", "reason"] == "removed_by_dispatcher"
    assert float(dropped.loc["ACC13", "balance"]) == 90000
    it = read_csv(planned / "itineraries.csv")
    assert "ACC13" not in set(it["account_id"])
    for _, rows in it.groupby("agent_id"):
        assert rows["stop_no"].astype(int).tolist() == list(range(len(rows)))
    summary = json.loads((planned / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["planned"] == 3 and summary["counts"]["dropped"] == 5
    assert summary["dropped_by_reason"]["removed_by_dispatcher"] == 1
    assert summary["retime"]["removed_by_dispatcher"] == ["ACC13"]
    ok = check_tiny(tiny_dir, planned)
    assert ok.exit_code == 0, ok.output


def test_stop_moved_into_a_closed_window_is_reported(tiny_dir: Path, tmp_path: Path) -> None:
    """ACC02 (open 09:00-09:45) moved last on A2 is kept, served late, reported; exit 1."""
    acc = tiny_dir / "accounts.csv"
    acc.write_text(
        acc.read_text(encoding="utf-8").replace("09:00-12:00;14:00-16:00", "09:00-09:45"),
        encoding="utf-8",
    )
    out = tmp_path / "plan"
    plan_tiny(tiny_dir, out)
    arrange(
        out,
        {"ACC03": ("A1", "1"), "ACC13": ("A2", "1"), "ACC01": ("A2", "2"), "ACC02": ("A2", "3")},
    )
    res = run("retime", out)
    assert res.exit_code == 1
    assert "agent A2, stop 3, account ACC02: [window]" in res.stderr
    assert "retime.csv" in res.stderr.splitlines()[-1]
    report = read_csv(out / "retime.csv")
    assert ("A2", "3", "ACC02", "window") in set(
        zip(
            report["agent_id"], report["stop_no"], report["account_id"], report["rule"], strict=True
        )
    )
    t = [
        leg_s(BASE, PLACE["ACC13"], SPEED_A2),
        leg_s(PLACE["ACC13"], PLACE["ACC01"], SPEED_A2),
        leg_s(PLACE["ACC01"], PLACE["ACC02"], SPEED_A2),
    ]
    late = 9 * 3600 + t[0] + 1800 + t[1] + 1800 + t[2]  # served on arrival, past 09:45
    rows = agent_rows(out, "A2")
    assert list(rows["account_id"]) == ["", "ACC13", "ACC01", "ACC02", ""]
    assert rows.loc[3, "arrival"] == rows.loc[3, "service_start"] == hhmm(late)
    assert hhmm(late) > "09:45"
    assert BANNER in (out / "map.html").read_text(encoding="utf-8")
    assert BANNER in (out / "sheets" / "A2.html").read_text(encoding="utf-8")
    assert BANNER not in (out / "sheets" / "A1.html").read_text(encoding="utf-8")
    assert check_tiny(tiny_dir, out).exit_code == 1  # the independent check agrees


def test_dropped_account_put_after_the_shift_is_flagged_and_leaves_dropped(
    planned: Path,
) -> None:
    """ACC14 (18:00-20:00, dropped) put on A2 (shift to 17:00): timed at 18:00, shift reported."""
    arrange(
        planned,
        {"ACC03": ("A1", "1"), "ACC02": ("A2", "1"), "ACC13": ("A2", "2"), "ACC14": ("A2", "3")},
    )
    res = run("retime", planned)
    assert res.exit_code == 1
    assert "account ACC14: [shift] visit outside the agent's shift" in res.stderr
    assert "[shift] returns" in res.stderr
    rows = agent_rows(planned, "A2").set_index("account_id")
    assert rows.loc["ACC14", "service_start"] == "18:00"
    dropped = read_csv(planned / "dropped.csv")
    assert "ACC14" not in set(dropped["account_id"])
    assert set(dropped.loc[dropped["reason"] == "removed_by_dispatcher", "account_id"]) == {"ACC01"}


def test_decimal_and_empty_stop_numbers_give_the_order(planned: Path) -> None:
    """stop_no 0.5 goes before 1; an empty stop_no follows the row above it."""
    arrange(
        planned,
        {"ACC03": ("A1", "1"), "ACC02": ("A2", "1"), "ACC13": ("A2", "0.5"), "ACC01": ("A2", "")},
    )
    it = read_csv(planned / "itineraries.csv")
    # put ACC01's row right after ACC13's, so that the empty stop_no follows ACC13
    moved = it[it["account_id"] == "ACC01"]
    rest = it[it["account_id"] != "ACC01"]
    at = rest.index.get_loc(rest.index[rest["account_id"] == "ACC13"][0]) + 1
    pd.concat([rest.iloc[:at], moved, rest.iloc[at:]]).to_csv(
        planned / "itineraries.csv", index=False
    )
    result = routeplan.retime_plan_folder(planned, notify=lambda _line: None)
    assert result.feasible, result.violations
    assert list(agent_rows(planned, "A2")["account_id"]) == ["", "ACC13", "ACC01", "ACC02", ""]


def test_rows_that_cannot_be_retimed_are_refused_in_one_line(planned: Path) -> None:
    """A visit to an excluded account stops retime naming row and column; nothing is written."""
    it = read_csv(planned / "itineraries.csv")
    it.loc[it["account_id"] == "ACC13", "account_id"] = "ACC05"  # disputed
    it.to_csv(planned / "itineraries.csv", index=False)
    before = (planned / "itineraries.csv").read_bytes()
    res = run("retime", planned)
    assert res.exit_code == 1
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in res.output
    assert "column account_id: 'ACC05' is excluded (disputed)" in lines[0]
    assert (planned / "itineraries.csv").read_bytes() == before
    assert not (planned / "retime.csv").exists()


def test_retime_never_overwrites_filled_outcomes(planned: Path) -> None:
    """Filled outcomes survive a retime; the new template goes beside them."""
    tpl = read_csv(planned / "outcomes_template.csv")
    tpl["outcome"] = "not_home"
    tpl.to_csv(planned / "outcomes_template.csv", index=False)
    before = (planned / "outcomes_template.csv").read_bytes()
    it = read_csv(planned / "itineraries.csv")
    it[it["account_id"] != "ACC13"].to_csv(planned / "itineraries.csv", index=False)
    res = run("retime", planned)
    assert res.exit_code == 0, res.output
    assert (planned / "outcomes_template.csv").read_bytes() == before
    fresh = read_csv(planned / "outcomes_template.new.csv")
    assert sorted(fresh["account_id"]) == ["ACC01", "ACC02", "ACC03"]


def test_old_folder_is_retimed_from_its_input_files(tiny_dir: Path, planned: Path) -> None:
    """Without plan_context.json retime asks for the inputs, then works and keeps them."""
    (planned / "plan_context.json").unlink()
    it = read_csv(planned / "itineraries.csv")
    it[it["account_id"] != "ACC13"].to_csv(planned / "itineraries.csv", index=False)
    res = run("retime", planned)
    assert res.exit_code == 1 and "--accounts FILE --agents FILE" in res.output
    res = run(
        "retime",
        planned,
        "--accounts",
        tiny_dir / "accounts.csv",
        "--agents",
        tiny_dir / "agents.csv",
    )
    assert res.exit_code == 0, res.output
    assert (planned / "plan_context.json").exists()
    assert read_csv(planned / "dropped.csv").set_index("account_id").loc["ACC13", "reason"] == (
        "removed_by_dispatcher"
    )
    assert check_tiny(tiny_dir, planned).exit_code == 0


def test_map_warns_about_a_stale_edited_plan(planned: Path) -> None:
    """map on a plan edited without retime: stderr warning, banner on map, index and sheet."""
    clean = run("map", planned)
    assert clean.exit_code == 0 and "WARNING" not in clean.stderr
    assert BANNER not in (planned / "map.html").read_text(encoding="utf-8")
    it = read_csv(planned / "itineraries.csv")
    last = it[it["agent_id"] == "A2"]["stop_no"].astype(int).max()
    row = it.index[it["account_id"] == "ACC01"]
    it.loc[row, ["agent_id", "stop_no"]] = ["A1", str(last + 5)]  # times left as they were
    it.to_csv(planned / "itineraries.csv", index=False)
    res = run("map", planned)
    assert res.exit_code == 0, res.output
    assert "WARNING: the plan in" in res.stderr and "routeplan retime" in res.stderr
    assert "[order]" in res.stderr
    html = (planned / "map.html").read_text(encoding="utf-8")
    assert BANNER in html and "routeplan retime" in html
    assert BANNER in (planned / "index.html").read_text(encoding="utf-8")
    sheet = (planned / "sheets" / "A1.html").read_text(encoding="utf-8")
    assert BANNER in sheet and "[order]" in sheet


def test_banner_escapes_what_it_shows(planned: Path) -> None:
    """A hostile agent id in a violation is shown as text on the banner."""
    from routeplan.check import Violation
    from routeplan.present.banner import violation_banner

    html = violation_banner(
        [Violation("<img src=x onerror=alert(1)>", 1, "A`${x}", "window", "late")],
        plan_dir="<b>",
    )
    assert "<img" not in html and "&lt;img" in html and "<b>" not in html
    assert "${" not in html
