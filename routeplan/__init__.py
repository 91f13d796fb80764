"""routeplan: plan lawful, efficient field debt-collection visits.

The pipeline, stage by stage (each a function over plain data)::

    inputs = load_inputs("accounts.csv", "agents.csv")        # read + validate + geocode
    plan = plan_day(inputs, date(2026, 12, 1), Config())       # eligibility..solve..outputs
    plan.itineraries, plan.dropped, plan.excluded, plan.summary
    plan.summary.counts.planned, plan.summary.travel_km        # a typed PlanSummary
    plan.map()                                                 # folium map (inline in Jupyter)
    plan.write("plans/today")                                  # the same folder as the CLI
    folder = read_plan_folder("plans/today")                   # read back (typed), as `map` does

Stages on their own: :func:`determine_eligibility`, :func:`score_accounts`,
:func:`build_problem` (travel matrix and structural checks), :func:`solve`.
Codes are enums: :class:`EventKind`, :class:`ExcludedReason`,
:class:`DroppedReason`, :class:`ViolationRule`, :class:`Outcome`.

Every command of the ``routeplan`` command line is one call here too
(:mod:`routeplan.commands`): :func:`plan_to_folder`, :func:`check_plan_inputs`,
:func:`retime_folder`, :func:`replan_folder` (``replan``),
:func:`write_dispatch_outputs` (``map``), :func:`record_outcomes`,
:func:`history_trail`, :func:`report_activity`, :func:`report_fairness`
(``report``) and :func:`audit_visits`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routeplan.build import agent_status, build_problem
    from routeplan.check import Violation, check_plan, check_plan_folder
    from routeplan.checklist import build_checklist
    from routeplan.commands import (
        AuditReport,
        CheckOptions,
        CheckReport,
        FolderOptions,
        PlanRun,
        ReplanOptions,
        audit_visits,
        check_plan_inputs,
        history_trail,
        plan_to_folder,
        record_outcomes,
        replan_folder,
        report_activity,
        report_fairness,
        retime_folder,
    )
    from routeplan.config import JURISDICTIONS, Config, config_from_dict, load_config
    from routeplan.eligibility import determine_eligibility, eligibility_funnel
    from routeplan.errors import ConfigError, InputError, RouteplanError, RowProblem
    from routeplan.formats import format_clock, parse_clock, parse_windows
    from routeplan.history import HistoryAdjustment, activity_report, apply_history
    from routeplan.io.planfolder import PlanFolder, read_plan_folder
    from routeplan.io.readers import read_accounts, read_agents
    from routeplan.io.store import RecordReport, Store
    from routeplan.io.tables import read_table
    from routeplan.outcomes import validate_outcomes
    from routeplan.plan import Inputs, Plan, load_inputs, plan_day
    from routeplan.present import write_dispatch_outputs
    from routeplan.replan import ReplanResult
    from routeplan.retime import RetimeResult, retime_plan_folder
    from routeplan.schema import (
        DroppedReason,
        EventKind,
        ExcludedReason,
        Outcome,
        ViolationRule,
    )
    from routeplan.scoring import score_accounts
    from routeplan.solver import solve
    from routeplan.solver.model import Problem, Result, SolveParams
    from routeplan.summary import (
        AgentSummary,
        Counts,
        OutputSummary,
        PlanSummary,
        SolverSummary,
    )
    from routeplan.travel import haversine_m, road_distance_m, travel_time_s
    from routeplan.week import WeekPlan, plan_horizon
    from routeplan.week_cli import WeekRequest, plan_week_to_folder


def _version() -> str:
    """Return the installed distribution's version (pyproject.toml is its one source)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("routeplan")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


__version__ = _version()

