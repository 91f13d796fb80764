"""Read a solver result back as the day's itineraries (contract rows).

Times come from the solver's schedule (:func:`routeplan.solver.schedule.layout`):
the agent leaves the base as late as the first stop allows (no waiting at a
door before legal hours); waiting happens at the next stop; a break is taken
on the way, between two stops.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from routeplan import schema as S
from routeplan.build import BuiltProblem
from routeplan.formats import format_clock, format_windows
from routeplan.solver.model import Result, Route
from routeplan.solver.schedule import Stop, layout

_KINDS = {
    Stop.START: S.EventKind.START,
    Stop.VISIT: S.EventKind.VISIT,
    Stop.BREAK: S.EventKind.BREAK,
    Stop.END: S.EventKind.END,
}


def route_rows(
    route: Route,
    built: BuiltProblem,
    legal_start_s: int,
) -> list[dict[str, object]]:
    """Return the timed rows (kind, node, times, leg) of one non-empty route.

    The times are the solver's layout of the route
    (:func:`routeplan.solver.schedule.layout`): departure as late as the first
    stop allows, waiting at the next stop, the break on the way; arrivals are
    not shown before ``legal_start_s``.
    """
    return [
        {
            S.KIND: _KINDS[e.kind],
            "node": e.node,
            "visit": e.visit,
            "arrival": e.arrival_s,
            "service_start": e.start_s,
            "service_end": e.end_s,
            "km": e.distance_m,
            "travel": e.travel_s,
        }
        for e in layout(built.problem, route, legal_start_s)
    ]


def assemble_itineraries(
    result: Result,
    built: BuiltProblem,
    accounts: pd.DataFrame,
    agents: pd.DataFrame,
    scores: pd.DataFrame,
    plan_date: dt.date,
    legal_start_min: int,
) -> pd.DataFrame:
    """Return ``itineraries.csv`` rows for every agent with at least one visit."""
    acc = accounts.set_index(S.ACCOUNT_ID, drop=False)
    sc = scores.set_index(S.ACCOUNT_ID)
    ag = agents.set_index(S.AGENT_ID, drop=False)
    out: list[dict[str, object]] = []
    day = plan_date.isoformat()
    for route in result.routes:
        if not route.visits:
            continue
        agent_id = built.vehicle_agents[route.vehicle]
        agent = ag.loc[agent_id]
        for n, row in enumerate(route_rows(route, built, legal_start_min * 60)):
            rec: dict[str, object] = {
                "date": day,
                "agent_id": agent_id,
                "stop_no": n,
                S.KIND: row[S.KIND],
                "account_id": "",
                "debtor_name": "",
                "address": "",
                "lat": None,
                "lon": None,
                "arrival": format_clock(int(row["arrival"]), seconds=True),  # type: ignore[call-overload]
                "service_start": format_clock(int(row["service_start"]), seconds=True),  # type: ignore[call-overload]
                "service_end": format_clock(int(row["service_end"]), seconds=True),  # type: ignore[call-overload]
                "travel_km": round(int(row["km"]) / 1000, 2),  # type: ignore[call-overload]
                "travel_min": round(int(row["travel"]) / 60, 1),  # type: ignore[call-overload]
                "priority": None,
                "balance": None,
                "days_past_due": None,
                "agent_name": agent[S.AGENT_NAME],
                "visit_window": "",
                "expected_recovery": None,
                "chosen_because": "",
                "language": "",
                "why_today": "",
            }
            if row[S.KIND] == S.EventKind.VISIT:
                aid = built.visit_accounts[int(row["visit"])]  # type: ignore[call-overload]
                a = acc.loc[aid]
                s = sc.loc[aid]
                rec.update(
                    account_id=aid,
                    debtor_name=a[S.DEBTOR_NAME],
                    address=a[S.ADDRESS],
                    lat=float(a[S.LAT]),
                    lon=float(a[S.LON]),
                    priority=float(s["priority"]),
                    balance=float(a[S.BALANCE]),
                    days_past_due=int(a[S.DAYS_PAST_DUE]),
                    visit_window=format_windows(built.windows_min.get(aid, ())),
                    expected_recovery=float(s["expected_recovery"]),
                    chosen_because=str(s["explanation"]),
                    language=a[S.LANGUAGE],
                    why_today=str(s["why_today"]),
                )
            elif row[S.KIND] in (S.EventKind.START, S.EventKind.END):
                lat_col, lon_col = (
                    (S.BASE_LAT, S.BASE_LON)
                    if row[S.KIND] == S.EventKind.START
                    else (S.END_LAT, S.END_LON)
                )
                rec.update(lat=float(agent[lat_col]), lon=float(agent[lon_col]))
            out.append(rec)
    columns = [*S.ITINERARY_COLUMNS, *S.ITINERARY_EXTRA]
    return pd.DataFrame(out, columns=columns)


__all__ = ["assemble_itineraries", "route_rows"]
