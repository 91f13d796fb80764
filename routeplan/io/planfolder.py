"""Read a plan folder back: the one reader of ``itineraries.csv``, ``dropped.csv`` & co.

``routeplan map`` draws, ``routeplan check`` checks and ``routeplan retime``
re-times a plan folder from its files, not from the planner's memory, so a
dispatcher can edit ``itineraries.csv`` and redraw. Every file goes through
:func:`routeplan.io.tables.read_table` (headers kept as written, cells as
stripped text, rows numbered as a spreadsheet shows them) and is named by
its path in messages:

- :func:`read_plan_table` reads one table as text (the checker reports bad
  cells as violations, retime reads the edited order);
- :func:`read_plan_folder` reads the whole folder into a typed
  :class:`PlanFolder`, refusing every bad cell in one
  :class:`~routeplan.errors.InputError` naming file, row and column (a time
  that is not ``HH:MM``, an unknown ``kind``, a number that is not finite or
  too large, coordinates out of range, a stop repeated, an account visited
  twice or excluded). Files that are not regular files (a FIFO would block)
  are refused, never read.

:meth:`PlanFolder.build` gives the same typed object from tables in memory
(``Plan.write`` draws its outputs from it without reading back what it wrote).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from routeplan import schema as S
from routeplan.errors import InputError, RowProblem
from routeplan.formats import ValueProblem, format_clock, parse_clock
from routeplan.io.context import PlanContext, read_plan_context
from routeplan.io.safe import read_json
from routeplan.io.tables import ROW_COLUMN, read_table
from routeplan.summary import AgentSummary, PlanSummary, agents_in_order

ITINERARIES_FILE = "itineraries.csv"
DROPPED_FILE = "dropped.csv"
CHECKLIST_FILE = "checklist.csv"
SUMMARY_FILE = "summary.json"
EXCLUDED_FILE = "excluded.csv"
REJECTED_FILE = "rejected.csv"
SCORES_FILE = "scores.csv"

#: columns of dropped.csv besides ``account_id`` and ``reason`` (empty when absent)
DROPPED_OPTIONAL = (S.DETAIL, S.LAT, S.LON, S.BALANCE, "priority", "expected_recovery")
#: the numeric columns of dropped.csv
DROPPED_NUMBERS = (S.LAT, S.LON, S.BALANCE, "priority", "expected_recovery")
#: the numeric columns of itineraries.csv besides ``stop_no``
ITINERARY_NUMBERS = (
    S.LAT,
    S.LON,
    "travel_km",
    "travel_min",
    "priority",
    S.BALANCE,
    S.DAYS_PAST_DUE,
    "expected_recovery",
)
#: the clock columns of itineraries.csv
CLOCK_COLUMNS = ("arrival", "service_start", "service_end")
#: the columns of checklist.csv the outputs use
CHECKLIST_READ = (*S.CHECKLIST_COLUMNS, "category", "code")
#: largest magnitude accepted in a numeric cell: far above any real balance or
#: distance, small enough that sums and whole-number casts cannot overflow
MAX_MAGNITUDE = 1e15
#: largest stop number accepted (a day has a few dozen stops)
MAX_STOP_NO = 1_000_000
_KINDS = tuple(S.EventKind)


@dataclass(frozen=True)
class PlanFolder:
    """A plan folder's content, typed: what the dispatch outputs and the checker use.

    ``itineraries`` is sorted by agent (in ``summary`` order, then first
    appearance) and ``stop_no`` (an ``int``); ``kind`` holds
    :class:`~routeplan.schema.EventKind` members; times are ``HH:MM``; numeric
    columns are floats (NaN when empty; ``travel_km``/``travel_min`` 0);
    text columns are ``str`` (``""`` when empty). ``dropped`` has floats for
    its coordinates and amounts; ``excluded`` and ``checklist`` are text.
    ``agents`` lists the agent ids in that order, including agents from
    ``summary.json`` without visits. ``context`` is ``plan_context.json``
    (None when the folder has none, or when it cannot be used: then
    ``context_problem`` says why).
    """

    path: Path
    summary: PlanSummary
    itineraries: pd.DataFrame
    dropped: pd.DataFrame
    excluded: pd.DataFrame
    checklist: pd.DataFrame
    context: PlanContext | None = None
    context_problem: str = ""
    agents: tuple[str, ...] = ()

    @property
    def date(self) -> str:
        """Return the plan date (``summary.json``'s, else the first itinerary row's)."""
        date = self.summary.date or ""
        if not date and not self.itineraries.empty:
            date = str(self.itineraries[S.DATE].iloc[0])
        return date

    def excluded_reasons(self) -> dict[str, str]:
        """Return each excluded account with its reasons (``"a, b"``)."""
        return excluded_reasons(self.excluded)

    def agent_info(self, agent_id: str) -> AgentSummary:
        """Return the ``summary.json`` entry of an agent, its name completed from the itinerary."""
        info = self.summary.agent(agent_id) or AgentSummary(agent_id)
        if not info.name:
            rows = self.itineraries[self.itineraries[S.AGENT_ID] == agent_id]
            names = [n for n in rows.get("agent_name", pd.Series(dtype=object)) if n]
            info = dataclasses.replace(info, name=names[0] if names else agent_id)
        return info

    @classmethod
    def build(
        cls,
        path: Path | str,
        *,
        summary: PlanSummary,
        itineraries: pd.DataFrame,
        dropped: pd.DataFrame,
        excluded: pd.DataFrame,
        checklist: pd.DataFrame,
        context: PlanContext | None = None,
    ) -> PlanFolder:
        """Return the typed folder of tables held in memory (typed as :func:`read_plan_folder`)."""
        itin = _text_columns(itineraries, exclude=(S.STOP_NO, *ITINERARY_NUMBERS))
        for column in ITINERARY_NUMBERS:
            itin[column] = _floats(itin, column)
        itin[S.STOP_NO] = _floats(itin, S.STOP_NO)
        itin = _finish_itineraries(itin, summary)
        drop = _text_columns(dropped, exclude=DROPPED_NUMBERS)
        drop = _finish_dropped(drop, {c: _floats(drop, c) for c in DROPPED_NUMBERS})
        checks = _text_columns(_with_columns(checklist, CHECKLIST_READ)[list(CHECKLIST_READ)])
        excl = _text_columns(_with_columns(excluded, S.EXCLUDED_COLUMNS))
        agents = tuple(agents_in_order(summary, itin[S.AGENT_ID]))
        return cls(Path(path), summary, itin, drop, excl, checks, context, "", agents)


def read_plan_folder(plan_dir: Path | str) -> PlanFolder:
    """Read a plan folder's files into a typed :class:`PlanFolder`.

    Reads ``summary.json``, ``excluded.csv``, ``itineraries.csv``,
    ``dropped.csv``, ``checklist.csv`` and ``plan_context.json``;
    ``excluded.csv`` and ``plan_context.json`` may be absent. An itinerary
    that visits an excluded account (say, one a dispatcher added by hand) is
    refused: excluded accounts never reach the dispatch outputs. A
    ``plan_context.json`` that cannot be used does not stop the reading (the
    outputs can be drawn without it): ``context_problem`` says why.

    Raises
    ------
    InputError
        When the folder or a file is missing, a required column is absent, or
        a cell cannot be parsed (all cell problems of a file are reported together).
    """
    folder = Path(plan_dir)
    if not folder.is_dir():
        raise InputError(f"{folder}: plan folder not found")
    summary = read_summary(folder)
    excluded = read_excluded(folder)
    itineraries = read_itineraries(folder, summary, excluded_reasons(excluded))
    dropped = read_dropped(folder)
    checklist = read_plan_table(
        folder, CHECKLIST_FILE, required=S.CHECKLIST_COLUMNS, row_column=None
    )
    try:
        context, problem = read_plan_context(folder), ""
    except InputError as exc:
        context, problem = None, str(exc)
    agents = tuple(agents_in_order(summary, itineraries[S.AGENT_ID]))
    return PlanFolder(
        folder, summary, itineraries, dropped, excluded, checklist, context, problem, agents
    )


def read_plan_table(
    folder: Path | str,
    name: str,
    *,
    required: tuple[str, ...] = (),
    row_column: str | None = ROW_COLUMN,
) -> pd.DataFrame:
    """Read one CSV of a plan folder as text, each row's spreadsheet row in ``row_column``.

    Raises
    ------
    InputError
        As :func:`routeplan.io.tables.read_table`, naming the file by its path.
    """
    path = Path(folder) / name
    frame, _ = read_table(
        path, required=required, normalise_headers=False, row_column=row_column, name=str(path)
    )
    return frame


def read_summary(folder: Path | str) -> PlanSummary:
    """Read a plan folder's ``summary.json`` (see :meth:`PlanSummary.from_json`)."""
    path = Path(folder) / SUMMARY_FILE
    return PlanSummary.from_json(read_json(path), source=str(path))


