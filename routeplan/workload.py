"""Workload fairness over a period of stored plans (``routeplan report``).

The figures are those of a week plan's fairness block
(:func:`routeplan.week.fairness`, computed by that very function over the
latest stored plan of each day): per agent, visits planned, minutes from
leaving the base to coming back (summed over the days), km, expected
recovery and days worked; between agents, the spread (max - min) of each,
and ``daily_minutes_sd``, the mean over agents of the standard deviation of
their daily minutes. Where the history has the recorded outcomes, each
agent also gets ``visits_done`` and ``amount_collected`` (as in the activity
report) and their spreads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from routeplan import schema as S

__all__ = ["FAIRNESS_COLUMNS", "fairness_lines", "fairness_table", "period_fairness"]

#: columns of ``routeplan report --fairness --csv``: one row per agent who worked
FAIRNESS_COLUMNS = (
    S.AGENT_ID,
    "agent_name",
    "days_worked",
    "idle_days",
    "visits",
    "minutes",
    "km",
    "expected_recovery",
    "visits_done",
    "amount_collected",
)
#: the per-agent figures of which the spread between agents is given
_SPREAD_OF_OUTCOMES = ("visits_done", "amount_collected")


@dataclass(frozen=True)
class _StoredDay:
    """One stored plan's routes, seen as :func:`routeplan.week.fairness` reads a plan.

    ``fairness`` reads only a plan's ``date``, ``itineraries`` (agent, kind,
    departure, return, legs' km), ``visits`` (agent, expected recovery) and
    ``usable_agents`` (from the stored ``summary.json``).
    """

    date: dt.date
    itineraries: pd.DataFrame
    usable_agents: tuple[str, ...] = ()

    @property
    def visits(self) -> pd.DataFrame:
        """The planned visits (route rows of kind ``visit``)."""
        rows = self.itineraries
        return rows[rows[S.KIND] == S.EventKind.VISIT].reset_index(drop=True)


def period_fairness(
    routes: pd.DataFrame,
    activity: pd.DataFrame | None = None,
    names: Mapping[str, str] | None = None,
    *,
    usable: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Return the fairness block of the stored plans ``routes`` (``Store.planned_routes``).

    Parameters
    ----------
    routes
        Every route row of the latest plan of each day (and region) of the
        period: ``plan_id, plan_date, agent_id, kind, arrival, service_end,
        travel_km, expected_recovery``.
    activity
        The activity report of the same period
        (:func:`routeplan.commands.report_activity`): its ``visits_done`` and
        ``amount_collected`` are added to each agent who worked, with their
        spreads. None: planned figures only.
    names
        Agent id -> display name, put in each agent's ``agent_name``.
    usable
        ``plan_id, agent_id`` of the agents usable in each plan
        (``Store.usable_agents``): one without a route that day, while others
        visited, has an idle day of 0 minutes. None: no idle days.

    Returns
    -------
    dict
        ``{"agents": {agent_id: {...}}, "spread": {...}}`` as
        :func:`routeplan.week.fairness` returns it (plus the outcome figures).
    """
    from routeplan.week import fairness

    crew: dict[Any, tuple[str, ...]] = {}
    if usable is not None and not usable.empty:
        crew = {
            pid: tuple(str(a) for a in frame[S.AGENT_ID])
            for pid, frame in usable.groupby("plan_id", sort=False)
        }
    days = [
        _StoredDay(dt.date.fromisoformat(str(frame["plan_date"].iloc[0])), frame, crew.get(pid, ()))
        for pid, frame in routes.groupby("plan_id", sort=True)
    ]
    block = fairness(days)
    for agent, rec in block["agents"].items():
        rec["agent_name"] = (names or {}).get(agent, "")
    if activity is not None:
        done = {str(r[S.AGENT_ID]): r for r in activity.to_dict("records")}
        for agent, rec in block["agents"].items():
            row = done.get(agent, {})
            rec["visits_done"] = int(row.get("visits_done", 0) or 0)
            rec["amount_collected"] = round(float(row.get("amount_collected", 0.0) or 0.0), 2)
        for key in _SPREAD_OF_OUTCOMES:
            values = [float(r[key]) for r in block["agents"].values()]
            block["spread"][key] = round(max(values) - min(values), 2) if values else 0.0
    return dict(block)


def fairness_table(block: Mapping[str, Any]) -> pd.DataFrame:
    """Return the per-agent table of a fairness block (:data:`FAIRNESS_COLUMNS`), by agent id.

    ``visits_done`` and ``amount_collected`` are empty when the block has no
    outcome figures.
    """
    rows = [{S.AGENT_ID: agent, **rec} for agent, rec in sorted(block["agents"].items())]
    return pd.DataFrame(rows, columns=list(FAIRNESS_COLUMNS))


def fairness_lines(block: Mapping[str, Any]) -> list[str]:
    """Return the text section of ``report``: the per-agent table, then the spreads."""
    table = fairness_table(block)
    if table.empty:
        return ["no stored route with a departure and a return time in the period"]
    shown = table.copy()
    shown["minutes"] = [f"{float(v):,.0f}" for v in shown["minutes"]]
    shown["km"] = [f"{float(v):,.1f}" for v in shown["km"]]
    for col in ("expected_recovery", "amount_collected"):
        shown[col] = ["" if pd.isna(v) else f"{float(v):,.2f}" for v in shown[col]]
    shown["visits_done"] = ["" if pd.isna(v) else str(int(v)) for v in shown["visits_done"]]
    shown = shown.rename(
        columns={
            "days_worked": "days",
            "idle_days": "idle",
            "visits": "planned",
            "expected_recovery": "expected",
            "visits_done": "done",
            "amount_collected": "collected",
        }
    )
    lines = str(shown.to_string(index=False)).splitlines()
    spread = block["spread"]
    parts = [
        f"visits {spread['visits']:g}",
        f"minutes {spread['minutes']:,.0f}",
        f"km {spread['km']:,.1f}",
        f"expected recovery {spread['expected_recovery']:,.2f}",
    ]
    if "visits_done" in spread:
        parts.append(f"visits done {spread['visits_done']:g}")
        parts.append(f"amount collected {spread['amount_collected']:,.2f}")
    lines.append("Spread between agents (max - min): " + ", ".join(parts))
    lines.append(
        "Uneven days: mean over agents of the standard deviation of their daily minutes "
        f"{spread['daily_minutes_sd']:,.1f}"
    )
    return lines
