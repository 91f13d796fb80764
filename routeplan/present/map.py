"""Draw the day's plan as a folium map.

One layer per agent in its own colour (base, numbered stops in visit order,
the route between them), a clustered grey layer of dropped accounts, a legend
and a summary box. Excluded accounts are never passed in, so never drawn.

Everything that reaches HTML is escaped with :func:`~routeplan.present.common.esc`
before folium sees it: folium inserts popup and tooltip HTML verbatim (inside
JavaScript template literals), and Leaflet sets layer names as ``innerHTML``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import pandas as pd
from folium.plugins import FastMarkerCluster

from routeplan import schema
from routeplan.present.common import (
    DROPPED_COLOUR,
    agent_colour,
    checklist_by_account,
    checklist_for,
    display_name,
    esc,
    integer,
    is_settlement_item,
    money,
    number,
    reason_text,
    text,
)

#: CSS class of a visit marker; the number of such markers equals the visits.
STOP_CLASS = "rp-stop"
BASE_CLASS = "rp-base"
END_CLASS = "rp-end"
DROPPED_CLASS = "rp-dropped"

_CSS = """
<style>
.rp-stop, .rp-base, .rp-end { background: none; border: none; }
.rp-num { width: 22px; height: 22px; border-radius: 50%; border: 2px solid #fff;
  color: #fff; font: bold 12px/22px system-ui, "Noto Sans CJK SC", sans-serif;
  text-align: center; box-shadow: 0 1px 3px rgba(0,0,0,.5); }
.rp-pin { width: 22px; height: 22px; border-radius: 4px; border: 2px solid #fff; color: #fff;
  font: bold 14px/22px system-ui, sans-serif; text-align: center;
  box-shadow: 0 1px 3px rgba(0,0,0,.6); }
