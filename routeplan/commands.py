"""Every ``routeplan`` command as one library call.

The command line parses its options, calls one of these and prints what it
returns; a notebook calls the same function with one import::

    import routeplan as rp

    run = rp.plan_to_folder("accounts.csv", "agents.csv", "plans/d1", db="routeplan.db")
    rp.check_plan_inputs("plans/d1", "accounts.csv", "agents.csv").violations
    rp.record_outcomes("plans/d1/outcomes_template.csv", "routeplan.db")
    rp.history_trail("SZ100205", "routeplan.db")
    rp.report_activity("routeplan.db", dt.date(2026, 12, 1), dt.date(2026, 12, 7))
    rp.audit_visits("routeplan.db", dt.date(2026, 12, 1), dt.date(2026, 12, 7)).flags

The plan date, "today" and the configuration are arguments; ``None`` means
what the command line means without the option (today's date, the default
rules). Expected failures raise :class:`~routeplan.errors.RouteplanError`
subclasses with one line naming the file (and row and column).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from routeplan import schema as S
from routeplan.config import JURISDICTIONS, Config
from routeplan.errors import ChangedFilesError, InputError
from routeplan.io.store import RecordReport, RowHook, Store

if TYPE_CHECKING:
    from routeplan.check import Violation
    from routeplan.history import HistoryAdjustment
    from routeplan.io.context import PlanContext
    from routeplan.plan import Inputs, Plan
    from routeplan.replan import ReplanResult
    from routeplan.retime import RetimeResult
    from routeplan.solver.model import Progress
    from routeplan.travel.base import TravelModel
    from routeplan.week_followup import InForce, WeekDay

# --- plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FolderOptions:
    """How :func:`plan_to_folder` reads the inputs and writes the folder.

    The ``plan`` command's ``--encoding``, ``--no-geocode``, ``--show-names``,
    ``--force``, ``--week`` and ``--availability``.
    """

    #: force the input files' text encoding (default: UTF-8 with or without BOM, or GB18030)
    encoding: str | None = None
    #: geocode accounts without coordinates (the config's ``[geocode]``); False refuses them
    geocode: bool = True
    #: show full debtor names and addresses on the map
    show_names: bool = False
    #: plan into a folder holding files changed by hand, moving them to a backup first
    force: bool = False
    #: a week folder (``routeplan plan-week``) whose day this plan re-plans (``plan --week``)
    week: str | Path | None = None
    #: ``availability.csv``: its rows of the plan's date override ``agents.csv`` (leave,
    #: shifts), as in ``plan-week``
    availability: str | Path | None = None


@dataclass(frozen=True)
class PlanRun:
    """What :func:`plan_to_folder` did: the plan, where it went, its id in the history."""

    plan: Plan
    out_dir: Path
    #: the plan's id in the history database, None without one
    plan_id: int | None = None
    #: with ``options.week``: how the week's visits of the day fared
    #: (:func:`routeplan.week_followup.followup_counts`), also in ``summary.json``'s ``week``
    week: Mapping[str, Any] | None = None


def plan_to_folder(
    accounts: str | Path,
    agents: str | Path,
    out_dir: str | Path,
    *,
    date: dt.date | None = None,
    config: Config | None = None,
    db: str | Path | None = None,
    options: FolderOptions | None = None,
    progress: Progress | None = None,
) -> PlanRun:
    """Plan a day from the input files and write the plan folder (``routeplan plan``).

    Reads and validates both files, geocodes accounts without coordinates
    (through the config's geocoder and its cache), applies the visit history
    of ``db`` when given, plans, writes ``out_dir`` and stores the plan in
    ``db``.

    Parameters
    ----------
    accounts, agents
        The portfolio and the agents (contract formats).
    out_dir
        The plan folder to write.
    date
        The day to plan; default today.
    config
        The rules and solver settings; default :class:`~routeplan.config.Config`.
    db
        A history database (SQLite file, created when missing): its recorded
        outcomes shape the plan and the plan is stored in it. None: no history.
    options
        Input encoding, geocoding, names on the map, ``force``,
        ``availability`` (an ``availability.csv``: its rows of ``date`` give
        days off and shifts, as in ``plan-week``; refused rows go to
        ``rejected.csv``) and ``week``:
        a week folder (``routeplan plan-week``) holding ``date``: the day is
        re-planned holding on to the week (:mod:`routeplan.week_followup`):
        its visits of the day are the routes in force (``[replan]
        move_penalty_min`` to move or drop one), accounts it placed on a later
        date are dropped as ``planned_another_day``. ``summary.json``'s
        ``week`` and :attr:`PlanRun.week` count the week's visits kept with
        their agent, moved and dropped. Without ``db`` no history applies.
    progress
        Called with one line per stage (the CLI prints them on stderr).

    Raises
    ------
    ChangedFilesError
        ``out_dir`` holds files changed by hand and ``options.force`` is not
        set (raised before the solver runs).
    InputError
        An input file cannot be used at all; ``week`` is not a week folder,
        ``date`` is not one of its dates, or ``out_dir`` is the week's own
        folder of ``date`` and ``options.force`` is not set.
    """
    from routeplan.io.planfiles import changed_plan_files
    from routeplan.plan import plan_day

    opts = options or FolderOptions()
    out = Path(out_dir)
    say: Progress = progress or (lambda _msg: None)
    changed = [] if opts.force else changed_plan_files(out)
    if changed:  # before the solver runs for nothing
        raise ChangedFilesError(str(out), changed)
    cfg = config or Config()
    day = date or dt.date.today()
    in_force, week_day = _week_in_force(opts.week, day, out, cfg, opts.force)
    inputs = _day_availability(load_plan_inputs(accounts, agents, cfg, opts, say), opts, day, say)
    _require_one_zone(inputs, day, say)
    store = Store(db) if db is not None else None
    try:
        history = None
        if store is not None:
            history, used = _history(store, inputs.accounts, day, cfg)
            say(f"history: {used} outcomes, {len(history.exclusions)} exclusions")
        plan = plan_day(inputs, day, cfg, history=history, progress=say, in_force=in_force)
        counts = None
        if week_day is not None:
            plan, counts = _with_week_counts(plan, week_day)
            say(_week_line(counts))
        say(f"writing plan folder {out}")
        plan.write(out, show_names=opts.show_names, force=opts.force)
        plan_id = None
        if store is not None:
            plan_id = store.save(plan)
            say(f"plan stored in {db} as plan {plan_id}")
    finally:
        if store is not None:
            store.close()
    return PlanRun(plan, out, plan_id, counts)


def _day_availability(inputs: Inputs, opts: FolderOptions, day: dt.date, say: Progress) -> Inputs:
    """Return ``inputs`` with the agents as ``opts.availability`` has them work on ``day``."""
    if opts.availability is None:
        return inputs
    from routeplan.week import day_agents
    from routeplan.week_cli import with_availability

    inputs, frame = with_availability(inputs, opts.availability, opts.encoding, say)
    return dataclasses.replace(inputs, agents=day_agents(inputs.agents, frame, day))


def _week_in_force(
    week: str | Path | None, day: dt.date, out: Path, cfg: Config, force: bool
) -> tuple[InForce | None, WeekDay | None]:
    """Return what ``plan --week`` holds on to for ``day`` (both None without a week)."""
    if week is None:
        return None, None
    from routeplan.week_followup import InForce, read_week_day

    week_day = read_week_day(week, day)
    own = Path(week) / day.isoformat()
    if not force and out.resolve() == own.resolve():
        raise InputError(
            f"{out}: this is the week plan's own folder for {day}; write the re-plan to "
            "another --out (or give --force to replace it)"
        )
    move_cost_s = round(cfg.replan.move_penalty_min * 60)
    return InForce(week_day.routes, move_cost_s, week_day.held()), week_day


def _with_week_counts(plan: Plan, week_day: WeekDay) -> tuple[Plan, dict[str, Any]]:
    """Return the plan with ``summary.json``'s ``week`` block, and that block."""
    from routeplan.week_followup import followup_counts

    counts: dict[str, Any] = {
        "week_dir": str(week_day.week_dir),
        **followup_counts(week_day, plan.visits, plan.excluded),
    }
    extra = {**plan.summary.extra, "week": counts}
    return dataclasses.replace(plan, summary=dataclasses.replace(plan.summary, extra=extra)), counts


def _week_line(counts: Mapping[str, Any]) -> str:
    """Return the stderr line saying how the week's visits of the day fared."""
    return (
        f"week plan {counts['week_dir']}: of its {counts['week_visits']} visits today "
        f"{counts['kept']} kept with their agent, {counts['moved']} moved to another agent, "
        f"{counts['dropped']} dropped ({counts['now_excluded']} no longer eligible); "
        f"{counts['added']} visits added ({counts['added_from_earlier']} of accounts the week "
        f"visited on an earlier date: record their outcomes first to keep them out); "
        f"{counts['held']} accounts left to a later date"
    )


def _require_one_zone(inputs: Inputs, day: dt.date, say: Progress) -> None:
    """Refuse inputs spanning several time zones (plan them as regions); note far ones."""
    from routeplan.regions import require_one_zone

    zone = require_one_zone(inputs, day)
    if zone.note():
        say(zone.note())


def load_plan_inputs(
    accounts: str | Path, agents: str | Path, cfg: Config, opts: FolderOptions, say: Progress
) -> Inputs:
    """Read both input files as :func:`plan_to_folder` does (geocoding per ``opts``).

    Parameters
    ----------
    accounts, agents
        The portfolio and the agents (contract formats).
    cfg
        The configuration (its ``[geocode]`` settings are used).
    opts
        The input encoding and whether to geocode.
    say
        Called with one line per stage.

    Returns
    -------
    Inputs
        The validated inputs.
    """
    from routeplan.io.geocode import GeocodeCache, make_geocoder
    from routeplan.plan import load_inputs

    geocoder = make_geocoder(cfg.geocode) if opts.geocode else None
    cache = GeocodeCache(cfg.geocode.cache_path) if geocoder is not None else None
    try:
        return load_inputs(
            accounts,
            agents,
            encoding=opts.encoding,
            geocoder=geocoder,
            geocode_cache=cache,
            progress=say,
        )
    finally:
        if cache is not None:
            cache.close()


def _history(
    store: Store, accounts: pd.DataFrame, day: dt.date, cfg: Config
) -> tuple[HistoryAdjustment, int]:
    """Return the history's effect on ``accounts`` for ``day``, and the outcomes it used."""
    from routeplan.history import apply_history

    outcomes = store.outcomes(until=day)
    names = store.agent_names()
    outcomes["agent_name"] = [names.get(str(a), "") for a in outcomes[S.AGENT_ID]]
    return apply_history(accounts, outcomes, day, cfg.history), len(outcomes)


# --- check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckReport:
    """What :func:`check_plan_inputs` found, and the date and rules it checked with."""

    violations: list[Violation]
    date: dt.date
    config: Config
    #: the travel model the travel times were checked with (``haversine``, ``osm``, ...)
    travel: str = "haversine"

    @property
    def ok(self) -> bool:
        """True when the plan breaks no rule."""
        return not self.violations


def _quiet(_line: str) -> None:
    """Print nothing (the default progress callback of the library calls)."""


@dataclass(frozen=True)
class CheckOptions:
    """How :func:`check_plan_inputs` reads the inputs and times the legs.

    The ``check`` command's ``--encoding`` and ``--travel``.
    """

    #: force the input files' text encoding (default: UTF-8 with or without BOM, or GB18030)
    encoding: str | None = None
    #: check travel times with this travel model (``--travel``) instead of the plan's own
    travel: str | None = None
    #: called with progress lines (what the travel model reused or asked); silent by default
    progress: Progress = _quiet


def check_plan_inputs(
    plan_dir: str | Path,
    accounts: str | Path,
    agents: str | Path,
    date: dt.date | None = None,
    *,
    config: Config | None = None,
    jurisdiction: str | None = None,
    db: str | Path | None = None,
    options: CheckOptions | None = None,
) -> CheckReport:
    """Re-check a plan folder against the input files and the rules (``routeplan check``).

    Parameters
    ----------
    plan_dir
        The plan folder (its ``itineraries.csv`` possibly edited by hand).
    accounts, agents
        The input files the plan was made from.
    date
        The plan date; default the date in the folder's ``summary.json``,
        else today.
    config
        The rules; default :class:`~routeplan.config.Config`.
    jurisdiction
        Overrides the config's; default the one in ``summary.json``, else the
        config's.
    db
        The history database the plan used: its exclusions apply as in
        :func:`plan_to_folder`.
    options
        The input files' text encoding; the travel model to check travel
        times with (default: the one recorded in ``summary.json``, else the
        config's).

    Raises
    ------
    InputError
        The folder or an input file cannot be used, or the plan's travel
        model cannot be reopened (its data file missing or changed).
    """
    from routeplan.io.readers import read_accounts, read_agents

    opts = options or CheckOptions()
    folder = Path(plan_dir)
    if not folder.is_dir():
        raise InputError(f"{folder}: plan folder not found")
    summary_day, cfg = plan_rules(folder, date, config, jurisdiction)
    acc = read_accounts(accounts, encoding=opts.encoding).frame
    ag = read_agents(agents, encoding=opts.encoding).frame
    return check_folder(folder, acc, ag, summary_day or dt.date.today(), cfg, db=db, options=opts)


def check_folder(
    folder: Path,
    acc: pd.DataFrame,
    ag: pd.DataFrame,
    day: dt.date,
    cfg: Config,
    *,
    db: str | Path | None = None,
    options: CheckOptions | None = None,
) -> CheckReport:
    """Check one plan folder against accounts and agents already read (and validated).

    The history in ``db`` (read only) applies its exclusions as in
    :func:`plan_to_folder`; travel times are checked with the folder's own
    travel model unless ``options.travel`` names another. A regions run's
    check calls this once per region with that region's rows.
    """
    from routeplan.check import check_plan

    opts = options or CheckOptions()
    extra = None
    if db is not None:
        # check only reads the history: a missing file is an error, never a new empty one
        with Store.open_existing(db) as store:
            history, _used = _history(store, acc, day, cfg)
        acc, extra = history.accounts, history.exclusions
    with _plan_travel(folder, cfg, opts) as model:
        provider = str(model.describe()["provider"])
        violations = check_plan(folder, acc, ag, day, cfg, extra_exclusions=extra, travel=model)
    return CheckReport(violations, day, cfg, provider)


def _plan_travel(folder: Path, cfg: Config, opts: CheckOptions) -> TravelModel:
    """Return the travel model a plan folder was made with (``opts.travel`` overrides it)."""
    from routeplan.io.planfolder import SUMMARY_FILE, read_summary
    from routeplan.travel.factory import plan_travel_model

    path = folder / SUMMARY_FILE
    record = read_summary(folder).travel if path.exists() else None
    return plan_travel_model(
        record, cfg.travel, provider=opts.travel, source=str(path), progress=opts.progress
    )


def plan_rules(
    plan_dir: Path, date: dt.date | None, config: Config | None, jurisdiction: str | None
) -> tuple[dt.date | None, Config]:
    """Return a plan folder's date and rules: the arguments first, else its summary.json.

    The jurisdiction is ``jurisdiction``, else the summary's, else the
    config's; the date is ``date``, else the summary's, else None.
    """
    from routeplan.io.planfolder import SUMMARY_FILE, read_summary
    from routeplan.summary import PlanSummary

    summary_path = plan_dir / SUMMARY_FILE
    summary = read_summary(plan_dir) if summary_path.exists() else PlanSummary()
    if jurisdiction is None and summary.jurisdiction:
        jurisdiction = summary.jurisdiction
        if jurisdiction.upper() not in JURISDICTIONS:
            raise InputError(
                f"{summary_path}: jurisdiction {jurisdiction!r} is not one of "
                f"{', '.join(JURISDICTIONS)}; give --jurisdiction"
            )
    cfg = config or Config()
    if jurisdiction:
        cfg = cfg.replace(jurisdiction=jurisdiction.upper())
    if date is not None or not summary.date:
        return date, cfg
    try:
        return dt.date.fromisoformat(summary.date), cfg
    except ValueError as exc:
        raise InputError(
            f"{summary_path}: date {summary.date!r} is not YYYY-MM-DD; give --date"
        ) from exc


# --- retime -----------------------------------------------------------------------------


def retime_folder(
    plan_dir: str | Path,
    *,
    accounts: str | Path | None = None,
    agents: str | Path | None = None,
    config: Config | None = None,
    jurisdiction: str | None = None,
    encoding: str | None = None,
    show_names: bool = False,
) -> RetimeResult:
    """Re-time a hand-edited plan folder and redraw it (``routeplan retime``).

    By default the folder's ``plan_context.json`` gives the inputs and rules
    (:func:`routeplan.retime.retime_plan_folder`). For a folder made without
    one, give ``accounts`` and ``agents`` (both), and optionally ``config``
    and ``jurisdiction`` (default: the summary's, as :func:`plan_rules`).

    Raises
    ------
    ValueError
        Only one of ``accounts`` and ``agents``, or a config without them.
    InputError
        The folder or the edit cannot be used.
    """
    from routeplan.retime import retime_plan_folder

    folder = Path(plan_dir)
    context = None
    if accounts is None and agents is None:
        if config is not None or jurisdiction is not None:
            raise ValueError("config and jurisdiction go with accounts and agents")
    elif accounts is None or agents is None:
        raise ValueError("give both accounts and agents (or neither)")
    else:
        context = _context_from_inputs(folder, accounts, agents, config, jurisdiction, encoding)
    return retime_plan_folder(folder, context=context, show_names=show_names)


def _context_from_inputs(
    folder: Path,
    accounts: str | Path,
    agents: str | Path,
    config: Config | None,
    jurisdiction: str | None,
    encoding: str | None,
) -> PlanContext:
    """Return the plan context built from input files, for a folder made without one."""
    from routeplan.io.context import PlanContext
    from routeplan.io.planfolder import excluded_reasons, read_excluded
    from routeplan.io.readers import read_accounts, read_agents

    day, cfg = plan_rules(folder, None, config, jurisdiction)
    if day is None:
        raise InputError(f"{folder / 'summary.json'}: no plan date in it")
    acc = read_accounts(accounts, encoding=encoding).frame
    ag = read_agents(agents, encoding=encoding).frame
    excluded = excluded_reasons(read_excluded(folder))
    plannable = acc[~acc[S.ACCOUNT_ID].isin(excluded) & acc[S.LAT].notna()]
    return PlanContext(day, cfg, ag, plannable.reset_index(drop=True))


# --- replan -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReplanOptions:
    """How :func:`replan_folder` reads the day and writes the revision.

    The ``replan`` command's ``--date``, ``--accounts``, ``--db``,
    ``--time-limit``, ``--encoding``, ``--show-names`` and ``--force``.
    """

    #: the plan's date; it must be today unless given
    date: dt.date | None = None
    #: a portfolio file to look up urgent accounts outside the plan (their eligibility
    #: and priority are computed from it)
    accounts: str | Path | None = None
    #: a history database (it must exist): the revision is stored in it and the
    #: outcomes reported with the events are recorded
    db: str | Path | None = None
    #: the solver's limit in seconds (default ``[replan] time_limit_s`` of the plan's config)
    time_limit_s: float | None = None
    #: force the events and portfolio files' text encoding
    encoding: str | None = None
    #: show full debtor names and addresses on the map
    show_names: bool = False
    #: write into an output folder holding files changed by hand, moving them to a backup
    force: bool = False


def replan_folder(
    plan_dir: str | Path,
    events_csv: str | Path,
    out_dir: str | Path,
    *,
    at_min: int | None = None,
    today: dt.date | None = None,
    options: ReplanOptions | None = None,
    progress: Progress | None = None,
) -> ReplanResult:
    """Re-plan the rest of a planned day from the events so far (``routeplan replan``).

    What was reported done, under way or missed is kept with its times; each
    agent continues from where it is; routes change only where that pays more
    than the move penalty. The revision is written as a new plan folder
    ``out_dir`` with ``changes.csv`` and ``messages/AGENT.txt``
    (:func:`routeplan.replan.replan_plan_folder`); ``plan_dir`` is only read.

    Parameters
    ----------
    plan_dir
        The plan folder in force (a morning plan, or an earlier revision).
    events_csv
        What happened so far today (``events.csv``, see :mod:`routeplan.events`).
    out_dir
        The new plan folder (not ``plan_dir``).
    at_min
        The time of the re-plan, minutes after midnight; default now.
    today
        Today's date (default the current one): the plan's date must be it
        unless ``options.date`` names the plan's date.
    options
        The plan date, urgent accounts' portfolio, history database, time
        limit, encoding, names on the map and ``force``.
    progress
        Called with one line per stage (the CLI prints them on stderr).

    Raises
    ------
    InputError
        The folder cannot be re-planned (no context, another day, ``at_min``
        outside the day), the events file cannot be read at all, the database
        is missing, or no agent may work.
    ChangedFilesError
        ``out_dir`` holds files changed by hand and ``options.force`` is not set.
    """
    from routeplan.replan import replan_plan_folder

    now = dt.datetime.now()
    return replan_plan_folder(
        plan_dir,
        events_csv,
        out_dir,
        at_min=at_min if at_min is not None else now.hour * 60 + now.minute,
        today=today or now.date(),
        options=options or ReplanOptions(),
        progress=progress,
    )


# --- record, history, report ------------------------------------------------------------


def rejected_path_for(outcomes_csv: str | Path) -> Path:
    """Return where :func:`record_outcomes` writes the rejection report by default."""
    path = Path(outcomes_csv)
    return path.with_name(f"{path.stem}_rejected.csv")


def record_outcomes(
    outcomes_csv: str | Path,
    db: str | Path,
    *,
    today: dt.date | None = None,
    rejected: str | Path | None = None,
    on_row: RowHook | None = None,
    config: Config | None = None,
    accounts: str | Path | None = None,
) -> RecordReport:
    """Validate an outcomes file and store its good rows in the history (``routeplan record``).

    Rows naming an unknown account or agent, an unknown outcome code, a visit
    after ``today``, a promise without its date or a negative amount, or
    unusable proof (bad times or coordinates, a check-out before the
    check-in, an unknown evidence code) are refused into the rejection report
    (``file, row, column, problem``; header only when every row is good).
    Rows of the outcomes template left blank are skipped. Every stored visit
    is checked against the plan, the place and the law
    (:mod:`routeplan.proof`): the report's ``findings`` and ``flagged`` say
    what was found. Recording the same file again changes nothing.

    Parameters
    ----------
    outcomes_csv
        The outcomes file (contract format; the plan's ``outcomes_template.csv``).
    db
        The history database; it must exist (``plan --db`` creates it).
    today
        Visits may not be after this date; default today.
    rejected
        Where the rejection report goes; default ``NAME_rejected.csv`` beside
        the outcomes file (:func:`rejected_path_for`).
    on_row
        See :meth:`routeplan.io.store.Store.record_outcomes`.
    config
        Its ``[audit]`` settings judge the proof, its jurisdiction the legal
        hours of a day no stored plan covers; default the default rules.
    accounts
        The portfolio: where an account no stored plan locates is.

    Returns
    -------
    RecordReport
        Counts, the refused and flagged rows, every stored visit's findings,
        the skipped rows and the rejection report's path.

    Raises
    ------
    InputError
        The file cannot be used at all (missing, empty, a required column
        missing), or ``rejected`` is the outcomes file itself.
    StoreError
        The database is missing or cannot be used.
    """
    from routeplan.io.readers import read_accounts
    from routeplan.io.safe import write_csv_atomic
    from routeplan.io.tables import read_table
    from routeplan.outcomes import validate_outcomes
    from routeplan.proof import ProofRules

    source = Path(outcomes_csv)
    target = Path(rejected) if rejected is not None else rejected_path_for(source)
    if target.resolve() == source.resolve():
        raise InputError(f"{target}: the rejection report would replace the outcomes file")
    cfg = config or Config()
    places: dict[str, tuple[float, float]] = {}
    if accounts is not None:
        portfolio = read_accounts(accounts).frame.dropna(subset=[S.LAT, S.LON])
        places = {
            str(a): (float(la), float(lo))
            for a, la, lo in zip(
                portfolio[S.ACCOUNT_ID], portfolio[S.LAT], portfolio[S.LON], strict=True
            )
        }
    # read_table's _row is the row a spreadsheet shows (blank lines count): keep it
    frame, _encoding = read_table(source)
    with Store.open_existing(db) as store:
        checked = validate_outcomes(
            frame,
            file=source.name,
            today=today or dt.date.today(),
            known_accounts=store.known_accounts(),
            known_agents=store.known_agents(),
            known_codes=store.item_codes(),
        )
        report = store.record_outcomes(
            checked.rows,
            source=str(source),
            rejected=checked.rejected,
            on_row=on_row,
            rules=ProofRules(cfg.audit, cfg.jurisdiction),
            places=places,
        )
    table = pd.DataFrame([p.as_record() for p in checked.rejected], columns=S.REJECTED_COLUMNS)
    write_csv_atomic(target, table, spreadsheet=True)
    return dataclasses.replace(report, skipped=tuple(checked.skipped), rejected_file=target)


def history_trail(account_id: str, db: str | Path) -> list[str]:
    """Return an account's trail as printable lines, oldest first (``routeplan history``).

    Each plan it was in (planned with agent, time and why; dropped or
    excluded with the reasons) and each recorded visit (agent, outcome,
    amounts, promise, notes). Empty when the database never saw the account.
    """
    from routeplan.history import trail_lines

    with Store.open_existing(db) as store:
        return trail_lines(store.account_trail(account_id))


def report_activity(
    db: str | Path,
    date_from: dt.date,
    date_to: dt.date,
    *,
    config: Config | None = None,
    accounts: str | Path | None = None,
) -> pd.DataFrame:
    """Return per-agent and overall field activity in a period (``routeplan report``).

    One row per agent and a last ``ALL`` row
    (:data:`routeplan.history.REPORT_COLUMNS`): visits planned (latest plan of
    each day) and done, contacts, promises taken and kept, broken or open as
    of ``date_to``, amount collected, km planned; then how the visits done
    were verified (:data:`routeplan.history.VERIFY_COLUMNS`: clean, partly
    verified, flagged, compliance incidents, not checked, visits per flag and
    per check that could not be made).

    Parameters
    ----------
    db
        The history database; it must exist.
    date_from, date_to
        The period, both days included (``date_from <= date_to``).
    config
        Its ``[history] ptp_grace_days`` judges promises; default the default rules.
    accounts
        The current portfolio: a ``last_payment_date`` after a promise keeps it.
    """
    from routeplan.history import OVERALL, VERIFY_COLUMNS, activity_report, verification_report
    from routeplan.io.readers import read_accounts

    if date_from > date_to:
        raise ValueError(f"date_from {date_from} is after date_to {date_to}")
    grace = (config or Config()).history.ptp_grace_days
    paid: dict[str, Any] | None = None
    if accounts is not None:
        frame = read_accounts(accounts).frame
        paid = dict(zip(frame[S.ACCOUNT_ID], frame[S.LAST_PAYMENT_DATE], strict=True))
    with Store.open_existing(db) as store:
        table = activity_report(
            store.planned_stops(date_from, date_to),
            store.outcomes(until=date_to),
            store.route_km(date_from, date_to),
            date_from=date_from,
            date_to=date_to,
            grace_days=grace,
            agent_names=store.agent_names(),
            portfolio_last_payment=paid,
        )
        checked = verification_report(*store.verification(date_from, date_to))
    out = table.merge(checked, on=S.AGENT_ID, how="left")
    out[list(VERIFY_COLUMNS)] = out[list(VERIFY_COLUMNS)].fillna(0).astype(int)
    # the ALL row stays last
    is_all = out[S.AGENT_ID] == OVERALL
    return pd.concat([out[~is_all], out[is_all]], ignore_index=True)


def report_fairness(
    db: str | Path,
    date_from: dt.date,
    date_to: dt.date,
    *,
    activity: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Return the workload fairness of a period (``routeplan report``'s fairness section).

    Over the latest stored plan of each day (and region) in the period, per
    agent who had a route or an idle day: ``visits``, ``minutes`` (leaving
    the base to returning, summed over the days), ``km``,
    ``expected_recovery``, ``days_worked``, ``idle_days`` (usable, no route,
    on a day others visited: 0 minutes), ``daily_minutes`` (date ->
    minutes) and ``agent_name``;
    ``spread`` gives max - min between those agents and
    ``daily_minutes_sd`` the mean over them of the standard deviation of
    their daily minutes: the definitions of :func:`routeplan.week.fairness`
    (:mod:`routeplan.workload`).

    Parameters
    ----------
    db
        The history database; it must exist.
    date_from, date_to
        The period, both days included (``date_from <= date_to``).
    activity
        :func:`report_activity` of the same period: each agent also gets its
        ``visits_done`` and ``amount_collected`` (recorded outcomes), with
        their spreads.
    """
    from routeplan.workload import period_fairness

    if date_from > date_to:
        raise ValueError(f"date_from {date_from} is after date_to {date_to}")
    with Store.open_existing(db) as store:
        routes = store.planned_routes(date_from, date_to)
        usable = store.usable_agents(date_from, date_to)
        names = store.agent_names()
    return period_fairness(routes, activity, names, usable=usable)


# --- audit ------------------------------------------------------------------------------

#: columns of ``routeplan audit --csv`` (fixed by the contract): one row per flag
AUDIT_CSV_COLUMNS = (S.VISIT_DATE, S.AGENT_ID, S.ACCOUNT_ID, "flag", "detail")


@dataclass(frozen=True)
class AuditReport:
    """The flagged visits of a period (``routeplan audit``), one row per flag.

    ``flags`` has :data:`routeplan.io.store.queries.FLAGGED_COLUMNS`: the flag
    and its detail with the visit's evidence (check-in and check-out, the
    check-in position and accuracy beside the account's location, the codes
    ticked, receipt, photo reference, notes, address).
    """

    date_from: dt.date
    date_to: dt.date
    agent_id: str | None
    flags: pd.DataFrame

    @property
    def visits(self) -> pd.DataFrame:
        """The flagged visits, one row each: ``flags`` joined by ``, ``, ``findings`` pairs.

        ``findings`` holds each visit's ``(flag, detail)`` pairs; the other
        columns are the evidence of :attr:`flags`.
        """
        key = [S.VISIT_DATE, S.AGENT_ID, S.ACCOUNT_ID]
        if self.flags.empty:
            return self.flags.drop(columns=["flag", "detail"]).assign(flags="", findings=None)
        groups = self.flags.groupby(key, sort=False)
        first = self.flags.drop_duplicates(key).set_index(key).drop(columns=["flag", "detail"])
        return first.assign(
            flags=groups["flag"].agg(", ".join),
            findings=groups.apply(
                lambda g: list(zip(g["flag"], g["detail"], strict=True)), include_groups=False
            ),
        ).reset_index()

    def csv_table(self) -> pd.DataFrame:
        """Return the contract's CSV: ``visit_date, agent_id, account_id, flag, detail``."""
        return self.flags.loc[:, list(AUDIT_CSV_COLUMNS)].reset_index(drop=True)


def audit_visits(
    db: str | Path,
    date_from: dt.date,
    date_to: dt.date,
    *,
    agent_id: str | None = None,
) -> AuditReport:
    """Return the flagged visits of a period with their evidence (``routeplan audit``).

    Parameters
    ----------
    db
        The history database; it must exist.
    date_from, date_to
        The period, both days included (``date_from <= date_to``).
    agent_id
        Only this agent's visits.
    """
    if date_from > date_to:
        raise ValueError(f"date_from {date_from} is after date_to {date_to}")
    from routeplan.proof import Flag

    with Store.open_existing(db) as store:
        flags = store.flagged_visits(date_from, date_to, agent_id=agent_id)
    # each visit's flags in the order of the checks (Flag), not alphabetically
    rank = {str(f): k for k, f in enumerate(Flag)}
    flags["_rank"] = [rank.get(str(f), len(rank)) for f in flags["flag"]]
    flags = flags.sort_values(
        [S.VISIT_DATE, S.AGENT_ID, S.ACCOUNT_ID, "_rank"], kind="stable"
    ).drop(columns="_rank")
    return AuditReport(date_from, date_to, agent_id, flags.reset_index(drop=True))