def read_excluded(folder: Path | str) -> pd.DataFrame:
    """Read ``excluded.csv`` as text (no rows when the folder has none)."""
    if not (Path(folder) / EXCLUDED_FILE).exists():
        return pd.DataFrame(columns=list(S.EXCLUDED_COLUMNS), dtype=object)
    frame = read_plan_table(
        folder, EXCLUDED_FILE, required=(S.ACCOUNT_ID, S.REASON), row_column=None
    )
    return _with_columns(frame, S.EXCLUDED_COLUMNS)


def excluded_reasons(excluded: pd.DataFrame) -> dict[str, str]:
    """Return excluded account ids with their reasons joined (``"a, b"``)."""
    reasons: dict[str, list[str]] = {}
    for account_id, reason in zip(excluded[S.ACCOUNT_ID], excluded[S.REASON], strict=True):
        reasons.setdefault(str(account_id).strip(), []).append(str(reason).strip())
    return {a: ", ".join(dict.fromkeys(r)) for a, r in reasons.items() if a}


def read_dropped(folder: Path | str) -> pd.DataFrame:
    """Read ``dropped.csv``; coordinates and amounts are optional floats."""
    df = read_plan_table(folder, DROPPED_FILE, required=(S.ACCOUNT_ID, S.REASON))
    df = _with_columns(df, DROPPED_OPTIONAL)
    file = str(Path(folder) / DROPPED_FILE)
    problems: list[RowProblem] = []
    never = pd.Series(False, index=df.index)
    numbers = {c: _to_float(df, c, file, problems, required=never) for c in DROPPED_NUMBERS}
    _check_coordinates(df, numbers, file, problems)
    if problems:
        raise InputError(problems)
    return _finish_dropped(df.drop(columns=ROW_COLUMN), numbers)


