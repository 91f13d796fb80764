"""The travel model boundary: how long and how far between places, per travel profile.

A :class:`TravelModel` answers one question, :meth:`TravelModel.matrix`: the
durations (whole seconds) and distances (whole metres) between every pair of a
set of points for one :class:`TravelProfile` (an agent's travel mode, and its
speed for the straight-line model). ``build`` and ``check`` both take a model,
so a plan is always checked with the times it was made with; ``summary.json``
records :meth:`TravelModel.describe`.

Pairs with no route (a point on a piece of road cut off from the rest, a
one-way trap) are marked in :attr:`TravelMatrix.routed` and carry
:data:`NO_ROUTE_S` / :data:`NO_ROUTE_M`, so that a consumer that forgot the mask
still never plans them. :attr:`TravelMatrix.snap_m` is how far each point lies
from the road network (0 for the straight-line model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from routeplan.errors import RouteplanError

#: seconds of a pair with no route: longer than any shift, so no plan ever uses it
NO_ROUTE_S = 10**7
#: metres of a pair with no route
NO_ROUTE_M = 10**9
#: travel modes of ``agents.csv``'s ``travel_mode`` column (``car`` by default)
TRAVEL_MODES = ("car", "motorbike", "bicycle", "foot")
#: coordinates are rounded to this many decimals (1e-5 degrees, about 1 m) before
#: they are sent to a routing engine or used as a cache key
COORD_DECIMALS = 5


class TravelError(RouteplanError):
    """A travel model cannot answer (bad settings, missing engine, bad data file)."""


class TravelUnavailable(TravelError):
    """The routing service failed: unreachable, an HTTP error, a timeout, a bad answer.

    Only this failure may fall back to straight lines (``[travel] fallback``).
    """


@dataclass(frozen=True)
class TravelProfile:
    """How an agent travels: a mode of :data:`TRAVEL_MODES` and, for straight lines, a speed.

    ``speed_kmh`` is only used by the straight-line (haversine) model; road
    models take their speeds from the road network.
    """

    mode: str = "car"
    speed_kmh: float | None = None

    def __post_init__(self) -> None:
        """Refuse an unknown travel mode (ValueError)."""
        if self.mode not in TRAVEL_MODES:
            raise ValueError(f"travel mode must be one of {', '.join(TRAVEL_MODES)}")
        if self.speed_kmh is not None and not 0 < self.speed_kmh <= 200:
            raise ValueError("speed_kmh must be in (0, 200]")

    def label(self) -> str:
        """Return a short name for logs and ``summary.json`` (``car``, ``foot@5km/h``)."""
        return self.mode if self.speed_kmh is None else f"{self.mode}@{self.speed_kmh:g}km/h"


@dataclass(frozen=True)
class Points:
    """Places to route between: WGS84 degrees, and optional location ids.

    ``ids`` name the places for models keyed by id (a precomputed matrix
    file): an ``account_id``, or ``base:AGENT`` / ``end:AGENT`` for an agent's
    start and end point.
    """

    lat: NDArray[np.float64]
    lon: NDArray[np.float64]
    ids: tuple[str, ...] | None = None

    @classmethod
    def of(cls, lat: ArrayLike, lon: ArrayLike, ids: tuple[str, ...] | None = None) -> Points:
        """Return points from sequences of degrees (checked: finite, in range, same length)."""
        la = np.asarray(lat, dtype=np.float64).reshape(-1)
        lo = np.asarray(lon, dtype=np.float64).reshape(-1)
        if la.shape != lo.shape or (ids is not None and len(ids) != len(la)):
            raise ValueError("lat, lon and ids must have the same length")
        if not (np.isfinite(la).all() and np.isfinite(lo).all()):
            raise ValueError("coordinates must be finite numbers")
        if (np.abs(la) > 90).any() or (np.abs(lo) > 180).any():
            raise ValueError("latitude must be in [-90, 90] and longitude in [-180, 180]")
        return cls(la, lo, ids)

    def __len__(self) -> int:
        """Return the number of places."""
        return int(self.lat.shape[0])

    def take(self, index: ArrayLike) -> Points:
        """Return the points at ``index`` (ids kept)."""
        idx = np.asarray(index, dtype=np.int64)
        ids = None if self.ids is None else tuple(self.ids[i] for i in idx)
        return Points(self.lat[idx], self.lon[idx], ids)

    def rounded(self) -> NDArray[np.int64]:
        """Return ``(n, 2)`` integer coordinates in units of 1e-5 degrees (lat, lon)."""
        scale = 10**COORD_DECIMALS
        lat = np.rint(self.lat * scale).astype(np.int64)
        lon = np.rint(self.lon * scale).astype(np.int64)
        return np.stack([lat, lon], axis=1)


@dataclass(frozen=True)
class TravelMatrix:
    """Durations and distances between every pair of points, for one profile.

    ``durations_s[i, j]`` and ``distances_m[i, j]`` (int64) are the trip from
    point ``i`` to point ``j``; ``routed[i, j]`` is False where there is no
    route (those cells hold :data:`NO_ROUTE_S` and :data:`NO_ROUTE_M`);
    ``snap_m[i]`` is the distance from point ``i`` to the road it was snapped
    to (0 for straight lines). ``notes`` say per point why it has no route
    where the model knows more (``not in the matrix file``).
    """

    durations_s: NDArray[np.int64]
    distances_m: NDArray[np.int64]
    routed: NDArray[np.bool_]
    snap_m: NDArray[np.float64]
    notes: dict[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse arrays whose shapes do not match (ValueError)."""
        n = self.snap_m.shape[0]
        for name in ("durations_s", "distances_m", "routed"):
            if getattr(self, name).shape != (n, n):
                raise ValueError(f"{name} must be ({n}, {n})")

    def __len__(self) -> int:
        """Return the number of places."""
        return int(self.snap_m.shape[0])

    def take(self, index: ArrayLike) -> TravelMatrix:
        """Return the matrix of the points at ``index`` (rows and columns, in that order)."""
        idx = np.asarray(index, dtype=np.int64)
        grid = np.ix_(idx, idx)
        return TravelMatrix(
            np.ascontiguousarray(self.durations_s[grid]),
            np.ascontiguousarray(self.distances_m[grid]),
            np.ascontiguousarray(self.routed[grid]),
            self.snap_m[idx].copy(),
            {new: self.notes[int(old)] for new, old in enumerate(idx) if int(old) in self.notes},
        )


