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

Files are read as text by :func:`routeplan.io.tables.read_table` (the one CSV
reader) and cells are parsed by :mod:`routeplan.formats`; both are
re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from routeplan import schema as S
from routeplan.errors import InputError, RowProblem
from routeplan.formats import (
    NO_WINDOW_TODAY,
    ValueProblem,
    WeekWindows,
    format_clock,
    format_windows,
    parse_bool,
    parse_clock,
    parse_date,
    parse_float,
    parse_int,
    parse_list,
    parse_visit_windows,
    parse_windows,
)
from routeplan.io.tables import AUTO_ENCODINGS, read_table
from routeplan.travel.profiles import parse_travel_mode

#: column of an account's windows by weekday (a :class:`~routeplan.formats.WeekWindows`, or None)
DAY_WINDOWS = "day_windows"


@dataclass(frozen=True)
class ReadResult:
    """A validated table and the rows refused while reading it."""

    frame: pd.DataFrame
    rejected: list[RowProblem]
    encoding: str


def require_columns(frame: pd.DataFrame, required: Sequence[str], name: str) -> None:
    """Raise one InputError naming every required column the file lacks."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        problems = [RowProblem(name, None, c, "required column is missing") for c in missing]
        raise InputError(problems)


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
    frame: pd.DataFrame, fields: Sequence[_Field], name: str, key: str
) -> tuple[list[dict[str, Any]], list[RowProblem]]:
    records: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    for pos, raw in enumerate(frame.to_dict("records")):
        # spreadsheet row from read_table; position + 2 for tables built in memory
        row_no = _row_number(raw.get("_row"), pos + 2)
        record_id = _record_id(raw.get(key))
        own = {f.column for f in fields} | {"_row"}
        rec: dict[str, Any] = {k: v for k, v in raw.items() if k not in own}
        bad = False
        for f in fields:
            value = str(raw.get(f.column, "") or "")
            if value == "":
                if not f.optional:
                    problems.append(
                        RowProblem(name, row_no, f.column, "required value is empty", record_id)
                    )
                    bad = True
                rec[f.column] = f.default
                continue
            try:
                rec[f.column] = f.parse(value)
            except ValueProblem as exc:
                problems.append(RowProblem(name, row_no, f.column, str(exc), record_id))
                bad = True
        if not bad:
            rec["_row"] = row_no
            records.append(rec)
    return records, problems


def _record_id(value: Any) -> str:
    """Return a row's id for ``rejected.csv``: "" when it is empty or not a valid id."""
    try:
        return _id(str(value or ""))
    except ValueProblem:
        return ""


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
            r[key],
        )
        for r in records
        if r[key] in dup
    ]
    return [r for r in records if r[key] not in dup], problems


def _text(value: str) -> str:
    return value


