"""Priority scoring: the points table is transparent and configurable."""

from __future__ import annotations

import datetime as dt

import pytest

from routeplan.config import ScoringConfig
from routeplan.io.readers import read_accounts
from routeplan.scoring import score_accounts
from tests.helpers import TINY

DAY = dt.date(2026, 12, 1)


def test_components_add_up_by_hand() -> None:
    """ACC03: 400 dpd -10, 2 broken +8, paid 30 days ago +12, ptp +6 -> 46 pts."""
    s = score_accounts(read_accounts(TINY / "accounts.csv").frame, DAY, ScoringConfig())
    row = s.set_index("account_id").loc["ACC03"]
    assert row["pts_days_past_due"] == -10
    assert row["pts_broken_promises"] == 8
    assert row["pts_last_payment"] == 12
    assert row["pts_contact_outcome"] == 6
    assert row["pts_hardship"] == 0
    assert row["points_total"] == 46
    assert row["probability"] == pytest.approx(0.46)
    assert row["expected_recovery"] == pytest.approx(150000 * 0.46)
    assert "broken promises +8" in row["explanation"]


def test_priority_is_a_percentile_and_highest_is_100() -> None:
    """Priority ranks expected recovery 0-100; the top account scores 100."""
    s = score_accounts(read_accounts(TINY / "accounts.csv").frame, DAY, ScoringConfig())
    top = s.sort_values("expected_recovery").iloc[-1]
    assert top["priority"] == 100
    assert s["priority"].between(0, 100).all()
    ranked = s.sort_values("expected_recovery")["priority"].tolist()
    assert ranked == sorted(ranked)


def test_weights_change_the_score() -> None:
    """Raising hardship points changes only hardship accounts; probability is clamped."""
    acc = read_accounts(TINY / "accounts.csv").frame
    base = score_accounts(acc, DAY, ScoringConfig()).set_index("account_id")
    more = score_accounts(acc, DAY, ScoringConfig(hardship_points=500)).set_index("account_id")
    assert more.loc["ACC13", "probability"] == pytest.approx(0.9)
    assert more.loc["ACC01", "probability"] == base.loc["ACC01", "probability"]


def test_never_paid_and_unknown_outcome() -> None:
    """No payment date scores never_paid_points; unknown outcomes score 0."""
    acc = read_accounts(TINY / "accounts.csv").frame
    acc.loc[acc["account_id"] == "ACC04", "last_contact_outcome"] = "something_new"
    s = score_accounts(acc, DAY, ScoringConfig()).set_index("account_id")
    assert s.loc["ACC04", "pts_last_payment"] == -8
    assert s.loc["ACC04", "pts_contact_outcome"] == 0


def test_why_today_lists_the_facts_behind_the_points() -> None:
    """why_today names the facts (not the formula): ACC03 400 days, 2 broken, paid 30 days ago.

    ACC02 has never paid, ACC13 declared hardship; an outcome that is not a code is left out.
    """
    acc = read_accounts(TINY / "accounts.csv").frame
    acc.loc[acc["account_id"] == "ACC01", "last_contact_outcome"] = "<b>rang; twice</b>"
    s = score_accounts(acc, DAY, ScoringConfig()).set_index("account_id")
    assert s.loc["ACC03", "why_today"] == (
        "days_past_due=400;broken_promises=2;last_payment_days=30;last_contact=ptp"
    )
    assert s.loc["ACC02", "why_today"] == (
        "days_past_due=200;broken_promises=1;last_payment_days=never;last_contact=refused"
    )
    assert s.loc["ACC13", "why_today"].endswith(";hardship=yes")
    assert s.loc["ACC01", "why_today"] == "days_past_due=120;last_payment_days=47"
