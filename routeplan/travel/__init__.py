"""Travel models: how long and how far between places, behind one protocol.

``haversine`` (straight lines, the default), ``osm`` (a local OpenStreetMap
extract, prepared and served with OSRM by routeplan), ``osrm`` (an OSRM
server) and ``matrix`` (a precomputed matrix file) all implement
:class:`~routeplan.travel.base.TravelModel`; :func:`travel_model` builds the
one a configuration asks for. A new travel model is one new module with a
class implementing that protocol.

``haversine_m``, ``road_distance_m`` and ``travel_time_s`` are the
straight-line functions, kept here as public API.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from routeplan.travel.base import (
    NO_ROUTE_M,
    NO_ROUTE_S,
    TRAVEL_MODES,
    Points,
    TravelError,
    TravelMatrix,
    TravelModel,
    TravelProfile,
    TravelUnavailable,
)
from routeplan.travel.haversine import (
    EARTH_RADIUS_M,
    HaversineModel,
    haversine_m,
    road_distance_m,
    travel_time_s,
)

if TYPE_CHECKING:
    from routeplan.travel.factory import model_from_record, travel_model
    from routeplan.travel.matrix_file import MatrixFileModel
    from routeplan.travel.osm_embedded import OsmModel
    from routeplan.travel.osrm_http import OsrmModel, ServiceSettings

# the road models and the factory load on first use (they import the config and HTTP code)
_LAZY = {
    "travel_model": "routeplan.travel.factory",
    "model_from_record": "routeplan.travel.factory",
    "MatrixFileModel": "routeplan.travel.matrix_file",
    "OsmModel": "routeplan.travel.osm_embedded",
    "OsrmModel": "routeplan.travel.osrm_http",
    "ServiceSettings": "routeplan.travel.osrm_http",
}


def __getattr__(name: str) -> Any:
    """Load a road model or the factory on first use."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'routeplan.travel' has no attribute {name!r}")


__all__ = [
    "EARTH_RADIUS_M",
    "NO_ROUTE_M",
    "NO_ROUTE_S",
    "TRAVEL_MODES",
    "HaversineModel",
    "MatrixFileModel",
    "OsmModel",
    "OsrmModel",
    "Points",
    "ServiceSettings",
    "TravelError",
    "TravelMatrix",
    "TravelModel",
    "TravelProfile",
    "TravelUnavailable",
    "haversine_m",
    "model_from_record",
    "road_distance_m",
    "travel_model",
    "travel_time_s",
]
