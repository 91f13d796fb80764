"""Road travel benchmarks on the Helsinki extract (real OpenStreetMap data, real OSRM).

1. **Matrix time** for 500, 1,000 and 2,000 places drawn in the extract's
   area (snapping included): the embedded model (``osm:``, routeplan's own
   ``osrm-routed``, CH for car) and the server model (``osrm:`` against an
   ``osrm-routed`` started here, at OSRM's default ``--max-table-size 100``
   and at 1,000), first uncached, then again from the cache.
2. **The Helsinki sample day**: the straight-line plan re-checked with road
   times (late arrivals, minutes late), and the road plan's own figures.
3. **A whole ``routeplan plan``** of a generated 1,500-account day inside the
   extract with ``--travel osm`` against ``haversine`` at the same time limit
   (the extract prepared beforehand, the matrix cache empty).

Needs ``scripts/osrm-setup.sh`` (``make osrm-setup``). Results go to
``benchmarks/results/travel.md`` and ``.csv``.

Example::

    python -m benchmarks.travel            # about 5 minutes
    python -m benchmarks.travel --quick    # a smoke run (make bench-smoke)
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import report
from routeplan.check import check_plan
from routeplan.config import load_config
from routeplan.plan import load_inputs, plan_day
from routeplan.travel import (
    OsmModel,
    OsrmModel,
    Points,
    ServiceSettings,
    TravelModel,
    TravelProfile,
)
from routeplan.travel.factory import travel_model
from routeplan.travel.osrm_engine import OsrmServer, OsrmTools, find_osrm

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
HELSINKI = ROOT / "data" / "samples" / "helsinki"
PBF = HELSINKI / "Helsinki.osm.pbf"
DATE = dt.date(2026, 12, 1)
CAR = TravelProfile("car")
#: the extract's road network lies inside this box (degrees)
LAT_RANGE = (60.1635, 60.1790)
LON_RANGE = (24.9300, 24.9550)
LATE = re.compile(r": (\d+) min late$")


def random_places(n: int, seed: int) -> Points:
    """Return ``n`` uniform random places in the extract's area."""
    rng = np.random.default_rng(seed)
    return Points.of(rng.uniform(*LAT_RANGE, size=n), rng.uniform(*LON_RANGE, size=n))


def timed(call: Callable[[], object]) -> float:
    """Return the seconds ``call`` takes."""
    t0 = time.perf_counter()
    call()
    return time.perf_counter() - t0


# --- 1. matrices -------------------------------------------------------------------------


def matrix_rows(sizes: list[int], tools: OsrmTools, work: Path) -> list[list[object]]:
    """Time each model on each size, uncached then cached."""
    rows: list[list[object]] = []
    with OsmModel(PBF, cache_root=work / "cache", osrm_bin=str(tools.bin_dir)) as osm:
        for profile in ("car", "foot"):  # prepare the extract and start the servers
            osm.matrix(random_places(2, 0), TravelProfile(profile))
        base = osm.prepare("car")
        servers = {}
        try:
            for limit in (100, 1000):
                servers[limit] = OsrmServer(
                    base, tools=tools, algorithm="ch", max_table_size=limit
                ).start()
            models: list[tuple[str, TravelModel, TravelProfile]] = [
                ("embedded (osm:), car, CH", osm, CAR),
                ("embedded (osm:), foot, MLD", osm, TravelProfile("foot")),
            ]
            for limit, server in servers.items():
                model = OsrmModel(
                    {"car": server.url},
                    service=ServiceSettings(block=limit),
                    cache_root=work / f"server{limit}",
                )
                models.append((f"server (osrm:), car, max-table-size {limit}", model, CAR))
            for n in sizes:
                places = random_places(n, seed=n)
                for name, model, profile in models:
                    first = timed(lambda m=model, p=places, f=profile: m.matrix(p, f))
                    again = timed(lambda m=model, p=places, f=profile: m.matrix(p, f))
                    rows.append([n, name, round(first, 2), round(again, 2)])
                    print(f"  {n:>5} {name:<42} {first:6.2f} s  cached {again:5.2f} s", flush=True)
        finally:
            for server in servers.values():
                server.stop()
    return rows


# --- 2. the Helsinki day --------------------------------------------------------------------


