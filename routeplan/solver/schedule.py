"""Time a vehicle's visit sequence and check a whole result against the model.

Shared by the construction, the engines (which only decide the order of
visits; this module decides the times), the final safety check and the
itinerary (:func:`layout`, the route as the agent lives it). Pure Python over
the plain data in :mod:`routeplan.solver.model`.

Break placement follows the model: the break starts inside its window and lies
in a *gap* between two consecutive items of the route (start, visits, end),
while travelling or waiting, never during a service. A gap of ``T`` travel
seconds that holds the break needs ``T + break_s`` seconds; when the vehicle
leaves the earlier item at ``d``, the break starts at ``max(d, earliest)`` and
the next item is reached at ``max(d + T, earliest) + break_s`` at the earliest.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

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


def _earliest(
    problem: Problem, vehicle: int, seq: Sequence[int]
) -> tuple[list[int], int, int | None, int | None] | None:
    """Return the timing of ``seq`` that returns earliest: starts, return, break start, gap.

    The gap is None when the vehicle has no break; None overall when ``seq``
    cannot be timed.
    """
    gaps: list[int | None] = list(range(len(seq) + 1)) if has_break(problem, vehicle) else [None]
    best: tuple[list[int], int, int | None, int | None] | None = None
    for gap in gaps:
        res = _forward(problem, vehicle, seq, gap)
        if res is not None and (best is None or res[1] < best[1]):
            best = (res[0], res[1], res[2], gap)
    return best


def break_gap(problem: Problem, vehicle: int, seq: Sequence[int]) -> int | None:
    """Return where the break goes in the earliest timing of ``seq``; None if it cannot be timed.

    Gap ``i`` is the stretch before ``seq[i]`` (``len(seq)``: before the end
    node); -1 when the vehicle takes no break.
    """
    best = _earliest(problem, vehicle, seq)
    if best is None:
        return None
    return -1 if best[3] is None else best[3]


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
    best = _earliest(problem, vehicle, seq)
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
    if len(routes) != len(problem.vehicles):
        return [f"{len(routes)} routes for {len(problem.vehicles)} vehicles"]
    errors: list[str] = []
    seen: set[int] = set()
    for k, route in enumerate(routes):
        name = f"vehicle {problem.vehicles[k].id}"
        if route.vehicle != k:
            errors.append(f"{name}: route carries vehicle index {route.vehicle}")
        if len(route.service_start_s) != len(route.visits):
            errors.append(f"{name}: {len(route.visits)} visits but service times differ")
            continue
        if not route.visits:
            continue
        bad = [v for v in route.visits if not 0 <= v < len(problem.visits)]
        if bad:
            errors.append(f"{name}: unknown visit index {bad[0]}")
            return errors
        errors.extend(_check_load(problem, k, route, seen))
        errors.extend(_check_times(problem, k, route))
    for i, visit in enumerate(problem.visits):
        if visit.required and i not in seen:
            errors.append(f"required visit {visit.id} not served")
    return errors


def _check_load(problem: Problem, k: int, route: Route, seen: set[int]) -> list[str]:
    """Return the visit, load and shift violations of one route; add its visits to ``seen``."""
    veh = problem.vehicles[k]
    name = f"vehicle {veh.id}"
    errors: list[str] = []
    load = 0
    for v in route.visits:
        visit = problem.visits[v]
        if v in seen:
            errors.append(f"visit {visit.id} served twice")
        seen.add(v)
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


def timed_routes(problem: Problem, sequences: Sequence[Sequence[int]]) -> list[Route]:
    """Return one timed route per vehicle; a sequence that cannot be timed keeps its feasible part.

    Visits are kept in order while the route stays feasible, so a bad
    sequence loses only the visits that do not fit.
    """
    routes = []
    for k, seq in enumerate(sequences):
        route = time_route(problem, k, seq)
        if route is None:
            kept: list[int] = []
            for v in seq:
                if time_route(problem, k, [*kept, v]) is not None:
                    kept.append(v)
            route = time_route(problem, k, kept)
            assert route is not None, "an empty route is always feasible"
        routes.append(route)
    return routes


def plan_is_valid(problem: Problem, sequences: Sequence[Sequence[int]]) -> bool:
    """Return True when every sequence can be timed and the plan passes :func:`check_routes`.

    Required visits left out do not count here: the caller weighs them
    (:data:`routeplan.solver.model.REQUIRED_PENALTY`).
    """
    routes = []
    for k, seq in enumerate(sequences):
        route = time_route(problem, k, seq)
        if route is None:
            return False
        routes.append(route)
    return not [m for m in check_routes(problem, routes) if not m.startswith("required")]


# -- laying a route out for people -------------------------------------------------


class Stop(StrEnum):
    """The kinds of event of an agent's day (the itinerary's ``kind`` column)."""

    START = "start"
    VISIT = "visit"
    BREAK = "break"
    END = "end"


@dataclass(frozen=True)
class Event:
    """One event of a laid-out route (seconds after midnight, metres).

    ``arrival_s`` is when the agent gets there, ``start_s``/``end_s`` the
    service (for ``START`` the stay at the base until departure, for
    ``BREAK`` the break); ``travel_s`` and ``distance_m`` are the leg that
    leads to it (0 for ``START`` and ``BREAK``).
    """

    kind: Stop
    node: int | None
    visit: int | None
    arrival_s: int
    start_s: int
    end_s: int
    travel_s: int = 0
    distance_m: int = 0


@dataclass(frozen=True)
class _Gap:
    """Time between two services: ready at ``ready``, next service at ``due``."""

    ready: int
    travel: int
    due: int


def _place_break(
    gaps: Sequence[_Gap], window: Window, length: int, proposed: int | None
) -> tuple[int, int] | None:
    """Return ``(gap index, break start)`` or None when no break fits.

    A break fits a gap when it starts in its window, after the earlier
    service and ends before the next, and the gap holds the travel too. The
    proposal (the route's ``break_start_s``) is kept when it fits; otherwise
    the earliest placement is used.
    """
    lo, hi = window
    candidates = []
    for g, gap in enumerate(gaps):
        earliest = max(lo, gap.ready)
        latest = min(hi, gap.due - length)
        if earliest <= latest and gap.ready + gap.travel + length <= gap.due:
            candidates.append((g, earliest, latest))
    if proposed is not None:
        for g, earliest, latest in candidates:
            if earliest <= proposed <= latest:
                return g, proposed
    return (candidates[0][0], candidates[0][1]) if candidates else None


def _route_break(problem: Problem, route: Route, gaps: Sequence[_Gap]) -> tuple[int, int] | None:
    """Return where the route's break goes, or None (no break, or the day ends before it)."""
    veh = problem.vehicles[route.vehicle]
    if not has_break(problem, route.vehicle):
        return None
    assert veh.break_window is not None
    brk = _place_break(gaps, veh.break_window, veh.break_s, route.break_start_s)
    last = gaps[-1]
    # after the last visit: only when the day actually lasts into the window
    if (
        brk is not None
        and brk[0] == len(gaps) - 1
        and last.ready + last.travel <= veh.break_window[0]
    ):
        return None
    return brk


def layout(problem: Problem, route: Route, not_before_s: int = 0) -> list[Event]:
    """Return the events of one non-empty route, the way an agent lives the day.

    Service starts come from ``route``; the agent leaves the base as late as
    the first stop allows, waits at the next stop rather than at the base, and
    takes the break on the way between two stops (its proposed start when it
    fits, else the earliest that does; none when the day ends before the
    break window). Arrivals are shown no earlier than ``not_before_s`` (the
    legal start: nobody stands at a door before hours).
    """
    veh = problem.vehicles[route.vehicle]
    nodes = [veh.start_node, *(problem.visits[v].node for v in route.visits), veh.end_node]
    legs = [problem.duration(route.vehicle, a, b) for a, b in itertools.pairwise(nodes)]
    metres = [int(problem.distance_m[a, b]) for a, b in itertools.pairwise(nodes)]
    service = [problem.visits[v].service_s for v in route.visits]
    starts = list(route.service_start_s)
    dues = [*starts, veh.shift_end_s]
    readies = [veh.shift_start_s, *(s + d for s, d in zip(starts, service, strict=True))]
    gaps = [_Gap(r, t, d) for r, t, d in zip(readies, legs, dues, strict=True)]
    brk = _route_break(problem, route, gaps)
    b_len = veh.break_s if brk is not None else 0

    def leg_end(g: int, ready: int) -> int:
        if brk is not None and brk[0] == g:
            return max(ready + legs[g] + b_len, brk[1] + b_len)
        return ready + legs[g]

    breaks: dict[int, Event] = {}
    if brk is not None:
        breaks[brk[0]] = Event(Stop.BREAK, None, None, brk[1], brk[1], brk[1] + b_len)
    # departure: as late as the first stop allows, never before the shift
    first_need = legs[0] + (b_len if 0 in breaks else 0)
    depart = max(veh.shift_start_s, starts[0] - first_need)
    if 0 in breaks:
        depart = min(depart, breaks[0].start_s)
    events = [Event(Stop.START, veh.start_node, None, veh.shift_start_s, veh.shift_start_s, depart)]
    ready = depart
    for i, v in enumerate(route.visits):
        events.extend([breaks[i]] if i in breaks else [])
        arrival = min(max(leg_end(i, ready), not_before_s), starts[i])
        end = starts[i] + service[i]
        events.append(
            Event(Stop.VISIT, nodes[i + 1], v, arrival, starts[i], end, legs[i], metres[i])
        )
        ready = end
    last = len(route.visits)
    events.extend([breaks[last]] if last in breaks else [])
    back = leg_end(last, ready)
    events.append(Event(Stop.END, veh.end_node, None, back, back, back, legs[-1], metres[-1]))
    return events
