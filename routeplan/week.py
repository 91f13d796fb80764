"""The week plan: several days planned as one problem (``routeplan plan-week``).

Each day is prepared as the daily plan prepares it (agents with that day's
availability, eligibility and scores on that date, the day's visit windows,
the day's structural drops); then one solver problem holds every day: an
agent-day is a vehicle, living on the time axis at ``day index * 86,400 s``
plus its clock time, and an account is one optional visit whose windows are
its windows on every day it may be visited. What a visit is worth depends on
the day and the agent, as ``Visit.serve_cost``:

* a visit ``k`` days after the first day keeps ``(1 - prize_decay_per_day)**k``
  of its prize, so valuable accounts go early;
* a visit by another agent than the account's preferred one (its
  ``assigned_agent``, else the agent of its last contacted visit in the
  history) costs ``continuity_bonus_min`` minutes of travel; with
  ``continuity = "hard"`` only the preferred agent may visit it.

The routes found are then handed day by day to :func:`routeplan.plan.plan_day`,
which re-times them on the day's own problem and builds the day's plan
folder exactly as a daily plan's; an account visited on another day of the
week is in that day's ``dropped.csv`` as ``planned_another_day``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from routeplan import schema as S
from routeplan.build import OFF_REASON, BuiltProblem, agent_status, build_problem
from routeplan.calendar import horizon_dates, windows_on
from routeplan.config import Config
from routeplan.eligibility import determine_eligibility
from routeplan.errors import InputError
from routeplan.history import HistoryAdjustment
from routeplan.plan import Inputs, Plan, plan_day
from routeplan.scoring import score_accounts
from routeplan.solver import Problem, Result, Vehicle, Visit, solve
from routeplan.solver.model import Progress, Route, SolveParams, route_cost, serve_costs
from routeplan.summary import refresh_summary

if TYPE_CHECKING:
    from routeplan.travel.base import TravelModel

#: share of the time limit the whole-week search gets; the days share the rest
WHOLE_SHARE = 0.3
#: seconds between two days on the week problem's time axis
DAY_S = 24 * 3600
#: ``week.csv`` columns
WEEK_COLUMNS = (
    S.ACCOUNT_ID,
    "date",
    S.AGENT_ID,
    "order",
    "expected_recovery",
    "status",
    S.REASON,
    S.DETAIL,
)

#: what gives an account's preferred agent for a date (None: no history)
HistoryFor = Callable[[dt.date], HistoryAdjustment | None]


def _quiet(_: str) -> None:
    return None


# --- preparation ---------------------------------------------------------------------


def day_agents(
    agents: pd.DataFrame, availability: pd.DataFrame | None, day: dt.date
) -> pd.DataFrame:
    """Return ``agents`` as they work on ``day``: shifts overridden, days off marked.

    An agent off that day keeps his row with an ``off_reason`` (he is then
    unusable, and ``summary.json`` says why); a row with a shift replaces
    ``shift_start``/``shift_end`` (either may be empty: the agent's own
    applies).
    """
    out = agents.copy()
    out[OFF_REASON] = ""
    if availability is None or availability.empty:
        return out
    rows = availability[availability["date"] == day]
    index = {str(a): i for i, a in zip(out.index, out[S.AGENT_ID], strict=True)}
    for r in rows.to_dict("records"):
        i = index.get(str(r[S.AGENT_ID]))
        if i is None:
            continue
        if bool(r[S.OFF]):
            out.at[i, OFF_REASON] = f"off on {day.isoformat()} (availability.csv row {r['_row']})"
            continue
        for col in (S.SHIFT_START, S.SHIFT_END):
            value = r[col]
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                out.at[i, col] = int(value)
    return out


def preferred_agents(accounts: pd.DataFrame, history: HistoryAdjustment | None) -> dict[str, str]:
    """Return each account's preferred agent: ``assigned_agent``, else its last contacted visit's.

    A visit where nobody was met (not home, moved, wrong address) does not
    make its agent the debtor's.
    """
    out: dict[str, str] = {}
    if history is not None and not history.last_visits.empty:
        last = history.last_visits
        met = last[~last[S.OUTCOME].isin([str(o) for o in S.NOBODY_MET_OUTCOMES])]
        met = met.sort_values(S.VISIT_DATE, kind="stable")
        for acc, agent in zip(met[S.ACCOUNT_ID], met[S.AGENT_ID], strict=True):
            out[str(acc)] = str(agent)
    if S.ASSIGNED_AGENT in accounts.columns:
        for acc, agent in zip(accounts[S.ACCOUNT_ID], accounts[S.ASSIGNED_AGENT], strict=True):
            if isinstance(agent, str) and agent.strip():
                out[str(acc)] = agent.strip()
    return out


def _with_due_promises(
    accounts: pd.DataFrame, history: HistoryAdjustment | None, first: dt.date, day: dt.date
) -> HistoryAdjustment:
    """Return the day's history with promises fallen due in the horizon before ``day``.

    A promise due on a day of the horizon before ``day`` and not known to be
    paid makes its account's visit carry the broken-promise checklist.
    """
    ptp = accounts[S.PTP_DATE]
    due = (ptp >= pd.Timestamp(first)) & (ptp < pd.Timestamp(day))
    broken = frozenset(str(a) for a in accounts.loc[due.fillna(False), S.ACCOUNT_ID])
    if history is None:
        return HistoryAdjustment(
            accounts=accounts,
            exclusions=pd.DataFrame(columns=list(S.EXCLUDED_COLUMNS)),
            avoid_windows={},
            broken_promise_accounts=broken,
        )
    return dataclasses.replace(
        history, broken_promise_accounts=history.broken_promise_accounts | broken
    )


@dataclass(frozen=True)
class _Day:
    """One day of the horizon, prepared as the daily plan prepares it."""

    index: int
    date: dt.date
    agents: pd.DataFrame
    history: HistoryAdjustment
    eligible: pd.DataFrame
    built: BuiltProblem | None


def _prepare(
    inputs: Inputs,
    day: dt.date,
    index: int,
    ctx: _Week,
) -> _Day:
    """Return ``day`` prepared: agents, history, eligible accounts and its own problem."""
    history = _with_due_promises(inputs.accounts, ctx.history_for(day), ctx.dates[0], day)
    agents = day_agents(inputs.agents, ctx.availability, day)
    accounts = windows_on(history.accounts, day)
    status = agent_status(agents, day, ctx.config)
    elig = determine_eligibility(accounts, day, ctx.config, extra_exclusions=history.exclusions)
    scores = score_accounts(accounts, day, ctx.config.scoring)
    eligible = elig.eligible.merge(
        scores[[S.ACCOUNT_ID, "priority", "expected_recovery"]], on=S.ACCOUNT_ID, how="left"
    )
    built = None
    if not status.usable.empty and not eligible.empty:
        built = build_problem(
            eligible,
            status.usable,
            ctx.config,
            avoid_windows=history.avoid_windows,
            travel=ctx.travel,
        )
    return _Day(index, day, agents, history, eligible, built)


@dataclass
class _Week:
    """What every stage of one week plan shares."""

    config: Config
    dates: tuple[dt.date, ...]
    availability: pd.DataFrame | None
    history_for: HistoryFor
    travel: TravelModel
    progress: Progress


# --- the week problem ----------------------------------------------------------------


def _union(days: Sequence[_Day], inputs: Inputs, ctx: _Week) -> BuiltProblem | None:
    """Return one problem holding every account some day can plan and every agent of the week.

    Only its matrices and node numbers are used: agents get the whole day
    as shift and accounts any time, so nobody is dropped for a window here.
    """
    frames = [
        d.eligible[d.eligible[S.ACCOUNT_ID].isin(d.built.visit_accounts)] for d in days if d.built
    ]
    if not frames:
        return None
    accounts = pd.concat(frames, ignore_index=True).drop_duplicates(S.ACCOUNT_ID)
    accounts = accounts.assign(windows=[() for _ in range(len(accounts))])
    working = {a for d in days if d.built for a in d.built.vehicle_agents}
    agents = inputs.agents[inputs.agents[S.AGENT_ID].isin(working)].copy()
    agents[S.SHIFT_START], agents[S.SHIFT_END] = 0, 24 * 60
    for col in (S.BREAK_START, S.BREAK_END, S.BREAK_MINUTES):
        agents[col] = None
    return build_problem(
        accounts.reset_index(drop=True),
        agents.reset_index(drop=True),
        ctx.config,
        travel=ctx.travel,
    )


@dataclass(frozen=True)
class WeekProblem:
    """The week's solver problem and what its vehicles and visits stand for."""

    problem: Problem
    #: (day index, agent id) of each vehicle
    vehicles: tuple[tuple[int, str], ...]
    #: account id of each visit
    accounts: tuple[str, ...]

    def agent_days(self) -> dict[str, list[int]]:
        """Return agent id -> his vehicles (agent-days), in day order."""
        out: dict[str, list[int]] = {}
        for k, (_, agent) in enumerate(self.vehicles):
            out.setdefault(agent, []).append(k)
        return out


