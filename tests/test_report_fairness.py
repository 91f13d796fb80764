"""Workload fairness in ``routeplan report`` over stored plans, checked by hand.

Two days are stored (2026-12-01 and 2026-12-02); the second was planned
twice and only its last plan counts. Per agent (departure and return are
the start row's ``service_end`` and the end row's ``arrival``; km are the
legs of the visits and the return):

* AG1: day 1 09:00-12:00 (180 min), 2 visits, km 3.0 + 1.5 + 2.0 = 6.5,
  expected recovery 4,000 + 2,000; day 2 09:00-10:00 (60 min), 1 visit,
  km 1.0 + 1.0, expected recovery 3,000. Total 3 visits, 240 min, 8.5 km,
  9,000, 2 days; daily minutes 180 and 60: standard deviation 60.
* AG2: day 1 10:00-11:00 (60 min), 1 visit, km 4.0 + 4.0 = 8.0, expected
  recovery 1,000. One day: standard deviation 0.

Spread: visits 2, minutes 180, km 0.5, expected recovery 8,000; mean of
the standard deviations (60 + 0) / 2 = 30. One outcome is recorded: AG1
collected 500 at A1 on day 1.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd

import routeplan as rp
from routeplan.io.store import Store
from tests.helpers import outcome_rows, run

D1, D2 = dt.date(2026, 12, 1), dt.date(2026, 12, 2)

#: (agent, kind, account, service_end or arrival, travel_km, expected_recovery)
Row = tuple[str, str, str, str, float, float]


def _itineraries(day: dt.date, rows: list[Row]) -> pd.DataFrame:
    out: list[dict[str, object]] = []
    stop: dict[str, int] = {}
    for agent, kind, acc, clock, km, er in rows:
        n = stop.get(agent, 0)
        stop[agent] = n + 1
        out.append(
            {
                "date": day.isoformat(),
                "agent_id": agent,
                "agent_name": f"Name {agent}",
                "stop_no": n,
                "kind": kind,
                "account_id": acc,
                "arrival": clock if kind in ("visit", "end") else "",
                "service_start": clock if kind == "visit" else "",
                "service_end": clock if kind in ("start", "visit") else "",
                "travel_km": km,
                "expected_recovery": er if kind == "visit" else None,
            }
        )
    return pd.DataFrame(out)


def _save(store: Store, day: dt.date, rows: list[Row], usable: tuple[str, ...] = ()) -> None:
    accounts = [r[2] for r in rows if r[1] == "visit"]
    crew = [{"agent_id": a, "usable": True} for a in usable]
    store.save_plan(
        day,
        {"jurisdiction": "CN"},
        _itineraries(day, rows),
        pd.DataFrame(columns=["account_id", "reason", "detail"]),
        pd.DataFrame(columns=["account_id", "reason", "detail"]),
        pd.DataFrame({"account_id": accounts, "priority": 0.5, "expected_recovery": 1.0}),
        {"date": day.isoformat(), "agents": crew},
    )


def _db(tmp: Path) -> Path:
    path = tmp / "h.db"
    with Store(path) as s:
        _save(
            s,
            D1,
            [
                ("AG1", "start", "", "09:00", 0.0, 0.0),
                ("AG1", "visit", "A1", "09:30", 3.0, 4000.0),
                ("AG1", "visit", "A2", "10:30", 1.5, 2000.0),
                ("AG1", "end", "", "12:00", 2.0, 0.0),
                ("AG2", "start", "", "10:00", 0.0, 0.0),
                ("AG2", "visit", "A3", "10:20", 4.0, 1000.0),
                ("AG2", "end", "", "11:00", 4.0, 0.0),
            ],
        )
        # the first plan of day 2, replaced by the next one: it does not count
        _save(
            s,
            D2,
            [
                ("AG2", "start", "", "08:00", 0.0, 0.0),
                ("AG2", "visit", "A5", "09:00", 9.0, 7000.0),
                ("AG2", "end", "", "17:00", 9.0, 0.0),
            ],
        )
        _save(
            s,
            D2,
            [
                ("AG1", "start", "", "09:00", 0.0, 0.0),
                ("AG1", "visit", "A4", "09:20", 1.0, 3000.0),
                ("AG1", "end", "", "10:00", 1.0, 0.0),
            ],
        )
        s.record_outcomes(
            outcome_rows(("A1", "AG1", "2026-12-01", "paid"), amount_paid=500.0), "o.csv"
        )
    return path


EXPECTED_AGENTS = {
    "AG1": {
        "visits": 3,
        "minutes": 240.0,
        "km": 8.5,
        "expected_recovery": 9000.0,
        "days_worked": 2,
        "idle_days": 0,
        "daily_minutes": {"2026-12-01": 180.0, "2026-12-02": 60.0},
        "visits_done": 1,
        "amount_collected": 500.0,
        "agent_name": "Name AG1",
    },
    "AG2": {
        "visits": 1,
        "minutes": 60.0,
        "km": 8.0,
        "expected_recovery": 1000.0,
        "days_worked": 1,
        "idle_days": 0,
        "daily_minutes": {"2026-12-01": 60.0},
        "visits_done": 0,
        "amount_collected": 0.0,
        "agent_name": "Name AG2",
    },
}
EXPECTED_SPREAD = {
    "visits": 2.0,
    "minutes": 180.0,
    "km": 0.5,
    "expected_recovery": 8000.0,
    "daily_minutes_sd": 30.0,
    "visits_done": 1.0,
    "amount_collected": 500.0,
}


def test_report_fairness_api_sums_the_latest_plans_by_hand(tmp_path: Path) -> None:
    """``report_fairness`` gives the hand-computed per-agent sums and spreads of the module doc."""
    db = _db(tmp_path)
    activity = rp.report_activity(db, D1, D2)
    block = rp.report_fairness(db, D1, D2, activity=activity)
    assert block["agents"] == EXPECTED_AGENTS
    assert block["spread"] == EXPECTED_SPREAD
    only_day1 = rp.report_fairness(db, D1, D1)
    assert only_day1["agents"]["AG1"]["minutes"] == 180.0
    assert "visits_done" not in only_day1["agents"]["AG1"]


def test_report_json_has_the_fairness_block(tmp_path: Path) -> None:
    """``report --json`` keeps its activity keys and adds ``fairness``."""
    db = _db(tmp_path)
    res = run("report", "--from", "2026-12-01", "--to", "2026-12-02", "--db", db, "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert {"from", "to", "agents", "overall"} <= set(doc)
    assert doc["fairness"] == {"agents": EXPECTED_AGENTS, "spread": EXPECTED_SPREAD}
    only = run(
        "report", "--from", "2026-12-01", "--to", "2026-12-02", "--db", db, "--json", "--fairness"
    )
    assert json.loads(only.stdout) == {"fairness": doc["fairness"]}


def test_report_fairness_csv_is_one_row_per_agent(tmp_path: Path) -> None:
    """``report --fairness --csv``: the per-agent table, nothing else."""
    db = _db(tmp_path)
    res = run(
        "report", "--from", "2026-12-01", "--to", "2026-12-02", "--db", db, "--csv", "--fairness"
    )
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert list(rows[0]) == [
        "agent_id",
        "agent_name",
        "days_worked",
        "idle_days",
        "visits",
        "minutes",
        "km",
        "expected_recovery",
        "visits_done",
        "amount_collected",
    ]
    got = [
        (
            r["agent_id"],
            int(r["days_worked"]),
            int(r["visits"]),
            float(r["minutes"]),
            float(r["km"]),
            float(r["expected_recovery"]),
            int(r["visits_done"]),
            float(r["amount_collected"]),
        )
        for r in rows
    ]
    assert got == [
        ("AG1", 2, 3, 240.0, 8.5, 9000.0, 1, 500.0),
        ("AG2", 1, 1, 60.0, 8.0, 1000.0, 0, 0.0),
    ]
    plain = run("report", "--from", "2026-12-01", "--to", "2026-12-02", "--db", db, "--csv")
    assert plain.stdout.startswith("agent_id,agent_name,visits_planned")


def test_report_text_shows_the_workload_table_and_spreads(tmp_path: Path) -> None:
    """The text report ends with the workload table and one line of spreads, one of daily SD."""
    db = _db(tmp_path)
    res = run("report", "--from", "2026-12-01", "--to", "2026-12-02", "--db", db)
    assert res.exit_code == 0, res.output
    text = res.stdout
    assert "Field activity" in text and "Workload per agent" in text
    ag1 = next(line for line in text.splitlines() if line.split()[:1] == ["AG1"] and "240" in line)
    assert ag1.split() == [
        "AG1",
        "Name",
        "AG1",
        "2",
        "0",
        "3",
        "240",
        "8.5",
        "9,000.00",
        "1",
        "500.00",
    ]
    assert (
        "Spread between agents (max - min): visits 2, minutes 180, km 0.5, "
        "expected recovery 8,000.00, visits done 1, amount collected 500.00"
    ) in text
    assert "standard deviation of their daily minutes 30.0" in text


def test_report_fairness_equals_the_week_summary(tmp_path: Path) -> None:
    """The week's ``week_summary.json`` fairness and report's over the stored week are the same."""
    week_cfg = tmp_path / "w.toml"
    week_cfg.write_text("[solver]\ntime_limit_s = 2\nsolution_limit = 50\n", encoding="utf-8")
    accounts = tmp_path / "accounts.csv"
    agents = tmp_path / "agents.csv"
    accounts.write_text(
        "account_id,debtor_name,address,lat,lon,balance,days_past_due,contact_attempts_30d\n"
        "K1,D1,R1,22.5400,114.0600,30000,200,5\n"
        "K2,D2,R2,22.5400,114.0700,20000,200,5\n"
        "K3,D3,R3,22.5400,114.1100,25000,200,5\n",
        encoding="utf-8",
    )
    agents.write_text(
        "agent_id,name,base_lat,base_lon,shift_start,shift_end,max_visits,skills,"
        "credential_id,credential_expiry\n"
        "A1,Agent 1,22.5400,114.0500,09:00,17:00,1,zh,C-1,2027-12-31\n"
        "A2,Agent 2,22.5400,114.1000,09:00,17:00,1,zh,C-2,2027-12-31\n",
        encoding="utf-8",
    )
    db = tmp_path / "h.db"
    Store(db).close()
    res = run(
        "plan-week",
        "--accounts",
        accounts,
        "--agents",
        agents,
        "--from",
        "2026-11-23",
        "--days",
        "2",
        "--out",
        tmp_path / "week",
        "--config",
        week_cfg,
        "--no-geocode",
        "--db",
        db,
    )
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "week" / "week_summary.json").read_text(encoding="utf-8"))
    block = rp.report_fairness(db, dt.date(2026, 11, 23), dt.date(2026, 11, 24))
    for rec in block["agents"].values():
        del rec["agent_name"]
    assert block == summary["fairness"]
    assert sum(r["visits"] for r in block["agents"].values()) == 3


def test_an_agent_usable_without_a_route_has_an_idle_day(tmp_path: Path) -> None:
    """Day 2's last plan says AG2 could work (usable) but gives him no route while AG1 visits:
    AG2 has an idle day of 0 minutes (daily minutes 60 and 0: standard deviation 30), so the
    mean of the standard deviations is (60 + 30) / 2 = 45. A day nobody visits is nobody's
    idle day: a third day with AG1 and AG2 usable and no route changes nothing."""
    db = _db(tmp_path)
    with Store(db) as s:
        _save(
            s,
            D2,
            [
                ("AG1", "start", "", "09:00", 0.0, 0.0),
                ("AG1", "visit", "A4", "09:20", 1.0, 3000.0),
                ("AG1", "end", "", "10:00", 1.0, 0.0),
            ],
            usable=("AG1", "AG2"),
        )
        _save(s, dt.date(2026, 12, 3), [], usable=("AG1", "AG2"))
    block = rp.report_fairness(db, D1, dt.date(2026, 12, 3))
    ag2 = block["agents"]["AG2"]
    assert ag2["idle_days"] == 1 and ag2["days_worked"] == 1
    assert ag2["daily_minutes"] == {"2026-12-01": 60.0, "2026-12-02": 0.0}
    assert block["agents"]["AG1"]["idle_days"] == 0
    assert block["spread"]["daily_minutes_sd"] == 45.0
