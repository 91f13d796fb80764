"""Small helpers shared by the map, the sheets and the exports.

Escaping, name masking, number formatting, agent colours and safe file
names live here so every output applies the same rules.
"""

from __future__ import annotations

import colorsys
import hashlib
import html
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

# --- escaping ------------------------------------------------------------------------

_EXTRA_ESCAPES = str.maketrans({"`": "&#96;", "$": "&#36;", "\\": "&#92;"})


def esc(value: Any) -> str:
    """Return ``value`` as text safe to put in HTML content or a quoted attribute.

    Besides ``& < > " '`` this also escapes the backtick, ``$`` and the
    backslash as character references: folium pastes popup and tooltip HTML
    into JavaScript template literals (`` `...` ``), where those three would
    end the literal, interpolate ``${...}`` or start an escape sequence. The
    browser shows the references as the original characters.
    """
    return html.escape(text(value), quote=True).translate(_EXTRA_ESCAPES)


def text(value: Any) -> str:
    """Return ``value`` as display text: missing values (None, NaN, NA) become ``""``."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


# --- masking ---------------------------------------------------------------------------


def mask_name(name: Any) -> str:
    """Return a debtor name with all but the first character of each word masked.

    ``王小明`` -> ``王**``, ``John Smith`` -> ``J*** S****``. A word of a
    single character is masked whole (``周`` -> ``*``), since keeping it would
    show the full name. Whitespace between words is kept as one space.
    """
    words = text(name).split()
    return " ".join("*" if len(w) == 1 else w[0] + "*" * (len(w) - 1) for w in words)


def display_name(name: Any, *, show_names: bool) -> str:
    """Return the name as shown on the map: full with ``show_names``, masked otherwise."""
    return text(name).strip() if show_names else mask_name(name)


# --- numbers -------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    """Return True for None, NaN and empty strings."""
    return text(value).strip() == ""


def finite(value: Any) -> float | None:
    """Return ``value`` as a finite float, or None (missing, not a number, infinite)."""
    if is_missing(value) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def money(value: Any) -> str:
    """Format an amount as ``58,200.00`` (no currency symbol); missing -> ``""``.

    Like :func:`number` and :func:`integer` this never raises: a value that is
    not a finite number (the plan-folder reader refuses those) is shown as written.
    """
    amount = finite(value)
    return text(value).strip() if amount is None else f"{amount:,.2f}"


def number(value: Any, digits: int = 1) -> str:
    """Format a number with ``digits`` decimals (``12.7``); missing -> ``""``."""
    amount = finite(value)
    return text(value).strip() if amount is None else f"{amount:,.{digits}f}"


def integer(value: Any) -> str:
    """Format a whole number (``184``); missing -> ``""``."""
    amount = finite(value)
    return text(value).strip() if amount is None else f"{round(amount):d}"


# --- colours -------------------------------------------------------------------------

#: Distinct, print-friendly colours (Tableau 10 then extras); more agents get
#: golden-angle hues so neighbours in the list still differ.
PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#bcbd22",
    "#393b79",
    "#637939",
    "#843c39",
    "#7b4173",
    "#3182bd",
    "#e6550d",
    "#31a354",
)
DROPPED_COLOUR = "#7f7f7f"


def agent_colour(index: int) -> str:
    """Return the colour of the ``index``-th agent (0-based), as ``#rrggbb``."""
    if index < len(PALETTE):
        return PALETTE[index]
    hue = (index * 0.618033988749895) % 1.0
    r, g, b = colorsys.hls_to_rgb(hue, 0.40, 0.70)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


# --- file names ----------------------------------------------------------------------

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10))}
_RESERVED |= {f"lpt{i}" for i in range(10)}


