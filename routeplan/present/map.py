"""Draw the day's plan as a folium map.

One layer per agent in its own colour (base, numbered stops in visit order,
the route between them), a clustered grey layer of the accounts not planned
(dropped: grey markers and grey cluster icons without numbers, so they cannot
be taken for stops), a collapsible legend listing every agent and a summary
box. Excluded accounts are never passed in, so never drawn. Labels come from
:mod:`routeplan.present.labels` in the plan's language; addresses are cut to
street level unless names are shown.

Everything that reaches HTML is escaped with :func:`~routeplan.present.common.esc`
before folium sees it: folium inserts popup and tooltip HTML verbatim (inside
JavaScript template literals), and Leaflet sets layer names as ``innerHTML``.
"""

from __future__ import annotations

import json
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
    finite,
    integer,
    is_settlement_item,
    mask_address,
    money,
    number,
    text,
)
from routeplan.present.labels import Labels, plan_language, planned_of_eligible
from routeplan.present.offline import use_assets
from routeplan.summary import PlanSummary, agents_in_order

#: CSS class of a visit marker; the number of such markers equals the visits.
STOP_CLASS = "rp-stop"
BASE_CLASS = "rp-base"
END_CLASS = "rp-end"
#: CSS class of a visit marker; the number of such markers equals the visits.
STOP_CLASS = "rp-stop"
BASE_CLASS = "rp-base"
END_CLASS = "rp-end"
#: CSS classes of an account not planned and of a cluster of them (grey, never numbered)
DROPPED_CLASS = "rp-dropped"
DROPPED_CLUSTER_CLASS = "rp-dropped-cluster"
#: plain background where map tiles cannot load (closed network): routes stay readable
MAP_BACKGROUND = "#eceae6"

_CSS = """
<style>
.folium-map.leaflet-container { background: BACKGROUND; }
.rp-stop, .rp-base, .rp-end { background: none; border: none; }
.rp-num { width: 22px; height: 22px; border-radius: 50%; border: 2px solid #fff;
  color: #fff; font: bold 12px/22px system-ui, "Noto Sans CJK SC", sans-serif;
  text-align: center; box-shadow: 0 1px 3px rgba(0,0,0,.5); }
.rp-pin { width: 22px; height: 22px; border-radius: 4px; border: 2px solid #fff; color: #fff;
  font: bold 14px/22px system-ui, sans-serif; text-align: center;
  box-shadow: 0 1px 3px rgba(0,0,0,.6); }
.rp-dropped { background: none; border: none; }
.rp-dropped div { width: 12px; height: 12px; box-sizing: border-box; border-radius: 50%;
  background: DROPPED; border: 2px solid #fff; opacity: .8; box-shadow: 0 0 1px #555; }
.rp-dropped-cluster { background: none; border: none; }
.rp-dropped-cluster div { width: 100%; height: 100%; box-sizing: border-box; border-radius: 50%;
  border: 2px dashed #5f5f5f; opacity: .75;
  background: repeating-linear-gradient(45deg, #a9a9a9 0 3px, #d2d2d2 3px 6px); }
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
.rp-swatch.rp-grey { background: repeating-linear-gradient(45deg, #a9a9a9 0 2px, #d2d2d2 2px 4px);
  border: 1px dashed #5f5f5f; border-radius: 50%; box-sizing: border-box; }
.rp-box { position: fixed; z-index: 1000; background: rgba(255,255,255,.94);
  border-radius: 6px; box-shadow: 0 1px 5px rgba(0,0,0,.4); padding: 8px 10px;
  font: 12px/1.4 system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }
.rp-legend { right: 10px; bottom: 26px; max-width: 280px; }
.rp-legend-list { max-height: calc(45vh - 6em); min-height: 3em; overflow-y: auto;
  scrollbar-gutter: stable; padding-right: 4px; margin-top: 2px; }
.rp-legend-list::-webkit-scrollbar { width: 8px; }
.rp-legend-list::-webkit-scrollbar-thumb { background: #b5b5b5; border-radius: 4px; }
.rp-legend-foot { border-top: 1px solid #ddd; margin-top: 4px; padding-top: 3px; }
.rp-summary { left: 10px; bottom: 44px; max-width: 360px; }
.rp-box summary { cursor: pointer; font-weight: 600; }
.rp-box details:not([open]) summary { margin: 0; }
.rp-box b { font-weight: 600; }
.rp-box .rp-muted { color: #666; }
</style>
""".replace("BACKGROUND", MAP_BACKGROUND).replace("DROPPED", DROPPED_COLOUR)

