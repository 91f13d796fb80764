"""A scripted week on the samples: plan, record outcomes, plan again, look back.

Day 1 (2026-12-01) is planned with ``--db``; a mixed outcomes file is built
from day 1's itineraries (paid in full, partial payment, promise, not_home,
refused, dispute, hardship, moved, wrong_address, rescheduled, plus back-dated
visits: two earlier unanswered attempts and broken promises); day 2 is
planned from the same portfolio and every rule must show in day 2's plan.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from routeplan import schema as S
from routeplan.cli import main
from routeplan.config import HistoryConfig
from routeplan.history import apply_history
from routeplan.io.readers import read_accounts
from routeplan.io.store import Store
from tests.helpers import SAMPLES

DAY1, DAY2 = "2026-12-01", "2026-12-02"
HEADER = list(S.OUTCOME_COLUMNS)


@dataclass(frozen=True)
class Week:
    """Paths and choices of the scripted week."""

    root: Path
    db: Path
    outcomes_csv: Path
    day1: Path
    day2: Path
    picks: dict[str, str]  # role -> account_id
    not_home: dict[str, tuple[str, int]]  # account -> (agent, day-1 start minute)
    record_stdout: str


def _plan(root: Path, day: str, out: str, db: Path) -> Path:
    res = CliRunner().invoke(
        main,
        [
            "plan",
            "--accounts",
            str(SAMPLES / "accounts.csv"),
            "--agents",
            str(SAMPLES / "agents.csv"),
            "--date",
            day,
            "--out",
            str(root / out),
            "--time-limit",
            "3",
            "--db",
            str(db),
            "--no-geocode",
            "--quiet",
        ],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    return root / out


def _minutes(hhmm: str) -> int:
    h, m = hhmm.split(":")
    return int(h) * 60 + int(m)


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Week:
    root = tmp_path_factory.mktemp("week")
    db = root / "routeplan.db"
    day1 = _plan(root, DAY1, "day1", db)

    visits = _read(day1 / "itineraries.csv")
    visits = visits[visits["kind"] == "visit"]
    portfolio = _read(SAMPLES / "accounts.csv").set_index("account_id")
    # spread the roles over agents: take visits in turn, one per agent per round
    order = visits.assign(k=visits.groupby("agent_id").cumcount()).sort_values(["k", "agent_id"])
    free = [r for r in order.to_dict("records")]

    def take(pred=lambda r: True) -> dict[str, str]:
        for i, r in enumerate(free):
            if pred(r):
                return free.pop(i)
        raise AssertionError("no day-1 visit left for a role")

    def any_time_no_promise(r: dict[str, str]) -> bool:
        acc = portfolio.loc[r["account_id"]]
        return (
            acc["visit_windows"] == ""
            and acc["last_payment_date"] < "2026-10-20"
            and int(acc["broken_promises"] or 0) < 3
        )

    rows: list[list[str]] = []
    picks: dict[str, str] = {}

    def add(role: str, r: dict[str, str], outcome: str, **cells: str) -> None:
        picks[role] = r["account_id"]
        rows.append(
            [
                r["account_id"],
                r["agent_id"],
                DAY1,
                outcome,
                cells.get("amount", ""),
                cells.get("ptp_date", ""),
                cells.get("ptp_amount", ""),
                role,
            ]
        )

    r = take()
    add("paid_in_full", r, "paid", amount=r["balance"])
    r = take(lambda r: float(r["balance"]) > 16000)
    add("partial", r, "partial_payment", amount=f"{float(r['balance']) - 5000:.2f}")
    add("ptp", take(), "ptp", ptp_date="2026-12-10", ptp_amount="5000")
    add("refused", take(), "refused")
    add("dispute", take(), "dispute")
    add("hardship", take(), "hardship")
    add("moved", take(), "moved")
    add("wrong_address", take(), "wrong_address")
    add("rescheduled", take(), "rescheduled")
    capped = take()
    add("not_home_cap", capped, "not_home")
    for back in ("2026-11-20", "2026-11-26"):  # two earlier unanswered attempts (unplanned)
        rows.append([capped["account_id"], capped["agent_id"], back, "not_home", "", "", "", ""])
    not_home: dict[str, tuple[str, int]] = {}
    for _ in range(6):
        r = take(any_time_no_promise)
        add(f"not_home_{len(not_home)}", r, "not_home")
        not_home[r["account_id"]] = (r["agent_id"], _minutes(r["service_start"]))
        # a promise taken in October and never kept: broken by day 2
        rows.append(
            [
                r["account_id"],
                r["agent_id"],
                "2026-10-20",
                "ptp",
                "",
                "2026-10-25",
                "3000",
                "back-dated promise",
            ]
        )
    rows.append(["NOPE", "AG01", DAY1, "paid", "10", "", "", "unknown account"])
    outcomes_csv = root / "outcomes_day1.csv"
    pd.DataFrame(rows, columns=HEADER).to_csv(outcomes_csv, index=False)

    rec = CliRunner().invoke(
        main,
        ["record", str(outcomes_csv), "--db", str(db), "--today", DAY1],
        catch_exceptions=False,
    )
    assert rec.exit_code == 0, rec.output
    day2 = _plan(root, DAY2, "day2", db)
    return Week(root, db, outcomes_csv, day1, day2, picks, not_home, rec.stdout)


def _excluded(week: Week) -> pd.DataFrame:
    return _read(week.day2 / "excluded.csv")


def _reasons(week: Week, role: str) -> set[str]:
    ex = _excluded(week)
    return set(ex.loc[ex["account_id"] == week.picks[role], "reason"])


def test_record_counts(week: Week) -> None:
    """The mixed file is stored; the unknown account is rejected; back-dated rows flagged."""
    n_rows = len(_read(week.outcomes_csv))
    assert f"{n_rows - 1} new, 0 unchanged, 0 corrected, 1 rejected, 8 flagged" in (
        week.record_stdout
    )
    rejected = _read(week.root / "outcomes_day1_rejected.csv")
    assert list(rejected["column"]) == ["account_id"]


@pytest.mark.parametrize(
    ("role", "reason"),
    [
        ("paid_in_full", "paid_in_full"),
        ("ptp", "ptp_pending"),
        ("refused", "refused_recently"),
        ("dispute", "disputed_in_field"),
        ("hardship", "hardship_pause"),
        ("moved", "moved"),
        ("wrong_address", "wrong_address"),
        ("rescheduled", "contacted_visit_recently"),
        ("not_home_cap", "not_home_attempts_cap"),
    ],
)
def test_rule_visible_in_day2_excluded(week: Week, role: str, reason: str) -> None:
    """Each outcome's rule shows as its reason code in day 2's excluded.csv."""
    assert reason in _reasons(week, role)


def test_contacted_visit_sets_last_visit_date(week: Week) -> None:
    """The recorded contacted visit is combined into last_visit_date (eligibility sees it)."""
    ex = _excluded(week)
    rows = ex[
        (ex["account_id"] == week.picks["rescheduled"]) & (ex["reason"] == "visited_recently")
    ]
    assert len(rows) == 1 and "2026-12-01" in rows["detail"].iloc[0]


def test_partial_payment_reduces_balance(week: Week) -> None:
    """The partial payment leaves 5,000 owed, below the minimum balance on day 2."""
    ex = _excluded(week)
    rows = ex[
        (ex["account_id"] == week.picks["partial"]) & (ex["reason"] == "balance_below_minimum")
    ]
    assert len(rows) == 1 and "5,000.00" in rows["detail"].iloc[0]


def test_not_home_retried_at_another_time(week: Week) -> None:
    """not_home accounts may come back on day 2, but away from day 1's time of day."""
    it = _read(week.day2 / "itineraries.csv")
    again = it[(it["kind"] == "visit") & it["account_id"].isin(list(week.not_home))]
    assert len(again) >= 1, "no not_home account was retried on day 2"
    ex = _excluded(week)
    assert not set(ex["account_id"]) & set(again["account_id"])
    for rec in again.to_dict("records"):
        _agent, first = week.not_home[rec["account_id"]]
        start, end = _minutes(rec["service_start"]), _minutes(rec["service_end"])
        assert end <= first - 90 or start >= first + 90, (rec, first)


