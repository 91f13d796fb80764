"""A day's travel: one matrix per travel profile, leg times for ``check``, roads for the map.

These helpers are the only way ``build``, ``check`` and ``plan`` use a
:class:`~routeplan.travel.base.TravelModel`, so all three see the same times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from routeplan import schema as S
from routeplan.travel.base import (
    COORD_DECIMALS,
    Points,
    TravelMatrix,
    TravelModel,
    TravelProfile,
)
from routeplan.travel.profiles import agent_mode


@dataclass(frozen=True)
class DayTravel:
    """The matrices of a day: one per distinct profile among the agents.

    ``agent_profile[k]`` is the index in ``profiles``/``matrices`` of agent ``k``;
    ``points`` are the places the matrices are between.
    """

    profiles: tuple[TravelProfile, ...]
    agent_profile: tuple[int, ...]
    matrices: tuple[TravelMatrix, ...]
    points: Points | None = None

    def note(self, point: int) -> str:
        """Return why ``point`` has no route (snapped too far, unknown id), or ''."""
        for m in self.matrices:
            if point in m.notes:
                return m.notes[point]
        return ""


def day_travel(
    model: TravelModel, points: Points, modes: Sequence[tuple[str, float | None]]
) -> DayTravel:
    """Return the matrices of ``points`` for the agents' ``(travel_mode, speed_kmh)``.

    Agents with equal profiles share one matrix. When the model fell back to
    straight lines part way (``[travel] fallback``), every matrix is made
    again, so the day never mixes road and straight-line times.
    """
    for _ in range(2):
        before = _fell_back(model)
        profiles = [model.profile(mode, speed) for mode, speed in modes]
        distinct = list(dict.fromkeys(profiles))
        matrices = tuple(model.matrix(points, p) for p in distinct)
        if _fell_back(model) == before:
            break
    return DayTravel(tuple(distinct), tuple(distinct.index(p) for p in profiles), matrices, points)


def own_leg_km(itineraries: pd.DataFrame, agents: pd.DataFrame, day: DayTravel) -> pd.DataFrame:
    """Return ``itineraries`` with each leg's ``travel_km`` on the agent's own network.

    The solver holds one distance matrix (the first profile's); with several
    travel modes a walker's legs are measured here on the foot network, as
    their ``travel_min`` already is.
    """
    if len(day.matrices) < 2 or day.points is None or itineraries.empty:
        return itineraries
    index = {tuple(k): i for i, k in reversed(list(enumerate(day.points.rounded().tolist())))}
    profile_of = dict(zip(agents[S.AGENT_ID].astype(str), day.agent_profile, strict=True))
    out = itineraries.copy()
    for agent_id, rows in out.groupby(S.AGENT_ID, sort=False):
        dist = day.matrices[profile_of[str(agent_id)]].distances_m
        prev: int | None = None
        for label, r in rows.iterrows():
            if r["kind"] == S.KIND_BREAK:
                continue
            here = index[_key((float(r["lat"]), float(r["lon"])))]
            if prev is not None:
                out.loc[label, "travel_km"] = round(int(dist[prev, here]) / 1000, 2)
            prev = here
    return out


def _fell_back(model: TravelModel) -> bool:
    return bool(getattr(model, "fallback_used", False))


# --- check: the time of each leg of an itinerary -----------------------------------------


class LegTimes:
    """Travel seconds between the places of each agent's itinerary, from a model.

    Parameters
    ----------
    model
        The travel model to check with.
    itineraries
        ``itineraries.csv`` rows (``agent_id``, ``kind``, ``lat``, ``lon``,
        ``account_id``).
    agents
        The validated agents (``travel_mode``, ``speed_kmh``).

    One matrix per travel profile over the places of the agents using it (a
    model with a cache answers it from the plan's own matrix).
    """

    def __init__(self, model: TravelModel, itineraries: pd.DataFrame, agents: pd.DataFrame):
        ag = agents.drop_duplicates(S.AGENT_ID).set_index(S.AGENT_ID, drop=False)
        places: dict[TravelProfile, dict[tuple[int, int], str]] = {}
        self._profile: dict[str, TravelProfile] = {}
        for agent_id, rows in itineraries.groupby(S.AGENT_ID, sort=False):
            if agent_id in ag.index:
                profile = model.profile(*agent_mode(ag.loc[agent_id]))
                self._profile[str(agent_id)] = profile
                for key, label in _places(rows, str(agent_id)).items():
                    places.setdefault(profile, {}).setdefault(key, label)
        self._tables: dict[TravelProfile, tuple[dict[tuple[int, int], int], TravelMatrix]] = {}
        for profile, where in places.items():
            keys = list(where)
            scale = 10**COORD_DECIMALS
            points = Points.of(
                [k[0] / scale for k in keys], [k[1] / scale for k in keys], tuple(where.values())
            )
            index = {k: i for i, k in enumerate(keys)}
            self._tables[profile] = (index, model.matrix(points, profile))

    def seconds(
        self, agent_id: str, a: tuple[float, float], b: tuple[float, float]
    ) -> tuple[int | None, str]:
        """Return the travel seconds of ``agent_id`` from ``a`` to ``b`` and a reason if none.

        ``(None, why)`` when the model has no route between them.
        """
        index, matrix = self._tables[self._profile[agent_id]]
        i, j = index.get(_key(a)), index.get(_key(b))
        if i is None or j is None:
            return None, "lat/lon out of range"
        if matrix.routed[i, j]:
            return int(matrix.durations_s[i, j]), ""
        why = matrix.notes.get(j) or matrix.notes.get(i) or "no road route between them"
        return None, why


def _key(pos: tuple[float, float]) -> tuple[int, int]:
    scale = 10**COORD_DECIMALS
    return round(pos[0] * scale), round(pos[1] * scale)


def _places(rows: pd.DataFrame, agent_id: str) -> dict[tuple[int, int], str]:
    """Return the agent's distinct places (rounded) with a location id each."""
    places: dict[tuple[int, int], str] = {}
    for r in rows.itertuples(index=False):
        try:
            lat, lon = float(r.lat), float(r.lon)
        except (TypeError, ValueError):
            continue
        if not (np.isfinite(lat) and np.isfinite(lon)) or abs(lat) > 90 or abs(lon) > 180:
            continue
        kind = str(r.kind)
        label = (
            str(r.account_id)
            if kind == S.KIND_VISIT
            else f"{'base' if kind == S.KIND_START else 'end'}:{agent_id}"
        )
        places.setdefault(_key((lat, lon)), label)
    return places


# --- the map: each agent's route along the roads ----------------------------------------


def route_geometries(
    model: TravelModel,
    itineraries: pd.DataFrame,
    agents: pd.DataFrame,
    *,
    workers: int = 2,
) -> dict[str, Any] | None:
    """Return each agent's road path as a GeoJSON FeatureCollection, or None without roads.

    Each feature's ``properties`` hold ``agent_id`` and ``stops``, the
    ``[lat, lon]`` of the start, visits and end in order, so that a map drawn
    later from an edited itinerary only uses the paths that still match
    (:func:`road_paths`).
    """
    ag = agents.drop_duplicates(S.AGENT_ID).set_index(S.AGENT_ID, drop=False)
    jobs: list[tuple[str, list[tuple[float, float]], TravelProfile]] = []
    for agent_id, rows in itineraries.groupby(S.AGENT_ID, sort=False):
        stops = _stops(rows)
        if len(stops) >= 2 and agent_id in ag.index:
            profile = model.profile(*agent_mode(ag.loc[agent_id]))
            jobs.append((str(agent_id), stops, profile))

    def one(job: tuple[str, list[tuple[float, float]], TravelProfile]) -> dict[str, Any] | None:
        agent_id, stops, profile = job
        path = model.route_geometry(
            Points.of([s[0] for s in stops], [s[1] for s in stops]), profile
        )
        if not path:
            return None
        return {
            "type": "Feature",
            "properties": {"agent_id": agent_id, "stops": [[a, b] for a, b in stops]},
            "geometry": {"type": "LineString", "coordinates": [[b, a] for a, b in path]},
        }

    if not jobs:
        return None
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        features = [f for f in pool.map(one, jobs) if f is not None]
    return {"type": "FeatureCollection", "features": features} if features else None


def _stops(rows: pd.DataFrame) -> list[tuple[float, float]]:
    """Return the rounded ``(lat, lon)`` of an agent's start, visits and end, in order."""
    frame = rows.assign(_n=pd.to_numeric(rows["stop_no"], errors="coerce")).sort_values(
        "_n", kind="stable"
    )
    out: list[tuple[float, float]] = []
    for r in frame.itertuples(index=False):
        if str(r.kind) == S.KIND_BREAK:
            continue
        try:
            lat, lon = float(r.lat), float(r.lon)
        except (TypeError, ValueError):
            continue
        if np.isfinite(lat) and np.isfinite(lon):
            out.append((round(lat, COORD_DECIMALS), round(lon, COORD_DECIMALS)))
    return out


def road_paths(
    routes: Mapping[str, Any] | None, itineraries: pd.DataFrame
) -> dict[str, list[tuple[float, float]]]:
    """Return ``agent_id -> [(lat, lon), ...]`` road paths that match the itinerary's stops.

    A path whose recorded ``stops`` differ from the agent's current start,
    visits and end (a dispatcher moved a stop) is left out, so the map draws
    that agent with straight segments instead of a road path it no longer
    follows. Anything malformed is ignored the same way.
    """
    out: dict[str, list[tuple[float, float]]] = {}
    if not isinstance(routes, Mapping) or not isinstance(routes.get("features"), list):
        return out
    groups = itineraries.groupby(S.AGENT_ID, sort=False)
    current = {str(agent_id): _stops(rows) for agent_id, rows in groups}
    for feature in routes["features"]:
        try:
            props = feature["properties"]
            agent_id = str(props["agent_id"])
            stops = [(round(float(a), 5), round(float(b), 5)) for a, b in props["stops"]]
            line = [(float(y), float(x)) for x, y in feature["geometry"]["coordinates"]]
        except (KeyError, TypeError, ValueError):
            continue
        ok = all(np.isfinite(p).all() and abs(p[0]) <= 90 and abs(p[1]) <= 180 for p in line)
        if ok and len(line) >= 2 and current.get(agent_id) == stops:
            out[agent_id] = line
    return out


def describe_day(model: TravelModel, day: DayTravel) -> dict[str, Any]:
    """Return ``summary.json``'s ``travel`` entry: the model and the profiles used."""
    record = dict(model.describe())
    record.setdefault("fallback_used", False)
    record["profiles"] = [p.label() for p in day.profiles]
    return record


__all__ = [
    "DayTravel",
    "LegTimes",
    "day_travel",
    "describe_day",
    "road_paths",
    "route_geometries",
]
