"""Write a plan folder (``routeplan plan ... --out DIR``) and read it back.

Every file is written atomically; CSV cells that a spreadsheet would run as a
formula are neutralised (:mod:`routeplan.io.safe`). Every file written is
recorded in the folder's manifest (:mod:`routeplan.io.manifest`), so a file
changed by hand since (filled outcomes, an edited itinerary) is never
overwritten: planning again into such a folder is refused unless ``force``,
which first moves those files to ``DIR/backup-YYYYmmdd-HHMMSS/``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from routeplan import schema as S
from routeplan.errors import ChangedFilesError
from routeplan.io.context import context_record, write_plan_context
from routeplan.io.manifest import PlanFiles, stderr_notice
from routeplan.io.safe import write_csv_atomic, write_json_atomic

if TYPE_CHECKING:
    from routeplan.plan import Plan

#: the tables of a plan folder: file name -> (Plan attribute, columns or None = all)
TABLES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "itineraries.csv": ("itineraries", (*S.ITINERARY_COLUMNS, *S.ITINERARY_EXTRA)),
    "checklist.csv": ("checklist", (*S.CHECKLIST_COLUMNS, "category", "code")),
    "excluded.csv": ("excluded", S.EXCLUDED_COLUMNS),
    "dropped.csv": ("dropped", None),
    "rejected.csv": ("rejected", S.REJECTED_COLUMNS),
    "scores.csv": ("scores", None),
    S.LAST_VISITS_FILE: ("last_visits", S.LAST_VISIT_COLUMNS),
}


def changed_plan_files(out_dir: Path | str) -> list[str]:
    """Return the files in ``out_dir`` a new plan would replace that were changed by hand.

    Empty for a new or untouched folder; see :mod:`routeplan.io.manifest`.
    """
    folder = Path(out_dir)
    if not folder.is_dir():
        return []
    return PlanFiles.open(folder).plan_conflicts()


def write_plan_folder(
    plan: Plan,
    out_dir: Path,
    *,
    show_names: bool = False,
    force: bool = False,
    notify: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write every file of the plan folder and return their paths.

    Tables, ``summary.json`` and ``plan_context.json`` first, then the dispatch
    outputs (map, route sheets, index, per-agent CSVs, outcomes template) drawn
    from those files. Files an earlier run wrote that this plan does not
    (unchanged since) are removed.

    Raises
    ------
    ChangedFilesError
        When the folder holds files changed by hand that this plan would
        replace, and ``force`` is False. With ``force`` they are moved to a
        ``backup-YYYYmmdd-HHMMSS/`` folder first (``notify`` says where).
    """
    from routeplan.present import write_dispatch_outputs

    out_dir.mkdir(parents=True, exist_ok=True)
    files = PlanFiles.open(out_dir)
    changed = files.plan_conflicts()
    if changed and not force:
        raise ChangedFilesError(str(out_dir), changed)
    files.backup(changed)
    written: list[Path] = []
    for name, (attr, columns) in TABLES.items():
        frame = getattr(plan, attr)
        written.append(write_csv_atomic(out_dir / name, frame, spreadsheet=True, columns=columns))
    written.append(write_json_atomic(out_dir / "summary.json", plan.summary))
    planned = plan.itineraries.loc[plan.itineraries["kind"] == S.KIND_VISIT, S.ACCOUNT_ID]
    record = context_record(
        plan.date,
        plan.config,
        plan.agents,
        plan.accounts,
        [*planned.astype(str), *plan.dropped[S.ACCOUNT_ID].astype(str)],
    )
    written.append(write_plan_context(out_dir, record))
    files.record(written)
    written.extend(
        write_dispatch_outputs(out_dir, show_names=show_names, files=files, notify=notify)
    )
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
