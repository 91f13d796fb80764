"""Re-plan during the day with what is done kept fixed (``routeplan replan``).

``replan_plan_folder(PLAN_DIR, events.csv, OUT, at_min=..., today=..., options=...)``
(the library call is :func:`routeplan.commands.replan_folder`) reads a plan folder
through :mod:`routeplan.io.planfolder` (its ``plan_context.json``: date, rules,
agents, accounts; its summary, itineraries, dropped, excluded, scores, checklist
and last visits), the day's events
(:mod:`routeplan.events`) and, for urgent accounts outside the plan, an
optional portfolio file; then:

1. builds the whole day as a solver problem from the folder's context, as
   ``retime`` does (:func:`routeplan.build.build_problem`, the plan's travel
   model and rules), with today's new windows and the urgent accounts (checked
   against eligibility and the legal hours like any account);
2. freezes the past and continues each agent from where and when it is
   (:mod:`routeplan.replan_state`);
3. re-plans the rest, changing routes only where that pays more than the move
   penalty (:mod:`routeplan.replan_solve`);
4. writes a new plan folder ``OUT`` with the plan-folder files (itineraries
   with the frozen part, its reported visits marked in ``status``), the map
   and the sheets (an agent whose day did not change keeps its rows, so its
   sheet is the morning's byte for byte), ``changes.csv`` and a message per
   agent whose day changed (:mod:`routeplan.replan_report`). The morning
   folder is only read.

``summary.json`` of ``OUT`` carries a ``replan`` entry: revision number,
time, the events file and its digest, what was accepted and refused, the
settings, today's new windows and the counts of changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from routeplan import schema as S
from routeplan.build import BuiltProblem, agent_status, build_problem
from routeplan.check import Violation, with_windows
from routeplan.config import Config
from routeplan.errors import ChangedFilesError, InputError, RowProblem
from routeplan.events import REPORTED, Event, EventType, Known, check_events, read_events
from routeplan.formats import clock_or_none, format_clock, format_windows
from routeplan.io.context import CONTEXT_FILE, PlanContext, read_plan_context
from routeplan.io.planfolder import (
    CHECKLIST_FILE,
    ITINERARIES_FILE,
    REJECTED_FILE,
    SCORES_FILE,
    SUMMARY_FILE,
    excluded_reasons,
    read_dropped,
    read_excluded,
    read_plan_table,
    read_summary,
)
from routeplan.plan import Plan
from routeplan.replan_solve import Stability, StableSolve, solve_stable
from routeplan.replan_state import Continuation, DayState, Past, Report, continue_day
from routeplan.solver.model import Problem, Progress, Route, Visit
from routeplan.summary import PlanSummary
from routeplan.travel.base import TravelModel

if TYPE_CHECKING:
    from routeplan.commands import ReplanOptions

__all__ = [
    "STATUS",
    "ReplanResult",
    "Run",
    "clock",
    "clock_seconds",
    "new_windows",
    "replan_plan_folder",
    "windows_text",
]

#: the itinerary column marking a visit reported before the re-plan (done, in_progress,
#: no_show); empty on planned rows
STATUS = "status"
DAY_S = 24 * 3600
#: the name of the place of a reported visit the day cannot plan (a visit of its own)
REPORT_PREFIX = "@visited "


def _quiet(_line: str) -> None:
    """Print nothing (the default progress callback)."""


@dataclass(frozen=True)
class Morning:
    """A plan folder as ``replan`` reads it (nothing in it is written)."""

    folder: Path
    ctx: PlanContext
    itineraries: pd.DataFrame  # text cells, in file order
    dropped: pd.DataFrame
    excluded: pd.DataFrame  # text cells
    scores: pd.DataFrame  # text cells
    checklist: pd.DataFrame  # text cells
    rejected: pd.DataFrame  # text cells
    summary: PlanSummary
    #: the planned accounts' last recorded visits (``last_visits.csv`` of ``plan --db``)
    last_visits: pd.DataFrame

    @property
    def revision(self) -> int:
        """The folder's revision of the day (0 for a morning plan)."""
        entry = self.summary.extra.get("replan")
        return int(entry.get("revision", 0)) if isinstance(entry, Mapping) else 0

    def planned(self) -> dict[str, str]:
        """Return account -> agent of every planned visit."""
        it = self.itineraries
        visits = it[it["kind"] == S.KIND_VISIT]
        return dict(zip(visits[S.ACCOUNT_ID], visits[S.AGENT_ID], strict=True))


