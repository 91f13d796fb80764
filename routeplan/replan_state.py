"""The day so far and the rest of it, over plain solver data.

Given the day's problem (every agent's full shift), the morning plan (one
timed :class:`~routeplan.solver.model.Route` per vehicle) and what was
reported by ``at_s`` (:class:`DayState`), :func:`continue_day` decides what is
frozen and returns the rest of the day as a problem of its own
(:class:`Continuation`), ready for :func:`routeplan.replan_solve.solve_stable`.

What is frozen, per vehicle
---------------------------
1. Every visit it reported (``done``, ``in_progress``, ``no_show``), with the
   reported times.
2. Every visit planned before its last reported one that it did not report
   but that fits between the reported ones: assumed done as planned. One that
   overlaps a reported visit was clearly not done then; it stays to be planned.
3. Then, following the plan, each next visit the agent had already set out
   for by ``at_s`` (its previous stop ended, or it left its base, by then):
   assumed done or under way: at the planned time while the day goes as
   planned; once a report is off the plan, as soon as the agent gets there
   (travel, and the break as planned) and a window allows. An agent that
   became unavailable at ``u <= at_s`` keeps only the visits it started
   before ``u``. An agent that reported a position is where it said: nothing
   is assumed after its reports.

The vehicle then continues from the last frozen visit (or the reported
position, or its base) at the later of its end and ``at_s``, until the end of
its shift or the time its day ends now (``limits``), with ``max_visits`` less
the frozen visits, and its break still owed unless the plan had it taken
before then (not overlapping the frozen visits). Its other planned visits, in
order, are its *current route*; the visits of a vehicle that does not
continue, and urgent visits on no route, are free.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from routeplan.solver.model import Problem, Route, Vehicle
from routeplan.solver.schedule import first_start

__all__ = [
    "Continuation",
    "DayState",
    "FrozenVisit",
    "Past",
    "Report",
    "continue_day",
]

#: reported times within this many seconds of the planned ones are "as planned"
AS_PLANNED_S = 59


@dataclass(frozen=True)
class Report:
    """A visit an agent reported (times in seconds after midnight).

    ``status`` is ``done``, ``in_progress`` or ``no_show``; ``end_s`` is the
    actual end (or, under way, the expected one).
    """

    vehicle: int
    visit: int
    status: str
    arrival_s: int
    end_s: int


@dataclass(frozen=True)
class DayState:
    """What is known at ``at_s``.

    ``gone``: visits cancelled or removed; ``limits``: vehicle -> when its
    day ends now (unavailable from, available until); ``positions``: vehicle
    -> (node, time) where it reported being; ``urgent``: visits to plan
    first; ``changed``: visits whose data changed (a new window), so that
    their vehicles are searched again.
    """

    at_s: int
    reports: tuple[Report, ...] = ()
    gone: frozenset[int] = frozenset()
    limits: Mapping[int, int] = field(default_factory=dict)
    positions: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    urgent: frozenset[int] = frozenset()
    changed: frozenset[int] = frozenset()


@dataclass(frozen=True)
class FrozenVisit:
    """A visit of the past (seconds after midnight, metres).

    ``status`` is the report's (``done``, ``in_progress``, ``no_show``) or ``""``
    when assumed; ``as_planned`` when the times are the plan's; the leg is
    the one leading to it.
    """

    visit: int
    arrival_s: int
    start_s: int
    end_s: int
    status: str
    as_planned: bool
    travel_s: int
    distance_m: int


@dataclass(frozen=True)
class Past:
    """One vehicle's frozen visits, where and when it continues, and its break."""

    visits: tuple[FrozenVisit, ...]
    node: int
    ready_s: int
    break_taken: bool
    #: an event touched this vehicle (reports off the plan, a position, a limit,
    #: a visit lost or gained, a changed visit): its day is not the morning's
    touched: bool
    continues: bool
    #: it continues from a position it reported (not from a visit or its base)
    at_position: bool = False


@dataclass(frozen=True)
class Continuation:
    """The rest of the day as a problem, and how its parts map to the day's.

    ``problem`` has the continuing vehicles (``vehicles[j]`` is the day's
    vehicle of its vehicle ``j``) and the visits in play (``visits[i]`` is
    the day's visit of its visit ``i``); ``current``, ``urgent`` and
    ``disturbed`` are in its numbering; ``past`` has one entry per day
    vehicle of the plan.
    """

    problem: Problem
    vehicles: tuple[int, ...]
    visits: tuple[int, ...]
    current: tuple[tuple[int, ...], ...]
    urgent: tuple[int, ...]
    disturbed: tuple[int, ...]
    past: tuple[Past, ...]
    #: day visits that were on the route of a vehicle that does not continue
    orphans: tuple[int, ...]
    notes: tuple[str, ...] = ()


