"""Tests for routeplan.history: recorded outcomes -> effects on the next plan."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from routeplan import history as H
from routeplan.config import HistoryConfig

DAY = dt.date(2026, 12, 10)
CFG = HistoryConfig()


def accounts(*ids: str, **overrides: object) -> pd.DataFrame:
    """Build parsed accounts with neutral values; overrides apply to every row."""
    base = {
        "debtor_name": "X",
        "address": "1 Main St",
        "lat": 22.5,
        "lon": 114.0,
        "balance": 10000.0,
        "days_past_due": 200,
        "contact_attempts_30d": 5,
        "last_contact_outcome": "",
        "last_payment_date": pd.NaT,
        "ptp_date": pd.NaT,
        "broken_promises": 0,
        "hardship": False,
        "dispute": False,
        "do_not_visit": False,
        "visit_windows": "",
        "windows": (),
        "language": "zh",
        "last_visit_date": pd.NaT,
        "visits_90d": 0,
    }
    rows = [{"account_id": a, **base, **overrides, "_row": i + 2} for i, a in enumerate(ids)]
    frame = pd.DataFrame(rows)
    for col in ("last_payment_date", "ptp_date", "last_visit_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def outcome(
    account: str,
    when: str,
    code: str,
    *,
    agent: str = "AG1",
    amount: float = math.nan,
    ptp_date: str | None = None,
    ptp_amount: float = math.nan,
    start_min: float = math.nan,
    address: str = "",
) -> dict[str, object]:
    return {
        "account_id": account,
        "agent_id": agent,
        "visit_date": pd.Timestamp(when),
        "outcome": code,
        "amount_paid": amount,
        "ptp_date": pd.Timestamp(ptp_date) if ptp_date else pd.NaT,
        "ptp_amount": ptp_amount,
        "notes": "",
        "visit_start_min": start_min,
        "visited_address": address,
    }


def apply(acc: pd.DataFrame, *rows: dict[str, object], day: dt.date = DAY, cfg=CFG):
    return H.apply_history(acc, pd.DataFrame(rows), day, cfg)


def reasons(adj: H.HistoryAdjustment, account: str) -> list[str]:
    ex = adj.exclusions
    return sorted(ex.loc[ex["account_id"] == account, "reason"])


def test_no_outcomes_changes_nothing() -> None:
    """Without history the accounts come back equal and nothing is excluded."""
    acc = accounts("A")
    adj = H.apply_history(acc, pd.DataFrame(), DAY, CFG)
    pd.testing.assert_frame_equal(adj.accounts, acc)
    assert adj.exclusions.empty
    assert list(adj.exclusions.columns) == ["account_id", "reason", "detail"]
    assert adj.avoid_windows == {}
    assert adj.broken_promise_accounts == frozenset()


def test_input_frame_is_not_modified() -> None:
    """apply_history is pure: the caller's accounts frame is left as it was."""
    acc = accounts("A")
    before = acc.copy()
    apply(acc, outcome("A", "2026-12-01", "partial_payment", amount=100.0))
    pd.testing.assert_frame_equal(acc, before)


def test_partial_payment_reduces_balance_and_stays() -> None:
    """A partial payment lowers the balance; the account is not paid in full."""
    adj = apply(accounts("A"), outcome("A", "2026-11-01", "partial_payment", amount=2500.0))
    assert adj.accounts.loc[0, "balance"] == pytest.approx(7500.0)
    assert adj.accounts.loc[0, "last_payment_date"] == pd.Timestamp("2026-11-01")
    assert H.EX_PAID_IN_FULL not in reasons(adj, "A")


def test_paid_in_full_excluded() -> None:
    """Payments reaching the balance leave the field list as paid_in_full."""
    adj = apply(
        accounts("A"),
        outcome("A", "2026-10-01", "partial_payment", amount=4000.0),
        outcome("A", "2026-11-01", "paid", amount=6000.0),
    )
    assert adj.accounts.loc[0, "balance"] == 0.0
    assert H.EX_PAID_IN_FULL in reasons(adj, "A")


