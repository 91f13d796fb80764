"""The week plan drawn: a map with a layer per day and a one-page sheet per agent.

Builders only: they take a :class:`~routeplan.week.WeekPlan` and return HTML
text; :meth:`WeekPlan.write` decides where it goes. Every text from the
inputs is escaped; debtor names are masked unless ``show_names``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from routeplan import schema as S
from routeplan.present.common import agent_colour, display_name, esc, file_stems, mask_address, text

if TYPE_CHECKING:
    from routeplan.week import WeekPlan

__all__ = ["week_map_html", "week_sheets"]


def _agents(week: WeekPlan) -> list[str]:
    """Return the agents with a visit in the week, in the order of the input."""
    seen: list[str] = []
    for plan in week.days:
        for agent in plan.visits[S.AGENT_ID].astype(str):
            if agent not in seen:
                seen.append(agent)
    return seen


def _visit_dates(week: WeekPlan) -> dict[str, list[str]]:
    """Return each visited account's visit dates in the week, in date order."""
    out: dict[str, list[str]] = {}
    for plan in week.days:
        for acc in plan.visits[S.ACCOUNT_ID].astype(str):
            out.setdefault(acc, []).append(plan.date.isoformat())
    return out


def _point(row: Any) -> tuple[float, float] | None:
    try:
        lat, lon = float(row["lat"]), float(row["lon"])
    except (TypeError, ValueError):
        return None
    return None if math.isnan(lat) or math.isnan(lon) else (lat, lon)


def week_map_html(week: WeekPlan, *, show_names: bool = False) -> str:
    """Return the week's map as one HTML page: a layer per day, a colour per agent.

    Each day's layer holds every agent's route of that day (base, numbered
    stops, back), coloured by agent; the layer control switches days on and
    off. Popups name the account, agent, day and stop, escaped; an account
    visited on several days (``[week] max_visits_per_account``) is drawn on
    each of those days, its popup saying which visit it is and every date.
    """
    import folium

    from routeplan.present.map import render_map

    colours = {a: agent_colour(i) for i, a in enumerate(_agents(week))}
    dates = _visit_dates(week)
    points = [
        p
        for plan in week.days
        for _, row in plan.itineraries.iterrows()
        if (p := _point(row)) is not None
    ]
    centre = (
        (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
        if points
        else (0.0, 0.0)
    )
    m = folium.Map(location=centre, zoom_start=11, control_scale=True)
    for k, plan in enumerate(week.days):
        day = plan.date.isoformat()
        layer = folium.FeatureGroup(name=esc(f"{day} ({len(plan.visits)} visits)"), show=k == 0)
        for agent, rows in plan.itineraries.groupby(S.AGENT_ID, sort=False):
            colour = colours.get(str(agent), "#7f7f7f")
            line = [p for _, r in rows.iterrows() if (p := _point(r)) is not None]
            if len(line) > 1:
                folium.PolyLine(line, color=colour, weight=3, opacity=0.8).add_to(layer)
            for _, r in rows[rows[S.KIND] == S.EventKind.VISIT].iterrows():
                where = _point(r)
                if where is None:
                    continue
                who = display_name(r.get("debtor_name"), show_names=show_names)
                popup = (
                    f"<b>{esc(r[S.ACCOUNT_ID])}</b> {esc(who)}<br>{esc(day)} · {esc(agent)}"
                    f" · stop {esc(r['stop_no'])} · {esc(r['service_start'])}"
                )
                seen = dates.get(str(r[S.ACCOUNT_ID]), [])
                if len(seen) > 1:
                    which = seen.index(day) + 1 if day in seen else 0
                    popup += "<br>" + esc(f"visit {which} of {len(seen)}: {', '.join(seen)}")
                folium.CircleMarker(
                    where,
                    radius=6,
                    color=colour,
                    fill=True,
                    fill_opacity=0.9,
                    popup=folium.Popup(popup, max_width=300),
                    tooltip=esc(f"{day} {agent} #{r['stop_no']}"),
                ).add_to(layer)
        layer.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    if points:
        lats, lons = [p[0] for p in points], [p[1] for p in points]
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]])
    return render_map(m)


