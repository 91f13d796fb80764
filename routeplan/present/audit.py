"""The audit page: flagged visits on a map, check-in against the account's address.

:func:`build_audit_page` turns ``routeplan audit``'s flagged visits
(:class:`routeplan.commands.AuditReport`) into one HTML page: a folium map
with, for each flagged visit that has a check-in position, a red dot where
the agent checked in, a blue dot at the account's location and a dashed line
between them (the distance in its tooltip), under a table of every flagged
visit with its flags and evidence. Every value is escaped; addresses are cut
to street level unless ``show_names`` (no debtor name is stored with a
visit, so none can show). :func:`write_audit_page` writes it, never over a
file routeplan did not write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import folium
import pandas as pd

from routeplan import schema as S
from routeplan.errors import InputError
from routeplan.io.safe import write_text_atomic
from routeplan.present.common import esc, finite, mask_address, money, text
from routeplan.present.map import render_map
from routeplan.present.offline import ASSETS_DIR, use_assets, write_assets
from routeplan.proof import distance_m

#: the mark that says routeplan wrote an audit page (a page without it is not replaced)
GENERATOR = "routeplan audit"
CHECKIN_COLOUR = "#c0392b"
PLACE_COLOUR = "#1f5fbf"

_CSS = """
<style>
body { font-family: "Noto Sans", Arial, "Noto Sans CJK SC", sans-serif; font-size: 10pt; }
.rp-audit { padding: 8px 14px; }
.rp-audit h1 { font-size: 14pt; margin: 4px 0; }
.rp-audit table { border-collapse: collapse; width: 100%; }
.rp-audit th, .rp-audit td { border-bottom: 1px solid #ddd; padding: 3px 6px; text-align: left;
  vertical-align: top; }
