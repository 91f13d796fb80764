"""The ``routeplan`` command line: a thin layer over the library.

Expected failures (bad input, bad config, failed check) end with one line
on stderr and exit code 1; wrong usage exits 2 (click). Progress goes to
stderr, data to files and stdout.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from routeplan.cli_common import DATE, fail_cleanly, language_option, offline_assets_option
from routeplan.config import JURISDICTIONS, Config, load_config


def _progress(quiet: bool) -> Callable[[str], None]:
    if quiet:
        return lambda _msg: None

    def emit(msg: str) -> None:
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        click.echo(f"[{stamp}] {msg}", err=True)

    return emit


# --- shared options (defined once) ----------------------------------------------------


def _file_option(flag: str, dest: str, help: str, *, required: bool = False) -> Any:
    """Return a click option naming an input file (``dest`` gets a ``Path`` or None)."""
    return click.option(
        flag,
        dest,
        required=required,
        default=None,
        type=click.Path(dir_okay=False, path_type=Path),
        help=help,
    )


accounts_option = _file_option(
    "--accounts", "accounts_path", "Portfolio CSV (accounts.csv).", required=True
)
agents_option = _file_option(
    "--agents", "agents_path", "Field agents CSV (agents.csv).", required=True
)
date_option = click.option(
    "--date",
    "plan_date",
    type=DATE,
    default=None,
    help="Plan date YYYY-MM-DD (default: today).",
)
config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="routeplan.toml with rules and solver settings.",
)
jurisdiction_option = click.option(
    "--jurisdiction",
    type=click.Choice(sorted(JURISDICTIONS), case_sensitive=False),
    default=None,
    help="Legal visiting hours/days profile (overrides the config; default CN).",
)
encoding_option = click.option(
    "--encoding",
    default=None,
    help="Input text encoding (default: detect UTF-8 with/without BOM or GB18030).",
)
db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="History database (SQLite) to read outcomes from and store the plan in.",
)
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")


def _config(config_path: Path | None, jurisdiction: str | None, **overrides: Any) -> Config:
    cfg = load_config(config_path)
    changes = {k: v for k, v in overrides.items() if v is not None}
    if jurisdiction:
        changes["jurisdiction"] = jurisdiction.upper()
    return cfg.replace(**changes) if changes else cfg


def _date(value: dt.date | None) -> dt.date:
    return value if value else dt.date.today()


def _plan_rules(
    plan_dir: Path, plan_date: dt.date | None, config_path: Path | None, jurisdiction: str | None
) -> tuple[dt.date | None, Config]:
    """Return a plan folder's date and rules: the options first, else its summary.json.

    The date is None when neither gives one.
    """
    from routeplan.io.safe import read_json

    summary_path = plan_dir / "summary.json"
    summary = read_json(summary_path) if summary_path.exists() else {}
    if not isinstance(summary, dict):
        raise click.ClickException(f"{summary_path}: not a JSON object")
    if jurisdiction is None and summary.get("jurisdiction"):
        jurisdiction = str(summary["jurisdiction"])
        if jurisdiction.upper() not in JURISDICTIONS:
            raise click.ClickException(
                f"{summary_path}: jurisdiction {jurisdiction!r} is not one of "
                f"{', '.join(JURISDICTIONS)}; give --jurisdiction"
            )
    cfg = _config(config_path, jurisdiction)
    if plan_date is not None or not summary.get("date"):
        return plan_date, cfg
    try:
        return dt.date.fromisoformat(str(summary["date"])), cfg
    except ValueError as exc:
        raise click.ClickException(
            f"{summary_path}: date {summary['date']!r} is not YYYY-MM-DD; give --date"
        ) from exc


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
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1, max=86400),
    default=None,
    help="Solver time limit in seconds (default 30, or the config).",
)
@click.option(
    "--solution-limit",
    type=click.IntRange(min=1),
    default=None,
    help="Stop the search after this many solutions.",
)
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
@quiet_option
@fail_cleanly
def plan_command(
    accounts_path: Path,
    agents_path: Path,
    plan_date: dt.date | None,
    out_dir: Path,
    config_path: Path | None,
    jurisdiction: str | None,
    time_limit: float | None,
    solution_limit: int | None,
    reproducible: bool | None,
    db_path: Path | None,
    encoding: str | None,
    show_names: bool,
    language: str | None,
    offline_assets: bool | None,
    no_geocode: bool,
    force: bool,
    quiet: bool,
) -> None:
    """Plan a day of visits and write the plan folder.

    A folder holding files changed since routeplan wrote them (filled
    outcomes, an edited itineraries.csv) is refused unless --force, which
    moves them to a backup folder inside it first.

    Example: routeplan plan --accounts data/samples/accounts.csv
    --agents data/samples/agents.csv --date 2026-12-01 --out plans/demo
    """
    from routeplan.errors import ChangedFilesError
    from routeplan.io.geocode import GeocodeCache, make_geocoder
    from routeplan.io.planfiles import changed_plan_files
    from routeplan.plan import load_inputs, plan_day

    changed = [] if force else changed_plan_files(out_dir)
    if changed:  # before the solver runs for nothing
        raise ChangedFilesError(str(out_dir), changed)
    progress = _progress(quiet)
    cfg = _config(
        config_path,
        jurisdiction,
        solver__time_limit_s=time_limit,
        solver__solution_limit=solution_limit,
        solver__reproducible=reproducible,
        output__language=language,
        output__offline_assets=offline_assets,
    )
    day = _date(plan_date)
    geocoder = None if no_geocode else make_geocoder(cfg.geocode)
    cache = GeocodeCache(cfg.geocode.cache_path) if geocoder is not None else None
    try:
        inputs = load_inputs(
            accounts_path,
            agents_path,
            encoding=encoding,
            geocoder=geocoder,
            geocode_cache=cache,
            progress=progress,
        )
    finally:
        if cache is not None:
            cache.close()
    history = None
    store = None
    if db_path is not None:
        from routeplan.history import apply_history
        from routeplan.io.store import Store

        store = Store(db_path)
        outcomes = store.outcomes(until=day)
        history = apply_history(inputs.accounts, outcomes, day, cfg.history)
        progress(f"history: {len(outcomes)} outcomes, {len(history.exclusions)} exclusions")
    try:
        plan = plan_day(inputs, day, cfg, history=history, progress=progress)
        progress(f"writing plan folder {out_dir}")
        plan.write(out_dir, show_names=show_names, force=force)
        if store is not None:
            plan_id = store.save(plan)
            progress(f"plan stored in {db_path} as plan {plan_id}")
    finally:
        if store is not None:
            store.close()
    s = plan.summary
    c = s["counts"]
    click.echo(
        f"{day.isoformat()}: {c['planned']} visits by {c['agents_with_visits']} agents; "
        f"expected recovery {s['expected_recovery_covered']:,.0f} of "
        f"{s['expected_recovery_eligible']:,.0f} eligible; {s['travel_km']:,.1f} km; "
        f"{c['eligible']} eligible, {c['excluded']} excluded, {c['dropped']} dropped, "
        f"{c['rejected_rows']} {'row' if c['rejected_rows'] == 1 else 'rows'} rejected -> {out_dir}"
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
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="History database (SQLite) written by 'plan --db': its recorded outcomes' exclusions "
    "are applied as in 'plan --db'; nothing is stored in it (a missing file is an error).",
)
@encoding_option
@fail_cleanly
def check_command(
    accounts_path: Path,
    agents_path: Path,
    plan_date: dt.date | None,
    plan_dir: Path,
    config_path: Path | None,
    jurisdiction: str | None,
    db_path: Path | None,
    encoding: str | None,
) -> None:
    """Re-check a plan folder (or an edited itineraries.csv) against inputs and rules.

    Lists every violation and exits 1 if there is any. The date and the
    jurisdiction default to those in the plan's summary.json.

    Example: routeplan check --accounts accounts.csv --agents agents.csv
    --date 2026-12-01 plans/demo
    """
    from routeplan.check import check_plan
    from routeplan.io.readers import read_accounts, read_agents

    if not plan_dir.is_dir():
        raise click.ClickException(f"{plan_dir}: plan folder not found")
    summary_day, cfg = _plan_rules(plan_dir, plan_date, config_path, jurisdiction)
    day = _date(summary_day)
    accounts = read_accounts(accounts_path, encoding=encoding).frame
    agents = read_agents(agents_path, encoding=encoding).frame
    extra = None
    if db_path is not None:
        if not db_path.is_file():
            raise click.ClickException(f"{db_path}: no history database (give the plan's --db)")
        from routeplan.history import apply_history
        from routeplan.io.store import Store

        with Store(db_path) as store:
            history = apply_history(accounts, store.outcomes(until=day), day, cfg.history)
        accounts, extra = history.accounts, history.exclusions
    violations = check_plan(plan_dir, accounts, agents, day, cfg, extra_exclusions=extra)
    for v in violations:
        click.echo(v.message())
    if violations:
        raise click.ClickException(f"{len(violations)} violation(s) in {plan_dir}")
    click.echo(f"OK: {plan_dir} has no violation ({day.isoformat()}, {cfg.jurisdiction})")


@main.command("retime")
@click.argument(
    "plan_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@_file_option(
    "--accounts",
    "accounts_path",
    "accounts.csv the plan was made from (only for a folder without plan_context.json).",
)
@_file_option(
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
    from routeplan.retime import RETIME_FILE, retime_plan_folder

    context = None
    if accounts_path is None and agents_path is None:
        if config_path is not None or jurisdiction is not None:
            raise click.UsageError(
                "--config and --jurisdiction go with --accounts and --agents (the folder's "
                "plan_context.json holds the rules it was planned with)"
            )
    else:
        context = _context_from_inputs(
            plan_dir, accounts_path, agents_path, config_path, jurisdiction, encoding
        )
    result = retime_plan_folder(plan_dir, context=context, show_names=show_names)
    for aid in result.removed:
        click.echo(
            f"account {aid}: removed by hand -> dropped.csv (removed_by_dispatcher)", err=True
        )
    for v in result.violations:
        click.echo(v.message(), err=True)
    visits = result.itineraries[result.itineraries["kind"] == "visit"]
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


def _context_from_inputs(
    plan_dir: Path,
    accounts_path: Path | None,
    agents_path: Path | None,
    config_path: Path | None,
    jurisdiction: str | None,
    encoding: str | None,
) -> Any:
    """Return the plan context built from input files, for a folder made without one."""
    from routeplan.io.context import PlanContext
    from routeplan.io.readers import read_accounts, read_agents
    from routeplan.present.folder import read_excluded

    if accounts_path is None or agents_path is None:
        raise click.UsageError("give both --accounts and --agents (or neither)")
    day, cfg = _plan_rules(plan_dir, None, config_path, jurisdiction)
    if day is None:
        raise click.ClickException(f"{plan_dir / 'summary.json'}: no plan date in it")
    accounts = read_accounts(accounts_path, encoding=encoding).frame
    agents = read_agents(agents_path, encoding=encoding).frame
    excluded = read_excluded(plan_dir / "excluded.csv")
    plannable = accounts[~accounts["account_id"].isin(excluded) & accounts["lat"].notna()]
    return PlanContext(day, cfg, agents, plannable.reset_index(drop=True))


def _register_commands() -> None:
    """Add the commands that live beside their own modules."""
    from routeplan.history_cli import history_command, record_command, report_command
    from routeplan.present.cli import map_command

    for cmd in (map_command, record_command, history_command, report_command):
        main.add_command(cmd)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
