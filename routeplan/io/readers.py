"""Read and validate the planner's input files.

Parsing is strict and total: every row either becomes a typed record or is
refused with a :class:`~routeplan.errors.RowProblem` naming file, row and
column. File-level problems (unreadable, empty, missing required columns)
raise :class:`~routeplan.errors.InputError` with every problem found.

Row numbers are spreadsheet rows: the header is row 1, the first record row 2,
and a blank line is a row too, as in Excel. A row with more values than the
header has columns, or with a NUL byte, is refused on its own; the rest of the
file is still read. Values are bounded so that nothing downstream overflows
(balance <= 10^13, counts <= 10^6, minutes <= 1440).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from routeplan import schema as S
from routeplan.errors import InputError, RowProblem
from routeplan.io.safe import unneutralise_cell
from routeplan.travel.profiles import parse_travel_mode

#: encodings tried in order when none is given
AUTO_ENCODINGS = ("utf-8-sig", "gb18030")

#: byte-order marks that name their encoding (UTF-32 first: its LE mark starts like UTF-16's)
_UNICODE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
#: a long address or note must not stop the file (the csv module's default is 128 KiB)
csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))

_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f", ""}
#: ``HH:MM``; ``HH:MM:00`` too, as spreadsheets write a time cell
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?$")
#: year first, so never ambiguous: ``2026-12-01``; also ``2026/12/1`` and ``2026.12.01`` as
#: Chinese spreadsheets write them, optionally followed by a midnight time
_DATE_RE = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]0?0:00(?::00)?)?$")
_HEADER_GAPS = re.compile(r"[\s\-]+")
#: Excel's separator hint, a first line such as ``sep=;``
_SEP_HINT = re.compile(r"^sep=([,;\t|])\r?$", re.IGNORECASE)


@dataclass(frozen=True)
class ReadResult:
    """A validated table and the rows refused while reading it."""

    frame: pd.DataFrame
    rejected: list[RowProblem]
    encoding: str


class _Bad(ValueError):
    """A cell value that cannot be used; the message says what is allowed."""


# --- text -> table ---------------------------------------------------------------


def read_table(
    path: str | Path,
    *,
    encoding: str | None = None,
    refused: list[RowProblem] | None = None,
) -> tuple[pd.DataFrame, str]:
    """Read a CSV file as a table of stripped strings.

    Headers are stripped and lower-cased, inner spaces and hyphens become
    ``_`` (``Days Past Due`` -> ``days_past_due``); an empty header cell is
    named ``unnamed_N`` (N = its 1-based position). UTF-8 (with or without BOM),
    GB18030/GBK (Chinese Excel exports) and UTF-16/32 with a BOM (Excel's
    "Unicode text") are detected when ``encoding`` is None. The separator is
    taken from the header line: a comma, else a tab, else a semicolon.

    Every cell is a ``str``. A ``_row`` column holds each record's spreadsheet
    row number (the header is row 1; blank lines count, a quoted line break
    does not), so problems found later name the row the user sees. Rows
    without any value are skipped; short rows are padded with empty cells;
    cells that :mod:`routeplan.io.safe` neutralised against formula injection
    (``'=1+1``) are read back as written (``=1+1``), so routeplan's own
    outputs (an edited itinerary, a filled outcomes template) round-trip.

    Parameters
    ----------
    path
        The file.
    encoding
        Force a text encoding instead of detecting one.
    refused
        Where to put rows holding more values than the header has columns,
        or a NUL byte (they are left out of the table). When None such a row
        is a file-level error.

    Raises
    ------
    InputError
        The file is missing, unreadable, not decodable, empty, not valid CSV
        (an unclosed quote), has repeated column names, has no row that fits
        the header, or (without ``refused``) has a row that cannot be used.
    """
    p = Path(path)
    name = p.name
    if p.exists() and not p.is_file():
        # a folder, FIFO or device: reading it would fail or block forever
        raise InputError(f"{p}: not a regular file")
    try:
        raw = p.read_bytes()
    except FileNotFoundError as exc:
        raise InputError(f"{p}: file not found") from exc
    except OSError as exc:
        raise InputError(f"{p}: cannot read file ({exc.strerror})") from exc
    text, used = _decode(raw, name, encoding)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InputError(f"{name}: file is empty")
    records = _csv_records(text, name)
    header_no, header = next(((n, r) for n, r in records if _has_value(r)), (0, []))
    columns = [
        _HEADER_GAPS.sub("_", str(c).strip().lower().lstrip("\ufeff")) or f"unnamed_{i}"
        for i, c in enumerate(header, 1)
    ]
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise InputError(f"{name}: column {', '.join(dupes)} appears more than once in the header")
    width = len(columns)
    rows: list[list[str]] = []
    numbers: list[int] = []
    ragged: list[RowProblem] = []
    garbled: list[RowProblem] = []
    for row_no, rec in records:
        if row_no <= header_no or not _has_value(rec):
            continue
        cells = [unneutralise_cell(c.strip()) for c in rec]
        if len(cells) > width and any(cells[width:]):
            values = max(i for i, c in enumerate(cells) if c) + 1
            ragged.append(
                RowProblem(
                    name,
                    row_no,
                    "",
                    f"row has {values} values but the header has {width} columns "
                    "(an unquoted comma inside a value?)",
                )
            )
            continue
        nul = next((i for i, c in enumerate(cells) if "\x00" in c), None)
        if nul is not None:
            column = columns[nul] if nul < width else ""
            garbled.append(RowProblem(name, row_no, column, "holds a NUL byte (binary data)"))
            continue
        rows.append((cells + [""] * width)[:width])
        numbers.append(row_no)
    problems = sorted([*ragged, *garbled], key=lambda x: x.row or 0)
    if problems and refused is None:
        raise InputError(problems[0].message())
    if ragged and not rows and not garbled:
        raise InputError(
            f"{name}: every row has more values than the {width} columns of the header "
            f"(first: row {ragged[0].row}); is a column name missing from the header?"
        )
    if refused is not None:
        refused.extend(problems)
    frame = pd.DataFrame(rows, columns=pd.Index(columns), dtype=object)
    frame["_row"] = pd.Series(numbers, dtype="int64")
    return frame, used


def _csv_records(text: str, name: str) -> list[tuple[int, list[str]]]:
    """Split CSV text into ``(spreadsheet row, cells)`` records, blank lines included.

    An Excel ``sep=;`` first line names the separator and is not a row.
    """
    first_line, _, rest = text.partition("\n")
    hint = _SEP_HINT.match(first_line)
    if hint:
        delimiter, text = hint[1], rest
    else:
        delimiter = next((d for d in (",", "\t", ";") if d in first_line), ",")
    # strict: a quote left open or followed by stray text fails the file naming its row,
    # rather than silently swallowing the rows that follow into one value
    try:
        return _split(text, delimiter)
    except csv.Error as exc:
        row, problem = exc.args
        if "end of data" in str(problem):
            problem = "a quoted value is never closed"
        raise InputError(
            f"{name}, row {row}: not valid CSV ({problem}); check the quotes on that row"
        ) from None


def _split(text: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Parse CSV records strictly; a csv.Error carries ``(row, message)``."""
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True, strict=True
    )
    out: list[tuple[int, list[str]]] = []
    try:
        for rec in reader:
            out.append((len(out) + 1, rec))
    except csv.Error as exc:
        raise csv.Error(len(out) + 1, str(exc)) from exc
    return out