def test_paid_less_than_balance_only_reduces() -> None:
    """A 'paid' record below the balance reduces it but does not close the account."""
    adj = apply(accounts("A"), outcome("A", "2026-10-01", "paid", amount=9000.0))
    assert adj.accounts.loc[0, "balance"] == pytest.approx(1000.0)
    assert H.EX_PAID_IN_FULL not in reasons(adj, "A")


def test_payment_already_in_portfolio_not_subtracted_twice() -> None:
    """A payment on or before the portfolio's last_payment_date is already in its balance."""
    acc = accounts("A", last_payment_date=pd.Timestamp("2026-11-05"))
    adj = apply(
        acc,
        outcome("A", "2026-11-05", "partial_payment", amount=3000.0),
        outcome("A", "2026-11-20", "partial_payment", amount=1000.0),
    )
    assert adj.accounts.loc[0, "balance"] == pytest.approx(9000.0)
    assert adj.accounts.loc[0, "last_payment_date"] == pd.Timestamp("2026-11-20")


def test_ptp_pending_until_grace_passes() -> None:
    """No visit until ptp_date + grace; the day after, the promise is broken."""
    acc = accounts("A")
    ptp = outcome("A", "2026-12-01", "ptp", ptp_date="2026-12-05", ptp_amount=500.0)
    cfg = HistoryConfig(contacted_gap_days=0)
    on_last_grace_day = apply(acc, ptp, day=dt.date(2026, 12, 8), cfg=cfg)
    assert reasons(on_last_grace_day, "A") == [H.EX_PTP_PENDING]
    assert "2026-12-09" in on_last_grace_day.exclusions.loc[0, "detail"]
    assert on_last_grace_day.accounts.loc[0, "broken_promises"] == 0

    after = apply(acc, ptp, day=dt.date(2026, 12, 9), cfg=cfg)
    assert reasons(after, "A") == []
    assert after.accounts.loc[0, "broken_promises"] == 1
    assert after.broken_promise_accounts == frozenset({"A"})


def test_ptp_kept_by_later_payment() -> None:
    """A promise followed by a payment of the promised amount is kept, not broken."""
    adj = apply(
        accounts("A"),
        outcome("A", "2026-10-01", "ptp", ptp_date="2026-10-05", ptp_amount=500.0),
        outcome("A", "2026-10-05", "partial_payment", amount=500.0, agent="AG2"),
    )
    assert adj.accounts.loc[0, "broken_promises"] == 0
    assert adj.broken_promise_accounts == frozenset()


def test_ptp_partly_paid_is_broken() -> None:
    """Paying less than promised does not keep the promise."""
    adj = apply(
        accounts("A"),
        outcome("A", "2026-10-01", "ptp", ptp_date="2026-10-05", ptp_amount=500.0),
        outcome("A", "2026-10-05", "partial_payment", amount=100.0, agent="AG2"),
    )
    assert adj.accounts.loc[0, "broken_promises"] == 1


def test_ptp_kept_by_portfolio_payment() -> None:
    """A portfolio last_payment_date after the promise counts as kept."""
    acc = accounts("A", last_payment_date=pd.Timestamp("2026-10-04"))
    adj = apply(acc, outcome("A", "2026-10-01", "ptp", ptp_date="2026-10-05"))
    assert adj.accounts.loc[0, "broken_promises"] == 0


def test_replaced_promise_not_broken() -> None:
    """A new promise taken before the first fell due replaces it."""
    adj = apply(
        accounts("A"),
        outcome("A", "2026-10-01", "ptp", ptp_date="2026-10-05"),
        outcome("A", "2026-10-06", "ptp", ptp_date="2026-10-20"),
    )
    assert adj.accounts.loc[0, "broken_promises"] == 1  # only the second broke
    book = H.promise_book(
        pd.DataFrame(
            [
                outcome("A", "2026-10-01", "ptp", ptp_date="2026-10-05"),
                outcome("A", "2026-10-06", "ptp", ptp_date="2026-10-20"),
            ]
        ),
        as_of=DAY,
        grace_days=3,
    )
    assert list(book["status"]) == [H.PROMISE_REPLACED, H.PROMISE_BROKEN]