def continue_day(day: Problem, plan: Sequence[Route], state: DayState) -> Continuation:
    """Freeze the day's past and return the rest of it (see the module docstring).

    Parameters
    ----------
    day
        The whole day: every agent's vehicle with its full shift, every visit
        (planned, urgent, or a location a report needs).
    plan
        The morning routes, one per vehicle of ``plan`` (vehicle ``k`` of the
        day for ``plan[k]``); vehicles after them in ``day`` are ignored.
    state
        The reports and events known at ``state.at_s``.
    """
    elsewhere: dict[int, set[int]] = {}
    planned_on = {v: k for k, r in enumerate(plan) for v in r.visits}
    for rep in state.reports:
        if planned_on.get(rep.visit, rep.vehicle) != rep.vehicle:
            elsewhere.setdefault(planned_on[rep.visit], set()).add(rep.visit)
    pasts: list[Past] = []
    currents: list[list[int]] = []
    vehicles: list[Vehicle] = []
    notes: list[str] = []
    for k, route in enumerate(plan):
        lost = set(state.gone) | elsewhere.get(k, set())
        past, current = _freeze(day, k, route, state, lost)
        vehicle, note = _continuing(day, k, past, state)
        if note:
            notes.append(note)
        if vehicle is None:
            past = dataclasses.replace(past, continues=False)
        pasts.append(past)
        currents.append(current)
        vehicles.append(vehicle or day.vehicles[k])
    frozen = {f.visit for p in pasts for f in p.visits}
    going = [k for k, p in enumerate(pasts) if p.continues]
    orphans = [v for k, seq in enumerate(currents) if not pasts[k].continues for v in seq]
    routed = {v for k in going for v in currents[k]}
    extra = [v for v in sorted(state.urgent) if v not in frozen | state.gone | routed]
    in_play = sorted(routed | set(orphans) | set(extra))
    fleet = (*vehicles, *day.vehicles[len(plan) :])
    rest = dataclasses.replace(day, vehicles=fleet, current_routes=None).restrict(going, in_play)
    local = {v: i for i, v in enumerate(in_play)}
    changed = {k for k in going if state.changed & set(currents[k])}
    disturbed = [j for j, k in enumerate(going) if pasts[k].touched or k in changed]
    return Continuation(
        problem=rest,
        vehicles=tuple(going),
        visits=tuple(in_play),
        current=tuple(tuple(local[v] for v in currents[k]) for k in going),
        urgent=tuple(local[v] for v in sorted(state.urgent) if v in local),
        disturbed=tuple(disturbed),
        past=tuple(pasts),
        orphans=tuple(orphans),
        notes=tuple(notes),
    )


def _freeze(
    day: Problem, k: int, route: Route, state: DayState, lost: set[int]
) -> tuple[Past, list[int]]:
    """Return vehicle ``k``'s past and its current route (the planned visits still to do)."""
    mine = sorted((r for r in state.reports if r.vehicle == k), key=lambda r: r.arrival_s)
    planned = dict(zip(route.visits, route.service_start_s, strict=True))
    order = {v: i for i, v in enumerate(route.visits)}
    frozen = [_reported(day, r, planned) for r in mine]
    busy = [(r.arrival_s, r.end_s) for r in mine]
    last = max((order[r.visit] for r in mine if r.visit in order), default=-1)
    reported = {r.visit for r in mine}
    for v in route.visits[: max(last, 0)]:
        if v in reported or v in lost:
            continue
        start = planned[v]
        end = start + day.visits[v].service_s
        if not any(start < b and a < end for a, b in busy):
            frozen.append(FrozenVisit(v, start, start, end, "", True, 0, 0))
    frozen.sort(key=lambda f: f.start_s)
    taken = {f.visit for f in frozen}
    current = [v for v in route.visits if v not in taken and v not in lost]
    touched = bool(
        lost & set(route.visits)
        or k in state.limits
        or k in state.positions
        or any(not f.as_planned for f in frozen)
        or any(r.visit not in order for r in mine)
    )
    veh = day.vehicles[k]
    node = day.visits[frozen[-1].visit].node if frozen else veh.start_node
    ready = max((f.end_s for f in frozen), default=None)
    position = state.positions.get(k)
    at_position = position is not None and (ready is None or position[1] >= ready)
    if position is not None and at_position:
        node, ready = position
    elif current:
        ready, node = _commit(day, k, route, state, frozen, current, ready, node)
    frozen = _with_legs(day, k, frozen)
    ready_s = max(state.at_s, veh.shift_start_s, ready if ready is not None else 0)
    brk = route.break_start_s
    taken_break = (
        brk is not None
        and brk + veh.break_s <= ready_s
        and not any(brk < f.end_s and f.start_s < brk + veh.break_s for f in frozen)
    )
    past = Past(tuple(frozen), node, ready_s, taken_break, touched, True, at_position)
    return past, current


