"""The week plan against planning day by day, at the same total solver time.

A synthetic portfolio (accounts spread over a 30 x 30 km city, balances
lognormal, some promises falling due in the week, a language skill on a
quarter of them) and agents with breaks and skills, over ``--days`` days:

* **week**: :func:`routeplan.week.plan_horizon` with ``--seconds`` as time
  limit (``(1 - WHOLE_SHARE) x --seconds / days`` for each day planned day by
  day, then :data:`routeplan.week.WHOLE_SHARE` x ``--seconds`` for the
  whole-week search);
* **greedy**: plan day 1 with :func:`routeplan.plan.plan_day`, remove what it
  planned, plan day 2, ...; the same total time, ``--seconds / days`` each.

One evaluator for both: discounted expected recovery (each visit's expected
recovery x ``(1 - decay) ** day``), travel km, and the spread of daily
minutes per agent (mean over agents of the standard deviation of their
minutes, leaving the base to coming back, over the days they worked:
:func:`routeplan.week.fairness`). A third row, **bound**, is
:func:`recovery_bound`: a discounted expected recovery no plan can exceed, so
``er_vs_greedy_%`` of the bound is the most any week plan could gain.

``--shaped`` makes the week unlike its days (:func:`shape_week`: weekday-only
windows, promises falling due, agents on leave); ``--config`` reads a
routeplan TOML file (``[week]`` settings, for instance).

Example::

    python -m benchmarks.week --accounts 600 --agents 12 --seconds 30
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from routeplan import schema as S
from routeplan.build import agent_status
from routeplan.calendar import windows_on
from routeplan.config import Config, load_config
from routeplan.eligibility import determine_eligibility
from routeplan.formats import NO_WINDOW_TODAY, WEEKDAYS
from routeplan.io.readers import parse_accounts, parse_agents, parse_availability
from routeplan.plan import Inputs, Plan, plan_day
from routeplan.scoring import score_accounts
from routeplan.week import day_agents, fairness, plan_horizon

FIRST = dt.date(2026, 12, 7)
CENTRE = (22.54, 114.06)


def _balances(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    """Return lognormal balances, each at least the default eligibility minimum (all eligible)."""
    floor = Config().eligibility.min_balance
    drawn = np.minimum(rng.lognormal(10.2, 0.8, n), 9e5)
    return np.where(drawn < floor, floor * rng.uniform(1.0, 2.0, n), drawn)


def _raw_inputs(n_accounts: int, n_agents: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the synthetic ``accounts.csv`` and ``agents.csv`` as text tables (see make_inputs)."""
    rng = np.random.default_rng(seed)
    dlat, dlon = 15 / 111.0, 15 / (111.0 * math.cos(math.radians(CENTRE[0])))
    accounts = pd.DataFrame(
        {
            "account_id": [f"B{i:05d}" for i in range(n_accounts)],
            "debtor_name": [f"Debtor {i}" for i in range(n_accounts)],
            "address": [f"{i} Road" for i in range(n_accounts)],
            "lat": [f"{v:.5f}" for v in CENTRE[0] + rng.uniform(-dlat, dlat, n_accounts)],
            "lon": [f"{v:.5f}" for v in CENTRE[1] + rng.uniform(-dlon, dlon, n_accounts)],
            "balance": [f"{v:.2f}" for v in _balances(rng, n_accounts)],
            "days_past_due": [str(v) for v in rng.integers(90, 800, n_accounts)],
            "contact_attempts_30d": [str(v) for v in rng.integers(3, 9, n_accounts)],
            "ptp_date": [
                (FIRST + dt.timedelta(days=int(k))).isoformat() if rng.random() < 0.05 else ""
                for k in rng.integers(0, 4, n_accounts)
            ],
            "language": ["en" if rng.random() < 0.25 else "zh" for _ in range(n_accounts)],
        },
        dtype=object,
    )
    agents = pd.DataFrame(
        {
            "agent_id": [f"G{i:03d}" for i in range(n_agents)],
            "name": [f"Agent {i}" for i in range(n_agents)],
            "base_lat": [f"{v:.5f}" for v in CENTRE[0] + rng.uniform(-dlat, dlat, n_agents)],
            "base_lon": [f"{v:.5f}" for v in CENTRE[1] + rng.uniform(-dlon, dlon, n_agents)],
            "shift_start": "09:00",
            "shift_end": "18:00",
            "max_visits": "8",
            "skills": ["zh;en;senior" if i % 2 else "zh;senior" for i in range(n_agents)],
            "break_start": "12:00",
            "break_end": "14:00",
            "break_minutes": "45",
            "credential_id": [f"C{i}" for i in range(n_agents)],
            "credential_expiry": "2027-12-31",
        },
        dtype=object,
    )
    return accounts, agents


