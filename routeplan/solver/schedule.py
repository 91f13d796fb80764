"""Time a vehicle's visit sequence and check a whole result against the model.

Shared by the construction, the OR-Tools backend (which only decides the
order of visits; this module decides the times) and the final safety check.
Pure Python over the plain data in :mod:`routeplan.solver.model`.

Break placement follows the model: the break starts inside its window and lies
in a *gap* between two consecutive items of the route (start, visits, end),
while travelling or waiting, never during a service. A gap of ``T`` travel
seconds that holds the break needs ``T + break_s`` seconds; when the vehicle
leaves the earlier item at ``d``, the break starts at ``max(d, earliest)`` and
the next item is reached at ``max(d + T, earliest) + break_s`` at the earliest.
"""

from __future__ import annotations

from collections.abc import Sequence

from routeplan.solver.model import Problem, Route, Window


def first_start(windows: Sequence[Window], t: int) -> int | None:
    """Return the earliest service start >= ``t`` inside ``windows`` (None if none)."""
    for lo, hi in windows:
        if t <= hi:
            return max(t, lo)
    return None


def latest_arrival(windows: Sequence[Window], bound: int) -> int | None:
    """Return the latest arrival whose service can start no later than ``bound``.

    Arriving at or before the returned time lets service start at or before
    ``bound``; None when no window opens by ``bound``.
    """
    best: int | None = None
    for lo, hi in windows:
        if lo > bound:
            break
        best = min(hi, bound)
    return best


def has_break(problem: Problem, vehicle: int) -> bool:
    """Return True when ``vehicle`` must take a break."""
    veh = problem.vehicles[vehicle]
    return veh.break_window is not None and veh.break_s > 0


def _forward(
    problem: Problem, vehicle: int, seq: Sequence[int], gap: int | None
) -> tuple[list[int], int, int | None] | None:
    """Return earliest service starts, return time and break start with the break in ``gap``.

    ``gap`` ``i`` is the stretch before ``seq[i]`` (``len(seq)`` = before the end
    node); None means no break. The vehicle leaves its start at shift start.
    """
    veh = problem.vehicles[vehicle]
    mat = problem.durations_s[veh.profile]
    blo, bhi = veh.break_window if veh.break_window is not None else (0, 0)
    brk_s = veh.break_s
    t = veh.shift_start_s
    prev = veh.start_node
    starts: list[int] = []
    brk: int | None = None
    for i in range(len(seq) + 1):
        node = problem.visits[seq[i]].node if i < len(seq) else veh.end_node
        arr = t + int(mat[prev, node])
        if gap == i:
            brk = max(t, blo)
            if brk > bhi:
                return None
            arr = max(arr, blo) + brk_s
        if i == len(seq):
            if arr > veh.shift_end_s:
                return None
            return starts, arr, brk
        visit = problem.visits[seq[i]]
        s = first_start(visit.windows, arr)
        if s is None:
            return None
        starts.append(s)
        t = s + visit.service_s
        prev = node
    return None  # pragma: no cover - loop always returns


def time_route(problem: Problem, vehicle: int, seq: Sequence[int]) -> Route | None:
    """Return the earliest feasible timing of ``seq`` on ``vehicle`` (None if infeasible).

    Checks windows, shift, break and travel; not load or allowed vehicles
    (see :func:`check_routes`). The break goes in the gap that returns
    earliest; departure from the start is pushed as late as the first service
    allows, so the agent does not wait at the first stop.
    """
    veh = problem.vehicles[vehicle]
    if not seq:
        return Route(vehicle, (), (), veh.shift_start_s, veh.shift_start_s, None)
    gaps: list[int | None] = list(range(len(seq) + 1)) if has_break(problem, vehicle) else [None]
    best: tuple[list[int], int, int | None, int | None] | None = None
    for gap in gaps:
        res = _forward(problem, vehicle, seq, gap)
        if res is not None and (best is None or res[1] < best[1]):
            best = (res[0], res[1], res[2], gap)
    if best is None:
        return None
    starts, ret, brk, gap = best
    first = problem.visits[seq[0]]
    travel0 = problem.duration(vehicle, veh.start_node, first.node)
    if gap == 0:
        assert veh.break_window is not None
        blo, bhi = veh.break_window
        depart = max(veh.shift_start_s, min(starts[0] - veh.break_s - travel0, bhi))
        brk = max(depart, blo)
    else:
        depart = max(veh.shift_start_s, starts[0] - travel0)
    return Route(vehicle, tuple(seq), tuple(starts), depart, ret, brk)


