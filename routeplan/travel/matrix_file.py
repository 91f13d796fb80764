"""Times from a precomputed matrix file (``--travel matrix:matrix.csv``).

For users with their own routing service. The file is a CSV, one row per
ordered pair of locations::

    from_id,to_id,duration_s,distance_m[,profile]
    ACC001,ACC002,312,2480
    base:AG01,ACC001,95,810

Locations are keyed by ``account_id``, and by ``base:AGENT`` / ``end:AGENT``
for an agent's start and end point (``end:AGENT`` only when it differs from
the base). ``duration_s`` (seconds) and ``distance_m`` (metres) are numbers
>= 0; an empty ``duration_s`` means there is no route. A pair missing from
the file has no route either: a place the file does not know is never planned
with a made-up time (its account is dropped with ``no_road_route``). An
optional ``profile`` column (``car``, ``motorbike``, ``bicycle``, ``foot``)
gives each travel mode its own times; without it every agent uses the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from routeplan.errors import InputError, RowProblem
from routeplan.travel.base import (
    TRAVEL_MODES,
    Adjustments,
    ClosingModel,
    Points,
    RawTable,
    TravelError,
    TravelMatrix,
    TravelProfile,
)
from routeplan.travel.osrm_engine import file_sha256

COLUMNS = ("from_id", "to_id", "duration_s", "distance_m")
#: problems listed in one error before "... and N more"
MAX_PROBLEMS = 10


class MatrixFileModel(ClosingModel):
    """Durations and distances read from a CSV keyed by location id (see the module docstring).

    Parameters
    ----------
    path
        The matrix file.
    adjustments
        Traffic factor and stop overhead, applied as for every model.
    """

    provider = "matrix"

    def __init__(self, path: Path, *, adjustments: Adjustments | None = None) -> None:
        self.path = path
        self.adjustments = adjustments or Adjustments()
        self.sha256 = file_sha256(path) if path.is_file() else ""
        self._pairs = read_matrix_file(path)

    def profile(self, mode: str, speed_kmh: float | None) -> TravelProfile:
        """Return the agent's profile: its mode (the file's ``profile`` column, if any)."""
        return TravelProfile(mode)

    def matrix(self, points: Points, profile: TravelProfile) -> TravelMatrix:
        """Return the file's times between ``points`` (looked up by their ids)."""
        if points.ids is None:
            raise TravelError(f"{self.path}: a matrix file needs location ids")
        pairs = self._rows_for(profile.mode)
        names = list(dict.fromkeys(points.ids))  # a shared base is one place
        pos = pd.Series(np.arange(len(names)), index=names)
        sub = pairs[pairs["from_id"].isin(pos.index) & pairs["to_id"].isin(pos.index)]
        r = pos.loc[sub["from_id"]].to_numpy()
        c = pos.loc[sub["to_id"]].to_numpy()
        u = len(names)
        dur = np.zeros((u, u))
        dist = np.zeros((u, u))
        routed = np.eye(u, dtype=bool)
        dur[r, c] = sub["duration_s"].to_numpy()
        dist[r, c] = sub["distance_m"].to_numpy()
        routed[r, c] = sub["routed"].to_numpy()
        np.fill_diagonal(dur, 0)
        np.fill_diagonal(dist, 0)
        np.fill_diagonal(routed, True)
        known = set(pairs["from_id"]) | set(pairs["to_id"])
        notes = {
            i: f"{name} is not in the matrix file {self.path.name}"
            for i, name in enumerate(names)
            if name not in known
        }
        zeros = np.zeros(u)
        table = RawTable.of(dur, dist, routed, zeros, zeros).square(notes)
        matrix = table.take(pos.loc[list(points.ids)].to_numpy())
        return self.adjustments.apply(matrix, points, profile)

    def _rows_for(self, mode: str) -> pd.DataFrame:
        pairs = self._pairs
        if "profile" not in pairs.columns:
            return pairs
        rows = pairs[pairs["profile"] == mode]
        if rows.empty:
            raise TravelError(f"{self.path}: no rows for travel mode {mode} (profile column)")
        return rows

    def route_geometry(
        self, points: Points, profile: TravelProfile
    ) -> list[tuple[float, float]] | None:
        """Return None: a matrix file has no road geometry."""
        return None

    def describe(self) -> dict[str, Any]:
        """Return the provider, file and hash for ``summary.json``."""
        return {
            "provider": self.provider,
            "file": str(self.path),
            "sha256": self.sha256,
            "traffic_factor": self.adjustments.traffic_factor,
            "stop_overhead_min": self.adjustments.stop_overhead_s / 60,
        }


def read_matrix_file(path: Path) -> pd.DataFrame:
    """Read and validate a matrix CSV into ``from_id, to_id, duration_s, distance_m, routed``.

    Raises
    ------
    InputError
        Naming the file, and for bad cells the row and column (every problem,
        up to :data:`MAX_PROBLEMS`).
    """
    name = path.name
    if not path.is_file():
        raise InputError(f"{path}: matrix file not found")
    try:
        frame = pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True
        )
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: not a readable CSV matrix file ({exc})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: required column {', '.join(missing)} is missing")
    problems: list[RowProblem] = []
    out = pd.DataFrame(
        {
            "from_id": frame["from_id"].str.strip(),
            "to_id": frame["to_id"].str.strip(),
        }
    )
    rows = np.arange(len(frame)) + 2
    for col in ("from_id", "to_id"):
        for row in rows[(out[col] == "").to_numpy()]:
            problems.append(RowProblem(name, int(row), col, "empty location id"))
    dur_text = frame["duration_s"].str.strip()
    out["routed"] = (dur_text != "").to_numpy()
    out["duration_s"] = _numbers(
        dur_text.where(out["routed"], "0"), "duration_s", rows, name, problems
    )
    dist_text = frame["distance_m"].str.strip()
    out["distance_m"] = _numbers(
        dist_text.where(dist_text != "", "0"), "distance_m", rows, name, problems
    )
    if "profile" in frame.columns:
        out["profile"] = frame["profile"].str.strip().str.lower().replace("", "car")
        for row in rows[~out["profile"].isin(TRAVEL_MODES).to_numpy()]:
            problems.append(
                RowProblem(name, int(row), "profile", f"not one of {', '.join(TRAVEL_MODES)}")
            )
    keys = ["from_id", "to_id", *(["profile"] if "profile" in out.columns else [])]
    for row in rows[out.duplicated(keys, keep=False).to_numpy()]:
        problems.append(RowProblem(name, int(row), "to_id", "this pair appears more than once"))
    if problems:
        problems.sort(key=lambda p: (p.row or 0, p.column))
        shown = "; ".join(p.message() for p in problems[:MAX_PROBLEMS])
        more = len(problems) - MAX_PROBLEMS
        raise InputError(shown + (f"; and {more} more" if more > 0 else ""))
    return out


def _numbers(
    text: pd.Series, column: str, rows: np.ndarray, name: str, problems: list[RowProblem]
) -> np.ndarray:
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    for row, cell in zip(rows[bad], text.to_numpy()[bad], strict=True):
        problems.append(RowProblem(name, int(row), column, f"{cell!r} is not a number >= 0"))
    return np.where(bad, 0.0, values)


__all__ = ["COLUMNS", "MatrixFileModel", "read_matrix_file"]