.rp-dropped { background: #7f7f7f; border: 1px solid #fff; border-radius: 50%; opacity: .85; }
.rp-pop { font: 12px/1.35 system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
  min-width: 240px; }
.rp-pop .rp-title { font-size: 13px; font-weight: 600; margin-bottom: 2px; }
.rp-pop .rp-sub { color: #555; margin-bottom: 4px; }
.rp-pop table { border-collapse: collapse; width: 100%; }
.rp-pop th { text-align: left; color: #555; font-weight: normal; padding: 1px 6px 1px 0;
  vertical-align: top; white-space: nowrap; }
.rp-pop td { padding: 1px 0; vertical-align: top; }
.rp-pop h4 { margin: 6px 0 2px; font-size: 12px; }
.rp-pop ul { margin: 0; padding-left: 16px; }
.rp-pop .rp-muted { color: #666; font-size: 11px; }
.rp-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px;
  margin-right: 4px; vertical-align: middle; }
.rp-box { position: fixed; z-index: 1000; background: rgba(255,255,255,.94);
  border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,.4); padding: 8px 10px;
  font: 12px/1.4 system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }
.rp-legend { right: 10px; bottom: 26px; max-height: 45vh; overflow-y: auto; max-width: 260px; }
.rp-summary { left: 10px; bottom: 44px; max-width: 340px; }
.rp-box summary { cursor: pointer; font-weight: 600; }
.rp-box details:not([open]) summary { margin: 0; }
.rp-box b { font-weight: 600; }
.rp-box .rp-muted { color: #666; }
</style>
"""

# Leaflet marker for each dropped account; popups hold pre-escaped HTML from the data.
_DROPPED_CALLBACK = """
function (row) {
    var icon = L.divIcon({className: 'rp-dropped', iconSize: [10, 10], html: ''});
    var marker = L.marker(new L.LatLng(row[0], row[1]), {icon: icon});
    marker.bindPopup(row[2], {maxWidth: 320});
    marker.bindTooltip(row[3]);
    return marker;
}
"""


def build_map(
    itineraries: pd.DataFrame,
    dropped: pd.DataFrame | None,
    summary: Mapping[Any, Any],
    checklist: pd.DataFrame | None = None,
    *,
    show_names: bool = False,
    roads: Mapping[str, Sequence[tuple[float, float]]] | None = None,
) -> folium.Map:
    """Build the folium map of one plan day.

    Parameters
    ----------
    itineraries
        Rows of ``itineraries.csv`` (start/visit/break/end), any order; rows
        are drawn per agent in ``stop_no`` order.
    dropped
        Rows of ``dropped.csv``; rows without coordinates are only counted.
    summary
        ``summary.json``: date, jurisdiction, legal hours and the agents'
        names (agents are layered in its order).
    checklist
        Rows of ``checklist.csv``, shown in each stop's popup.
    show_names
        Show debtors' full names; by default they are masked (``王**``).
    roads
        ``agent_id -> [(lat, lon), ...]``: an agent's route along the roads,
        drawn instead of straight segments (``routeplan.travel.day.road_paths``).

    Returns
    -------
    folium.Map
        Render it with ``m.get_root().render()``.
    """
    itin = itineraries.copy()
    itin["stop_no"] = pd.to_numeric(itin["stop_no"], errors="coerce")
    itin = itin.sort_values(["agent_id", "stop_no"], kind="stable")
    drop = dropped if dropped is not None else pd.DataFrame(columns=["account_id", "reason"])
    # A dropped account a dispatcher has since put on a route is drawn as a stop only.
    if "account_id" in itin.columns and "account_id" in drop.columns:
        visited = set(itin.loc[itin["kind"] == schema.KIND_VISIT, "account_id"].astype(str))
        drop = drop[~drop["account_id"].astype(str).isin(visited)]
    groups = checklist_by_account(checklist)
    agents = _agent_ids(itin, summary)
    names = _agent_names(itin, summary)

    m = folium.Map(location=_centre(itin, drop), zoom_start=12, control_scale=True)
    m.get_root().header.add_child(folium.Element(_CSS))
    m.get_root().title = esc(f"routeplan · {text(summary.get('date'))}")

    points: list[tuple[float, float]] = []
    legend_rows: list[str] = []
    for index, agent_id in enumerate(agents):
        rows = itin[itin["agent_id"] == agent_id]
        if rows.empty:
            continue
        colour = agent_colour(index)
        visits = rows[rows["kind"] == schema.KIND_VISIT]
        label = f"{names.get(agent_id, agent_id)} ({agent_id})"
        km = _sum(rows["travel_km"])
        layer = folium.FeatureGroup(
            name=f'<span class="rp-swatch" style="background:{colour}"></span>'
            f"{esc(label)} · {len(visits)}",
            show=True,
        )
        road = (roads or {}).get(str(agent_id))
        points += _draw_agent(layer, rows, label, colour, groups, show_names, road)
        layer.add_to(m)
        legend_rows.append(
            f'<div><span class="rp-swatch" style="background:{colour}"></span>{esc(label)}'
            f' <span class="rp-muted">{len(visits)} visits · {number(km)} km</span></div>'
        )

    mapped_dropped = _draw_dropped(m, drop)
    if not points:
        points = [(lat, lon) for lat, lon, *_ in mapped_dropped]
    folium.LayerControl(collapsed=len(agents) > 8).add_to(m)
    m.get_root().html.add_child(folium.Element(_legend(legend_rows, len(mapped_dropped))))
    m.get_root().html.add_child(folium.Element(_summary_box(itin, drop, summary)))
    if points:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(40, 40))
    return m


def render_map(m: folium.Map) -> str:
    """Return the map as a standalone HTML page."""
    return str(m.get_root().render())


# --- agents ------------------------------------------------------------------------


def _agent_ids(itin: pd.DataFrame, summary: Mapping[Any, Any]) -> list[str]:
    """Return agent ids in ``summary.json`` order, then any others from the itinerary."""
    ids = [text(a.get("agent_id")) for a in summary.get("agents", [])]
    ids += [text(a) for a in itin["agent_id"]]
    return [a for a in dict.fromkeys(ids) if a]


def _agent_names(itin: pd.DataFrame, summary: Mapping[Any, Any]) -> dict[str, str]:
    """Return each agent's display name (summary first, else the itinerary's agent_name)."""
    names: dict[str, str] = {}
    if "agent_name" in itin.columns:
        for agent_id, name in zip(itin["agent_id"], itin["agent_name"], strict=True):
            if text(name).strip():
                names.setdefault(text(agent_id), text(name).strip())
    for agent in summary.get("agents", []):
        if text(agent.get("name")).strip():
            names[text(agent.get("agent_id"))] = text(agent.get("name")).strip()
    return names


def _coords(row: Mapping[Any, Any]) -> tuple[float, float] | None:
    """Return ``(lat, lon)`` of a row, or None when either is missing."""
    try:
        lat, lon = float(row["lat"]), float(row["lon"])
    except (TypeError, ValueError):
        return None
    if math.isnan(lat) or math.isnan(lon):
        return None
    return lat, lon


def _sum(values: pd.Series) -> float:
    """Return the sum of a column read as numbers (missing values count as 0)."""
    return float(pd.to_numeric(values, errors="coerce").fillna(0).sum())


def _draw_agent(
    layer: folium.FeatureGroup,
    rows: pd.DataFrame,
    label: str,
    colour: str,
    groups: Mapping[tuple[str, str], list[Mapping[Any, Any]]],
    show_names: bool,
    road: Sequence[tuple[float, float]] | None = None,
) -> list[tuple[float, float]]:
    """Add one agent's base, numbered stops and route to ``layer``; return the points."""
    records = rows.to_dict("records")
    route: list[tuple[float, float]] = []
    visit_no = 0
    start = next((r for r in records if r["kind"] == schema.KIND_START), None)
    for row in records:
        where = _coords(row)
        kind = row["kind"]
        if where is None or kind == schema.KIND_BREAK:
            continue
        route.append(where)
        if kind == schema.KIND_VISIT:
            visit_no += 1
            account = text(row.get("account_id"))
            icon = folium.DivIcon(
                html=f'<div class="rp-num" style="background:{colour}" '
                f'data-account="{esc(account)}">{visit_no}</div>',
                class_name=STOP_CLASS,
                icon_size=(22, 22),
                icon_anchor=(11, 11),
            )
            folium.Marker(
                where,
                icon=icon,
                popup=folium.Popup(
                    stop_popup_html(row, visit_no, label, colour, groups, show_names=show_names),
                    max_width=380,
                    max_height=420,
                ),
                tooltip=folium.Tooltip(
                    esc(f"{visit_no}. {account} · {text(row.get('service_start'))}")
                ),
            ).add_to(layer)
        elif kind == schema.KIND_START or (
            kind == schema.KIND_END and (start is None or _coords(start) != where)
        ):
            is_start = kind == schema.KIND_START
            icon = folium.DivIcon(
                html=f'<div class="rp-pin" style="background:{colour}">'
                f"{'⌂' if is_start else '■'}</div>",
                class_name=BASE_CLASS if is_start else END_CLASS,
                icon_size=(22, 22),
                icon_anchor=(11, 11),
            )
            what = "Base" if is_start else "End of day"
            folium.Marker(
                where,
                icon=icon,
                popup=folium.Popup(_base_popup_html(rows, label, what), max_width=320),
                tooltip=folium.Tooltip(esc(f"{what}: {label}")),
            ).add_to(layer)
    if len(route) > 1:
        folium.PolyLine(
            list(road) if road else route,
            color=colour,
            weight=3,
            opacity=0.85,
            tooltip=folium.Tooltip(esc(f"{label}: {visit_no} visits")),
        ).add_to(layer)
    return route


def stop_popup_html(
    row: Mapping[Any, Any],
    visit_no: int,
    agent_label: str,
    colour: str,
    groups: Mapping[tuple[str, str], list[Mapping[Any, Any]]],
    *,
    show_names: bool,
) -> str:
    """Return the escaped popup HTML of one visit (times, window, money, reason, checklist)."""
    account = text(row.get("account_id"))
    arrival, start = text(row.get("arrival")), text(row.get("service_start"))
    planned = f"{start}–{text(row.get('service_end'))}"
    if arrival and arrival != start:
        planned += f" (arrives {arrival})"
    window = "; ".join(w.strip() for w in text(row.get("visit_window")).split(";") if w.strip())
    fields = [
        ("Planned", planned),
        ("Window", window or "any time"),
        ("Address", text(row.get("address"))),
        ("Balance", money(row.get("balance"))),
        ("Days past due", integer(row.get("days_past_due"))),
        ("Priority", number(row.get("priority"))),
        ("Expected recovery", money(row.get("expected_recovery"))),
        ("Why chosen", text(row.get("chosen_because"))),
        ("Language", text(row.get("language"))),
    ]
    table = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in fields if v.strip())
    items = checklist_for(groups, account, text(row.get("agent_id")))
    evidence = [r for r in items if not is_settlement_item(r.get("item"), r.get("category"))]
    options = [r for r in items if is_settlement_item(r.get("item"), r.get("category"))]
    name = display_name(row.get("debtor_name"), show_names=show_names)
    parts = [
        f'<div class="rp-pop" data-account="{esc(account)}">',
        f'<div class="rp-title"><span class="rp-swatch" style="background:{colour}"></span>'
        f"{visit_no}. {esc(account)} · {esc(name)}</div>",
        f'<div class="rp-sub">{esc(agent_label)}</div>',
        f"<table>{table}</table>",
        _item_list("Checklist", evidence),
        _item_list("Settlement options", options),
        "</div>",
    ]
    return "".join(parts)