@dataclass(frozen=True)
class ReplanResult:
    """What ``routeplan replan`` did.

    ``plan`` is the revision (its tables and summary, as written to
    ``out_dir``); ``changes`` the rows of ``changes.csv``; ``messages`` the
    text for each agent whose day changed; ``rejected`` the event rows
    refused; ``flags`` what was accepted but deserves a look (a visit reported
    that was not planned, a break window that passed); ``violations`` what
    the checker finds in the revision.
    """

    out_dir: Path
    plan: Plan
    revision: int
    changes: pd.DataFrame
    messages: dict[str, str]
    rejected: tuple[RowProblem, ...]
    flags: tuple[str, ...]
    violations: tuple[Violation, ...]
    written: tuple[Path, ...]
    plan_id: int | None = None
    outcomes_recorded: int = 0

    @property
    def entry(self) -> Mapping[str, Any]:
        """The revision's ``replan`` entry of ``summary.json`` (what was re-planned and how)."""
        entry = self.plan.summary.extra.get("replan")
        return entry if isinstance(entry, Mapping) else {}


# --- reading the morning ------------------------------------------------------------------


def read_morning(plan_dir: Path) -> Morning:
    """Read what ``replan`` needs from a plan folder (raises InputError naming what is missing)."""
    if not plan_dir.is_dir():
        raise InputError(f"{plan_dir}: plan folder not found")
    ctx = read_plan_context(plan_dir)
    if ctx is None:
        raise InputError(
            f"{plan_dir}: no {CONTEXT_FILE} (plan made by an older routeplan): plan the day "
            "again with routeplan plan to re-plan it"
        )
    summary = read_summary(plan_dir)
    itin = read_plan_table(
        plan_dir, ITINERARIES_FILE, required=S.ITINERARY_COLUMNS, row_column=None
    )
    for column in S.ITINERARY_EXTRA:
        if column not in itin.columns:
            itin[column] = ""

    def table(name: str, required: tuple[str, ...]) -> pd.DataFrame:
        if not (plan_dir / name).exists():
            return pd.DataFrame(columns=list(required))
        return read_plan_table(plan_dir, name, required=required, row_column=None)

    return Morning(
        folder=plan_dir,
        ctx=ctx,
        itineraries=itin,
        dropped=read_dropped(plan_dir),
        excluded=read_excluded(plan_dir),
        scores=table(SCORES_FILE, (S.ACCOUNT_ID,)),
        checklist=table(CHECKLIST_FILE, S.CHECKLIST_COLUMNS),
        rejected=table(REJECTED_FILE, ("file", "row", "column", "problem")),
        summary=summary,
        last_visits=_last_visits(plan_dir),
    )


def _last_visits(plan_dir: Path) -> pd.DataFrame:
    """Return the folder's ``last_visits.csv`` as text (no rows when it has none)."""
    if not (plan_dir / S.LAST_VISITS_FILE).exists():
        return pd.DataFrame(columns=list(S.LAST_VISIT_COLUMNS), dtype=object)
    return read_plan_table(plan_dir, S.LAST_VISITS_FILE, required=(S.ACCOUNT_ID,), row_column=None)


def check_day(morning: Morning, at_min: int, today: dt.date, date: dt.date | None) -> None:
    """Refuse a re-plan of another day than the plan's, or at a time outside it."""
    day = morning.ctx.date
    if date is not None and date != day:
        raise InputError(
            f"{morning.folder} is the plan of {day.isoformat()}, not {date.isoformat()}"
        )
    if date is None and day != today:
        raise InputError(
            f"{morning.folder} is the plan of {day.isoformat()} and today is "
            f"{today.isoformat()}: give --date {day.isoformat()} to re-plan that day"
        )
    agents = morning.ctx.agents
    if agents.empty:
        raise InputError(f"{morning.folder}: the plan has no agents")
    first, last = int(agents[S.SHIFT_START].min()), int(agents[S.SHIFT_END].max())
    if not first <= at_min <= last:
        raise InputError(
            f"--at {format_clock(at_min)} is outside the day of {morning.folder} (shifts "
            f"{format_clock(first)}-{format_clock(last)})"
        )


