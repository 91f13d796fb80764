"""Re-planning one day of a week plan (``routeplan plan --week WEEK_DIR``).

A week folder (``routeplan plan-week``) says who visits whom on which day.
When the day comes, ``plan --week`` plans it again with what is known since
(the outcomes recorded in ``--db`` shape eligibility as in any daily plan:
paid, promise and dispute accounts drop out), holding on to the week:

* the week's visits of the day form the routes in force, priced as in
  ``routeplan replan`` (:func:`routeplan.replan_solve.stable_problem`): giving
  one to another agent, or leaving it out, costs ``[replan]
  move_penalty_min`` minutes of travel, so a visit moves only when that pays;
* an account the week placed on a later date stays there: it is not planned
  today and is in ``dropped.csv`` as ``planned_another_day``, naming the date
  and the agent;
* any other eligible account (placed on an earlier date of the week and not
  recorded since, dropped by the week, new in the portfolio) is free.

:func:`read_week_day` reads what the week says about a date; :class:`InForce`
is what :func:`routeplan.plan.plan_day` takes to plan that way;
:func:`followup_counts` says how many of the week's visits were kept with
their agent, moved or dropped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from routeplan import schema as S
from routeplan.errors import InputError
from routeplan.present.common import text

if TYPE_CHECKING:
    from routeplan.build import BuiltProblem

__all__ = ["InForce", "WeekDay", "followup_counts", "read_week_day"]

#: the ``week.csv`` columns a week follow-up reads
_NEEDED = (S.ACCOUNT_ID, "date", S.AGENT_ID, "order", "status")


@dataclass(frozen=True)
class WeekDay:
    """What a week folder says about one of its dates."""

    week_dir: Path
    date: dt.date
    #: every date of the week, in order
    dates: tuple[dt.date, ...]
    #: agent id -> account ids the week gives him on ``date``, in visiting order
    routes: Mapping[str, tuple[str, ...]]
    #: account id -> (date, agent) of its visit on a later date of the week (none today)
    later: Mapping[str, tuple[dt.date, str]]
    #: account id -> (date, agent) of its last visit on an earlier date (none today or later)
    earlier: Mapping[str, tuple[dt.date, str]] = dataclasses.field(default_factory=dict)

    @property
    def visits(self) -> int:
        """The number of the week's visits on ``date``."""
        return sum(len(r) for r in self.routes.values())

    def held(self) -> dict[str, str]:
        """Return account id -> ``dropped.csv`` detail of each account kept for a later date."""
        return {
            acc: f"planned on {day.isoformat()} by {agent} (week plan {self.week_dir})"
            for acc, (day, agent) in self.later.items()
        }


