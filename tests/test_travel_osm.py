"""osm:FILE end to end: the extract prepared with the real OSRM tools, plan, check and map."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from routeplan.errors import InputError
from routeplan.travel import OsmModel, Points, TravelProfile
from routeplan.travel.osrm_engine import prepare_extract
from routeplan.travel.osrm_http import OsrmClient
from tests.osrm_support import (
    AT_SEA,
    HELSINKI_PBF,
    ISOLATED,
    MAIN,
    Routed,
    cache_dir,
    config_toml,
    need_osrm,
    prepared,
    write_day,
)

DATE = "2026-12-01"


def run(*args: str | Path) -> Result:
    from routeplan.cli import main

    return CliRunner().invoke(main, [str(a) for a in args])


def plan(day: Path, out: Path, config: Path, *extra: str) -> Result:
    return run(
        "plan",
        "--accounts",
        day / "accounts.csv",
        "--agents",
        day / "agents.csv",
        "--date",
        DATE,
        "--out",
        out,
        "--time-limit",
        "1",
        "--no-geocode",
        "--config",
        config,
        *extra,
    )


def check(day: Path, out: Path, config: Path, *extra: str) -> Result:
    return run(
        "check",
        "--accounts",
        day / "accounts.csv",
        "--agents",
        day / "agents.csv",
        "--config",
        config,
        out,
        *extra,
    )


def read(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_extract_is_prepared_once_per_content(tmp_path: Path) -> None:
    """A second preparation, even of a copy under another name, reuses the prepared folder."""
    base = prepared("car")
    assert (base.parent / "READY").is_file() and base.parent.parent.parent == cache_dir()
    said: list[str] = []
    copy = tmp_path / "copy.osm.pbf"
    shutil.copy(HELSINKI_PBF, copy)
    again = prepare_extract(
        copy, "car", tools=need_osrm(), cache_root=cache_dir(), progress=said.append
    )
    assert again == base
    assert said == [f"travel: reusing copy.osm.pbf prepared for car ({base.parent})"]


def test_embedded_answers_like_a_server_on_the_same_data() -> None:
    """OsmModel's private server gives the table a separately run osrm-routed gives."""
    pts = Points.of([p[0] for p in MAIN], [p[1] for p in MAIN])
    with OsmModel(HELSINKI_PBF, cache_root=cache_dir(), osrm_bin=str(need_osrm().bin_dir)) as m:
        table = m.matrix(pts, TravelProfile("car"))
        assert m.describe()["sha256"].startswith("b73e9c2c8205")
    with Routed(prepared("car")) as server:
        idx = np.arange(len(MAIN))
        direct = OsrmClient(server.url).table(pts.lat, pts.lon, idx, idx)
    assert np.array_equal(table.durations_s, direct.durations_s)
    assert np.array_equal(table.distances_m, direct.distances_m)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("truncated", "osrm-extract: PBF error: unexpected EOF"),
        ("text", "osrm-extract: PBF error: invalid BlobHeader size"),
    ],
)
def test_unusable_extract_is_one_line_naming_the_file(
    tmp_path: Path, content: str, why: str
) -> None:
    """A truncated .pbf or a file that is not OSM data: one InputError naming the file."""
    bad = tmp_path / "city.osm.pbf"
    if content == "truncated":
        bad.write_bytes(HELSINKI_PBF.read_bytes()[:300_000])
    else:
        bad.write_text("account_id,lat,lon\n")
    with pytest.raises(InputError) as err:
        prepare_extract(bad, "car", tools=need_osrm(), cache_root=tmp_path / "cache")
    assert str(err.value).startswith(f"{bad}: not a usable OpenStreetMap extract ({why}")
    assert "\n" not in str(err.value)
    kept = [p for p in (tmp_path / "cache" / "osm").iterdir() if p.is_dir()]
    assert kept == []  # nothing half-prepared is left