# Leaflet marker for each dropped account; popups hold pre-escaped HTML from the data.
_DROPPED_CALLBACK = """
function (row) {
    var icon = L.divIcon({className: 'rp-dropped', iconSize: [12, 12], html: '<div></div>'});
    var marker = L.marker(new L.LatLng(row[0], row[1]), {icon: icon});
    marker.bindPopup(row[2], {maxWidth: 320});
    marker.bindTooltip(row[3]);
    return marker;
}
"""

# A cluster of dropped accounts: a grey hatched disc growing with the count, no number on
# it (numbers on the map are visit order); the count is in its hover title.
_DROPPED_CLUSTER_ICON = """
function (cluster) {
    var n = cluster.getChildCount();
    var size = n < 10 ? 22 : n < 100 ? 30 : 38;
    var title = TITLE.replace('{n}', String(n));
    return L.divIcon({
        className: 'rp-dropped-cluster',
        iconSize: L.point(size, size),
        html: '<div title="' + title + '" aria-label="' + title + '"></div>'
    });
}
"""


def build_map(
    itineraries: pd.DataFrame,
    dropped: pd.DataFrame | None,
    summary: PlanSummary,
    checklist: pd.DataFrame | None = None,
    *,
    show_names: bool = False,
    language: str | None = None,
    offline_assets: bool = False,
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
        ``summary.json``: date, jurisdiction, legal hours, the agents' names
        (agents are layered in its order), the eligible totals and the
        output language.
    checklist
        Rows of ``checklist.csv``, shown in each stop's popup.
    show_names
        Show debtors' full names and full addresses; by default names are
        masked (``王**``) and addresses cut to street level.
    language
        ``zh`` or ``en``; by default the plan's (see
        :func:`~routeplan.present.labels.plan_language`).
    offline_assets
        Refer to the scripts and styles in ``assets/`` beside ``map.html``
        (written by :func:`~routeplan.present.offline.write_assets`) instead of the CDN.
    roads
        ``agent_id -> [(lat, lon), ...]``: an agent's route along the roads,
        drawn instead of straight segments (``routeplan.travel.day.road_paths``).

    Returns
    -------
    folium.Map
        Render it with :func:`render_map`.
    """
    t = Labels(plan_language(summary, language))
    itin = itineraries.copy()
    itin["stop_no"] = pd.to_numeric(itin["stop_no"], errors="coerce")
    itin = itin.sort_values(["agent_id", "stop_no"], kind="stable")
    drop = dropped if dropped is not None else pd.DataFrame(columns=["account_id", "reason"])
    # A dropped account a dispatcher has since put on a route is drawn as a stop only.
    if "account_id" in itin.columns and "account_id" in drop.columns:
        visited = set(
            itin.loc[itin[schema.KIND] == schema.EventKind.VISIT, "account_id"].astype(str)
        )
        drop = drop[~drop["account_id"].astype(str).isin(visited)]
    groups = checklist_by_account(checklist)
    agents = agents_in_order(summary, itin[schema.AGENT_ID], text)
    names = _agent_names(itin, summary)

    m = folium.Map(location=_centre(itin, drop), zoom_start=12, control_scale=True)
    m.get_root().header.add_child(folium.Element(_CSS))
    m.get_root().title = esc(t("map.title", date=text(summary.date)))
    m.get_root().html_lang = t.html_lang  # read by render_map

    points: list[tuple[float, float]] = []
    legend_rows: list[str] = []
    for index, agent_id in enumerate(agents):
        rows = itin[itin["agent_id"] == agent_id]
        if rows.empty:
            continue
        colour = agent_colour(index)
        visits = rows[rows[schema.KIND] == schema.EventKind.VISIT]
        label = f"{names.get(agent_id, agent_id)} ({agent_id})"
        km = _sum(rows["travel_km"])
        layer = folium.FeatureGroup(
            name=f'<span class="rp-swatch" style="background:{colour}"></span>'
            f"{esc(label)} · {len(visits)}",
            show=True,
        )
        road = (roads or {}).get(str(agent_id))
        points += _draw_agent(layer, rows, label, colour, groups, show_names, t, road)
        layer.add_to(m)
        legend_rows.append(
            f'<div class="rp-legend-agent"><span class="rp-swatch" style="background:{colour}">'
            f"</span>{esc(label)} "
            f'<span class="rp-muted">{esc(t.count("map.legend_agent", len(visits), km=number(km)))}'
            "</span></div>"
        )

    cluster, mapped_dropped = _draw_dropped(m, drop, t)
    use_assets(m, cluster, offline=offline_assets)
    if not points:
        points = [(lat, lon) for lat, lon, *_ in mapped_dropped]
    folium.LayerControl(collapsed=len(agents) > 8).add_to(m)
    m.get_root().html.add_child(folium.Element(_legend(legend_rows, len(mapped_dropped), t)))
    m.get_root().html.add_child(folium.Element(_summary_box(itin, drop, summary, t)))
    if points:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(40, 40))
    return m


def render_map(m: folium.Map) -> str:
    """Return the map as a standalone HTML page (with the ``lang`` of its labels)."""
    html = str(m.get_root().render())
    lang = getattr(m.get_root(), "html_lang", "")
    if lang and html.startswith("<!DOCTYPE html>\n<html>"):
        html = html.replace("<html>", f'<html lang="{esc(lang)}">', 1)
    return html


# --- agents ------------------------------------------------------------------------


def _agent_names(itin: pd.DataFrame, summary: PlanSummary) -> dict[str, str]:
    """Return each agent's display name (summary first, else the itinerary's agent_name)."""
    names: dict[str, str] = {}
    if "agent_name" in itin.columns:
        for agent_id, name in zip(itin["agent_id"], itin["agent_name"], strict=True):
            if text(name).strip():
                names.setdefault(text(agent_id), text(name).strip())
    for agent in summary.agents:
        if text(agent.name).strip():
            names[agent.agent_id] = text(agent.name).strip()
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


def map_address(address: Any, t: Labels, *, show_names: bool) -> str:
    """Return an address as the map shows it: full with ``show_names``, else to street level."""
    if show_names:
        return text(address).strip()
    if not text(address).strip():
        return ""
    return mask_address(address) or t("map.address_hidden")


def _draw_agent(
    layer: folium.FeatureGroup,
    rows: pd.DataFrame,
    label: str,
    colour: str,
    groups: Mapping[tuple[str, str], list[Mapping[Any, Any]]],
    show_names: bool,
    t: Labels,
    road: Sequence[tuple[float, float]] | None = None,
) -> list[tuple[float, float]]:
    """Add one agent's base, numbered stops and route to ``layer``; return the points."""
    records = rows.to_dict("records")
    route: list[tuple[float, float]] = []
    visit_no = 0
    start = next((r for r in records if r[schema.KIND] == schema.EventKind.START), None)
    for row in records:
        where = _coords(row)
        kind = row[schema.KIND]
        if where is None or kind == schema.EventKind.BREAK:
            continue
        route.append(where)
        if kind == schema.EventKind.VISIT:
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
                    stop_popup_html(
                        row, visit_no, label, colour, groups, show_names=show_names, labels=t
                    ),
                    max_width=380,
                    max_height=420,
                ),
                tooltip=folium.Tooltip(
                    esc(f"{visit_no}. {account} · {text(row.get('service_start'))}")
                ),
            ).add_to(layer)
        elif kind == schema.EventKind.START or (
            kind == schema.EventKind.END and (start is None or _coords(start) != where)
        ):
            is_start = kind == schema.EventKind.START
            icon = folium.DivIcon(
                html=f'<div class="rp-pin" style="background:{colour}">'
                f"{'⌂' if is_start else '■'}</div>",
                class_name=BASE_CLASS if is_start else END_CLASS,
                icon_size=(22, 22),
                icon_anchor=(11, 11),
            )
            what = t("map.base") if is_start else t("map.end")
            folium.Marker(
                where,
                icon=icon,
                popup=folium.Popup(
                    _base_popup_html(rows, label, what, t, show_names), max_width=320
                ),
                tooltip=folium.Tooltip(esc(f"{what}: {label}")),
            ).add_to(layer)
    if len(route) > 1:
        folium.PolyLine(
            list(road) if road else route,
            color=colour,
            weight=3,
            opacity=0.85,
            tooltip=folium.Tooltip(esc(t.count("map.route_tooltip", visit_no, label=label))),
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
    labels: Labels | None = None,
) -> str:
    """Return the escaped popup HTML of one visit (times, window, money, reason, checklist).

    The reason is the plain "why today" of the row's ``why_today`` facts, or its
    ``chosen_because`` as written when it has none (an older or hand-edited row).
    """
    t = labels or Labels("en")
    account = text(row.get("account_id"))
    arrival, start = text(row.get("arrival")), text(row.get("service_start"))
    planned = f"{start}–{text(row.get('service_end'))}"
    if arrival and arrival != start:
        planned += t("map.arrives", time=arrival)
    window = "; ".join(w.strip() for w in text(row.get("visit_window")).split(";") if w.strip())
    why = text(row.get("chosen_because")).strip()
    if text(row.get("why_today")).strip():
        why = t.why_today(row.get("why_today"), row.get("days_past_due"))
    fields = [
        (t("map.planned"), planned),
        (t("map.window"), window or t("window.any")),
        (t("map.address"), map_address(row.get("address"), t, show_names=show_names)),
        (t("map.balance"), money(row.get("balance"))),
        (t("map.days_past_due"), integer(row.get("days_past_due"))),
        (t("map.priority"), number(row.get("priority"))),
        (t("map.expected"), money(row.get("expected_recovery"))),
        (t("map.why"), why),
        (t("map.language"), text(row.get("language"))),
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
        _item_list(t("map.checklist"), evidence),
        _item_list(t("map.options"), options),
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


def _base_popup_html(rows: pd.DataFrame, label: str, what: str, t: Labels, show_names: bool) -> str:
    """Return the escaped popup of an agent's base or end point."""
    start = rows[rows[schema.KIND] == schema.EventKind.START]
    end = rows[rows[schema.KIND] == schema.EventKind.END]
    visits = int((rows[schema.KIND] == schema.EventKind.VISIT).sum())
    address = text(start["address"].iloc[0]) if not start.empty else ""
    fields = [
        (t("map.departs"), text(start["service_end"].iloc[0]) if not start.empty else ""),
        (t("map.returns"), text(end["arrival"].iloc[0]) if not end.empty else ""),
        (t("map.visits"), str(visits)),
        (
            t("map.travel"),
            t(
                "units.km_min",
                km=number(_sum(rows["travel_km"])),
                min=integer(_sum(rows["travel_min"])),
            ),
        ),
        (t("map.address"), map_address(address, t, show_names=show_names)),
    ]
    table = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in fields if v)
    return (
        f'<div class="rp-pop"><div class="rp-title">{esc(what)}: {esc(label)}</div>'
        f"<table>{table}</table></div>"
    )