def test_broken_promise_record_carried_until_debtor_met() -> None:
    """The broken-promise record stays due after a not_home, not after a contacted visit."""
    promise = outcome("A", "2026-09-01", "ptp", ptp_date="2026-09-05")
    adj = apply(accounts("A"), promise, outcome("A", "2026-10-20", "not_home"))
    assert adj.accounts.loc[0, "broken_promises"] == 1
    assert adj.broken_promise_accounts == frozenset({"A"})
    met = apply(accounts("A"), promise, outcome("A", "2026-10-20", "refused"))
    assert met.accounts.loc[0, "broken_promises"] == 1
    assert met.broken_promise_accounts == frozenset()


def test_not_home_cap_and_reopen_date() -> None:
    """Three unanswered attempts within 14 days exclude; the oldest leaving reopens."""
    acc = accounts("A")
    rows = [
        outcome("A", "2026-12-01", "not_home"),
        outcome("A", "2026-12-04", "not_home"),
        outcome("A", "2026-12-08", "not_home"),
    ]
    adj = apply(acc, *rows)
    assert reasons(adj, "A") == [H.EX_NOT_HOME_CAP]
    assert "retry from 2026-12-15" in adj.exclusions.loc[0, "detail"]
    assert reasons(apply(acc, *rows, day=dt.date(2026, 12, 15)), "A") == []
    assert reasons(apply(acc, *rows[:2]), "A") == []


def test_not_home_does_not_count_as_contacted_visit() -> None:
    """not_home neither triggers the 30-day gap nor moves last_visit_date."""
    adj = apply(accounts("A"), outcome("A", "2026-12-09", "not_home"))
    assert reasons(adj, "A") == []
    assert pd.isna(adj.accounts.loc[0, "last_visit_date"])
    assert adj.accounts.loc[0, "visits_90d"] == 0


def test_avoid_window_around_last_unanswered_attempt() -> None:
    """The time of the last unanswered attempt +/- 90 min is to be avoided."""
    adj = apply(accounts("A"), outcome("A", "2026-12-09", "not_home", start_min=10 * 60))
    assert adj.avoid_windows == {"A": (8 * 60 + 30, 11 * 60 + 30)}
    early = apply(accounts("A"), outcome("A", "2026-12-09", "not_home", start_min=30))
    assert early.avoid_windows["A"] == (0, 120)


def test_no_avoid_window_without_time_or_after_contact() -> None:
    """Unplanned attempts (no time) and a later contact give no window to avoid."""
    assert apply(accounts("A"), outcome("A", "2026-12-09", "not_home")).avoid_windows == {}
    adj = apply(
        accounts("A"),
        outcome("A", "2026-11-01", "not_home", start_min=600),
        outcome("A", "2026-11-02", "refused", start_min=700),
    )
    assert adj.avoid_windows == {}


def test_refused_waits_gap_days() -> None:
    """A refusal blocks contacted visits for contacted_gap_days, then allows them."""
    acc = accounts("A")
    row = outcome("A", "2026-12-01", "refused")
    adj = apply(acc, row, day=dt.date(2026, 12, 30))
    assert reasons(adj, "A") == [H.EX_REFUSED]
    assert "next from 2026-12-31" in adj.exclusions.loc[0, "detail"]
    assert reasons(apply(acc, row, day=dt.date(2026, 12, 31)), "A") == []


def test_contacted_gap_and_stricter_visit_fields() -> None:
    """A contacted visit sets last_visit_date/visits_90d when stricter and blocks 30 days."""
    acc = accounts("A", "B", last_visit_date=pd.Timestamp("2026-11-01"), visits_90d=1)
    acc.loc[1, "visits_90d"] = 5
    adj = apply(
        acc,
        outcome("A", "2026-11-20", "rescheduled"),
        outcome("A", "2026-10-01", "ptp", ptp_date="2026-10-02"),
        outcome("B", "2026-10-20", "refused"),
    )
    a, b = adj.accounts.iloc[0], adj.accounts.iloc[1]
    assert a["last_visit_date"] == pd.Timestamp("2026-11-20")
    assert a["visits_90d"] == 2
    assert b["last_visit_date"] == pd.Timestamp("2026-11-01")  # portfolio is later
    assert b["visits_90d"] == 5  # portfolio is stricter
    assert H.EX_CONTACTED in reasons(adj, "A")
    assert reasons(adj, "B") == []