# --- the whole day as a solver problem ------------------------------------------------------


@dataclass(frozen=True)
class Day:
    """The day's problem and the names of its parts.

    ``problem`` has one vehicle per usable agent (``agents``) and one visit per
    plannable account (``accounts``), then one per place an event needs that is
    not a plannable account (a position, a visit reported at an account the
    day cannot plan); ``points`` maps those places to their visit.
    """

    built: BuiltProblem
    problem: Problem
    accounts: tuple[str, ...]
    agents: tuple[str, ...]
    frame: pd.DataFrame  # the accounts with scores, as built
    usable: pd.DataFrame  # usable agents
    points: Mapping[str, int]
    index: Mapping[str, int]

    def visit_of(self, account_id: str) -> int | None:
        """Return the visit of a plannable account (None when the day cannot plan it)."""
        v = self.index.get(account_id)
        return v if v is not None and v < len(self.built.visit_accounts) else None

    def account_of(self, visit: int) -> str:
        """Return the account of a visit (that of a place a report needed, too)."""
        key = self.accounts[visit]
        return key.removeprefix(REPORT_PREFIX)


def build_day(
    morning: Morning,
    events: Sequence[Event],
    extra: pd.DataFrame,
    scores: pd.DataFrame,
    cfg: Config,
    *,
    travel: TravelModel | None = None,
) -> Day:
    """Return the whole day as a problem: every agent's shift, every account of the plan.

    ``extra`` holds the urgent accounts outside the plan (eligible, typed like
    the context's accounts); ``scores`` has ``priority`` and
    ``expected_recovery`` per account. Today's new windows are applied.
    ``travel`` is the plan's travel model (default: the one ``cfg.travel`` names).
    """
    ctx = morning.ctx
    accounts = pd.concat([ctx.accounts, extra], ignore_index=True) if len(extra) else ctx.accounts
    accounts = accounts.drop_duplicates(S.ACCOUNT_ID, keep="first").reset_index(drop=True)
    accounts = with_windows(accounts, new_windows(events))
    frame = accounts.merge(
        scores[[S.ACCOUNT_ID, "priority", "expected_recovery"]], on=S.ACCOUNT_ID, how="left"
    )
    frame["expected_recovery"] = frame["expected_recovery"].fillna(0.0)
    usable = agent_status(ctx.agents, ctx.date, cfg).usable
    if usable.empty:
        raise InputError(f"{morning.folder}: no agent of the plan may work on {ctx.date}")
    it = morning.itineraries
    carried = it.loc[it[STATUS].astype(str).str.strip().isin(REPORTED), S.ACCOUNT_ID]
    places = _places(events, frame, [str(a) for a in carried])
    pseudo = _pseudo_agents(usable, places)
    built = build_problem(frame, pd.concat([usable, pseudo], ignore_index=True), cfg, travel=travel)
    n = len(usable)
    problem = built.problem
    visits = list(problem.visits)
    points: dict[str, int] = {}
    service_s = cfg.visits.service_min * 60
    for j, key in enumerate(places):
        points[key] = len(visits)
        node = problem.vehicles[n + j].start_node
        visits.append(Visit(key, node, service_s, ((0, DAY_S),), 0, allowed_vehicles=()))
    day_problem = dataclasses.replace(problem, visits=tuple(visits), vehicles=problem.vehicles[:n])
    names = (*built.visit_accounts, *places)
    return Day(
        built=built,
        problem=day_problem,
        accounts=names,
        agents=tuple(built.vehicle_agents[:n]),
        frame=frame,
        usable=usable,
        points=points,
        index={a: i for i, a in enumerate(names)},
    )


def new_windows(events: Sequence[Event]) -> dict[str, tuple[tuple[int, int], ...]]:
    """Return account -> today's windows from ``new_window`` events (the latest wins)."""
    latest: dict[str, Event] = {}
    for e in events:
        if e.kind is EventType.NEW_WINDOW:
            old = latest.get(e.account_id)
            if old is None or (e.time_min, e.row) >= (old.time_min, old.row):
                latest[e.account_id] = e
    return {a: e.windows for a, e in latest.items()}