.rp-audit .flag { font-family: monospace; color: #a00; }
.rp-audit .muted { color: #555; }
.rp-key span { display: inline-block; width: 10px; height: 10px; border-radius: 5px;
  margin: 0 4px 0 10px; }
</style>
"""


def build_audit_page(
    visits: pd.DataFrame,
    *,
    title: str,
    show_names: bool = False,
    offline_assets: bool = False,
) -> str:
    """Return the audit page for flagged visits as a standalone HTML document.

    Parameters
    ----------
    visits
        One row per flagged visit (:attr:`routeplan.commands.AuditReport.visits`):
        the flags joined in ``flags``, ``findings`` as ``(flag, detail)``
        pairs, the evidence columns, ``checkin_lat``, ``checkin_lon``,
        ``place_lat``, ``place_lon``.
    title
        The heading (the period, the agent).
    show_names
        Show full addresses; by default they are cut to street level.
    offline_assets
        Refer to the map's scripts in ``assets/`` beside the page.
    """
    records = visits.to_dict("records")
    points: list[tuple[float, float]] = []
    m = folium.Map(location=[0.0, 0.0], zoom_start=12, control_scale=True, height="60vh")
    for no, rec in enumerate(records, start=1):
        points += _draw_visit(m, no, rec, show_names)
    use_assets(m, None, offline=offline_assets)
    if points:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        m.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(30, 30))
    root = m.get_root()
    root.title = esc(title)
    root.header.add_child(folium.Element(f'<meta name="generator" content="{GENERATOR}">'))
    root.header.add_child(folium.Element(_CSS))
    root.html.add_child(folium.Element(_table(records, title, show_names)))
    return render_map(m)


def write_audit_page(
    visits: pd.DataFrame,
    path: Path | str,
    *,
    title: str,
    show_names: bool = False,
    offline_assets: bool = False,
) -> list[Path]:
    """Write the audit page to ``path`` (and ``assets/`` beside it when offline).

    Raises
    ------
    InputError
        ``path`` exists and is not an audit page routeplan wrote (it is left
        as it was), or is a folder.
    """
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{target}: is a folder; name the HTML file to write")
    if target.exists() and not _ours(target):
        raise InputError(
            f"{target}: exists and is not an audit page routeplan wrote; name another file"
        )
    page = build_audit_page(
        visits, title=title, show_names=show_names, offline_assets=offline_assets
    )
    assets = write_assets(target.parent) if offline_assets else []
    return [write_text_atomic(target, page), *assets]


def _ours(path: Path) -> bool:
    """Return whether ``path`` is an audit page routeplan wrote (its generator mark)."""
    try:
        head = path.read_bytes()[:4096].decode("utf-8", errors="replace")
    except OSError:
        return False
    return f'<meta name="generator" content="{GENERATOR}">' in head


def _point(lat: Any, lon: Any) -> tuple[float, float] | None:
    la, lo = finite(lat), finite(lon)
    return None if la is None or lo is None else (la, lo)


def _where(rec: dict[str, Any], show_names: bool) -> str:
    address = text(rec.get(S.ADDRESS))
    return address if show_names else mask_address(address)


def _draw_visit(
    m: folium.Map, no: int, rec: dict[str, Any], show_names: bool
) -> list[tuple[float, float]]:
    """Draw one flagged visit (check-in, address, the line between); return its points."""
    checkin = _point(rec.get(S.CHECKIN_LAT), rec.get(S.CHECKIN_LON))
    place = _point(rec.get("place_lat"), rec.get("place_lon"))
    label = (
        f"#{no} {text(rec.get(S.VISIT_DATE))} {text(rec.get(S.AGENT_ID))} "
        f"{text(rec.get(S.ACCOUNT_ID))}"
    )
    popup = (
        f"<b>{esc(label)}</b><br>{esc(rec.get('flags'))}<br>"
        f"{esc(_where(rec, show_names))}<br>"
        f"{esc(_times(rec))}"
    )
    drawn: list[tuple[float, float]] = []
    for point, colour, what in (
        (place, PLACE_COLOUR, "address"),
        (checkin, CHECKIN_COLOUR, "check-in"),
    ):
        if point is None:
            continue
        folium.CircleMarker(
            point,
            radius=6,
            color=colour,
            fill=True,
            fill_opacity=0.8,
            tooltip=esc(f"{label}: {what}"),
            popup=folium.Popup(popup, max_width=320),
        ).add_to(m)
        drawn.append(point)
    if checkin is not None and place is not None:
        folium.PolyLine(
            [checkin, place],
            color=CHECKIN_COLOUR,
            weight=2,
            dash_array="6 4",
            tooltip=esc(f"{label}: {distance_m(checkin, place):,.0f} m"),
        ).add_to(m)
    return drawn


def _times(rec: dict[str, Any]) -> str:
    """Return ``10:00 – 10:02`` (a time on another day than the visit with its date)."""
    day = f"{text(rec.get(S.VISIT_DATE))} "
    shown = [text(rec.get(c)).removeprefix(day) for c in (S.CHECKIN_TIME, S.CHECKOUT_TIME)]
    return " – ".join(t for t in shown if t)


def _table(records: list[dict[str, Any]], title: str, show_names: bool) -> str:
    """Return the heading, the colour key and the table of flagged visits."""
    rows = []
    for no, rec in enumerate(records, start=1):
        checkin = _point(rec.get(S.CHECKIN_LAT), rec.get(S.CHECKIN_LON))
        place = _point(rec.get("place_lat"), rec.get("place_lon"))
        away = (
            f"{distance_m(checkin, place):,.0f} m"
            if checkin is not None and place is not None
            else ""
        )
        accuracy = finite(rec.get(S.GPS_ACCURACY_M))
        fix = f" ±{accuracy:.0f} m" if accuracy is not None else ""
        paid = money(rec.get(S.AMOUNT_PAID)) if finite(rec.get(S.AMOUNT_PAID)) else ""
        details = "".join(
            f'<div><span class="flag">{esc(flag)}</span> {esc(detail)}</div>'
            for flag, detail in rec.get("findings") or ()
        )
        rows.append(
            "<tr>"
            f"<td>{no}</td><td>{esc(rec.get(S.VISIT_DATE))}</td>"
            f"<td>{esc(rec.get(S.AGENT_ID))} {esc(rec.get('agent_name'))}</td>"
            f"<td>{esc(rec.get(S.ACCOUNT_ID))}<div class=muted>"
            f"{esc(_where(rec, show_names))}</div></td>"
            f"<td>{details or esc(rec.get('flags'))}</td>"
            f"<td>{esc(rec.get(S.OUTCOME))} {esc(paid)}</td>"
            f"<td>{esc(_times(rec))}</td>"
            f"<td>{esc(away)}{esc(fix)}</td>"
            f"<td>{esc(rec.get(S.EVIDENCE))}</td>"
            f"<td>{esc(rec.get(S.RECEIPT_NO))}</td>"
            f"<td>{esc(rec.get(S.PHOTO_REF))}</td>"
            "</tr>"
        )
    head = "".join(
        f"<th>{esc(h)}</th>"
        for h in (
            "#",
            "date",
            "agent",
            "account",
            "flags",
            "outcome",
            "check-in – check-out",
            "check-in to address",
            "evidence",
            "receipt",
            "photo (not fetched)",
        )
    )
    empty = '<p class="muted">No flagged visit in this period.</p>' if not records else ""
    return (
        f'<div class="rp-audit"><h1>{esc(title)}</h1>'
        f'<div class="rp-key muted"><span style="background:{CHECKIN_COLOUR}"></span>check-in'
        f'<span style="background:{PLACE_COLOUR}"></span>account\'s location</div>{empty}'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


__all__ = ["ASSETS_DIR", "GENERATOR", "build_audit_page", "write_audit_page"]
