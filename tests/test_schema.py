"""Codes are enums (routeplan.schema): every code a plan writes is a member of its enum."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from routeplan import history as H
from routeplan import schema as S
from routeplan.check import check_plan_folder
from routeplan.config import Config
from routeplan.eligibility import determine_eligibility
from routeplan.io.readers import read_accounts
from routeplan.schema import DroppedReason, EventKind, ExcludedReason, Outcome, ViolationRule
from tests.helpers import TINY, plan_tiny, read_csv, run
from tests.test_history import DAY, accounts, apply, outcome


@pytest.fixture(scope="module")
def tiny_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny day planned by the CLI."""
    out = tmp_path_factory.mktemp("schema") / "plan"
    assert plan_tiny(TINY, out).exit_code == 0
    return out


def test_codes_in_the_plan_files_are_members(tiny_plan: Path) -> None:
    """Every kind, excluded reason and dropped reason the plan folder holds is an enum member."""
    kinds = set(read_csv(tiny_plan / "itineraries.csv")["kind"])
    assert {EventKind.START, EventKind.VISIT, EventKind.END} <= kinds <= set(EventKind)
    excluded = set(read_csv(tiny_plan / "excluded.csv")["reason"])
    dropped = set(read_csv(tiny_plan / "dropped.csv")["reason"])
    assert excluded and excluded <= set(ExcludedReason)
    assert dropped and dropped <= set(DroppedReason)


def test_every_eligibility_rule_writes_a_member() -> None:
    """Every rule failing (high thresholds, hardship excluded, an Irish Sunday) writes a member."""
    config = Config(jurisdiction="IE").replace(
        eligibility__min_days_past_due=10**6,
        eligibility__min_balance=1e12,
        eligibility__min_contact_attempts_30d=10**6,
        eligibility__max_visits_90d=0,
        eligibility__hardship_policy="exclude",
    )
    frame = read_accounts(TINY / "accounts.csv").frame
    sunday = dt.date(2026, 11, 29)  # ACC06's promise is still to come, ACC07 visited yesterday
    result = determine_eligibility(frame, sunday, config)
    written = set(result.excluded[S.REASON])
    assert written <= set(ExcludedReason)
    assert {ExcludedReason.DAYS_PAST_DUE, ExcludedReason.LEGAL_DAY} <= written
    assert len(written) == 10  # every rule of the eligibility stage


def test_every_history_reason_is_a_member() -> None:
    """Each outcome recorded yesterday excludes with a reason of ExcludedReason."""
    codes = list(Outcome)
    acc = accounts(*(f"X{i}" for i in range(len(codes))))
    yesterday = (DAY - dt.timedelta(days=1)).isoformat()
    rows = [
        outcome(
            f"X{i}",
            yesterday,
            code,
            amount=10000.0 if code in S.PAYMENT_OUTCOMES else float("nan"),
            ptp_date=(DAY + dt.timedelta(days=3)).isoformat() if code == Outcome.PTP else None,
            ptp_amount=500.0 if code == Outcome.PTP else float("nan"),
        )
        for i, code in enumerate(codes)
    ]
    adj = apply(acc, *rows)
    written = set(adj.exclusions[S.REASON])
    assert len(written) >= 10
    assert written <= set(ExcludedReason)
    assert set(H.HISTORY_REASONS) <= set(ExcludedReason)


def test_old_names_are_the_members() -> None:
    """The KIND_*, EX_* and DR_* names other code uses are the enum members themselves."""
    assert S.KIND_VISIT is EventKind.VISIT and S.EX_DISPUTE is ExcludedReason.DISPUTE
    assert S.DR_CAPACITY is DroppedReason.CAPACITY and H.EX_MOVED is ExcludedReason.MOVED
    assert EventKind.VISIT == "visit" and f"{DroppedReason.NO_SKILL}" == "no_agent_with_skill"


def test_violations_are_filtered_by_rule(tiny_plan: Path, tmp_path: Path) -> None:
    """A visit moved outside its windows: the checker's rules are members; filtering takes one."""
    folder = tmp_path / "plan"
    folder.mkdir()
    for name in ("excluded.csv", "dropped.csv", "summary.json", "plan_context.json"):
        (folder / name).write_bytes((tiny_plan / name).read_bytes())
    it = read_csv(tiny_plan / "itineraries.csv")
    visit = it.index[(it["kind"] == "visit") & (it["account_id"] == "ACC02")][0]
    it.loc[visit, ["arrival", "service_start", "service_end"]] = ["12:30", "12:30", "13:00"]
    it.to_csv(folder / "itineraries.csv", index=False)
    violations = check_plan_folder(folder)
    assert violations and all(isinstance(v.rule, ViolationRule) for v in violations)
    windows = [v for v in violations if v.rule is ViolationRule.WINDOW]
    assert [(v.account_id, v.rule) for v in windows] == [("ACC02", ViolationRule.WINDOW)]
    assert dataclasses.asdict(windows[0])["rule"] == "window"


def test_retime_report_rules_are_members(tiny_plan: Path, tmp_path: Path) -> None:
    """Every rule retime.csv lists is a ViolationRule (here the shift a late order overruns)."""
    folder = tmp_path / "plan"
    folder.mkdir()
    for path in tiny_plan.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    it = read_csv(folder / "itineraries.csv")
    it["agent_id"] = it["agent_id"].where(it["kind"] != "visit", "A2")
    it = it[(it["kind"] == "visit") | (it["agent_id"] != "A1")]
    it.to_csv(folder / "itineraries.csv", index=False)
    res = run("retime", folder)
    report = pd.read_csv(folder / "retime.csv", dtype=str, keep_default_na=False)
    assert res.exit_code == 1 and len(report) > 0, res.output
    assert set(report["rule"]) <= set(ViolationRule)