def test_broken_promise_raises_priority_and_is_on_checklist(week: Week) -> None:
    """A broken promise raises the score and the next visit's checklist carries it."""
    s1 = _read(week.day1 / "scores.csv").set_index("account_id")
    s2 = _read(week.day2 / "scores.csv").set_index("account_id")
    raised = [
        acc
        for acc in week.not_home
        if acc in s2.index and float(s2.loc[acc, "priority"]) > float(s1.loc[acc, "priority"])
    ]
    assert raised, "no broken promise raised a priority"
    it = _read(week.day2 / "itineraries.csv")
    again = set(it.loc[it["kind"] == "visit", "account_id"]) & set(week.not_home)
    checklist = _read(week.day2 / "checklist.csv")
    for acc in again:
        items = checklist[
            (checklist["account_id"] == acc) & (checklist["item"] == "Record of broken promises")
        ]
        assert len(items) == 1 and "just passed unpaid" in items["reason"].iloc[0]


def test_recording_again_changes_nothing(week: Week) -> None:
    """The same file recorded again stores nothing new and changes no effect."""
    accounts = read_accounts(SAMPLES / "accounts.csv").frame
    day2 = dt.date(2026, 12, 2)
    with Store(week.db) as s:
        before = s.outcomes()
        effects = apply_history(accounts, before, day2, HistoryConfig()).exclusions
    res = CliRunner().invoke(
        main, ["record", str(week.outcomes_csv), "--db", str(week.db), "--today", DAY1]
    )
    assert res.exit_code == 0
    assert f"0 new, {len(before)} unchanged, 0 corrected, 1 rejected, 0 flagged" in res.stdout
    with Store(week.db) as s:
        after = s.outcomes()
        pd.testing.assert_frame_equal(before, after)
        again = apply_history(accounts, after, day2, HistoryConfig()).exclusions
    pd.testing.assert_frame_equal(effects, again)


