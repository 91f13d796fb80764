"""Dispatch outputs drawn from a plan folder: map, route sheets, index and CSV exports.

``write_dispatch_outputs(plan_dir)`` reads the folder's files (so an edited
``itineraries.csv`` is what gets drawn; ``Plan.write`` passes the plan's typed
folder content from memory instead) and writes, atomically::

    map.html                 folium map of the day
    index.html               links to the map, every sheet and the exports
    sheets/<AGENT_ID>.html   printable A4 route sheet per agent with visits
    agents/<AGENT_ID>.csv    that agent's itinerary rows
    outcomes_template.csv    one row per planned visit, ready for routeplan record
    assets/                  the map's scripts and styles, with offline assets only

Everything is drawn in the plan's language (``summary.json``'s
``output.language``, else the jurisdiction's: ``zh`` for CN, ``en`` elsewhere)
unless another is asked for. Agent ids are turned into safe file names (see
:func:`routeplan.present.common.file_stems`).

A file changed by hand since routeplan wrote it (filled outcomes, a sheet
annotated by hand) is kept, and the fresh one is written beside it
(``outcomes_template.new.csv``), see :mod:`routeplan.io.manifest`. When the
plan breaks rules (an edit left stale times, a missed window, a shift
overrun), the map, the index and the affected sheets carry a warning banner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from routeplan import schema
from routeplan.errors import RouteplanError
from routeplan.io.manifest import PlanFiles, stderr_notice
from routeplan.io.planfolder import PlanFolder, read_plan_folder
from routeplan.io.routes import read_routes
from routeplan.io.safe import prune_files, write_csv_atomic, write_text_atomic
from routeplan.io.tables import read_table
from routeplan.present.banner import violation_banner, with_banner
from routeplan.present.common import file_stems, text
from routeplan.present.exports import agent_itinerary, inside, outcomes_template
from routeplan.present.labels import Labels, plan_language
from routeplan.present.map import build_map, render_map
from routeplan.present.offline import ASSETS_DIR, write_assets
from routeplan.present.sheets import build_index, build_sheet
from routeplan.travel.day import road_paths

if TYPE_CHECKING:
    from routeplan.check import Violation

__all__ = [
    "PlanFolder",
    "build_index",
    "build_map",
    "build_sheet",
    "read_plan_folder",
    "write_dispatch_outputs",
]

MAP_FILE = "map.html"
INDEX_FILE = "index.html"
SHEETS_DIR = "sheets"
AGENTS_DIR = "agents"
OUTCOMES_TEMPLATE_FILE = "outcomes_template.csv"


def write_dispatch_outputs(
    plan: PlanFolder | Path | str,
    *,
    show_names: bool = False,
    files: PlanFiles | None = None,
    notify: Callable[[str], None] | None = None,
    violations: Sequence[Violation] | None = None,
    language: str | None = None,
    offline_assets: bool | None = None,
) -> list[Path]:
    """Write a plan folder's map, sheets, index and exports into it.

    Parameters
    ----------
    plan
        The folder holding ``itineraries.csv``, ``dropped.csv``,
        ``checklist.csv`` and ``summary.json`` (read with
        :func:`~routeplan.io.planfolder.read_plan_folder`), or its content
        already typed (a :class:`~routeplan.io.planfolder.PlanFolder`).
    show_names
        Show debtors' full names and full addresses on the map (names masked
        and addresses cut to street level by default). Route sheets always
        show both in full: each is the agent's own working document.
    files
        The folder's manifest when the caller writes more files (it then
        saves it); by default it is opened and saved here.
    notify
        Called with one line per notice (a file kept, the plan breaking rules,
        a plan that cannot be re-checked); prints on stderr by default.
    violations
        What the checker found in the folder's plan, when the caller already
        checked it (and reports it); by default the plan is checked here
        (:func:`routeplan.check.check_plan_folder`) and a warning notified.
    language
        ``zh`` or ``en``; by default the plan's (``summary.json``), else the
        jurisdiction's.
    offline_assets
        Write the map's scripts and styles into ``assets/`` and refer to them
        there (a map that draws without internet); by default as
        ``summary.json``'s ``output.offline_assets`` says (off when absent).

    Returns
    -------
    list of Path
        Every file written, map first. A file changed by hand is not in it:
        its fresh copy (``NAME.new.EXT``) is.

    Raises
    ------
    routeplan.errors.InputError
        When a plan file or column is missing, a cell cannot be read, or
        ``sheets/`` or ``agents/`` is a link leading out of the folder.
    """
    if not isinstance(plan, PlanFolder):
        plan = read_plan_folder(plan)
    folder = plan.path
    # Check the sub-folders before writing or pruning anything: a linked-out ``sheets``
    # must not get files written into it, nor old sheets deleted from it.
    for sub in (SHEETS_DIR, AGENTS_DIR):
        inside(folder, folder / sub)
    if offline_assets is None:
        offline_assets = bool(plan.summary.output.offline_assets)
    if offline_assets:
        inside(folder, folder / ASSETS_DIR)
    lang = Labels(plan_language(plan.summary, language)).language
    stems = file_stems(plan.agents)
    own_files = files is None
    files = files if files is not None else PlanFiles.open(folder)
    notes: list[str] = []
    warn = violations is None
    violations = list(violations) if violations is not None else _violations(plan, notes)
    shown_dir = str(folder)
    written: list[Path] = []

    def put(path: Path, write: Callable[[Path], Path]) -> Path:
        """Write ``path`` (or its fresh sibling when changed by hand) and record it."""
        target = write(files.claim(path))
        files.record([target])
        return target

    fmap = build_map(
        plan.itineraries,
        plan.dropped,
        plan.summary,
        plan.checklist,
        show_names=show_names,
        roads=road_paths(read_routes(folder), plan.itineraries),
        language=lang,
        offline_assets=offline_assets,
    )
    # The assets first: a map that refers to them is never there without them.
    assets = write_assets(folder) if offline_assets else []
    files.record(assets)
    map_banner = violation_banner(violations, plan_dir=shown_dir, fixed=True)
    page = with_banner(render_map(fmap), map_banner)
    written.append(put(folder / MAP_FILE, partial(write_text_atomic, text=page)))

    itin = plan.itineraries
    with_visits = [
        a
        for a in plan.agents
        if ((itin["agent_id"] == a) & (itin[schema.KIND] == schema.EventKind.VISIT)).any()
    ]
    legal_hours = text(plan.summary.legal_hours)
    jurisdiction = text(plan.summary.jurisdiction)
    last_visits = _last_visits(folder)
    sheets, csvs = [], []
    checklist_agents = plan.checklist["agent_id"].astype(str).str.strip()
    for agent_id in with_visits:
        rows = itin[itin["agent_id"] == agent_id]
        # Rows without an agent id apply to whoever visits the account.
        checklist = plan.checklist[checklist_agents.isin([agent_id, ""])]
        html = build_sheet(
            plan.agent_info(agent_id),
            rows,
            checklist,
            legal_hours=legal_hours,
            date=plan.date,
            jurisdiction=jurisdiction,
            language=lang,
            last_visits=last_visits,
        )
        mine = [v for v in violations if v.agent_id == agent_id]
        html = with_banner(html, violation_banner(mine, plan_dir=shown_dir, what="route sheet"))
        sheet_path = inside(folder, folder / SHEETS_DIR / f"{stems[agent_id]}.html")
        sheets.append(put(sheet_path, partial(write_text_atomic, text=html)))
        csv_path = inside(folder, folder / AGENTS_DIR / f"{stems[agent_id]}.csv")
        frame = agent_itinerary(itin, agent_id)
        csvs.append(put(csv_path, partial(write_csv_atomic, df=frame, spreadsheet=True)))
    # An agent who lost all visits in an edit must not keep last run's sheet
    # (but a sheet changed by hand is someone's: it stays).
    for sub, pattern, keep in ((SHEETS_DIR, "*.html", sheets), (AGENTS_DIR, "*.csv", csvs)):
        theirs = [p for p in _files_in(folder / sub, pattern) if files.is_users(p)]
        prune_files(folder / sub, [*keep, *theirs], pattern)
    written += sheets

    index = with_banner(
        build_index(plan.summary, with_visits, itineraries=itin, stems=stems, language=lang),
        map_banner,
    )
    written.append(put(folder / INDEX_FILE, partial(write_text_atomic, text=index)))
    written += csvs
    template = outcomes_template(itin, plan.checklist)
    written.append(
        put(
            folder / OUTCOMES_TEMPLATE_FILE,
            partial(write_csv_atomic, df=template, spreadsheet=True),
        )
    )
    if own_files:
        files.save()
    notes[:0] = files.notices
    files.notices.clear()
    if violations and warn:
        notes.append(_violation_notice(violations, shown_dir))
    for line in notes:
        (notify or stderr_notice)(line)
    return written + assets


def _last_visits(folder: Path) -> pd.DataFrame | None:
    """Return the plan's ``last_visits.csv`` (``plan --db``), None when it has none."""
    path = folder / schema.LAST_VISITS_FILE
    if not path.exists():
        return None
    frame, _encoding = read_table(path, required=(schema.ACCOUNT_ID,), row_column=None)
    return frame


