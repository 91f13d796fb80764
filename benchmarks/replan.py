"""Benchmark ``routeplan replan`` on a seeded collection day of ``benchmarks/collection.py``.

The morning plan of the day is made with ``--morning-limit`` seconds. At
``--at`` the day is simulated: each agent follows its plan, a share of the
visits it starts runs long or finds nobody home (no-show), and every visit
started before ``--at`` is reported done; ``--unavailable`` agents (with
visits left) become unavailable at ``--at`` and ``--urgent`` accounts the
morning left out become urgent. Then

* **replan**: :func:`routeplan.replan_state.continue_day` and
  :func:`routeplan.replan_solve.solve_stable` with the default limit
  (``--limit``, 5 s) and move cost (30 min): wall time, objective;
* **from scratch**: the same rest of the day (same vehicles, visits, urgent
  prizes) solved with no current routes and no move costs in
  ``--scratch-limit`` seconds (60 s): objective, and how much better it is;
* **stability**: the share of the remaining visits of untouched agents (no
  event of their own) that the re-plan gave to another agent, or dropped.

Objectives are travel seconds plus the prizes of skipped visits (move costs
left out), on the same problem. The machine's load average is printed before
and after (the machine may be shared).

Example::

    python -m benchmarks.replan --visits 5000 --agents 120 --at 11:00
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks import report
from benchmarks.collection import make_day
from routeplan.replan_solve import Stability, solve_stable
from routeplan.replan_state import Continuation, DayState, Report, continue_day
from routeplan.solver import Problem, Result, SolveParams, solve
from routeplan.solver.model import plan_cost, route_cost
from routeplan.solver.schedule import check_routes

RESULTS = Path(__file__).resolve().parent / "results"
#: seconds of the re-plan's limit kept back from the solver (timing and checking the result)
MARGIN_S = 0.5


def simulate(
    day: Problem,
    plan: Result,
    at_s: int,
    rng: np.random.Generator,
    *,
    long_share: float = 0.0,
    no_show_share: float = 0.0,
) -> list[Report]:
    """Return the reports of every visit started before ``at_s``, the agents following the plan.

    A visit runs long (10-40 min more) with probability ``long_share`` and is
    a no-show (5 min) with ``no_show_share``; the agent then goes on to the
    next planned stop, travelling as the problem says, and never starts it
    earlier than planned. With both 0 every visit is reported as planned.
    """
    reports: list[Report] = []
    for route in plan.routes:
        k = route.vehicle
        t, node = route.depart_s, day.vehicles[k].start_node
        for v, planned in zip(route.visits, route.service_start_s, strict=True):
            visit = day.visits[v]
            arrival = max(planned, t + day.duration(k, node, visit.node))
            if arrival >= at_s:
                break
            draw = rng.random()
            if draw < no_show_share:
                status, length = "no_show", 300
            elif draw < no_show_share + long_share:
                status, length = "done", visit.service_s + int(rng.integers(10, 41)) * 60
            else:
                status, length = "done", visit.service_s
            end = arrival + length
            if end > at_s:
                status = "in_progress"
            reports.append(Report(k, v, status, arrival, end))
            t, node = end, visit.node
    return reports


@dataclass(frozen=True)
class Whole:
    """Every visit not done yet, for the continuing vehicles, and the day visit -> its index."""

    problem: Problem
    index: dict[int, int]


def whole_day(day: Problem, cont: Continuation, replanned: Problem) -> Whole:
    """Return the rest of the day with every visit not frozen, urgent prizes as in the re-plan."""
    frozen = {f.visit for p in cont.past for f in p.visits}
    open_all = [v for v in range(len(day.visits)) if v not in frozen]
    prize = {cont.visits[i]: v.prize for i, v in enumerate(replanned.visits)}
    fleet = list(day.vehicles)
    for j, k in enumerate(cont.vehicles):
        fleet[k] = cont.problem.vehicles[j]
    visits = tuple(
        dataclasses.replace(v, prize=prize.get(i, v.prize)) for i, v in enumerate(day.visits)
    )
    full = dataclasses.replace(day, vehicles=tuple(fleet), visits=visits)
    part = full.restrict(cont.vehicles, open_all)
    return Whole(part, {v: i for i, v in enumerate(open_all)})


def _scratch(
    problem: Problem, replanned: list[list[int]], args: argparse.Namespace
) -> tuple[Result, float]:
    """Solve ``problem`` from scratch; return the result and how much better it is (%)."""
    found = solve(problem, SolveParams(time_limit_s=args.scratch_limit))
    mine = plan_cost(problem, replanned)
    return found, 100 * (mine - found.objective) / max(1, mine)


def main(argv: list[str] | None = None) -> int:
    """Run the re-plan benchmark and print its figures; return 1 if a plan is infeasible."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--visits", type=int, default=5000)
    ap.add_argument("--agents", type=int, default=120)
    ap.add_argument("--at", default="11:00", help="HH:MM of the re-plan")
    ap.add_argument("--unavailable", type=int, default=3)
    ap.add_argument("--urgent", type=int, default=20)
    ap.add_argument("--morning-limit", type=float, default=60.0)
    ap.add_argument("--limit", type=float, default=5.0, help="replan time limit (s)")
    ap.add_argument("--scratch-limit", type=float, default=60.0)
    ap.add_argument("--move-cost-min", type=float, default=30.0)
    ap.add_argument(
        "--long-share", type=float, default=0.0, help="share of visits running 10-40 min long"
    )
    ap.add_argument("--no-show-share", type=float, default=0.0, help="share of no-shows (5 min)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--stem", default="replan")
    args = ap.parse_args(argv)
    hh, mm = (int(x) for x in args.at.split(":"))
    at_s = hh * 3600 + mm * 60
    rng = np.random.default_rng(args.seed)
    load_before = os.getloadavg()
    day = make_day(args.visits, args.agents, args.seed + args.visits)
    print(f"load average before: {load_before[0]:.2f} (1 min) on {os.cpu_count()} cores")
    morning = solve(day, SolveParams(time_limit_s=args.morning_limit))
    planned = morning.num_served()
    print(f"morning plan: {planned} of {len(day.visits)} visits, objective {morning.objective}")

    reports = simulate(
        day, morning, at_s, rng, long_share=args.long_share, no_show_share=args.no_show_share
    )
    busy = [r.vehicle for r in morning.routes if r.visits]
    with_rest = [
        k for k in busy if len(morning.routes[k].visits) > sum(1 for r in reports if r.vehicle == k)
    ]
    sick = sorted(int(k) for k in rng.choice(with_rest, size=args.unavailable, replace=False))
    left_out = list(morning.dropped)
    urgent = frozenset(int(v) for v in rng.choice(left_out, size=args.urgent, replace=False))
    state = DayState(
        at_s=at_s,
        reports=tuple(reports),
        limits=dict.fromkeys(sick, at_s),
        urgent=urgent,
    )
    long = sum(1 for r in reports if r.end_s - r.arrival_s > day.visits[r.visit].service_s)
    no_show = sum(1 for r in reports if r.status == "no_show")
    print(
        f"at {args.at}: {len(reports)} visits reported ({100 * len(reports) / planned:.1f} % of "
        f"the {planned} planned; {long} ran long, {no_show} no-shows), agents unavailable "
        f"{sick}, {len(urgent)} urgent accounts"
    )

    t0 = time.perf_counter()
    cont = continue_day(day, morning.routes, state)
    stable = solve_stable(
        cont.problem,
        cont.current,
        stability=Stability(move_cost_s=int(args.move_cost_min * 60)),
        # the limit counts from the start of the re-plan: what continue_day took is spent,
        # and a margin is kept for laying out the result
        params=SolveParams(
            time_limit_s=max(0.5, args.limit - MARGIN_S - (time.perf_counter() - t0))
        ),
        disturbed=cont.disturbed,
        urgent=cont.urgent,
    )
    wall = time.perf_counter() - t0
    rest = dataclasses.replace(stable.problem, current_routes=None)
    replan_obj = route_cost(rest, stable.result.routes)
    bad = check_routes(stable.problem, stable.result.routes)
    print(
        f"replan: {wall:.2f} s wall (limit {args.limit:g} s), {len(cont.visits)} visits in "
        f"play, {len(stable.searched)} of {len(cont.vehicles)} agents searched, "
        f"{stable.result.num_served()} served, objective {replan_obj}, "
        f"{'feasible' if not bad else 'INFEASIBLE: ' + bad[0]}"
    )

    scratch, gain = _scratch(rest, [list(r.visits) for r in stable.result.routes], args)
    print(
        f"from scratch, the same visits: {scratch.num_served()} served, objective "
        f"{scratch.objective}; better than the re-plan by {gain:.2f} %"
    )
    whole = whole_day(day, cont, stable.problem)
    seqs = [[whole.index[cont.visits[v]] for v in r.visits] for r in stable.result.routes]
    whole_scratch, whole_gain = _scratch(whole.problem, seqs, args)
    print(
        f"from scratch, every visit not done ({len(whole.problem.visits)}): "
        f"{whole_scratch.num_served()} served, objective {whole_scratch.objective} against "
        f"the re-plan's {plan_cost(whole.problem, seqs)}; better by {whole_gain:.2f} %"
    )

    final = {
        cont.visits[v]: cont.vehicles[r.vehicle] for r in stable.result.routes for v in r.visits
    }
    # a dropped visit "stays" for the count of agent changes (final.get(v, k) == k)
    untouched = {k for k in cont.vehicles if not cont.past[k].touched}
    frozen = {f.visit for p in cont.past for f in p.visits}
    rest_of = {k: [v for v in morning.routes[k].visits if v not in frozen] for k in untouched}
    total = sum(len(seq) for seq in rest_of.values())
    moved = sum(1 for k, seq in rest_of.items() for v in seq if final.get(v, k) != k)
    dropped = sum(1 for seq in rest_of.values() for v in seq if v not in final)
    share = 100 * moved / max(1, total)
    print(
        f"stability: {len(untouched)} untouched agents, {total} remaining visits, {moved} "
        f"changed agent ({share:.1f} %), {dropped} dropped; {len(stable.kept)} agents keep "
        "their route exactly"
    )
    load_after = os.getloadavg()
    print(f"load average after: {load_after[0]:.2f} (1 min)")
    columns = [
        "visits",
        "agents",
        "at",
        "reported",
        "unavailable",
        "urgent",
        "replan_wall_s",
        "replan_objective",
        "scratch_limit_s",
        "scratch_objective",
        "scratch_better_pct",
        "whole_day_scratch_better_pct",
        "untouched_remaining",
        "changed_agent_pct",
        "dropped",
        "feasible",
        "load_1min",
    ]
    row: list[object] = [
        args.visits,
        args.agents,
        args.at,
        len(reports),
        len(sick),
        len(urgent),
        f"{wall:.2f}",
        replan_obj,
        f"{args.scratch_limit:g}",
        scratch.objective,
        f"{gain:.2f}",
        f"{whole_gain:.2f}",
        total,
        f"{share:.1f}",
        dropped,
        not bad,
        f"{load_before[0]:.2f}/{load_after[0]:.2f}",
    ]
    extra = [
        "Objective = travel seconds + prizes of skipped visits (move costs left out).",
        "`scratch_better_pct`: how much lower a from-scratch solve of the same visits (those",
        "still to do, freed or urgent) reaches in `scratch_limit_s`; `whole_day_...`: the same",
        "for every visit not done yet (the morning's dropped ones too), the re-plan's routes",
        "scored on that set.",
        "`changed_agent_pct`: remaining visits of agents without an event of their own that",
        "the re-plan gave to another agent. `load_1min`: load average before/after.",
    ]
    csv_path, md_path = report.write(
        args.out, args.stem, "Re-plan benchmark", columns, [row], extra
    )
    print(f"wrote {csv_path} and {md_path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