def test_hardship_pause_and_flag() -> None:
    """Hardship pauses visits for hardship_pause_days and sets the hardship flag."""
    acc = accounts("A")
    row = outcome("A", "2026-11-15", "hardship")
    cfg = HistoryConfig(contacted_gap_days=0)
    adj = apply(acc, row, cfg=cfg)
    assert reasons(adj, "A") == [H.EX_HARDSHIP_PAUSE]
    assert bool(adj.accounts.loc[0, "hardship"]) is True
    later = apply(acc, row, day=dt.date(2026, 12, 15), cfg=cfg)
    assert reasons(later, "A") == []
    assert bool(later.accounts.loc[0, "hardship"]) is True


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("dispute", H.EX_DISPUTED),
        ("wrong_address", H.EX_WRONG_ADDRESS),
        ("moved", H.EX_MOVED),
        ("vulnerable", H.EX_VULNERABLE),
        ("represented", H.EX_REPRESENTED),
        ("no_visits_requested", H.EX_NO_VISITS_REQUESTED),
        ("asked_to_leave", H.EX_ASKED_TO_LEAVE),
        ("deceased", H.EX_DECEASED),
    ],
)
def test_blocking_outcomes_last_until_cleared(code: str, reason: str) -> None:
    """Blocking records exclude long after the contacted gap is over."""
    adj = apply(accounts("A"), outcome("A", "2025-01-01", code))
    assert reasons(adj, "A") == [reason]


def test_block_cleared_by_later_payment_record() -> None:
    """A later paid/ptp record clears a dispute; a later not_home does not."""
    cfg = HistoryConfig(contacted_gap_days=0)
    cleared = apply(
        accounts("A"),
        outcome("A", "2026-01-01", "dispute"),
        outcome("A", "2026-02-01", "partial_payment", amount=10.0),
        cfg=cfg,
    )
    assert reasons(cleared, "A") == []
    still = apply(
        accounts("A"),
        outcome("A", "2026-01-01", "dispute"),
        outcome("A", "2026-02-01", "not_home"),
        cfg=cfg,
    )
    assert reasons(still, "A") == [H.EX_DISPUTED]


def test_deceased_never_cleared() -> None:
    """deceased is permanent even after a later payment record."""
    adj = apply(
        accounts("A"),
        outcome("A", "2026-01-01", "deceased"),
        outcome("A", "2026-02-01", "partial_payment", amount=10.0),
        cfg=HistoryConfig(contacted_gap_days=0),
    )
    assert reasons(adj, "A") == [H.EX_DECEASED]


def test_moved_cleared_by_new_portfolio_address() -> None:
    """moved/wrong_address clear when the portfolio's address differs from the one visited."""
    old = outcome("A", "2026-12-01", "moved", address="1  Main st")
    same = apply(accounts("A", address="1 Main St"), old)
    assert reasons(same, "A") == [H.EX_MOVED]
    new = apply(accounts("A", address="9 New Road"), old)
    assert reasons(new, "A") == []


def test_future_outcomes_and_unknown_accounts_ignored() -> None:
    """Outcomes after the plan date or for accounts not in the portfolio do nothing."""
    adj = apply(
        accounts("A"),
        outcome("A", "2026-12-11", "dispute"),
        outcome("Z", "2026-12-01", "dispute"),
    )
    assert adj.exclusions.empty


