"""The ``routeplan map`` command: redraw a plan folder's dispatch outputs.

The lead's ``routeplan/cli.py`` registers :data:`map_command` on the main group.
"""

from __future__ import annotations

from pathlib import Path

import click

from routeplan.cli_common import fail_cleanly, language_option, offline_assets_option
from routeplan.present import write_dispatch_outputs


@click.command("map")
@click.argument(
    "plan_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@click.option(
    "--show-names",
    is_flag=True,
    default=False,
    help="Show debtors' full names and addresses on the map (by default names are masked as "
    "王** / J*** S**** and addresses cut to street level).",
)
@language_option
@offline_assets_option
@fail_cleanly
def map_command(
    plan_dir: Path, show_names: bool, language: str | None, offline_assets: bool | None
) -> None:
    """Redraw map.html, route sheets, index.html and CSV exports from PLAN_DIR.

    Reads itineraries.csv, dropped.csv, checklist.csv and summary.json, so a
    dispatcher can edit itineraries.csv (move, drop or reorder stops) and
    redraw. Sheets of agents left without visits are removed. The language and
    the offline assets are those the plan was made with (summary.json) unless
    --language or --offline-assets/--cdn-assets say otherwise.

    Example:

        routeplan map plans/2026-12-01 --show-names --language en --offline-assets
    """
    written = write_dispatch_outputs(
        plan_dir,
        show_names=show_names,
        language=language.lower() if language else None,
        offline_assets=offline_assets,
    )
    sheets = sum(1 for p in written if p.parent.name == "sheets")
    click.echo(f"Wrote {len(written)} files to {plan_dir}: map.html, index.html, {sheets} sheets")
    click.echo(f"Open {plan_dir / 'index.html'}")