def read_itineraries(
    folder: Path | str, summary: PlanSummary, excluded: Mapping[str, str]
) -> pd.DataFrame:
    """Read and type ``itineraries.csv`` (see :class:`PlanFolder`); extra columns default empty."""
    df = read_plan_table(folder, ITINERARIES_FILE, required=S.ITINERARY_COLUMNS)
    file = str(Path(folder) / ITINERARIES_FILE)
    problems: list[RowProblem] = []
    for _, row in df.iterrows():
        _check_row(row, file, excluded, problems)
    is_visit = df[S.KIND] == S.EventKind.VISIT
    always = pd.Series(True, index=df.index)
    never = ~always
    numbers = {S.STOP_NO: _to_float(df, S.STOP_NO, file, problems, required=always)}
    _check_stop_numbers(df, numbers[S.STOP_NO], file, problems)
    for column in (S.LAT, S.LON):
        numbers[column] = _to_float(df, column, file, problems, required=is_visit)
    for column in ITINERARY_NUMBERS[2:]:
        numbers[column] = _to_float(df, column, file, problems, required=never)
    _check_coordinates(df, numbers, file, problems)
    _check_repeats(df, numbers[S.STOP_NO], file, problems)
    if problems:
        raise InputError(problems)
    for column, values in numbers.items():
        df[column] = values
    for column in CLOCK_COLUMNS:
        df[column] = df[column].map(_clock_text)
    return _finish_itineraries(df.drop(columns=ROW_COLUMN), summary)