def _shift(window: tuple[int, int] | None, offset: int) -> tuple[int, int] | None:
    return None if window is None else (window[0] + offset, window[1] + offset)


def week_problem(
    days: Sequence[_Day], union: BuiltProblem, preferred: Mapping[str, str], config: Config
) -> WeekProblem:
    """Return one problem over every agent-day and every account some day can plan.

    Parameters
    ----------
    days
        The prepared days (their own problems give windows, allowed agents, prizes).
    union
        The problem whose matrices and nodes the week uses (:func:`_union`).
    preferred
        Account id -> its preferred agent.
    config
        ``[week]``: decay per day, continuity mode and bonus.
    """
    week = config.week
    u = union.problem
    agent_vehicle = {a: k for k, a in enumerate(union.vehicle_agents)}
    account_node = {a: u.visits[i].node for i, a in enumerate(union.visit_accounts)}
    vehicles: list[Vehicle] = []
    keys: list[tuple[int, str]] = []
    for d in days:
        if d.built is None:
            continue
        for veh, agent in zip(d.built.problem.vehicles, d.built.vehicle_agents, strict=True):
            uv = u.vehicles[agent_vehicle[agent]]
            off = d.index * DAY_S
            vehicles.append(
                dataclasses.replace(
                    veh,
                    id=f"{agent}@{d.date.isoformat()}",
                    start_node=uv.start_node,
                    end_node=uv.end_node,
                    profile=uv.profile,
                    shift_start_s=veh.shift_start_s + off,
                    shift_end_s=veh.shift_end_s + off,
                    break_window=_shift(veh.break_window, off),
                )
            )
            keys.append((d.index, agent))
    options = day_options(days, config, account_node)
    visits: list[Visit] = []
    accounts: list[str] = []
    for acc, opts in options.items():
        own = preferred.get(acc) if week.continuity != "off" else None
        made = _week_visit(acc, opts, own, keys, visit_terms(config))
        if made is not None:
            visits.append(dataclasses.replace(made, node=account_node[acc]))
            accounts.append(acc)
    problem = Problem(u.distance_m, u.durations_s, tuple(visits), tuple(vehicles))
    return WeekProblem(problem, tuple(keys), tuple(accounts))


