"""Build the printable route sheet of each agent and the index page.

A sheet is one self-contained A4 HTML page (no scripts, no web fonts): the
agent and credential at the top, the conduct reminder, the day's timeline,
then one block per stop that never splits across pages, with the full
address, a navigation link, the debtor, the money, why the debtor is visited
today in plain words, the settlement options, the evidence checklist with
tick boxes and an outcome box to fill in by hand. Every label is printed in
the plan's language (:mod:`routeplan.present.labels`); outcome codes as words
with the code beside them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode

import pandas as pd

from routeplan import schema
from routeplan.present.common import (
    checklist_by_account,
    checklist_for,
    esc,
    file_stems,
    finite,
    integer,
    is_missing,
    is_settlement_item,
    money,
    number,
    text,
)
from routeplan.present.labels import Labels, planned_of_eligible
from routeplan.summary import AgentSummary, PlanSummary

#: Reminders printed on every sheet (from the domain primer's conduct rules): label keys.
CONDUCT = tuple(f"conduct.{i}" for i in range(1, 9))

FONT_STACK = (
    '"Noto Sans", "Helvetica Neue", Arial, "Noto Sans CJK SC", "Source Han Sans SC", '
    '"PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif'
)

_CSS = """
@page { size: A4; margin: 11mm 11mm 13mm 11mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: FONTS; font-size: 9pt; line-height: 1.25; color: #111; margin: 0 auto;
  max-width: 190mm; padding: 6mm 0; background: #fff; }
@media print { body { padding: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
h1 { font-size: 16pt; margin: 0; }
h2 { font-size: 12pt; margin: 0 0 2mm; break-after: avoid; }
h3 { font-size: 9pt; margin: 1.5mm 0 0.5mm; break-after: avoid; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 0.6mm 1.5mm; }
.head { border-bottom: 2px solid #111; padding-bottom: 2mm; margin-bottom: 3mm; }
.head .top { display: flex; justify-content: space-between; align-items: baseline; }
.head .date { font-size: 12pt; font-weight: 600; }
.ident th { color: #444; font-weight: normal; width: 22%; }
.ident td { font-weight: 600; width: 28%; }
.warn { color: #a00; font-weight: 700; }
.conduct { border: 1px solid #999; border-radius: 2mm; padding: 2mm 3mm; margin-bottom: 3mm;
  break-inside: avoid; page-break-inside: avoid; font-size: 9pt; }
.conduct ol { margin: 0; padding-left: 5mm; columns: 2; column-gap: 6mm; }
.timeline { margin-bottom: 4mm; }
.timeline table { font-size: 9pt; }
.timeline thead th { border-bottom: 1px solid #111; }
.timeline tbody tr { border-bottom: 1px solid #ddd; break-inside: avoid; }
.timeline .t { white-space: nowrap; font-variant-numeric: tabular-nums; }
.timeline .brk td { color: #555; font-style: italic; }
.stop { border: 1.5px solid #222; border-radius: 2mm; padding: 2mm 3mm; margin: 0 0 3mm;
  break-inside: avoid; page-break-inside: avoid; }
.stop h2 { display: flex; gap: 2mm; align-items: baseline; border-bottom: 1px solid #bbb;
  padding-bottom: 1mm; }
.num { display: inline-block; min-width: 7mm; text-align: center; background: #111; color: #fff;
  border-radius: 1mm; padding: 0 1mm; }
.factgrid { display: grid; grid-template-columns: 55% 45%; }
.facts th { color: #444; font-weight: normal; width: 17mm; white-space: nowrap; }
.facts th, .facts td { padding: 0.3mm 1mm; }
.why { display: flex; padding: 0.3mm 1mm; }
.why > span { color: #444; flex: 0 0 auto; min-width: 19mm; padding-right: 2mm;
  white-space: nowrap; }
.cols { display: flex; gap: 4mm; margin-top: 1.5mm; }
.cols > div { flex: 0 0 44%; min-width: 0; }
.cols > div:first-child { flex: 1 1 56%; }
ul.ticks { list-style: none; margin: 0; padding: 0; }
ul.ticks li { margin: 0; padding-left: 5.5mm; text-indent: -5.5mm; line-height: 1.2; }
ul.ticks .muted { font-size: 7.5pt; }
.box { display: inline-block; width: 3.4mm; height: 3.4mm; border: 1px solid #111;
  margin-right: 2mm; vertical-align: -0.5mm; text-indent: 0; }
.muted { color: #555; }
.outcome { border: 1px dashed #444; border-radius: 1.5mm; padding: 1mm 2.5mm 1.5mm;
  margin-top: 1.5mm; }
.outcome .codes { display: grid; grid-template-columns: repeat(2, auto); gap: 0.6mm 2mm;
  white-space: nowrap; justify-content: start; font-size: 7.5pt; }
.outcome .codes .box { margin-right: 1.2mm; }
.outcome .codes.other { grid-template-columns: repeat(2, auto); }
.outcome .codes-label { font-size: 7pt; color: #555; margin-top: 0.8mm; }
.outcome .codes code { font-family: "DejaVu Sans Mono", "Noto Sans Mono", monospace;
  font-size: 6.5pt; color: #444; }
.line { display: flex; gap: 2mm; margin-top: 1.4mm; }
.line span.blank { flex: 1; border-bottom: 1px solid #111; min-height: 4.5mm; }
.notes { border-bottom: 1px solid #111; height: 5mm; }
.stopfoot { display: flex; gap: 2mm; margin-top: 2mm; font-size: 8.5pt; color: #333; }
.stopfoot span.blank { flex: 0 0 45mm; border-bottom: 1px solid #111; }
.stopfoot span:last-child { margin-left: auto; }
ul.past { list-style: none; margin: 0; padding: 0; }
code.item-code { font-family: "DejaVu Sans Mono", "Noto Sans Mono", monospace; font-size: 7pt;
  border: 1px solid #888; border-radius: 0.8mm; padding: 0 0.6mm; }
.foot { font-size: 8pt; color: #555; border-top: 1px solid #999; padding-top: 1mm; }
a { color: #0645ad; }
""".replace("FONTS", FONT_STACK)


def build_sheet(
    agent_summary: AgentSummary,
    itinerary_rows: pd.DataFrame,
    checklist_rows: pd.DataFrame | None,
    *,
    legal_hours: str,
    date: str,
    jurisdiction: str = "",
    language: str = "en",
    last_visits: pd.DataFrame | None = None,
) -> str:
    """Return the printable A4 route sheet of one agent as an HTML page.

    Parameters
    ----------
    agent_summary
        The agent's entry of ``summary.json`` (``agent_id``, ``name``,
        ``credential_id``, ``credential_expiry``, ``shift_start``, ``shift_end``).
    itinerary_rows
        The agent's rows of ``itineraries.csv`` (any order; sorted by ``stop_no``).
    checklist_rows
        Rows of ``checklist.csv`` (other agents' rows are ignored).
    legal_hours
        The jurisdiction's visiting hours, e.g. ``08:00-22:00``, printed as a reminder.
    date
        The plan date, ``YYYY-MM-DD``.
    jurisdiction
        Profile code; ``CN`` adds an Amap navigation link next to the ``geo:`` link.
    language
        ``zh`` or ``en``: the language of every label.
    last_visits
        Rows of ``last_visits.csv`` (``account_id, visit_date, agent_id,
        agent_name, outcome, notes``, newest first): each stop lists its
        account's.
    """
    t = Labels(language)
    agent_id = agent_summary.agent_id
    history = _visits_by_account(last_visits)
    rows = itinerary_rows.copy()
    rows["stop_no"] = pd.to_numeric(rows["stop_no"], errors="coerce")
    records = rows.sort_values("stop_no", kind="stable").to_dict("records")
    groups = checklist_by_account(checklist_rows)
    name = text(agent_summary.name).strip() or _first(records, "agent_name") or agent_id
    visits = [r for r in records if r.get(schema.KIND) == schema.EventKind.VISIT]
    title = t("sheet.title", name=name, agent_id=agent_id, date=date)
    body = [
        _header(agent_summary, name, records, visits, legal_hours, date, jurisdiction, t),
        _conduct(legal_hours, jurisdiction, t),
        _timeline(records, t),
    ]
    for no, row in enumerate(visits, start=1):
        account = text(row.get("account_id"))
        items = checklist_for(groups, account, agent_id)
        past = history.get(account, [])
        body.append(_stop_block(no, len(visits), row, items, jurisdiction, t, past))
    if not visits:
        body.append(f'<p class="muted">{esc(t("sheet.no_visits"))}</p>')
    foot = f"{t('sheet.foot', code='partial_payment')} {t('sheet.foot_evidence', codes='ID;AUTH')}"
    body.append(f'<div class="foot">{esc(foot)}</div>')
    return _page(title, "\n".join(body), lang=t.html_lang)


def build_index(
    summary: PlanSummary,
    agent_ids: Sequence[str],
    *,
    itineraries: pd.DataFrame | None = None,
    stems: Mapping[str, str] | None = None,
    language: str = "en",
) -> str:
    """Return ``index.html``: the plan's figures and links to the map, sheets and exports.

    Parameters
    ----------
    summary
        ``summary.json`` of the plan.
    agent_ids
        Agents that have a sheet (``sheets/<stem>.html`` and ``agents/<stem>.csv``).
    itineraries
        When given, per-agent visits and km are counted from it (so the index
        matches an edited itinerary); otherwise ``summary.json``'s totals are used.
    stems
        File-name stem of each agent id (default :func:`file_stems` of ``agent_ids``).
    language
        ``zh`` or ``en``: the language of every label.
    """
    t = Labels(language)
    stems = dict(stems) if stems is not None else file_stems(agent_ids)
    date = text(summary.date)
    counts = summary.counts
    rows = []
    for agent_id in agent_ids:
        agent = summary.agent(agent_id) or AgentSummary(agent_id)
        visits, km, expected = _agent_totals(agent, agent_id, itineraries)
        stem = quote(stems[agent_id])
        rows.append(
            "<tr>"
            f'<td><a href="sheets/{stem}.html">{esc(text(agent.name) or agent_id)}</a></td>'
            f"<td>{esc(agent_id)}</td><td class=n>{esc(visits)}</td><td class=n>{esc(km)}</td>"
            f"<td class=n>{esc(expected)}</td>"
            f'<td><a href="sheets/{stem}.html">{esc(t("index.sheet"))}</a> · '
            f'<a href="agents/{stem}.csv">{esc(t("index.csv"))}</a></td>'
            "</tr>"
        )
    idle = [a for a in summary.agents if a.agent_id not in set(agent_ids)]
    idle_rows = "".join(
        f"<li>{esc(a.name)} ({esc(a.agent_id)}): "
        f"{esc(a.unusable_reason or t('index.no_visits'))}</li>"
        for a in idle
    )
    figures = [
        (t("index.accounts"), counts.accounts),
        (t("index.rejected"), counts.rejected_rows),
        (t("index.excluded"), counts.excluded),
        (t("index.eligible"), counts.eligible),
        (t("index.planned"), counts.planned),
        (t("index.not_planned"), counts.dropped),
        (t("index.balance"), _covered(summary.balance_covered, summary.balance_eligible, t)),
        (
            t("index.expected"),
            _covered(summary.expected_recovery_covered, summary.expected_recovery_eligible, t),
        ),
        (
            t("index.travel"),
            t("units.km_min", km=number(summary.travel_km), min=integer(summary.travel_min)),
        ),
    ]
    solver = summary.solver
    if solver is not None and (solver.status is not None or solver.runtime_s is not None):
        figures.append(
            (t("index.solver"), f"{text(solver.status)}, {number(solver.runtime_s, 2)} s")
        )
    fig_html = "".join(
        f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in figures if not is_missing(v)
    )
    idle_html = f"<h2>{esc(t('index.idle'))}</h2><ul>{idle_rows}</ul>" if idle_rows else ""
    body = f"""
<h1>{esc(t("index.heading", date=date))} <span class="muted">{esc(summary.jurisdiction)}
{esc(summary.legal_hours)}</span></h1>
<p><a href="map.html"><b>{esc(t("index.open_map"))}</b></a> ·
<a href="outcomes_template.csv">{esc(t("index.outcomes_template"))}</a> ·
<a href="itineraries.csv">itineraries.csv</a> · <a href="dropped.csv">dropped.csv</a></p>
<h2>{esc(t("index.sheets"))}</h2>
<table class="list"><thead><tr><th>{esc(t("index.agent"))}</th><th>{esc(t("index.id"))}</th>
<th class=n>{esc(t("index.visits"))}</th><th class=n>{esc(t("index.km"))}</th>
<th class=n>{esc(t("index.expected"))}</th><th>{esc(t("index.files"))}</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
{idle_html}
<h2>{esc(t("index.figures"))}</h2><table class="figs">{fig_html}</table>
"""
    return _page(t("index.title", date=date), body, lang=t.html_lang, extra_css=_INDEX_CSS)


def _covered(covered: float | None, eligible: float | None, t: Labels) -> str:
    """Return ``summary.json``'s planned total of an amount against its eligible total."""
    planned = finite(covered)
    if planned is None:
        return ""
    return planned_of_eligible(planned, finite(eligible), t)


_INDEX_CSS = """
body { max-width: 200mm; }
h1 { margin-bottom: 2mm; } h2 { margin-top: 6mm; }
table.list th, table.list td { border-bottom: 1px solid #ddd; padding: 1.2mm 2mm; }
.n { text-align: right; font-variant-numeric: tabular-nums; }
table.figs { width: auto; } table.figs th { color: #444; font-weight: normal; padding-right: 6mm; }
"""


# --- pieces ------------------------------------------------------------------------


def _page(title: str, body: str, *, lang: str, extra_css: str = "") -> str:
    """Wrap ``body`` in a complete HTML document with the sheet CSS."""
    return (
        f'<!DOCTYPE html>\n<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{_CSS}{extra_css}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _first(records: Sequence[Mapping[Any, Any]], column: str) -> str:
    """Return the first non-empty value of ``column`` in ``records``."""
    for record in records:
        value = text(record.get(column)).strip()
        if value:
            return value
    return ""


def _header(
    agent: AgentSummary,
    name: str,
    records: Sequence[Mapping[Any, Any]],
    visits: Sequence[Mapping[Any, Any]],
    legal_hours: str,
    date: str,
    jurisdiction: str,
    t: Labels,
) -> str:
    """Return the sheet header: agent, credential, shift, legal hours and the day's totals."""
    expiry = text(agent.credential_expiry).strip()
    credential = text(agent.credential_id).strip() or "—"
    expiry_note = ""
    if expiry:
        expiry_note = esc(t("sheet.valid_until", date=expiry))
        try:
            if dt.date.fromisoformat(expiry) < dt.date.fromisoformat(date):
                expiry_note += f' <span class="warn">{esc(t("sheet.expired"))}</span>'
        except ValueError:
            pass
    shift = "–".join(p for p in (text(agent.shift_start), text(agent.shift_end)) if p)
    km = sum(float(r["travel_km"]) for r in records if not is_missing(r.get("travel_km")))
    minutes = sum(float(r["travel_min"]) for r in records if not is_missing(r.get("travel_min")))
    balance = sum(float(r["balance"]) for r in visits if not is_missing(r.get("balance")))
    weekday = t.weekday(date)
    hours = f"{legal_hours} ({jurisdiction})" if jurisdiction else legal_hours
    return f"""
<header class="head">
<div class="top"><h1>{esc(t("sheet.heading", name=name))}</h1>
<div class="date">{esc(f"{date} ({weekday})" if weekday else date)}</div></div>
<table class="ident">
<tr><th>{esc(t("sheet.agent"))}</th><td>{esc(name)} ({esc(agent.agent_id)})</td>
<th>{esc(t("sheet.credential"))}</th><td>{esc(credential)}{expiry_note}</td></tr>
<tr><th>{esc(t("sheet.shift"))}</th><td>{esc(shift or "—")}</td>
<th>{esc(t("sheet.legal_hours"))}</th><td>{esc(hours)}</td></tr>
<tr><th>{esc(t("sheet.visits"))}</th><td>{len(visits)}</td><th>{esc(t("sheet.travel"))}</th>
<td>{esc(t("units.km_min", km=number(km), min=integer(minutes)))}</td></tr>
<tr><th>{esc(t("sheet.balance_on_route"))}</th><td>{esc(money(balance))}</td>
<th>{esc(t("sheet.use"))}</th><td>{esc(t("sheet.use_note"))}</td></tr>
</table>
</header>"""


def _conduct(legal_hours: str, jurisdiction: str, t: Labels) -> str:
    """Return the conduct reminder box."""
    items = "".join(f"<li>{esc(t(key))}</li>" for key in CONDUCT)
    hours = f"{legal_hours} ({jurisdiction})" if legal_hours and jurisdiction else legal_hours
    title = t("conduct.title") + (t("conduct.hours", hours=hours) if hours else "")
    return f'<section class="conduct"><h3>{esc(title)}</h3><ol>{items}</ol></section>'


def _timeline(records: Sequence[Mapping[Any, Any]], t: Labels) -> str:
    """Return the day's timeline table: departure, stops, break and return."""
    rows = []
    visit_no = 0
    for row in records:
        kind = row.get(schema.KIND)
        leg = ""
        if not is_missing(row.get("travel_km")) and float(row["travel_km"]) > 0:
            leg = t("units.leg", km=number(row["travel_km"]), min=integer(row.get("travel_min")))
        if kind == schema.EventKind.START:
            time = text(row.get("service_end")) or text(row.get("arrival"))
            rows.append(_tl_row(time, t("timeline.depart"), text(row.get("address")), "", leg))
        elif kind == schema.EventKind.VISIT:
            visit_no += 1
            arrival, start = text(row.get("arrival")), text(row.get("service_start"))
            time = f"{arrival}" if arrival == start else f"{arrival} → {start}"
            time += f"–{text(row.get('service_end'))}"
            event = (
                f"{t('timeline.stop', no=visit_no)} · {text(row.get('account_id'))} · "
                f"{text(row.get('debtor_name'))}"
            )
            rows.append(
                _tl_row(
                    time,
                    event,
                    text(row.get("address")),
                    _window(row, t),
                    leg,
                    f"#stop-{visit_no}",
                )
            )
        elif kind == schema.EventKind.BREAK:
            time = f"{text(row.get('service_start'))}–{text(row.get('service_end'))}"
            rows.append(
                _tl_row(time, t("timeline.break"), text(row.get("address")), "", leg, css="brk")
            )
        elif kind == schema.EventKind.END:
            time = text(row.get("arrival"))
            rows.append(_tl_row(time, t("timeline.return"), text(row.get("address")), "", leg))
    head = "".join(
        f"<th>{esc(t(f'timeline.{key}'))}</th>"
        for key in ("time", "event", "where", "window", "leg")
    )
    return (
        f'<section class="timeline"><h2>{esc(t("timeline.title"))}</h2><table><thead><tr>'
        f"{head}</tr></thead><tbody>" + "".join(rows) + "</tbody></table></section>"
    )


def _tl_row(
    time: str, event: str, where: str, window: str, leg: str, href: str = "", css: str = ""
) -> str:
    """Return one escaped timeline row."""
    label = f'<a href="{esc(href)}">{esc(event)}</a>' if href else esc(event)
    cls = f' class="{css}"' if css else ""
    return (
        f'<tr{cls}><td class="t">{esc(time)}</td><td>{label}</td><td>{esc(where)}</td>'
        f'<td class="t">{esc(window)}</td><td class="t">{esc(leg)}</td></tr>'
    )


def _window(row: Mapping[Any, Any], t: Labels) -> str:
    """Return the visit window as ``09:00-12:00; 18:00-20:00``, or ``any time``."""
    parts = [w.strip() for w in text(row.get("visit_window")).split(";") if w.strip()]
    return "; ".join(parts) if parts else t("window.any")


def navigation_links(
    lat: Any, lon: Any, label: str, jurisdiction: str, labels: Labels | None = None
) -> list[tuple[str, str]]:
    """Return ``(text, url)`` navigation links for a point (empty without coordinates).

    ``geo:`` (RFC 5870) opens the phone's map app anywhere; CN plans add an
    Amap link (``coordinate=wgs84`` since plan coordinates are WGS84), others an
    OpenStreetMap link. Query values are URL-encoded; link texts are in the
    language of ``labels`` (English by default).
    """
    t = labels or Labels("en")
    if is_missing(lat) or is_missing(lon):
        return []
    la, lo = float(lat), float(lon)
    links = [(t("nav.geo"), f"geo:{la:.6f},{lo:.6f}?q={la:.6f},{lo:.6f}")]
    if jurisdiction.upper() == "CN":
        query = urlencode(
            {
                "position": f"{lo:.6f},{la:.6f}",
                "name": label,
                "coordinate": "wgs84",
                "src": "routeplan",
                "callnative": "1",
            },
            quote_via=quote,
        )
        links.insert(0, (t("nav.amap"), f"https://uri.amap.com/marker?{query}"))
    else:
        query = urlencode({"mlat": f"{la:.6f}", "mlon": f"{lo:.6f}"})
        links.append(
            (t("nav.osm"), f"https://www.openstreetmap.org/?{query}#map=18/{la:.6f}/{lo:.6f}")
        )
    return links


def _stop_block(
    no: int,
    total: int,
    row: Mapping[Any, Any],
    items: Sequence[Mapping[Any, Any]],
    jurisdiction: str,
    t: Labels,
    past: Sequence[Mapping[Any, Any]] = (),
) -> str:
    """Return one stop's block: who, where, money, why today, last visits, checklist, outcome.

    ``past`` holds the account's last recorded visits (``last_visits.csv``
    rows, newest first).
    """
    account = text(row.get("account_id"))
    lang_attr = _lang_attr(row.get("language"))
    arrival, start = text(row.get("arrival")), text(row.get("service_start"))
    end = text(row.get("service_end"))
    timing = (
        t("stop.arrive_visit", arrival=arrival, start=start, end=end)
        if arrival != start
        else f"{start}–{end}"
    )
    nav = navigation_links(
        row.get("lat"), row.get("lon"), text(row.get("address")), jurisdiction, t
    )
    nav_html = " · ".join(f'<a href="{esc(url)}">{esc(label)}</a>' for label, url in nav)
    if nav:
        nav_html += (
            f' <span class="muted">({float(row["lat"]):.5f}, {float(row["lon"]):.5f})</span>'
        )
    language = text(row.get("language")).strip()
    debtor = (
        f"<b{lang_attr}>{esc(row.get('debtor_name'))}</b> · "
        f"{esc(t('stop.account', account=account))}"
    )
    if language:
        debtor += f" · {esc(t('stop.speaks', language=language))}"
    owed = (
        f"<b>{esc(money(row.get('balance')))}</b> · "
        f"{esc(t('stop.days_past_due', n=integer(row.get('days_past_due'))))}"
    )
    left = [
        (t("stop.debtor"), debtor),
        (t("stop.address"), f"<span{lang_attr}>{esc(row.get('address'))}</span>"),
        (t("stop.navigate"), nav_html or f'<span class="muted">{esc(t("nav.none"))}</span>'),
    ]
    right = [
        (t("stop.time"), f"{esc(timing)}"),
        (t("stop.window"), esc(_window(row, t))),
        (t("stop.owed"), owed),
    ]
    reason = why_today(row, t)
    why = (
        f'<div class="why"><span>{esc(t("stop.why"))}</span><div>{esc(reason)}</div></div>'
        if reason
        else ""
    )
    facts_html = "".join(
        '<table class="facts">'
        + "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in column if v)
        + "</table>"
        for column in (left, right)
    )
    options = [i for i in items if is_settlement_item(i.get("item"), i.get("category"))]
    evidence = [i for i in items if not is_settlement_item(i.get("item"), i.get("category"))]
    return f"""
<section class="stop" id="stop-{no}" data-account="{esc(account)}">
<h2><span class="num">{no}</span><span>{esc(start)}</span><span>{esc(account)}</span>
<span{lang_attr}>{esc(row.get("debtor_name"))}</span></h2>
<div class="factgrid">{facts_html}</div>
{why}
{_last_visits(past, t)}
<div class="cols">
<div>
<h3>{esc(t("stop.evidence"))}</h3>{_ticks(evidence, t("stop.evidence_empty"))}
</div>
<div>
<h3>{esc(t("stop.options"))}</h3>{_ticks(options, t("stop.options_empty"))}
{_outcome_box(t)}
</div>
</div>
<div class="stopfoot"><span>{esc(t("stop.signature"))}</span><span class="blank"></span>
<span>{esc(t("stop.footer", no=no, total=total, account=account))}</span></div>
</section>"""


def why_today(row: Mapping[Any, Any], t: Labels) -> str:
    """Return why a stop's debtor is visited today, in plain words.

    From the row's ``why_today`` facts (``184 days overdue; promised to pay
    and broke it twice; paid nothing in 6 months``), never the scoring
    formula. A row without them (an older plan folder, a stop a dispatcher
    added) shows its ``chosen_because`` as written, or else its days overdue.
    """
    if text(row.get("why_today")).strip():
        return t.why_today(row.get("why_today"), row.get("days_past_due"))
    return text(row.get("chosen_because")).strip() or t.why_today("", row.get("days_past_due"))


def _outcome_box(t: Labels) -> str:
    """Return the outcome box: a tick box per outcome code (words and code), then the blanks.

    The contract's common codes come first, the others under "Other"; each
    write-in field names its ``outcomes_template.csv`` column (``data-column``),
    so what the agent writes on paper has a place in the file ``record`` reads:
    check-in and check-out times, the amount and its receipt number, the
    promise, the notes.
    """
    common = "".join(_outcome_code(code, t) for code in schema.COMMON_OUTCOME_CODES)
    other = "".join(_outcome_code(code, t) for code in schema.OTHER_OUTCOME_CODES)
    amount, ptp_date, ptp_amount, notes, checkin, checkout, receipt = (
        f'<span class="blank" data-column="{c}"></span>'
        for c in (
            schema.AMOUNT_PAID,
            schema.PTP_DATE,
            schema.PTP_AMOUNT,
            schema.NOTES,
            schema.CHECKIN_TIME,
            schema.CHECKOUT_TIME,
            schema.RECEIPT_NO,
        )
    )
    return f"""<div class="outcome">
<h3>{esc(t("outcome.title"))}</h3>
<div class="codes">{common}</div>
<div class="codes-label">{esc(t("outcome.other"))}</div>
<div class="codes other">{other}</div>
<div class="line"><span>{esc(t("outcome.checkin_time"))}</span>{checkin}
<span>{esc(t("outcome.checkout_time"))}</span>{checkout}</div>
<div class="line"><span>{esc(t("outcome.amount_paid"))}</span>{amount}
<span>{esc(t("outcome.receipt_no"))}</span>{receipt}</div>
<div class="line"><span>{esc(t("outcome.ptp_date"))}</span>{ptp_date}
<span>{esc(t("outcome.ptp_amount"))}</span>{ptp_amount}</div>
<div class="line"><span>{esc(t("outcome.notes"))}</span>{notes}</div>
<div class="notes"></div>
</div>"""


def _outcome_code(code: str, t: Labels) -> str:
    """Return one tick box of the outcome box: ``☐ 部分还款 (partial_payment)``."""
    words = t.outcome_words(code)
    shown = (
        f"{esc(words)} (<code>{esc(code)}</code>)" if words != code else f"<code>{esc(code)}</code>"
    )
    return f'<span data-code="{esc(code)}"><span class="box"></span>{shown}</span>'


def _visits_by_account(
    last_visits: pd.DataFrame | None,
) -> dict[str, list[Mapping[Any, Any]]]:
    """Group ``last_visits.csv`` rows by account, keeping their order (newest first)."""
    out: dict[str, list[Mapping[Any, Any]]] = {}
    if last_visits is None or last_visits.empty:
        return out
    for rec in last_visits.to_dict("records"):
        out.setdefault(text(rec.get(schema.ACCOUNT_ID)).strip(), []).append(rec)
    return out


def _last_visits(past: Sequence[Mapping[Any, Any]], t: Labels) -> str:
    """Return the stop's last recorded visits: date, agent, outcome (words and code), note."""
    if not past:
        return ""
    lines = []
    for rec in past:
        agent = text(rec.get(schema.AGENT_ID)).strip()
        name = text(rec.get("agent_name")).strip()
        who = f"{name} ({agent})" if name else agent
        parts = [
            text(rec.get(schema.VISIT_DATE)).strip(),
            who,
            t.outcome(text(rec.get(schema.OUTCOME)).strip()),
        ]
        note = text(rec.get(schema.NOTES)).strip()
        shown = " · ".join(esc(p) for p in parts if p)
        if note:
            shown += f" · <q>{esc(note)}</q>"
        lines.append(f"<li>{shown}</li>")
    return (
        f'<div class="why last-visits"><span>{esc(t("stop.last_visits"))}</span>'
        f'<ul class="past">{"".join(lines)}</ul></div>'
    )


def _ticks(items: Sequence[Mapping[Any, Any]], empty: str) -> str:
    """Return a list of items with tick boxes, codes and reasons (``empty`` when none).

    An item's code (``ID``, ``AUTH``, ``INST6``...; a ``checklist.csv`` made
    before codes existed has none) is printed beside its box: it is what the
    agent, or the app filling the outcomes template, writes in ``evidence``.
    """
    if not items:
        return (
            f'<ul class="ticks"><li class="muted"><span class="box"></span>{esc(empty)}</li></ul>'
        )
    lis = []
    for item in items:
        reason = text(item.get("reason")).strip()
        detail = f' <span class="muted">— {esc(reason)}</span>' if reason else ""
        code = text(item.get("code")).strip().upper()
        tag = f'<code class="item-code">{esc(code)}</code> ' if code else ""
        data = f' data-code="{esc(code)}"' if code else ""
        lis.append(f'<li{data}><span class="box"></span>{tag}{esc(item.get("item"))}{detail}</li>')
    return f'<ul class="ticks">{"".join(lis)}</ul>'


def _lang_attr(language: Any) -> str:
    """Return a ``lang`` attribute for a language code like ``zh`` (empty when not a code)."""
    code = text(language).strip()
    if code and len(code) <= 12 and all(c.isascii() and (c.isalnum() or c == "-") for c in code):
        return f' lang="{esc(code)}"'
    return ""


def _agent_totals(
    agent: AgentSummary, agent_id: str, itineraries: pd.DataFrame | None
) -> tuple[str, str, str]:
    """Return an agent's visits, km and expected recovery as text (from the itinerary if given)."""
    if itineraries is not None:
        rows = itineraries[itineraries["agent_id"] == agent_id]
        is_visit = rows[schema.KIND] == schema.EventKind.VISIT
        km = float(pd.to_numeric(rows["travel_km"], errors="coerce").fillna(0).sum())
        expected = pd.Series(dtype=float)
        if "expected_recovery" in rows.columns:
            expected = pd.to_numeric(rows.loc[is_visit, "expected_recovery"], errors="coerce")
        return str(int(is_visit.sum())), number(km), money(float(expected.fillna(0).sum()))
    return (
        integer(agent.visits),
        number(agent.travel_km),
        money(agent.expected_recovery),
    )
