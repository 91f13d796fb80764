"""How the daily plan on the bundled samples moves with the time limit.

Runs ``plan_day`` on ``data/samples`` (plan date 2026-12-01, no geocoding)
once per time limit and prints visits planned, expected recovery covered,
travel and solver figures, plus the time to build the travel matrix for
3,000 locations.

    python benchmarks/plan_samples.py --limits 5 30 120

``--no-breaks`` clears the agents' lunch breaks and ``--second-engine``
(auto, pyvrp, ortools) chooses the search on the second core, to compare them.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import time
from pathlib import Path

import numpy as np

from routeplan import Config, SolverSummary, load_inputs, plan_day
from routeplan.travel import road_distance_m, travel_time_s

ROOT = Path(__file__).resolve().parent.parent


def travel_matrix_seconds(n: int = 3000, repeat: int = 5) -> float:
    """Return the best time (s) to build distance and time matrices for ``n`` points."""
    rng = np.random.default_rng(0)
    lat = 22.5 + rng.random(n) * 0.3
    lon = 113.8 + rng.random(n) * 0.5
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        travel_time_s(road_distance_m(lat, lon, circuity=1.35), speed_kmh=25)
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limits", type=float, nargs="+", default=[5, 30, 120])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "samples")
    parser.add_argument("--date", default="2026-12-01")
    parser.add_argument("--no-breaks", action="store_true", help="clear the agents' breaks")
    parser.add_argument("--second-engine", default="auto", choices=["auto", "ortools", "pyvrp"])
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.date)
    inputs = load_inputs(args.data / "accounts.csv", args.data / "agents.csv")
    if args.no_breaks:
        agents = inputs.agents.copy()
        for col in ("break_start", "break_end", "break_minutes"):
            if col in agents:
                agents[col] = None
        inputs = dataclasses.replace(inputs, agents=agents)
    print(f"travel matrix, 3,000 locations: {travel_matrix_seconds():.3f} s")
    print(
        "| time limit s | visits | expected recovery covered | of eligible | km | "
        "first solution s | solve s | objective | engine kept |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for limit in args.limits:
        cfg = Config().replace(solver__time_limit_s=limit, solver__second_engine=args.second_engine)
        plan = plan_day(inputs, day, cfg)
        s = plan.summary
        sol = s.solver or SolverSummary()
        print(
            f"| {limit:g} | {s.counts.planned} | {s.expected_recovery_covered:,.0f} | "
            f"{s.expected_recovery_eligible:,.0f} | {s.travel_km:,.1f} | "
            f"{sol.first_solution_s} | {sol.runtime_s} | {sol.objective:,} | "
            f"{sol.engine} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
