"""Write a plan folder (``routeplan plan --out DIR``) and read it back.

Every file is written atomically; CSV cells that a spreadsheet would run as a
formula are neutralised (:mod:`routeplan.io.safe`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from routeplan import schema as S
from routeplan.io.routes import write_routes
from routeplan.io.safe import write_csv_atomic, write_json_atomic

if TYPE_CHECKING:
    from routeplan.plan import Plan

#: the tables of a plan folder: file name -> (Plan attribute, columns or None = all)
TABLES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "itineraries.csv": ("itineraries", (*S.ITINERARY_COLUMNS, *S.ITINERARY_EXTRA)),
    "checklist.csv": ("checklist", (*S.CHECKLIST_COLUMNS, "category")),
    "excluded.csv": ("excluded", S.EXCLUDED_COLUMNS),
    "dropped.csv": ("dropped", None),
    "rejected.csv": ("rejected", S.REJECTED_COLUMNS),
    "scores.csv": ("scores", None),
}


def write_plan_folder(plan: Plan, out_dir: Path, *, show_names: bool = False) -> list[Path]:
    """Write every file of the plan folder and return their paths.

    Tables and ``summary.json`` first, then the dispatch outputs (map, route
    sheets, index, per-agent CSVs, outcomes template) drawn from those files.
    """
    from routeplan.present import write_dispatch_outputs

    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, (attr, columns) in TABLES.items():
        frame = getattr(plan, attr)
        written.append(write_csv_atomic(out_dir / name, frame, spreadsheet=True, columns=columns))
    written.append(write_json_atomic(out_dir / "summary.json", plan.summary))
    written.extend(write_routes(out_dir, plan.routes))
    written.extend(write_dispatch_outputs(out_dir, show_names=show_names))
    return written


__all__ = ["TABLES", "write_plan_folder"]