# --- dropped, legend, summary ------------------------------------------------------------


def _draw_dropped(
    m: folium.Map, drop: pd.DataFrame, t: Labels
) -> tuple[FastMarkerCluster | None, list[list[Any]]]:
    """Add the grey clustered layer of accounts not planned; return it and the rows drawn."""
    data: list[list[Any]] = []
    for row in drop.to_dict("records"):
        where = _coords(row)
        if where is None:
            continue
        account = text(row.get("account_id"))
        reason = t.reason(row.get("reason"))
        fields = [
            (t("map.reason"), reason),
            (t("map.detail"), text(row.get("detail"))),
            (t("map.balance"), money(row.get("balance"))),
            (t("map.priority"), number(row.get("priority"))),
            (t("map.expected"), money(row.get("expected_recovery"))),
        ]
        table = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in fields if v)
        popup = (
            f'<div class="rp-pop" data-account="{esc(account)}"><div class="rp-title">'
            f"{esc(t('map.not_planned_title', account=account))}</div><table>{table}</table></div>"
        )
        data.append([where[0], where[1], popup, esc(f"{account}: {reason}")])
    if not data:
        return None, data
    # The title is put in an HTML attribute by JavaScript: escape it for HTML, then as a
    # JavaScript string that cannot close the <script> element.
    title = json.dumps(esc(t("map.not_planned_cluster", n="{n}"))).replace("</", "<\\/")
    cluster = FastMarkerCluster(
        data,
        callback=_DROPPED_CALLBACK,
        name=f'<span class="rp-swatch rp-grey"></span>'
        f"{esc(t('map.not_planned_layer', n=len(data)))}",
        icon_create_function=_DROPPED_CLUSTER_ICON.replace("TITLE", title),
        options={"disableClusteringAtZoom": 17, "chunkedLoading": True},
    )
    cluster.add_to(m)
    return cluster, data


