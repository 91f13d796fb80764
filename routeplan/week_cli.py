"""``routeplan plan-week``: plan several days as one problem into a week folder.

:func:`plan_week_to_folder` is the library call (files in, week folder out);
the click command parses its options, calls it and prints one line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
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
    db_option,
    encoding_option,
    fail_cleanly,
    file_option,
    jurisdiction_option,
    progress_printer,
    quiet_option,
    solution_limit_option,
    time_limit_option,
    travel_option,
)
from routeplan.config import Config
from routeplan.errors import ChangedFilesError, InputError
from routeplan.solver.model import Progress

if TYPE_CHECKING:
    import pandas as pd

    from routeplan.history import HistoryAdjustment
    from routeplan.io.store import Store
    from routeplan.plan import Inputs
    from routeplan.week import WeekPlan

__all__ = ["WeekRequest", "plan_week_command", "plan_week_to_folder", "with_availability"]


@dataclass(frozen=True)
class WeekRequest:
    """What ``plan-week`` plans: input files, horizon, and how to read and write."""

    accounts: Path
    agents: Path
    first: dt.date
    days: int
    availability: Path | None = None
    db: Path | None = None
    encoding: str | None = None
    geocode: bool = True
    show_names: bool = False
    force: bool = False


def plan_week_to_folder(
    request: WeekRequest,
    out_dir: str | Path,
    config: Config | None = None,
    progress: Progress | None = None,
) -> WeekPlan:
    """Plan the horizon of ``request`` and write the week folder (``routeplan plan-week``).

    ``out_dir`` gets one plan folder per date (``YYYY-MM-DD``, the daily
    format), ``week.csv``, ``week_summary.json``, ``week_map.html`` and
    ``week_sheets/AGENT.html``. Rows of ``availability.csv`` that cannot be
    used are refused into every day's ``rejected.csv`` (file, row, column).
    With ``db`` (it must exist) the recorded outcomes shape each day, and
    once the folder is written each day's plan is stored in it as ``plan
    --db`` stores a daily plan (one stored plan per date, so ``report``,
    ``history``, ``record`` and ``check --db`` see them; a later plan of the
    same date, e.g. ``plan --week``, supersedes it in ``report``).

    Raises
    ------
    ChangedFilesError
        A day's folder holds files changed by hand and ``request.force`` is not set.
    InputError
        An input file cannot be used at all.
    """
    from routeplan.commands import FolderOptions, load_plan_inputs
    from routeplan.io.planfiles import changed_plan_files
    from routeplan.week import plan_horizon

    say: Progress = progress or (lambda _msg: None)
    cfg = config or Config()
    out = Path(out_dir)
    if not request.force:
        for k in range(request.days):
            day_dir = out / (request.first + dt.timedelta(days=k)).isoformat()
            changed = changed_plan_files(day_dir)
            if changed:
                raise ChangedFilesError(str(day_dir), changed)
    opts = FolderOptions(encoding=request.encoding, geocode=request.geocode)
    inputs = load_plan_inputs(request.accounts, request.agents, cfg, opts, say)
    inputs, availability = with_availability(inputs, request.availability, request.encoding, say)
    store = _open_store(request.db)
    try:
        history_for = None
        if store is not None:
            history_for = _history_reader(store, inputs.accounts, cfg)
        week = plan_horizon(
            inputs,
            request.first,
            request.days,
            cfg,
            availability=availability,
            history_for=history_for,
            progress=say,
        )
        say(f"writing week folder {out}")
        week.write(out, show_names=request.show_names, force=request.force)
        if store is not None:
            ids = [store.save(plan) for plan in week.days]
            say(f"{len(ids)} day plans stored in {request.db} as plans {ids[0]}-{ids[-1]}")
    finally:
        if store is not None:
            store.close()
    return week


def with_availability(
    inputs: Inputs, path: str | Path | None, encoding: str | None, say: Progress
) -> tuple[Inputs, pd.DataFrame | None]:
    """Return ``inputs`` with ``availability.csv``'s refused rows, and its usable rows.

    Rows that cannot be used (file, row, column) join ``inputs.rejected``, so
    they reach ``rejected.csv``. Without a file (``path`` None): ``inputs``
    unchanged and None.
    """
    from routeplan.io.readers import read_availability

    if path is None:
        return inputs, None
    read = read_availability(path, inputs.agents, encoding=encoding)
    if read.rejected:
        say(f"{len(read.rejected)} availability rows refused (see rejected.csv)")
    joined = dataclasses.replace(inputs, rejected=(*inputs.rejected, *read.rejected))
    return joined, read.frame


def _open_store(db: Path | None) -> Store | None:
    """Open the history database (it must exist: a week is planned from recorded history)."""
    if db is None:
        return None
    from routeplan.io.store import Store

    if not db.exists():
        raise InputError(f"{db}: history database not found")
    return Store(db)


def _history_reader(store: Store, accounts: Any, cfg: Config) -> Any:
    """Return ``date -> HistoryAdjustment`` over the recorded outcomes (read once)."""
    from routeplan.history import apply_history

    outcomes = store.outcomes()
    names = store.agent_names()
    outcomes["agent_name"] = [names.get(str(a), "") for a in outcomes[S.AGENT_ID]]
    cache: dict[dt.date, HistoryAdjustment] = {}

    def history_for(day: dt.date) -> HistoryAdjustment:
        if day not in cache:
            cache[day] = apply_history(accounts, outcomes, day, cfg.history)
        return cache[day]

    return history_for


@click.command("plan-week")
@accounts_option
@agents_option
@click.option("--from", "first", type=DATE, required=True, help="First day YYYY-MM-DD.")
@click.option(
    "--days", type=click.IntRange(min=1, max=31), default=5, show_default=True, help="Days."
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Week folder to write (one plan folder per date inside).",
)
@file_option(
    "--availability",
    "availability_path",
    "availability.csv: date, agent_id, off, shift_start, shift_end (overrides agents.csv per day).",
)
@config_option
@jurisdiction_option
@time_limit_option
@solution_limit_option
@db_option
@encoding_option
@click.option("--show-names", is_flag=True, help="Show full debtor names on the map and sheets.")
@click.option(
    "--no-geocode", is_flag=True, help="Do not geocode; accounts without coordinates are rejected."
)
@click.option("--force", is_flag=True, help="Write over day folders holding files changed by hand.")
@travel_option
@quiet_option
@fail_cleanly
def plan_week_command(**options: Any) -> None:
    """Plan several days at once: who visits whom on which day.

    Every agent-day is a vehicle and every account one optional visit worth
    less each day it waits ([week] prize_decay_per_day); an account's own
    agent earns a bonus ([week] continuity). At most one visit per account,
    unless [week] max_visits_per_account allows more (min_days_between_visits
    apart, each repeat worth [week] repeat_value_share of a first visit).
    Writes one plan folder per date (each passes routeplan check for its
    date), week.csv, week_summary.json,
    week_map.html and week_sheets/. With --db (an existing history database)
    the recorded outcomes shape every day and each day's plan is stored in
    it, as plan --db stores a daily plan: report, history and check --db see
    the week.

    Example: routeplan plan-week --accounts data/samples/accounts.csv
    --agents data/samples/agents.csv --availability data/samples/availability.csv
    --config data/samples/week.toml --from 2026-12-07 --days 5 --out plans/week-50
    """
    cfg = cli_config(
        options["config_path"],
        options["jurisdiction"],
        solver__time_limit_s=options["time_limit"],
        solver__solution_limit=options["solution_limit"],
        travel__provider=options["travel"],
    )
    request = WeekRequest(
        accounts=options["accounts_path"],
        agents=options["agents_path"],
        first=options["first"],
        days=options["days"],
        availability=options["availability_path"],
        db=options["db_path"],
        encoding=options["encoding"],
        geocode=not options["no_geocode"],
        show_names=options["show_names"],
        force=options["force"],
    )
    week = plan_week_to_folder(
        request, options["out_dir"], cfg, progress=progress_printer(options["quiet"])
    )
    s = week.summary
    repeats = f" ({s['accounts_visited']} accounts)" if s.get("repeat_visits") else ""
    click.echo(
        f"{week.dates[0].isoformat()} to {week.dates[-1].isoformat()}: "
        f"{s['visits']} visits{repeats}; "
        f"expected recovery {s['expected_recovery']:,.0f} "
        f"(discounted {s['discounted_expected_recovery']:,.0f}); {s['travel_km']:,.1f} km "
        f"-> {options['out_dir']}"
    )
