"""Eligibility rules on the tiny dataset, where every answer is known."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from routeplan.config import Config
from routeplan.eligibility import determine_eligibility, eligibility_funnel
from routeplan.io.readers import read_accounts
from tests.helpers import TINY

DAY = dt.date(2026, 12, 1)


def _accounts() -> pd.DataFrame:
    return read_accounts(TINY / "accounts.csv").frame


def test_each_rule_excludes_with_its_reason() -> None:
    """Every failing rule gives its own row; eligible accounts have none."""
    r = determine_eligibility(_accounts(), DAY, Config())
    reasons = r.excluded.groupby("account_id")["reason"].apply(set).to_dict()
    assert reasons == {
        "ACC04": {"days_past_due_below_minimum"},
        "ACC05": {"disputed"},
        "ACC06": {"active_promise_to_pay"},
        "ACC07": {"visited_recently"},
        "ACC10": {"balance_below_minimum", "remote_contact_not_tried"},
        "ACC11": {"do_not_visit"},
        "ACC12": {"visit_cap_90d"},
    }
    assert sorted(r.eligible["account_id"]) == [
        "ACC01",
        "ACC02",
        "ACC03",
        "ACC08",
        "ACC09",
        "ACC13",
        "ACC14",
        "ACC15",
    ]
    detail = r.excluded.set_index("reason").loc["visited_recently", "detail"]
    assert "2026-11-28" in detail and "3 days ago" in detail


def test_thresholds_are_configurable() -> None:
    """Lowering min_days_past_due lets ACC04 in; hardship 'exclude' takes ACC13 out."""
    cfg = Config().replace(
        eligibility__min_days_past_due=30, eligibility__hardship_policy="exclude"
    )
    r = determine_eligibility(_accounts(), DAY, cfg)
    ids = set(r.eligible["account_id"])
    assert "ACC04" in ids and "ACC13" not in ids
    assert "hardship_policy_exclude" in set(r.excluded["reason"])


def test_promise_due_today_is_still_active() -> None:
    """A promise falling due on the plan date is active (no visit that day)."""
    r = determine_eligibility(_accounts(), dt.date(2026, 12, 5), Config())
    assert "ACC06" in set(r.excluded["account_id"])
    r = determine_eligibility(_accounts(), dt.date(2026, 12, 6), Config())
    assert "ACC06" not in set(r.excluded["account_id"])


def test_sunday_in_ireland_excludes_everyone() -> None:
    """IE forbids Sunday visits: every account gets the legal-day reason."""
    sunday = dt.date(2026, 11, 29)
    r = determine_eligibility(_accounts(), sunday, Config(jurisdiction="IE"))
    assert r.eligible.empty
    assert (r.excluded["reason"] == "no_visits_on_this_day").sum() == 15


def test_public_holiday_in_australia() -> None:
    """AU forbids national public holidays (Christmas Day)."""
    r = determine_eligibility(_accounts(), dt.date(2026, 12, 25), Config(jurisdiction="AU"))
    assert r.eligible.empty
    assert "public holiday" in r.excluded["detail"].iloc[-1]


def test_extra_exclusions_are_merged() -> None:
    """History exclusions join the rule results, one row per reason."""
    extra = pd.DataFrame(
        {"account_id": ["ACC01", "NOPE"], "reason": ["paid_in_full"] * 2, "detail": ["paid"] * 2}
    )
    r = determine_eligibility(_accounts(), DAY, Config(), extra_exclusions=extra)
    assert "ACC01" not in set(r.eligible["account_id"])
    assert "NOPE" not in set(r.excluded["account_id"])


def test_funnel_counts() -> None:
    """The funnel counts accounts per failing rule and the eligible remainder."""
    acc = _accounts()
    r = determine_eligibility(acc, DAY, Config())
    f = eligibility_funnel(acc, r.excluded).set_index("reason")["accounts"]
    assert f["eligible"] == 8 and f["balance_below_minimum"] == 1
