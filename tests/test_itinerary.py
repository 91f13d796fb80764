"""Laying a solver route out as timed itinerary rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from routeplan.build import BuiltProblem
from routeplan.itinerary import route_rows
from routeplan.solver.model import Problem, Route, Vehicle, Visit

H = 3600


def _built(break_window: tuple[int, int] | None = None, break_s: int = 0) -> BuiltProblem:
    # nodes: 0 = base, 1 and 2 = debtors; 600 s between any two places
    dur = np.full((3, 3), 600, dtype=np.int64)
    np.fill_diagonal(dur, 0)
    visits = (
        Visit("V1", 1, 1800, ((9 * H, 20 * H),), 100),
        Visit("V2", 2, 1800, ((9 * H, 20 * H),), 100),
    )
    veh = Vehicle("A", 0, 0, 8 * H, 18 * H, 5, break_window=break_window, break_s=break_s)
    problem = Problem(dur * 5, (dur,), visits, (veh,))
    return BuiltProblem(problem, ("V1", "V2"), ("A",), {}, pd.DataFrame())


def test_departure_is_delayed_so_nobody_waits_before_hours() -> None:
    """Shift from 08:00, first visit at 09:30: leave 09:20, arrive 09:30."""
    built = _built()
    route = Route(0, (0, 1), (int(9.5 * H), 11 * H), 8 * H, 12 * H)
    rows = route_rows(route, built, legal_start_s=9 * H)
    assert [r["kind"] for r in rows] == ["start", "visit", "visit", "end"]
    assert rows[0]["service_end"] == int(9.5 * H) - 600
    assert rows[1]["arrival"] == int(9.5 * H)
    # second visit: ready 10:00, 10 min travel -> arrives 10:10, waits to 11:00
    assert rows[2]["arrival"] == 10 * H + 600 and rows[2]["service_start"] == 11 * H
    assert rows[3]["arrival"] == 11 * H + 1800 + 600
    assert rows[1]["travel"] == 600 and rows[1]["km"] == 3000


def test_break_between_stops_adds_to_the_time_not_the_leg() -> None:
    """A 30-min break in the gap: listed between the stops, arrival after it."""
    built = _built(break_window=(12 * H, 13 * H), break_s=1800)
    route = Route(0, (0, 1), (11 * H, 13 * H), 8 * H, 14 * H, break_start_s=12 * H)
    rows = route_rows(route, built, legal_start_s=8 * H)
    assert [r["kind"] for r in rows] == ["start", "visit", "break", "visit", "end"]
    brk = rows[2]
    assert (brk["service_start"], brk["service_end"]) == (12 * H, 12 * H + 1800)
    assert rows[3]["arrival"] == 12 * H + 1800  # max(11:30 + 10 min + 30 min, break end)
    assert rows[3]["travel"] == 600  # the leg itself


def test_break_moved_into_a_feasible_gap() -> None:
    """An impossible proposed break time is replaced by the earliest that fits."""
    built = _built(break_window=(12 * H, 13 * H), break_s=1800)
    route = Route(0, (0, 1), (11 * H, 13 * H), 8 * H, 14 * H, break_start_s=11 * H)
    rows = route_rows(route, built, legal_start_s=8 * H)
    brk = next(r for r in rows if r["kind"] == "break")
    assert brk["service_start"] == 12 * H


def test_no_break_when_the_day_ends_before_its_window() -> None:
    """A short morning route does not carry a lunch break."""
    built = _built(break_window=(12 * H, 13 * H), break_s=1800)
    route = Route(0, (0,), (9 * H,), 8 * H, 10 * H, break_start_s=12 * H)
    rows = route_rows(route, built, legal_start_s=8 * H)
    assert "break" not in [r["kind"] for r in rows]
