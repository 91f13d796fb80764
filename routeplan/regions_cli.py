"""``routeplan plan`` over many regions: the options and the run (a thin layer).

``--region-column NAME`` (or ``--regions FILE``, whose regions are read from a
``region`` column by default) or ``--split auto[:N]`` turn ``plan`` into a
regions run; ``--scheduler`` and ``--workers`` say where it runs. The work is
:func:`routeplan.regions_run.plan_regions`; this module only reads the
options, makes the executor and reports.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from routeplan.execution import Executor, InProcessExecutor
from routeplan.execution_dask import ClusterConfig, DaskExecutor

if TYPE_CHECKING:
    from routeplan.commands import FolderOptions
    from routeplan.config import Config

__all__ = ["REGION_FIELDS", "RegionOptions", "RegionsRequest", "plan_regions_cli", "region_options"]

#: the click parameters :func:`region_options` adds (the fields of :class:`RegionOptions`)
REGION_FIELDS = ("region_column", "regions_path", "split", "scheduler", "workers")


def _split_value(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """Return ``--split``'s agents per region: 0 for ``auto``, N for ``auto:N``, None unset."""
    if value is None:
        return None
    text = value.strip().lower()
    if text == "auto":
        return 0
    head, _, n = text.partition(":")
    if head == "auto" and n.isdigit() and int(n) >= 1:
        return int(n)
    raise click.BadParameter(
        f"{value!r}: use auto (at most [cluster] max_agents_per_region agents per region) "
        "or auto:N (at most N agents per region)",
        ctx,
        param,
    )