def _item_list(title: str, items: Sequence[Mapping[Any, Any]]) -> str:
    """Return an escaped titled list of checklist items with their reasons ('' when empty)."""
    if not items:
        return ""
    lis = []
    for item in items:
        reason = text(item.get("reason")).strip()
        detail = f' <span class="rp-muted">— {esc(reason)}</span>' if reason else ""
        lis.append(f"<li>{esc(item.get('item'))}{detail}</li>")
    return f"<h4>{esc(title)}</h4><ul>{''.join(lis)}</ul>"


def _base_popup_html(rows: pd.DataFrame, label: str, what: str) -> str:
    """Return the escaped popup of an agent's base or end point."""
    start = rows[rows["kind"] == schema.KIND_START]
    end = rows[rows["kind"] == schema.KIND_END]
    visits = int((rows["kind"] == schema.KIND_VISIT).sum())
    fields = [
        ("Departs", text(start["service_end"].iloc[0]) if not start.empty else ""),
        ("Returns", text(end["arrival"].iloc[0]) if not end.empty else ""),
        ("Visits", str(visits)),
        (
            "Travel",
            f"{number(_sum(rows['travel_km']))} km, {integer(_sum(rows['travel_min']))} min",
        ),
        ("Address", text(start["address"].iloc[0]) if not start.empty else ""),
    ]
    table = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in fields if v)
    return (
        f'<div class="rp-pop"><div class="rp-title">{esc(what)}: {esc(label)}</div>'
        f"<table>{table}</table></div>"
    )


