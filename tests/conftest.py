"""Shared fixtures: the hand-checkable tiny dataset, the samples, a fast config."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from routeplan.config import Config

ROOT = Path(__file__).resolve().parent.parent
TINY = Path(__file__).resolve().parent / "data" / "tiny"
SAMPLES = ROOT / "data" / "samples"
PLAN_DATE = dt.date(2026, 12, 1)


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A private copy of the tiny dataset (15 accounts, 3 agents)."""
    dest = tmp_path / "tiny"
    shutil.copytree(TINY, dest)
    return dest


@pytest.fixture
def fast_config() -> Config:
    """Default rules with a solver bounded for tests."""
    return Config().replace(solver__time_limit_s=2.0, geocode__provider="none")


@pytest.fixture
def plan_date() -> dt.date:
    """The date the tiny dataset and the samples are made for (a Tuesday)."""
    return PLAN_DATE