def make_inputs(n_accounts: int, n_agents: int, seed: int) -> Inputs:
    """Return a synthetic portfolio and team.

    Every account is eligible by the default rules on the first day, except
    the promises to pay (5 %), each eligible from the day after its date.
    """
    accounts, agents = _raw_inputs(n_accounts, n_agents, seed)
    return Inputs(parse_accounts(accounts).frame, parse_agents(agents).frame)


def shape_week(n_accounts: int, n_agents: int, days: int, seed: int) -> tuple[Inputs, pd.DataFrame]:
    """Return :func:`make_inputs`'s portfolio and team made a week unlike its days, and its
    availability.

    Owners (``assigned_agent``) are left out: day-by-day planning does not
    know them and the evaluator does not count them, so they would only add
    the week's travel to keep them (the tests check continuity).

    * a third of the accounts can be visited on two weekdays only (10:00-17:00);
    * a tenth have a promise falling due in the week;
    * a fifth of the agents (rounded) are off on one or two days of the horizon.
    """
    accounts, agents = _raw_inputs(n_accounts, n_agents, seed)
    rng = np.random.default_rng(seed + 1000)
    n = len(accounts)
    dates = [FIRST + dt.timedelta(days=k) for k in range(days)]
    windows: list[str] = []
    for _ in range(n):
        if rng.random() < 1 / 3 and days > 1:
            pick = sorted(rng.choice(len(dates), size=min(2, len(dates)), replace=False))
            names = ",".join(WEEKDAYS[dates[int(k)].weekday()] for k in pick)
            windows.append(f"{names} 10:00-17:00")
        else:
            windows.append("")
    accounts["visit_windows"] = windows
    accounts["ptp_date"] = [
        (FIRST + dt.timedelta(days=int(rng.integers(0, max(days - 1, 1))))).isoformat()
        if rng.random() < 0.1
        else ""
        for _ in range(n)
    ]
    ag = parse_agents(agents).frame
    rows = []
    on_leave = rng.choice(len(ag), size=round(0.2 * len(ag)), replace=False)
    for i in sorted(int(i) for i in on_leave):
        size = min(int(rng.integers(1, 3)), len(dates))
        for k in rng.choice(len(dates), size=size, replace=False):
            day = dates[int(k)].isoformat()
            rows.append({"date": day, "agent_id": ag["agent_id"].iloc[i], "off": "true"})
    columns = ["date", "agent_id", "shift_start", "shift_end", "off"]
    avail = pd.DataFrame(rows, columns=columns, dtype=object).fillna("")
    availability = parse_availability(avail, ag).frame
    return Inputs(parse_accounts(accounts).frame, ag), availability


def evaluate(plans: list[Plan], decay: float) -> dict[str, float]:
    """Return discounted expected recovery, visits, km and the daily-minutes spread of plans."""
    discounted = 0.0
    km = 0.0
    visits = 0
    for k, plan in enumerate(plans):
        er = pd.to_numeric(plan.visits["expected_recovery"], errors="coerce").sum()
        discounted += float(er) * (1 - decay) ** k
        km += plan.summary.travel_km or 0.0
        visits += len(plan.visits)
    spread = fairness(plans)["spread"]
    return {
        "visits": visits,
        "discounted_er": round(discounted, 0),
        "km": round(km, 1),
        "daily_minutes_sd": spread["daily_minutes_sd"],
    }