def late_arrivals(
    model: TravelModel, plan_dir: Path, inputs: Any, cfg: Any
) -> tuple[int, int, int]:
    """Return (late arrivals, minutes late in all, most minutes late) of a plan on ``model``."""
    violations = check_plan(plan_dir, inputs.accounts, inputs.agents, DATE, cfg, travel=model)
    minutes = [int(m.group(1)) for v in violations if (m := LATE.search(v.detail))]
    return len(minutes), sum(minutes), max(minutes, default=0)


def day_rows(limit: float, tools: OsrmTools, work: Path) -> list[list[object]]:
    """Plan the sample day on straight lines and on roads; re-check the first on roads."""
    cfg = load_config(HELSINKI / "routeplan.toml").replace(
        solver__time_limit_s=limit,
        travel__cache_dir=str(work / "cache"),
        travel__osrm_bin=str(tools.bin_dir),
    )
    inputs = load_inputs(HELSINKI / "accounts.csv", HELSINKI / "agents.csv")
    rows: list[list[object]] = []
    road_spec = f"osm:{PBF}"
    with travel_model(cfg.travel, provider=road_spec) as road:
        for name, spec in (("straight lines (haversine)", "haversine"), ("roads (osm)", road_spec)):
            model = road if spec == road_spec else travel_model(cfg.travel, provider=spec)
            plan = plan_day(inputs, DATE, cfg, travel=model)
            out = work / f"day-{spec.split(':')[0]}"
            plan.write(out)
            late, total, worst = late_arrivals(road, out, inputs, cfg)
            s = plan.summary
            rows.append(
                [
                    name,
                    s.counts.planned,
                    s.travel_km,
                    s.travel_min,
                    late,
                    total,
                    worst,
                ]
            )
            print(f"  {name}: {rows[-1][1:]}", flush=True)
    return rows


# --- 3. a whole plan, 1,500 accounts --------------------------------------------------------