def _places(
    events: Sequence[Event], frame: pd.DataFrame, carried: Sequence[str] = ()
) -> dict[str, tuple[float, float]]:
    """Return the places events need as nodes: positions, and every reported account.

    ``carried`` are the accounts the plan in force already had as reported. A
    reported account's own visit is used when the day can plan it; its place
    here is the fallback (an account the rules leave out of the day).
    """
    places: dict[str, tuple[float, float]] = {}
    where = frame.set_index(S.ACCOUNT_ID)
    reported = [e.account_id for e in events if e.kind in REPORTED] + list(carried)
    for e in events:
        if e.kind is EventType.POSITION and e.lat is not None and e.lon is not None:
            places[_position_key(e)] = (e.lat, e.lon)
    for account in reported:
        if account in where.index:
            row = where.loc[account]
            places[_report_key(account)] = (float(row[S.LAT]), float(row[S.LON]))
    return places


def _position_key(e: Event) -> str:
    return f"@position {e.agent_id} row {e.row}"


def _report_key(account_id: str) -> str:
    return f"{REPORT_PREFIX}{account_id}"


def _pseudo_agents(usable: pd.DataFrame, places: Mapping[str, tuple[float, float]]) -> pd.DataFrame:
    """Return one agent row per place: based there, with an empty shift (it serves nothing)."""
    if not places:
        return usable.iloc[0:0]
    template = usable.iloc[[0] * len(places)].reset_index(drop=True).copy()
    lats = [p[0] for p in places.values()]
    lons = [p[1] for p in places.values()]
    template[S.AGENT_ID] = list(places)
    for column, values in (
        (S.BASE_LAT, lats),
        (S.END_LAT, lats),
        (S.BASE_LON, lons),
        (S.END_LON, lons),
    ):
        template[column] = values
    template[S.SHIFT_START] = 0
    template[S.SHIFT_END] = 0
    template[S.MAX_VISITS] = 0
    template[S.SKILLS] = [() for _ in places]
    for column in (S.BREAK_START, S.BREAK_END, S.BREAK_MINUTES):
        template[column] = None
    return template


# --- the morning plan and the day's facts, as solver data ------------------------------------


def clock_seconds(text: str) -> int | None:
    """Return a plan file's ``HH:MM`` cell as seconds after midnight (None when it is not one)."""
    minutes = clock_or_none(text)
    return None if minutes is None else minutes * 60


def morning_routes(morning: Morning, day: Day) -> tuple[list[Route], set[int]]:
    """Return the morning's timed route of every vehicle, and the vehicles that lost a visit.

    A planned visit the day cannot plan any more (today's new window leaves
    no lawful time) is left out of its route; its vehicle is then touched.
    """
    routes: list[Route] = []
    lost: set[int] = set()
    it = morning.itineraries
    for k, agent in enumerate(day.agents):
        rows = it[it[S.AGENT_ID] == agent]
        rows = rows.assign(_stop=pd.to_numeric(rows["stop_no"], errors="coerce"))
        rows = rows.sort_values("_stop", kind="stable")
        shift = day.problem.vehicles[k].shift_start_s
        depart, back, brk = shift, shift, None
        visits: list[int] = []
        starts: list[int] = []
        for r in rows.to_dict("records"):
            start = clock_seconds(r["service_start"])
            if r["kind"] == S.KIND_START:
                depart = clock_seconds(r["service_end"]) or shift
            elif r["kind"] == S.KIND_END:
                back = clock_seconds(r["arrival"]) or back
            elif r["kind"] == S.KIND_BREAK:
                brk = start
            elif r["kind"] == S.KIND_VISIT:
                v = day.visit_of(str(r[S.ACCOUNT_ID]))
                if v is None or start is None:
                    lost.add(k)
                    continue
                visits.append(v)
                starts.append(start)
        routes.append(Route(k, tuple(visits), tuple(starts), depart, back, brk))
    return routes, lost


