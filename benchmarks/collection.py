"""Benchmark routeplan on seeded field-collection days beside VROOM and PyVRP.

A day is generated from a seed: visits clustered in districts of a 30 km
city, one or two visit windows, 30-minute services, prizes from a skewed
expected recovery, agents with their own base, shift, a one-hour lunch break
window, a speed profile, ``max_visits`` and language/seniority skills.

Variants (``--variants``): *full* is that day; *nobreaks* the full day
without lunch breaks; *shared* drops what PyVRP cannot express (skills,
breaks, second windows, per-agent speed) and keeps windows, shifts, bases,
optional visits with prizes and ``max_visits`` as capacity.

Engines (``--engines``): ``routeplan`` (``solve`` as the planner runs it),
``routeplan-repro`` (the same in reproducible mode), ``routeplan-pyvrp`` and
``routeplan-ortools`` (``second_engine`` forced to ``"pyvrp"`` / ``"ortools"``),
``vroom`` on any variant (routeplan's own problem through
:class:`routeplan.solver.engines.VroomEngine`: skills, breaks, several windows,
each prize as a priority; one thread, the limit as timeout; once per level of
``--vroom-exploration``, as ``vroom-x0``...) and ``pyvrp`` on
the shared variant. One evaluator (:func:`benchmarks.evaluate.evaluate_plan`)
scores every plan: objective = travel seconds + prizes of skipped visits.
Every routeplan run is repeated ``--repeats`` times (default 5); the summary
gives the mean and the spread ((max - min) / mean) of objective and travel,
how far the full day's mean objective lies below VROOM's, and the full day's
travel against the nobreaks day's.

Example::

    python -m benchmarks.collection --sizes 1500/40,5000/120 --limits 60 --repeats 5
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks import report
from benchmarks.evaluate import evaluate_plan
from routeplan.solver.model import Problem, SolveParams, Vehicle, Visit

RESULTS = Path(__file__).resolve().parent / "results"
H = 3600


def make_day(n_visits: int, n_agents: int, seed: int, shared: bool = False) -> Problem:
    """Return a seeded collection day (``shared``: the variant PyVRP can express)."""
    rng = np.random.default_rng(seed)
    districts = rng.uniform(0, 30000, size=(max(3, n_visits // 120), 2))
    which = rng.integers(len(districts), size=n_visits)
    pts = districts[which] + rng.normal(0, 1800, size=(n_visits, 2))
    bases = rng.uniform(3000, 27000, size=(n_agents, 2))
    xy = np.vstack([pts, bases])
    dx = xy[:, None, :] - xy[None, :, :]
    dist = (np.sqrt((dx**2).sum(axis=2)) * 1.35).astype(np.int64)
    speeds = (25.0, 18.0) if not shared else (25.0,)
    durations = tuple((dist / (s / 3.6)).astype(np.int64) for s in speeds)
    recovery = rng.lognormal(mean=8.5, sigma=0.9, size=n_visits)
    languages = rng.choice(3, size=n_visits, p=[0.8, 0.15, 0.05])
    senior_needed = rng.random(n_visits) < 0.1
    agent_lang = [
        {0} | ({1} if rng.random() < 0.3 else set()) | ({2} if rng.random() < 0.1 else set())
        for _ in range(n_agents)
    ]
    agent_senior = rng.random(n_agents) < 0.3
    visits = []
    for i in range(n_visits):
        r = rng.random()
        if r < 0.5:
            windows: tuple[tuple[int, int], ...] = ((8 * H, 20 * H),)
        elif r < 0.8 or shared:
            a = int(rng.integers(8, 17))
            windows = ((a * H, (a + int(rng.integers(2, 5))) * H),)
        else:
            windows = ((9 * H, 12 * H), (18 * H, 20 * H))
        allowed = None
        if not shared:
            ok = [
                k
                for k in range(n_agents)
                if languages[i] in agent_lang[k] and (agent_senior[k] or not senior_needed[i])
            ]
            allowed = tuple(ok) if len(ok) < n_agents else None
        visits.append(
            Visit(
                f"acct{i}", i, 1800, windows, int(recovery[i] * 0.5) + 600, allowed_vehicles=allowed
            )
        )
    vehicles = []
    for k in range(n_agents):
        start = int(rng.choice([8, 9])) * H
        brk_window = None if shared else (12 * H, 13 * H + 1800)
        vehicles.append(
            Vehicle(
                f"agent{k}",
                n_visits + k,
                n_visits + k,
                start,
                start + 9 * H,
                int(rng.choice([8, 10, 12])),
                profile=0 if shared else int(k % 4 == 3),
                break_window=brk_window,
                break_s=0 if shared else H,
            )
        )
    return Problem(dist, durations, tuple(visits), tuple(vehicles))


def run_routeplan(
    problem: Problem, seconds: float, second_engine: str = "auto", reproducible: bool = False
) -> tuple[list[list[int]], float | None, float]:
    """Return routeplan's sequences, time to first plan and runtime."""
    from routeplan.solver import solve

    params = SolveParams(
        time_limit_s=seconds, second_engine=second_engine, reproducible=reproducible
    )
    t = time.perf_counter()
    res = solve(problem, params)
    return [list(r.visits) for r in res.routes], res.first_solution_s, time.perf_counter() - t


