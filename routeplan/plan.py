"""The daily plan: load -> eligibility -> scoring -> travel -> solve -> outputs.

:func:`plan_day` chains the pure stages over already-loaded data and returns
a :class:`Plan`; :func:`load_inputs` is the file side (readers and
geocoding). The CLI and the notebooks call these two.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from routeplan import schema as S
from routeplan.build import AgentStatus, BuiltProblem, agent_break, agent_status, build_problem
from routeplan.calendar import windows_on
from routeplan.checklist import build_checklist
from routeplan.config import Config
from routeplan.eligibility import determine_eligibility
from routeplan.errors import InputError, RowProblem
from routeplan.formats import format_clock
from routeplan.io.context import PlanContext
from routeplan.io.readers import read_accounts, read_agents
from routeplan.itinerary import assemble_itineraries
from routeplan.scoring import score_accounts
from routeplan.solver import solve
from routeplan.solver.model import Progress, Result
from routeplan.summary import (
    AgentSummary,
    Counts,
    OutputSummary,
    PlanSummary,
    SolverSummary,
    counts_by_reason,
    refresh_summary,
    route_totals,
    with_totals,
)

if TYPE_CHECKING:
    import folium

    from routeplan.history import HistoryAdjustment
    from routeplan.io.geocode import GeocodeCache, GeocodeFn
    from routeplan.io.planfolder import PlanFolder
    from routeplan.travel.base import TravelModel
    from routeplan.week_followup import InForce


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class Inputs:
    """Validated inputs: accounts and agents, and every refused row."""

    accounts: pd.DataFrame
    agents: pd.DataFrame
    rejected: tuple[RowProblem, ...] = ()
    accounts_file: str = "accounts.csv"
    agents_file: str = "agents.csv"


def load_inputs(
    accounts_path: str | Path,
    agents_path: str | Path,
    *,
    encoding: str | None = None,
    geocoder: GeocodeFn | None = None,
    geocode_cache: GeocodeCache | None = None,
    progress: Progress = _quiet,
) -> Inputs:
    """Read both input files, geocode accounts without coordinates.

    Parameters
    ----------
    accounts_path, agents_path
        The portfolio and the agents (contract formats).
    encoding
        Force a text encoding; by default UTF-8 (with or without BOM) or
        GB18030 is detected.
    geocoder, geocode_cache
        A ``GeocodeFn`` and a ``GeocodeCache`` (see :mod:`routeplan.io.geocode`);
        without a geocoder, rows lacking coordinates are refused.

    Raises
    ------
    InputError
        A file cannot be used at all (missing, empty, undecodable, missing a
        required column).
    """
    from routeplan.io.geocode import geocode_missing

    problems: list[RowProblem] = []
    errors: list[str] = []
    acc = ag = None
    try:
        acc = read_accounts(accounts_path, encoding=encoding)
    except InputError as exc:
        errors.append(str(exc))
    try:
        ag = read_agents(agents_path, encoding=encoding)
    except InputError as exc:
        errors.append(str(exc))
    if errors or acc is None or ag is None:
        raise InputError("; ".join(errors))
    problems.extend(acc.rejected)
    problems.extend(ag.rejected)
    accounts = acc.frame
    progress(
        f"read {len(accounts)} valid accounts and {len(ag.frame)} valid agents "
        f"({len(problems)} rows refused)"
    )
    missing = accounts[S.LAT].isna() | accounts[S.LON].isna()
    if missing.any():
        progress(f"geocoding {int(missing.sum())} addresses without coordinates")
        placed, geo_problems = geocode_missing(
            accounts,
            geocoder,
            geocode_cache,
            file=Path(accounts_path).name,
            row_numbers=accounts["_row"].tolist(),
            progress=progress,
        )
        accounts = placed.reset_index(drop=True)
        problems.extend(geo_problems)
    return Inputs(
        accounts=accounts,
        agents=ag.frame,
        rejected=tuple(problems),
        accounts_file=Path(accounts_path).name,
        agents_file=Path(agents_path).name,
    )


@dataclass(frozen=True)
class Plan:
    """One day's plan and everything that explains it.

    The tables use the plan-folder schemas of the contract; ``summary`` is
    the content of ``summary.json``.
    """

    date: dt.date
    config: Config
    itineraries: pd.DataFrame
    checklist: pd.DataFrame
    excluded: pd.DataFrame
    dropped: pd.DataFrame
    rejected: pd.DataFrame
    scores: pd.DataFrame
    summary: PlanSummary
    accounts: pd.DataFrame = field(repr=False)
    agents: pd.DataFrame = field(repr=False)
    result: Result | None = field(default=None, repr=False)
    #: the planned accounts' last recorded visits (with ``--db``; ``last_visits.csv``)
    last_visits: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(S.LAST_VISIT_COLUMNS)), repr=False
    )
    #: each agent's route along the roads (GeoJSON), when a road model was used
    routes: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def visits(self) -> pd.DataFrame:
        """The planned visits (itinerary rows of kind ``visit``)."""
        return self.itineraries[self.itineraries[S.KIND] == S.EventKind.VISIT].reset_index(
            drop=True
        )

    @property
    def usable_agents(self) -> tuple[str, ...]:
        """The agents who could work that day (``summary.json``'s agents marked usable)."""
        return tuple(str(a.agent_id) for a in self.summary.agents if a.usable)

    def map(self, *, show_names: bool = False) -> folium.Map:
        """Return the day's folium map (displays inline in Jupyter)."""
        from routeplan.present.map import build_map
        from routeplan.travel.day import road_paths

        return build_map(
            self.itineraries,
            self.dropped,
            self.summary,
            self.checklist,
            show_names=show_names,
            roads=road_paths(self.routes, self.itineraries),
        )

    def context(self) -> PlanContext:
        """Return what the plan was made from: ``plan_context.json``'s content.

        The agents, and the accounts the plan could visit (planned or dropped;
        not the excluded ones).
        """
        planned = self.visits[S.ACCOUNT_ID].astype(str)
        wanted = {*planned, *self.dropped[S.ACCOUNT_ID].astype(str)}
        accounts = self.accounts[self.accounts[S.ACCOUNT_ID].isin(wanted)]
        return PlanContext(self.date, self.config, self.agents, accounts.reset_index(drop=True))

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the plan folder's tables, by file name (:data:`routeplan.io.planfiles.TABLES`)."""
        return {
            "itineraries.csv": self.itineraries,
            "checklist.csv": self.checklist,
            "excluded.csv": self.excluded,
            "dropped.csv": self.dropped,
            "rejected.csv": self.rejected,
            "scores.csv": self.scores,
            S.LAST_VISITS_FILE: self.last_visits,
        }

    def folder(self, out_dir: str | Path) -> PlanFolder:
        """Return the plan as the typed content of its plan folder, without touching files.

        The same object :func:`routeplan.io.planfolder.read_plan_folder`
        returns for the folder ``write`` makes: the dispatch outputs and the
        checker run on it.
        """
        from routeplan.io.planfolder import PlanFolder

        return PlanFolder.build(
            out_dir,
            summary=self.summary,
            itineraries=self.itineraries,
            dropped=self.dropped,
            excluded=self.excluded,
            checklist=self.checklist,
            context=self.context(),
        )

    def write(
        self,
        out_dir: str | Path,
        *,
        show_names: bool = False,
        force: bool = False,
        notify: Callable[[str], None] | None = None,
    ) -> list[Path]:
        """Write the plan folder (CSVs, summary, context, map, sheets) like the CLI.

        The map, sheets and exports are drawn from this plan in memory (what
        ``routeplan map`` draws from the files written). A folder holding
        files changed by hand since routeplan wrote them (filled outcomes, an
        edited itinerary) raises :class:`~routeplan.errors.ChangedFilesError`;
        with ``force`` they are moved to ``out_dir/backup-YYYYmmdd-HHMMSS/``
        first. ``notify`` gets each notice (files moved or kept, a plan
        breaking rules); they go to stderr by default.
        """
        from routeplan.io.manifest import PlanFiles
        from routeplan.io.planfiles import write_plan_folder
        from routeplan.present import write_dispatch_outputs

        folder = self.folder(out_dir)

        def outputs(files: PlanFiles) -> list[Path]:
            return write_dispatch_outputs(folder, show_names=show_names, files=files, notify=notify)

        return write_plan_folder(
            folder.path,
            self.tables(),
            self.summary,
            folder.context.to_record() if folder.context is not None else {},
            outputs=outputs,
            routes=self.routes,
            force=force,
            notify=notify,
        )


def plan_day(
    inputs: Inputs,
    plan_date: dt.date,
    config: Config | None = None,
    *,
    history: HistoryAdjustment | None = None,
    travel: TravelModel | None = None,
    progress: Progress = _quiet,
    routes: Mapping[str, Sequence[str]] | None = None,
    in_force: InForce | None = None,
) -> Plan:
    """Plan one day: eligibility, scoring, structural checks, routing, outputs.

    Parameters
    ----------
    inputs
        Validated accounts and agents (:func:`load_inputs` or built in memory).
    plan_date
        The day planned (legal days, active promises, recency of visits).
    config
        Rules and solver settings; the defaults when None.
    history
        Effects of recorded outcomes (``routeplan.history.apply_history``).
    travel
        The travel model (default: the one ``config.travel`` names, closed
        before returning); ``summary.json`` records it.
    progress
        Called with one-line updates (the CLI prints them to stderr).
    routes
        Routes decided elsewhere (the week plan): agent id -> account ids in
        visiting order. No search runs: the routes are re-timed on the day's
        problem (a visit that no longer fits is dropped) and a day on which no
        agent is usable is planned empty instead of refused.
    in_force
        Routes to hold on to (a week plan's day, ``plan --week``): the search
        starts from them and moving one of their visits costs the move cost;
        the accounts it leaves to another day are dropped as
        ``planned_another_day`` (:class:`routeplan.week_followup.InForce`).
    """
    cfg = config or Config()
    if travel is None:
        from routeplan.travel.factory import travel_model

        with travel_model(cfg.travel, progress=progress) as model:
            return plan_day(
                inputs,
                plan_date,
                cfg,
                history=history,
                travel=model,
                progress=progress,
                routes=routes,
                in_force=in_force,
            )
    t0 = time.perf_counter()
    accounts = windows_on(inputs.accounts, plan_date)
    extra = None
    broken: frozenset[str] = frozenset()
    avoid: Mapping[str, tuple[int, int]] = {}
    if history is not None:
        accounts = windows_on(history.accounts, plan_date)
        extra = history.exclusions
        broken = history.broken_promise_accounts
        avoid = history.avoid_windows
    status = agent_status(inputs.agents, plan_date, cfg)
    if status.usable.empty and routes is None:
        why = [f"{r.agent_id}: {r.reason}" for r in status.unusable.itertuples()]
        why += [
            f"row {p.row}, column {p.column}: {p.problem}"
            for p in inputs.rejected
            if p.file == inputs.agents_file
        ]
        raise InputError(
            f"{inputs.agents_file}: no usable agent on {plan_date.isoformat()} ("
            + ("; ".join(why) or "no agent rows")
            + ")"
        )
    for row in status.usable.itertuples(index=False):
        owed = agent_break(row)
        if owed.note:
            progress(f"agent {getattr(row, S.AGENT_ID)} owes no break today: {owed.note}")
    elig = determine_eligibility(accounts, plan_date, cfg, extra_exclusions=extra)
    progress(
        f"{len(elig.eligible)} of {len(accounts)} accounts eligible "
        f"({elig.excluded[S.ACCOUNT_ID].nunique()} excluded)"
    )
    scores = score_accounts(accounts, plan_date, cfg.scoring)
    eligible = elig.eligible.merge(
        scores[[S.ACCOUNT_ID, "priority", "expected_recovery"]], on=S.ACCOUNT_ID, how="left"
    )
    plannable = eligible if in_force is None else in_force.plannable(eligible)
    if status.usable.empty:
        built = _no_agent_problem(plannable)
    else:
        built = build_problem(plannable, status.usable, cfg, avoid_windows=avoid, travel=travel)
    if in_force is not None:
        built = in_force.apply(built, eligible)
    for agent_id, note in built.agent_notes.items():
        progress(f"agent {agent_id}: no road route from its start or to its end ({note})")
    progress(
        f"{len(built.problem.visits)} visits plannable, {len(built.dropped)} "
        f"dropped before solving; {len(built.problem.vehicles)} usable agents"
    )
    result = solve(built.problem, cfg.solver, progress) if routes is None else _fixed(built, routes)
    progress(
        f"solver {result.status}: {result.num_served()} visits planned in {result.runtime_s:.1f} s"
    )
    itineraries = assemble_itineraries(
        result, built, accounts, status.usable, scores, plan_date, cfg.legal.start_min
    )
    if built.travel is not None:
        from routeplan.travel.day import own_leg_km

        itineraries = own_leg_km(itineraries, status.usable, built.travel)
    visits = itineraries[itineraries[S.KIND] == S.EventKind.VISIT]
    checklist = build_checklist(
        visits[[S.ACCOUNT_ID, S.AGENT_ID]],
        accounts,
        status.usable,
        plan_date,
        cfg,
        broken_promise_accounts=broken,
    )
    dropped = _dropped_table(built, result, eligible, scores)
    rejected = pd.DataFrame(
        [p.as_record() for p in inputs.rejected], columns=list(S.REJECTED_COLUMNS)
    )
    routes = None
    if cfg.travel.geometry:
        routes = road_routes(travel, itineraries, status.usable, cfg, progress)
    summary = _summary(
        plan_date,
        cfg,
        inputs,
        _DayTables(accounts, elig.excluded, eligible, itineraries, dropped),
        status,
        result,
        time.perf_counter() - t0,
    )
    if built.travel is not None:
        from routeplan.travel.day import describe_day

        summary = summary.with_travel(describe_day(travel, built.travel))
    return Plan(
        date=plan_date,
        config=cfg,
        itineraries=itineraries,
        checklist=checklist,
        excluded=elig.excluded,
        dropped=dropped,
        rejected=rejected,
        scores=scores,
        summary=summary,
        accounts=accounts,
        agents=inputs.agents,
        result=result,
        last_visits=_last_visits(history, visits),
        routes=routes,
    )


def _no_agent_problem(eligible: pd.DataFrame) -> BuiltProblem:
    """Return the empty problem of a day without a usable agent: every eligible account dropped."""
    from routeplan.solver import Problem

    dropped = pd.DataFrame(
        {
            S.ACCOUNT_ID: eligible[S.ACCOUNT_ID].astype(str).tolist(),
            S.REASON: S.DroppedReason.NO_AGENT,
            S.DETAIL: "no agent works on this day",
        },
        columns=list(S.DROPPED_COLUMNS),
    )
    empty = np.zeros((0, 0), dtype=np.int64)
    return BuiltProblem(Problem(empty, (empty,), (), ()), (), (), {}, dropped)


def _fixed(built: BuiltProblem, routes: Mapping[str, Sequence[str]]) -> Result:
    """Return the result of routes decided elsewhere, re-timed on ``built``'s problem."""
    from routeplan.solver.model import SolveStatus, route_cost
    from routeplan.solver.schedule import timed_routes

    t0 = time.perf_counter()
    problem = built.problem
    visit_of = {acc: i for i, acc in enumerate(built.visit_accounts)}
    sequences: list[list[int]] = []
    for agent in built.vehicle_agents:
        sequences.append([visit_of[a] for a in routes.get(agent, ()) if a in visit_of])
    timed = timed_routes(problem, sequences)
    served = {v for r in timed for v in r.visits}
    return Result(
        routes=tuple(timed),
        dropped=tuple(i for i in range(len(problem.visits)) if i not in served),
        objective=route_cost(problem, timed),
        status=SolveStatus.RETIMED,
        runtime_s=time.perf_counter() - t0,
        engine="week",
    )


def _last_visits(history: HistoryAdjustment | None, visits: pd.DataFrame) -> pd.DataFrame:
    """Return the recorded visits of the accounts planned (none without a history)."""
    if history is None:
        return pd.DataFrame(columns=list(S.LAST_VISIT_COLUMNS))
    last = history.last_visits
    return last[last[S.ACCOUNT_ID].isin(set(visits[S.ACCOUNT_ID]))].reset_index(drop=True)


def road_routes(
    travel: TravelModel,
    itineraries: pd.DataFrame,
    agents: pd.DataFrame,
    cfg: Config,
    progress: Progress,
) -> dict[str, Any] | None:
    """Return the agents' road paths for the map; None without roads or when the service fails."""
    from routeplan.travel.base import TravelError
    from routeplan.travel.day import route_geometries

    try:
        return route_geometries(travel, itineraries, agents, workers=cfg.travel.workers)
    except TravelError as exc:
        progress(f"travel: no road paths for the map, straight segments instead ({exc})")
        return None


def _dropped_table(
    built: BuiltProblem, result: Result, eligible: pd.DataFrame, scores: pd.DataFrame
) -> pd.DataFrame:
    rows = [built.dropped]
    if result.dropped:
        ids = [built.visit_accounts[i] for i in result.dropped]
        rows.append(
            pd.DataFrame(
                {
                    S.ACCOUNT_ID: ids,
                    S.REASON: S.DroppedReason.CAPACITY,
                    S.DETAIL: "expected recovery lower than the visits planned within the agents' "
                    "shifts and max_visits (or not worth the travel)",
                }
            )
        )
    frames = [r for r in rows if not r.empty]
    dropped = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(S.DROPPED_COLUMNS))
    )
    info = eligible[[S.ACCOUNT_ID, S.LAT, S.LON, S.BALANCE]].merge(
        scores[[S.ACCOUNT_ID, "priority", "expected_recovery"]], on=S.ACCOUNT_ID, how="left"
    )
    out = dropped.merge(info, on=S.ACCOUNT_ID, how="left")
    return out.sort_values("expected_recovery", ascending=False, kind="stable").reset_index(
        drop=True
    )


