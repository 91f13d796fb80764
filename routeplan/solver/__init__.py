"""The solver: a frozen problem in, a checked plan out, within a time limit.

``solve`` (:mod:`routeplan.solver.pipeline`) chains the stages; the boundary
types are in :mod:`routeplan.solver.model`, the settings in
:mod:`routeplan.solver.params`, the engines behind one protocol in
:mod:`routeplan.solver.engines`.
"""

from routeplan.solver.model import (
    Problem,
    Progress,
    Result,
    Route,
    SearchOutcome,
    SearchReport,
    SolveMode,
    SolveStatus,
    Vehicle,
    Visit,
    route_cost,
)
from routeplan.solver.params import Metaheuristic, SearchTuning, SecondEngine, SolveParams
from routeplan.solver.pipeline import solve

__all__ = [
    "Metaheuristic",
    "Problem",
    "Progress",
    "Result",
    "Route",
    "SearchOutcome",
    "SearchReport",
    "SearchTuning",
    "SecondEngine",
    "SolveMode",
    "SolveParams",
    "SolveStatus",
    "Vehicle",
    "Visit",
    "route_cost",
    "solve",
]