#: one day an account may be visited: day index, vehicles allowed, windows, prize
_Option = tuple[int, list[int], list[tuple[int, int]], int]


def day_options(
    days: Sequence[_Day], config: Config, known: Container[str]
) -> dict[str, list[_Option]]:
    """Return, per account of ``known``, each day it may be visited on the week problem.

    An option is (day index, week vehicles allowed that day, the day's windows on
    the week's time axis, the day's prize decayed by ``prize_decay_per_day`` per
    day): what the day's own problem allows, so eligibility, windows, skills and
    legal hours of that date hold. Week vehicles are numbered day after day, in
    each day's own vehicle order (as :func:`week_problem` numbers them).
    """
    options: dict[str, list[_Option]] = {}
    base = 0
    for d in days:
        if d.built is None:
            continue
        nveh = len(d.built.problem.vehicles)
        factor = (1.0 - config.week.prize_decay_per_day) ** d.index
        off = d.index * DAY_S
        for one in d.built.problem.visits:
            if one.id not in known:
                continue
            ks = range(nveh) if one.allowed_vehicles is None else one.allowed_vehicles
            options.setdefault(one.id, []).append(
                (
                    d.index,
                    [base + k for k in ks],
                    [(lo + off, hi + off) for lo, hi in one.windows],
                    int(one.prize * factor),
                )
            )
        base += nveh
    return options


def visit_terms(config: Config) -> tuple[int, int, bool]:
    """Return what :func:`_week_visit` charges: (continuity bonus s, service s, hard continuity)."""
    week = config.week
    return (
        round(week.continuity_bonus_min * 60),
        config.visits.service_min * 60,
        week.continuity == "hard",
    )


def _week_visit(
    account: str,
    options: Sequence[_Option],
    own: str | None,
    keys: Sequence[tuple[int, str]],
    terms: tuple[int, int, bool],
) -> Visit | None:
    """Return an account's visit of the week problem (its node still to set), or None.

    ``terms`` is (continuity bonus in seconds, service seconds, hard
    continuity). The prize is the best day's; serving on a vehicle costs what
    that day loses against it, plus the bonus on agents other than ``own``.
    None when hard continuity leaves no vehicle.
    """
    bonus_s, service_s, hard = terms
    top = max(o[3] for o in options)
    cost = [0] * len(keys)
    allowed: list[int] = []
    windows: list[tuple[int, int]] = []
    for _, vehicles, wins, prize in options:
        if hard and own is not None:
            vehicles = [k for k in vehicles if keys[k][1] == own]
        for k in vehicles:
            cost[k] = top - prize + (bonus_s if own is not None and keys[k][1] != own else 0)
        allowed.extend(vehicles)
        windows.extend(wins)
    if not allowed:
        return None
    return Visit(
        id=account,
        node=0,
        service_s=service_s,
        windows=tuple(sorted(windows)),
        prize=top,
        allowed_vehicles=tuple(sorted(allowed)),
        serve_cost=tuple(cost),
    )


def relative_serve_cost(costs: Sequence[int], allowed: Iterable[int]) -> tuple[int, ...] | None:
    """Return a visit's serve costs less what every agent allowed pays alike; None if all alike.

    A cost every allowed agent pays is the same for every plan of the day,
    so only the differences between them matter; and a problem without serve
    costs keeps every engine (PyVRP and VROOM decline serve costs).
    """
    ok = list(allowed)
    if not ok:
        return None
    low = min(costs[j] for j in ok)
    if all(costs[j] == low for j in ok):
        return None
    return tuple(max(0, c - low) for c in costs)


