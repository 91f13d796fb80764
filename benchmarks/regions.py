"""Benchmark a national day of many regions planned on a local Dask cluster.

The day is made by the regions sample generator (``data/samples/regions/
generate.py``: regions in CN and UK cities, two jurisdictions, two time
zones). It is planned with ``run_regions`` on a ``LocalCluster`` of 1 worker,
then of 2 workers (each a single-threaded process), and each region is
planned once more on its own with ``plan_day`` in this process. Reported:

* wall time of the regions at each worker count (cluster start-up apart) and
  the speed-up;
* the cluster's overhead per region: the time from sending a region to
  having its plan back, minus the time the task ran on its worker (shipping
  the inputs and the plan, scheduling, the client's polling);
* whether each region's plan on the cluster equals its standalone plan.

The solver runs in its reproducible mode when routeplan has one
(``SolveParams.reproducible``), else with a solution limit (a bounded
amount of search, no second search): the same work at 1 and 2 workers, and
plans that can be compared with the standalone ones.

Example::

    python -m benchmarks.regions --regions 40 --accounts 2000 --agents 40   # the national day
    python -m benchmarks.regions --regions 8 --accounts 500 --agents 10     # scaled down
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import report
from routeplan.config import Config
from routeplan.execution_dask import DaskExecutor
from routeplan.io.regions import read_regions
from routeplan.plan import load_inputs, plan_day
from routeplan.regions import Region, split_by_column
from routeplan.regions_run import RegionDone, run_regions
from routeplan.solver.params import SolveParams

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
GENERATOR = ROOT / "data" / "samples" / "regions" / "generate.py"
DATE = dt.date(2026, 12, 1)


def generate(out_dir: Path, regions: int, accounts: int, agents: int) -> None:
    """Write the national day with the regions sample generator."""
    spec = importlib.util.spec_from_file_location("routeplan_regions_generate", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    module.generate(out_dir, regions=regions, accounts=accounts, agents=agents)


def bounded_config(solution_limit: int, time_limit_s: float) -> tuple[Config, str]:
    """Return the config of a bounded, repeatable search and the name of the mode."""
    names = {f.name for f in dataclasses.fields(SolveParams)}
    if "reproducible" in names:
        cfg = Config().replace(solver__reproducible=True, solver__time_limit_s=time_limit_s)
        return cfg, "reproducible"
    cfg = Config().replace(solver__solution_limit=solution_limit, solver__time_limit_s=time_limit_s)
    return cfg, f"solution limit {solution_limit}"


def fingerprint(done_plan: Any) -> tuple[Any, ...]:
    """Return each agent's visits in order: equal fingerprints are the same plan."""
    itin = done_plan.itineraries
    visits = itin[itin["kind"] == "visit"]
    return tuple(
        (str(agent), tuple(rows["account_id"].astype(str)))
        for agent, rows in visits.groupby("agent_id", sort=True)
    )


def on_cluster(regions: list[Region], workers: int) -> dict[str, Any]:
    """Plan the regions on a fresh LocalCluster of ``workers`` processes; return the figures."""
    t0 = time.perf_counter()
    executor = DaskExecutor.local(workers)
    startup = time.perf_counter() - t0
    plans: dict[str, Any] = {}

    def keep(region: Region, done: RegionDone) -> None:
        plans[region.name] = done.plan

    try:
        t1 = time.perf_counter()
        outcomes = run_regions(regions, executor, keep)
        wall = time.perf_counter() - t1
    finally:
        executor.close()
    failed = [o for o in outcomes if o.status != "planned"]
    if failed:
        raise SystemExit(
            f"{len(failed)} regions failed, e.g. {failed[0].region}: {failed[0].reason}"
        )
    overheads = [o.wall_s - o.task_s for o in outcomes]
    return {
        "workers": workers,
        "startup_s": startup,
        "wall_s": wall,
        "task_s": sum(o.task_s for o in outcomes),
        "solve_s": sum(o.solve_s for o in outcomes),
        "overhead_mean_s": sum(overheads) / len(overheads),
        "overhead_max_s": max(overheads),
        "plans": plans,
    }