def test_plan_with_an_unusable_or_missing_extract_exits_1(tmp_path: Path) -> None:
    """Through the CLI: exit 1 and one line naming the file."""
    day = tmp_path / "day"
    write_day(day, MAIN[:3], [("A1", MAIN[5], "car", "")])
    config = config_toml(tmp_path)
    bad = tmp_path / "notes.osm.pbf"
    bad.write_text("not OSM data\n")
    res = plan(day, tmp_path / "out", config, "--travel", f"osm:{bad}", "-q")
    assert res.exit_code == 1
    assert res.output.startswith(f"Error: {bad}: not a usable OpenStreetMap extract (osrm-extract:")
    assert res.output.count("\n") == 1
    res = plan(day, tmp_path / "out", config, "--travel", f"osm:{tmp_path / 'no.osm.pbf'}", "-q")
    assert (res.exit_code, res.output) == (
        1,
        f"Error: {tmp_path / 'no.osm.pbf'}: OpenStreetMap extract not found\n",
    )


def test_plan_check_and_map_on_road_times(tmp_path: Path) -> None:
    """plan --travel osm: off-road places dropped, check with the plan's model, map on roads."""
    day = tmp_path / "day"
    agents = [("A1", MAIN[10], "car", ""), ("S1", AT_SEA, "car", "")]  # S1's base: at sea
    write_day(day, [*MAIN[:8], AT_SEA, ISOLATED], agents)
    config = config_toml(tmp_path)
    out = tmp_path / "plan"
    res = plan(day, out, config, "--travel", f"osm:{HELSINKI_PBF}")
    assert res.exit_code == 0, res.output
    assert "travel (osm, car): 11 places" in res.output  # H09 and S1's base are one place
    assert "agent S1: no road route from its start or to its end (" in res.output
    dropped = read(out, "dropped.csv").set_index("account_id")
    assert dropped.loc["H09", "reason"] == "no_road_route"  # at sea
    assert "m from the nearest road (more than max_snap_m 500)" in dropped.loc["H09", "detail"]
    assert dropped.loc["H10", "reason"] == "no_road_route"  # a road cut off from the rest
    assert "no road route from any agent's start" in dropped.loc["H10", "detail"]
    visits = read(out, "itineraries.csv").query("kind == 'visit'")
    assert set(visits["account_id"]) == {f"H{n:02d}" for n in range(1, 9)}
    assert set(visits["agent_id"]) == {"A1"}  # the agent based at sea gets no visits
    summary = json.loads((out / "summary.json").read_text())
    travel = summary["travel"]
    assert travel["provider"] == "osm" and travel["file"] == str(HELSINKI_PBF)
    assert travel["sha256"].startswith("b73e9c2c8205") and travel["profiles"] == ["car"]
    assert travel["fallback_used"] is False
    # the map draws the road path, not 10 straight segments
    routes = json.loads((out / "routes.geojson").read_text())
    (feature,) = routes["features"]
    assert feature["properties"]["agent_id"] == "A1"
    assert len(feature["geometry"]["coordinates"]) > 30
    html = (out / "map.html").read_text()
    lon, lat = feature["geometry"]["coordinates"][15]
    assert f"[{lat}, {lon}]" in html
    # check re-checks with the plan's own model (osm), and a second check asks nothing new
    res = check(day, out, config)
    assert res.exit_code == 0, res.output
    assert "osm travel times" in res.output and "0 asked of the engine" in res.output
    # a dispatcher puts the cut-off account on the route: no road leads there
    itin = read(out, "itineraries.csv")
    first = itin.index[itin["kind"] == "visit"][0]
    moved = itin.loc[first, "account_id"]
    itin.loc[first, ["account_id", "lat", "lon"]] = ["H10", str(ISOLATED[0]), str(ISOLATED[1])]
    itin.to_csv(out / "itineraries.csv", index=False)
    res = check(day, out, config)
    assert res.exit_code == 1
    assert "account H10: [travel] no road route from the previous stop" in res.output
    assert f"account {moved}: [accounted]" in res.output
    # the same folder planned again on straight lines keeps no stale road paths (--force:
    # the itinerary was edited by hand, so it is moved to a backup first)
    assert plan(day, out, config, "-q", "--force").exit_code == 0
    assert not (out / "routes.geojson").exists()
    assert f"[{lat}, {lon}]" not in (out / "map.html").read_text()