def greedy_by_day(
    week: WeekProblem,
    days: Sequence[_Day],
    params: SolveParams,
    progress: Progress,
) -> list[list[int]]:
    """Return the week's routes planned one day after the other, as daily plans would.

    Day by day from the first, the day's own problem (its matrices, prizes
    and windows, exactly what :func:`routeplan.plan.plan_day` solves) is
    solved over the accounts earlier days did not place, ``params`` each.
    The week only narrows it: an account's agents are those the week allows
    that day (hard continuity), and an agent other than the preferred one
    costs the continuity bonus. Returns one visit sequence (week visit
    numbers) per week vehicle.
    """
    p = week.problem
    visit_of = {a: i for i, a in enumerate(week.accounts)}
    vehicle_of = {key: k for k, key in enumerate(week.vehicles)}
    sequences: list[list[int]] = [[] for _ in p.vehicles]
    placed: set[int] = set()
    for d in days:
        if d.built is None:
            continue
        own = d.built.problem
        ks = [vehicle_of[(d.index, a)] for a in d.built.vehicle_agents]
        keep: list[int] = []
        visits: list[Visit] = []
        for i, one in enumerate(own.visits):
            w = visit_of.get(d.built.visit_accounts[i])
            if w is None or w in placed:
                continue
            wv = p.visits[w]
            allowed = set(range(len(ks))) if wv.allowed_vehicles is None else set()
            if wv.allowed_vehicles is not None:
                week_allowed = set(wv.allowed_vehicles)
                allowed = {j for j, k in enumerate(ks) if k in week_allowed}
            if one.allowed_vehicles is not None:
                allowed &= set(one.allowed_vehicles)
            if not allowed:
                continue
            cost = None
            if wv.serve_cost is not None:
                cost = relative_serve_cost([wv.serve_cost[k] for k in ks], allowed)
            visits.append(
                dataclasses.replace(
                    one,
                    allowed_vehicles=None if len(allowed) == len(ks) else tuple(sorted(allowed)),
                    serve_cost=cost,
                )
            )
            keep.append(w)
        if not visits:
            continue
        day_problem = dataclasses.replace(own, visits=tuple(visits))
        found = solve(day_problem, params, progress)
        for route in found.routes:
            sequences[ks[route.vehicle]] = [keep[i] for i in route.visits]
            placed.update(sequences[ks[route.vehicle]])
    return sequences


def assignment(week: WeekProblem, result: Result) -> dict[int, dict[str, list[str]]]:
    """Return day index -> agent id -> account ids in visiting order, from a solved week."""
    out: dict[int, dict[str, list[str]]] = {}
    for route in result.routes:
        if route.visits:
            day, agent = week.vehicles[route.vehicle]
            out.setdefault(day, {})[agent] = [week.accounts[v] for v in route.visits]
    return out


# --- the plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekPlan:
    """A week's plan: one daily :class:`~routeplan.plan.Plan` per date, and the week's tables.

    ``week`` is ``week.csv`` (one row per account of the input, visited,
    dropped, excluded or rejected, with its reason); ``summary`` is
    ``week_summary.json`` (per day, totals, the fairness block and the solve).
    """

    dates: tuple[dt.date, ...]
    days: tuple[Plan, ...]
    week: pd.DataFrame
    summary: dict[str, Any]
    result: Result | None = field(default=None, repr=False)

    def write(
        self, out_dir: str | Path, *, show_names: bool = False, force: bool = False
    ) -> list[Path]:
        """Write one plan folder per date, ``week.csv``, ``week_summary.json``, the map, the sheets.

        Each day's folder is written as :meth:`Plan.write` writes it (a folder
        holding files changed by hand raises, unless ``force``).
        """
        from routeplan.io.safe import write_csv_atomic, write_json_atomic, write_text_atomic
        from routeplan.present.week import week_map_html, week_sheets

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for plan in self.days:
            written += plan.write(out / plan.date.isoformat(), show_names=show_names, force=force)
        written.append(
            write_csv_atomic(out / "week.csv", self.week, spreadsheet=True, columns=WEEK_COLUMNS)
        )
        written.append(write_json_atomic(out / "week_summary.json", self.summary))
        written.append(
            write_text_atomic(out / "week_map.html", week_map_html(self, show_names=show_names))
        )
        for name, html in week_sheets(self, show_names=show_names).items():
            written.append(write_text_atomic(out / "week_sheets" / name, html))
        return written


