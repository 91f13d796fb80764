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
:func:`routeplan.week.fairness`).

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

from routeplan.config import Config
from routeplan.io.readers import parse_accounts, parse_agents
from routeplan.plan import Inputs, Plan, plan_day
from routeplan.week import fairness, plan_horizon

FIRST = dt.date(2026, 12, 7)
CENTRE = (22.54, 114.06)


def _balances(rng: np.random.Generator, n: int) -> NDArray[np.float64]:
    """Return lognormal balances, each at least the default eligibility minimum (all eligible)."""
    floor = Config().eligibility.min_balance
    drawn = np.minimum(rng.lognormal(10.2, 0.8, n), 9e5)
    return np.where(drawn < floor, floor * rng.uniform(1.0, 2.0, n), drawn)


def make_inputs(n_accounts: int, n_agents: int, seed: int) -> Inputs:
    """Return a synthetic portfolio and team.

    Every account is eligible by the default rules on the first day, except
    the promises to pay (5 %), each eligible from the day after its date.
    """
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
    acc, ag = parse_accounts(accounts), parse_agents(agents)
    return Inputs(acc.frame, ag.frame)


def evaluate(plans: list[Plan], decay: float) -> dict[str, float]:
    """Return discounted expected recovery, visits, km and the daily-minutes spread of plans."""
    discounted = 0.0
    km = 0.0
    visits = 0
    for k, plan in enumerate(plans):
        er = pd.to_numeric(plan.visits["expected_recovery"], errors="coerce").sum()
        discounted += float(er) * (1 - decay) ** k
        km += plan.summary.travel_km
        visits += len(plan.visits)
    spread = fairness(plans)["spread"]
    return {
        "visits": visits,
        "discounted_er": round(discounted, 0),
        "km": round(km, 1),
        "daily_minutes_sd": spread["daily_minutes_sd"],
    }


def greedy(inputs: Inputs, days: int, cfg: Config) -> list[Plan]:
    """Plan day by day, each day on what the days before left."""
    plans: list[Plan] = []
    accounts = inputs.accounts
    for k in range(days):
        day = FIRST + dt.timedelta(days=k)
        plan = plan_day(dataclasses.replace(inputs, accounts=accounts), day, cfg)
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
    args = ap.parse_args(argv)
    inputs = make_inputs(args.accounts, args.agents, args.seed)
    cfg = Config()
    rows: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    week = plan_horizon(
        inputs,
        FIRST,
        args.days,
        cfg.replace(solver__time_limit_s=args.seconds),
        progress=lambda line: print(f"[week] {line}", file=sys.stderr, flush=True),
    )
    rows.append({"planner": "week", "wall_s": round(time.perf_counter() - t0, 1)})
    rows[-1].update(evaluate(list(week.days), cfg.week.prize_decay_per_day))
    t0 = time.perf_counter()
    per_day = args.seconds / args.days
    plans = greedy(inputs, args.days, cfg.replace(solver__time_limit_s=per_day))
    rows.append({"planner": "greedy", "wall_s": round(time.perf_counter() - t0, 1)})
    rows[-1].update(evaluate(plans, cfg.week.prize_decay_per_day))
    table = pd.DataFrame(rows)
    text = table.to_string(index=False)
    counts = week.summary["counts"]
    eligible = counts.get("visited", 0) + counts.get("dropped", 0)
    head = (
        f"{args.accounts} accounts ({eligible} eligible on some day), {args.agents} agents, "
        f"{args.days} days, {args.seconds:g} s of solver time in total (seed {args.seed}); "
        f"week plan kept: {week.summary['solver']['engine'] if week.summary['solver'] else '-'}"
        "\n\n"
    )
    print(head + text)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.stem or f"week-{args.accounts}-{args.agents}-{args.seconds:g}s"
    (args.out / f"{stem}.md").write_text(head + text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
