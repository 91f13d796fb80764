"""Small CLI helpers shared by the plan-folder tests (tiny day, CliRunner)."""

from __future__ import annotations

from pathlib import Path

import click
import pandas as pd
from click.testing import CliRunner

from routeplan.cli import main

DATE = "2026-12-01"


def run(*args: str | Path) -> click.testing.Result:
    """Invoke the CLI; ``result.stderr`` holds the notices apart from stdout."""
    return CliRunner().invoke(main, [str(a) for a in args])


def plan_tiny(tiny: Path, out: Path, *extra: str) -> click.testing.Result:
    """Plan the tiny day into ``out`` within a one-second solver limit."""
    return run(
        "plan",
        "--accounts",
        tiny / "accounts.csv",
        "--agents",
        tiny / "agents.csv",
        "--date",
        DATE,
        "--out",
        out,
        "--time-limit",
        "1",
        "--no-geocode",
        "-q",
        *extra,
    )


def check_tiny(tiny: Path, out: Path) -> click.testing.Result:
    """Re-check a plan folder against the tiny inputs."""
    return run(
        "check",
        "--accounts",
        tiny / "accounts.csv",
        "--agents",
        tiny / "agents.csv",
        "--date",
        DATE,
        out,
    )


def read(path: Path) -> pd.DataFrame:
    """Read a CSV routeplan wrote (byte-order mark, every cell as text)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