def region_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``plan``'s regions options to a click command.

    They are ``--region-column``, ``--regions``, ``--split``, ``--scheduler``
    and ``--workers`` (the fields of :class:`RegionOptions`).
    """
    options = [
        click.option(
            "--region-column",
            default=None,
            metavar="NAME",
            help="Plan each region as its own day: the column of accounts.csv and agents.csv "
            "naming each row's region (branch). Writes OUT/REGION/ plan folders and "
            "OUT/summary.json, OUT/index.html.",
        ),
        click.option(
            "--regions",
            "regions_path",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="regions.csv: region, jurisdiction, timezone (and optional travel) per region; "
            "the region column defaults to 'region'.",
        ),
        click.option(
            "--split",
            default=None,
            callback=_split_value,
            metavar="auto[:N]",
            help="No region column: split the city into regions of at most N agents (default "
            "[cluster] max_agents_per_region), each account to the region of the nearest base.",
        ),
        click.option(
            "--scheduler",
            default=None,
            metavar="tcp://HOST:PORT",
            help="Plan the regions on a running Dask cluster (dask scheduler / dask worker) "
            "instead of local worker processes (default: [cluster] scheduler).",
        ),
        click.option(
            "--workers",
            type=click.IntRange(min=0, max=1024),
            default=None,
            help="Local Dask worker processes (default: [cluster] workers, else one per core); "
            "0 plans the regions one after another in this process (debugging).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@dataclass(frozen=True)
class RegionOptions:
    """The regions options of one ``plan`` command."""

    region_column: str | None = None
    regions_path: Path | None = None
    split: int | None = None
    scheduler: str | None = None
    workers: int | None = None

    @property
    def active(self) -> bool:
        """True when the command plans regions."""
        return bool(self.region_column or self.regions_path) or self.split is not None

    def check(self) -> None:
        """Refuse options that do not go together (wrong usage, exit 2)."""
        if self.split is not None and (self.region_column or self.regions_path):
            raise click.UsageError(
                "--split makes regions from a portfolio without a region column; it does not "
                "go with --region-column or --regions"
            )
        if not self.active and (self.scheduler or self.workers is not None):
            raise click.UsageError(
                "--scheduler and --workers say where regions are planned: give "
                "--region-column NAME, --regions FILE or --split auto"
            )
        if self.scheduler and self.workers is not None:
            raise click.UsageError(
                "--workers sets local workers; a --scheduler cluster has its own"
            )


def make_executor(
    options: RegionOptions, cluster: ClusterConfig, progress: Callable[[str], None]
) -> tuple[Executor, dict[str, Any]]:
    """Return the executor the options ask for, and its description for ``summary.json``."""
    t0 = time.perf_counter()
    if options.workers == 0:
        return InProcessExecutor(), {"executor": "in-process", "workers": 0}
    address = options.scheduler or cluster.scheduler
    if address:
        progress(f"connecting to the Dask scheduler at {address}")
        executor = DaskExecutor.connect(address, timeout_s=cluster.connect_timeout_s)
        kind = "dask"
    else:
        n = options.workers if options.workers is not None else cluster.workers
        progress(f"starting a local Dask cluster ({n or 'one per core'} workers)")
        executor = DaskExecutor.local(n, memory_limit=cluster.memory_limit)
        kind = "dask-local"
    about = {
        "executor": kind,
        "scheduler": executor.address,
        "workers": executor.workers,
        "startup_s": round(time.perf_counter() - t0, 2),
    }
    progress(f"Dask cluster {executor.address}: {about['workers']} workers")
    return executor, about


@dataclass(frozen=True)
class RegionsRequest:
    """What one regions run of ``plan`` reads and where it goes."""

    #: the input files (read and geocoded as ``plan`` does)
    accounts: Path
    agents: Path
    #: the run's folder (one plan folder per region inside)
    out_dir: Path
    #: the rules and solver settings (each region's jurisdiction overrides them)
    config: Config
    #: the day to plan; None: each region's today
    date: dt.date | None = None
    #: a history database the region plans are stored in; None: none
    db: Path | None = None


def plan_regions_cli(
    options: RegionOptions,
    request: RegionsRequest,
    *,
    folder: FolderOptions,
    progress: Callable[[str], None],
) -> None:
    """Read the inputs, split them into regions, plan them where the options say, report.

    Parameters
    ----------
    options
        The regions options (column, regions file or split; where to run).
    request
        The input files, the run's folder, the rules, the day and the history.
    folder
        Input encoding, geocoding, names on the map, ``force``.
    progress
        Called with one line per stage.

    Raises
    ------
    click.ClickException
        A region failed (exit 1); the others are written.
    """
    from routeplan.commands import load_plan_inputs
    from routeplan.io.regions import read_regions
    from routeplan.regions import split_auto, split_by_column
    from routeplan.regions_run import plan_regions

    cfg, plan_date, db_path, out_dir = request.config, request.date, request.db, request.out_dir
    inputs = load_plan_inputs(request.accounts, request.agents, cfg, folder, progress)
    now = dt.datetime.now(dt.UTC)
    if options.split is not None:
        most = options.split or cfg.cluster.max_agents_per_region
        portfolio = split_auto(inputs, cfg, max_agents=most, plan_date=plan_date, now=now)
    else:
        profiles = read_regions(options.regions_path) if options.regions_path else None
        portfolio = split_by_column(
            inputs,
            options.region_column or "region",
            cfg,
            profiles=profiles,
            plan_date=plan_date,
            now=now,
        )
    progress(
        f"{len(portfolio.regions)} regions; {len(portfolio.rejected)} rows refused"
        + "".join(
            f"; region {k} has agents but no account" for k in portfolio.agents_without_accounts
        )
    )
    store = None
    if db_path is not None:
        from routeplan.io.store import Store

        store = Store(db_path)
    executor, about = make_executor(options, cfg.cluster, progress)
    try:
        run = plan_regions(
            out_dir,
            portfolio,
            executor,
            store=store,
            show_names=folder.show_names,
            force=folder.force,
            execution=about,
            progress=progress,
        )
    finally:
        close = getattr(executor, "close", None)
        if close is not None:
            close()
        if store is not None:
            store.close()
    _report(run.summary, out_dir)
    failed = [o for o in run.outcomes if o.status != "planned"]
    if failed:
        raise click.ClickException(
            f"{len(failed)} of {len(run.outcomes)} regions not planned ("
            + "; ".join(f"{o.region}: {o.reason}" for o in failed[:3])
            + (" ..." if len(failed) > 3 else "")
            + f"); the others are in {out_dir}, their accounts in {out_dir / 'unplanned.csv'}"
        )


def _report(summary: dict[str, Any], out_dir: Path) -> None:
    """Print the run's one-line result on stdout."""
    t = summary["totals"]
    click.echo(
        f"{t['regions']} regions: {t['planned']} planned, {t['failed']} failed; "
        f"{t['visits']:,} visits; expected recovery {t['expected_recovery_covered']:,.0f}; "
        f"{t['travel_km']:,.1f} km; {t['rejected_rows']} rows rejected, "
        f"{t['unplanned_accounts']} accounts unplanned -> {out_dir}"
    )