def week_sheets(week: WeekPlan, *, show_names: bool = False) -> dict[str, str]:
    """Return a one-page HTML sheet per agent of the week, by file name (``AGENT.html``).

    Day by day: the shift worked (or why not), the number of visits, the
    first stop (time, account, address to street level unless
    ``show_names``), the area (the districts of the stops), km and the
    expected recovery; then the week's totals from the fairness block, and
    how many of the agent's visits are repeat visits (an account visited on
    an earlier day of the week, by him or another agent).
    """
    agents = [str(a) for a in week.days[0].agents[S.AGENT_ID]] if week.days else []
    stems = file_stems(agents)
    fair = week.summary.get("fairness", {}).get("agents", {})
    repeats = _repeat_visits(week)
    out: dict[str, str] = {}
    for agent in agents:
        rows = [_sheet_row(plan, agent, show_names) for plan in week.days]
        name = ""
        if week.days:
            ag = week.days[0].agents
            name = text(ag.loc[ag[S.AGENT_ID].astype(str) == agent, S.AGENT_NAME].iloc[0])
        total = {**fair.get(agent, {}), "repeat_visits": repeats.get(agent, 0)}
        out[f"{stems[agent]}.html"] = _sheet_html(agent, name, rows, total)
    return out


def _repeat_visits(week: WeekPlan) -> dict[str, int]:
    """Return per agent his visits to accounts already visited on an earlier day of the week."""
    seen: set[str] = set()
    out: dict[str, int] = {}
    for plan in week.days:
        visits = plan.visits
        for acc, agent in zip(
            visits[S.ACCOUNT_ID].astype(str), visits[S.AGENT_ID].astype(str), strict=True
        ):
            if acc in seen:
                out[agent] = out.get(agent, 0) + 1
        seen.update(visits[S.ACCOUNT_ID].astype(str))
    return out


def _sheet_row(plan: Any, agent: str, show_names: bool) -> dict[str, str]:
    """Return one day's line of an agent's week sheet."""
    day = plan.date.isoformat()
    status = {a.agent_id: a for a in plan.summary.agents}.get(agent)
    itin = plan.itineraries[plan.itineraries[S.AGENT_ID].astype(str) == agent]
    visits = itin[itin[S.KIND] == S.EventKind.VISIT]
    if visits.empty:
        why = status.unusable_reason if status is not None and not status.usable else ""
        return {
            "date": day,
            "visits": "0",
            "first": why or "no visits",
            "area": "",
            "km": "",
            "er": "",
        }
    first = visits.iloc[0]
    address = first[S.ADDRESS] if show_names else mask_address(first[S.ADDRESS])
    areas = sorted({mask_address(a).split(" ")[0] for a in visits[S.ADDRESS] if text(a)})
    legs = itin[itin[S.KIND].isin([S.EventKind.VISIT, S.EventKind.END])]
    km = float(pd.to_numeric(legs["travel_km"], errors="coerce").sum())
    er = float(pd.to_numeric(visits["expected_recovery"], errors="coerce").sum())
    return {
        "date": day,
        "visits": str(len(visits)),
        "first": f"{text(first['service_start'])} {text(first[S.ACCOUNT_ID])} {text(address)}",
        "area": ", ".join(areas[:3]),
        "km": f"{km:.1f}",
        "er": f"{er:,.0f}",
    }


def _sheet_html(agent: str, name: str, rows: list[dict[str, str]], total: dict[str, Any]) -> str:
    """Return the HTML page of one agent's week (every cell escaped)."""
    body = "".join(
        "<tr>"
        + "".join(f"<td>{esc(r[k])}</td>" for k in ("date", "visits", "first", "area", "km", "er"))
        + "</tr>"
        for r in rows
    )
    er = total.get("expected_recovery", 0)
    foot = (
        f"<p>Week: {esc(total.get('visits', 0))} visits, {esc(total.get('minutes', 0))} min, "
        f"{esc(total.get('km', 0))} km, expected recovery {esc(er)}</p>"
    )
    if total.get("repeat_visits"):
        foot += (
            f"<p>{esc(total['repeat_visits'])} of them repeat visits "
            "(accounts visited on an earlier day of the week)</p>"
        )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{esc(agent)} week</title>"
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;width:100%}"
        "td,th{border:1px solid #999;padding:4px 6px;text-align:left;font-size:12px}"
        "@page{size:A4 landscape;margin:1cm}</style></head><body>"
        f"<h1>{esc(name)} ({esc(agent)})</h1>"
        "<table><thead><tr><th>Date</th><th>Visits</th><th>First stop</th><th>Area</th>"
        f"<th>km</th><th>Expected recovery</th></tr></thead><tbody>{body}</tbody></table>"
        f"{foot}</body></html>\n"
    )
