"""Run routeplan and its peers on one VRPTW instance with the same budget.

Every engine sees the same integer data: travel time = distance in tenths of
a unit, truncated (the DIMACS one-decimal convention), times scaled by 10.
Each returns routes as lists of customer ids (1..n); the caller checks them
with :func:`benchmarks.evaluate.check_vrptw`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.evaluate import Instance
from routeplan.solver.model import Problem, SolveParams, Vehicle, Visit

SCALE = 10


@dataclass
class Run:
    """Routes and timing of one engine on one instance."""

    routes: list[list[int]]
    seconds: float
    status: str


def to_problem(inst: Instance) -> Problem:
    """Return the routeplan problem of a VRPTW instance (all visits required)."""
    mat = inst.tenths()
    n = inst.customers
    visits = tuple(
        Visit(
            id=str(c),
            node=c,
            service_s=int(inst.service[c]) * SCALE,
            windows=((int(inst.ready[c]) * SCALE, int(inst.due[c]) * SCALE),),
            prize=0,
            demand=int(inst.demand[c]),
            required=True,
        )
        for c in range(1, n + 1)
    )
    vehicles = tuple(
        Vehicle(
            id=f"veh{k}",
            start_node=0,
            end_node=0,
            shift_start_s=int(inst.ready[0]) * SCALE,
            shift_end_s=int(inst.due[0]) * SCALE,
            # max_visits counts demand units; capacity is the binding limit here
            max_visits=int(inst.demand.sum()),
        )
        for k in range(inst.vehicles)
    )
    return Problem(mat, (mat,), visits, vehicles, capacity=(inst.capacity,) * inst.vehicles)


def run_routeplan(inst: Instance, seconds: float, area: int | None = None) -> Run:
    """Solve with routeplan's ``solve`` through its problem/result boundary."""
    from routeplan.solver import solve

    problem = to_problem(inst)
    params = SolveParams(time_limit_s=seconds)
    if area is not None:
        params = SolveParams(time_limit_s=seconds, max_area_visits=area)
    t = time.perf_counter()
    result = solve(problem, params)
    el = time.perf_counter() - t
    routes = [[v + 1 for v in r.visits] for r in result.routes]
    return Run(routes, el, f"{result.status} [{result.engine}]")


def run_ortools_plain(inst: Instance, seconds: float) -> Run:
    """Solve with OR-Tools alone: parallel cheapest insertion, then guided local search."""
    from routeplan.solver import Metaheuristic
    from routeplan.solver.engines import OrToolsEngine

    problem = to_problem(inst)
    engine = OrToolsEngine(first_solution="PARALLEL_CHEAPEST_INSERTION")
    params = SolveParams(time_limit_s=seconds, metaheuristic=Metaheuristic.GUIDED_LOCAL_SEARCH)
    t = time.perf_counter()
    answer = engine.solve(problem, params, None, t + seconds)
    el = time.perf_counter() - t
    if answer is None:
        return Run([], el, "no solution")
    return Run([[v + 1 for v in s] for s in answer.sequences], el, answer.note)


def run_pyvrp(inst: Instance, seconds: float, seed: int = 0) -> Run:
    """Solve with PyVRP's iterated local search for ``seconds``."""
    import pyvrp
    from pyvrp.stop import MaxRuntime

    mat = inst.tenths()
    locations = [pyvrp.Location(float(x), float(y)) for x, y in inst.xy]
    depot = pyvrp.Depot(0, tw_early=int(inst.ready[0]) * SCALE, tw_late=int(inst.due[0]) * SCALE)
    clients = [
        pyvrp.Client(
            location=c,
            delivery=[int(inst.demand[c])],
            service_duration=int(inst.service[c]) * SCALE,
            tw_early=int(inst.ready[c]) * SCALE,
            tw_late=int(inst.due[c]) * SCALE,
        )
        for c in range(1, inst.customers + 1)
    ]
    vtype = pyvrp.VehicleType(
        inst.vehicles,
        capacity=[inst.capacity],
        tw_early=int(inst.ready[0]) * SCALE,
        tw_late=int(inst.due[0]) * SCALE,
    )
    data = pyvrp.ProblemData(locations, clients, [depot], [vtype], [mat], [mat])
    t = time.perf_counter()
    res = pyvrp.solve(data, stop=MaxRuntime(seconds), seed=seed, display=False)
    el = time.perf_counter() - t
    routes = [[a.idx + 1 for a in r if a.is_client()] for r in res.best.routes()]
    return Run(routes, el, "feasible" if res.is_feasible() else "infeasible")


def run_vroom(inst: Instance, seconds: float) -> Run:
    """Solve with VROOM (exploration level 5, one thread, ``seconds`` timeout)."""
    import vroom

    mat = inst.tenths()
    problem = vroom.Input()
    problem.set_durations_matrix("car", mat)
    for k in range(inst.vehicles):
        problem.add_vehicle(
            vroom.Vehicle(
                k + 1,
                start=0,
                end=0,
                capacity=[inst.capacity],
                time_window=vroom.TimeWindow(int(inst.ready[0]) * SCALE, int(inst.due[0]) * SCALE),
            )
        )
    problem.add_job(
        [
            vroom.Job(
                c,
                location=c,
                default_service=int(inst.service[c]) * SCALE,
                delivery=[int(inst.demand[c])],
                time_windows=[
                    vroom.TimeWindow(int(inst.ready[c]) * SCALE, int(inst.due[c]) * SCALE)
                ],
            )
            for c in range(1, inst.customers + 1)
        ]
    )
    t = time.perf_counter()
    sol = problem.solve(exploration_level=5, nb_threads=1, timeout=dt.timedelta(seconds=seconds))
    el = time.perf_counter() - t
    df = sol.routes
    routes = []
    for _, grp in df.groupby("vehicle_id", sort=True):
        jobs = grp[grp["type"] == "job"]["id"].astype(int).tolist()
        routes.append(jobs)
    return Run(routes, el, f"{len(sol.unassigned)} unassigned")


ENGINES: dict[str, Callable[..., Run]] = {
    "routeplan": run_routeplan,
    "ortools-plain": run_ortools_plain,
    "pyvrp": run_pyvrp,
    "vroom": run_vroom,
}