@dataclass(frozen=True)
class RawTable:
    """An engine's answer from some points (sources) to others (destinations).

    Rectangular ``(s, d)`` whole seconds and metres before any adjustment,
    ``routed`` False where there is no route (those cells hold
    :data:`NO_ROUTE_S` / :data:`NO_ROUTE_M`), and each source's and
    destination's distance to the road it snapped to.
    """

    durations_s: NDArray[np.int64]
    distances_m: NDArray[np.int64]
    routed: NDArray[np.bool_]
    src_snap_m: NDArray[np.float64]
    dst_snap_m: NDArray[np.float64]

    @classmethod
    def of(
        cls,
        durations: NDArray[Any],
        distances: NDArray[Any],
        routed: NDArray[np.bool_],
        src_snap_m: NDArray[Any],
        dst_snap_m: NDArray[Any],
    ) -> RawTable:
        """Return a table of whole numbers (durations up, distances to nearest) with gaps filled."""
        ok = np.asarray(routed, dtype=bool)
        dur = np.where(ok, np.ceil(np.nan_to_num(durations)), NO_ROUTE_S).astype(np.int64)
        dist = np.where(ok, np.rint(np.nan_to_num(distances)), NO_ROUTE_M).astype(np.int64)
        return cls(
            dur,
            dist,
            ok,
            np.asarray(src_snap_m, dtype=np.float64),
            np.asarray(dst_snap_m, dtype=np.float64),
        )

    def square(self, notes: dict[int, str] | None = None) -> TravelMatrix:
        """Return the table of a point set to itself as a :class:`TravelMatrix`."""
        return TravelMatrix(
            self.durations_s, self.distances_m, self.routed, self.src_snap_m, notes or {}
        )


