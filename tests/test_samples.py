"""The bundled Shenzhen samples: reproducible, complete and with the intended mix."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from routeplan import schema
from routeplan.config import EligibilityConfig
from tests.helpers import PLAN_DATE, SAMPLES

GENERATOR = SAMPLES / "generate.py"
FILES = ("accounts.csv", "agents.csv", "outcomes_example.csv")
TRUE = {"true", "1", "yes"}
FALSE = {"false", "0", "no", ""}


def _run_generator(out: Path, *extra: str) -> None:
    subprocess.run(
        [sys.executable, str(GENERATOR), "--out", str(out), *extra],
        check=True,
        capture_output=True,
        timeout=120,
    )


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(SAMPLES / name, dtype=str, keep_default_na=False, encoding="utf-8")


@pytest.fixture(scope="module")
def accounts() -> pd.DataFrame:
    """The committed accounts as text."""
    return _read("accounts.csv")


@pytest.fixture(scope="module")
def agents() -> pd.DataFrame:
    """The committed agents as text."""
    return _read("agents.csv")


@pytest.fixture(scope="module")
def outcomes() -> pd.DataFrame:
    """The committed outcome example as text."""
    return _read("outcomes_example.csv")


def test_generator_reproduces_committed_files(tmp_path: Path) -> None:
    """Two runs give identical bytes, equal to the committed files."""
    first, second = tmp_path / "a", tmp_path / "b"
    _run_generator(first)
    _run_generator(second)
    for name in FILES:
        fresh = (first / name).read_bytes()
        assert fresh == (second / name).read_bytes(), f"{name} differs between two runs"
        assert fresh == (SAMPLES / name).read_bytes(), (
            f"committed {name} is stale: run python data/samples/generate.py"
        )


def test_generator_seed_changes_data(tmp_path: Path) -> None:
    """Another seed gives another portfolio (the seed is really used)."""
    _run_generator(tmp_path, "--seed", "7")
    assert (tmp_path / "accounts.csv").read_bytes() != (SAMPLES / "accounts.csv").read_bytes()


def test_files_have_every_contract_column(
    accounts: pd.DataFrame, agents: pd.DataFrame, outcomes: pd.DataFrame
) -> None:
    """Each file carries all required and optional contract columns."""
    assert set(schema.ACCOUNT_REQUIRED + schema.ACCOUNT_OPTIONAL) <= set(accounts.columns)
    assert set(schema.AGENT_REQUIRED + schema.AGENT_OPTIONAL) <= set(agents.columns)
    assert set(schema.OUTCOME_COLUMNS) <= set(outcomes.columns)


def test_sizes_and_unique_ids(accounts: pd.DataFrame, agents: pd.DataFrame) -> None:
    """At least 1,500 accounts and exactly 25 agents, with unique non-empty ids."""
    assert len(accounts) >= 1500
    assert len(agents) == 25
    for frame, col in ((accounts, schema.ACCOUNT_ID), (agents, schema.AGENT_ID)):
        assert (frame[col].str.strip() != "").all()
        assert frame[col].is_unique


def test_exactly_one_expired_credential(agents: pd.DataFrame) -> None:
    """One agent's credential expired before the plan date; all others are valid."""
    expiry = agents[schema.CREDENTIAL_EXPIRY].map(dt.date.fromisoformat)
    assert (expiry < PLAN_DATE).sum() == 1
    assert agents[schema.CREDENTIAL_ID].str.fullmatch(r"SZ-COL-2026-\d{4}").all()
    assert agents[schema.CREDENTIAL_ID].is_unique


def test_some_accounts_need_geocoding(accounts: pd.DataFrame) -> None:
    """Some accounts have empty lat/lon (both empty together) but an address."""
    missing = (accounts[schema.LAT] == "") | (accounts[schema.LON] == "")
    assert 20 <= missing.sum() <= 80
    assert ((accounts[schema.LAT] == "") == (accounts[schema.LON] == "")).all()
    assert (accounts.loc[missing, schema.ADDRESS].str.startswith("深圳市")).all()