def day_state(
    events: Sequence[Event],
    morning: Morning,
    day: Day,
    at_min: int,
    service_min: int,
    *,
    file: str,
) -> tuple[DayState, list[RowProblem]]:
    """Return the facts of the day as solver data, and the rows that cannot be used.

    A ``done`` visit without times takes the planned ones; one that was not
    planned for that agent needs its ``arrival`` (the row is refused).
    """
    agent = {a: k for k, a in enumerate(day.agents)}
    planned = _planned_times(morning)
    reports = _carried_reports(morning, day, agent)
    problems: list[RowProblem] = []
    gone: set[int] = set()
    limits: dict[int, int] = {}
    positions: dict[int, tuple[int, int]] = {}
    urgent: set[int] = set()
    changed: set[int] = set()
    for e in sorted(events, key=lambda e: (e.time_min, e.row)):
        v = day.visit_of(e.account_id) if e.account_id else None
        if e.kind in REPORTED:
            times = _report_times(e, planned.get((e.agent_id, e.account_id)), at_min, service_min)
            if times is None:
                problems.append(
                    RowProblem(
                        file,
                        e.row,
                        "arrival",
                        f"required: {e.account_id} was not planned for {e.agent_id}",
                        e.record_id,
                    )
                )
                continue
            visit = v if v is not None else day.points[_report_key(e.account_id)]
            reports[e.account_id] = Report(agent[e.agent_id], visit, e.kind.value, *times)
        elif e.kind in (EventType.CANCELLED, EventType.REMOVE) and v is not None:
            gone.add(v)
        elif e.kind in (EventType.UNAVAILABLE_FROM, EventType.AVAILABLE_UNTIL):
            when = (e.effective_min if e.effective_min is not None else e.time_min) * 60
            k = agent.get(e.agent_id)
            if k is not None:
                limits[k] = min(limits.get(k, when), when)
        elif e.kind is EventType.POSITION and e.agent_id in agent:
            node = day.problem.visits[day.points[_position_key(e)]].node
            positions[agent[e.agent_id]] = (node, max(e.time_min * 60, 0))
        elif e.kind is EventType.URGENT and v is not None:
            urgent.add(v)
        elif e.kind is EventType.NEW_WINDOW and v is not None:
            changed.add(v)
    state = DayState(
        at_s=at_min * 60,
        reports=tuple(reports.values()),
        gone=frozenset(gone - {r.visit for r in reports.values()}),
        limits=limits,
        positions=positions,
        urgent=frozenset(urgent),
        changed=frozenset(changed),
    )
    return state, problems


def _carried_reports(morning: Morning, day: Day, agent: Mapping[str, int]) -> dict[str, Report]:
    """Return the visits the plan in force already had as reported (an earlier revision).

    Their rows carry the report in ``status``; an event about the same visit
    replaces it.
    """
    it = morning.itineraries
    rows = it[(it["kind"] == S.KIND_VISIT) & it[STATUS].astype(str).str.strip().isin(REPORTED)]
    out: dict[str, Report] = {}
    for r in rows.to_dict("records"):
        account, k = str(r[S.ACCOUNT_ID]), agent.get(str(r[S.AGENT_ID]))
        v = day.visit_of(account)
        if v is None:
            v = day.points.get(_report_key(account))
        arrival, end = clock_seconds(r["arrival"]), clock_seconds(r["service_end"])
        if k is None or v is None or arrival is None or end is None:
            continue
        out[account] = Report(k, v, str(r[STATUS]).strip(), arrival, max(arrival, end))
    return out


def _planned_times(morning: Morning) -> dict[tuple[str, str], tuple[int, int]]:
    """Return (agent, account) -> planned (service start, service end) in seconds."""
    it = morning.itineraries
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for r in it[it["kind"] == S.KIND_VISIT].to_dict("records"):
        start, end = clock_seconds(r["service_start"]), clock_seconds(r["service_end"])
        if start is not None and end is not None:
            out[(str(r[S.AGENT_ID]), str(r[S.ACCOUNT_ID]))] = (start, end)
    return out


def _report_times(
    e: Event, planned: tuple[int, int] | None, at_min: int, service_min: int
) -> tuple[int, int] | None:
    """Return a reported visit's (arrival, end) in seconds (None: no arrival can be told)."""
    service = service_min * 60
    arrival = e.arrival_min * 60 if e.arrival_min is not None else None
    end = e.end_min * 60 if e.end_min is not None else None
    if arrival is None and end is not None and e.kind is EventType.DONE:
        arrival = end - service
    if arrival is None:
        if planned is None:
            return None
        arrival, end = planned if end is None else (planned[0], end)
    if end is None:
        if e.kind is EventType.NO_SHOW:
            end = arrival
        elif e.kind is EventType.DONE:
            end = min(arrival + service, max(arrival, at_min * 60))
        else:
            end = arrival + service
    return arrival, max(arrival, end)


