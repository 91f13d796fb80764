"""Repeat visits in the week plan: ``[week] max_visits_per_account``, ``min_days_between_visits``.

The tiny week of ``tests/test_plan_week.py``: Monday 2026-12-07 to Friday
2026-12-11 in Shenzhen (CN rules, visits every day), one agent A1 working
09:00-17:00 a few km from his debtors, so every day has room to spare unless
a test caps his visits. The other cooldowns are lowered to 1 day
(``[eligibility] min_days_since_visit``, ``[history] contacted_gap_days``)
unless a test is about them, so the week's own gap decides. Solver runs are
bounded (2 s, 50 solutions).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from routeplan.config import Config
from routeplan.plan import load_inputs
from routeplan.week import WeekPlan, plan_horizon
from tests.helpers import (
    SAMPLES,
    WEEK_ACCOUNT_HEADER,
    WEEK_AGENT_HEADER,
    WEEK_DAYS,
    WEEK_MON,
    check_every_day,
    one_line_error,
    outcome_rows,
    plan_week_cli,
    read_csv,
    run,
    week_account,
    week_agent,
    write_rows,
)


def _config(
    most: int = 2, gap: int = 2, *, since: int = 1, contacted: int = 1, share: float = 1.0
) -> str:
    return (
        f"[week]\nmax_visits_per_account = {most}\nmin_days_between_visits = {gap}\n"
        f"repeat_value_share = {share}\n"
        f"[eligibility]\nmin_days_since_visit = {since}\n"
        f"[history]\ncontacted_gap_days = {contacted}\n"
    )


def _visits(week: Path) -> pd.DataFrame:
    """Return week.csv's visited rows."""
    table = read_csv(week / "week.csv")
    return table[table["status"] == "visited"]


def _dates(visits: pd.DataFrame, account: str) -> list[str]:
    return sorted(visits.loc[visits["account_id"] == account, "date"])


def _gaps_kept(visits: pd.DataFrame, gap: int) -> None:
    """Assert every two visits of one account lie at least ``gap`` days apart."""
    for acc, rows in visits.groupby("account_id"):
        days = sorted(dt.date.fromisoformat(d) for d in rows["date"])
        for a, b in itertools.pairwise(days):
            assert (b - a).days >= gap, (acc, days)


def _itinerary_visits(week: Path) -> set[tuple[str, str, str]]:
    """Return (account, date, agent) of every visit in the day folders' itineraries."""
    out: set[tuple[str, str, str]] = set()
    for day in WEEK_DAYS:
        itin = pd.read_csv(week / day / "itineraries.csv", dtype=str, keep_default_na=False)
        for r in itin[itin["kind"] == "visit"].itertuples():
            out.add((r.account_id, day, r.agent_id))
    return out


def test_valuable_account_is_visited_twice_two_days_apart(tmp_path: Path) -> None:
    """Max 2 visits, gap 2, room every day: the valuable account is visited Monday and Wednesday
    (the earliest day 2 days on; value decays by the day), never closer; week.csv has one row
    per visit, matching the day folders; the summary counts visits and accounts apart; a day
    between names both visits in dropped.csv; every day passes check."""
    accounts = [week_account("BIG", 114.06, balance=400000), week_account("S", 114.07)]
    week, res = plan_week_cli(tmp_path, accounts, [week_agent("A1", 114.05)], config=_config())
    visits = _visits(week)
    assert _dates(visits, "BIG") == ["2026-12-07", "2026-12-09"]
    _gaps_kept(visits, 2)
    got = {(r.account_id, r.date, r.agent_id) for r in visits.itertuples()}
    assert got == _itinerary_visits(week)
    assert len(visits) == len(got)  # one row per visit
    assert list(visits["order"]) == [
        str(o) for o in visits.groupby(["date", "agent_id"]).cumcount() + 1
    ]
    summary = json.loads((week / "week_summary.json").read_text(encoding="utf-8"))
    assert summary["visits"] == len(visits)
    assert summary["accounts_visited"] == visits["account_id"].nunique() == 2
    assert summary["repeat_visits"] == len(visits) - 2
    assert summary["counts"] == {"visited": 2}
    assert summary["settings"]["max_visits_per_account"] == 2
    assert f"{len(visits)} visits (2 accounts)" in res.output
    tue = pd.read_csv(week / "2026-12-08" / "dropped.csv", dtype=str).set_index("account_id")
    assert tue.loc["BIG", "reason"] == "planned_another_day"
    assert tue.loc["BIG", "detail"] == (
        "visited on 2026-12-07 by A1 and 2026-12-09 by A1 (week plan)"
    )
    check_every_day(tmp_path, week, "--config", tmp_path / "week.toml")