@dataclass(frozen=True)
class _DayTables:
    """The tables of one planned day that its summary counts."""

    accounts: pd.DataFrame
    excluded: pd.DataFrame
    eligible: pd.DataFrame
    itineraries: pd.DataFrame
    dropped: pd.DataFrame


def _summary(
    plan_date: dt.date,
    cfg: Config,
    inputs: Inputs,
    tables: _DayTables,
    status: AgentStatus,
    result: Result,
    elapsed_s: float,
) -> PlanSummary:
    accounts, excluded, eligible = tables.accounts, tables.excluded, tables.eligible
    itineraries, dropped = tables.itineraries, tables.dropped
    visits = itineraries[itineraries[S.KIND] == S.EventKind.VISIT]
    # a row refused for several reasons is one row (and several lines of rejected.csv)
    rejected_rows = {(p.file, p.row) for p in inputs.rejected}
    legal = cfg.legal
    totals = route_totals(itineraries)
    return PlanSummary(
        date=plan_date.isoformat(),
        jurisdiction=legal.code,
        legal_hours=f"{format_clock(legal.start_min)}-{format_clock(legal.end_min)}",
        counts=Counts(
            accounts=len(accounts),
            rejected_rows=len(rejected_rows),
            rejection_lines=len(inputs.rejected),
            rejected_account_rows=sum(1 for f, _ in rejected_rows if f == inputs.accounts_file),
            excluded=int(excluded[S.ACCOUNT_ID].nunique()),
            eligible=len(eligible),
            planned=len(visits),
            dropped=len(dropped),
            agents=len(inputs.agents),
            agents_usable=len(status.usable),
            agents_with_visits=int(visits[S.AGENT_ID].nunique()),
        ),
        dropped_by_reason=counts_by_reason(dropped),
        excluded_by_reason=counts_by_reason(excluded),
        balance_covered=totals.balance,
        balance_eligible=round(float(eligible[S.BALANCE].sum()), 2),
        expected_recovery_covered=totals.expected_recovery,
        expected_recovery_eligible=round(float(eligible["expected_recovery"].sum()), 2),
        travel_km=totals.travel_km,
        travel_min=totals.travel_min,
        service_min=len(visits) * cfg.visits.service_min,
        solver=SolverSummary(
            status=result.status,
            mode=str(result.mode),
            engine=result.engine,
            objective=int(result.objective),
            runtime_s=round(result.runtime_s, 2),
            first_solution_s=(
                round(result.first_solution_s, 2) if result.first_solution_s is not None else None
            ),
            time_limit_s=cfg.solver.time_limit_s,
            solution_limit=cfg.solver.solution_limit,
        ),
        objective_note=(
            "minimise travel seconds + skip penalties; a skipped visit costs its expected "
            f"recovery converted at {cfg.solver.value_of_hour:g} per agent-hour"
        ),
        elapsed_s=round(elapsed_s, 2),
        # how the dispatch outputs are drawn, so `routeplan map` redraws them the same way
        output=OutputSummary(
            language=cfg.output.language_for(legal.code),
            offline_assets=cfg.output.offline_assets,
        ),
        agents=_agent_summaries(inputs.agents, itineraries, status),
    )