# --- the whole command ------------------------------------------------------------------------


def replan_plan_folder(
    plan_dir: Path | str,
    events_csv: Path | str,
    out_dir: Path | str,
    *,
    at_min: int,
    today: dt.date,
    options: ReplanOptions,
    progress: Progress | None = None,
    notify: Callable[[str], None] | None = None,
) -> ReplanResult:
    """Re-plan the rest of a planned day from the events so far; write the revision to ``out_dir``.

    :func:`routeplan.commands.replan_folder` is the library call of ``routeplan replan``.

    Parameters
    ----------
    plan_dir
        The plan folder in force (a morning plan, or an earlier revision); only read.
    events_csv
        What happened so far (:mod:`routeplan.events`).
    out_dir
        The new plan folder (not ``plan_dir``); files in it changed by hand
        are not replaced unless ``options.force`` (then they are moved to a backup).
    at_min
        The time of the re-plan, minutes after midnight: what started before
        it is frozen, no event may be after it.
    today
        The plan's date must be ``today`` unless ``options.date`` names it.
    options
        See :class:`routeplan.commands.ReplanOptions`.
    progress, notify
        As for ``routeplan plan``.

    Raises
    ------
    InputError
        The folder cannot be re-planned (no context, another day, ``--at``
        outside the day), the events file cannot be read at all, the
        database is missing, no agent may work, or the plan's travel model
        cannot be reopened.
    ChangedFilesError
        ``out_dir`` holds files changed by hand (and not ``options.force``).
    """
    from routeplan.travel.factory import plan_travel_model

    folder, out = Path(plan_dir), Path(out_dir)
    if out.resolve() == folder.resolve():
        raise InputError(f"--out {out} is the plan folder itself: re-plan into a new folder")
    db = options.db
    if db is not None and not Path(db).exists():
        raise InputError(
            f"{db}: no history database; plan the day with 'routeplan plan --db {db}' first"
        )
    _refuse_changed(out, options.force)
    morning = read_morning(folder)
    check_day(morning, at_min, today, options.date)
    cfg = morning.ctx.config
    if options.time_limit_s is not None:
        cfg = cfg.replace(replan__time_limit_s=options.time_limit_s)
    # the travel model the plan was made with (summary.json), else the context's [travel]
    with plan_travel_model(
        morning.summary.travel, cfg.travel, source=str(folder / SUMMARY_FILE)
    ) as travel:
        run = _replan(morning, cfg, Path(events_csv), at_min, options, progress, travel)
        return _write(run, out, options, notify)


def _replan(
    morning: Morning,
    cfg: Config,
    events_path: Path,
    at_min: int,
    options: ReplanOptions,
    progress: Progress | None,
    travel: TravelModel,
) -> Run:
    """Read and check the events, build the day, freeze the past and re-plan the rest."""
    say: Progress = progress or _quiet
    events, problems = read_events(events_path, at_min=at_min, encoding=options.encoding)
    lookup, lookup_verdicts = _lookup(options.accounts, morning, options.encoding, options.db)
    known = _known(morning, cfg, lookup, lookup_verdicts)
    events, refused = check_events(events, known, file=events_path.name)
    problems += refused
    extra = _urgent_extra(events, morning, lookup)
    scores = _scores(morning, extra, cfg)
    say(f"{len(events)} events accepted, {len(problems)} refused")
    day = build_day(morning, events, extra, scores, cfg, travel=travel)
    plan, lost = morning_routes(morning, day)
    state, unusable = day_state(
        events, morning, day, at_min, cfg.visits.service_min, file=events_path.name
    )
    problems += unusable
    state = dataclasses.replace(state, changed=state.changed | _lost_visits(plan, lost))
    cont = continue_day(day.problem, plan, state)
    stable = solve_stable(
        cont.problem,
        cont.current,
        stability=Stability(
            move_cost_s=round(cfg.replan.move_penalty_min * 60),
            urgent_bonus_s=round(cfg.replan.urgent_bonus_min * 60),
            neighbours=cfg.replan.neighbours,
        ),
        params=dataclasses.replace(cfg.solver, time_limit_s=cfg.replan.time_limit_s),
        disturbed=cont.disturbed,
        urgent=cont.urgent,
        progress=say,
    )
    say(
        f"re-planned: {stable.result.num_served()} visits to go, {len(stable.result.dropped)} "
        f"left out, {len(stable.kept)} of {len(cont.vehicles)} agents keep their route"
    )
    return Run(
        morning=morning,
        cfg=cfg,
        events=tuple(events),
        rejected=tuple(sorted(problems, key=lambda p: (p.row or 0, p.column))),
        day=day,
        plan=tuple(plan),
        lost=frozenset(lost),
        cont=cont,
        stable=stable,
        at_min=at_min,
        events_path=events_path,
        extra=extra,
        scores=scores,
        lookup_verdicts=lookup_verdicts,
        travel=travel,
        progress=say,
    )