def _has_value(cells: Sequence[str]) -> bool:
    return any(c.strip() for c in cells)


def _decode(raw: bytes, name: str, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except LookupError as exc:
            raise InputError(f"{name}: unknown encoding {encoding!r}") from exc
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: cannot decode as {encoding} at byte {exc.start}; check --encoding"
            ) from exc
    for bom, enc in _UNICODE_BOMS:
        if raw.startswith(bom):
            try:
                return raw[len(bom) :].decode(enc), enc
            except UnicodeDecodeError:
                break  # a BOM followed by garbage: reported as binary below
    if b"\x00" in raw[:4096]:
        raise InputError(f"{name}: looks like a binary file, not CSV text")
    for enc in AUTO_ENCODINGS:
        try:
            return raw.decode(enc), ("utf-8" if enc == "utf-8-sig" else enc)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{name}: not UTF-8 or GB18030 text; give the encoding with --encoding")


def require_columns(frame: pd.DataFrame, required: Sequence[str], name: str) -> None:
    """Raise one InputError naming every required column the file lacks."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        problems = [RowProblem(name, None, c, "required column is missing") for c in missing]
        raise InputError(problems)


# --- cell parsers -------------------------------------------------------------------


def parse_float(value: str, *, lo: float | None = None, hi: float | None = None) -> float:
    """Parse a plain decimal number, optionally bounded (inclusive)."""
    try:
        x = float(value)
    except ValueError:
        raise _Bad(f"{value!r} is not a number") from None
    if not math.isfinite(x):
        raise _Bad(f"{value!r} is not a finite number")
    if lo is not None and x < lo:
        raise _Bad(f"{value} is below the minimum {lo:g}")
    if hi is not None and x > hi:
        raise _Bad(f"{value} is above the maximum {hi:g}")
    return x


def parse_int(value: str, *, lo: int | None = 0, hi: int | None = None) -> int:
    """Parse a whole number (``12`` or ``12.0``), bounded (inclusive)."""
    x = parse_float(value)
    if x != int(x):
        raise _Bad(f"{value!r} is not a whole number")
    n = int(x)
    if lo is not None and n < lo:
        raise _Bad(f"{value} is below the minimum {lo}")
    if hi is not None and n > hi:
        raise _Bad(f"{value} is above the maximum {hi}")
    return n


def parse_bool(value: str) -> bool:
    """Parse ``true/false/1/0/yes/no`` (any case); empty means false."""
    v = value.strip().lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise _Bad(f"{value!r} is not a boolean (use true/false, 1/0 or yes/no)")


def parse_date(value: str) -> dt.date:
    """Parse an ISO ``YYYY-MM-DD`` date (``YYYY/M/D`` and ``YYYY.MM.DD`` too)."""
    m = _DATE_RE.match(value)
    if not m:
        raise _Bad(f"{value!r} is not a date in YYYY-MM-DD form")
    try:
        return dt.date(int(m[1]), int(m[3]), int(m[4]))
    except ValueError:
        raise _Bad(f"{value!r} is not a valid calendar date") from None


def parse_clock(value: str, *, allow_24: bool = False) -> int:
    """Parse ``HH:MM`` into minutes after midnight (``24:00`` when allowed)."""
    m = _TIME_RE.match(value)
    if not m:
        raise _Bad(f"{value!r} is not a time in HH:MM form")
    h, mi = int(m[1]), int(m[2])
    if mi > 59 or h > 24 or (h == 24 and (mi or not allow_24)):
        raise _Bad(f"{value!r} is not a valid time of day")
    return h * 60 + mi


def parse_windows(value: str) -> tuple[tuple[int, int], ...]:
    """Parse ``09:00-12:00;18:00-20:00`` into sorted, merged minute ranges.

    Empty means any time (an empty tuple).
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
            raise _Bad(f"window {part!r} is not HH:MM-HH:MM")
        lo = parse_clock(bits[0].strip())
        hi = parse_clock(bits[1].strip(), allow_24=True)
        if hi <= lo:
            raise _Bad(f"window {part!r} ends before it starts (windows cannot cross midnight)")
        spans.append((lo, hi))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def parse_list(value: str) -> tuple[str, ...]:
    """Parse a ``;``-separated list into lower-case, de-duplicated items."""
    items: list[str] = []
    for part in value.split(";"):
        item = part.strip().lower()
        if item and item not in items:
            items.append(item)
    return tuple(items)