def file_stems(agent_ids: Iterable[str]) -> dict[str, str]:
    """Map each agent id to a file-name stem that is safe and unique.

    An id made of ASCII letters, digits, ``.``, ``_`` and ``-`` (not starting
    with a dot, at most 64 characters, not a Windows device name) is used as
    it is. Any other id (``../../x``, ``张伟``, ``a/b``) becomes its safe
    characters plus a short hash of the id, so it can never leave the folder
    and two ids never share a file. Stems that differ only in case also get
    the hash, for case-insensitive file systems.
    """
    ids = list(dict.fromkeys(agent_ids))
    stems: dict[str, str] = {}
    for agent_id in ids:
        plain = bool(_SAFE_ID.match(agent_id)) and agent_id.split(".")[0].lower() not in _RESERVED
        stems[agent_id] = agent_id if plain else _hashed_stem(agent_id)
    folded: dict[str, list[str]] = {}
    for agent_id, stem in stems.items():
        folded.setdefault(stem.casefold(), []).append(agent_id)
    for clash in folded.values():
        if len(clash) > 1:
            for agent_id in clash:
                stems[agent_id] = _hashed_stem(agent_id)
    return stems


def _hashed_stem(agent_id: str) -> str:
    """Return the safe characters of ``agent_id`` (trimmed) plus 8 hex digits of its hash."""
    digest = hashlib.sha256(agent_id.encode("utf-8")).hexdigest()[:8]
    base = _UNSAFE_CHARS.sub("_", agent_id).strip("._-")[:40]
    return f"{base}-{digest}" if base else f"agent-{digest}"


# --- checklist -----------------------------------------------------------------------

_SETTLEMENT = re.compile(
    r"(settle|instal|payment plan|repayment plan|defer|relief|waiv|discount|lump|"
    r"restructur|extension|longer term|reduc|option|分期|减免|延期|和解|还款计划)",
    re.IGNORECASE,
)
_EVIDENCE = re.compile(
    r"(history|statement|record|copy|letter|card|contract|notice|proof|sheet|form|book|"
    r"receipt|log\b|materials)",
    re.IGNORECASE,
)


def is_settlement_item(item: Any, category: Any = "") -> bool:
    """Return True when a checklist item is a settlement option rather than evidence.

    An explicit ``category`` value (``settlement``/``option`` vs anything
    else) wins; otherwise the item's wording decides (instalment plan,
    settlement, deferral, relief, ...), and document words such as "repayment
    history", "statement", "options sheet" or "form" keep an item on the
    evidence list (it is something to carry, not an offer).
    """
    cat = text(category).strip().lower()
    if cat:
        return cat in {"settlement", "option", "settlement_option", "offer"}
    wording = text(item)
    return bool(_SETTLEMENT.search(wording)) and not _EVIDENCE.search(wording)


def checklist_by_account(
    checklist: pd.DataFrame | None,
) -> dict[tuple[str, str], list[Mapping[Any, Any]]]:
    """Group checklist rows by ``(account_id, agent_id)`` keeping file order."""
    groups: dict[tuple[str, str], list[Mapping[Any, Any]]] = {}
    if checklist is None or checklist.empty:
        return groups
    for row in checklist.to_dict("records"):
        key = (text(row.get("account_id")), text(row.get("agent_id")))
        groups.setdefault(key, []).append(row)
    return groups


def checklist_for(
    groups: Mapping[tuple[str, str], list[Mapping[Any, Any]]], account_id: str, agent_id: str
) -> list[Mapping[Any, Any]]:
    """Return the checklist of one stop; rows without an agent id apply to any agent."""
    return list(groups.get((account_id, agent_id), [])) + list(groups.get((account_id, ""), []))


# --- reasons -------------------------------------------------------------------------

#: Plain-language text for the dropped reason codes in :mod:`routeplan.schema`.
DROPPED_REASON_TEXT = {
    "no_agent_with_skill": "no agent today has the skill or language needed",
    "windows_outside_shifts_and_legal_hours": "visit windows fall outside shifts and legal hours",
    "cannot_reach_and_return_within_shift": "cannot be reached and returned from within a shift",
    "lower_value_than_planned_visits": "lower value than the visits planned instead",
    "no_usable_agent": "no agent with a valid credential today",
}


def reason_text(code: Any) -> str:
    """Return the plain-language text of a dropped reason code (the code itself if unknown)."""
    key = text(code).strip()
    return DROPPED_REASON_TEXT.get(key, key.replace("_", " "))