def plan_horizon(
    inputs: Inputs,
    first: dt.date,
    days: int,
    config: Config | None = None,
    *,
    availability: pd.DataFrame | None = None,
    history_for: HistoryFor | None = None,
    travel: TravelModel | None = None,
    progress: Progress = _quiet,
) -> WeekPlan:
    """Plan ``days`` days from ``first`` as one problem; return each day's plan and the week's.

    Parameters
    ----------
    inputs
        Validated accounts and agents (:func:`routeplan.plan.load_inputs`).
    first, days
        The horizon: ``days`` calendar days from ``first``.
    config
        Rules, solver settings (``time_limit_s`` is the whole week's) and ``[week]``.
    availability
        ``availability.csv`` as :func:`routeplan.io.readers.read_availability` reads it.
    history_for
        The visit history's effect for a date (``--db``), or None.
    travel
        The travel model (default: the config's, closed before returning).
    progress
        Called with one-line updates.
    """
    cfg = config or Config()
    if travel is None:
        from routeplan.travel.factory import travel_model

        with travel_model(cfg.travel, progress=progress) as model:
            return plan_horizon(
                inputs,
                first,
                days,
                cfg,
                availability=availability,
                history_for=history_for,
                travel=model,
                progress=progress,
            )
    ctx = _Week(
        cfg,
        horizon_dates(first, days),
        availability,
        history_for or (lambda _d: None),
        travel,
        progress,
    )
    prepared = [_prepare(inputs, d, i, ctx) for i, d in enumerate(ctx.dates)]
    if inputs.agents.empty:
        raise InputError(f"{inputs.agents_file}: no agent to plan the week with")
    if all(not d.agents[OFF_REASON].eq("").any() for d in prepared):
        span = f"{ctx.dates[0].isoformat()} to {ctx.dates[-1].isoformat()}"
        raise InputError(
            f"{inputs.agents_file}: every agent is off on every day from {span} "
            "(the availability file): nobody to plan the week with"
        )
    for d in prepared:
        n = 0 if d.built is None else len(d.built.problem.visits)
        progress(f"{d.date.isoformat()}: {len(d.eligible)} eligible, {n} plannable")
    union = _union(prepared, inputs, ctx)
    preferred = preferred_agents(inputs.accounts, ctx.history_for(ctx.dates[0]))
    routes: dict[int, dict[str, list[str]]] = {}
    result = None
    if union is not None:
        week = week_problem(prepared, union, preferred, cfg)
        progress(
            f"week problem: {len(week.problem.visits)} accounts, "
            f"{len(week.problem.vehicles)} agent-days"
        )
        visits_cfg = cfg
        if cfg.week.max_visits_per_account > 1:
            from routeplan.week_repeat import REPEAT_SHARE

            # the repeat rounds take their share of the same budget
            limit = cfg.solver.time_limit_s * (1 - REPEAT_SHARE)
            visits_cfg = cfg.replace(solver__time_limit_s=limit)
        result = _solve_week(week, prepared, visits_cfg, progress)
        progress(
            f"week solver {result.status}: {result.num_served()} visits in {result.runtime_s:.1f} s"
        )
        if cfg.week.max_visits_per_account > 1:
            from routeplan.week_repeat import repeat_visits

            week, result = repeat_visits(week, prepared, result, preferred, cfg, progress)
        routes = assignment(week, result)
    visited: dict[str, list[tuple[int, str, int]]] = {}
    for index, agents in sorted(routes.items()):
        for agent, accs in agents.items():
            for order, acc in enumerate(accs, start=1):
                visited.setdefault(acc, []).append((index, agent, order))
    plans = tuple(_day_plan(inputs, d, routes.get(d.index, {}), visited, ctx) for d in prepared)
    table = week_table(inputs, plans, ctx.dates)
    summary = week_summary(plans, table, result, cfg)
    return WeekPlan(ctx.dates, plans, table, summary, result)


def balance_cost(week: WeekProblem, routes: Sequence[Route], config: Config) -> int:
    """Return what the week's routes pay for leaving the balance band, in seconds of travel.

    For each agent, over the agent-days of the week problem (the days he
    works): his average visits and minutes a day; each visit a day lies
    outside ``average x (1 +/- balance_band)`` costs ``balance_cost_min``
    minutes, each minute of work (leaving the base to coming back) above
    the minutes band one minute (a day below it is not charged: that would
    make travel free on light days). 0 when ``balance_cost_min`` is 0.
    """
    week_cfg = config.week
    if week_cfg.balance_cost_min <= 0:
        return 0
    by_vehicle = {r.vehicle: r for r in routes if r.visits}
    band, per_visit = week_cfg.balance_band, week_cfg.balance_cost_min * 60
    total = 0.0
    for ks in week.agent_days().values():
        work = [
            (len(r.visits), r.return_s - r.depart_s) if (r := by_vehicle.get(k)) else (0, 0)
            for k in ks
        ]
        mean_v = sum(v for v, _ in work) / len(work)
        mean_s = sum(t for _, t in work) / len(work)
        for v, t in work:
            total += per_visit * max(0.0, abs(v - mean_v) - band * mean_v)
            # minutes only above the band: charging a short day would pay for driving around
            total += max(0.0, t - mean_s - band * mean_s)
    return round(total)


def week_cost(
    week: WeekProblem, sequences: Sequence[Sequence[int]], config: Config
) -> tuple[int, list[Route]]:
    """Return the week objective of ``sequences`` and their timed routes.

    The objective is travel, prizes of visits left out, serve costs and
    :func:`balance_cost`: what the week solve and the repeat rounds compare.
    """
    from routeplan.solver.schedule import timed_routes

    routes = timed_routes(week.problem, sequences)
    return route_cost(week.problem, routes) + balance_cost(week, routes, config), routes


def with_visit_bands(week: WeekProblem, routes: Sequence[Route], config: Config) -> Problem:
    """Return the week problem with each agent-day's balance band as a soft visit range.

    An agent's band is ``average x (1 +/- balance_band)`` visits a day, his
    average taken over his agent-days in ``routes``; each visit a day holds
    outside it costs ``balance_cost_min`` minutes (``Vehicle.visit_band``), so
    the search weighs the visits part of :func:`balance_cost` as it goes.
    """
    count = {r.vehicle: len(r.visits) for r in routes}
    band, cost = config.week.balance_band, round(config.week.balance_cost_min * 60)
    vehicles = list(week.problem.vehicles)
    for ks in week.agent_days().values():
        mean = sum(count.get(k, 0) for k in ks) / len(ks)
        lo = max(0, math.ceil(mean * (1 - band) - 1e-9))
        hi = max(lo, math.floor(mean * (1 + band) + 1e-9))
        for k in ks:
            vehicles[k] = dataclasses.replace(vehicles[k], visit_band=(lo, hi), band_cost=cost)
    return dataclasses.replace(week.problem, vehicles=tuple(vehicles))


