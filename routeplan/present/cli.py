"""The ``routeplan map`` command: redraw a plan folder's dispatch outputs.

The lead's ``routeplan/cli.py`` registers :data:`map_command` on the main group.
"""

from __future__ import annotations

from pathlib import Path

import click

from routeplan.cli_common import fail_cleanly
from routeplan.present import write_dispatch_outputs


@click.command("map")
@click.argument(
    "plan_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@click.option(
    "--show-names",
    is_flag=True,
    default=False,
    help="Show debtors' full names on the map (masked as 王** / J*** S**** by default).",
)
@fail_cleanly
def map_command(plan_dir: Path, show_names: bool) -> None:
    """Redraw map.html, route sheets, index.html and CSV exports from PLAN_DIR.

    Reads itineraries.csv, dropped.csv, checklist.csv and summary.json, so a
    dispatcher can edit itineraries.csv (move, drop or reorder stops) and
    redraw. Sheets of agents left without visits are removed.

    Example:

        routeplan map plans/2026-12-01 --show-names
    """
    written = write_dispatch_outputs(plan_dir, show_names=show_names)
    sheets = sum(1 for p in written if p.parent.name == "sheets")
    click.echo(f"Wrote {len(written)} files to {plan_dir}: map.html, index.html, {sheets} sheets")
    click.echo(f"Open {plan_dir / 'index.html'}")
