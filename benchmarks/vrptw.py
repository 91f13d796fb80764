"""Benchmark routeplan and its peers on Solomon and Gehring-Homberger VRPTW instances.

Every visit is mandatory, capacity and fleet size come from the instance,
travel time = distance, distances in the DIMACS convention (each arc
truncated to one decimal). For each instance and engine it prints the
vehicles used, the distance (truncated and exact), the gap to the
distance-only best-known value (``distance_dimacs_t1`` rows of ``bks.csv``),
feasibility checked by :mod:`benchmarks.evaluate` and the time, then the mean
gap per family. Results go to ``benchmarks/results/`` as CSV and Markdown.

Example::

    python -m benchmarks.vrptw --time-limit 30 --instances quick8 \\
        --engines routeplan,ortools-plain,pyvrp,vroom
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

from benchmarks import report
from benchmarks.engines import ENGINES
from benchmarks.evaluate import check_vrptw, read_solomon

#: the Solomon and Gehring-Homberger instances and best-known values, kept in the
#: repository (provenance and licences in ``benchmarks/data/vrptw/README.md``)
DEFAULT_DATA = Path(__file__).resolve().parent / "data" / "vrptw"
RESULTS = Path(__file__).resolve().parent / "results"
GROUPS = {
    "quick8": "C101,C201,R101,R112,R201,RC101,RC105,RC208",
    "smoke": "C101,R101",
    "gh200": "C1_2_1,R1_2_1,RC1_2_1",
    "gh1000": "C1_10_1,R1_10_1,RC1_10_1",
}


def family(name: str) -> str:
    """Return the family of an instance name (``R1``, ``RC2``, ``GH1000``...)."""
    m = re.fullmatch(r"(RC|C|R)(\d)(\d\d)", name)
    if m:
        return m.group(1) + m.group(2)
    m = re.fullmatch(r"(RC|C|R)\d_(\d+)_\d+", name)
    if m:
        return f"GH{int(m.group(2)) * 100}"
    return "other"


def instance_path(data: Path, name: str) -> Path:
    """Return the file of instance ``name`` under ``data``."""
    sub = "solomon" if family(name) in {"C1", "C2", "R1", "R2", "RC1", "RC2"} else "homberger"
    return data / sub / f"{name}.txt"


def expand(spec: str, data: Path) -> list[str]:
    """Return instance names from a comma list of names and group names."""
    names: list[str] = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        if part == "solomon":
            names += sorted(p.stem for p in (data / "solomon").glob("*.txt"))
        elif part in GROUPS:
            names += GROUPS[part].split(",")
        else:
            names.append(part.upper())
    return names


def read_bks(data: Path) -> dict[str, float]:
    """Return the distance-only (DIMACS) best-known distance per instance."""
    out = {}
    with (data / "bks.csv").open() as fh:
        for row in csv.DictReader(fh):
            if row["objective_kind"] == "distance_dimacs_t1":
                out[row["instance"]] = float(row["distance"])
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit code (1 if any routeplan result is infeasible)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="vrptw data folder")
    ap.add_argument(
        "--time-limit", type=float, default=10.0, help="seconds per instance and engine"
    )
    ap.add_argument(
        "--instances", default="quick8", help="names or groups: " + ", ".join(["solomon", *GROUPS])
    )
    ap.add_argument("--engines", default="routeplan,ortools-plain,pyvrp,vroom")
    ap.add_argument("--area", type=int, default=None, help="routeplan max_area_visits")
    ap.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    ap.add_argument("--stem", default=None, help="file name stem of the results")
    args = ap.parse_args(argv)

    if not (args.data / "bks.csv").is_file():
        ap.error(f"{args.data}: no bks.csv here; --data must be a VRPTW data folder")
    bks = read_bks(args.data)
    names = expand(args.instances, args.data)
    missing = [n for n in names if not instance_path(args.data, n).is_file()]
    if missing:
        ap.error(f"no instance file for {', '.join(missing)} under {args.data}")
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for e in engines:
        if e not in ENGINES:
            ap.error(f"unknown engine {e!r}; choose from {', '.join(ENGINES)}")
    columns = [
        "instance",
        "family",
        "engine",
        "vehicles",
        "distance_t1",
        "distance_exact",
        "bks_t1",
        "gap_pct",
        "feasible",
        "feasible_exact",
        "time_s",
        "status",
        "load_1min",
    ]
    rows: list[list[object]] = []
    gaps: dict[tuple[str, str], list[float]] = defaultdict(list)
    failed = False
    print(" ".join(f"{c:>12}" for c in [*columns[:11], *columns[12:]]), flush=True)
    for name in names:
        inst = read_solomon(instance_path(args.data, name))
        for engine in engines:
            fn = ENGINES[engine]
            try:
                if engine == "routeplan":
                    run = fn(inst, args.time_limit, args.area)
                else:
                    run = fn(inst, args.time_limit)
            except ImportError as exc:
                print(f"{name} {engine}: skipped ({exc})", file=sys.stderr)
                continue
            chk = check_vrptw(inst, run.routes)
            best = bks.get(name)
            gap = (chk.distance_t1 / best - 1) * 100 if best and chk.feasible else None
            if gap is not None:
                gaps[(engine, family(name))].append(gap)
            if engine == "routeplan" and not chk.feasible:
                failed = True
            row: list[object] = [
                name,
                family(name),
                engine,
                chk.vehicles,
                f"{chk.distance_t1:.1f}",
                f"{chk.distance_exact:.2f}",
                best if best is not None else "",
                "" if gap is None else f"{gap:.2f}",
                chk.feasible,
                chk.feasible_exact,
                f"{run.seconds:.1f}",
                run.status,
                f"{os.getloadavg()[0]:.2f}",
            ]
            rows.append(row)
            print(" ".join(f"{c!s:>12}" for c in [*row[:11], *row[12:]]), flush=True)
            if chk.problems:
                print(f"    {name} {engine}: {chk.problems[:3]}", flush=True)

    summary_cols = ["engine", "family", "instances", "mean_gap_pct"]
    summary: list[list[object]] = []
    for engine in engines:
        allg: list[float] = []
        for fam in sorted({family(n) for n in names}):
            g = gaps.get((engine, fam), [])
            allg += g
            if g:
                summary.append([engine, fam, len(g), f"{sum(g) / len(g):.2f}"])
        if allg:
            summary.append([engine, "all", len(allg), f"{sum(allg) / len(allg):.2f}"])
    print()
    for line in report.markdown_table(summary_cols, summary):
        print(line)
    stem = args.stem or f"vrptw-{args.instances.replace(',', '_')}-{int(args.time_limit)}s"
    extra = [
        "## Mean gap to the distance-only best-known value (feasible results only)",
        "",
        *report.markdown_table(summary_cols, summary),
        "",
        f"Time limit {args.time_limit:g} s per instance and engine, one engine at a time.",
        "Gap = DIMACS-truncated distance / `distance_dimacs_t1` BKS - 1.",
        "`load_1min`: the machine's 1-minute load average when the run ended (routeplan",
        "itself keeps up to 2 cores busy).",
    ]
    csv_path, md_path = report.write(
        args.out, stem, f"VRPTW benchmark: {args.instances}", columns, rows, extra
    )
    print(f"\nwrote {csv_path} and {md_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
