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

from routeplan.cli_common import DATE, fail_cleanly
from routeplan.config import JURISDICTIONS, Config, load_config


def _progress(quiet: bool) -> Callable[[str], None]:
    if quiet:
        return lambda _msg: None

    def emit(msg: str) -> None:
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        click.echo(f"[{stamp}] {msg}", err=True)

    return emit


# --- shared options (defined once) ----------------------------------------------------

accounts_option = click.option(
    "--accounts",
    "accounts_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Portfolio CSV (accounts.csv).",
)
agents_option = click.option(
    "--agents",
    "agents_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Field agents CSV (agents.csv).",
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
travel_option = click.option(
    "--travel",
    default=None,
    metavar="haversine|osm:FILE.osm.pbf|osrm:URL|matrix:FILE",
    help="Travel model (overrides [travel] provider; default haversine: straight lines).",
)


def _config(config_path: Path | None, jurisdiction: str | None, **overrides: Any) -> Config:
    cfg = load_config(config_path)
    changes = {k: v for k, v in overrides.items() if v is not None}
    if jurisdiction:
        changes["jurisdiction"] = jurisdiction.upper()
    return cfg.replace(**changes) if changes else cfg


def _date(value: dt.date | None) -> dt.date:
    return value if value else dt.date.today()


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
@db_option
@encoding_option
@click.option("--show-names", is_flag=True, help="Show full debtor names on the map.")
@click.option(
    "--no-geocode", is_flag=True, help="Do not geocode; accounts without coordinates are rejected."
)
@travel_option
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
    db_path: Path | None,
    encoding: str | None,
    show_names: bool,
    no_geocode: bool,
    travel: str | None,
    quiet: bool,
) -> None:
    """Plan a day of visits and write the plan folder.

    Example: routeplan plan --accounts data/samples/accounts.csv
    --agents data/samples/agents.csv --date 2026-12-01 --out plans/demo
    [--travel osm:data/samples/helsinki/Helsinki.osm.pbf]
    """
    from routeplan.io.geocode import GeocodeCache, make_geocoder
    from routeplan.plan import load_inputs, plan_day

    progress = _progress(quiet)
    cfg = _config(
        config_path,
        jurisdiction,
        solver__time_limit_s=time_limit,
        solver__solution_limit=solution_limit,
        travel__provider=travel,
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
        plan.write(out_dir, show_names=show_names)
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
@date_option
@click.argument("plan_dir", type=click.Path(file_okay=False, path_type=Path))
@config_option
@jurisdiction_option
@db_option
@encoding_option
@travel_option
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
    travel: str | None,
) -> None:
    """Re-check a plan folder (or an edited itineraries.csv) against inputs and rules.

    Lists every violation and exits 1 if there is any. The jurisdiction
    defaults to the one in the plan's summary.json, and travel times are
    checked with the travel model recorded there; --travel checks them with
    another one (e.g. a straight-line plan against road times: every late
    arrival is listed).

    Example: routeplan check --accounts accounts.csv --agents agents.csv
    --date 2026-12-01 plans/demo
    """
    from routeplan.check import check_plan
    from routeplan.io.readers import read_accounts, read_agents
    from routeplan.io.safe import read_json

    if not plan_dir.is_dir():
        raise click.ClickException(f"{plan_dir}: plan folder not found")
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
    if plan_date is None and summary.get("date"):
        try:
            day = dt.date.fromisoformat(str(summary["date"]))
        except ValueError as exc:
            raise click.ClickException(
                f"{summary_path}: date {summary['date']!r} is not YYYY-MM-DD; give --date"
            ) from exc
    else:
        day = _date(plan_date)
    accounts = read_accounts(accounts_path, encoding=encoding).frame
    agents = read_agents(agents_path, encoding=encoding).frame
    extra = None
    if db_path is not None:
        from routeplan.history import apply_history
        from routeplan.io.store import Store

        with Store(db_path) as store:
            history = apply_history(accounts, store.outcomes(until=day), day, cfg.history)
        accounts, extra = history.accounts, history.exclusions
    from routeplan.travel.factory import model_from_record, travel_model

    progress = _progress(False)
    record = summary.get("travel")
    if travel is None and isinstance(record, dict):
        model = model_from_record(record, cfg.travel, source=str(summary_path), progress=progress)
    else:
        model = travel_model(cfg.travel, provider=travel, progress=progress)
    with model:
        provider = model.describe()["provider"]
        violations = check_plan(
            plan_dir, accounts, agents, day, cfg, extra_exclusions=extra, travel=model
        )
    for v in violations:
        click.echo(v.message())
    if violations:
        raise click.ClickException(
            f"{len(violations)} violation(s) in {plan_dir} (checked with {provider} travel times)"
        )
    click.echo(
        f"OK: {plan_dir} has no violation ({day.isoformat()}, {cfg.jurisdiction}, "
        f"{provider} travel times)"
    )


def _register_commands() -> None:
    """Add the commands that live beside their own modules."""
    from routeplan.history_cli import history_command, record_command, report_command
    from routeplan.present.cli import map_command

    for cmd in (map_command, record_command, history_command, report_command):
        main.add_command(cmd)


_register_commands()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