def test_repeat_value_share_weighs_and_reports_repeat_visits(tmp_path: Path) -> None:
    """``repeat_value_share = 0.5``: BIG's Wednesday repeat is still worth the short trip, and
    week.csv, Wednesday's itinerary and both summaries give it half the expected recovery it
    has with the default share of 1 (Monday's first visit keeps its full value). With a share
    of 0 no repeat is worth a visit."""

    def er_of(week: Path, day: str) -> tuple[float, float, float]:
        table = _visits(week).set_index(["account_id", "date"])
        row = float(table.loc[("BIG", day), "expected_recovery"])
        it = pd.read_csv(week / day / "itineraries.csv", dtype=str, keep_default_na=False)
        stop = float(it.loc[it["account_id"] == "BIG", "expected_recovery"].iloc[0])
        summary = json.loads((week / day / "summary.json").read_text(encoding="utf-8"))
        return row, stop, float(summary["expected_recovery_covered"])

    runs = {}
    for share in (1.0, 0.5, 0.0):
        (tmp_path / str(share)).mkdir()
        week, _ = plan_week_cli(
            tmp_path / str(share),
            [week_account("BIG", 114.06, balance=400000)],
            [week_agent("A1", 114.05)],
            config=_config(share=share),
        )
        runs[share] = week
    assert _dates(_visits(runs[1.0]), "BIG") == ["2026-12-07", "2026-12-09"]
    assert _dates(_visits(runs[0.5]), "BIG") == ["2026-12-07", "2026-12-09"]
    assert _dates(_visits(runs[0.0]), "BIG") == ["2026-12-07"]
    full, half = er_of(runs[1.0], "2026-12-09"), er_of(runs[0.5], "2026-12-09")
    assert full[0] == full[1] == full[2] > 0
    assert half == pytest.approx((full[0] / 2,) * 3, abs=0.01)
    assert er_of(runs[0.5], "2026-12-07") == er_of(runs[1.0], "2026-12-07")
    summary = json.loads((runs[0.5] / "week_summary.json").read_text(encoding="utf-8"))
    assert summary["settings"]["repeat_value_share"] == 0.5
    monday = er_of(runs[0.5], "2026-12-07")[0]
    assert summary["expected_recovery"] == pytest.approx(monday + half[0], abs=0.01)
    check_every_day(tmp_path / "0.5", runs[0.5], "--config", tmp_path / "0.5" / "week.toml")


def test_three_visits_keep_the_gap_between_every_pair(tmp_path: Path) -> None:
    """Max 3 visits, gap 2, five days: rounds 2 and 3 put the account on Monday, Wednesday and
    Friday, the only three days pairwise 2 apart; the map and the sheet say which visit is which."""
    week, _ = plan_week_cli(
        tmp_path,
        [week_account("BIG", 114.06, balance=400000)],
        [week_agent("A1", 114.05)],
        config=_config(most=3),
    )
    assert _dates(_visits(week), "BIG") == ["2026-12-07", "2026-12-09", "2026-12-11"]
    page = (week / "week_map.html").read_text(encoding="utf-8")
    assert "visit 2 of 3: 2026-12-07, 2026-12-09, 2026-12-11" in page
    sheet = (week / "week_sheets" / "A1.html").read_text(encoding="utf-8")
    assert "2 of them repeat visits" in sheet
    check_every_day(tmp_path, week, "--config", tmp_path / "week.toml")