def _files_in(folder: Path, pattern: str) -> list[Path]:
    """Return the plain files in ``folder`` matching ``pattern`` (none when it is absent)."""
    if not folder.is_dir():
        return []
    return [p for p in sorted(folder.glob(pattern)) if p.is_file() and not p.is_symlink()]


def _violations(plan: PlanFolder, notes: list[str]) -> list[Violation]:
    """Return what the checker finds in the folder's plan (empty when it cannot tell).

    A folder without ``plan_context.json`` (an older routeplan's), or with
    one that cannot be used, cannot be re-checked from its own files: a note
    says so.
    """
    from routeplan.check import check_plan_folder
    from routeplan.io.context import CONTEXT_FILE

    if plan.context_problem:
        notes.append(f"the plan drawn could not be re-checked: {plan.context_problem}")
        return []
    if plan.context is None:
        notes.append(
            f"{plan.path}: no {CONTEXT_FILE} (plan made by an older routeplan), so the plan "
            "drawn was not re-checked; run routeplan check --accounts FILE --agents FILE "
            f"{plan.path}"
        )
        return []
    try:
        return check_plan_folder(plan)
    except RouteplanError as exc:
        notes.append(f"the plan drawn could not be re-checked: {exc}")
        return []


def _violation_notice(violations: Sequence[Violation], plan_dir: str) -> str:
    """Return the stderr warning for a plan that breaks rules, with the first few."""
    first = "; ".join(v.message() for v in violations[:3])
    more = f"; ... ({len(violations) - 3} more)" if len(violations) > 3 else ""
    return (
        f"WARNING: the plan in {plan_dir} breaks {len(violations)} rule(s): {first}{more}. "
        f"The map and the sheets carry a warning banner; run routeplan retime {plan_dir}"
    )