def recovery_bound(
    inputs: Inputs, days: int, cfg: Config, availability: pd.DataFrame | None = None
) -> float:
    """Return an upper bound on the discounted expected recovery of any plan of the week.

    Each day holds at most its capacity: over the agents usable that day,
    ``max_visits`` or as many visits as the shift (less the break) holds at
    ``service_min`` each, whichever is fewer. An account may go on a day only
    when it is eligible that day and, for weekday windows, has a window that
    weekday; there it is worth that day's expected recovery discounted by the
    day. Travel, skills and the hours of the windows are ignored. The best
    assignment of accounts to days within those capacities (one visit per
    account, as ``[week] max_visits_per_account`` has it by default) is a
    min-cost flow; every plan is such an assignment, so none does better.
    Values are rounded up to the cent, so the bound never falls below it.
    """
    from ortools.graph.python import min_cost_flow

    decay = 1 - cfg.week.prize_decay_per_day
    worth: dict[str, list[tuple[int, int]]] = {}  # account -> (day, cents)
    caps: list[int] = []
    service = cfg.visits.service_min
    for k in range(days):
        day = FIRST + dt.timedelta(days=k)
        usable = agent_status(day_agents(inputs.agents, availability, day), day, cfg).usable
        eligible = determine_eligibility(windows_on(inputs.accounts, day), day, cfg).eligible
        eligible = eligible[[w != NO_WINDOW_TODAY for w in eligible["windows"]]]
        scores = score_accounts(eligible, day, cfg.scoring)
        for acc, er in zip(scores[S.ACCOUNT_ID], scores["expected_recovery"], strict=True):
            if float(er) > 0:
                worth.setdefault(str(acc), []).append((k, math.ceil(float(er) * decay**k * 100)))
        cap = 0
        for row in usable.itertuples(index=False):
            minutes = row.shift_end - row.shift_start - (row.break_minutes or 0)
            held = max(0, int(minutes // service))
            mv = row.max_visits
            cap += held if mv is None or pd.isna(mv) else min(held, int(mv))
        caps.append(cap)
    n = len(worth)
    source, sink = 0, n + days + 1
    flow = min_cost_flow.SimpleMinCostFlow()
    for i, options in enumerate(worth.values(), start=1):
        flow.add_arc_with_capacity_and_unit_cost(source, i, 1, 0)
        for k, cents in options:
            flow.add_arc_with_capacity_and_unit_cost(i, n + 1 + k, 1, -cents)
    for k, cap in enumerate(caps):
        flow.add_arc_with_capacity_and_unit_cost(n + 1 + k, sink, cap, 0)
    flow.add_arc_with_capacity_and_unit_cost(source, sink, n, 0)  # accounts left out
    flow.set_node_supply(source, n)
    flow.set_node_supply(sink, -n)
    if flow.solve() != flow.OPTIMAL:  # pragma: no cover - the flow is always feasible
        raise RuntimeError("the recovery bound's flow has no optimum")
    return float(-flow.optimal_cost()) / 100


def greedy(
    inputs: Inputs, days: int, cfg: Config, availability: pd.DataFrame | None = None
) -> list[Plan]:
    """Plan day by day, each day on what the days before left."""
    plans: list[Plan] = []
    accounts = inputs.accounts
    for k in range(days):
        day = FIRST + dt.timedelta(days=k)
        agents = day_agents(inputs.agents, availability, day)
        plan = plan_day(dataclasses.replace(inputs, accounts=accounts, agents=agents), day, cfg)
        plans.append(plan)
        done = set(plan.visits["account_id"])
        accounts = accounts[~accounts["account_id"].isin(done)].reset_index(drop=True)
    return plans


def main(argv: list[str] | None = None) -> int:
    """Run both planners and print (and write) one table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=600)
    ap.add_argument("--agents", type=int, default=12)
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    ap.add_argument("--stem", default=None, help="file name of the table (default from the size)")
    ap.add_argument(
        "--shaped",
        action="store_true",
        help="a week unlike its days: weekday-only windows, promises due, agents on leave",
    )
    ap.add_argument("--config", type=Path, default=None, help="a routeplan TOML config")
    args = ap.parse_args(argv)
    availability = None
    if args.shaped:
        inputs, availability = shape_week(args.accounts, args.agents, args.days, args.seed)
    else:
        inputs = make_inputs(args.accounts, args.agents, args.seed)
    cfg = load_config(args.config)
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    week = plan_horizon(
        inputs,
        FIRST,
        args.days,
        cfg.replace(solver__time_limit_s=args.seconds),
        availability=availability,
        progress=lambda line: print(f"[week] {line}", file=sys.stderr, flush=True),
    )
    rows.append({"planner": "week", "wall_s": round(time.perf_counter() - t0, 1)})
    rows[-1].update(evaluate(list(week.days), cfg.week.prize_decay_per_day))
    t0 = time.perf_counter()
    per_day = args.seconds / args.days
    plans = greedy(inputs, args.days, cfg.replace(solver__time_limit_s=per_day), availability)
    rows.append({"planner": "greedy", "wall_s": round(time.perf_counter() - t0, 1)})
    rows[-1].update(evaluate(plans, cfg.week.prize_decay_per_day))
    bound = recovery_bound(inputs, args.days, cfg, availability)
    rows.append({"planner": "bound", "discounted_er": round(bound, 0)})
    table = pd.DataFrame(rows)
    greedy_er = float(table["discounted_er"].iloc[1])
    table["er_vs_greedy_%"] = (100 * (table["discounted_er"] / greedy_er - 1)).round(2)
    table["visits"] = [str(int(v)) if pd.notna(v) else "" for v in table["visits"]]
    text = table.to_string(index=False, na_rep="")
    counts = week.summary["counts"]
    eligible = counts.get("visited", 0) + counts.get("dropped", 0)
    head = (
        f"{args.accounts} accounts ({eligible} eligible on some day), {args.agents} agents, "
        f"{args.days} days, {args.seconds:g} s of solver time in total (seed {args.seed}); "
        f"week plan kept: {week.summary['solver']['engine'] if week.summary['solver'] else '-'}"
        f"{'; shaped week' if args.shaped else ''}. The bound is what no plan can exceed"
        " (recovery_bound: the best assignment of accounts to the days each may be visited,"
        " within each day's capacity, travel ignored)."
        "\n\n"
    )
    print(head + text)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.stem or f"week-{args.accounts}-{args.agents}-{args.seconds:g}s"
    (args.out / f"{stem}.md").write_text(head + text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