def _reported(day: Problem, rep: Report, planned: Mapping[int, int]) -> FrozenVisit:
    """Return a reported visit as frozen: as planned when its times match the plan's."""
    start = planned.get(rep.visit)
    service = day.visits[rep.visit].service_s
    same = (
        start is not None
        and rep.status in ("done", "in_progress")
        and abs(rep.arrival_s - start) <= AS_PLANNED_S
        and abs(rep.end_s - (start + service)) <= AS_PLANNED_S
    )
    return FrozenVisit(rep.visit, rep.arrival_s, rep.arrival_s, rep.end_s, rep.status, same, 0, 0)


def _commit(
    day: Problem,
    k: int,
    route: Route,
    state: DayState,
    frozen: list[FrozenVisit],
    current: list[int],
    ready: int | None,
    node: int,
) -> tuple[int | None, int]:
    """Freeze the next planned visits the agent had set out for by ``at_s`` (in place).

    Returns when and where the agent is free after them.
    """
    veh = day.vehicles[k]
    limit = state.limits.get(k)
    cut = min(state.at_s, limit) if limit is not None else state.at_s
    gone_by_now = limit is not None and limit <= state.at_s
    planned = dict(zip(route.visits, route.service_start_s, strict=True))
    dep = ready if ready is not None else route.depart_s
    pushed = any(not f.as_planned for f in frozen)
    prev_end = dep
    while current and dep <= cut:
        v = current[0]
        visit = day.visits[v]
        travel = day.duration(k, node, visit.node)
        brk = route.break_start_s
        pause = veh.break_s if brk is not None and prev_end <= brk < planned[v] else 0
        earliest = dep + travel + pause
        if not pushed and earliest < planned[v] + 60:
            wanted = planned[v]  # as planned (times are shown to the minute)
        elif not pushed:
            wanted = max(planned[v], earliest)
        else:
            wanted = earliest  # once off the plan, the agent goes on at once
        start = first_start(visit.windows, wanted)
        if start is None or (gone_by_now and limit is not None and start >= limit):
            break
        pushed = pushed or start != planned[v]
        arrival = min(start, earliest)
        frozen.append(FrozenVisit(v, arrival, start, start + visit.service_s, "", not pushed, 0, 0))
        current.pop(0)
        prev_end = planned[v] + visit.service_s
        dep, node = start + visit.service_s, visit.node
    return (dep if frozen else ready), node


def _with_legs(day: Problem, k: int, frozen: list[FrozenVisit]) -> list[FrozenVisit]:
    """Return the frozen visits with the leg leading to each (from the base, then each other)."""
    out = []
    prev = day.vehicles[k].start_node
    for f in frozen:
        node = day.visits[f.visit].node
        leg = day.duration(k, prev, node)
        out.append(dataclasses.replace(f, travel_s=leg, distance_m=int(day.distance_m[prev, node])))
        prev = node
    return out


def _continuing(day: Problem, k: int, past: Past, state: DayState) -> tuple[Vehicle | None, str]:
    """Return vehicle ``k`` from where and when it continues (None: its day is over), and a note."""
    veh = day.vehicles[k]
    end = veh.shift_end_s
    limit = state.limits.get(k)
    if limit is not None:
        end = min(end, limit)
    if end <= past.ready_s or (limit is not None and limit <= state.at_s):
        return None, ""
    brk_window, brk_s, note = None, 0, ""
    if veh.break_window is not None and veh.break_s > 0 and not past.break_taken:
        lo, hi = max(veh.break_window[0], past.ready_s), veh.break_window[1]
        if lo <= hi and lo + veh.break_s <= end:
            brk_window, brk_s = (lo, hi), veh.break_s
        elif veh.break_window[0] <= end:
            note = f"vehicle {veh.id}: its break window has passed before it is free again"
    vehicle = dataclasses.replace(
        veh,
        start_node=past.node,
        shift_start_s=past.ready_s,
        shift_end_s=end,
        max_visits=max(0, veh.max_visits - len(past.visits)),
        break_window=brk_window,
        break_s=brk_s,
    )
    return vehicle, note
