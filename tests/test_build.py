"""Building the solver problem and diagnosing structural drops."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from routeplan.build import agent_status, build_problem, effective_windows
from routeplan.config import Config
from routeplan.eligibility import determine_eligibility
from routeplan.io.readers import read_accounts, read_agents
from routeplan.scoring import score_accounts
from tests.helpers import TINY

DAY = dt.date(2026, 12, 1)


def _built(config: Config | None = None, **kw: object):  # type: ignore[no-untyped-def]
    cfg = config or Config()
    acc = read_accounts(TINY / "accounts.csv").frame
    ag = read_agents(TINY / "agents.csv").frame
    el = determine_eligibility(acc, DAY, cfg).eligible
    sc = score_accounts(acc, DAY, cfg.scoring)
    el = el.merge(sc[["account_id", "priority", "expected_recovery"]], on="account_id")
    st = agent_status(ag, DAY, cfg)
    return st, build_problem(el, st.usable, cfg, **kw)  # type: ignore[arg-type]


def test_expired_credential_gets_no_visits() -> None:
    """A3's credential expired in January: it is not a vehicle, with the reason."""
    st, built = _built()
    assert list(st.unusable["agent_id"]) == ["A3"]
    assert "expired on 2026-01-01" in st.unusable["reason"].iloc[0]
    assert built.vehicle_agents == ("A1", "A2")


def test_structural_reasons() -> None:
    """Language, windows outside legal hours/shifts and distance each get their reason."""
    _, built = _built()
    reasons = dict(zip(built.dropped["account_id"], built.dropped["reason"], strict=True))
    assert reasons == {
        "ACC08": "no_agent_with_skill",
        "ACC09": "windows_outside_shifts_and_legal_hours",
        "ACC14": "windows_outside_shifts_and_legal_hours",
        "ACC15": "cannot_reach_and_return_within_shift",
    }
    assert set(built.visit_accounts) == {"ACC01", "ACC02", "ACC03", "ACC13"}


def test_skills_restrict_vehicles() -> None:
    """Cantonese ACC02 only with A2; the 150,000 balance of ACC03 needs senior A1."""
    _, built = _built()
    visits = {v.id: v for v in built.problem.visits}
    assert visits["ACC02"].allowed_vehicles == (1,)
    assert visits["ACC03"].allowed_vehicles == (0,)
    assert visits["ACC01"].allowed_vehicles is None


def test_windows_are_service_start_windows_inside_legal_hours() -> None:
    """09:00-12:00 with 30 min service allows starts 09:00-11:30 (seconds)."""
    _, built = _built()
    v = {v.id: v for v in built.problem.visits}["ACC02"]
    assert v.windows == ((9 * 3600, 11 * 3600 + 1800), (14 * 3600, 15 * 3600 + 1800))
    any_time = {v.id: v for v in built.problem.visits}["ACC01"]
    assert any_time.windows == ((8 * 3600, 21 * 3600 + 1800),)  # CN 08:00-22:00


def test_india_hours_cut_evening_windows() -> None:
    """Under IN (08:00-19:00) an 18:00-20:00 window keeps 18:00-19:00 only."""
    assert effective_windows(((1080, 1200),), (480, 1140)) == ((1080, 1140),)
    assert effective_windows((), (540, 1260)) == ((540, 1260),)


def test_prize_follows_expected_recovery_and_value_of_hour() -> None:
    """Skip penalty = expected recovery / value_of_hour x 3600 seconds."""
    _, built = _built(Config().replace(solver__value_of_hour=100.0))
    v = {v.id: v for v in built.problem.visits}["ACC03"]
    assert v.prize == int(150000 * 0.46 / 100 * 3600)


def test_avoid_window_only_when_something_remains() -> None:
    """An avoided time is removed from the windows unless nothing would remain."""
    _, built = _built(avoid_windows={"ACC02": (540, 720), "ACC01": (0, 1440)})
    v = {v.id: v for v in built.problem.visits}
    assert v["ACC02"].windows == ((14 * 3600, 15 * 3600 + 1800),)
    assert v["ACC01"].windows == ((8 * 3600, 21 * 3600 + 1800),)


def test_breaks_and_max_visits_reach_the_vehicle() -> None:
    """A1's 30-min break may start 12:00-13:00; max_visits 3."""
    _, built = _built()
    a1 = built.problem.vehicles[0]
    assert a1.break_window == (12 * 3600, 13 * 3600) and a1.break_s == 1800
    assert a1.max_visits == 3
    assert built.problem.num_nodes == 4 + 2  # four visits, one shared base, A2's end


def test_no_credential_id_is_unusable() -> None:
    """An agent with an empty credential_id gets no visits."""
    ag = read_agents(TINY / "agents.csv").frame
    ag.loc[0, "credential_id"] = ""
    st = agent_status(ag, DAY, Config())
    assert set(st.unusable["agent_id"]) == {"A1", "A3"}
    assert isinstance(st.usable, pd.DataFrame) and list(st.usable["agent_id"]) == ["A2"]
