"""Write a plan folder (``routeplan plan ... --out DIR``); :mod:`routeplan.io.planfolder` reads it.

Every file is written atomically; CSV cells that a spreadsheet would run as a
formula are neutralised (:mod:`routeplan.io.safe`). Every file written is
recorded in the folder's manifest (:mod:`routeplan.io.manifest`), so a file
changed by hand since (filled outcomes, an edited itinerary) is never
overwritten: planning again into such a folder is refused unless ``force``,
which first moves those files to ``DIR/backup-YYYYmmdd-HHMMSS/``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from routeplan import schema as S
from routeplan.errors import ChangedFilesError
from routeplan.io.context import write_plan_context
from routeplan.io.manifest import PlanFiles, stderr_notice
from routeplan.io.routes import write_routes
from routeplan.io.safe import write_csv_atomic, write_json_atomic
from routeplan.summary import PlanSummary

#: the tables of a plan folder: file name -> columns written (None = all)
TABLES: dict[str, tuple[str, ...] | None] = {
    "itineraries.csv": (*S.ITINERARY_COLUMNS, *S.ITINERARY_EXTRA),
    "checklist.csv": (*S.CHECKLIST_COLUMNS, "category", "code"),
    "excluded.csv": S.EXCLUDED_COLUMNS,
    "dropped.csv": None,
    "rejected.csv": S.REJECTED_COLUMNS,
    "scores.csv": None,
    S.LAST_VISITS_FILE: S.LAST_VISIT_COLUMNS,
}
SUMMARY_FILE = "summary.json"
#: what draws the dispatch outputs once the tables are written; returns the files written
Outputs = Callable[[PlanFiles], list[Path]]


def changed_plan_files(out_dir: Path | str) -> list[str]:
    """Return the files in ``out_dir`` a new plan would replace that were changed by hand.

    Empty for a new or untouched folder; see :mod:`routeplan.io.manifest`.
    """
    folder = Path(out_dir)
    if not folder.is_dir():
        return []
    return PlanFiles.open(folder).plan_conflicts()


def write_plan_folder(
    out_dir: Path,
    tables: Mapping[str, pd.DataFrame],
    summary: PlanSummary,
    context: Mapping[str, Any],
    *,
    outputs: Outputs | None = None,
    routes: Mapping[str, Any] | None = None,
    force: bool = False,
    notify: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write every file of a plan folder and return their paths.

    Parameters
    ----------
    out_dir
        The plan folder (created when missing).
    tables
        One frame per file of :data:`TABLES` (file name -> rows).
    summary
        Written as ``summary.json``.
    context
        The ``plan_context.json`` record (:func:`routeplan.io.context.context_record`).
    outputs
        Called once the tables, summary and context are written, with the
        folder's manifest, to write the dispatch outputs (map, route sheets,
        index, per-agent CSVs, outcomes template); returns what it wrote.
    routes
        Each agent's route along the roads (GeoJSON), written as
        ``routes.geojson`` before the outputs (the map draws it); None when
        the plan was made on straight lines (an old file is then removed).
    force, notify
        See below.

    Files an earlier run wrote that this plan does not (unchanged since) are removed.

    Raises
    ------
    ChangedFilesError
        When the folder holds files changed by hand that this plan would
        replace, and ``force`` is False. With ``force`` they are moved to a
        ``backup-YYYYmmdd-HHMMSS/`` folder first (``notify`` says where; by
        default on stderr).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    files = PlanFiles.open(out_dir)
    changed = files.plan_conflicts()
    if changed and not force:
        raise ChangedFilesError(str(out_dir), changed)
    files.backup(changed)
    written: list[Path] = []
    for name, columns in TABLES.items():
        written.append(
            write_csv_atomic(out_dir / name, tables[name], spreadsheet=True, columns=columns)
        )
    written.append(write_json_atomic(out_dir / SUMMARY_FILE, summary.to_json()))
    written.append(write_plan_context(out_dir, dict(context)))
    written.extend(write_routes(out_dir, routes))
    files.record(written)
    if outputs is not None:
        written.extend(outputs(files))
    files.remove_stale(written)
    files.save()
    _tell(files, notify)
    return written


def _tell(files: PlanFiles, notify: Callable[[str], None] | None) -> None:
    """Pass the manifest's notices on (to stderr by default)."""
    for line in files.notices:
        (notify or stderr_notice)(line)
    files.notices.clear()


__all__ = ["TABLES", "changed_plan_files", "write_plan_folder"]