def check_routes(problem: Problem, routes: Sequence[Route]) -> list[str]:
    """Return every way ``routes`` break the model's rules (empty list = feasible).

    Checks one route per vehicle in order, each visit served at most once and
    required visits served, allowed vehicles, load against ``max_visits`` and
    ``capacity``, shift bounds, travel times, service windows, and the break
    (inside its window, not during a service, its time available in its gap).
    """
    errors: list[str] = []
    if len(routes) != len(problem.vehicles):
        return [f"{len(routes)} routes for {len(problem.vehicles)} vehicles"]
    seen: set[int] = set()
    for k, route in enumerate(routes):
        veh = problem.vehicles[k]
        name = f"vehicle {veh.id}"
        if route.vehicle != k:
            errors.append(f"{name}: route carries vehicle index {route.vehicle}")
        if len(route.service_start_s) != len(route.visits):
            errors.append(f"{name}: {len(route.visits)} visits but service times differ")
            continue
        if not route.visits:
            continue
        load = 0
        for v in route.visits:
            if not 0 <= v < len(problem.visits):
                errors.append(f"{name}: unknown visit index {v}")
                return errors
            if v in seen:
                errors.append(f"visit {problem.visits[v].id} served twice")
            seen.add(v)
            visit = problem.visits[v]
            load += visit.demand
            if visit.allowed_vehicles is not None and k not in visit.allowed_vehicles:
                errors.append(f"{name}: may not serve visit {visit.id}")
        if load > veh.max_visits:
            errors.append(f"{name}: load {load} > max_visits {veh.max_visits}")
        if problem.capacity is not None and load > problem.capacity[k]:
            errors.append(f"{name}: load {load} > capacity {problem.capacity[k]}")
        if route.depart_s < veh.shift_start_s:
            errors.append(f"{name}: departs before shift start")
        if route.return_s > veh.shift_end_s:
            errors.append(f"{name}: returns after shift end")
        errors.extend(_check_times(problem, k, route))
    for i, visit in enumerate(problem.visits):
        if visit.required and i not in seen:
            errors.append(f"required visit {visit.id} not served")
    return errors


def _check_times(problem: Problem, k: int, route: Route) -> list[str]:
    """Return timing violations of one non-empty route."""
    veh = problem.vehicles[k]
    name = f"vehicle {veh.id}"
    errors: list[str] = []
    brk = route.break_start_s
    need_break = has_break(problem, k)
    if need_break:
        assert veh.break_window is not None
        if brk is None:
            return [f"{name}: no break placed"]
        if not veh.break_window[0] <= brk <= veh.break_window[1]:
            errors.append(f"{name}: break starts outside its window")
    brk_placed = False
    t = route.depart_s
    prev = veh.start_node
    n = len(route.visits)
    for i in range(n + 1):
        if i < n:
            visit = problem.visits[route.visits[i]]
            node, nxt = visit.node, route.service_start_s[i]
        else:
            node, nxt = veh.end_node, route.return_s
        need = problem.duration(k, prev, node)
        if need_break and brk is not None and t <= brk < nxt:
            need += veh.break_s
            brk_placed = True
            if brk + veh.break_s > nxt:
                errors.append(f"{name}: break overlaps the service after it")
        if nxt - t < need:
            errors.append(f"{name}: stop {i} reached too early ({nxt - t} s < {need} s)")
        if i < n:
            if not any(lo <= nxt <= hi for lo, hi in visit.windows):
                errors.append(f"{name}: visit {visit.id} starts outside its windows")
            t = nxt + visit.service_s
            prev = node
    if need_break and brk is not None and not brk_placed:
        errors.append(f"{name}: break not between two stops of the route")
    return errors
