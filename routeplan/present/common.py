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


#: marks what :func:`mask_address` removed
MASKED = "…"
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
#: a road name ending, right before its house number (``布吉路780号``, ``中山一路十八号``)
_CN_ROAD = re.compile(
    r"(?:大道|大街|路|街|道|巷|弄|胡同)(?=\s*(?:[0-9０-９]|[一二三四五六七八九十百千零〇两]+\s*[号號]))"
)
#: one administrative level: province, city, district, county, town, sub-district
_CN_ADMIN = re.compile(
    r"[\u3400-\u9fff]{2,12}?(?:特别行政区|自治区|自治州|地区|街道|省|市|州|盟|区|區|县|縣|旗|镇|鎮|乡|鄉)"
)
#: compounds that end like a district but lie below street level (estates, campuses)
_CN_NOT_ADMIN = ("小区", "园区", "社区", "校区", "景区", "厂区", "住宅区", "新区花园")
#: what gives away a building, a unit or a number before the road (``1503室, 布吉路…``);
#: words that also name roads (科苑路, 花园路, 学院路, 鼓楼大街) are not in it
_CN_DETAIL = re.compile(
    r"[0-9０-９#＃]|栋|幢|单元|室|号|號|小区|大厦|公寓|(?i:room|flat|unit|apt|suite|floor|block|blk)"
)


def mask_address(address: Any) -> str:
    """Return an address cut to street level, followed by ``…`` when detail was removed.

    Chinese addresses (any CJK character) keep the administrative levels and
    the road (``深圳市龙岗区布吉路780号金域名苑19栋1503室`` ->
    ``深圳市龙岗区布吉路…``); without a road followed by its number, only the
    province/city/district levels. Other addresses keep the street name and
    what follows it (city, region), without house, flat, unit or room numbers
    or postcodes (``Flat 3, 221B Baker Street, London NW1 6XE`` -> ``Baker
    Street, London…``). When in doubt more is masked: an address nothing can
    safely be kept of gives ``""``.
    """
    value = " ".join(text(address).split())
    if not value:
        return ""
    kept = _mask_cn(value) if _CJK.search(value) else _mask_western(value)
    if kept == value:
        return kept
    return f"{kept}{MASKED}" if kept else ""


def _cn_admin(value: str) -> str:
    """Return the leading administrative levels of a Chinese address (``深圳市龙岗区``)."""
    end = 0
    while True:
        match = _CN_ADMIN.match(value, end)
        if match is None or match.group(0).endswith(_CN_NOT_ADMIN):
            return value[:end]
        end = match.end()


def _mask_cn(value: str) -> str:
    """Return a Chinese address up to its road (or its administrative levels)."""
    admin = _cn_admin(value)
    road = _CN_ROAD.search(value, len(admin))
    if road is not None:
        street = value[len(admin) : road.end()]
        if street.strip() and not _CN_DETAIL.search(street):
            return value[: road.end()].strip()
    return admin


_WORD = r"(?:^|(?<=[\s.]))"
_STREET_WORD = re.compile(
    _WORD + r"(?:street|st|road|rd|avenue|ave|av|lane|ln|drive|dr|boulevard|blvd|way|place|pl|"
    r"court|ct|terrace|tce|crescent|cres|close|highway|hwy|parkway|pkwy|square|sq|row|walk|"
    r"marg|path|gardens|grove|mews|circle|cir|trail|alley|quay|strasse|straße|weg|gasse|"
    r"rue|calle|via|avenida|rua|vej|gade|laan|straat)\.?(?=$|[\s,])"
    # German, Dutch and Nordic street names are one word: Hauptstraße, Kalverstraat
    r"|\w(?:straße|strasse|str\.|weg|gasse|platz|allee|damm|straat|gracht|gatan|vägen|vej|gade)"
    r"(?=$|[\s,])",
    re.IGNORECASE,
)
_UNIT_WORD = re.compile(
    r"^(?:flat|apt|apartment|unit|suite|ste|room|rm|floor|fl|level|lvl|lot|plot|bldg|"
    r"building|block|blk|house|no|number|po|box|door|stair|apto|piso)\.?$",
    re.IGNORECASE,
)
_ORDINAL = re.compile(r"^\d+(?:st|nd|rd|th)\.?$", re.IGNORECASE)


def _mask_western(value: str) -> str:
    """Return a Western address from its street name on, without numbers or unit words."""
    parts = [p.strip() for p in re.split(r"[,;\n]", value) if p.strip()]
    street = next((i for i, p in enumerate(parts) if _STREET_WORD.search(p)), None)
    if street is None:
        # No street to anchor on: keep only the broadest levels (city, region).
        keep = parts[-2:] if len(parts) >= 3 else parts[-1:] if len(parts) == 2 else []
        cleaned = [_clean_words(p.split()) for p in keep]
    else:
        words = parts[street].split()
        at = next(i for i, w in enumerate(words) if _STREET_WORD.search(w))
        # The street name starts after the last number (the house number) before it.
        numbered = [i for i in range(at) if _has_number(words[i])]
        start = numbered[-1] + 1 if numbered else 0
        cleaned = [_clean_words(words[start:])]
        cleaned += [_clean_words(p.split()) for p in parts[street + 1 :]]
    return ", ".join(c for c in cleaned if c)


def _has_number(word: str) -> bool:
    """Return True for a word with a digit that is not an ordinal street name (``5th``)."""
    return bool(re.search(r"\d", word)) and not _ORDINAL.match(word)


def _clean_words(words: list[str]) -> str:
    """Drop numbers, ``#12-34`` and unit words with the identifier after them."""
    out: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
            if _has_number(word) or len(word) <= 2:
                continue
        if _UNIT_WORD.match(word):
            skip = True
            continue
        if _has_number(word) or word.startswith("#"):
            continue
        out.append(word)
    return " ".join(out).strip(" -/")


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
