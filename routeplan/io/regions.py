"""Read ``regions.csv`` and write the top of a regions run's output folder.

``regions.csv`` gives each region its legal profile and clock::

    region,jurisdiction,timezone,travel
    north,CN,Asia/Shanghai,
    london,UK,Europe/London,haversine

``jurisdiction`` empty: the configuration's; ``timezone`` empty: found from
the coordinates of the region's accounts and agents; ``travel`` (optional
column) empty: the configuration's travel model. Every problem of the file is
reported at once, by row and column; a file with any is refused (it is
settings, not data to plan around).

The output folder of a run holds one plan folder per region (written by
:meth:`routeplan.plan.Plan.write`) and, at its top, ``summary.json``,
``rejected.csv`` (rows refused for their region, and rows the readers refused),
``unplanned.csv`` (the accounts of regions that could not be planned) and
``index.html``. Those files are recorded in the folder's manifest like a plan
folder's, so a file changed by hand is never overwritten.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from routeplan import schema as S
from routeplan.config import JURISDICTIONS
from routeplan.errors import ChangedFilesError, InputError, RowProblem
from routeplan.io.manifest import MANIFEST_FILE, PlanFiles
from routeplan.io.readers import read_table
from routeplan.io.safe import (
    write_bytes_atomic,
    write_csv_atomic,
    write_json_atomic,
    write_text_atomic,
)
from routeplan.timezones import is_zone

if TYPE_CHECKING:
    from routeplan.plan import Plan

__all__ = [
    "REGIONS_COLUMNS",
    "TOP_FILES",
    "UNPLANNED_COLUMNS",
    "RegionProfile",
    "install_plan_folder",
    "read_regions",
    "render_plan_folder",
    "top_conflicts",
    "write_top_files",
]

#: columns of regions.csv (``travel`` may be left out)
REGIONS_COLUMNS = ("region", "jurisdiction", "timezone", "travel")
#: accounts of regions that could not be planned
UNPLANNED_COLUMNS = ("region", S.ACCOUNT_ID, "reason")
#: files routeplan writes at the top of a regions run's folder
TOP_FILES = ("summary.json", "rejected.csv", "unplanned.csv", "index.html")


@dataclass(frozen=True)
class RegionProfile:
    """One row of ``regions.csv``: a region's legal profile, clock and travel model.

    Empty strings mean "the configuration's" (jurisdiction, travel) or "found
    from the coordinates" (timezone).
    """

    region: str
    jurisdiction: str = ""
    timezone: str = ""
    travel: str = ""
    row: int | None = None


def read_regions(path: str | Path, *, encoding: str | None = None) -> dict[str, RegionProfile]:
    """Read ``regions.csv`` into region -> profile.

    Raises
    ------
    InputError
        The file cannot be read, lacks a column, or has bad rows (an empty or
        repeated region, an unknown jurisdiction or time zone); every problem
        is named.
    """
    p = Path(path)
    frame, _ = read_table(p, encoding=encoding)
    name = p.name
    missing = [c for c in REGIONS_COLUMNS[:3] if c not in frame.columns]
    if missing:
        raise InputError(
            f"{name}: required column {', '.join(missing)} is missing "
            f"(columns: {', '.join(REGIONS_COLUMNS[:3])}, optional travel)"
        )
    problems: list[RowProblem] = []
    profiles: dict[str, RegionProfile] = {}
    for rec in frame.to_dict("records"):
        row = int(rec["_row"])
        region = str(rec["region"]).strip()
        juris = str(rec["jurisdiction"]).strip().upper()
        zone = str(rec["timezone"]).strip()
        travel = str(rec.get("travel", "") or "").strip()

        def bad(column: str, problem: str, record_id: str = region) -> None:
            problems.append(RowProblem(name, row, column, problem, record_id))  # noqa: B023

        if not region:
            bad("region", "empty region name", "")
        elif region in profiles:
            bad("region", f"region {region!r} appears twice (rows {profiles[region].row}, {row})")
        if juris and juris not in JURISDICTIONS:
            bad(
                "jurisdiction",
                f"{rec['jurisdiction']!r} is not one of {', '.join(JURISDICTIONS)}",
            )
        if zone and not is_zone(zone):
            bad("timezone", f"{zone!r} is not an IANA time zone (e.g. Asia/Shanghai)")
        if region and region not in profiles:
            profiles[region] = RegionProfile(region, juris, zone, travel, row)
    if problems:
        raise InputError(problems)
    if not profiles:
        raise InputError(f"{name}: no region rows")
    return profiles


def top_conflicts(out_dir: Path) -> list[str]:
    """Return the top-level files of ``out_dir`` changed by hand since routeplan wrote them."""
    if not out_dir.is_dir():
        return []
    files = PlanFiles.open(out_dir)
    return files.users_files([out_dir / n for n in TOP_FILES])


def write_top_files(
    out_dir: Path,
    summary: Mapping[str, Any],
    rejected: Sequence[RowProblem],
    unplanned: pd.DataFrame,
    index_html: str,
    *,
    force: bool = False,
) -> list[Path]:
    """Write ``summary.json``, ``rejected.csv``, ``unplanned.csv`` and ``index.html``.

    A file changed by hand is moved to ``backup-YYYYmmdd-HHMMSS/`` with
    ``force``; without it the caller must have refused the run first
    (:func:`top_conflicts`).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    files = PlanFiles.open(out_dir)
    changed = files.users_files([out_dir / n for n in TOP_FILES])
    if changed and not force:
        raise ChangedFilesError(str(out_dir), changed)
    files.backup(changed)
    table = pd.DataFrame([p.as_record() for p in rejected], columns=list(S.REJECTED_COLUMNS))
    written = [
        write_json_atomic(out_dir / "summary.json", summary),
        write_csv_atomic(
            out_dir / "rejected.csv", table, spreadsheet=True, columns=S.REJECTED_COLUMNS
        ),
        write_csv_atomic(
            out_dir / "unplanned.csv", unplanned, spreadsheet=True, columns=UNPLANNED_COLUMNS
        ),
        write_text_atomic(out_dir / "index.html", index_html),
    ]
    files.record(written)
    files.save()
    return written