# Names are imported on first use so that ``import routeplan`` (and the CLI)
# stays fast and a stage's dependencies load only when that stage is used.
_LAZY: dict[str, str] = {
    "agent_status": "routeplan.build",
    "build_problem": "routeplan.build",
    "Violation": "routeplan.check",
    "check_plan": "routeplan.check",
    "check_plan_folder": "routeplan.check",
    "build_checklist": "routeplan.checklist",
    "AuditReport": "routeplan.commands",
    "audit_visits": "routeplan.commands",
    "CheckOptions": "routeplan.commands",
    "CheckReport": "routeplan.commands",
    "FolderOptions": "routeplan.commands",
    "PlanRun": "routeplan.commands",
    "check_plan_inputs": "routeplan.commands",
    "history_trail": "routeplan.commands",
    "plan_to_folder": "routeplan.commands",
    "record_outcomes": "routeplan.commands",
    "report_activity": "routeplan.commands",
    "report_fairness": "routeplan.commands",
    "retime_folder": "routeplan.commands",
    "ReplanOptions": "routeplan.commands",
    "replan_folder": "routeplan.commands",
    "write_dispatch_outputs": "routeplan.present",
    "RecordReport": "routeplan.io.store",
    "JURISDICTIONS": "routeplan.config",
    "Config": "routeplan.config",
    "config_from_dict": "routeplan.config",
    "load_config": "routeplan.config",
    "determine_eligibility": "routeplan.eligibility",
    "eligibility_funnel": "routeplan.eligibility",
    "ConfigError": "routeplan.errors",
    "InputError": "routeplan.errors",
    "RouteplanError": "routeplan.errors",
    "RowProblem": "routeplan.errors",
    "format_clock": "routeplan.formats",
    "parse_clock": "routeplan.formats",
    "parse_windows": "routeplan.formats",
    "PlanFolder": "routeplan.io.planfolder",
    "read_plan_folder": "routeplan.io.planfolder",
    "read_table": "routeplan.io.tables",
    "read_accounts": "routeplan.io.readers",
    "read_agents": "routeplan.io.readers",
    "Inputs": "routeplan.plan",
    "Plan": "routeplan.plan",
    "load_inputs": "routeplan.plan",
    "plan_day": "routeplan.plan",
    "ReplanResult": "routeplan.replan",
    "RetimeResult": "routeplan.retime",
    "WeekPlan": "routeplan.week",
    "plan_horizon": "routeplan.week",
    "WeekRequest": "routeplan.week_cli",
    "plan_week_to_folder": "routeplan.week_cli",
    "retime_plan_folder": "routeplan.retime",
    "score_accounts": "routeplan.scoring",
    "DroppedReason": "routeplan.schema",
    "EventKind": "routeplan.schema",
    "ExcludedReason": "routeplan.schema",
    "Outcome": "routeplan.schema",
    "ViolationRule": "routeplan.schema",
    "AgentSummary": "routeplan.summary",
    "Counts": "routeplan.summary",
    "OutputSummary": "routeplan.summary",
    "PlanSummary": "routeplan.summary",
    "SolverSummary": "routeplan.summary",
    "solve": "routeplan.solver",
    "Problem": "routeplan.solver.model",
    "Result": "routeplan.solver.model",
    "SolveParams": "routeplan.solver.model",
    "haversine_m": "routeplan.travel",
    "road_distance_m": "routeplan.travel",
    "travel_time_s": "routeplan.travel",
    "apply_history": "routeplan.history",
    "HistoryAdjustment": "routeplan.history",
    "activity_report": "routeplan.history",
    "Store": "routeplan.io.store",
    "validate_outcomes": "routeplan.outcomes",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'routeplan' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "JURISDICTIONS",
    "AgentSummary",
    "AuditReport",
    "CheckOptions",
    "CheckReport",
    "Config",
    "ConfigError",
    "Counts",
    "DroppedReason",
    "EventKind",
    "ExcludedReason",
    "FolderOptions",
    "HistoryAdjustment",
    "InputError",
    "Inputs",
    "Outcome",
    "OutputSummary",
    "Plan",
    "PlanFolder",
    "PlanRun",
    "PlanSummary",
    "Problem",
    "RecordReport",
    "ReplanOptions",
    "ReplanResult",
    "Result",
    "RetimeResult",
    "RouteplanError",
    "RowProblem",
    "SolveParams",
    "SolverSummary",
    "Store",
    "Violation",
    "ViolationRule",
    "WeekPlan",
    "WeekRequest",
    "activity_report",
    "agent_status",
    "apply_history",
    "audit_visits",
    "build_checklist",
    "build_problem",
    "check_plan",
    "check_plan_folder",
    "check_plan_inputs",
    "config_from_dict",
    "determine_eligibility",
    "eligibility_funnel",
    "format_clock",
    "haversine_m",
    "history_trail",
    "load_config",
    "load_inputs",
    "parse_clock",
    "parse_windows",
    "plan_day",
    "plan_horizon",
    "plan_to_folder",
    "plan_week_to_folder",
    "read_accounts",
    "read_agents",
    "read_plan_folder",
    "read_table",
    "record_outcomes",
    "replan_folder",
    "report_activity",
    "report_fairness",
    "retime_folder",
    "retime_plan_folder",
    "road_distance_m",
    "score_accounts",
    "solve",
    "travel_time_s",
    "validate_outcomes",
    "write_dispatch_outputs",
]