def _check_row(
    row: pd.Series, file: str, excluded: Mapping[str, str], problems: list[RowProblem]
) -> None:
    """Record the problems of one itinerary row's agent, kind, account and times."""
    line = int(row[ROW_COLUMN])
    kind, account = row[S.KIND], row[S.ACCOUNT_ID]
    if not row[S.AGENT_ID]:
        problems.append(RowProblem(file, line, S.AGENT_ID, "empty"))
    if kind not in _KINDS:
        problems.append(
            RowProblem(file, line, S.KIND, f"{kind!r} is not one of {', '.join(_KINDS)}")
        )
    if kind == S.EventKind.VISIT and not account:
        problems.append(RowProblem(file, line, S.ACCOUNT_ID, "empty on a visit"))
    if kind == S.EventKind.VISIT and account in excluded:
        problems.append(
            RowProblem(
                file,
                line,
                S.ACCOUNT_ID,
                f"{account!r} is excluded ({excluded[account]}) and must not be visited",
            )
        )
    for column in CLOCK_COLUMNS:
        value = row[column]
        end = column == "service_end" or kind == S.EventKind.END
        if value and _clock_text(value, allow_24=end) is None:
            problems.append(RowProblem(file, line, column, f"{value!r} is not HH:MM"))
        elif not value and kind == S.EventKind.VISIT:
            problems.append(RowProblem(file, line, column, "empty on a visit, HH:MM needed"))


def _clock_text(value: str, *, allow_24: bool = True) -> Any:
    """Return a clock cell as ``HH:MM`` (``""`` stays), or None when it is not a time."""
    if not value:
        return value
    try:
        return format_clock(parse_clock(value, allow_24=allow_24))
    except ValueProblem:
        return None


def _finish_itineraries(df: pd.DataFrame, summary: PlanSummary) -> pd.DataFrame:
    """Type the checked itinerary: extras filled, kinds as enums, sorted by agent and stop."""
    df = _with_columns(df, S.ITINERARY_EXTRA)
    df[S.KIND] = df[S.KIND].map(lambda k: S.EventKind(k) if k in _KINDS else k)
    for column in ("travel_km", "travel_min"):
        df[column] = df[column].fillna(0.0)
    order = {a: i for i, a in enumerate(agents_in_order(summary, df[S.AGENT_ID]))}
    df["_agent_rank"] = df[S.AGENT_ID].map(order)
    df = df.sort_values(["_agent_rank", S.STOP_NO], kind="stable").drop(columns="_agent_rank")
    df[S.STOP_NO] = df[S.STOP_NO].astype(int)
    return df.reset_index(drop=True)


