"""Read a plan folder back into typed frames for the dispatch outputs.

The map, the sheets and the exports are drawn from the files of a plan
folder, not from the planner's memory, so a dispatcher can edit
``itineraries.csv`` and redraw. Every problem found is collected and raised
in one :class:`~routeplan.errors.InputError` naming the file, row and column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from routeplan import schema
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
    excluded = _read_excluded(folder / EXCLUDED_FILE)
    itineraries = _read_itineraries(folder / ITINERARIES_FILE, summary, excluded)
    dropped = _read_dropped(folder / DROPPED_FILE)
    checklist = read_csv_text(folder / CHECKLIST_FILE, required=schema.CHECKLIST_COLUMNS)
    agents = _agent_order(itineraries, summary)
    return PlanFolder(folder, itineraries, dropped, checklist, summary, tuple(agents))


def _read_summary(path: Path) -> dict[str, Any]:
    """Read ``summary.json`` and check the shape of the parts the outputs use."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object at the top level")
    agents = data.get("agents", [])
    if not isinstance(agents, list) or not all(isinstance(a, dict) for a in agents):
        raise InputError(f"{path}, key agents: expected a list of objects")
    for i, agent in enumerate(agents):
        if not str(agent.get("agent_id") or "").strip():
            raise InputError(f"{path}, key agents[{i}].agent_id: missing or empty")
        agent["agent_id"] = str(agent["agent_id"])
    for key in ("counts", "solver"):
        if key in data and not isinstance(data[key], dict):
            raise InputError(f"{path}, key {key}: expected an object")
    return data


def _to_float(
    df: pd.DataFrame, column: str, file: str, problems: list[RowProblem], *, required: pd.Series
) -> pd.Series:
    """Parse a text column to floats, recording unparsable or missing-but-required cells."""
    raw = df[column].astype(str).str.strip()
    values = pd.to_numeric(raw.str.replace(",", "", regex=False), errors="coerce")
    bad = (raw != "") & values.isna()
    missing = (raw == "") & required
    for idx in df.index[bad]:
        problems.append(RowProblem(file, int(idx) + 2, column, f"{raw[idx]!r} is not a number"))
    for idx in df.index[missing]:
        problems.append(RowProblem(file, int(idx) + 2, column, "empty, a number is required"))
    return values.astype(float)


def _read_excluded(path: Path) -> dict[str, str]:
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
    df = read_csv_text(path, required=schema.ITINERARY_COLUMNS)
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
    for idx, row in df.iterrows():
        line = int(str(idx)) + 2
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
                int(idx) + 2,
                "stop_no",
                f"stop {df.at[idx, 'stop_no']:g} of agent {df.at[idx, 'agent_id']!r} repeated",
            )
        )
    visits = df.loc[is_visit, ["agent_id", "account_id"]]
    for idx in visits.index[visits["account_id"].duplicated(keep="first")]:
        problems.append(
            RowProblem(
                file,
                int(idx) + 2,
                "account_id",
                f"account {df.at[idx, 'account_id']!r} is visited twice",
            )
        )
    if problems:
        raise InputError(problems)
    order = {a: i for i, a in enumerate(_agent_order(df, summary))}
    df["_agent_rank"] = df["agent_id"].map(order)
    df = df.sort_values(["_agent_rank", "stop_no"], kind="stable").drop(columns="_agent_rank")
    df["stop_no"] = df["stop_no"].astype(int)
    return df.reset_index(drop=True)


def _check_coordinates(df: pd.DataFrame, file: str, problems: list[RowProblem]) -> None:
    """Record latitudes outside [-90, 90] and longitudes outside [-180, 180]."""
    for column, limit in (("lat", 90.0), ("lon", 180.0)):
        outside = df[column].notna() & (df[column].abs() > limit)
        for idx in df.index[outside]:
            problems.append(
                RowProblem(
                    file,
                    int(idx) + 2,
                    column,
                    f"{df.at[idx, column]!s} is outside [-{limit:g}, {limit:g}]",
                )
            )


def _read_dropped(path: Path) -> pd.DataFrame:
    """Read ``dropped.csv``; coordinates and amounts are optional floats."""
    df = read_csv_text(path, required=(schema.ACCOUNT_ID, "reason"))
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
    return df


def _agent_order(itineraries: pd.DataFrame, summary: Mapping[str, Any]) -> list[str]:
    """Return agent ids: ``summary.json`` order first, then those only in the itinerary."""
    ids = [str(a.get("agent_id")) for a in summary.get("agents", [])]
    ids += [a for a in itineraries["agent_id"].astype(str) if a]
    return list(dict.fromkeys(ids))