def _agent_summaries(
    agents: pd.DataFrame, itineraries: pd.DataFrame, status: AgentStatus
) -> tuple[AgentSummary, ...]:
    """Return every agent's ``summary.json`` entry: credential, shift, break, route totals."""
    unusable = dict(zip(status.unusable[S.AGENT_ID], status.unusable["reason"], strict=True))
    out: list[AgentSummary] = []
    for row in agents.itertuples(index=False):
        aid = getattr(row, S.AGENT_ID)
        expiry = getattr(row, S.CREDENTIAL_EXPIRY)
        entry = AgentSummary(
            agent_id=aid,
            name=getattr(row, S.AGENT_NAME),
            credential_id=getattr(row, S.CREDENTIAL_ID) or "",
            credential_expiry=expiry.isoformat() if isinstance(expiry, dt.date) else "",
            usable=aid not in unusable,
            unusable_reason=unusable.get(aid, ""),
            shift_start=format_clock(int(getattr(row, S.SHIFT_START))),
            shift_end=format_clock(int(getattr(row, S.SHIFT_END))),
            break_=agent_break(row).describe(),
        )
        out.append(with_totals(entry, route_totals(itineraries[itineraries[S.AGENT_ID] == aid])))
    return tuple(out)


__all__ = ["Inputs", "Plan", "load_inputs", "plan_day", "refresh_summary"]