def check_regions_cli(
    plan_dir: Path,
    accounts_path: Path,
    agents_path: Path,
    column: str,
    *,
    encoding: str | None,
    rules: Callable[[Path], tuple[dt.date | None, Config]],
    db: Path | None = None,
    travel: str | None = None,
) -> None:
    """Check a region's plan folder, or every region of a run, against that region's rows.

    ``rules`` gives a folder's date and config (the options, else its
    summary.json: each region's own jurisdiction). Each region is checked
    with its own travel model (recorded in its summary.json) unless
    ``travel`` names another, and with the history in ``db`` (read only) as
    ``plan --db`` used it. Prints each violation, prefixed by the region's
    folder; raises ``click.ClickException`` if any.
    """
    from routeplan.commands import CheckOptions, check_folder
    from routeplan.io.readers import read_accounts, read_agents
    from routeplan.io.safe import read_json
    from routeplan.regions import normalise_column

    if not plan_dir.is_dir():
        raise click.ClickException(f"{plan_dir}: plan folder not found")
    summary = _summary_of(plan_dir, read_json)
    if summary.get("kind") == "regions":
        folders = [
            plan_dir / str(r.get("folder"))
            for r in summary.get("regions", [])
            if isinstance(r, dict) and r.get("status") == "planned"
        ]
    else:
        folders = [plan_dir]
    accounts = read_accounts(accounts_path, encoding=encoding).frame
    agents = read_agents(agents_path, encoding=encoding).frame
    col = normalise_column(column)
    for path, frame in ((accounts_path, accounts), (agents_path, agents)):
        if col not in frame.columns:
            raise click.ClickException(f"{path}: no column {col!r} (--region-column)")
    found = 0
    models: set[str] = set()
    for folder in folders:
        region = _summary_of(folder, read_json).get("region")
        if not isinstance(region, str):
            raise click.ClickException(
                f"{folder / 'summary.json'}: no region in it (not planned with --region-column)"
            )
        day, cfg = rules(folder)
        mine = accounts[col].fillna("").astype(str).str.strip() == region
        theirs = agents[col].fillna("").astype(str).str.strip() == region
        report = check_folder(
            folder,
            accounts[mine].reset_index(drop=True),
            agents[theirs].reset_index(drop=True),
            day or dt.date.today(),
            cfg,
            db=db,
            options=CheckOptions(encoding=encoding, travel=travel),
        )
        violations = report.violations
        models.add(report.travel)
        for v in violations:
            click.echo(f"{folder.name}: {v.message()}")
        found += len(violations)
    times = f"checked with {' and '.join(sorted(models))} travel times"
    if found:
        raise click.ClickException(f"{found} violation(s) in {plan_dir} ({times})")
    click.echo(f"OK: {len(folders)} region plan(s) in {plan_dir} have no violation ({times})")


def _summary_of(folder: Path, read_json: Callable[[Path], Any]) -> dict[str, Any]:
    """Return a folder's summary.json as a dict (empty when it has none)."""
    path = folder / "summary.json"
    if not path.is_file():
        raise click.ClickException(f"{folder}: no summary.json (not a plan folder)")
    data = read_json(path)
    if not isinstance(data, dict):
        raise click.ClickException(f"{path}: not a JSON object")
    return data
