"""How the daily plan on the bundled samples moves with the time limit, the seed and the load.

Runs ``plan_day`` on ``data/samples`` (plan date 2026-12-01, no geocoding)
once per seed and time limit and prints visits planned, expected recovery
covered, travel and solver figures, then per limit the mean and spread of
the objective and the travel, and whether every seed's plan at a longer limit
is at least as good as at the shorter one. ``--reproducible`` runs the
reproducible mode (and says whether the repeats of a seed gave the same
plan); ``--busy N`` keeps N CPU-bound processes running beside the plans, as
on a shared machine. The table goes to ``benchmarks/results/`` with the
machine, versions and command line.

    python -m benchmarks.plan_samples --limits 5 30 --seeds 0,1,2,3,4

``--no-breaks`` clears the agents' lunch breaks and ``--second-engine``
(auto, pyvrp, ortools) chooses the search on the second core, to compare them.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import itertools
import multiprocessing as mp
import os
import time
from pathlib import Path

import numpy as np

from benchmarks import report
from routeplan import Config, SolverSummary, load_inputs, plan_day
from routeplan.plan import Inputs
from routeplan.travel import road_distance_m, travel_time_s

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
COLUMNS = [
    "limit_s",
    "seed",
    "repeat",
    "mode",
    "visits",
    "expected_recovery",
    "km",
    "first_solution_s",
    "solve_s",
    "objective",
    "engine",
    "load_1min",
]


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


def _burn() -> None:
    """Keep one core busy until stopped (a stand-in for another process on the machine)."""
    x = 0
    while True:
        x = (x * 1103515245 + 12345) % 2**31


def summarise(rows: list[list[object]]) -> list[str]:
    """Return lines: mean and spread per limit, and whether a longer limit was never worse.

    A longer limit is never worse when, for every seed, its worst objective
    is no higher than the shorter limit's best.
    """
    lines = []
    objective: dict[tuple[float, int], list[float]] = {}
    for row in rows:
        key = (float(str(row[0])), int(str(row[1])))
        objective.setdefault(key, []).append(float(str(row[9])))
    limits = sorted({limit for limit, _ in objective})
    for limit in limits:
        group = [r for r in rows if float(str(r[0])) == limit]
        obj = [float(str(r[9])) for r in group]
        km = [float(str(r[6])) for r in group]
        visits = [int(str(r[4])) for r in group]
        mean_obj, mean_km = sum(obj) / len(obj), sum(km) / len(km)
        lines.append(
            f"- {limit:g} s, {len(group)} runs: objective mean {mean_obj:,.0f}, spread "
            f"{100 * (max(obj) - min(obj)) / mean_obj:.2f} %; travel mean {mean_km:,.1f} km, "
            f"spread {100 * (max(km) - min(km)) / mean_km:.1f} %; visits "
            f"{min(visits)}-{max(visits)}"
        )
        differ = [s for (lim, s), v in objective.items() if lim == limit and len(set(v)) > 1]
        if differ:
            lines.append(f"  - repeats of seeds {sorted(differ)} gave different objectives")
    for short, long in itertools.pairwise(limits):
        worse = sorted(
            s
            for (lim, s), v in objective.items()
            if lim == long and (short, s) in objective and max(v) > min(objective[(short, s)])
        )
        verdict = "yes" if not worse else f"no (seeds {worse})"
        lines.append(f"- {long:g} s at least as good as {short:g} s for every seed: {verdict}")
    loads = [float(str(r[11])) for r in rows]
    if loads:
        lines.append(f"- load average (1 min) before each plan: {min(loads):.2f}-{max(loads):.2f}")
    return lines


def _inputs(args: argparse.Namespace) -> Inputs:
    """Return the sample inputs, without lunch breaks when asked."""
    inputs = load_inputs(args.data / "accounts.csv", args.data / "agents.csv")
    if args.no_breaks:
        agents = inputs.agents.copy()
        for col in ("break_start", "break_end", "break_minutes"):
            if col in agents:
                agents[col] = None
        inputs = dataclasses.replace(inputs, agents=agents)
    return inputs


def main() -> None:
    """Plan the samples at each limit and seed; print and write the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limits", type=float, nargs="+", default=[5, 30])
    parser.add_argument("--seeds", default="0", help="solver seeds, e.g. 0,1,2,3,4")
    parser.add_argument("--repeats", type=int, default=1, help="runs of each seed and limit")
    parser.add_argument("--reproducible", action="store_true", help="reproducible mode")
    parser.add_argument("--busy", type=int, default=0, help="CPU-bound processes beside")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "samples")
    parser.add_argument("--date", default="2026-12-01")
    parser.add_argument("--no-breaks", action="store_true", help="clear the agents' breaks")
    parser.add_argument("--second-engine", default="auto", choices=["auto", "ortools", "pyvrp"])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--stem", default=None, help="write STEM.csv and STEM.md (default: none)")
    args = parser.parse_args()
    day = dt.date.fromisoformat(args.date)
    inputs = _inputs(args)
    print(f"travel matrix, 3,000 locations: {travel_matrix_seconds():.3f} s")
    burners = [mp.Process(target=_burn, daemon=True) for _ in range(args.busy)]
    for b in burners:
        b.start()
    rows: list[list[object]] = []
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    try:
        for seed in (int(s) for s in args.seeds.split(",")):
            for limit in args.limits:
                for repeat in range(1, args.repeats + 1):
                    cfg = Config().replace(
                        solver__time_limit_s=limit,
                        solver__second_engine=args.second_engine,
                        solver__seed=seed,
                        solver__reproducible=args.reproducible,
                    )
                    load = os.getloadavg()[0]
                    s = plan_day(inputs, day, cfg).summary
                    sol = s.solver or SolverSummary()
                    row: list[object] = [
                        f"{limit:g}",
                        seed,
                        repeat,
                        sol.mode,
                        s.counts.planned,
                        f"{s.expected_recovery_covered:.0f}",
                        f"{s.travel_km:.1f}",
                        sol.first_solution_s,
                        sol.runtime_s,
                        sol.objective,
                        sol.engine,
                        f"{load:.2f}",
                    ]
                    rows.append(row)
                    print("| " + " | ".join(str(c) for c in row) + " |", flush=True)
    finally:
        for b in burners:
            b.terminate()
    lines = summarise(rows)
    if args.busy:
        lines.insert(0, f"- {args.busy} CPU-bound process(es) ran beside every plan")
    print("\n".join(lines))
    if args.stem:
        csv_path, md_path = report.write(
            args.out, args.stem, "Sample day (data/samples, 2026-12-01)", COLUMNS, rows, lines
        )
        print(f"wrote {csv_path} and {md_path}")


if __name__ == "__main__":
    main()