def _finish_dropped(df: pd.DataFrame, numbers: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Return ``dropped.csv`` with every optional column and its numbers as floats."""
    df = _with_columns(df, DROPPED_OPTIONAL)
    for column, values in numbers.items():
        df[column] = values
    return df.reset_index(drop=True)


def _with_columns(df: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Return ``df`` with each of ``columns`` it lacks added, empty."""
    missing = [c for c in columns if c not in df.columns]
    if not missing:
        return df.copy()
    return df.assign(**dict.fromkeys(missing, ""))


def _text_columns(df: pd.DataFrame, *, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return ``df`` with every column but ``exclude`` as stripped text (``""`` when missing)."""
    out = df.copy()
    for column in out.columns:
        if column not in exclude:
            out[column] = out[column].map(_cell_text).astype(object)
    return out


def _cell_text(value: Any) -> str:
    """Return a cell as the stripped text a plan file holds (``""`` for a missing value)."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def _floats(df: pd.DataFrame, column: str) -> pd.Series:
    """Return a column of numbers held in memory as floats (NaN when missing)."""
    if column not in df.columns:
        return pd.Series(math.nan, index=df.index, dtype=float)
    return pd.to_numeric(df[column], errors="coerce").astype(float)


def _to_float(
    df: pd.DataFrame, column: str, file: str, problems: list[RowProblem], *, required: pd.Series
) -> pd.Series:
    """Parse a text column to floats, recording refused or missing-but-required cells.

    Refused: text that is not a number, ``nan``, infinities (``inf``, ``1e400``)
    and magnitudes above :data:`MAX_MAGNITUDE`. Refused cells become NaN.
    """
    raw = df[column].astype(str).str.strip()
    values = pd.to_numeric(raw.str.replace(",", "", regex=False), errors="coerce").astype(float)
    infinite = values.isin([math.inf, -math.inf])
    huge = values.notna() & ~infinite & (values.abs() > MAX_MAGNITUDE)
    bad = (raw != "") & values.isna()
    missing = (raw == "") & required
    for idx in df.index:
        if bad[idx]:
            problem = f"{raw[idx]!r} is not a number"
        elif infinite[idx]:
            problem = f"{raw[idx]!r} is not a finite number"
        elif huge[idx]:
            problem = f"{raw[idx]!r} is too large (at most {MAX_MAGNITUDE:g})"
        elif missing[idx]:
            problem = "empty, a number is required"
        else:
            continue
        problems.append(RowProblem(file, _row_of(df, idx), column, problem))
    return values.mask(infinite | huge)


def _row_of(df: pd.DataFrame, idx: Any) -> int:
    """Return the spreadsheet row of the row labelled ``idx``."""
    return int(df.at[idx, ROW_COLUMN])


def _check_stop_numbers(
    df: pd.DataFrame, stops: pd.Series, file: str, problems: list[RowProblem]
) -> None:
    """Record stop numbers that are not whole numbers in ``[0, MAX_STOP_NO]``; blank them."""
    known = stops.notna()
    wrong = known & ((stops % 1 != 0) | (stops < 0) | (stops > MAX_STOP_NO))
    for idx in df.index[wrong]:
        problems.append(
            RowProblem(
                file,
                _row_of(df, idx),
                S.STOP_NO,
                f"{stops[idx]:g} is not a whole number from 0 to {MAX_STOP_NO}",
            )
        )
    stops[wrong] = math.nan


def _check_coordinates(
    df: pd.DataFrame, numbers: Mapping[str, pd.Series], file: str, problems: list[RowProblem]
) -> None:
    """Record latitudes outside [-90, 90] and longitudes outside [-180, 180]."""
    for column, limit in ((S.LAT, 90.0), (S.LON, 180.0)):
        values = numbers[column]
        outside = values.notna() & (values.abs() > limit)
        for idx in df.index[outside]:
            problems.append(
                RowProblem(
                    file,
                    _row_of(df, idx),
                    column,
                    f"{values[idx]!s} is outside [-{limit:g}, {limit:g}]",
                )
            )


def _check_repeats(
    df: pd.DataFrame, stops: pd.Series, file: str, problems: list[RowProblem]
) -> None:
    """Record a stop number repeated within an agent's day and an account visited twice."""
    keys = pd.DataFrame({S.AGENT_ID: df[S.AGENT_ID], S.STOP_NO: stops})[stops.notna()]
    for idx in keys.index[keys.duplicated(keep="first")]:
        problems.append(
            RowProblem(
                file,
                _row_of(df, idx),
                S.STOP_NO,
                f"stop {stops[idx]:g} of agent {df.at[idx, S.AGENT_ID]!r} repeated",
            )
        )
    visits = df.loc[df[S.KIND] == S.EventKind.VISIT, S.ACCOUNT_ID]
    for idx in visits.index[visits.duplicated(keep="first")]:
        problems.append(
            RowProblem(
                file,
                _row_of(df, idx),
                S.ACCOUNT_ID,
                f"account {df.at[idx, S.ACCOUNT_ID]!r} is visited twice",
            )
        )


__all__ = [
    "CHECKLIST_FILE",
    "DROPPED_FILE",
    "EXCLUDED_FILE",
    "ITINERARIES_FILE",
    "REJECTED_FILE",
    "SCORES_FILE",
    "SUMMARY_FILE",
    "PlanFolder",
    "excluded_reasons",
    "read_dropped",
    "read_excluded",
    "read_itineraries",
    "read_plan_folder",
    "read_plan_table",
    "read_summary",
]
