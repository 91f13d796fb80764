"""A warning banner for a map or route sheet drawn from a plan that breaks rules.

When a dispatcher edits ``itineraries.csv`` (moves or deletes a stop) and
redraws without re-timing, the times printed no longer hold: an agent could
be sent to a closed door. ``routeplan map`` then puts this banner at the top
of ``map.html``, ``index.html`` and every affected route sheet, listing the
violations found by the checker (:func:`routeplan.check.check_plan_folder`).
Every message is escaped; the banner has no script and prints with the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from routeplan.present.common import esc

if TYPE_CHECKING:
    from routeplan.check import Violation

#: class of the banner element (tests and style sheets find it by this)
BANNER_CLASS = "rp-violations"
#: violations listed in full on one banner; the rest are counted
MAX_LISTED = 12

_STYLE_FIXED = (
    "position:fixed;top:8px;left:50%;transform:translateX(-50%);z-index:10000;"
    "max-width:90%;max-height:40vh;overflow:auto;"
)
_STYLE_BOX = (
    "background:#fff3f3;border:3px solid #c00;color:#600;padding:8px 14px;margin:0 0 10px 0;"
    "font:14px/1.4 system-ui,sans-serif;box-shadow:0 2px 6px rgba(0,0,0,.3);"
)


def violation_banner(
    violations: Sequence[Violation], *, plan_dir: str, what: str = "plan", fixed: bool = False
) -> str:
    """Return the banner HTML listing ``violations`` (``""`` when there are none).

    Parameters
    ----------
    violations
        What the checker found (all of them on the map, one agent's on a sheet).
    plan_dir
        The plan folder, named in the advice to run ``routeplan retime``.
    what
        ``"plan"`` or ``"route sheet"``: the subject of the title.
    fixed
        Keep the banner on screen over the map (the map fills the page).
    """
    if not violations:
        return ""
    n = len(violations)
    items = "".join(f"<li>{esc(v.message())}</li>" for v in violations[:MAX_LISTED])
    more = (
        f"<li>... and {n - MAX_LISTED} more (routeplan check lists them all)</li>"
        if n > MAX_LISTED
        else ""
    )
    style = (_STYLE_FIXED if fixed else "") + _STYLE_BOX
    return (
        f'<div class="{BANNER_CLASS}" role="alert" style="{style}">'
        f"<strong>&#9888; This {esc(what)} breaks {n} rule{'s' if n != 1 else ''}.</strong> "
        "An edit by hand left stale times or stops that cannot be kept: do not follow it as "
        "shown. Fix the stops below in itineraries.csv and run "
        f"<code>routeplan retime {esc(plan_dir)}</code>."
        f'<ul style="margin:4px 0 0 18px;padding:0">{items}{more}</ul></div>'
    )


_BODY = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def with_banner(html: str, banner: str) -> str:
    """Return ``html`` with ``banner`` first inside ``<body>`` (or at the start)."""
    if not banner:
        return html
    m = _BODY.search(html)
    if m is None:
        return banner + html
    return html[: m.end()] + "\n" + banner + html[m.end() :]


__all__ = ["BANNER_CLASS", "violation_banner", "with_banner"]