def test_repeat_rounds_share_the_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``time_limit_s`` is the week's whole budget with repeats too. Of 10 s, the rounds get
    30 % (1.5 s each for rounds 2 and 3) and the first visits 7 s: 70 % of it day by day
    (0.98 s a day; only Monday has a visit left to plan) and 30 % for the whole week (2.1 s).
    5 x 0.98 + 2.1 + 2 x 1.5 = 10 s, where it was 13 s. The solves are the real ones, only
    watched."""
    import routeplan.solver
    import routeplan.week
    import routeplan.week_repeat

    limits: list[float] = []

    def watched(real: Any) -> Any:
        def solve(problem: Any, params: Any, *args: Any, **kwargs: Any) -> Any:
            limits.append(params.time_limit_s)
            return real(problem, params, *args, **kwargs)

        return solve

    monkeypatch.setattr(routeplan.week, "solve", watched(routeplan.solver.solve))
    monkeypatch.setattr(routeplan.week_repeat, "solve", watched(routeplan.solver.solve))
    cfg = Config().replace(
        week__max_visits_per_account=3,
        week__min_days_between_visits=2,
        eligibility__min_days_since_visit=1,
        history__contacted_gap_days=1,
    )
    acc = write_rows(
        tmp_path / "accounts.csv", WEEK_ACCOUNT_HEADER, [week_account("BIG", 114.06, 400000)]
    )
    ag = write_rows(tmp_path / "agents.csv", WEEK_AGENT_HEADER, [week_agent("A1", 114.05)])
    budget = cfg.replace(solver__time_limit_s=10.0, solver__solution_limit=50)
    week = plan_horizon(load_inputs(acc, ag), WEEK_MON, 5, budget)
    assert sum(len(p.visits) for p in week.days) == 3
    assert limits == pytest.approx([0.98, 2.1, 1.5, 1.5])


def test_gap_longer_than_the_horizon_gives_one_visit(tmp_path: Path) -> None:
    """A gap of 5 days does not fit in Monday-Friday (4 days apart at most): one visit each."""
    accounts = [week_account("BIG", 114.06, balance=400000), week_account("S", 114.07)]
    week, _ = plan_week_cli(tmp_path, accounts, [week_agent("A1", 114.05)], config=_config(gap=5))
    visits = _visits(week)
    assert sorted(visits["account_id"]) == ["BIG", "S"]
    assert set(visits["date"]) == {"2026-12-07"}
    summary = json.loads((week / "week_summary.json").read_text(encoding="utf-8"))
    assert (summary["visits"], summary["repeat_visits"]) == (2, 0)


def test_eligibility_cooldown_longer_than_the_gap_wins(tmp_path: Path) -> None:
    """``min_days_since_visit = 4`` over a week gap of 2: the second visit waits until Friday."""
    week, _ = plan_week_cli(
        tmp_path,
        [week_account("BIG", 114.06, balance=400000)],
        [week_agent("A1", 114.05)],
        config=_config(since=4),
    )
    assert _dates(_visits(week), "BIG") == ["2026-12-07", "2026-12-11"]
    check_every_day(tmp_path, week, "--config", tmp_path / "week.toml")


def _horizon(
    tmp: Path,
    config: Config,
    accounts: list[dict[str, str]],
    header: list[str],
    *,
    days: int = 5,
    max_visits: int = 6,
) -> tuple[WeekPlan, list[str]]:
    """Plan the tiny week with ``plan_horizon`` (agent A1); return it and its progress lines."""
    acc = write_rows(tmp / "accounts.csv", header, accounts)
    ag = write_rows(
        tmp / "agents.csv", WEEK_AGENT_HEADER, [week_agent("A1", 114.05, max_visits=max_visits)]
    )
    said: list[str] = []
    cfg = config.replace(solver__time_limit_s=2.0, solver__solution_limit=50)
    week = plan_horizon(load_inputs(acc, ag), WEEK_MON, days, cfg, progress=said.append)
    return week, said


def test_contact_cap_of_the_history_keeps_one_visit_a_month(tmp_path: Path) -> None:
    """With ``[history] contacted_gap_days`` at its default 30 (one contacted visit per debt per
    30 days), a week gap of 2 plans no second visit, and the log names the setting that won."""
    cfg = Config().replace(
        week__max_visits_per_account=2,
        week__min_days_between_visits=2,
        eligibility__min_days_since_visit=1,
    )
    week, said = _horizon(
        tmp_path, cfg, [week_account("BIG", 114.06, balance=400000)], WEEK_ACCOUNT_HEADER
    )
    assert [len(p.visits) for p in week.days] == [1, 0, 0, 0, 0]
    assert any("history.contacted_gap_days" in line and "30 days" in line for line in said), said


def test_visit_cap_of_90_days_counts_the_weeks_visits(tmp_path: Path) -> None:
    """An account with 1 visit in the last 90 days and ``max_visits_90d = 3`` may get 2 visits this
    week (1 + 1 < 3 before the second), one with 2 visits only its first (2 + 1 reaches 3)."""
    header = [*WEEK_ACCOUNT_HEADER, "visits_90d"]
    accounts = [
        {**week_account("ONE", 114.06, balance=400000), "visits_90d": "1"},
        {**week_account("TWO", 114.061, balance=400000), "visits_90d": "2"},
    ]
    cfg = Config().replace(
        week__max_visits_per_account=2,
        eligibility__min_days_since_visit=1,
        eligibility__max_visits_90d=3,
        history__contacted_gap_days=1,
    )
    week, _ = _horizon(tmp_path, cfg, accounts, header)
    visits = week.week[week.week["status"] == "visited"]
    assert sorted(visits.loc[visits["account_id"] == "ONE", "date"]) == WEEK_DAYS[0:3:2]
    assert list(visits.loc[visits["account_id"] == "TWO", "date"]) == [WEEK_DAYS[0]]


def test_repeat_visits_never_push_out_a_first_visit(tmp_path: Path) -> None:
    """One visit a day and three accounts: the week visits each once (Monday-Wednesday); the
    repeat round may only fill Thursday and Friday, each with a visit 2+ days after the same
    account's first, and every account keeps its first visit."""
    accounts = [
        week_account("A", 114.06, balance=400000),
        week_account("B", 114.065, balance=300000),
        week_account("C", 114.07, balance=200000),
    ]
    week, _ = plan_week_cli(
        tmp_path, accounts, [week_agent("A1", 114.05, max_visits=1)], config=_config()
    )
    visits = _visits(week)
    per_day = visits.groupby("date").size().to_dict()
    assert per_day == dict.fromkeys(WEEK_DAYS, 1)
    assert set(visits.loc[visits["date"].isin(WEEK_DAYS[:3]), "account_id"]) == {"A", "B", "C"}
    _gaps_kept(visits, 2)
    check_every_day(tmp_path, week, "--config", tmp_path / "week.toml")