@dataclass(frozen=True)
class Adjustments:
    """What the configuration adds to an engine's times, the same for every model.

    ``traffic_factor`` multiplies every duration (rounded up to the second);
    ``stop_overhead_s`` is added to every trip between two different places
    (parking, walking to the door); ``mode_factor`` multiplies the durations
    of one travel mode on top (e.g. motorbikes on the car network).
    """

    traffic_factor: float = 1.0
    stop_overhead_s: int = 0
    mode_factor: dict[str, float] = field(default_factory=dict)

    def apply(self, matrix: TravelMatrix, points: Points, profile: TravelProfile) -> TravelMatrix:
        """Return ``matrix`` with the factors and the stop overhead applied to routed pairs."""
        factor = self.traffic_factor * self.mode_factor.get(profile.mode, 1.0)
        if factor == 1.0 and self.stop_overhead_s == 0:
            return matrix
        dur = matrix.durations_s
        if factor != 1.0:
            dur = np.ceil(dur * factor).astype(np.int64)
        if self.stop_overhead_s:
            key = points.rounded()
            same = (key[:, None, 0] == key[None, :, 0]) & (key[:, None, 1] == key[None, :, 1])
            dur = dur + np.where(same, 0, self.stop_overhead_s).astype(np.int64)
        dur = np.where(matrix.routed, dur, NO_ROUTE_S).astype(np.int64)
        return TravelMatrix(dur, matrix.distances_m, matrix.routed, matrix.snap_m, matrix.notes)


@runtime_checkable
class TravelModel(Protocol):
    """What ``build`` and ``check`` need from a travel model.

    Implementations: :class:`routeplan.travel.haversine.HaversineModel`
    (straight lines, the default), :class:`routeplan.travel.osrm_http.OsrmModel`
    (an OSRM server), :class:`routeplan.travel.osm_embedded.OsmModel` (a local
    OpenStreetMap extract) and :class:`routeplan.travel.matrix_file.MatrixFileModel`.
    A model is a context manager: :meth:`close` stops what it started.
    """

    def profile(self, mode: str, speed_kmh: float | None) -> TravelProfile:
        """Return the profile an agent of ``mode`` (and ``agents.csv`` ``speed_kmh``) travels with.

        Agents with equal profiles share one matrix: road models ignore the
        speed, the straight-line model keeps it.
        """
        ...

    def matrix(self, points: Points, profile: TravelProfile) -> TravelMatrix:
        """Return durations and distances between every pair of ``points``.

        Raises
        ------
        TravelUnavailable
            The routing service failed (the only error that may fall back).
        TravelError, InputError
            Bad settings or a bad data file (one line naming it).
        """
        ...

    def route_geometry(
        self, points: Points, profile: TravelProfile
    ) -> list[tuple[float, float]] | None:
        """Return the road path through ``points`` in order as ``(lat, lon)``, or None.

        None when the model has no roads (straight lines, a matrix file).
        """
        ...

    def describe(self) -> dict[str, Any]:
        """Return what ``summary.json`` records: provider, data file and its hash, settings."""
        ...

    def close(self) -> None:
        """Release what the model holds (a private routing server, connections)."""
        ...

    def __enter__(self) -> TravelModel:
        """Return the model itself (``with model:`` closes it on exit)."""
        ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the model (stop a server it started)."""
        ...


class ClosingModel:
    """Context-manager plumbing shared by the models: ``with model: ...`` closes it."""

    def close(self) -> None:
        """Release nothing (models that hold resources override this)."""

    def __enter__(self) -> Any:
        """Return the model itself."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the model."""
        self.close()


__all__ = [
    "COORD_DECIMALS",
    "NO_ROUTE_M",
    "NO_ROUTE_S",
    "TRAVEL_MODES",
    "Adjustments",
    "ClosingModel",
    "Points",
    "RawTable",
    "TravelError",
    "TravelMatrix",
    "TravelModel",
    "TravelProfile",
    "TravelUnavailable",
]
