"""Text <-> value: the one parser and formatter of each cell format of the contract.

Pure functions, no files: clock times (``HH:MM``), visit windows
(``09:00-12:00;18:00-20:00``), dates, booleans, ``;``-lists and bounded
numbers. The input readers (:mod:`routeplan.io.readers`), the plan-folder
reader, the checker and the history store all parse through these, so a
cell means the same thing wherever it is read.

Every parser raises :class:`ValueProblem` (a ``ValueError``) whose message
names the value and what is allowed; the caller adds file, row and column.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f", ""})
#: ``HH:MM`` or ``H:MM``; ``HH:MM:00`` too, as spreadsheets write a time cell
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")
#: year first, so never ambiguous: ``2026-12-01``; also ``2026/12/1`` and ``2026.12.01`` as
#: Chinese spreadsheets write them, optionally followed by a midnight time
_DATE_RE = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]0?0:00(?::00)?)?$")
#: minutes in a day: ``24:00``, the end of the day
DAY_MIN = 24 * 60


class ValueProblem(ValueError):
    """A cell value that cannot be used; the message says what is allowed."""


# --- numbers -------------------------------------------------------------------------


def parse_float(value: str, *, lo: float | None = None, hi: float | None = None) -> float:
    """Parse a plain decimal number, optionally bounded (inclusive)."""
    try:
        x = float(value)
    except ValueError:
        raise ValueProblem(f"{value!r} is not a number") from None
    if not math.isfinite(x):
        raise ValueProblem(f"{value!r} is not a finite number")
    if lo is not None and x < lo:
        raise ValueProblem(f"{value} is below the minimum {lo:g}")
    if hi is not None and x > hi:
        raise ValueProblem(f"{value} is above the maximum {hi:g}")
    return x


def parse_int(value: str, *, lo: int | None = 0, hi: int | None = None) -> int:
    """Parse a whole number (``12`` or ``12.0``), bounded (inclusive)."""
    x = parse_float(value)
    if x != int(x):
        raise ValueProblem(f"{value!r} is not a whole number")
    n = int(x)
    if lo is not None and n < lo:
        raise ValueProblem(f"{value} is below the minimum {lo}")
    if hi is not None and n > hi:
        raise ValueProblem(f"{value} is above the maximum {hi}")
    return n


# --- booleans, dates, lists ------------------------------------------------------------


def parse_bool(value: str) -> bool:
    """Parse ``true/false/1/0/yes/no`` (any case); empty means false."""
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise ValueProblem(f"{value!r} is not a boolean (use true/false, 1/0 or yes/no)")


def parse_date(value: str) -> dt.date:
    """Parse an ISO ``YYYY-MM-DD`` date (``YYYY/M/D`` and ``YYYY.MM.DD`` too)."""
    m = _DATE_RE.match(value)
    if not m:
        raise ValueProblem(f"{value!r} is not a date in YYYY-MM-DD form")
    try:
        return dt.date(int(m[1]), int(m[3]), int(m[4]))
    except ValueError:
        raise ValueProblem(f"{value!r} is not a valid calendar date") from None


def parse_list(value: str) -> tuple[str, ...]:
    """Parse a ``;``-separated list into lower-case, de-duplicated items."""
    items: list[str] = []
    for part in value.split(";"):
        item = part.strip().lower()
        if item and item not in items:
            items.append(item)
    return tuple(items)


# --- clock times and windows -----------------------------------------------------------


def parse_clock(value: str, *, allow_24: bool = False) -> int:
    """Parse a clock time into minutes after midnight.

    Accepted: ``09:00``, ``9:00`` and ``09:00:00`` (a spreadsheet time cell);
    ``24:00`` (1440, the end of the day) only with ``allow_24``, for the end
    of a shift, a window or a stop. Refused: ``25:00``, ``09:60``, ``9``,
    ``09:00:30`` and the empty string.
    """
    m = _TIME_RE.match(value)
    if not m:
        raise ValueProblem(f"{value!r} is not a time in HH:MM form")
    h, mi = int(m[1]), int(m[2])
    if mi > 59 or h > 24 or (h == 24 and (mi or not allow_24)):
        raise ValueProblem(f"{value!r} is not a valid time of day")
    return h * 60 + mi


def clock_or_none(value: object, *, allow_24: bool = True) -> int | None:
    """Return :func:`parse_clock` of a cell's stripped text, or None when it is not a time.

    For readers that report a bad time in their own words (the checker's
    ``format`` rule) or keep it as unknown (the history store).
    """
    try:
        return parse_clock(str(value).strip(), allow_24=allow_24)
    except ValueProblem:
        return None


def format_clock(minutes_or_seconds: int, *, seconds: bool = False) -> str:
    """Format minutes (or seconds) after midnight as ``HH:MM`` (seconds are cut, not rounded)."""
    m = minutes_or_seconds // 60 if seconds else minutes_or_seconds
    return f"{m // 60:02d}:{m % 60:02d}"


def parse_windows(value: str) -> tuple[tuple[int, int], ...]:
    """Parse ``09:00-12:00;18:00-20:00`` into sorted, merged minute ranges.

    Empty means any time (an empty tuple). A window may end at ``24:00`` but
    not cross midnight.
    """
    if not value.strip():
        return ()
    spans: list[tuple[int, int]] = []
    for part in value.split(";"):
        part = part.strip()
        if not part:
            continue
        bits = part.split("-")
        if len(bits) != 2:
            raise ValueProblem(f"window {part!r} is not HH:MM-HH:MM")
        lo = parse_clock(bits[0].strip())
        hi = parse_clock(bits[1].strip(), allow_24=True)
        if hi <= lo:
            raise ValueProblem(
                f"window {part!r} ends before it starts (windows cannot cross midnight)"
            )
        spans.append((lo, hi))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def format_windows(windows: Sequence[tuple[int, int]]) -> str:
    """Format minute ranges back as ``HH:MM-HH:MM;...``."""
    return ";".join(f"{format_clock(a)}-{format_clock(b)}" for a, b in windows)


# --- windows by weekday ----------------------------------------------------------------

#: weekday names as written in ``visit_windows`` (Monday = 0, as ``date.weekday()``)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: the windows of a day on which a weekday form gives none: no visit that day (its
#: end is before its start, so no parsed window and no legal hours can overlap it)
NO_WINDOW_TODAY: tuple[tuple[int, int], ...] = ((0, 0),)


@dataclass(frozen=True)
class WeekWindows:
    """Visit windows that depend on the weekday (``Mon-Fri 18:00-20:00;Sat 09:00-12:00``).

    ``days[i]`` holds weekday ``i``'s windows (minute ranges, sorted and
    merged; Monday = 0); an empty entry means no visit that weekday.
    """

    days: tuple[tuple[tuple[int, int], ...], ...]

    def on(self, day: dt.date) -> tuple[tuple[int, int], ...]:
        """Return the windows of ``day`` (:data:`NO_WINDOW_TODAY` when it has none)."""
        return self.days[day.weekday()] or NO_WINDOW_TODAY

    def __str__(self) -> str:
        """Format back as ``Mon-Fri 18:00-20:00;Sat 09:00-12:00`` (equal neighbours grouped)."""
        parts: list[str] = []
        i = 0
        while i < 7:
            j = i
            while j + 1 < 7 and self.days[j + 1] == self.days[i]:
                j += 1
            if self.days[i]:
                name = WEEKDAYS[i] if i == j else f"{WEEKDAYS[i]}-{WEEKDAYS[j]}"
                parts.extend(f"{name} {w}" for w in format_windows(self.days[i]).split(";"))
            i = j + 1
        return ";".join(parts)


def _weekday(token: str) -> int:
    """Return the weekday number of ``Mon``/``monday``/... (any case)."""
    key = token.strip()[:3].title()
    if len(token.strip()) < 3 or key not in WEEKDAYS:
        raise ValueProblem(f"{token.strip()!r} is not a weekday (Mon, Tue, ..., Sun)")
    return WEEKDAYS.index(key)


def _weekdays(spec: str) -> list[int]:
    """Return the weekdays of ``Mon-Fri``, ``Sat,Sun`` or ``Fri-Mon`` (a range may wrap)."""
    days: list[int] = []
    for item in spec.split(","):
        ends = item.split("-")
        if len(ends) > 2 or not item.strip():
            raise ValueProblem(f"{spec!r} is not a weekday or a range such as Mon-Fri")
        lo = _weekday(ends[0])
        hi = _weekday(ends[-1])
        days.extend((lo + k) % 7 for k in range((hi - lo) % 7 + 1))
    return days


def parse_visit_windows(value: str) -> tuple[tuple[int, int], ...] | WeekWindows:
    """Parse ``visit_windows``: daily windows as :func:`parse_windows`, or by weekday.

    A part may start with weekdays (``Mon-Fri 18:00-20:00``, ``Sat,Sun
    10:00-12:00``); then the result is a :class:`WeekWindows`, in which a
    part without weekdays applies to every day. Without any weekday the
    result is exactly :func:`parse_windows`'s.
    """
    parts = [p.strip() for p in value.split(";") if p.strip()]
    dated = [p for p in parts if p[:1].isalpha()]
    if not dated:
        return parse_windows(value)
    spans: list[list[str]] = [[] for _ in range(7)]
    for part in parts:
        if part[:1].isalpha():
            bits = part.split(None, 1)
            if len(bits) != 2:
                raise ValueProblem(f"window {part!r} is not 'Mon-Fri HH:MM-HH:MM'")
            days, window = _weekdays(bits[0]), bits[1]
        else:
            days, window = list(range(7)), part
        for d in days:
            spans[d].append(window)
    return WeekWindows(tuple(parse_windows(";".join(s)) for s in spans))


__all__ = [
    "DAY_MIN",
    "NO_WINDOW_TODAY",
    "WEEKDAYS",
    "ValueProblem",
    "WeekWindows",
    "clock_or_none",
    "format_clock",
    "format_windows",
    "parse_bool",
    "parse_clock",
    "parse_date",
    "parse_float",
    "parse_int",
    "parse_list",
    "parse_visit_windows",
    "parse_windows",
]
