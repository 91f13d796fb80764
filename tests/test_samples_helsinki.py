"""The Helsinki sample day: reproducible from the real extract, and planned on road times."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from routeplan import schema
from routeplan.cli import main
from tests.osrm_support import HELSINKI_PBF, cache_dir, helsinki_config_toml, need_osrm

HELSINKI = Path(__file__).resolve().parents[1] / "data" / "samples" / "helsinki"


def test_generator_reproduces_the_committed_day(tmp_path: Path) -> None:
    """Regenerating (OSRM's nearest service on the extract) gives the committed bytes."""
    tools = need_osrm()
    script = str(HELSINKI / "generate.py")
    subprocess.run(
        [sys.executable, script, "--out", str(tmp_path), "--cache", str(cache_dir())],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "ROUTEPLAN_OSRM_BIN": str(tools.bin_dir)},
    )
    for name in ("accounts.csv", "agents.csv"):
        assert (tmp_path / name).read_bytes() == (HELSINKI / name).read_bytes(), name


def test_sample_day_has_every_contract_column() -> None:
    """Accounts and agents carry every contract column; agents use three travel modes."""
    accounts = pd.read_csv(HELSINKI / "accounts.csv", dtype=str, keep_default_na=False)
    agents = pd.read_csv(HELSINKI / "agents.csv", dtype=str, keep_default_na=False)
    assert set(schema.ACCOUNT_REQUIRED + schema.ACCOUNT_OPTIONAL) <= set(accounts.columns)
    assert set(schema.AGENT_REQUIRED + schema.AGENT_OPTIONAL) <= set(agents.columns)
    assert len(accounts) == 150 and accounts["account_id"].is_unique
    assert sorted(agents["travel_mode"].value_counts().items()) == [
        ("bicycle", 1),
        ("car", 3),
        ("foot", 2),
    ]


def test_demo_road_plans_and_checks(tmp_path: Path) -> None:
    """What make demo-road runs: a plan on road times that its own check passes."""
    config = helsinki_config_toml(tmp_path)
    out = tmp_path / "plan"
    files = ["--accounts", HELSINKI / "accounts.csv", "--agents", HELSINKI / "agents.csv"]
    res = CliRunner().invoke(
        main,
        [
            str(a)
            for a in (
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
        ],
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["jurisdiction"] == "UK"
    assert summary["travel"]["profiles"] == ["car", "foot", "bicycle"]
    assert summary["counts"]["planned"] > 30
    assert summary["dropped_by_reason"].get("no_road_route", 0) == 0  # all on the road network
    routes = json.loads((out / "routes.geojson").read_text())
    assert len(routes["features"]) == summary["counts"]["agents_with_visits"]
    res = CliRunner().invoke(main, ["check", *map(str, files), "--config", str(config), str(out)])
    assert res.exit_code == 0, res.output