def test_a_repeat_visit_never_takes_the_day_of_a_first_visit(tmp_path: Path) -> None:
    """Monday-Wednesday, one visit a day: the valuable account is visited Monday and a small one,
    open on Wednesday only, Wednesday. The valuable account's second visit could only go on
    Wednesday (2 days on) and would be worth more than the small one's visit, but visits placed
    are pinned and required: the small account keeps its Wednesday, and no repeat visit is made."""
    accounts = [
        week_account("BIG", 114.06, balance=400000),
        week_account("SMALL", 114.061, balance=20000, visit_windows="Wed 10:00-12:00"),
    ]
    cfg = Config().replace(
        week__max_visits_per_account=2,
        eligibility__min_days_since_visit=1,
        history__contacted_gap_days=1,
    )
    week, _ = _horizon(tmp_path, cfg, accounts, WEEK_ACCOUNT_HEADER, days=3, max_visits=1)
    visits = week.week[week.week["status"] == "visited"]
    got = sorted(zip(visits["account_id"], visits["date"], strict=True))
    assert got == [("BIG", WEEK_DAYS[0]), ("SMALL", WEEK_DAYS[2])]
    assert week.summary["repeat_visits"] == 0


def test_a_planned_repeat_is_checked_again_with_the_recorded_outcome(tmp_path: Path) -> None:
    """Planned with ``--db``, Wednesday's repeat visit passes ``check --db`` while nothing is
    recorded; once Monday's visit is recorded as a dispute, planning Wednesday with ``--db``
    leaves the account out and ``check --db`` of the week's Wednesday folder flags the visit."""
    from routeplan.io.store import Store

    db = tmp_path / "h.db"
    with Store(db):
        pass
    week, _ = plan_week_cli(
        tmp_path,
        [week_account("BIG", 114.06, balance=400000)],
        [week_agent("A1", 114.05)],
        "--db",
        db,
        config=_config(),
    )
    assert _dates(_visits(week), "BIG") == ["2026-12-07", "2026-12-09"]
    common = ["--accounts", tmp_path / "accounts.csv", "--agents", tmp_path / "agents.csv"]
    common += ["--config", tmp_path / "week.toml", "--date", "2026-12-09", "--db", db]
    assert run("check", *common, week / "2026-12-09").exit_code == 0
    with Store(db) as store:  # Monday's outcome (record refuses dates after today's clock)
        store.record_outcomes(outcome_rows(("BIG", "A1", "2026-12-07", "dispute")), "o.csv")
    res = run("plan", *common, "--out", tmp_path / "wed", "--time-limit", "1", "--no-geocode")
    assert res.exit_code == 0, res.output
    excluded = pd.read_csv(tmp_path / "wed" / "excluded.csv", dtype=str)
    assert "BIG" in set(excluded["account_id"])
    flagged = run("check", *common, week / "2026-12-09")
    assert flagged.exit_code == 1 and "BIG" in flagged.output


def test_default_is_one_visit_per_account(tmp_path: Path) -> None:
    """Without the settings (max 1) an account with room all week is visited once."""
    week, _ = plan_week_cli(
        tmp_path, [week_account("BIG", 114.06, balance=400000)], [week_agent("A1", 114.05)]
    )
    assert _dates(_visits(week), "BIG") == ["2026-12-07"]