def write_big_day(
    folder: Path, n_accounts: int, tools: OsrmTools, cache: Path, modes: tuple[str, ...]
) -> None:
    """Write a generated day of ``n_accounts`` in the extract and 40 agents.

    The agents are the sample team's six repeated, their travel modes taken
    in turn from ``modes``.
    """
    spec = importlib.util.spec_from_file_location("helsinki_generate", HELSINKI / "generate.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    os.environ.setdefault("ROUTEPLAN_OSRM_BIN", str(tools.bin_dir))
    if not (folder / "accounts.csv").is_file():
        gen.generate(PBF, folder, seed=7, cache=cache, n_accounts=n_accounts)
    lines = (HELSINKI / "agents.csv").read_text().splitlines()
    header, team = lines[0], lines[1:]
    col = {name: i for i, name in enumerate(header.split(","))}
    agents = [header]
    for k in range(40):
        cells = team[k % len(team)].split(",")
        cells[col["agent_id"]] = f"HB{k + 1:02d}"
        cells[col["credential_id"]] = f"HEL-COL-2026-B{k + 1:02d}"
        cells[col["travel_mode"]] = modes[k % len(modes)]
        agents.append(",".join(cells))
    (folder / "agents.csv").write_text("\n".join(agents) + "\n")


def plan_seconds(folder: Path, config: Path, travel: str, limit: float, out: Path) -> float:
    """Return the wall seconds of one ``routeplan plan`` run (a new process)."""
    cmd = [sys.executable, "-m", "routeplan.cli", "plan"]
    cmd += ["--accounts", str(folder / "accounts.csv"), "--agents", str(folder / "agents.csv")]
    cmd += ["--date", DATE.isoformat(), "--config", str(config), "--no-geocode", "-q"]
    cmd += ["--time-limit", str(limit), "--travel", travel, "--out", str(out)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True)
    return time.perf_counter() - t0


def whole_plan_rows(
    n_accounts: int, limit: float, tools: OsrmTools, work: Path
) -> list[list[object]]:
    """Time plan --travel haversine and --travel osm on the generated day, for two fleets.

    The mixed fleet is also planned with ``osm_algorithm = "ch"`` (every
    network contracted, the extract prepared beforehand like the others).
    """
    folder = work / "big"
    cache = work / "cache"  # the extract is prepared here already (parts 1 and 2)
    if n_accounts == 150:  # the sample day itself (a quick run)
        folder.mkdir()
        shutil.copy(HELSINKI / "accounts.csv", folder / "accounts.csv")
    configs = {}
    for algorithm in ("auto",) if n_accounts == 150 else ("auto", "ch"):
        with OsmModel(
            PBF, cache_root=cache, osrm_bin=str(tools.bin_dir), algorithm=algorithm
        ) as osm:
            for profile in ("car", "bicycle", "foot"):
                osm.prepare(profile)
        configs[algorithm] = work / f"big-{algorithm}.toml"
        configs[algorithm].write_text(
            (HELSINKI / "routeplan.toml").read_text()
            + f'\n[travel]\ncache_dir = "{cache}"\nosrm_bin = "{tools.bin_dir}"\n'
            + f'osm_algorithm = "{algorithm}"\n'
        )
    runs = [
        ("car", ("car",), "haversine", "auto"),
        ("car", ("car",), f"osm:{PBF}", "auto"),
        ("mixed", ("car", "car", "car", "foot", "foot", "bicycle"), "haversine", "auto"),
        ("mixed", ("car", "car", "car", "foot", "foot", "bicycle"), f"osm:{PBF}", "auto"),
        ("mixed", ("car", "car", "car", "foot", "foot", "bicycle"), f"osm:{PBF}", "ch"),
    ]
    if n_accounts == 150:
        runs = runs[2:4]  # a quick run: the mixed fleet
    rows: list[list[object]] = []
    for fleet, modes, travel, algorithm in runs:
        write_big_day(folder, n_accounts, tools, cache, modes)
        shutil.rmtree(cache / "matrices", ignore_errors=True)  # no matrix cached
        name = travel.split(":")[0] + (f" ({algorithm})" if travel != "haversine" else "")
        out = work / f"big-{fleet}-{travel.split(':')[0]}-{algorithm}"
        seconds = plan_seconds(folder, configs[algorithm], travel, limit, out)
        summary = json.loads((out / "summary.json").read_text())
        planned = summary["counts"]["planned"]
        rows.append([fleet, name, n_accounts, limit, round(seconds, 1), planned])
        print(f"  {fleet} fleet, plan --travel {name}: {seconds:.1f} s", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the travel benchmarks and write the tables."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes, short limits (smoke run)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--stem", default="travel")
    args = ap.parse_args(argv)
    if not PBF.is_file():
        ap.error(f"{PBF} is missing: run bash scripts/osrm-setup.sh")
    local = ROOT / ".venv" / "osrm" / "bin"
    tools = find_osrm(
        os.environ.get("ROUTEPLAN_OSRM_BIN") or (str(local) if local.is_dir() else "")
    )
    sizes = [200] if args.quick else [500, 1000, 2000]
    day_limit, big_accounts, big_limit = (2.0, 150, 2.0) if args.quick else (30.0, 1500, 20.0)
    work = Path(tempfile.mkdtemp(prefix="routeplan-travel-bench-"))
    load_before = os.getloadavg()[0]
    try:
        print("matrices", flush=True)
        matrices = matrix_rows(sizes, tools, work)
        print("Helsinki sample day", flush=True)
        day = day_rows(day_limit, tools, work)
        print(f"whole plan, {big_accounts} accounts", flush=True)
        whole = whole_plan_rows(big_accounts, big_limit, tools, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    straight = {row[0]: row[4] for row in whole if row[1] == "haversine"}
    slower = {
        f"{row[0]}, {row[1]}": row[4] - straight[row[0]] for row in whole if row[1] != "haversine"
    }
    load = f"{load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    extra = [
        f"Load average (1 min): {load}; 2 means both cores busy, so above 2 other work "
        "was sharing the machine and the times are longer than on an idle one.",
        "",
        "## The Helsinki sample day (150 accounts, 6 agents) re-checked on road times",
        "",
        *report.markdown_table(
            [
                "plan",
                "visits",
                "travel_km",
                "travel_min",
                "late_arrivals_on_roads",
                "min_late_total",
                "min_late_max",
            ],
            day,
        ),
        "",
        f"## A whole `routeplan plan`, {big_accounts} accounts, 40 agents",
        "",
        "Fleets: `car` (every agent drives) and `mixed` (3 car, 2 foot, 1 bicycle in turn).",
        "",
        *report.markdown_table(
            ["fleet", "travel", "accounts", "limit_s", "wall_s", "visits"], whole
        ),
        "",
        *(
            f"{run}: {extra_s:+.1f} s against `haversine` (target: at most +15 s)."
            for run, extra_s in slower.items()
        ),
    ]
    report.write(
        args.out,
        args.stem,
        "Road travel benchmarks (Helsinki extract, OSRM " + tools.version + ")",
        ["places", "model", "uncached_s", "cached_s"],
        matrices,
        extra,
    )
    print(f"written {args.out / args.stem}.md", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