def format_clock(minutes_or_seconds: int, *, seconds: bool = False) -> str:
    """Format minutes (or seconds) after midnight as ``HH:MM``."""
    m = minutes_or_seconds // 60 if seconds else minutes_or_seconds
    return f"{m // 60:02d}:{m % 60:02d}"


def format_windows(windows: Sequence[tuple[int, int]]) -> str:
    """Format minute ranges back as ``HH:MM-HH:MM;...``."""
    return ";".join(f"{format_clock(a)}-{format_clock(b)}" for a, b in windows)


# --- row validation ---------------------------------------------------------------

Parser = Callable[[str], Any]


@dataclass(frozen=True)
class _Field:
    column: str
    parse: Parser
    default: Any = None
    #: when False an empty cell is refused
    optional: bool = True


def _validate_rows(
    frame: pd.DataFrame, fields: Sequence[_Field], name: str
) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    records: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    for pos, raw in enumerate(frame.to_dict("records")):
        # spreadsheet row from read_table; position + 2 for tables built in memory
        row_no = _row_number(raw.get("_row"), pos + 2)
        own = {f.column for f in fields} | {"_row"}
        rec: dict[str, Any] = {k: v for k, v in raw.items() if k not in own}
        bad = False
        for f in fields:
            value = str(raw.get(f.column, "") or "")
            if value == "":
                if not f.optional:
                    problems.append(RowProblem(name, row_no, f.column, "required value is empty"))
                    bad = True
                rec[f.column] = f.default
                continue
            try:
                rec[f.column] = f.parse(value)
            except _Bad as exc:
                problems.append(RowProblem(name, row_no, f.column, str(exc)))
                bad = True
        if not bad:
            rec["_row"] = row_no
            records.append(rec)
    return records, problems


