"""Repeat visits in the week plan (``[week] max_visits_per_account`` above 1).

The week is first planned as always, at most one visit per account (round
1, :func:`routeplan.week.plan_horizon`'s week solve, unchanged). Visits
beyond the first are then added in rounds: round ``r`` (2 <= r <=
``max_visits_per_account``) builds a problem holding every visit placed so
far, **pinned** to its day, and one new optional **copy** of each account
visited fewer than ``max_visits_per_account`` times. The copy may go only on
days at least the gap away from every day the account is visited, where that
day's own problem lets it be visited (eligibility, windows, skills, legal
hours of that date: :func:`routeplan.week.day_options`), and is worth that
day's decayed prize times ``[week] repeat_value_share`` (the day plans
report that share of its expected recovery too). The problem is solved from
the routes so far with :func:`routeplan.solver.solve`, :data:`REPEAT_SHARE`
of the time limit shared by the rounds, and the result is kept only when the
week objective (travel, prizes, continuity and balance costs) is not worse.

Pinned visits are **required and carry the solver's required penalty as
prize** (:data:`~routeplan.solver.model.REQUIRED_PENALTY`): the round's job is
to add repeat visits into the room the week left, never to trade a visit
already placed for another account's second one. Required says so to the
engines (the construction and the searches place them first and compare
plans with that penalty); the prize makes the plain objective say so too,
which is what :func:`routeplan.solver.solve` uses to choose between its own
construction and the start given (with a week's prize, a construction that
left pinned visits out could look cheaper than the start, and the search
then started from it). The problem stays feasible: the start holds every
pinned visit where it is. A round whose plan leaves a pinned visit out is
not kept. A pinned visit may change agent or place within its day, not its
day.

The gap between two visits of one account is the largest of
``[week] min_days_between_visits``, ``[eligibility] min_days_since_visit``
(the visited-too-recently rule) and ``[history] contacted_gap_days`` (one
contacted visit per debt per so many days, Massachusetts' rule): a planned
visit may meet the debtor, so each is taken as a contacted one. A copy is
also refused on a day where the account's ``visits_90d`` plus its visits
already placed in the week would reach ``[eligibility] max_visits_90d``.

A repeat visit is a plan: what the first visit brings (a payment, a promise,
a dispute, hardship, nobody home) is not known when the week is planned.
Record the outcomes and plan the day again with ``routeplan plan --db``: the
day's eligibility then applies the history's rules, and a repeat visit that
may no longer happen is left out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from routeplan import schema as S
from routeplan.config import Config
from routeplan.solver import Problem, Result, Visit, solve
from routeplan.solver.model import REQUIRED_PENALTY, Progress
from routeplan.week import WeekProblem, _week_visit, day_options, visit_terms, week_cost

if TYPE_CHECKING:
    from routeplan.week import _Day, _Option

__all__ = ["REPEAT_SHARE", "repeat_gap", "repeat_visits"]

#: share of the time limit the repeat rounds get together when repeats are allowed
#: (the first visits' search then gets the rest: ``--time-limit`` is the whole budget)
REPEAT_SHARE = 0.3


def repeat_gap(config: Config) -> tuple[int, str]:
    """Return the fewest days between two visits of one account, and the setting that sets it.

    The largest of ``[week] min_days_between_visits``, ``[eligibility]
    min_days_since_visit`` and ``[history] contacted_gap_days`` (on a tie the
    first of them is named).
    """
    candidates = [
        (config.week.min_days_between_visits, "week.min_days_between_visits"),
        (config.eligibility.min_days_since_visit, "eligibility.min_days_since_visit"),
        (config.history.contacted_gap_days, "history.contacted_gap_days"),
    ]
    return max(candidates, key=lambda c: c[0])


def repeat_visits(
    week: WeekProblem,
    days: Sequence[_Day],
    result: Result,
    preferred: Mapping[str, str],
    config: Config,
    progress: Progress,
) -> tuple[WeekProblem, Result]:
    """Return the week problem and result with repeat visits added in rounds.

    Parameters
    ----------
    week, result
        The week problem and its solved result (round 1).
    days
        The prepared days (each day's options and ``visits_90d``).
    preferred
        Account id -> its preferred agent (continuity, as in round 1).
    config
        ``[week] max_visits_per_account`` and the gaps (:func:`repeat_gap`).
    progress
        Called with one-line updates.

    Returns
    -------
    tuple[WeekProblem, Result]
        ``(week, result)`` unchanged when no round is kept; else the last kept
        round's problem (its ``accounts`` name each visit's account, an account
        on several visits) and result, whose ``objective`` is round 1's plus
        what the rounds changed.
    """
    most = config.week.max_visits_per_account
    if most <= 1 or not days or result.num_served() == 0:
        return week, result
    gap, source = repeat_gap(config)
    span = max(d.index for d in days) - min(d.index for d in days)
    if gap > span:
        progress(
            f"repeat visits: none, {gap} days between visits ({source}) do not fit "
            f"in {span + 1} days"
        )
        return week, result
    options = day_options(days, config, set(week.accounts))
    v90 = _visits_90d(days)
    params = dataclasses.replace(
        config.solver,
        time_limit_s=max(0.5, config.solver.time_limit_s * REPEAT_SHARE / (most - 1)),
    )
    base_engine = result.engine
    for r in range(2, most + 1):
        made = _round(week, result, options, v90, preferred, config, gap)
        if made is None:
            progress(f"repeat round {r}: no visited account may be visited again")
            break
        trial, start, pinned = made
        before, _ = week_cost(trial, start, config)
        found = solve(trial.problem, params, progress, start=start)
        after, routes = week_cost(trial, [list(rt.visits) for rt in found.routes], config)
        served = {v for rt in routes for v in rt.visits}
        if not all(v in served for v in range(pinned)) or after > before:
            progress(f"repeat round {r}: not kept (week objective {after} against {before})")
            break
        added = len(served) - pinned
        progress(f"repeat round {r}: {added} repeat visits, week objective {before} -> {after}")
        result = dataclasses.replace(
            found,
            routes=tuple(routes),
            dropped=tuple(i for i in range(len(trial.problem.visits)) if i not in served),
            objective=result.objective + after - before,
            status=result.status,
            runtime_s=result.runtime_s + found.runtime_s,
            engine=f"{base_engine} + repeats",
        )
        week = trial
        if added == 0:
            break
    return week, result


def _visits_90d(days: Sequence[_Day]) -> dict[tuple[int, str], int]:
    """Return (day index, account id) -> the account's ``visits_90d`` on that day."""
    out: dict[tuple[int, str], int] = {}
    for d in days:
        counts = pd.to_numeric(d.eligible[S.VISITS_90D], errors="coerce").fillna(0)
        for acc, n in zip(d.eligible[S.ACCOUNT_ID].astype(str), counts, strict=True):
            out[(d.index, acc)] = int(n)
    return out