def _write(
    run: Run, out: Path, options: ReplanOptions, notify: Callable[[str], None] | None
) -> ReplanResult:
    """Write the revision of ``run`` into ``out`` (see :mod:`routeplan.replan_report`)."""
    from routeplan.replan_report import write_revision

    return write_revision(
        run, out, db=options.db, show_names=options.show_names, force=options.force, notify=notify
    )


def _refuse_changed(out: Path, force: bool) -> None:
    """Refuse an output folder holding files changed by hand (before any work)."""
    from routeplan.io.planfiles import changed_plan_files

    changed = [] if force else changed_plan_files(out)
    if changed:
        raise ChangedFilesError(str(out), changed)


def _lost_visits(plan: Sequence[Route], lost: set[int]) -> frozenset[int]:
    """Return the visits of the vehicles that lost a planned visit (so they are searched again)."""
    return frozenset(v for k in lost for v in plan[k].visits)


@dataclass(frozen=True)
class Run:
    """Everything one re-plan computed, for writing the revision."""

    morning: Morning
    cfg: Config
    events: tuple[Event, ...]
    rejected: tuple[RowProblem, ...]
    day: Day
    plan: tuple[Route, ...]
    lost: frozenset[int]
    cont: Continuation
    stable: StableSolve
    at_min: int
    events_path: Path
    extra: pd.DataFrame
    scores: pd.DataFrame
    lookup_verdicts: Mapping[str, str]
    #: the plan's travel model (open while the revision is made and checked)
    travel: TravelModel
    #: called with one line per stage
    progress: Progress = _quiet

    @property
    def past(self) -> tuple[Past, ...]:
        """Each vehicle's frozen part."""
        return self.cont.past

    def final_routes(self) -> dict[int, tuple[int, ...]]:
        """Return day vehicle -> its day visits from now on (continuing vehicles only)."""
        out: dict[int, tuple[int, ...]] = {}
        for route in self.stable.result.routes:
            k = self.cont.vehicles[route.vehicle]
            out[k] = tuple(self.cont.visits[i] for i in route.visits)
        return out

    def current_routes(self) -> dict[int, tuple[int, ...]]:
        """Return day vehicle -> its day visits still to do before the re-plan (continuing ones)."""
        return {
            k: tuple(self.cont.visits[i] for i in seq)
            for k, seq in zip(self.cont.vehicles, self.cont.current, strict=True)
        }

    def event_digest(self) -> str:
        """Return the SHA-256 of the events file as read."""
        from routeplan.io.manifest import sha256_file

        return sha256_file(self.events_path)


# --- urgent accounts outside the plan ----------------------------------------------------------