def _row_number(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _reject_duplicates(
    records: list[dict[str, Any]], key: str, name: str
) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    rows_by_id: dict[str, list[int]] = {}
    for r in records:
        rows_by_id.setdefault(r[key], []).append(r["_row"])
    dup = {k for k, rows in rows_by_id.items() if len(rows) > 1}
    problems = [
        RowProblem(
            name,
            r["_row"],
            key,
            f"duplicate {key} {r[key]!r} (rows {', '.join(map(str, rows_by_id[r[key]]))}); "
            "every copy is refused because the right one cannot be told",
        )
        for r in records
        if r[key] in dup
    ]
    return [r for r in records if r[key] not in dup], problems


def _text(value: str) -> str:
    return value


def _id(value: str) -> str:
    if any(ch in value for ch in "\r\n\t"):
        raise _Bad("ids cannot contain line breaks or tabs")
    return value


def _lat(value: str) -> float:
    return parse_float(value, lo=-90, hi=90)


def _lon(value: str) -> float:
    return parse_float(value, lo=-180, hi=180)


#: Largest balance accepted (10^13 in any currency): far above any debt a field
#: visit is planned for, and small enough that expected recoveries stay exact
#: and the solver's integer skip penalties cannot overflow.
MAX_BALANCE = 1e13
#: Largest count or number of days accepted in an integer column.
MAX_COUNT = 1_000_000


def _money(value: str) -> float:
    return parse_float(value, lo=0, hi=MAX_BALANCE)


def _nonneg_int(value: str) -> int:
    return parse_int(value, lo=0, hi=MAX_COUNT)


def _minutes(value: str) -> int:
    return parse_int(value, lo=0, hi=24 * 60)


def _clock(value: str) -> int:
    return parse_clock(value, allow_24=True)


def _language(value: str) -> str:
    return value.strip().lower()


def _outcome_code(value: str) -> str:
    return value.strip().lower()


def _travel_mode(value: str) -> str:
    try:
        return parse_travel_mode(value)
    except ValueError as exc:
        raise _Bad(str(exc)) from None


def _ts(value: str) -> pd.Timestamp:
    return pd.Timestamp(parse_date(value))


_NAT: Any = pd.NaT

ACCOUNT_FIELDS: tuple[_Field, ...] = (
    _Field(S.ACCOUNT_ID, _id, optional=False),
    _Field(S.DEBTOR_NAME, _text, optional=False),
    _Field(S.ADDRESS, _text, optional=False),
    _Field(S.LAT, _lat, math.nan),
    _Field(S.LON, _lon, math.nan),
    _Field(S.BALANCE, _money, optional=False),
    _Field(S.DAYS_PAST_DUE, _nonneg_int, optional=False),
    _Field(S.CONTACT_ATTEMPTS_30D, _nonneg_int, optional=False),
    _Field(S.LAST_CONTACT_OUTCOME, _outcome_code, ""),
    _Field(S.LAST_PAYMENT_DATE, _ts, _NAT),
    _Field(S.PTP_DATE, _ts, _NAT),
    _Field(S.BROKEN_PROMISES, _nonneg_int, 0),
    _Field(S.HARDSHIP, parse_bool, False),
    _Field(S.DISPUTE, parse_bool, False),
    _Field(S.DO_NOT_VISIT, parse_bool, False),
    _Field(S.VISIT_WINDOWS, parse_windows, ()),
    _Field(S.LANGUAGE, _language, ""),
    _Field(S.LAST_VISIT_DATE, _ts, _NAT),
    _Field(S.VISITS_90D, _nonneg_int, 0),
)

AGENT_FIELDS: tuple[_Field, ...] = (
    _Field(S.AGENT_ID, _id, optional=False),
    _Field(S.AGENT_NAME, _text, optional=False),
    _Field(S.BASE_LAT, _lat, optional=False),
    _Field(S.BASE_LON, _lon, optional=False),
    _Field(S.END_LAT, _lat, math.nan),
    _Field(S.END_LON, _lon, math.nan),
    _Field(S.SHIFT_START, parse_clock, optional=False),
    _Field(S.SHIFT_END, _clock, optional=False),
    _Field(S.MAX_VISITS, _nonneg_int, None),
    _Field(S.SKILLS, parse_list, ()),
    _Field(S.BREAK_START, parse_clock, None),
    _Field(S.BREAK_END, _clock, None),
    _Field(S.BREAK_MINUTES, _minutes, None),
    _Field(S.CREDENTIAL_ID, _text, ""),
    _Field(S.CREDENTIAL_EXPIRY, parse_date, None),
    _Field(S.SPEED_KMH, lambda v: parse_float(v, lo=1, hi=200), None),
    _Field(S.TRAVEL_MODE, _travel_mode, "car"),
)


# --- accounts ------------------------------------------------------------------------


def parse_accounts(frame: pd.DataFrame, *, name: str = "accounts.csv") -> ReadResult:
    """Validate a raw accounts table (strings) into typed columns.

    The result keeps extra columns, stores parsed windows in ``windows``
    (minute ranges; empty = any time) and the source row in ``_row``. Rows
    with missing coordinates are kept (lat/lon NaN) for geocoding.
    """
    require_columns(frame, S.ACCOUNT_REQUIRED, name)
    records, problems = _validate_rows(frame, ACCOUNT_FIELDS, name)
    kept: list[dict[str, Any]] = []
    for r in records:
        lat, lon = r[S.LAT], r[S.LON]
        if math.isnan(lat) != math.isnan(lon):
            # one coordinate alone is useless: geocode the address instead
            r[S.LAT] = r[S.LON] = math.nan
        elif lat == 0 and lon == 0:
            problems.append(
                RowProblem(name, r["_row"], S.LAT, "coordinates 0,0 look like a missing value")
            )
            continue
        kept.append(r)
    kept, dup_problems = _reject_duplicates(kept, S.ACCOUNT_ID, name)
    problems.extend(dup_problems)
    out = _accounts_frame(kept)
    return ReadResult(out, sorted(problems, key=_problem_key), "")


def _accounts_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        frame = pd.DataFrame(columns=[f.column for f in ACCOUNT_FIELDS] + ["_row"])
    frame["windows"] = frame[S.VISIT_WINDOWS].map(lambda w: tuple(w) if w else ())
    frame[S.VISIT_WINDOWS] = frame["windows"].map(format_windows)
    for col in (S.LAT, S.LON, S.BALANCE):
        frame[col] = frame[col].astype(float)
    for col in (S.DAYS_PAST_DUE, S.CONTACT_ATTEMPTS_30D, S.BROKEN_PROMISES, S.VISITS_90D, "_row"):
        frame[col] = frame[col].astype("int64")
    for col in (S.HARDSHIP, S.DISPUTE, S.DO_NOT_VISIT):
        frame[col] = frame[col].astype(bool)
    for col in (S.LAST_PAYMENT_DATE, S.PTP_DATE, S.LAST_VISIT_DATE):
        frame[col] = pd.to_datetime(frame[col])
    for col in (S.ACCOUNT_ID, S.DEBTOR_NAME, S.ADDRESS, S.LANGUAGE, S.LAST_CONTACT_OUTCOME):
        frame[col] = frame[col].astype(object)
    return frame.reset_index(drop=True)


def read_accounts(path: str | Path, *, encoding: str | None = None) -> ReadResult:
    """Read and validate ``accounts.csv`` (see :func:`parse_accounts`)."""
    return _read_validated(path, encoding, parse_accounts, "account")


def _read_validated(
    path: str | Path,
    encoding: str | None,
    parse: Callable[..., ReadResult],
    what: str,
) -> ReadResult:
    """Read a table, refuse a header-only file, validate its rows with ``parse``."""
    name = Path(path).name
    ragged: list[RowProblem] = []
    frame, used = read_table(path, encoding=encoding, refused=ragged)
    if frame.empty:
        raise InputError(f"{name}: no {what} rows (only a header)")
    result = parse(frame, name=name)
    return ReadResult(result.frame, sorted([*result.rejected, *ragged], key=_problem_key), used)


# --- agents --------------------------------------------------------------------------


def parse_agents(frame: pd.DataFrame, *, name: str = "agents.csv") -> ReadResult:
    """Validate a raw agents table into typed columns.

    Shifts and breaks become minutes after midnight; ``end_lat``/``end_lon``
    default to the base; a break needs all three break columns. A break
    window may reach outside the shift (it is clipped on the day); a window
    that ends before it starts, or a break longer than its window or than
    the shift, refuses the row.
    """
    require_columns(frame, S.AGENT_REQUIRED, name)
    records, problems = _validate_rows(frame, AGENT_FIELDS, name)
    kept: list[dict[str, Any]] = []
    for r in records:
        row = r["_row"]
        issue = _agent_row_problem(r)
        if issue:
            problems.append(RowProblem(name, row, issue[0], issue[1]))
            continue
        if math.isnan(r[S.END_LAT]):
            r[S.END_LAT], r[S.END_LON] = r[S.BASE_LAT], r[S.BASE_LON]
        kept.append(r)
    kept, dup_problems = _reject_duplicates(kept, S.AGENT_ID, name)
    problems.extend(dup_problems)
    out = pd.DataFrame.from_records(kept)
    if out.empty:
        out = pd.DataFrame(columns=[f.column for f in AGENT_FIELDS] + ["_row"])
    return ReadResult(out.reset_index(drop=True), sorted(problems, key=_problem_key), "")


def _agent_row_problem(r: dict[str, Any]) -> tuple[str, str] | None:
    if math.isnan(r[S.END_LAT]) != math.isnan(r[S.END_LON]):
        col = S.END_LON if math.isnan(r[S.END_LON]) else S.END_LAT
        return col, "end_lat and end_lon must be given together"
    if r[S.SHIFT_END] <= r[S.SHIFT_START]:
        return S.SHIFT_END, (
            f"shift ends ({format_clock(r[S.SHIFT_END])}) before it starts "
            f"({format_clock(r[S.SHIFT_START])})"
        )
    parts = (r[S.BREAK_START], r[S.BREAK_END], r[S.BREAK_MINUTES])
    given = [p is not None for p in parts]
    if any(given) and not all(given):
        missing = [
            c
            for c, g in zip((S.BREAK_START, S.BREAK_END, S.BREAK_MINUTES), given, strict=True)
            if not g
        ]
        return missing[0], "a break needs break_start, break_end and break_minutes"
    if all(given):
        bs, be, bm = parts
        if be <= bs:
            return S.BREAK_END, "break window ends before it starts"
        if bm > be - bs:
            return S.BREAK_MINUTES, (
                f"break of {bm} min does not fit its window {format_clock(bs)}-{format_clock(be)}"
            )
        shift_min = r[S.SHIFT_END] - r[S.SHIFT_START]
        if bm > shift_min:
            return S.BREAK_MINUTES, (
                f"break of {bm} min is longer than the shift "
                f"{format_clock(r[S.SHIFT_START])}-{format_clock(r[S.SHIFT_END])}"
            )
        # a window reaching outside the shift (the team's lunch hour, a late shift) is
        # not an error: it is clipped to the shift on the day (routeplan.build.day_break)
        if bm == 0:
            r[S.BREAK_START] = r[S.BREAK_END] = r[S.BREAK_MINUTES] = None
    return None


def read_agents(path: str | Path, *, encoding: str | None = None) -> ReadResult:
    """Read and validate ``agents.csv`` (see :func:`parse_agents`)."""
    return _read_validated(path, encoding, parse_agents, "agent")


def _problem_key(p: RowProblem) -> tuple[int, str]:
    return (p.row or 0, p.column)