def test_coordinates_lie_in_shenzhen(accounts: pd.DataFrame, agents: pd.DataFrame) -> None:
    """Every given coordinate is inside Shenzhen's bounding box."""
    have = accounts[accounts[schema.LAT] != ""]
    lat = have[schema.LAT].astype(float)
    lon = have[schema.LON].astype(float)
    assert lat.between(22.45, 22.87).all() and lon.between(113.75, 114.45).all()
    assert agents[schema.BASE_LAT].astype(float).between(22.45, 22.87).all()
    assert agents[schema.BASE_LON].astype(float).between(113.75, 114.45).all()
    # Spread over the districts, not one blob: all eight appear in addresses.
    for district in ("福田", "罗湖", "南山", "宝安", "龙岗", "龙华", "光明", "坪山"):
        assert accounts[schema.ADDRESS].str.contains(f"深圳市{district}区").sum() >= 20


def test_account_values_are_in_contract_ranges(accounts: pd.DataFrame) -> None:
    """Numbers, dates, booleans, windows and languages parse and have the intended mix."""
    balance = accounts[schema.BALANCE].astype(float)
    assert (balance >= 0).all() and (balance > 100000).sum() >= 20 and balance.max() <= 1e6
    dpd = accounts[schema.DAYS_PAST_DUE].astype(int)
    assert dpd.between(0, 900).all()
    assert accounts[schema.CONTACT_ATTEMPTS_30D].astype(int).between(0, 15).all()
    assert (accounts[schema.BROKEN_PROMISES].replace("", "0").astype(int)).between(0, 4).all()
    assert (accounts[schema.VISITS_90D].replace("", "0").astype(int)).between(0, 4).all()
    for col in (schema.HARDSHIP, schema.DISPUTE, schema.DO_NOT_VISIT):
        assert accounts[col].str.lower().isin(TRUE | FALSE).all(), col
    hardship = accounts[schema.HARDSHIP].str.lower().isin(TRUE).mean()
    assert 0.05 <= hardship <= 0.12
    for col in (schema.LAST_PAYMENT_DATE, schema.PTP_DATE, schema.LAST_VISIT_DATE):
        dates = accounts.loc[accounts[col] != "", col]
        assert len(dates) > 0 and dates.map(dt.date.fromisoformat).notna().all()
    ptp = accounts.loc[accounts[schema.PTP_DATE] != "", schema.PTP_DATE]
    assert (ptp >= PLAN_DATE.isoformat()).any() and (ptp < PLAN_DATE.isoformat()).any()
    window = r"\d\d:\d\d-\d\d:\d\d"
    windows = accounts[schema.VISIT_WINDOWS]
    assert windows.str.fullmatch(rf"(|{window}(;{window})*)").all()
    assert 0.3 <= (windows == "").mean() <= 0.5
    assert windows.str.contains(r"^0[67]:|22:\d\d-23").any(), "no window outside legal hours"
    langs = accounts[schema.LANGUAGE].value_counts()
    assert set(langs.index) == {"zh", "yue", "en", "hak"}
    assert langs["zh"] > langs["yue"] > langs["en"] > 0 and langs["hak"] >= 5


def test_nobody_speaks_hakka(agents: pd.DataFrame) -> None:
    """Hakka accounts exist to be dropped for lack of skill: no agent has ``hak``."""
    skills = agents[schema.SKILLS].str.split(";").explode()
    assert "hak" not in set(skills)
    assert {"zh", "yue", "en", "senior"} <= set(skills)


