"""``routes.geojson`` of a plan folder: each agent's route along the roads.

Written by ``routeplan plan`` when a road travel model was used; the map
draws these paths instead of straight segments (only for agents whose stops
still match, see :func:`routeplan.travel.day.road_paths`). A plan made on
straight lines has no such file, and a stale one is removed when the plan
folder is written again (unless changed by hand).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from routeplan.errors import InputError
from routeplan.io.safe import read_json, write_json_atomic

ROUTES_FILE = "routes.geojson"


def write_routes(plan_dir: Path, routes: Mapping[str, Any] | None) -> list[Path]:
    """Write ``routes.geojson``; nothing when there are no road paths.

    An old file routeplan wrote is then removed with the folder's other stale
    files (:meth:`routeplan.io.manifest.PlanFiles.remove_stale`), never one
    changed by hand.
    """
    if routes is None:
        return []
    return [write_json_atomic(plan_dir / ROUTES_FILE, dict(routes))]


def read_routes(plan_dir: Path) -> dict[str, Any] | None:
    """Return the folder's road paths, or None when there is no usable ``routes.geojson``.

    The file only makes the map nicer: a missing or unreadable one means
    straight segments, never a failed map.
    """
    path = plan_dir / ROUTES_FILE
    if not path.is_file():
        return None
    try:
        data = read_json(path)
    except InputError:
        return None
    return data if isinstance(data, dict) else None


__all__ = ["ROUTES_FILE", "read_routes", "write_routes"]
