"""Regions with a travel model each: one region on road times, another on straight lines."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.helpers import run
from tests.osrm_support import HELSINKI_PBF, helsinki_config_toml, need_osrm

HELSINKI = Path(__file__).resolve().parents[1] / "data" / "samples" / "helsinki"


def test_each_region_plans_and_checks_with_its_own_travel_model(tmp_path: Path) -> None:
    """regions.csv's travel column: the osm region is planned and checked on the extract's
    roads, the other on straight lines, and ``check --region-column`` reopens each model."""
    need_osrm()
    acc = pd.read_csv(HELSINKI / "accounts.csv", dtype=str, keep_default_na=False)
    ag = pd.read_csv(HELSINKI / "agents.csv", dtype=str, keep_default_na=False)
    ag["region"] = ["road" if m == "car" else "line" for m in ag["travel_mode"]]
    acc["region"] = ["road" if i % 2 == 0 else "line" for i in range(len(acc))]
    acc.to_csv(tmp_path / "accounts.csv", index=False)
    ag.to_csv(tmp_path / "agents.csv", index=False)
    (tmp_path / "regions.csv").write_text(
        "region,jurisdiction,timezone,travel\n"
        f"road,UK,Europe/Helsinki,osm:{HELSINKI_PBF}\n"
        "line,UK,Europe/Helsinki,haversine\n",
        encoding="utf-8",
    )
    config = helsinki_config_toml(tmp_path)
    files = ("--accounts", tmp_path / "accounts.csv", "--agents", tmp_path / "agents.csv")
    out = tmp_path / "out"
    planned = run(
        "plan",
        *files,
        "--regions",
        tmp_path / "regions.csv",
        "--workers",
        "0",
        "--date",
        "2026-12-01",
        "--config",
        config,
        "--no-geocode",
        "--time-limit",
        "1",
        "--out",
        out,
        "-q",
    )
    assert planned.exit_code == 0, planned.output
    travel = {
        region: json.loads((out / region / "summary.json").read_text())["travel"]
        for region in ("road", "line")
    }
    assert travel["road"]["provider"] == "osm"
    assert travel["road"]["file"] == str(HELSINKI_PBF)
    assert travel["line"]["provider"] == "haversine"
    for region in ("road", "line"):
        summary = json.loads((out / region / "summary.json").read_text())
        assert summary["counts"]["planned"] > 0, region
    checked = run("check", *files, "--config", config, "--region-column", "region", out)
    assert checked.exit_code == 0, checked.output
    assert checked.output.endswith(
        f"OK: 2 region plan(s) in {out} have no violation "
        "(checked with haversine and osm travel times)\n"
    )