@pytest.mark.parametrize("key", ["max_visits_per_account", "min_days_between_visits"])
@pytest.mark.parametrize("value", ["0", "-1", "1.5", '"2"', "true"])
def test_bad_repeat_settings_are_one_line_config_errors(
    tmp_path: Path, key: str, value: str
) -> None:
    """0, a negative number, a fraction, a string or a boolean: one line naming the key, exit 1."""
    (tmp_path / "week.toml").write_text(f"[week]\n{key} = {value}\n", encoding="utf-8")
    acc = write_rows(tmp_path / "accounts.csv", WEEK_ACCOUNT_HEADER, [week_account("N1", 114.06)])
    ag = write_rows(tmp_path / "agents.csv", WEEK_AGENT_HEADER, [week_agent("A1", 114.05)])
    res = run(
        "plan-week",
        "--accounts",
        acc,
        "--agents",
        ag,
        "--from",
        WEEK_DAYS[0],
        "--out",
        tmp_path / "week",
        "--config",
        tmp_path / "week.toml",
        catch=True,
    )
    one_line_error(res, f"week.{key}", "integer >= 1")
    assert not (tmp_path / "week").exists()


@pytest.mark.parametrize(
    ("value", "says"),
    [("-0.1", "a number >= 0"), ('"half"', "a number >= 0"), ("1.5", "between 0 and 1")],
)
def test_bad_repeat_value_share_is_a_one_line_config_error(
    tmp_path: Path, value: str, says: str
) -> None:
    """A share below 0, above 1 or not a number: one line naming the key, exit 1."""
    (tmp_path / "week.toml").write_text(f"[week]\nrepeat_value_share = {value}\n", "utf-8")
    acc = write_rows(tmp_path / "accounts.csv", WEEK_ACCOUNT_HEADER, [week_account("N1", 114.06)])
    ag = write_rows(tmp_path / "agents.csv", WEEK_AGENT_HEADER, [week_agent("A1", 114.05)])
    args = ["plan-week", "--accounts", acc, "--agents", ag, "--from", WEEK_DAYS[0]]
    res = run(*args, "--out", tmp_path / "week", "--config", tmp_path / "week.toml", catch=True)
    one_line_error(res, "week.repeat_value_share", says)
    assert not (tmp_path / "week").exists()


@pytest.mark.slow
def test_samples_week_with_repeat_visits(tmp_path: Path) -> None:
    """The sample week with 2 visits allowed 2 days apart (cooldowns lowered to 2 days) and a
    3 s limit: some accounts get a second visit (the round's construction starts from the routes
    so far), none within 2 days of its first nor on the Wednesday holiday; week.csv has a row per
    visit, matching the day folders; every day passes check."""
    config = (SAMPLES / "week.toml").read_text(encoding="utf-8")
    config = config.replace("max_visits_per_account = 1", "max_visits_per_account = 2")
    config = config.replace("[eligibility]\n", "[eligibility]\nmin_days_since_visit = 2\n")
    config += "\n[history]\ncontacted_gap_days = 2\n"
    (tmp_path / "week.toml").write_text(config, encoding="utf-8")
    out = tmp_path / "week"
    common = ["--accounts", SAMPLES / "accounts.csv", "--agents", SAMPLES / "agents.csv"]
    common += ["--config", tmp_path / "week.toml"]
    res = run(
        "plan-week",
        *common,
        "--availability",
        SAMPLES / "availability.csv",
        "--from",
        WEEK_DAYS[0],
        "--days",
        "5",
        "--out",
        out,
        "--time-limit",
        "3",
        "--no-geocode",
        "-q",
    )
    assert res.exit_code == 0, res.output
    visits = _visits(out)
    summary = json.loads((out / "week_summary.json").read_text(encoding="utf-8"))
    assert summary["repeat_visits"] > 0
    assert summary["visits"] == len(visits)
    assert summary["accounts_visited"] == visits["account_id"].nunique()
    assert summary["solver"]["engine"].endswith("+ repeats")
    _gaps_kept(visits, 2)
    assert not set(visits["date"]) & {"2026-12-09"}
    got = {(r.account_id, r.date, r.agent_id) for r in visits.itertuples()}
    assert got == _itinerary_visits(out) and len(got) == len(visits)
    for day in WEEK_DAYS:
        check = run("check", *common, "--date", day, out / day)
        assert check.exit_code == 0, f"{day}: {check.output}"
