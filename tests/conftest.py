"""Shared fixtures: the hand-checkable tiny dataset, a fast config, a small history.

Only fixtures live here; the constants and helpers test modules import are in
``tests/helpers.py``.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from routeplan.config import Config
from routeplan.io.store import Store
from tests.helpers import PLAN_DATE, TINY, make_plan


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


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A history database holding the default plan of 2026-12-01 (A1, A2 by AG1; A3 by AG2)."""
    path = tmp_path / "h.db"
    with Store(path) as s:
        s.save_plan(**make_plan())  # type: ignore[arg-type]
    return path
