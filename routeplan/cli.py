"""The ``routeplan`` command line: a thin layer over the library.

Each command parses its options, makes one call of :mod:`routeplan.commands`
(or of the module it lives beside) and prints the result, so that a notebook
can do everything the command line does. Expected failures (bad input, bad
config, failed check) end with one line on stderr and exit code 1; wrong
usage exits 2 (click). Progress goes to stderr, data to files and stdout.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from routeplan import schema as S
from routeplan.cli_common import (
    DATE,
    accounts_option,
    agents_option,
    cli_config,
    config_option,
    date_option,
    db_option,
    encoding_option,
    fail_cleanly,
    file_option,
    jurisdiction_option,
    language_option,
    offline_assets_option,
    progress_printer,
    quiet_option,
    solution_limit_option,
    time_limit_option,
    travel_option,
)
from routeplan.config import JURISDICTIONS
from routeplan.regions_cli import REGION_FIELDS, RegionOptions, region_options

if TYPE_CHECKING:
    from routeplan.commands import PlanRun


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="routeplan")
def main() -> None:
    """Plan lawful, efficient field debt-collection visits.

    Example: routeplan plan --accounts accounts.csv --agents agents.csv --out plans/today
    """


@main.command("plan")
@accounts_option
@agents_option
@date_option
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Plan folder to write.",
)
@config_option
@jurisdiction_option
@time_limit_option
@solution_limit_option
@click.option(
    "--reproducible/--time-limited",
    default=None,
    help="Bound the search by work instead of the clock: the same inputs, config and seed "
    "give the same plan on any machine (default: [solver] reproducible, else time-limited).",
)
@db_option
@encoding_option
@click.option("--show-names", is_flag=True, help="Show full debtor names and addresses on the map.")
@language_option
@offline_assets_option
@click.option(
    "--no-geocode", is_flag=True, help="Do not geocode; accounts without coordinates are rejected."
)
@click.option(
    "--force",
    is_flag=True,
    help="Plan into a folder holding files changed by hand (filled outcomes, an edited "
    "itinerary): they are moved to DIR/backup-YYYYmmdd-HHMMSS/ first.",
)
@travel_option
@file_option(
    "--availability",
    "availability_path",
    "availability.csv: date, agent_id, off, shift_start, shift_end; the rows of --date "
    "override agents.csv (as in plan-week; give the week's file with --week).",
)
@click.option(
    "--week",
    "week_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Re-plan --date of this week folder (routeplan plan-week): its visits of the day "
    "are kept with their agent unless moving one pays more than [replan] "
    "move_penalty_min; accounts it placed on a later date are dropped as "
    "planned_another_day. With --db the outcomes recorded since apply.",
)
@quiet_option
@region_options
@fail_cleanly
def plan_command(**options: Any) -> None:
    """Plan a day of visits and write the plan folder.

    A folder holding files changed since routeplan wrote them (filled
    outcomes, an edited itineraries.csv) is refused unless --force, which
    moves them to a backup folder inside it first. With --db the recorded
    outcomes shape the plan and the plan is stored in the database. With
    --travel (e.g. osm:data/samples/helsinki/Helsinki.osm.pbf) travel times
    are road times instead of straight lines.

    With --week WEEK_DIR the day is one of a week plan's dates (else exit
    1): the week's visits of that date are the routes in force, priced as
    routeplan replan prices them; --out must not be the week's own folder of
    the date unless --force. The stderr line and summary.json's "week" say
    how many of the week's visits were kept with their agent, moved or
    dropped. --week without --db plans without history. Give the week's
    --availability too, so that agents on leave stay off.

    With --region-column (or --regions, or --split auto) each region is
    planned as its own day on a Dask cluster, into OUT/REGION/.

    Example: routeplan plan --accounts data/samples/accounts.csv
    --agents data/samples/agents.csv --date 2026-12-01 --out plans/demo
    """
    from routeplan.commands import FolderOptions, plan_to_folder

    regions = RegionOptions(**{name: options.pop(name) for name in REGION_FIELDS})
    regions.check()
    week_dir = options.pop("week_dir")
    availability = options.pop("availability_path")
    args = _PlanArgs(**options)
    cfg = cli_config(
        args.config_path,
        args.jurisdiction,
        solver__time_limit_s=args.time_limit,
        solver__solution_limit=args.solution_limit,
        solver__reproducible=args.reproducible,
        output__language=args.language,
        output__offline_assets=args.offline_assets,
        travel__provider=args.travel,
    )
    folder = FolderOptions(
        encoding=args.encoding,
        geocode=not args.no_geocode,
        show_names=args.show_names,
        force=args.force,
        week=week_dir,
        availability=availability,
    )
    if regions.active and (week_dir is not None or availability is not None):
        raise click.UsageError("--week and --availability go without region options")
    if regions.active:
        from routeplan.regions_cli import RegionsRequest, plan_regions_cli

        request = RegionsRequest(
            args.accounts_path, args.agents_path, args.out_dir, cfg, args.plan_date, args.db_path
        )
        plan_regions_cli(regions, request, folder=folder, progress=progress_printer(args.quiet))
        return
    run = plan_to_folder(
        args.accounts_path,
        args.agents_path,
        args.out_dir,
        date=args.plan_date,
        config=cfg,
        db=args.db_path,
        options=folder,
        progress=progress_printer(args.quiet),
    )
    click.echo(_plan_line(run))


@dataclass(frozen=True)
class _PlanArgs:
    """The options of ``routeplan plan`` as click converted them (one field per option)."""

    accounts_path: Path
    agents_path: Path
    plan_date: dt.date | None
    out_dir: Path
    config_path: Path | None
    jurisdiction: str | None
    time_limit: float | None
    solution_limit: int | None
    reproducible: bool | None
    db_path: Path | None
    encoding: str | None
    show_names: bool
    language: str | None
    offline_assets: bool | None
    no_geocode: bool
    force: bool
    travel: str | None
    quiet: bool


def _plan_line(run: PlanRun) -> str:
    """Return the one line ``plan`` prints: visits, money, km and where every account went."""
    s = run.plan.summary
    c = s.counts
    rows = "row" if c.rejected_rows == 1 else "rows"
    return (
        f"{run.plan.date.isoformat()}: {c.planned} visits by {c.agents_with_visits} "
        f"agents; expected recovery {s.expected_recovery_covered:,.0f} of "
        f"{s.expected_recovery_eligible:,.0f} eligible; {s.travel_km:,.1f} km; "
        f"{c.eligible} eligible, {c.excluded} excluded, {c.dropped} dropped, "
        f"{c.rejected_rows} {rows} rejected -> {run.out_dir}"
    )


@main.command("check")
@accounts_option
@agents_option
@click.option(
    "--date",
    "plan_date",
    type=DATE,
    default=None,
    help="Plan date YYYY-MM-DD (default: the date in the plan's summary.json, else today).",
)
@click.argument("plan_dir", type=click.Path(file_okay=False, path_type=Path))
@config_option
@click.option(
    "--jurisdiction",
    type=click.Choice(sorted(JURISDICTIONS), case_sensitive=False),
    default=None,
    help="Legal visiting hours/days profile (default: the one in the plan's summary.json, "
    "else the config's).",
)
@db_option
@encoding_option
@click.option(
    "--region-column",
    default=None,
    metavar="NAME",
    help="Check a region's plan folder (or every region of a regions run's folder) against "
    "the rows of its region only, with its own rules.",
)
@travel_option
@fail_cleanly
def check_command(**options: Any) -> None:
    """Re-check a plan folder (or an edited itineraries.csv) against inputs and rules.

    Lists every violation and exits 1 if there is any. The date and the
    jurisdiction default to those in the plan's summary.json. With --db the
    history's exclusions apply as in plan --db (the database is only read).
    Travel times are checked with the travel model recorded in summary.json;
    --travel checks them with another one (e.g. a straight-line plan against
    road times: every late arrival is listed).

    Example: routeplan check --accounts accounts.csv --agents agents.csv
    --date 2026-12-01 plans/demo
    """
    from routeplan.commands import CheckOptions, check_plan_inputs, plan_rules

    args = _CheckArgs(**options)
    cfg = cli_config(args.config_path, None)
    if args.region_column is not None:
        from routeplan.regions_cli import check_regions_cli

        check_regions_cli(
            args.plan_dir,
            args.accounts_path,
            args.agents_path,
            args.region_column,
            encoding=args.encoding,
            rules=lambda d: plan_rules(d, args.plan_date, cfg, args.jurisdiction),
            db=args.db_path,
            travel=args.travel,
        )
        return
    report = check_plan_inputs(
        args.plan_dir,
        args.accounts_path,
        args.agents_path,
        args.plan_date,
        config=cfg,
        jurisdiction=args.jurisdiction,
        db=args.db_path,
        options=CheckOptions(
            encoding=args.encoding, travel=args.travel, progress=progress_printer(False)
        ),
    )
    for v in report.violations:
        click.echo(v.message())
    if report.violations:
        raise click.ClickException(
            f"{len(report.violations)} violation(s) in {args.plan_dir} "
            f"(checked with {report.travel} travel times)"
        )
    click.echo(
        f"OK: {args.plan_dir} has no violation ({report.date.isoformat()}, "
        f"{report.config.jurisdiction}, {report.travel} travel times)"
    )


@dataclass(frozen=True)
class _CheckArgs:
    """The options of ``routeplan check`` as click converted them (one field per option)."""

    accounts_path: Path
    agents_path: Path
    plan_date: dt.date | None
    plan_dir: Path
    config_path: Path | None
    jurisdiction: str | None
    db_path: Path | None
    encoding: str | None
    region_column: str | None
    travel: str | None


@main.command("retime")
@click.argument(
    "plan_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@file_option(
    "--accounts",
    "accounts_path",
    "accounts.csv the plan was made from (only for a folder without plan_context.json).",
)
@file_option(
    "--agents",
    "agents_path",
    "agents.csv the plan was made from (only for a folder without plan_context.json).",
)
@config_option
@jurisdiction_option
@encoding_option
@click.option("--show-names", is_flag=True, help="Show full debtor names on the redrawn map.")
@fail_cleanly
def retime_command(
    plan_dir: Path,
    accounts_path: Path | None,
    agents_path: Path | None,
    config_path: Path | None,
    jurisdiction: str | None,
    encoding: str | None,
    show_names: bool,
) -> None:
    """Re-time a plan folder after itineraries.csv was edited by hand, and redraw it.

    Keeps each agent's visits in the edited order (by stop_no; a visit row
    given another agent's id moves to that agent), recomputes every time
    with the plan's travel model and rules, renumbers the stops, moves
    deleted visits to dropped.csv (removed_by_dispatcher) and redraws the
    map and sheets. Every rule still broken (a window missed, the shift
    overrun, legal hours) is printed on stderr and written to retime.csv;
    the exit code is then 1. The edited file is kept in backup-.../.

    Example: routeplan retime plans/2026-12-01
    """
    from routeplan.commands import retime_folder
    from routeplan.retime import RETIME_FILE

    with_inputs = accounts_path is not None or agents_path is not None
    if not with_inputs and (config_path is not None or jurisdiction is not None):
        raise click.UsageError(
            "--config and --jurisdiction go with --accounts and --agents (the folder's "
            "plan_context.json holds the rules it was planned with)"
        )
    if with_inputs and (accounts_path is None or agents_path is None):
        raise click.UsageError("give both --accounts and --agents (or neither)")
    result = retime_folder(
        plan_dir,
        accounts=accounts_path,
        agents=agents_path,
        config=cli_config(config_path, None) if with_inputs else None,
        jurisdiction=jurisdiction,
        encoding=encoding,
        show_names=show_names,
    )
    for aid in result.removed:
        click.echo(
            f"account {aid}: removed by hand -> dropped.csv (removed_by_dispatcher)", err=True
        )
    for v in result.violations:
        click.echo(v.message(), err=True)
    visits = result.itineraries[result.itineraries[S.KIND] == S.EventKind.VISIT]
    click.echo(
        f"Re-timed {plan_dir}: {len(visits)} visits by {visits['agent_id'].nunique()} agents, "
        f"{len(result.removed)} removed, {len(result.restored)} put back on a route"
    )
    if result.violations:
        raise click.ClickException(
            f"{len(result.violations)} violation(s) remain after re-timing {plan_dir} "
            f"(listed above and in {plan_dir / RETIME_FILE}; the map and sheets carry a "
            "warning): edit itineraries.csv again and re-run routeplan retime"
        )


def _register_commands() -> None:
    """Add the commands that live beside their own modules."""
    from routeplan.audit_cli import audit_command
    from routeplan.history_cli import history_command, record_command, report_command
    from routeplan.present.cli import map_command
    from routeplan.replan_cli import replan_command
    from routeplan.week_cli import plan_week_command

    for cmd in (
        map_command,
        record_command,
        history_command,
        report_command,
        audit_command,
        replan_command,
    ):
        main.add_command(cmd)
    main.add_command(plan_week_command)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