def _solve_week(week: WeekProblem, days: Sequence[_Day], cfg: Config, progress: Progress) -> Result:
    """Plan the week day by day as the daily plan would, then improve on it; keep the best.

    First each day, from the first, is solved as its daily plan solves it
    (:func:`greedy_by_day`: the day's own problem, over the accounts the
    days before left, an equal share of ``(1 - WHOLE_SHARE) x time_limit_s``
    each), so the week always holds what planning day by day gives. The
    other :data:`WHOLE_SHARE` of the time limit goes to one search over every
    agent-day at once, started from that plan; with the balance on, each
    agent-day carries its balance band as a soft visit range
    (:func:`with_visit_bands`). The week's objective (travel, prizes lost,
    continuity and :func:`balance_cost`) keeps the better plan, so the week
    plan is never worse on it than day-by-day planning. The result's
    ``objective`` is that week objective.
    """
    import time

    t0 = time.perf_counter()
    params = cfg.solver
    p = week.problem
    ndays = max(len({d for d, _ in week.vehicles}), 1)
    extra = params.time_limit_s * WHOLE_SHARE
    balanced = cfg.week.balance_cost_min > 0

    def parts(routes: list[Route]) -> str:
        served = {v for r in routes for v in r.visits}
        serve = sum(serve_costs(p, r.vehicle, r.visits) for r in routes)
        lost = sum(v.prize for i, v in enumerate(p.visits) if i not in served)
        travel = route_cost(p, routes) - serve - lost
        bal = balance_cost(week, routes, cfg)
        return f"travel {travel}, day/agent costs {serve}, lost {lost}, balance {bal}"

    by_day = params.time_limit_s - extra
    daily = dataclasses.replace(params, time_limit_s=max(0.5, by_day / ndays))
    candidates = [(*week_cost(week, greedy_by_day(week, days, daily, _quiet), cfg), "by day")]
    best = min(candidates, key=lambda c: c[0])
    whole = dataclasses.replace(params, time_limit_s=extra)
    search = with_visit_bands(week, best[1], cfg) if balanced else p
    result = solve(search, whole, progress, start=[list(r.visits) for r in best[1]])
    candidates.append((*week_cost(week, [r.visits for r in result.routes], cfg), result.engine))
    progress(
        "week objective: "
        + "; ".join(f"{name} {cost} ({parts(r)})" for cost, r, name in candidates)
    )
    cost, routes, name = min(candidates, key=lambda c: c[0])
    served = {v for r in routes for v in r.visits}
    return dataclasses.replace(
        result,
        routes=tuple(routes),
        dropped=tuple(i for i in range(len(p.visits)) if i not in served),
        objective=cost,
        runtime_s=time.perf_counter() - t0,
        engine=name,
    )


def _day_plan(
    inputs: Inputs,
    day: _Day,
    routes: Mapping[str, Sequence[str]],
    visited: Mapping[str, Sequence[tuple[int, str, int]]],
    ctx: _Week,
) -> Plan:
    """Return the plan of one day of the week: the week's routes, re-timed as a daily plan.

    ``visited`` gives each account's visits of the week (day index, agent,
    order), in day order: an account eligible this day but visited on others
    is ``planned_another_day``, its detail naming every visit.
    """
    day_inputs = dataclasses.replace(inputs, agents=day.agents)
    plan = plan_day(
        day_inputs, day.date, ctx.config, history=day.history, travel=ctx.travel, routes=routes
    )
    itineraries = _repeat_value(plan.itineraries, day.index, visited, ctx.config)
    dropped = plan.dropped.copy()
    elsewhere = dropped[S.ACCOUNT_ID].astype(str).map(visited.get)
    moved = elsewhere.notna() & dropped[S.REASON].eq(S.DroppedReason.CAPACITY)
    dropped.loc[moved, S.REASON] = S.DroppedReason.OTHER_DAY
    dropped.loc[moved, S.DETAIL] = [
        "visited on "
        + " and ".join(f"{ctx.dates[d].isoformat()} by {agent}" for d, agent, _ in visits)
        + " (week plan)"
        for visits in elsewhere[moved]
    ]
    dropped.loc[dropped[S.REASON].eq(S.DroppedReason.CAPACITY), S.DETAIL] = (
        "not visited on any day of the week: lower expected recovery than the visits "
        "planned within the agents' shifts and max_visits (or not worth the travel)"
    )
    summary = refresh_summary(plan.summary, itineraries, dropped, ctx.config.visits.service_min)
    summary = dataclasses.replace(
        summary,
        objective_note="week plan (routeplan plan-week): the week's routes re-timed on this day",
    )
    return dataclasses.replace(plan, itineraries=itineraries, dropped=dropped, summary=summary)


def _repeat_value(
    itineraries: pd.DataFrame,
    index: int,
    visited: Mapping[str, Sequence[tuple[int, str, int]]],
    config: Config,
) -> pd.DataFrame:
    """Return ``itineraries`` with each repeat visit's expected recovery times the repeat share.

    A visit is a repeat when the account's first visit of the week falls on an
    earlier day (``visited`` gives each account's visits in day order); its
    expected recovery becomes ``[week] repeat_value_share`` of the day's.
    """
    share = config.week.repeat_value_share
    if share == 1 or itineraries.empty:
        return itineraries
    later = [
        bool((seen := visited.get(str(acc), ())) and seen[0][0] < index)
        for acc in itineraries[S.ACCOUNT_ID]
    ]
    repeat = itineraries[S.KIND].eq(S.EventKind.VISIT) & pd.Series(later, index=itineraries.index)
    if not repeat.any():
        return itineraries
    out = itineraries.copy()
    er = pd.to_numeric(out.loc[repeat, "expected_recovery"], errors="coerce") * share
    out.loc[repeat, "expected_recovery"] = er.round(2)
    return out