def test_road_check_of_a_straight_line_plan_lists_every_late_arrival(tmp_path: Path) -> None:
    """A plan made at 200 km/h in straight lines, re-checked on roads: each late arrival listed."""
    day = tmp_path / "day"
    write_day(day, MAIN[:8], [("A1", MAIN[10], "car", "200")])
    config = config_toml(tmp_path)
    out = tmp_path / "plan"
    assert plan(day, out, config, "-q").exit_code == 0
    assert check(day, out, config).exit_code == 0  # its own (straight-line) times hold
    res = check(day, out, config, "--travel", f"osm:{HELSINKI_PBF}")
    assert res.exit_code == 1
    late = [ln for ln in res.output.splitlines() if "[travel]" in ln]
    assert late and all(ln.endswith("min late") for ln in late)
    assert res.output.rstrip().endswith(f"violation(s) in {out} (checked with osm travel times)")
    assert f"Error: {len(late)} violation(s)" in res.output


def test_mixed_travel_modes(tmp_path: Path) -> None:
    """A car and a foot agent: each leg of the walker is timed and measured on foot paths."""
    day = tmp_path / "day"
    agents = [("A1", MAIN[10], "car", ""), ("W1", MAIN[10], "foot", "")]
    write_day(day, MAIN[:10], agents, max_visits={"A1": 4})
    config = config_toml(tmp_path)
    out = tmp_path / "plan"
    res = plan(day, out, config, "--travel", f"osm:{HELSINKI_PBF}", "-q")
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["travel"]["profiles"] == ["car", "foot"]
    itin = read(out, "itineraries.csv")
    walk = itin[(itin["agent_id"] == "W1") & (itin["kind"] != "break")]
    assert (walk["kind"] == "visit").sum() >= 1
    pts = Points.of(walk["lat"].astype(float), walk["lon"].astype(float))
    with OsmModel(HELSINKI_PBF, cache_root=cache_dir(), osrm_bin=str(need_osrm().bin_dir)) as m:
        on_foot = m.matrix(pts, TravelProfile("foot"))
        car = m.matrix(pts, TravelProfile("car")).durations_s
    foot = on_foot.durations_s
    n = len(walk)
    legs = [foot[i, i + 1] for i in range(n - 1)]
    shown = walk["travel_min"].astype(float).tolist()[1:]
    assert shown == [round(s / 60, 1) for s in legs]
    km = walk["travel_km"].astype(float).tolist()[1:]
    assert km == [round(int(on_foot.distances_m[i, i + 1]) / 1000, 2) for i in range(n - 1)]
    assert sum(legs) > sum(car[i, i + 1] for i in range(n - 1))  # walking is slower
    assert check(day, out, config).exit_code == 0


def test_check_refuses_a_changed_extract(tmp_path: Path) -> None:
    """The plan's extract changed since: check says so instead of checking other times."""
    pbf = tmp_path / "city.osm.pbf"
    shutil.copy(HELSINKI_PBF, pbf)
    day = tmp_path / "day"
    write_day(day, MAIN[:3], [("A1", MAIN[10], "car", "")])
    config = config_toml(tmp_path)
    out = tmp_path / "plan"
    assert plan(day, out, config, "--travel", f"osm:{pbf}", "-q").exit_code == 0
    pbf.write_bytes(pbf.read_bytes() + b"\0")
    res = check(day, out, config)
    assert res.exit_code == 1
    assert f"the plan was made with {pbf} (sha256 b73e9c2c8205...), which has changed" in res.output


def test_missing_osrm_is_one_line_saying_how_to_install(tmp_path: Path) -> None:
    """osrm_bin pointing at a folder without OSRM: exit 1, one line naming it and the fix."""
    day = tmp_path / "day"
    write_day(day, MAIN[:3], [("A1", MAIN[10], "car", "")])
    empty = tmp_path / "no-osrm"
    empty.mkdir()
    config = tmp_path / "routeplan.toml"
    config.write_text(f'[travel]\ncache_dir = "{tmp_path / "cache"}"\nosrm_bin = "{empty}"\n')
    res = plan(day, tmp_path / "out", config, "--travel", f"osm:{HELSINKI_PBF}", "-q")
    assert res.exit_code == 1
    assert res.output == (
        f"Error: {empty} ([travel] osrm_bin): no OSRM executables there; run `bash "
        "scripts/osrm-setup.sh` (installs them into .venv/osrm), or `pip install "
        "osrm-bindings` on Python >= 3.12, or set ROUTEPLAN_OSRM_BIN or [travel] osrm_bin "
        "to their folder\n"
    )