def _eligible_by_default(accounts: pd.DataFrame) -> pd.Series:
    rules = EligibilityConfig()
    lower = {c: accounts[c].str.lower() for c in (schema.DISPUTE, schema.DO_NOT_VISIT)}
    ptp = accounts[schema.PTP_DATE]
    last_visit = (
        accounts[schema.LAST_VISIT_DATE].replace("", "1900-01-01").map(dt.date.fromisoformat)
    )
    days_since_visit = last_visit.map(lambda d: (PLAN_DATE - d).days)
    return (
        (accounts[schema.LAT] != "")
        & (accounts[schema.DAYS_PAST_DUE].astype(int) >= rules.min_days_past_due)
        & (accounts[schema.BALANCE].astype(float) >= rules.min_balance)
        & (accounts[schema.CONTACT_ATTEMPTS_30D].astype(int) >= rules.min_contact_attempts_30d)
        & ~lower[schema.DISPUTE].isin(TRUE)
        & ~lower[schema.DO_NOT_VISIT].isin(TRUE)
        & ~((ptp != "") & (ptp >= PLAN_DATE.isoformat()))
        & (days_since_visit >= rules.min_days_since_visit)
        & (accounts[schema.VISITS_90D].replace("", "0").astype(int) < rules.max_visits_90d)
    )


def test_default_rules_leave_a_realistic_workload(accounts: pd.DataFrame) -> None:
    """Between 500 and 800 accounts pass the default eligibility rules."""
    assert 500 <= _eligible_by_default(accounts).sum() <= 800


def test_eligible_accounts_exercise_every_drop_path(accounts: pd.DataFrame) -> None:
    """Among eligible accounts some need Hakka, some only have unlawful hours, some a senior."""
    eligible = accounts[_eligible_by_default(accounts)]
    assert (eligible[schema.LANGUAGE] == "hak").sum() >= 3
    unlawful_only = eligible[schema.VISIT_WINDOWS].str.fullmatch(r"(0[0-7]|2[2-3]):\d\d-\d\d:\d\d")
    assert unlawful_only.sum() >= 3
    assert (eligible[schema.BALANCE].astype(float) >= 100000).sum() >= 10


def test_outcomes_reference_sample_ids(
    outcomes: pd.DataFrame, accounts: pd.DataFrame, agents: pd.DataFrame
) -> None:
    """About 30 outcomes for the plan date, every code, known ids, amounts where due."""
    assert 25 <= len(outcomes) <= 40
    assert set(outcomes[schema.OUTCOME]) == set(schema.COMMON_OUTCOME_CODES)
    assert (outcomes[schema.VISIT_DATE] == PLAN_DATE.isoformat()).all()
    assert outcomes[schema.ACCOUNT_ID].isin(accounts[schema.ACCOUNT_ID]).all()
    valid_agents = agents.loc[
        agents[schema.CREDENTIAL_EXPIRY] >= PLAN_DATE.isoformat(), schema.AGENT_ID
    ]
    assert outcomes[schema.AGENT_ID].isin(valid_agents).all()
    paid = outcomes[outcomes[schema.OUTCOME].isin(["paid", "partial_payment"])]
    assert (paid[schema.AMOUNT_PAID].astype(float) > 0).all()
    ptp = outcomes[outcomes[schema.OUTCOME] == "ptp"]
    assert (ptp[schema.PTP_DATE] > PLAN_DATE.isoformat()).all()
    assert (ptp[schema.PTP_AMOUNT].astype(float) > 0).all()
    others = outcomes[~outcomes[schema.OUTCOME].isin(["paid", "partial_payment", "ptp"])]
    assert (others[[schema.AMOUNT_PAID, schema.PTP_DATE, schema.PTP_AMOUNT]] == "").all().all()


@pytest.mark.parametrize("name", FILES)
def test_files_are_plain_utf8(name: str) -> None:
    """Files decode as UTF-8 without a BOM and use ``\\n`` line ends."""
    raw = (SAMPLES / name).read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" not in raw
    raw.decode("utf-8")
    assert re.match(rb"^[a-z_0-9,]+\n", raw)
