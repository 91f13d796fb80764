"""``routeplan retime`` on a plan made on road times re-times the edited legs on the roads."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from routeplan.config import load_config
from routeplan.travel import Points, travel_model
from tests.helpers import read_csv, run
from tests.osrm_support import HELSINKI_PBF, helsinki_config_toml, need_osrm

HELSINKI = Path(__file__).resolve().parents[1] / "data" / "samples" / "helsinki"


def test_reversed_route_is_retimed_with_the_plans_road_model(tmp_path: Path) -> None:
    """An agent's second stop deleted by hand: each leg's minutes and km are OSRM's for the
    new route (not straight lines), the summary still names the extract, and check passes."""
    need_osrm()
    acc = pd.read_csv(HELSINKI / "accounts.csv", dtype=str, keep_default_na=False)
    ag = pd.read_csv(HELSINKI / "agents.csv", dtype=str, keep_default_na=False)
    ag = ag[ag["travel_mode"] == "car"]
    acc.to_csv(tmp_path / "accounts.csv", index=False)
    ag.to_csv(tmp_path / "agents.csv", index=False)
    config = helsinki_config_toml(tmp_path)
    files = ("--accounts", tmp_path / "accounts.csv", "--agents", tmp_path / "agents.csv")
    out = tmp_path / "plan"
    planned = run(
        "plan",
        *files,
        "--date",
        "2026-12-01",
        "--config",
        config,
        "--no-geocode",
        "--time-limit",
        "2",
        "--travel",
        f"osm:{HELSINKI_PBF}",
        "--out",
        out,
        "-q",
    )
    assert planned.exit_code == 0, planned.output
    it = read_csv(out / "itineraries.csv")
    visits = it[it["kind"] == "visit"]
    agent = visits["agent_id"].value_counts().index[0]
    mine = visits[visits["agent_id"] == agent]
    assert len(mine) >= 3
    removed = mine["account_id"].iloc[1]
    order = [a for a in mine["account_id"] if a != removed]
    it[it["account_id"] != removed].to_csv(out / "itineraries.csv", index=False)

    res = run("retime", out)
    assert res.exit_code == 0, res.output
    rows = read_csv(out / "itineraries.csv")
    rows = rows[(rows["agent_id"] == agent) & (rows["kind"] == "visit")]
    assert rows["account_id"].tolist() == order
    place = acc.set_index("account_id")
    base = ag.set_index("agent_id").loc[agent]
    lat = [float(base["base_lat"])] + [float(place.loc[a, "lat"]) for a in order]
    lon = [float(base["base_lon"])] + [float(place.loc[a, "lon"]) for a in order]
    cfg = load_config(config)
    with travel_model(cfg.travel, provider=f"osm:{HELSINKI_PBF}") as model:
        road = model.matrix(Points.of(lat, lon), model.profile("car", None))
    with travel_model(cfg.travel, provider="haversine") as model:
        line = model.matrix(Points.of(lat, lon), model.profile("car", None))
    legs = list(zip(range(len(order)), range(1, len(order) + 1), strict=True))
    expect_min = [round(int(road.durations_s[i, j]) / 60, 1) for i, j in legs]
    expect_km = [round(int(road.distances_m[i, j]) / 1000, 2) for i, j in legs]
    assert rows["travel_min"].astype(float).tolist() == expect_min
    assert rows["travel_km"].astype(float).tolist() == expect_km
    assert expect_min != [round(int(line.durations_s[i, j]) / 60, 1) for i, j in legs]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["travel"]["provider"] == "osm"
    assert summary["retime"]["violations"] == 0
    assert removed in read_csv(out / "dropped.csv")["account_id"].tolist()
    checked = run("check", *files, "--config", config, out)
    assert checked.exit_code == 0, checked.output
    assert "osm travel times" in checked.output
