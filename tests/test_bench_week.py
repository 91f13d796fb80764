"""The week benchmark's own parts: the recovery bound and the shaped week.

The bound is what the benchmark's verdict rests on (no plan can exceed it),
so it is checked by hand on a tiny week and against real plans.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from benchmarks.week import FIRST, evaluate, greedy, make_inputs, recovery_bound, shape_week
from routeplan.config import Config
from routeplan.formats import WEEKDAYS, WeekWindows
from routeplan.io.readers import DAY_WINDOWS, parse_agents, parse_availability
from routeplan.scoring import score_accounts
from routeplan.week import plan_horizon


def _agents(rows: list[dict[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, dtype=object)
    frame["credential_id"] = [f"C{i}" for i in range(len(frame))]
    frame["credential_expiry"] = "2027-12-31"
    return parse_agents(frame).frame


def _agent(agent_id: str, start: str, end: str, max_visits: str) -> dict[str, str]:
    return {
        "agent_id": agent_id,
        "name": agent_id,
        "base_lat": "22.54",
        "base_lon": "114.06",
        "shift_start": start,
        "shift_end": end,
        "max_visits": max_visits,
    }


def test_bound_fills_the_earliest_days_with_the_most_valuable_accounts() -> None:
    """Two agents over two days: one may make 2 visits (max_visits 2 in a 9 h shift), the
    other 3 (a 90-minute shift holds 3 visits of 30 min; max_visits empty). Each day holds
    5; of 12 accounts the 5 most valuable fill day 1, the next 5 day 2 at 97 %."""
    base = make_inputs(12, 1, 7)
    inputs = dataclasses.replace(
        base,
        agents=_agents([_agent("A", "09:00", "18:00", "2"), _agent("B", "09:00", "10:30", "")]),
    )
    cfg = Config()
    values = []
    for k in range(2):
        er = score_accounts(inputs.accounts, FIRST + dt.timedelta(days=k), cfg.scoring)
        values.append(dict(zip(er["account_id"], er["expected_recovery"], strict=True)))
    best = sorted((max(v[a] for v in values) for a in values[0]), reverse=True)
    expected = sum(best[:5]) + 0.97 * sum(best[5:10])
    # each value is rounded up to the cent
    assert recovery_bound(inputs, 2, cfg) == pytest.approx(expected, abs=0.1)
    row = {"date": FIRST.isoformat(), "agent_id": "B", "off": "yes"}
    off = parse_availability(pd.DataFrame([row], dtype=object), inputs.agents).frame
    # B off on day 1: day 1 holds A's 2, day 2 holds 5
    assert recovery_bound(inputs, 2, cfg, off) == pytest.approx(
        sum(best[:2]) + 0.97 * sum(best[2:7]), abs=0.1
    )


def test_bound_keeps_an_account_to_the_days_it_may_be_visited() -> None:
    """One visit a day, two days, two accounts: the more valuable one is under a promise due
    on day 1, so it is eligible from day 2 only. The bound puts the other on day 1 and it on
    day 2 (other + 0.97 x it), not it first (it + 0.97 x other), which is more and which no
    plan can do."""
    base = make_inputs(2, 1, 7)
    cfg = Config()
    er = score_accounts(base.accounts, FIRST, cfg.scoring).set_index("account_id")
    big, small = er["expected_recovery"].sort_values(ascending=False).index
    accounts = base.accounts.copy()
    accounts["ptp_date"] = [
        pd.Timestamp(FIRST) if a == big else pd.NaT for a in accounts["account_id"]
    ]
    inputs = dataclasses.replace(
        base, accounts=accounts, agents=_agents([_agent("A", "09:00", "18:00", "1")])
    )
    value = er["expected_recovery"]
    assert value[big] > value[small]
    bound = recovery_bound(inputs, 2, cfg)
    assert bound == pytest.approx(value[small] + 0.97 * value[big], abs=0.02)
    assert bound < value[big] + 0.97 * value[small]


def test_bound_is_never_below_a_plan() -> None:
    """The week plan and day-by-day planning both stay at or under the bound."""
    inputs, availability = shape_week(60, 2, 3, 5)
    cfg = Config().replace(solver__time_limit_s=2.0, solver__solution_limit=30)
    bound = recovery_bound(inputs, 3, cfg, availability)
    decay = cfg.week.prize_decay_per_day
    week = plan_horizon(inputs, FIRST, 3, cfg, availability=availability)
    by_day = greedy(inputs, 3, cfg.replace(solver__time_limit_s=0.7), availability)
    for plans in (list(week.days), by_day):
        value = evaluate(plans, decay)
        assert value["visits"] > 0
        assert value["discounted_er"] <= bound + 1


def test_shaped_week_restricts_weekdays_promises_and_agents() -> None:
    """Weekday windows name only the horizon's weekdays, promises fall due inside it, and
    the availability rows are days off of known agents."""
    inputs, availability = shape_week(300, 10, 5, 2)
    horizon = {FIRST + dt.timedelta(days=k) for k in range(5)}
    names = {WEEKDAYS[d.weekday()] for d in horizon}
    weekly = [w for w in inputs.accounts[DAY_WINDOWS] if isinstance(w, WeekWindows)]
    assert 60 <= len(weekly) <= 140
    for w in weekly:
        days_on = {WEEKDAYS[d.weekday()] for d in horizon if w.days[d.weekday()]}
        assert len(days_on) == 2 and days_on <= names
    ptp = inputs.accounts["ptp_date"].dropna()
    assert 10 <= len(ptp) <= 60 and all(d.date() in horizon for d in ptp)
    assert not availability.empty and availability["off"].all()
    assert set(availability["agent_id"]) <= set(inputs.agents["agent_id"])
    assert set(availability["date"]) <= horizon