# --- week.csv and week_summary.json ----------------------------------------------------


def week_table(inputs: Inputs, plans: Sequence[Plan], dates: Sequence[dt.date]) -> pd.DataFrame:
    """Return ``week.csv``: one row per visit, and every account of the input not visited once.

    ``status`` is ``visited`` (date, agent, order among the agent's visits
    that day from 1, expected recovery; an account visited on several days,
    ``[week] max_visits_per_account`` above 1, has one such row per visit, in
    date order), ``dropped`` (eligible some day, visited on none: the first
    such day's reason), ``excluded`` (eligible on no day: the first day's
    reasons) or ``rejected`` (the input row was refused).
    """
    rows: dict[str, list[dict[str, Any]]] = {}
    for plan in plans:
        for agent, visits in plan.visits.groupby(S.AGENT_ID, sort=False):
            for order, r in enumerate(visits.to_dict("records"), start=1):
                rows.setdefault(str(r[S.ACCOUNT_ID]), []).append(
                    {
                        "date": plan.date.isoformat(),
                        S.AGENT_ID: agent,
                        "order": order,
                        "expected_recovery": r.get("expected_recovery"),
                        "status": "visited",
                        S.REASON: "",
                        S.DETAIL: "",
                    }
                )
    for plan in plans:
        for r in plan.dropped.itertuples(index=False):
            acc = str(r.account_id)
            if acc not in rows and r.reason != S.DroppedReason.OTHER_DAY:
                rows[acc] = [_other(plan.date, "dropped", str(r.reason), str(r.detail), r)]
    for plan in plans[:1]:
        grouped = plan.excluded.groupby(S.ACCOUNT_ID, sort=False)
        for acc, frame in grouped:
            if str(acc) not in rows:
                rows[str(acc)] = [
                    _other(
                        plan.date,
                        "excluded",
                        ";".join(frame[S.REASON].astype(str)),
                        "; ".join(frame[S.DETAIL].astype(str)),
                        None,
                    )
                ]
    for acc in inputs.accounts[S.ACCOUNT_ID].astype(str):
        # excluded on the first day, planned nowhere: excluded on every day it was not eligible
        rows.setdefault(acc, [_other(dates[0], "excluded", "", "not eligible on any day", None)])
    out = [{S.ACCOUNT_ID: acc, **rec} for acc, recs in rows.items() for rec in recs]
    for p in inputs.rejected:
        if p.file == inputs.accounts_file:
            out.append(
                {
                    S.ACCOUNT_ID: p.record_id,
                    "date": "",
                    S.AGENT_ID: "",
                    "order": None,
                    "expected_recovery": None,
                    "status": "rejected",
                    S.REASON: "rejected",
                    S.DETAIL: f"{p.file} row {p.row}, column {p.column}: {p.problem}",
                }
            )
    return pd.DataFrame(out, columns=list(WEEK_COLUMNS))


def _other(day: dt.date, status: str, reason: str, detail: str, row: Any) -> dict[str, Any]:
    return {
        "date": day.isoformat() if status == "dropped" else "",
        S.AGENT_ID: "",
        "order": None,
        "expected_recovery": getattr(row, "expected_recovery", None) if row is not None else None,
        "status": status,
        S.REASON: reason,
        S.DETAIL: detail,
    }


def _work_minutes(itineraries: pd.DataFrame) -> dict[str, float]:
    """Return each agent's minutes from leaving his base to coming back, on one day."""
    from routeplan.formats import clock_or_none

    out: dict[str, float] = {}
    for agent, rows in itineraries.groupby(S.AGENT_ID, sort=False):
        start = rows[rows[S.KIND] == S.EventKind.START]
        end = rows[rows[S.KIND] == S.EventKind.END]
        if start.empty or end.empty:
            continue
        lo = clock_or_none(start.iloc[0]["service_end"])
        hi = clock_or_none(end.iloc[-1]["arrival"])
        if lo is not None and hi is not None:
            out[str(agent)] = float(hi - lo)
    return out


class DayWork(Protocol):
    """What :func:`fairness` reads of a day: a :class:`~routeplan.plan.Plan` or a stored plan."""

    @property
    def date(self) -> dt.date:
        """The day."""

    @property
    def itineraries(self) -> pd.DataFrame:
        """The day's ``itineraries.csv`` rows (agent, kind, departure, return, legs' km)."""

    @property
    def visits(self) -> pd.DataFrame:
        """The day's visits (agent, expected recovery)."""

    @property
    def usable_agents(self) -> Sequence[str]:
        """The agents who could work that day."""