def _round(
    week: WeekProblem,
    result: Result,
    options: Mapping[str, Sequence[_Option]],
    v90: Mapping[tuple[int, str], int],
    preferred: Mapping[str, str],
    config: Config,
    gap: int,
) -> tuple[WeekProblem, list[list[int]], int] | None:
    """Return one round's problem, its start (the routes so far) and how many visits are pinned.

    Visits ``0 .. pinned - 1`` are the visits placed so far, required, on
    their day's vehicles; the rest are one optional copy per account that
    may get another visit. None when no account may.
    """
    p = week.problem
    keys = week.vehicles
    terms = visit_terms(config)
    hard_off = config.week.continuity == "off"
    node = {acc: p.visits[i].node for i, acc in enumerate(week.accounts)}
    on_day = {acc: {o[0]: o for o in opts} for acc, opts in options.items()}
    visits: list[Visit] = []
    accounts: list[str] = []
    start: list[list[int]] = [[] for _ in p.vehicles]
    days_of: dict[str, list[int]] = {}
    for route in result.routes:
        day = keys[route.vehicle][0]
        for v in route.visits:
            acc = week.accounts[v]
            own = None if hard_off else preferred.get(acc)
            opt = on_day.get(acc, {}).get(day)
            made = None if opt is None else _week_visit(acc, [opt], own, keys, terms)
            if made is None or route.vehicle not in (made.allowed_vehicles or ()):
                # the day's options do not show where the week put it: keep it on its agent-day
                made = dataclasses.replace(
                    p.visits[v], allowed_vehicles=(route.vehicle,), serve_cost=None
                )
            start[route.vehicle].append(len(visits))
            visits.append(
                dataclasses.replace(made, node=node[acc], required=True, prize=REQUIRED_PENALTY)
            )
            accounts.append(acc)
            days_of.setdefault(acc, []).append(day)
    pinned = len(visits)
    cap = config.eligibility.max_visits_90d
    share = config.week.repeat_value_share
    for acc, seen in days_of.items():
        if len(seen) >= config.week.max_visits_per_account:
            continue
        allowed = [
            (o[0], o[1], o[2], int(o[3] * share))
            for o in options.get(acc, ())
            if all(abs(o[0] - s) >= gap for s in seen) and v90.get((o[0], acc), 0) + len(seen) < cap
        ]
        own = None if hard_off else preferred.get(acc)
        copy = _week_visit(acc, allowed, own, keys, terms) if allowed else None
        if copy is not None:
            visits.append(dataclasses.replace(copy, node=node[acc]))
            accounts.append(acc)
    if len(visits) == pinned:
        return None
    # the routes so far as current routes (no move cost): the construction starts from
    # them in their order and inserts the copies, as re-planning's construction does
    current = tuple(tuple(seq) for seq in start)
    problem = Problem(p.distance_m, p.durations_s, tuple(visits), p.vehicles, None, current)
    return WeekProblem(problem, keys, tuple(accounts)), start, pinned