def render_plan_folder(
    plan: Plan, *, show_names: bool = False, notify: Callable[[str], None] | None = None
) -> dict[str, bytes]:
    """Write a plan folder into a private temporary folder and return its files' bytes.

    Runs where the plan was made (a worker), so that drawing the map and the
    sheets is shared out like the solving; :func:`install_plan_folder` then
    writes the bytes where they belong. Paths are relative, ``/``-separated.
    """
    with tempfile.TemporaryDirectory(prefix="routeplan-region-") as tmp:
        folder = Path(tmp) / "plan"
        plan.write(folder, show_names=show_names, notify=notify)
        return {
            p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != MANIFEST_FILE
        }


def install_plan_folder(
    folder: Path, files: Mapping[str, bytes], *, force: bool = False
) -> tuple[list[Path], list[str]]:
    """Write a rendered plan folder's files into ``folder``, as a plan folder's writer would.

    Files changed by hand since routeplan wrote them are refused
    (:class:`ChangedFilesError`) or, with ``force``, moved to a backup folder
    first; files of an earlier plan that this one does not have are removed
    when unchanged; the folder's manifest records every file written.
    Returns the paths written and the notices (backups) to show.
    """
    for rel in files:
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise InputError(f"{folder}: refusing to write {rel!r} outside the plan folder")
    folder.mkdir(parents=True, exist_ok=True)
    manifest = PlanFiles.open(folder)
    changed = manifest.plan_conflicts(files)
    if changed and not force:
        raise ChangedFilesError(str(folder), changed)
    manifest.backup(changed)
    written = []
    for rel, data in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        written.append(write_bytes_atomic(folder / rel, data))
    manifest.record(written)
    manifest.remove_stale(written)
    manifest.save()
    return written, list(manifest.notices)