def test_history_and_report(week: Week) -> None:
    """Looking back: the trail of an account and the period report agree with the week."""
    runner = CliRunner()
    acc = week.picks["ptp"]
    trail = runner.invoke(main, ["history", acc, "--db", str(week.db)])
    assert trail.exit_code == 0
    lines = trail.stdout.splitlines()[1:]
    assert lines[0].startswith("2026-12-01  plan 1    planned")
    assert "ptp; promised 5,000.00 by 2026-12-10" in lines[1]
    assert any(line.startswith("2026-12-02  plan 2    excluded  ptp_pending") for line in lines)

    rep = runner.invoke(
        main, ["report", "--from", DAY1, "--to", DAY2, "--db", str(week.db), "--json"]
    )
    assert rep.exit_code == 0
    overall = json.loads(rep.stdout)["overall"]
    d1 = json.loads((week.day1 / "summary.json").read_text())
    d2 = json.loads((week.day2 / "summary.json").read_text())
    assert overall["visits_planned"] == d1["counts"]["planned"] + d2["counts"]["planned"]
    assert overall["visits_done"] == len(_read(week.outcomes_csv)) - 1 - 2 - 6
    assert overall["promises_taken"] == 1
    assert overall["km_planned"] == pytest.approx(d1["travel_km"] + d2["travel_km"], abs=0.2)
    table = pd.read_csv(
        StringIO(
            runner.invoke(
                main, ["report", "--from", DAY1, "--to", DAY1, "--db", str(week.db), "--csv"]
            ).stdout
        )
    )
    assert int(table.loc[table["agent_id"] == "ALL", "visits_done_unplanned"].iloc[0]) == 0