def read_week_day(week_dir: str | Path, day: dt.date) -> WeekDay:
    """Return what the week folder ``week_dir`` plans on ``day``.

    The week's dates are its day folders (``YYYY-MM-DD``) and the dates of
    ``week.csv``; the visits are ``week.csv``'s ``visited`` rows (date, agent,
    order).

    Raises
    ------
    InputError
        ``week_dir`` is not a week folder (no ``week.csv``, a column missing,
        a visited row without a usable date, agent or order, naming the file,
        row and column), or ``day`` is not one of its dates.
    """
    from routeplan.io.tables import read_table

    folder = Path(week_dir)
    path = folder / "week.csv"
    if not path.is_file():
        raise InputError(f"{path}: not found: {folder} is not a week folder (routeplan plan-week)")
    frame, _ = read_table(path)
    missing = [c for c in _NEEDED if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: not a week.csv, column(s) missing: {', '.join(missing)}")
    visits: list[tuple[dt.date, str, int, str]] = []
    dates: set[dt.date] = set()
    for rec in frame.to_dict("records"):
        row = rec.get("_row", "?")
        status = text(rec["status"])
        when = text(rec["date"])
        if status != "visited" and not when:
            continue
        parsed = _date(when)
        if parsed is None:
            raise InputError(f"{path} row {row}, column date: not a date: {when!r}")
        dates.add(parsed)
        if status != "visited":
            continue
        agent, order = text(rec[S.AGENT_ID]), text(rec["order"])
        if not agent:
            raise InputError(f"{path} row {row}, column agent_id: empty on a visited row")
        try:
            rank = int(float(order))
        except (ValueError, OverflowError):
            raise InputError(f"{path} row {row}, column order: not a number: {order!r}") from None
        visits.append((parsed, agent, rank, text(rec[S.ACCOUNT_ID])))
    for sub in folder.iterdir():
        if sub.is_dir() and (found := _date(sub.name)) is not None:
            dates.add(found)
    ordered = tuple(sorted(dates))
    if day not in dates:
        span = f"{ordered[0]} to {ordered[-1]}" if ordered else "no date"
        raise InputError(f"{folder}: {day} is not a date of this week plan ({span})")
    return _week_day(folder, day, ordered, visits)


def _date(text: str) -> dt.date | None:
    """Return the ISO date ``text`` names, or None."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _week_day(
    folder: Path,
    day: dt.date,
    dates: tuple[dt.date, ...],
    visits: Sequence[tuple[dt.date, str, int, str]],
) -> WeekDay:
    routes: dict[str, list[tuple[int, str]]] = {}
    later: dict[str, tuple[dt.date, str]] = {}
    earlier: dict[str, tuple[dt.date, str]] = {}
    today = {acc for d, _, _, acc in visits if d == day}
    for d, agent, rank, acc in sorted(visits):
        if d == day:
            routes.setdefault(agent, []).append((rank, acc))
        elif d > day and acc not in today:
            later.setdefault(acc, (d, agent))
        elif d < day and acc not in today:
            earlier[acc] = (d, agent)
    for acc in later:
        earlier.pop(acc, None)
    ordered = {a: tuple(acc for _, acc in sorted(r)) for a, r in routes.items()}
    return WeekDay(folder, day, dates, ordered, later, earlier)


@dataclass(frozen=True)
class InForce:
    """Routes a day's plan holds on to (the week's), and accounts it leaves to another day.

    :func:`routeplan.plan.plan_day` takes it as ``in_force``: accounts of
    ``elsewhere`` are dropped before solving (``planned_another_day`` with
    the detail given), and the solver starts from ``routes`` with each of
    their visits costing ``move_cost_s`` to move or drop (``Visit.move_cost``
    and ``Problem.current_routes``, as ``routeplan replan`` prices them).
    """

    #: agent id -> account ids in visiting order: the routes in force
    routes: Mapping[str, Sequence[str]]
    #: seconds of travel that moving a visit in force to another agent, or dropping it, costs
    move_cost_s: int
    #: account id -> ``dropped.csv`` detail of each account left to another day
    elsewhere: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def plannable(self, eligible: pd.DataFrame) -> pd.DataFrame:
        """Return the eligible accounts without those left to another day."""
        held = eligible[S.ACCOUNT_ID].astype(str).isin(set(self.elsewhere))
        return eligible[~held].reset_index(drop=True)

    def apply(self, built: BuiltProblem, eligible: pd.DataFrame) -> BuiltProblem:
        """Return ``built`` with the routes in force priced and the held accounts dropped."""
        from routeplan.replan_solve import stable_problem

        ids = eligible[S.ACCOUNT_ID].astype(str)
        held = pd.DataFrame(
            {
                S.ACCOUNT_ID: ids[ids.isin(set(self.elsewhere))].tolist(),
                S.REASON: S.DroppedReason.OTHER_DAY,
            },
            columns=[S.ACCOUNT_ID, S.REASON],
        )
        held[S.DETAIL] = [self.elsewhere[a] for a in held[S.ACCOUNT_ID]]
        frames = [f for f in (built.dropped, held) if not f.empty]
        dropped = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=list(S.DROPPED_COLUMNS))
        )
        visit_of = {acc: i for i, acc in enumerate(built.visit_accounts)}
        current = [
            [visit_of[a] for a in self.routes.get(agent, ()) if a in visit_of]
            for agent in built.vehicle_agents
        ]
        problem = stable_problem(built.problem, current, move_cost_s=self.move_cost_s)
        return dataclasses.replace(built, problem=problem, dropped=dropped)


def followup_counts(week: WeekDay, visits: pd.DataFrame, excluded: pd.DataFrame) -> dict[str, int]:
    """Return how the re-plan treated the week's visits of the day.

    ``kept`` (same agent), ``moved`` (another agent), ``dropped`` (not
    planned today; ``now_excluded`` of them are no longer eligible, e.g. paid
    or a promise recorded since), ``added`` (planned today, not the week's
    visit of the day; ``added_from_earlier`` of them the week visited on an
    earlier date: still eligible, e.g. no outcome recorded yet) and ``held``
    (left to a later date of the week).
    """
    agent_of = dict(
        zip(visits[S.ACCOUNT_ID].astype(str), visits[S.AGENT_ID].astype(str), strict=True)
    )
    gone = set(excluded[S.ACCOUNT_ID].astype(str))
    kept = moved = dropped = now_excluded = 0
    planned: set[str] = set()
    for agent, accounts in week.routes.items():
        for acc in accounts:
            planned.add(acc)
            now = agent_of.get(acc)
            if now == agent:
                kept += 1
            elif now is not None:
                moved += 1
            else:
                dropped += 1
                now_excluded += acc in gone
    return {
        "week_visits": week.visits,
        "kept": kept,
        "moved": moved,
        "dropped": dropped,
        "now_excluded": now_excluded,
        "added": len(set(agent_of) - planned),
        "added_from_earlier": len((set(agent_of) - planned) & set(week.earlier)),
        "held": len(week.later),
    }
