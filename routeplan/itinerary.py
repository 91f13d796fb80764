"""Read a solver result back as the day's itineraries (contract rows).

Times come from the solver's service starts; arrivals, departures and the
break are laid out so that: the agent leaves the base as late as the first
stop allows (no waiting at a door before legal hours); waiting happens at the
next stop; a break is taken on the way, between two stops.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from routeplan import schema as S
from routeplan.build import BuiltProblem
from routeplan.formats import format_clock, format_windows
from routeplan.solver.model import Result, Route


@dataclass(frozen=True)
class _Gap:
    """Time between two services: ready at ``ready``, next service at ``due``."""

    ready: int
    travel: int
    due: int


def _place_break(
    gaps: list[_Gap], window: tuple[int, int], length: int, proposed: int | None
) -> tuple[int, int] | None:
    """Return ``(gap index, break start)`` or None when no break fits.

    The solver's proposal is kept when it fits a gap; otherwise the earliest
    feasible placement is used.
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


def route_rows(
    route: Route,
    built: BuiltProblem,
    legal_start_s: int,
) -> list[dict[str, object]]:
    """Return the timed rows (kind, node, times, leg) of one non-empty route."""
    p = built.problem
    veh = p.vehicles[route.vehicle]
    nodes = [p.visits[v].node for v in route.visits]
    service = [p.visits[v].service_s for v in route.visits]
    starts = list(route.service_start_s)
    legs = [
        p.duration(route.vehicle, a, b)
        for a, b in zip([veh.start_node, *nodes], [*nodes, veh.end_node], strict=True)
    ]
    dists = [
        int(p.distance_m[a, b])
        for a, b in zip([veh.start_node, *nodes], [*nodes, veh.end_node], strict=True)
    ]
    horizon = veh.shift_end_s
    gaps = [_Gap(veh.shift_start_s, legs[0], starts[0])]
    for i in range(len(starts)):
        due = starts[i + 1] if i + 1 < len(starts) else horizon
        gaps.append(_Gap(starts[i] + service[i], legs[i + 1], due))
    brk = None
    if veh.break_window is not None and veh.break_s > 0:
        brk = _place_break(gaps, veh.break_window, veh.break_s, route.break_start_s)
        # after the last visit: only when the day actually lasts into the window
        if (
            brk is not None
            and brk[0] == len(gaps) - 1
            and gaps[-1].ready + legs[-1] <= veh.break_window[0]
        ):
            brk = None
    rows: list[dict[str, object]] = []
    b_len = veh.break_s

    def leg_end(g: int, ready: int) -> int:
        if brk is not None and brk[0] == g:
            return max(ready + gaps[g].travel + b_len, brk[1] + b_len)
        return ready + gaps[g].travel

    # departure: as late as the first stop allows, never before the shift
    first_need = legs[0] + (b_len if brk is not None and brk[0] == 0 else 0)
    depart = max(veh.shift_start_s, starts[0] - first_need)
    if brk is not None and brk[0] == 0:
        depart = min(depart, brk[1])

    def event(
        kind: str,
        node: int | None,
        arrival: int,
        start: int,
        end: int,
        km: int = 0,
        travel: int = 0,
        visit: int | None = None,
    ) -> None:
        rows.append(
            dict(
                kind=kind,
                node=node,
                visit=visit,
                arrival=arrival,
                service_start=start,
                service_end=end,
                km=km,
                travel=travel,
            )
        )

    def break_if_in_gap(g: int) -> None:
        if brk is not None and brk[0] == g:
            event(S.EventKind.BREAK, None, brk[1], brk[1], brk[1] + b_len)

    event(S.EventKind.START, veh.start_node, veh.shift_start_s, veh.shift_start_s, depart)
    ready = depart
    for i, v in enumerate(route.visits):
        break_if_in_gap(i)
        arrival = min(max(leg_end(i, ready), legal_start_s), starts[i])
        event(
            S.EventKind.VISIT,
            nodes[i],
            arrival,
            starts[i],
            starts[i] + service[i],
            dists[i],
            legs[i],
            visit=v,
        )
        ready = starts[i] + service[i]
    last = len(route.visits)
    break_if_in_gap(last)
    back = leg_end(last, ready)
    event(S.EventKind.END, veh.end_node, back, back, back, dists[-1], legs[-1])
    return rows


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