def _id(value: str) -> str:
    if any(ch in value for ch in "\r\n\t"):
        raise ValueProblem("ids cannot contain line breaks or tabs")
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
        raise ValueProblem(str(exc)) from None


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
    _Field(S.VISIT_WINDOWS, parse_visit_windows, ()),
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
    records, problems = _validate_rows(frame, ACCOUNT_FIELDS, name, S.ACCOUNT_ID)
    kept: list[dict[str, Any]] = []
    for r in records:
        lat, lon = r[S.LAT], r[S.LON]
        if math.isnan(lat) != math.isnan(lon):
            # one coordinate alone is useless: geocode the address instead
            r[S.LAT] = r[S.LON] = math.nan
        elif lat == 0 and lon == 0:
            problems.append(
                RowProblem(
                    name,
                    r["_row"],
                    S.LAT,
                    "coordinates 0,0 look like a missing value",
                    r[S.ACCOUNT_ID],
                )
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
    # windows by weekday stay in ``day_windows`` until a date picks the day's
    # (routeplan.calendar.windows_on); until then such an account has no window
    frame[DAY_WINDOWS] = frame[S.VISIT_WINDOWS].map(
        lambda w: w if isinstance(w, WeekWindows) else None
    )
    frame["windows"] = frame[S.VISIT_WINDOWS].map(
        lambda w: NO_WINDOW_TODAY if isinstance(w, WeekWindows) else (tuple(w) if w else ())
    )
    frame[S.VISIT_WINDOWS] = [
        str(d) if d is not None else format_windows(w)
        for d, w in zip(frame[DAY_WINDOWS], frame["windows"], strict=True)
    ]
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
    records, problems = _validate_rows(frame, AGENT_FIELDS, name, S.AGENT_ID)
    kept: list[dict[str, Any]] = []
    for r in records:
        row = r["_row"]
        issue = _agent_row_problem(r)
        if issue:
            problems.append(RowProblem(name, row, issue[0], issue[1], r[S.AGENT_ID]))
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


# --- availability (plan-week) --------------------------------------------------------

AVAILABILITY_FIELDS: tuple[_Field, ...] = (
    _Field(S.DATE, parse_date, optional=False),
    _Field(S.AGENT_ID, _id, optional=False),
    _Field(S.OFF, parse_bool, False),
    _Field(S.SHIFT_START, parse_clock, None),
    _Field(S.SHIFT_END, _clock, None),
)


def parse_availability(
    frame: pd.DataFrame, agents: pd.DataFrame, *, name: str = "availability.csv"
) -> ReadResult:
    """Validate a raw availability table against the valid ``agents``.

    A row names a date and an agent of ``agents``; ``off`` true means no
    work that day, else ``shift_start``/``shift_end`` (either may be empty:
    ``agents.csv``'s then applies) give that day's shift. Refused: an unknown
    agent, a bad date or time, a shift that ends before it starts (with the
    agent's own start or end filling in the empty one), and every copy of a
    repeated (date, agent).
    """
    require_columns(frame, S.AVAILABILITY_REQUIRED, name)
    records, problems = _validate_rows(frame, AVAILABILITY_FIELDS, name, S.AGENT_ID)
    own = agents.set_index(S.AGENT_ID) if not agents.empty else None
    kept: list[dict[str, Any]] = []
    seen: dict[tuple[Any, str], list[int]] = {}
    for r in records:
        aid, row = r[S.AGENT_ID], r["_row"]
        if own is None or aid not in own.index:
            problems.append(RowProblem(name, row, S.AGENT_ID, f"unknown agent {aid!r}", aid))
            continue
        if not r[S.OFF]:
            start = r[S.SHIFT_START] if r[S.SHIFT_START] is not None else own.at[aid, S.SHIFT_START]
            end = r[S.SHIFT_END] if r[S.SHIFT_END] is not None else own.at[aid, S.SHIFT_END]
            if int(end) <= int(start):
                column = S.SHIFT_END if r[S.SHIFT_END] is not None else S.SHIFT_START
                problems.append(
                    RowProblem(
                        name,
                        row,
                        column,
                        f"shift ends ({format_clock(int(end))}) before it starts "
                        f"({format_clock(int(start))})",
                        aid,
                    )
                )
                continue
        seen.setdefault((r[S.DATE], aid), []).append(row)
        kept.append(r)
    dup = {k for k, rows in seen.items() if len(rows) > 1}
    for r in kept:
        key = (r[S.DATE], r[S.AGENT_ID])
        if key in dup:
            rows = ", ".join(map(str, seen[key]))
            problems.append(
                RowProblem(
                    name,
                    r["_row"],
                    S.DATE,
                    f"agent {key[1]!r} is given twice for {key[0].isoformat()} (rows {rows}); "
                    "every copy is refused because the right one cannot be told",
                    key[1],
                )
            )
    kept = [r for r in kept if (r[S.DATE], r[S.AGENT_ID]) not in dup]
    out = pd.DataFrame.from_records(kept, columns=[*S.AVAILABILITY_COLUMNS, "_row"])
    return ReadResult(out.reset_index(drop=True), sorted(problems, key=_problem_key), "")


def read_availability(
    path: str | Path, agents: pd.DataFrame, *, encoding: str | None = None
) -> ReadResult:
    """Read and validate ``availability.csv`` (see :func:`parse_availability`)."""
    name = Path(path).name
    ragged: list[RowProblem] = []
    frame, used = read_table(path, encoding=encoding, refused=ragged)
    if frame.empty:
        require_columns(frame, S.AVAILABILITY_REQUIRED, name)
        return ReadResult(
            pd.DataFrame(columns=[*S.AVAILABILITY_COLUMNS, "_row"]),
            sorted(ragged, key=_problem_key),
            used,
        )
    result = parse_availability(frame, agents, name=name)
    return ReadResult(result.frame, sorted([*result.rejected, *ragged], key=_problem_key), used)


def _problem_key(p: RowProblem) -> tuple[int, str]:
    return (p.row or 0, p.column)


__all__ = [
    "ACCOUNT_FIELDS",
    "AGENT_FIELDS",
    "AUTO_ENCODINGS",
    "AVAILABILITY_FIELDS",
    "DAY_WINDOWS",
    "MAX_BALANCE",
    "MAX_COUNT",
    "ReadResult",
    "ValueProblem",
    "format_clock",
    "format_windows",
    "parse_accounts",
    "parse_agents",
    "parse_availability",
    "parse_bool",
    "parse_clock",
    "parse_date",
    "parse_float",
    "parse_int",
    "parse_list",
    "parse_windows",
    "read_accounts",
    "read_agents",
    "read_availability",
    "read_table",
    "require_columns",
]
