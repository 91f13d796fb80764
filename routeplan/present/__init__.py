"""Dispatch outputs drawn from a plan folder: map, route sheets, index and CSV exports.

``write_dispatch_outputs(plan_dir)`` reads the folder's files (so an edited
``itineraries.csv`` is what gets drawn) and writes, atomically::

    map.html                 folium map of the day
    index.html               links to the map, every sheet and the exports
    sheets/<AGENT_ID>.html   printable A4 route sheet per agent with visits
    agents/<AGENT_ID>.csv    that agent's itinerary rows
    outcomes_template.csv    one row per planned visit, ready for routeplan record

Agent ids are turned into safe file names (see
:func:`routeplan.present.common.file_stems`).
"""

from __future__ import annotations

from pathlib import Path

from routeplan import schema
from routeplan.io.routes import read_routes
from routeplan.io.safe import prune_files, write_csv_atomic, write_text_atomic
from routeplan.present.common import file_stems, text
from routeplan.present.exports import agent_itinerary, inside, outcomes_template
from routeplan.present.folder import PlanFolder, read_plan_folder
from routeplan.present.map import build_map, render_map
from routeplan.present.sheets import build_index, build_sheet
from routeplan.travel.day import road_paths

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


def write_dispatch_outputs(plan_dir: Path | str, *, show_names: bool = False) -> list[Path]:
    """Read a plan folder and write its map, sheets, index and exports into it.

    Parameters
    ----------
    plan_dir
        Folder holding ``itineraries.csv``, ``dropped.csv``, ``checklist.csv``
        and ``summary.json``.
    show_names
        Show debtors' full names on the map (masked by default). Route sheets
        always show full names: each is the agent's own working document.

    Returns
    -------
    list of Path
        Every file written, map first.

    Raises
    ------
    routeplan.errors.InputError
        When a plan file or column is missing, a cell cannot be read, or
        ``sheets/`` or ``agents/`` is a link leading out of the folder.
    """
    folder = Path(plan_dir)
    plan = read_plan_folder(folder)
    # Check the sub-folders before writing or pruning anything: a linked-out ``sheets``
    # must not get files written into it, nor old sheets deleted from it.
    for sub in (SHEETS_DIR, AGENTS_DIR):
        inside(folder, folder / sub)
    stems = file_stems(plan.agents)
    written: list[Path] = []

    fmap = build_map(
        plan.itineraries,
        plan.dropped,
        plan.summary,
        plan.checklist,
        show_names=show_names,
        roads=road_paths(read_routes(folder), plan.itineraries),
    )
    written.append(write_text_atomic(folder / MAP_FILE, render_map(fmap)))

    itin = plan.itineraries
    with_visits = [
        a
        for a in plan.agents
        if ((itin["agent_id"] == a) & (itin["kind"] == schema.KIND_VISIT)).any()
    ]
    legal_hours = text(plan.summary.get("legal_hours"))
    jurisdiction = text(plan.summary.get("jurisdiction"))
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
        )
        sheet_path = inside(folder, folder / SHEETS_DIR / f"{stems[agent_id]}.html")
        sheets.append(write_text_atomic(sheet_path, html))
        csv_path = inside(folder, folder / AGENTS_DIR / f"{stems[agent_id]}.csv")
        csvs.append(write_csv_atomic(csv_path, agent_itinerary(itin, agent_id), spreadsheet=True))
    # An agent who lost all visits in an edit must not keep last run's sheet.
    prune_files(folder / SHEETS_DIR, sheets, "*.html")
    prune_files(folder / AGENTS_DIR, csvs, "*.csv")
    written += sheets

    index = build_index(plan.summary, with_visits, itineraries=itin, stems=stems)
    written.append(write_text_atomic(folder / INDEX_FILE, index))
    written += csvs
    written.append(
        write_csv_atomic(folder / OUTCOMES_TEMPLATE_FILE, outcomes_template(itin), spreadsheet=True)
    )
    return written