def test_one_row_per_reason() -> None:
    """An account failing several rules has one exclusion row per rule."""
    adj = apply(
        accounts("A"),
        outcome("A", "2026-12-05", "hardship"),
        outcome("A", "2026-12-06", "dispute", agent="AG2"),
    )
    assert reasons(adj, "A") == sorted([H.EX_CONTACTED, H.EX_HARDSHIP_PAUSE, H.EX_DISPUTED])
    assert set(adj.exclusions["reason"]) <= set(H.HISTORY_REASONS)


def test_avoid_time_cuts_window_when_it_fits() -> None:
    """The avoided span is cut out, keeping pieces long enough for a visit."""
    got = H.avoid_time([(540, 720), (1080, 1200)], (570, 750), min_length_min=30)
    assert got == ((540, 570), (1080, 1200))
    longer = H.avoid_time([(540, 720), (1080, 1200)], (570, 750), min_length_min=31)
    assert longer == ((1080, 1200),)
    any_time = H.avoid_time((), (600, 780), min_length_min=30, day_start_min=480, day_end_min=1320)
    assert any_time == ((480, 600), (780, 1320))


def test_avoid_time_keeps_windows_when_nothing_left() -> None:
    """When only the avoided time fits a visit, the windows stay as they were."""
    windows = ((600, 660),)
    assert H.avoid_time(windows, (570, 750), min_length_min=30) == windows


def test_activity_report_counts() -> None:
    """The report counts planned/done visits, contacts, promises, money and km."""
    planned = pd.DataFrame({"agent_id": ["AG1", "AG1", "AG2"]})
    outs = pd.DataFrame(
        [
            {**outcome("A", "2026-12-01", "ptp", ptp_date="2026-12-02"), "planned": True},
            {**outcome("B", "2026-12-01", "not_home"), "planned": True},
            {**outcome("C", "2026-12-01", "paid", agent="AG2", amount=300.0), "planned": False},
            {
                **outcome("A", "2026-12-03", "partial_payment", agent="AG2", amount=50.0),
                "planned": True,
            },
        ]
    )
    km = pd.DataFrame({"agent_id": ["AG1", "AG2"], "km": [12.5, 7.25]})
    rep = H.activity_report(
        planned,
        outs,
        km,
        date_from=dt.date(2026, 12, 1),
        date_to=dt.date(2026, 12, 7),
        grace_days=3,
        agent_names={"AG1": "One"},
    ).set_index("agent_id")
    assert rep.loc["AG1", "visits_planned"] == 2
    assert rep.loc["AG1", "visits_done"] == 2
    assert rep.loc["AG1", "contacts"] == 1
    assert rep.loc["AG1", "contact_rate"] == 0.5
    assert rep.loc["AG1", "promises_taken"] == 1
    assert rep.loc["AG1", "promises_kept"] == 1
    assert rep.loc["AG1", "agent_name"] == "One"
    assert rep.loc["AG2", "amount_collected"] == 350.0
    assert rep.loc["AG2", "visits_done_unplanned"] == 1
    assert rep.loc["ALL", "visits_planned"] == 3
    assert rep.loc["ALL", "visits_done"] == 4
    assert rep.loc["ALL", "km_planned"] == pytest.approx(19.8)


def test_activity_report_counts_promises_paid_outside_visits() -> None:
    """A portfolio payment after a promise keeps it in the report (bank transfer)."""
    outs = pd.DataFrame(
        [{**outcome("A", "2026-12-01", "ptp", ptp_date="2026-12-02"), "planned": True}]
    )
    args = (pd.DataFrame({"agent_id": ["AG1"]}), outs, pd.DataFrame(columns=["agent_id", "km"]))
    kw = {"date_from": dt.date(2026, 12, 1), "date_to": dt.date(2026, 12, 9), "grace_days": 3}
    before = H.activity_report(*args, **kw).set_index("agent_id")  # type: ignore[arg-type]
    assert before.loc["AG1", "promises_kept"] == 0
    after = H.activity_report(  # type: ignore[arg-type]
        *args, **kw, portfolio_last_payment={"A": pd.Timestamp("2026-12-03")}
    ).set_index("agent_id")
    assert after.loc["AG1", "promises_kept"] == 1