def run_vroom(problem: Problem, seconds: float, exploration: int) -> tuple[list[list[int]], float]:
    """Return VROOM's sequences for routeplan's own problem, and its runtime."""
    from routeplan.solver.engines import VroomEngine

    t = time.perf_counter()
    answer = VroomEngine(exploration=exploration).solve(
        problem, SolveParams(), None, time.perf_counter() + seconds
    )
    assert answer is not None
    return [list(s) for s in answer.sequences], time.perf_counter() - t


def run_pyvrp(problem: Problem, seconds: float) -> tuple[list[list[int]], float]:
    """Return PyVRP's sequences on the shared variant (one depot per agent base)."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    nv = len(problem.visits)
    bases = [v.start_node for v in problem.vehicles]
    order = bases + [v.node for v in problem.visits]  # PyVRP wants depots first
    mat = problem.durations_s[0][np.ix_(order, order)]
    locations = [pyvrp.Location(0.0, 0.0) for _ in order]
    depots = [pyvrp.Depot(i) for i in range(len(bases))]
    clients = []
    for j, v in enumerate(problem.visits):
        lo, hi = v.windows[0]
        clients.append(
            pyvrp.Client(
                location=len(bases) + j,
                delivery=[v.demand],
                service_duration=v.service_s,
                tw_early=lo,
                tw_late=hi,
                prize=v.prize,
                required=False,
            )
        )
    vtypes = [
        pyvrp.VehicleType(
            1,
            capacity=[veh.max_visits],
            start_depot=k,
            end_depot=k,
            tw_early=veh.shift_start_s,
            tw_late=veh.shift_end_s,
            unit_distance_cost=1,
        )
        for k, veh in enumerate(problem.vehicles)
    ]
    data = pyvrp.ProblemData(locations, clients, depots, vtypes, [mat], [mat])
    t = time.perf_counter()
    res = pyvrp.solve(data, stop=MaxRuntime(seconds), seed=0, display=False)
    el = time.perf_counter() - t
    seqs: list[list[int]] = [[] for _ in problem.vehicles]
    for route in res.best.routes():
        seqs[route.vehicle_type()] = [int(a.idx) for a in route if a.is_client()]
    assert all(0 <= c < nv for s in seqs for c in s)
    return seqs, el


#: routeplan engines of the benchmark: second_engine and reproducible mode
ROUTEPLAN_ENGINES = {
    "routeplan": ("auto", False),
    "routeplan-repro": ("auto", True),
    "routeplan-pyvrp": ("pyvrp", False),
    "routeplan-ortools": ("ortools", False),
}
COLUMNS = [
    "visits",
    "agents",
    "variant",
    "engine",
    "limit_s",
    "run",
    "first_plan_s",
    "runtime_s",
    "feasible",
    "served",
    "prize_covered_pct",
    "travel_min",
    "objective",
    "load_1min",
]
SUMMARY_COLUMNS = [
    "visits",
    "agents",
    "variant",
    "engine",
    "limit_s",
    "runs",
    "objective_mean",
    "objective_spread_pct",
    "travel_min_mean",
    "travel_spread_pct",
    "below_vroom_pct",
    "travel_vs_nobreaks_pct",
]


def days(nv: int, na: int, seed: int) -> dict[str, Problem]:
    """Return the variants of the seeded day of ``nv`` visits and ``na`` agents."""
    full = make_day(nv, na, seed)
    return {
        "full": full,
        "shared": make_day(nv, na, seed, shared=True),
        "nobreaks": replace(
            full, vehicles=tuple(replace(k, break_window=None, break_s=0) for k in full.vehicles)
        ),
    }


def summarise(rows: list[list[object]]) -> list[list[object]]:
    """Return one row per (size, variant, engine, limit): means, spreads and comparisons.

    ``below_vroom_pct``: how far the mean objective lies below VROOM's best on
    the same day and limit (positive = better than VROOM); ``travel_vs_nobreaks_pct``:
    the mean travel against the same engine's on the nobreaks day.
    """
    groups: dict[tuple[object, ...], list[tuple[float, float]]] = {}
    for row in rows:
        key = (row[0], row[1], row[2], row[3], row[4])
        groups.setdefault(key, []).append((float(str(row[12])), float(str(row[11]))))
    out = []
    for key, runs in groups.items():
        obj = [r[0] for r in runs]
        travel = [r[1] for r in runs]
        mean_obj, mean_travel = sum(obj) / len(obj), sum(travel) / len(travel)
        vroom = [
            min(r[0] for r in runs)
            for k, runs in groups.items()
            if k[:3] == key[:3] and k[4] == key[4] and str(k[3]).startswith("vroom")
        ]
        nobreaks = groups.get((key[0], key[1], "nobreaks", key[3], key[4]))
        below = ""
        if vroom and not str(key[3]).startswith("vroom"):
            v = min(vroom)
            below = f"{100 * (v - mean_obj) / v:.2f}"
        versus = ""
        if nobreaks and key[2] != "nobreaks":
            nb = sum(r[1] for r in nobreaks) / len(nobreaks)
            versus = f"{100 * (mean_travel - nb) / nb:+.1f}"
        out.append(
            [
                *key,
                len(runs),
                f"{mean_obj:.0f}",
                f"{100 * (max(obj) - min(obj)) / mean_obj:.2f}",
                f"{mean_travel:.0f}",
                f"{100 * (max(travel) - min(travel)) / max(1.0, mean_travel):.1f}",
                below,
                versus,
            ]
        )
    return out


class Table:
    """The rows of a benchmark run, printed as they come; ``failed`` when a routeplan plan fails."""

    def __init__(self) -> None:
        self.rows: list[list[object]] = []
        self.failed = False
        print(" ".join(f"{c:>10}" for c in COLUMNS), flush=True)

    def add(
        self,
        day: tuple[int, int, str, Problem],
        engine: str,
        limit: float,
        run: int,
        first: float | None,
        runtime: float,
        seqs: list[list[int]],
    ) -> None:
        """Evaluate one plan and add its row."""
        nv, na, variant, problem = day
        ev = evaluate_plan(problem, seqs)
        total_prize = sum(v.prize for v in problem.visits)
        if engine.startswith("routeplan") and not ev.feasible:
            self.failed = True
        row: list[object] = [
            nv,
            na,
            variant,
            engine,
            f"{limit:g}",
            run,
            "" if first is None else f"{first:.2f}",
            f"{runtime:.1f}",
            ev.feasible,
            ev.served,
            f"{100 * ev.prize_served / total_prize:.1f}",
            f"{ev.travel_s / 60:.0f}",
            ev.objective,
            f"{os.getloadavg()[0]:.2f}",
        ]
        self.rows.append(row)
        print(" ".join(f"{c!s:>10}" for c in row), flush=True)
        if ev.problems:
            print(f"    {ev.problems[:3]}", flush=True)


def _load_range(rows: list[list[object]]) -> str:
    """Return the lowest and highest load average recorded in ``rows``."""
    loads = [float(str(r[-1])) for r in rows]
    return f"{min(loads):.2f}-{max(loads):.2f}" if loads else "none"


def parse(argv: list[str] | None) -> argparse.Namespace:
    """Return the command line's options."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sizes", default="300/10,1500/40,5000/120", help="visits/agents list")
    ap.add_argument("--limits", default="10,30,120", help="time limits in seconds")
    ap.add_argument(
        "--pyvrp-limit",
        type=float,
        default=None,
        help="PyVRP seconds on the shared variant (default: the largest limit)",
    )
    ap.add_argument(
        "--engines",
        default="routeplan,vroom,pyvrp",
        help=", ".join([*ROUTEPLAN_ENGINES, "vroom", "pyvrp"]),
    )
    ap.add_argument("--variants", default="full,shared", help="full, shared, nobreaks")
    ap.add_argument("--repeats", type=int, default=5, help="runs of every routeplan engine")
    ap.add_argument(
        "--vroom-exploration", default="0,5", help="VROOM's levels (0-5), each run once"
    )
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--stem", default="collection")
    args = ap.parse_args(argv)
    for v in args.variants.split(","):
        if v.strip() not in ("full", "shared", "nobreaks"):
            ap.error(f"unknown variant {v!r}")
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the collection benchmark; return 1 if a routeplan plan is infeasible."""
    args = parse(argv)
    sizes = [tuple(int(x) for x in s.split("/")) for s in args.sizes.split(",")]
    limits = [float(x) for x in args.limits.split(",")]
    engines = {e.strip() for e in args.engines.split(",")}
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    table = Table()
    for nv, na in sizes:
        problems = days(nv, na, args.seed + nv)
        for variant in variants:
            day = (nv, na, variant, problems[variant])
            for engine, (second, reproducible) in ROUTEPLAN_ENGINES.items():
                if engine not in engines:
                    continue
                for limit in limits:
                    for run in range(1, args.repeats + 1):
                        seqs, first, runtime = run_routeplan(day[3], limit, second, reproducible)
                        table.add(day, engine, limit, run, first, runtime, seqs)
            if "vroom" in engines:
                for level in (int(x) for x in args.vroom_exploration.split(",")):
                    for limit in limits:
                        seqs, runtime = run_vroom(day[3], limit, level)
                        table.add(day, f"vroom-x{level}", limit, 1, None, runtime, seqs)
        if "pyvrp" in engines and "shared" in variants:
            limit = args.pyvrp_limit or max(limits)
            try:
                seqs, runtime = run_pyvrp(problems["shared"], limit)
            except ImportError as exc:
                print(f"pyvrp skipped ({exc})", file=sys.stderr)
            else:
                table.add(
                    (nv, na, "shared", problems["shared"]), "pyvrp", limit, 1, None, runtime, seqs
                )
    summary = summarise(table.rows)
    print()
    for line in report.markdown_table(SUMMARY_COLUMNS, summary):
        print(line)
    extra = [
        "`full`: skills (language, seniority), lunch breaks, some two-window visits, two",
        "speed profiles. `shared`: what PyVRP expresses (one window, no skills or breaks,",
        "one speed). `nobreaks`: the full day without lunch breaks. Objective = travel",
        "seconds + prizes of skipped visits, evaluated by",
        "`benchmarks/evaluate.py` for every engine; prize covered = share of all prizes.",
        f"VROOM: routeplan's problem, exploration levels {args.vroom_exploration} (`vroom-xN`),",
        "one thread, the limit as timeout; `below_vroom_pct` compares with the best of them.",
        "`load_1min`: the machine's 1-minute load average when the run ended (a routeplan",
        f"run itself keeps up to 2 cores busy, VROOM 1); over all runs {_load_range(table.rows)}.",
        "",
        "## Summary (mean over the runs above; spread = (max - min) / mean)",
        "",
        *report.markdown_table(SUMMARY_COLUMNS, summary),
    ]
    csv_path, md_path = report.write(
        args.out, args.stem, "Collection-day benchmark", COLUMNS, table.rows, extra
    )
    print(f"\nwrote {csv_path} and {md_path}")
    return 1 if table.failed else 0


if __name__ == "__main__":
    sys.exit(main())
