"""Time zones of places, and the local date of a region.

Clock times in the inputs (shifts, windows, legal hours) are local times: one
plan holds them in one zone. Which zone a place lies in is looked up offline
from its coordinates (``tzfpy``, the IANA boundaries shipped in the package);
two zones with the same UTC offset on the plan date (``Asia/Shanghai`` and
``Asia/Hong_Kong``) keep the same clock and count as one.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from routeplan import schema as S

__all__ = [
    "ZoneSpread",
    "is_zone",
    "local_date",
    "utc_offset",
    "zone_spread",
    "zones_at",
]

#: coordinates are looked up at this many decimal places (about 1 km)
_DECIMALS = 2


def is_zone(name: str) -> bool:
    """Return True when ``name`` is an IANA time zone known here (``Asia/Shanghai``)."""
    if not name or name != name.strip() or ".." in name or name.startswith("/"):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def utc_offset(zone: str, day: dt.date) -> dt.timedelta:
    """Return the UTC offset of ``zone`` at noon on ``day`` (local time)."""
    noon = dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo(zone))
    offset = noon.utcoffset()
    return offset if offset is not None else dt.timedelta(0)


def local_date(zone: str, now: dt.datetime) -> dt.date:
    """Return the date it is in ``zone`` at the instant ``now`` (an aware datetime)."""
    return now.astimezone(ZoneInfo(zone)).date()


def zones_at(lats: Sequence[float], lons: Sequence[float]) -> list[str]:
    """Return the IANA zone of each point (degrees WGS84), looked up offline."""
    import tzfpy  # local: only runs that need a zone load its boundaries

    found: dict[tuple[float, float], str] = {}
    out = []
    for lat, lon in zip(lats, lons, strict=True):
        key = (round(float(lat), _DECIMALS), round(float(lon), _DECIMALS))
        if key not in found:
            found[key] = str(tzfpy.get_tz(key[1], key[0]))
        out.append(found[key])
    return out


@dataclass(frozen=True)
class ZoneSpread:
    """The zones the places of a portfolio lie in, grouped by UTC offset on a day."""

    day: dt.date
    #: UTC offset -> zone -> number of places (accounts and agents' bases)
    groups: dict[dt.timedelta, Counter[str]]
    #: zone -> up to three ids of accounts or agents placed in it
    examples: dict[str, tuple[str, ...]]

    @property
    def zone(self) -> str:
        """The most common zone (the portfolio's, when it spans one offset)."""
        total: Counter[str] = Counter()
        for zones in self.groups.values():
            total.update(zones)
        return total.most_common(1)[0][0] if total else "UTC"

    @property
    def single(self) -> bool:
        """True when every place keeps the same clock on the day."""
        return len(self.groups) <= 1

    def describe(self) -> str:
        """Return the zones as ``Asia/Shanghai (UTC+08:00, 120 places, e.g. A1, A2)``, ..."""
        parts = []
        for offset, zones in sorted(self.groups.items()):
            for zone, n in zones.most_common():
                ids = ", ".join(self.examples.get(zone, ()))
                parts.append(f"{zone} ({_offset_text(offset)}, {n} places, e.g. {ids})")
        return "; ".join(parts)


def zone_spread(accounts: pd.DataFrame, agents: pd.DataFrame, day: dt.date) -> ZoneSpread:
    """Return the zones the accounts and the agents' bases lie in, by UTC offset on ``day``."""
    ids: list[str] = []
    lats: list[float] = []
    lons: list[float] = []
    for frame, id_col, lat_col, lon_col in (
        (accounts, S.ACCOUNT_ID, S.LAT, S.LON),
        (agents, S.AGENT_ID, S.BASE_LAT, S.BASE_LON),
    ):
        placed = frame[frame[lat_col].notna() & frame[lon_col].notna()]
        ids.extend(placed[id_col].astype(str))
        lats.extend(placed[lat_col].astype(float))
        lons.extend(placed[lon_col].astype(float))
    zones = zones_at(lats, lons)
    groups: dict[dt.timedelta, Counter[str]] = {}
    examples: dict[str, list[str]] = {}
    for zone, record_id in zip(zones, ids, strict=True):
        groups.setdefault(utc_offset(zone, day), Counter())[zone] += 1
        shown = examples.setdefault(zone, [])
        if len(shown) < 3:
            shown.append(record_id)
    return ZoneSpread(day, groups, {z: tuple(v) for z, v in examples.items()})


def _offset_text(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h:02d}:{m:02d}"


def common_zone(zones: Iterable[str]) -> str:
    """Return the most common of ``zones`` (``UTC`` when there is none)."""
    counts = Counter(zones)
    return counts.most_common(1)[0][0] if counts else "UTC"
