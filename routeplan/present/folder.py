"""Read a plan folder back into typed frames for the dispatch outputs.

The map, the sheets and the exports are drawn from the files of a plan
folder, not from the planner's memory, so a dispatcher can edit
``itineraries.csv`` and redraw. Every problem found is collected and raised
in one :class:`~routeplan.errors.InputError` naming the file, row and column.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from routeplan import schema
from routeplan.config import OUTPUT_LANGUAGES
from routeplan.errors import InputError, RowProblem
from routeplan.io.safe import read_csv_text, read_json

ITINERARIES_FILE = "itineraries.csv"
DROPPED_FILE = "dropped.csv"
CHECKLIST_FILE = "checklist.csv"
SUMMARY_FILE = "summary.json"
EXCLUDED_FILE = "excluded.csv"

KINDS = (schema.KIND_START, schema.KIND_VISIT, schema.KIND_BREAK, schema.KIND_END)
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")
DROPPED_OPTIONAL = ("detail", "lat", "lon", "balance", "priority", "expected_recovery")
#: largest magnitude accepted in a numeric cell or summary figure: far above any real
#: balance or distance, small enough that sums and whole-number casts cannot overflow
MAX_MAGNITUDE = 1e15
#: largest stop number accepted (a day has a few dozen stops)
MAX_STOP_NO = 1_000_000
#: ``summary.json`` figures the outputs print, checked to be numbers when present
SUMMARY_NUMBERS = (
    "balance_covered",
    "balance_eligible",
    "expected_recovery_covered",
    "expected_recovery_eligible",
    "travel_km",
    "travel_min",
)
AGENT_NUMBERS = ("visits", "travel_km", "travel_min", "balance", "expected_recovery")
SOLVER_NUMBERS = ("runtime_s",)
#: name of the spreadsheet-row column kept while a file is checked (dropped before returning)
_ROW = "_row"


@dataclass(frozen=True)
class PlanFolder:
    """The parts of a plan folder the dispatch outputs are drawn from.

    ``itineraries`` is sorted by agent (in ``summary`` order, then first
    appearance) and ``stop_no``; numeric columns are floats (NaN when empty),
    text columns are ``str`` (``""`` when empty). ``agents`` lists the agent
    ids in that order, including agents from ``summary.json`` without visits.
    """

    path: Path
    itineraries: pd.DataFrame
    dropped: pd.DataFrame
    checklist: pd.DataFrame
    summary: Mapping[str, Any]
    agents: tuple[str, ...] = field(default=())

    @property
    def date(self) -> str:
        """Return the plan date (``summary.json``'s, else the first itinerary row's)."""
        date = str(self.summary.get("date") or "")
        if not date and not self.itineraries.empty:
            date = str(self.itineraries["date"].iloc[0])
        return date

    def agent_info(self, agent_id: str) -> dict[str, Any]:
        """Return the ``summary.json`` entry of an agent, completed from the itinerary."""
        info: dict[str, Any] = {}
        for entry in self.summary.get("agents", []):
            if str(entry.get("agent_id")) == agent_id:
                info = dict(entry)
                break
        info["agent_id"] = agent_id
        rows = self.itineraries[self.itineraries["agent_id"] == agent_id]
        if not info.get("name"):
            names = [n for n in rows.get("agent_name", pd.Series(dtype=object)) if n]
            info["name"] = names[0] if names else agent_id
        return info


def read_plan_folder(plan_dir: Path | str) -> PlanFolder:
    """Read ``itineraries.csv``, ``dropped.csv``, ``checklist.csv`` and ``summary.json``.

    ``excluded.csv`` (when present) is read only to refuse an itinerary that
    visits an excluded account (say, one a dispatcher added by hand):
    excluded accounts never reach the dispatch outputs.

    Raises
    ------
    InputError
        When the folder or a file is missing, a required column is absent, or
        a cell cannot be parsed (all cell problems are reported together).
    """
    folder = Path(plan_dir)
    if not folder.is_dir():
        raise InputError(f"{folder}: plan folder not found")
    summary = _read_summary(folder / SUMMARY_FILE)
    excluded = read_excluded(folder / EXCLUDED_FILE)
    itineraries = _read_itineraries(folder / ITINERARIES_FILE, summary, excluded)
    dropped = read_dropped(folder / DROPPED_FILE)
    checklist = read_csv_text(folder / CHECKLIST_FILE, required=schema.CHECKLIST_COLUMNS)
    agents = _agent_order(itineraries, summary)
    return PlanFolder(folder, itineraries, dropped, checklist, summary, tuple(agents))


def _read_summary(path: Path) -> dict[str, Any]:
    """Read ``summary.json`` and check the shape of the parts the outputs use.

    Figures the outputs print (travel_km, balance_covered, solver.runtime_s, an
    agent's visits and km, ...) must be finite numbers when present; a number
    written as text (``"12.5"``) is taken as that number.
    """
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object at the top level")
    if data.get("agents") is None:
        data["agents"] = []
    agents = data["agents"]
    if not isinstance(agents, list) or not all(isinstance(a, dict) for a in agents):
        raise InputError(f"{path}, key agents: expected a list of objects")
    for i, agent in enumerate(agents):
        if not str(agent.get("agent_id") or "").strip():
            raise InputError(f"{path}, key agents[{i}].agent_id: missing or empty")
        agent["agent_id"] = str(agent["agent_id"])
    for key in ("counts", "solver", "output"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise InputError(f"{path}, key {key}: expected an object")
    _check_output(data.get("output") or {}, path)
    problems: list[str] = []
    _summary_numbers(data, SUMMARY_NUMBERS, "", path, problems)
    if isinstance(data.get("solver"), dict):
        _summary_numbers(data["solver"], SOLVER_NUMBERS, "solver.", path, problems)
    for i, agent in enumerate(agents):
        _summary_numbers(agent, AGENT_NUMBERS, f"agents[{i}].", path, problems)
    if problems:
        raise InputError("; ".join(problems))
    return data


def _check_output(output: Mapping[str, Any], path: Path) -> None:
    """Check ``summary.json``'s ``output`` object: the language and the offline flag."""
    language = output.get("language")
    if language is not None and (
        not isinstance(language, str) or language.strip().lower() not in ("", *OUTPUT_LANGUAGES)
    ):
        raise InputError(
            f"{path}, key output.language: {_shown(language)} is not one of "
            f"{', '.join(OUTPUT_LANGUAGES)}"
        )
    offline = output.get("offline_assets")
    if offline is not None and not isinstance(offline, bool):
        raise InputError(f"{path}, key output.offline_assets: {_shown(offline)} is not true/false")


def _summary_numbers(
    entry: dict[str, Any], keys: tuple[str, ...], prefix: str, path: Path, problems: list[str]
) -> None:
    """Check (and convert in place) the numeric ``keys`` of one ``summary.json`` object."""
    for key in keys:
        value = entry.get(key)
        if value is None:
            continue
        number = _finite(value)
        if number is None:
            problems.append(f"{path}, key {prefix}{key}: {_shown(value)} is not a finite number")
        elif abs(number) > MAX_MAGNITUDE:
            problems.append(
                f"{path}, key {prefix}{key}: {_shown(value)} is too large "
                f"(at most {MAX_MAGNITUDE:g})"
            )
        else:
            entry[key] = number


def _finite(value: Any) -> float | None:
    """Return ``value`` as a finite float (numbers or numeric text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip().replace(",", "")
    elif not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _shown(value: Any) -> str:
    """Return a short ``repr`` of a refused value for a one-line message."""
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


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
    """Return the spreadsheet row of the row labelled ``idx`` (kept by ``read_csv_text``)."""
    return int(df.at[idx, _ROW])


def read_excluded(path: Path) -> dict[str, str]:
    """Return excluded account ids with their reasons (empty when the file is absent)."""
    if not path.exists():
        return {}
    df = read_csv_text(path, required=(schema.ACCOUNT_ID, "reason"))
    reasons: dict[str, list[str]] = {}
    for account_id, reason in zip(df[schema.ACCOUNT_ID], df["reason"], strict=True):
        reasons.setdefault(str(account_id).strip(), []).append(str(reason).strip())
    return {a: ", ".join(dict.fromkeys(r)) for a, r in reasons.items() if a}


def _read_itineraries(
    path: Path, summary: Mapping[str, Any], excluded: Mapping[str, str]
) -> pd.DataFrame:
    """Read and type ``itineraries.csv``; extra routeplan columns default to empty."""
    df = read_csv_text(path, required=schema.ITINERARY_COLUMNS, row_column=_ROW)
    for column in schema.ITINERARY_EXTRA:
        if column not in df.columns:
            df[column] = ""
    file = str(path)
    problems: list[RowProblem] = []
    for column in ("agent_id", "kind", "account_id", "visit_window", "arrival"):
        df[column] = df[column].astype(str).str.strip()
    df["service_start"] = df["service_start"].astype(str).str.strip()
    df["service_end"] = df["service_end"].astype(str).str.strip()
    is_visit = df["kind"] == schema.KIND_VISIT
    for _, row in df.iterrows():
        line = int(row[_ROW])
        if not row["agent_id"]:
            problems.append(RowProblem(file, line, "agent_id", "empty"))
        if row["kind"] not in KINDS:
            problems.append(
                RowProblem(file, line, "kind", f"{row['kind']!r} is not one of {', '.join(KINDS)}")
            )
        if row["kind"] == schema.KIND_VISIT and not row["account_id"]:
            problems.append(RowProblem(file, line, "account_id", "empty on a visit"))
        if row["kind"] == schema.KIND_VISIT and row["account_id"] in excluded:
            problems.append(
                RowProblem(
                    file,
                    line,
                    "account_id",
                    f"{row['account_id']!r} is excluded ({excluded[row['account_id']]}) "
                    "and must not be visited",
                )
            )
        for column in ("arrival", "service_start", "service_end"):
            value = row[column]
            if value and not _CLOCK.match(value):
                problems.append(RowProblem(file, line, column, f"{value!r} is not HH:MM"))
            elif not value and row["kind"] == schema.KIND_VISIT:
                problems.append(RowProblem(file, line, column, "empty on a visit, HH:MM needed"))
    always = pd.Series(True, index=df.index)
    never = ~always
    df["stop_no"] = _to_float(df, "stop_no", file, problems, required=always)
    _check_stop_numbers(df, file, problems)
    df["lat"] = _to_float(df, "lat", file, problems, required=is_visit)
    df["lon"] = _to_float(df, "lon", file, problems, required=is_visit)
    for column in ("travel_km", "travel_min"):
        df[column] = _to_float(df, column, file, problems, required=never).fillna(0.0)
    for column in ("priority", "balance", "days_past_due", "expected_recovery"):
        df[column] = _to_float(df, column, file, problems, required=never)
    _check_coordinates(df, file, problems)
    keys = df.loc[df["stop_no"].notna(), ["agent_id", "stop_no"]]
    for idx in keys.index[keys.duplicated(keep="first")]:
        problems.append(
            RowProblem(
                file,
                _row_of(df, idx),
                "stop_no",
                f"stop {df.at[idx, 'stop_no']:g} of agent {df.at[idx, 'agent_id']!r} repeated",
            )
        )
    visits = df.loc[is_visit, ["agent_id", "account_id"]]
    for idx in visits.index[visits["account_id"].duplicated(keep="first")]:
        problems.append(
            RowProblem(
                file,
                _row_of(df, idx),
                "account_id",
                f"account {df.at[idx, 'account_id']!r} is visited twice",
            )
        )
    if problems:
        raise InputError(problems)
    order = {a: i for i, a in enumerate(_agent_order(df, summary))}
    df["_agent_rank"] = df["agent_id"].map(order)
    df = df.sort_values(["_agent_rank", "stop_no"], kind="stable")
    df = df.drop(columns=["_agent_rank", _ROW])
    df["stop_no"] = df["stop_no"].astype(int)
    return df.reset_index(drop=True)


def _check_stop_numbers(df: pd.DataFrame, file: str, problems: list[RowProblem]) -> None:
    """Record stop numbers that are not whole numbers in ``[0, MAX_STOP_NO]``; blank them."""
    stops = df["stop_no"]
    known = stops.notna()
    wrong = known & ((stops % 1 != 0) | (stops < 0) | (stops > MAX_STOP_NO))
    for idx in df.index[wrong]:
        problems.append(
            RowProblem(
                file,
                _row_of(df, idx),
                "stop_no",
                f"{stops[idx]:g} is not a whole number from 0 to {MAX_STOP_NO}",
            )
        )
    df.loc[wrong, "stop_no"] = math.nan


def _check_coordinates(df: pd.DataFrame, file: str, problems: list[RowProblem]) -> None:
    """Record latitudes outside [-90, 90] and longitudes outside [-180, 180]."""
    for column, limit in (("lat", 90.0), ("lon", 180.0)):
        outside = df[column].notna() & (df[column].abs() > limit)
        for idx in df.index[outside]:
            problems.append(
                RowProblem(
                    file,
                    _row_of(df, idx),
                    column,
                    f"{df.at[idx, column]!s} is outside [-{limit:g}, {limit:g}]",
                )
            )


def read_dropped(path: Path) -> pd.DataFrame:
    """Read ``dropped.csv``; coordinates and amounts are optional floats."""
    df = read_csv_text(path, required=(schema.ACCOUNT_ID, "reason"), row_column=_ROW)
    for column in DROPPED_OPTIONAL:
        if column not in df.columns:
            df[column] = ""
    file = str(path)
    problems: list[RowProblem] = []
    never = pd.Series(False, index=df.index)
    for column in ("lat", "lon", "balance", "priority", "expected_recovery"):
        df[column] = _to_float(df, column, file, problems, required=never)
    _check_coordinates(df, file, problems)
    if problems:
        raise InputError(problems)
    return df.drop(columns=_ROW)


def _agent_order(itineraries: pd.DataFrame, summary: Mapping[str, Any]) -> list[str]:
    """Return agent ids: ``summary.json`` order first, then those only in the itinerary."""
    ids = [str(a.get("agent_id")) for a in summary.get("agents", [])]
    ids += [a for a in itineraries["agent_id"].astype(str) if a]
    return list(dict.fromkeys(ids))
