"""Search engines behind one protocol (:class:`Engine`).

OR-Tools, PyVRP, VROOM, routeplan's own ruin-and-recreate search, PyVRP on a
break-free relaxation refilled by it, and a relay.
"""

from routeplan.solver.engines.base import Answer, Engine, Sequences
from routeplan.solver.engines.lns import RuinRecreateEngine
from routeplan.solver.engines.ortools import OrToolsEngine
from routeplan.solver.engines.pyvrp import PyVRPEngine
from routeplan.solver.engines.relaxed import RelaxedPolish
from routeplan.solver.engines.relay import Relay
from routeplan.solver.engines.vroom import VroomEngine

__all__ = [
    "Answer",
    "Engine",
    "OrToolsEngine",
    "PyVRPEngine",
    "RelaxedPolish",
    "Relay",
    "RuinRecreateEngine",
    "Sequences",
    "VroomEngine",
]