def fairness(plans: Sequence[DayWork]) -> dict[str, Any]:
    """Return the week's fairness block: per agent totals and the spreads between agents.

    Per agent: visits, minutes (leaving the base to returning, summed over
    the days), km, expected recovery, days worked, idle days and the minutes
    of each day; ``spread`` gives max - min between the agents, and
    ``daily_minutes_sd`` the mean over agents of the standard deviation of
    their daily minutes (how uneven each agent's days are). An **idle day**
    is a day the agent could work (usable) and got no route while others
    visited: it counts as a day of 0 minutes, so an empty Friday shows. A
    day nobody visits (a holiday) is nobody's idle day.
    """
    per: dict[str, dict[str, Any]] = {}

    def record(agent: str) -> dict[str, Any]:
        return per.setdefault(
            agent,
            {
                "visits": 0,
                "minutes": 0.0,
                "km": 0.0,
                "expected_recovery": 0.0,
                "days_worked": 0,
                "idle_days": 0,
                "daily_minutes": {},
            },
        )

    for plan in plans:
        minutes = _work_minutes(plan.itineraries)
        visits = plan.visits
        for agent, mins in minutes.items():
            rec = record(agent)
            mine = visits[visits[S.AGENT_ID] == agent]
            legs = plan.itineraries[
                (plan.itineraries[S.AGENT_ID] == agent)
                & plan.itineraries[S.KIND].isin([S.EventKind.VISIT, S.EventKind.END])
            ]
            rec["visits"] += len(mine)
            rec["minutes"] += mins
            rec["days_worked"] += 1
            rec["km"] += float(pd.to_numeric(legs["travel_km"], errors="coerce").sum())
            rec["expected_recovery"] += float(
                pd.to_numeric(mine["expected_recovery"], errors="coerce").sum()
            )
            rec["daily_minutes"][plan.date.isoformat()] = mins
        if visits.empty:
            continue
        for agent in plan.usable_agents:
            if str(agent) not in minutes:
                rec = record(str(agent))
                rec["idle_days"] += 1
                rec["daily_minutes"][plan.date.isoformat()] = 0.0
    for rec in per.values():
        rec["km"] = round(rec["km"], 2)
        rec["expected_recovery"] = round(rec["expected_recovery"], 2)
    spread: dict[str, float] = {}
    for key in ("visits", "minutes", "km", "expected_recovery"):
        values = [float(r[key]) for r in per.values()]
        spread[key] = round(max(values) - min(values), 2) if values else 0.0
    sds = [float(np.std(list(r["daily_minutes"].values()))) for r in per.values()]
    spread["daily_minutes_sd"] = round(float(np.mean(sds)), 1) if sds else 0.0
    return {"agents": per, "spread": spread}


def week_summary(
    plans: Sequence[Plan], table: pd.DataFrame, result: Result | None, config: Config
) -> dict[str, Any]:
    """Return ``week_summary.json``: the days, the totals, the fairness block and the solve.

    ``discounted_expected_recovery`` weighs each visit's expected recovery by
    ``(1 - prize_decay_per_day) ** days after the first day``, the value the
    week plan maximises (less travel). ``counts`` counts accounts by status;
    ``visits`` counts visits, ``accounts_visited`` the accounts they visit and
    ``repeat_visits`` the visits beyond each account's first.
    """
    decay = config.week.prize_decay_per_day
    days: list[dict[str, Any]] = []
    discounted = 0.0
    for k, plan in enumerate(plans):
        s = plan.summary
        er = float(pd.to_numeric(plan.visits["expected_recovery"], errors="coerce").sum())
        discounted += er * (1 - decay) ** k
        lawful = s.excluded_by_reason.get(str(S.ExcludedReason.LEGAL_DAY), 0)
        days.append(
            {
                "date": s.date,
                "planned": s.counts.planned,
                "eligible": s.counts.eligible,
                "agents_usable": s.counts.agents_usable,
                "no_visit_day": bool(lawful and lawful == s.counts.accounts),
                "travel_km": s.travel_km,
                "expected_recovery": s.expected_recovery_covered,
            }
        )
    visited = table["status"].eq("visited")
    repeat = visited & table[S.ACCOUNT_ID].where(visited).duplicated()
    # counts are of accounts: an account's visits after its first are not counted again
    counts = {str(k): int(v) for k, v in table.loc[~repeat, "status"].value_counts().items()}
    visits = int(sum(d["planned"] for d in days))
    return {
        "from": plans[0].date.isoformat() if plans else "",
        "days": days,
        "counts": counts,
        "visits": visits,
        "accounts_visited": counts.get("visited", 0),
        "repeat_visits": visits - counts.get("visited", 0),
        "expected_recovery": round(sum(d["expected_recovery"] for d in days), 2),
        "discounted_expected_recovery": round(discounted, 2),
        "travel_km": round(sum(d["travel_km"] for d in days), 2),
        "fairness": fairness(plans),
        "settings": dataclasses.asdict(config.week),
        "solver": None
        if result is None
        else {
            "status": str(result.status),
            "engine": result.engine,
            "objective": int(result.objective),
            "runtime_s": round(result.runtime_s, 2),
            "time_limit_s": config.solver.time_limit_s,
        },
    }


__all__ = [
    "WEEK_COLUMNS",
    "DayWork",
    "WeekPlan",
    "WeekProblem",
    "assignment",
    "balance_cost",
    "day_agents",
    "fairness",
    "greedy_by_day",
    "plan_horizon",
    "preferred_agents",
    "relative_serve_cost",
    "week_cost",
    "week_problem",
    "week_summary",
    "week_table",
    "with_visit_bands",
]