# --- dropped, legend, summary ------------------------------------------------------------


def _draw_dropped(m: folium.Map, drop: pd.DataFrame) -> list[list[Any]]:
    """Add the clustered grey layer of dropped accounts; return the rows drawn."""
    data: list[list[Any]] = []
    for row in drop.to_dict("records"):
        where = _coords(row)
        if where is None:
            continue
        account = text(row.get("account_id"))
        fields = [
            ("Reason", reason_text(row.get("reason"))),
            ("Detail", text(row.get("detail"))),
            ("Balance", money(row.get("balance"))),
            ("Priority", number(row.get("priority"))),
            ("Expected recovery", money(row.get("expected_recovery"))),
        ]
        table = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in fields if v)
        popup = (
            f'<div class="rp-pop" data-account="{esc(account)}"><div class="rp-title">'
            f"Dropped: {esc(account)}</div><table>{table}</table></div>"
        )
        data.append(
            [where[0], where[1], popup, esc(f"{account}: {reason_text(row.get('reason'))}")]
        )
    if data:
        FastMarkerCluster(
            data,
            callback=_DROPPED_CALLBACK,
            name=f'<span class="rp-swatch" style="background:{DROPPED_COLOUR}"></span>'
            f"Dropped · {len(data)}",
            options={"disableClusteringAtZoom": 17, "chunkedLoading": True},
        ).add_to(m)
    return data


def _legend(rows: Sequence[str], dropped_mapped: int) -> str:
    """Return the legend box: agents with colours, markers and the dropped layer."""
    dropped = (
        f'<div><span class="rp-swatch" style="background:{DROPPED_COLOUR};border-radius:50%">'
        f"</span>Dropped (not planned) · {dropped_mapped}</div>"
        if dropped_mapped
        else ""
    )
    return (
        '<div class="rp-box rp-legend"><details open><summary>Agents</summary>'
        + "".join(rows)
        + dropped
        + '<div class="rp-muted" style="margin-top:4px">⌂ base · 1, 2, 3 visit order · '
        "lines join stops in order (straight, not the road)</div></details></div>"
    )


def _summary_box(itin: pd.DataFrame, drop: pd.DataFrame, summary: Mapping[Any, Any]) -> str:
    """Return the summary box, with totals computed from the itinerary as drawn."""
    visits = itin[itin["kind"] == schema.KIND_VISIT]
    agents_with_visits = visits["agent_id"].nunique()
    km = _sum(itin["travel_km"])
    minutes = _sum(itin["travel_min"])
    expected = _sum(visits.get("expected_recovery", pd.Series(dtype=float)))
    balance = _sum(visits["balance"])
    unmapped = sum(1 for r in drop.to_dict("records") if _coords(r) is None)
    juris = text(summary.get("jurisdiction"))
    hours = text(summary.get("legal_hours"))
    header = " · ".join(
        p for p in (text(summary.get("date")), juris, hours and f"visits {hours}") if p
    )
    dropped = f"Dropped: {len(drop)}"
    if unmapped:
        dropped += f" ({unmapped} without coordinates, not on the map)"
    lines = [
        esc(f"Visits: {len(visits)} by {agents_with_visits} agents"),
        esc(f"Expected recovery: {money(expected)} of {money(balance)} balance"),
        esc(f"Travel: {number(km)} km, {integer(minutes)} min"),
        esc(dropped),
    ]
    return (
        f'<div class="rp-box rp-summary"><details open><summary>{esc(header)}</summary>'
        + "<br>".join(lines)
        + "</details></div>"
    )


def _centre(itin: pd.DataFrame, drop: pd.DataFrame) -> tuple[float, float]:
    """Return a starting centre for the map (mean of known points; 0, 0 if none)."""
    pts = [p for p in (_coords(r) for r in itin.to_dict("records")) if p is not None]
    if not pts:
        pts = [p for p in (_coords(r) for r in drop.to_dict("records")) if p is not None]
    if not pts:
        return (0.0, 0.0)
    return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))