def _lookup(
    accounts: Path | str | None, morning: Morning, encoding: str | None, db: Path | str | None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Return the ``--accounts`` rows outside the plan and why each may not be visited today.

    Eligibility is run on them with the plan's rules (and, with ``db``, the
    history's exclusions); an account without coordinates cannot be placed.
    """
    if accounts is None:
        return morning.ctx.accounts.iloc[0:0], {}
    from routeplan.eligibility import determine_eligibility
    from routeplan.io.readers import read_accounts

    frame = read_accounts(accounts, encoding=encoding).frame
    known = set(morning.ctx.accounts[S.ACCOUNT_ID].astype(str))
    frame = frame[~frame[S.ACCOUNT_ID].astype(str).isin(known)].reset_index(drop=True)
    cfg, day = morning.ctx.config, morning.ctx.date
    extra_exclusions = None
    if db is not None and Path(db).exists():
        from routeplan.history import apply_history
        from routeplan.io.store import Store

        with Store.open_existing(db) as store:
            history = apply_history(frame, store.outcomes(until=day), day, cfg.history)
        frame, extra_exclusions = history.accounts, history.exclusions
    elig = determine_eligibility(frame, day, cfg, extra_exclusions=extra_exclusions)
    verdicts: dict[str, str] = {}
    for aid, reason in zip(elig.excluded[S.ACCOUNT_ID], elig.excluded["reason"], strict=True):
        verdicts.setdefault(str(aid), str(reason))
    for aid, lat in zip(frame[S.ACCOUNT_ID], frame[S.LAT], strict=True):
        if lat is None or pd.isna(lat):
            verdicts.setdefault(str(aid), "no coordinates in the --accounts file")
    return frame, verdicts


def _known(
    morning: Morning, cfg: Config, lookup: pd.DataFrame, verdicts: Mapping[str, str]
) -> Known:
    """Return what the events are checked against."""
    status = agent_status(morning.ctx.agents, morning.ctx.date, cfg)
    agents = dict.fromkeys(morning.ctx.agents[S.AGENT_ID].astype(str), "")
    agents.update(
        zip(status.unusable[S.AGENT_ID].astype(str), status.unusable["reason"], strict=True)
    )
    excluded = excluded_reasons(morning.excluded)
    excluded = {a: r for a, r in excluded.items() if a not in set(lookup[S.ACCOUNT_ID])}
    excluded.update(verdicts)
    return Known(
        agents=agents,
        accounts=set(morning.ctx.accounts[S.ACCOUNT_ID].astype(str)),
        lookup=set(lookup[S.ACCOUNT_ID].astype(str)),
        excluded=excluded,
        planned=morning.planned(),
    )


def _urgent_extra(events: Sequence[Event], morning: Morning, lookup: pd.DataFrame) -> pd.DataFrame:
    """Return the ``--accounts`` rows of the urgent accounts outside the plan (eligible ones)."""
    wanted = {e.account_id for e in events if e.kind is EventType.URGENT}
    known = set(morning.ctx.accounts[S.ACCOUNT_ID].astype(str))
    rows = lookup[lookup[S.ACCOUNT_ID].astype(str).isin(wanted - known)]
    return rows.reset_index(drop=True)


def _scores(morning: Morning, extra: pd.DataFrame, cfg: Config) -> pd.DataFrame:
    """Return priority, expected recovery, explanation and why-today facts per account.

    From the folder's ``scores.csv``; accounts it lacks (urgent ones from
    ``--accounts``) are scored with the plan's points table among the plan's
    accounts.
    """
    from routeplan.scoring import score_accounts

    sc = morning.scores
    out = pd.DataFrame({S.ACCOUNT_ID: sc[S.ACCOUNT_ID].astype(str).str.strip()})
    for column in ("priority", "expected_recovery"):
        out[column] = pd.to_numeric(sc.get(column, pd.Series(dtype=object)), errors="coerce")
    for column in ("explanation", "why_today"):
        out[column] = sc[column] if column in sc.columns else ""
    missing = set(extra[S.ACCOUNT_ID].astype(str)) - set(out[S.ACCOUNT_ID]) if len(extra) else set()
    if missing:
        pool = pd.concat([morning.ctx.accounts, extra], ignore_index=True)
        fresh = score_accounts(pool, morning.ctx.date, cfg.scoring)
        fresh = fresh[fresh[S.ACCOUNT_ID].astype(str).isin(missing)]
        cols = [S.ACCOUNT_ID, "priority", "expected_recovery", "explanation"]
        add = fresh[cols].assign(why_today=fresh.get("why_today", ""))
        out = pd.concat([out, add], ignore_index=True)
    return out.drop_duplicates(S.ACCOUNT_ID).reset_index(drop=True)


def clock(seconds: int | float | None) -> str:
    """Return seconds after midnight as ``HH:MM`` (rounded down), or ``""``."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return ""
    return format_clock(int(seconds), seconds=True)


def windows_text(windows: tuple[tuple[int, int], ...]) -> str:
    """Return windows in the input format (``09:00-12:00;18:00-20:00``)."""
    return format_windows(windows)