def _legend(rows: Sequence[str], dropped_mapped: int, t: Labels) -> str:
    """Return the legend box: every agent (scrollable list), the grey layer and the key."""
    dropped = (
        f'<div><span class="rp-swatch rp-grey"></span>'
        f"{esc(t('map.legend_not_planned', n=dropped_mapped))}</div>"
        if dropped_mapped
        else ""
    )
    return (
        '<div class="rp-box rp-legend"><details open>'
        f"<summary>{esc(t('map.legend_agents', n=len(rows)))}</summary>"
        f'<div class="rp-legend-list">{"".join(rows)}</div>'
        f'<div class="rp-legend-foot">{dropped}'
        f'<div class="rp-muted">{esc(t("map.legend_key"))}</div></div>'
        "</details></div>"
    )


def _summary_box(itin: pd.DataFrame, drop: pd.DataFrame, summary: PlanSummary, t: Labels) -> str:
    """Return the summary box, with totals computed from the itinerary as drawn.

    Money is compared like with like: the expected recovery of the planned
    visits against that of every eligible account, and the planned balance
    against the eligible balance (``summary.json``'s eligible totals; the
    planned plus not-planned accounts when it has none).
    """
    visits = itin[itin[schema.KIND] == schema.EventKind.VISIT]
    agents_with_visits = visits["agent_id"].nunique()
    km = _sum(itin["travel_km"])
    minutes = _sum(itin["travel_min"])
    unmapped = sum(1 for r in drop.to_dict("records") if _coords(r) is None)
    juris = text(summary.jurisdiction)
    hours = text(summary.legal_hours)
    header = " · ".join(
        p for p in (text(summary.date), juris, hours and t("map.summary_hours", hours=hours)) if p
    )
    not_planned = t("map.summary_not_planned", n=len(drop))
    if unmapped:
        not_planned += t("map.summary_unmapped", n=unmapped)
    lines = [
        t("map.summary_visits", n=len(visits), agents=agents_with_visits),
        t(
            "map.summary_expected",
            figures=_planned_of_eligible(
                visits, drop, summary.expected_recovery_eligible, t, "expected_recovery"
            ),
        ),
        t(
            "map.summary_balance",
            figures=_planned_of_eligible(visits, drop, summary.balance_eligible, t, schema.BALANCE),
        ),
        t("map.summary_travel", km=number(km), min=integer(minutes)),
        not_planned,
    ]
    return (
        f'<div class="rp-box rp-summary"><details open><summary>{esc(header)}</summary>'
        + "<br>".join(esc(line) for line in lines)
        + "</details></div>"
    )


def _planned_of_eligible(
    visits: pd.DataFrame,
    drop: pd.DataFrame,
    eligible_total: float | None,
    t: Labels,
    column: str,
) -> str:
    """Return a money column's planned total against its eligible total.

    ``eligible_total`` is ``summary.json``'s; without it the eligible total
    is the planned plus the not planned.
    """
    planned = _sum(visits.get(column, pd.Series(dtype=float)))
    eligible = finite(eligible_total)
    if eligible is None:
        eligible = planned + _sum(drop.get(column, pd.Series(dtype=float)))
    return planned_of_eligible(planned, eligible, t)


def _centre(itin: pd.DataFrame, drop: pd.DataFrame) -> tuple[float, float]:
    """Return a starting centre for the map (mean of known points; 0, 0 if none)."""
    pts = [p for p in (_coords(r) for r in itin.to_dict("records")) if p is not None]
    if not pts:
        pts = [p for p in (_coords(r) for r in drop.to_dict("records")) if p is not None]
    if not pts:
        return (0.0, 0.0)
    return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))