def standalone(regions: list[Region]) -> tuple[dict[str, Any], float]:
    """Plan each region on its own in this process, as ``routeplan plan`` on its rows would."""
    plans = {}
    t0 = time.perf_counter()
    for region in regions:
        plans[region.name] = plan_day(region.inputs, region.date, region.config)
    return plans, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write ``benchmarks/results/STEM.{csv,md}``."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--regions", type=int, default=40)
    ap.add_argument("--accounts", type=int, default=2000, help="accounts per region")
    ap.add_argument("--agents", type=int, default=40, help="agents per region")
    ap.add_argument("--workers", default="1,2", help="worker counts to compare")
    ap.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="rounds over the worker counts, in turn; the fastest run of each counts "
        "(the machine may be shared)",
    )
    ap.add_argument("--solution-limit", type=int, default=200)
    ap.add_argument(
        "--time-limit",
        type=float,
        default=10.0,
        help="per region: the work budget in reproducible mode (nominal seconds of work), "
        "else a safety bound on the solution-limited search",
    )
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--stem", default="regions")
    args = ap.parse_args(argv)

    cfg, mode = bounded_config(args.solution_limit, args.time_limit)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        generate(data, args.regions, args.accounts, args.agents)
        inputs = load_inputs(data / "accounts.csv", data / "agents.csv")
        profiles = read_regions(data / "regions.csv")
    portfolio = split_by_column(inputs, "region", cfg, profiles=profiles, plan_date=DATE)
    regions = list(portfolio.regions)
    print(f"{len(regions)} regions, {len(inputs.accounts)} accounts, mode: {mode}", file=sys.stderr)
    # the plans come back without being drawn: the figures are those of planning

    best: dict[int, dict[str, Any]] = {}
    walls: dict[int, list[float]] = {}
    counts = [int(x) for x in args.workers.split(",")]
    for _ in range(max(1, args.repeat)):
        for w in counts:
            load = os.getloadavg()[0]
            run = on_cluster(regions, w)
            run["load"] = load
            walls.setdefault(w, []).append(run["wall_s"])
            if w not in best or run["wall_s"] < best[w]["wall_s"]:
                best[w] = run
            print(f"{w} workers: {run['wall_s']:.1f} s (load {load:.1f})", file=sys.stderr)
    runs = [best[w] for w in counts]
    alone, alone_s = standalone(regions)
    base = runs[0]["wall_s"]
    rows = [
        [
            r["workers"],
            len(regions),
            len(inputs.accounts),
            len(inputs.agents),
            f"{r['startup_s']:.1f}",
            f"{r['wall_s']:.1f}",
            f"{base / r['wall_s']:.2f}",
            f"{r['task_s']:.1f}",
            f"{r['overhead_mean_s']:.2f}",
            f"{r['overhead_max_s']:.2f}",
            f"{r['load']:.1f}",
        ]
        for r in runs
    ]
    same = []
    for r in runs:
        n = sum(fingerprint(r["plans"][g.name]) == fingerprint(alone[g.name]) for g in regions)
        diffs = [_objective(r["plans"][g.name]) - _objective(alone[g.name]) for g in regions]
        same.append(
            f"- {r['workers']} worker(s): {n}/{len(regions)} regions give the same plan as "
            f"their standalone run; objective differences (cluster - standalone): "
            f"min {min(diffs)}, max {max(diffs)}"
        )
    extra = [
        "Every run, wall seconds: "
        + "; ".join(f"{w} worker(s): {', '.join(f'{x:.1f}' for x in walls[w])}" for w in counts)
        + " (the fastest of each is in the table).",
        "",
        f"Search mode: {mode}. Standalone runs (plan_day in one process, one region after "
        f"another): {alone_s:.1f} s.",
        "",
        *same,
        "",
        "overhead = time from sending a region to having its plan back, minus the time the "
        "task ran on its worker; load = 1-minute load average when the run started (the "
        "machine is shared).",
    ]
    columns = [
        "workers",
        "regions",
        "accounts",
        "agents",
        "startup_s",
        "wall_s",
        "speedup",
        "task_s_total",
        "overhead_mean_s",
        "overhead_max_s",
        "load",
    ]
    _csv_path, md_path = report.write(
        args.out, args.stem, "Regions on a local Dask cluster", columns, rows, extra
    )
    print(md_path.read_text(), file=sys.stderr)
    return 0


def _objective(plan: Any) -> int:
    """Return a plan's solver objective (its typed summary's ``solver.objective``)."""
    return int(plan.summary.to_json()["solver"]["objective"])


if __name__ == "__main__":
    sys.exit(main())
