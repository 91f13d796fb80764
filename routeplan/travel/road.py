"""What every road model shares: one place per coordinate, the cache, snapping, adjustments.

A road model (an OSRM server, a local extract) only has to answer raw
rectangular tables and route geometries for an engine profile;
:class:`RoadModel` turns that into :meth:`~routeplan.travel.base.TravelModel.matrix`:

1. coordinates are rounded to 1e-5 degrees (about 1 m) and duplicates merged,
   so two accounts in one building cost one place;
2. the :class:`~routeplan.travel.cache.MatrixCache` answers what it holds and
   the engine the rest; the progress line says which was which;
3. a place farther than ``max_snap_m`` from any road gets no route at all
   (its notes say how far it is), so it is never planned with a made-up time;
4. the traffic factor, the motorbike factor and the stop overhead are applied.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from routeplan.travel.base import (
    NO_ROUTE_M,
    NO_ROUTE_S,
    Adjustments,
    ClosingModel,
    Points,
    RawTable,
    TravelMatrix,
    TravelProfile,
)
from routeplan.travel.cache import MatrixCache
from routeplan.travel.profiles import OSRM_PROFILE

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


class RoadModel(ClosingModel):
    """Base of the models that route on roads; subclasses answer :meth:`_table` and :meth:`_route`.

    Parameters
    ----------
    adjustments
        Traffic factor, stop overhead and per-mode factors.
    max_snap_m
        A place farther than this (metres) from the road it snaps to has no route.
    cache_root
        Folder of the matrix cache; None = no cache.
    progress
        Called with one-line updates (what was reused, what was asked).
    """

    #: the provider's name in ``summary.json`` and in messages
    provider = "road"

    def __init__(
        self,
        *,
        adjustments: Adjustments | None = None,
        max_snap_m: float = 500.0,
        cache_root: Path | None = None,
        progress: Progress = _quiet,
    ) -> None:
        self.adjustments = adjustments or Adjustments()
        self.max_snap_m = max_snap_m
        self.cache_root = cache_root
        self.progress = progress
        self._caches: dict[str, MatrixCache] = {}
        self.pairs_reused = 0
        self.pairs_fetched = 0

    # --- what subclasses provide -------------------------------------------------------

    def _table(
        self, engine_profile: str, lat: NDArray[np.float64], lon: NDArray[np.float64],
        src: NDArray[np.int64], dst: NDArray[np.int64],
    ) -> RawTable:  # fmt: skip
        """Return the raw table from points ``src`` to points ``dst`` (indices into lat/lon)."""
        raise NotImplementedError

    def _route(
        self, engine_profile: str, lat: NDArray[np.float64], lon: NDArray[np.float64]
    ) -> list[tuple[float, float]] | None:
        """Return the road path through the points in order, or None when there is none."""
        raise NotImplementedError

    def _cache_key(self, engine_profile: str) -> tuple[str, ...] | None:
        """Return what identifies this model's answers for a profile (None: do not cache)."""
        return None

    def _describe(self) -> dict[str, Any]:
        """Return the provider's own entries for ``summary.json``."""
        return {}

    # --- the TravelModel protocol ---------------------------------------------------------

    def profile(self, mode: str, speed_kmh: float | None) -> TravelProfile:
        """Return the agent's profile: its mode only (the road network sets the speeds)."""
        return TravelProfile(mode)

    def matrix(self, points: Points, profile: TravelProfile) -> TravelMatrix:
        """Return road durations and distances between every pair of ``points``."""
        engine = OSRM_PROFILE[profile.mode]
        keys = points.rounded()
        if len(keys) == 0:
            empty = np.zeros((0, 0), dtype=np.int64)
            return TravelMatrix(empty, empty.copy(), np.zeros((0, 0), bool), np.zeros(0))
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        lat = uniq[:, 0] / 10**5
        lon = uniq[:, 1] / 10**5

        def fetch(src: NDArray[np.int64], dst: NDArray[np.int64]) -> RawTable:
            return self._table(engine, lat, lon, np.asarray(src), np.asarray(dst))

        cache = self._cache(engine)
        n = len(uniq)
        if cache is None:
            raw = fetch(np.arange(n), np.arange(n))
            reused, fetched = 0, n * n
        else:
            raw, stats = cache.table(uniq, fetch)
            reused, fetched = stats.reused_pairs, stats.fetched_pairs
        self.pairs_reused += reused
        self.pairs_fetched += fetched
        self.progress(
            f"travel ({self.provider}, {engine}): {n} places, {reused:,} pairs reused from the "
            f"cache, {fetched:,} asked of the engine"
        )
        matrix = self._snapped(raw).take(inverse.reshape(-1))
        return self.adjustments.apply(matrix, points, profile)

    def route_geometry(
        self, points: Points, profile: TravelProfile
    ) -> list[tuple[float, float]] | None:
        """Return the road path through ``points`` in order as ``(lat, lon)`` (None: no route)."""
        if len(points) < 2:
            return None
        keys = points.rounded()
        return self._route(OSRM_PROFILE[profile.mode], keys[:, 0] / 10**5, keys[:, 1] / 10**5)

    def describe(self) -> dict[str, Any]:
        """Return the provider, its data and settings for ``summary.json``."""
        return {
            "provider": self.provider,
            **self._describe(),
            "traffic_factor": self.adjustments.traffic_factor,
            "stop_overhead_min": self.adjustments.stop_overhead_s / 60,
            "motorbike_factor": self.adjustments.mode_factor.get("motorbike", 1.0),
            "max_snap_m": self.max_snap_m,
            "pairs_reused": self.pairs_reused,
            "pairs_fetched": self.pairs_fetched,
        }

    # --- helpers ----------------------------------------------------------------------

    def _cache(self, engine: str) -> MatrixCache | None:
        if self.cache_root is None:
            return None
        if engine not in self._caches:
            key = self._cache_key(engine)
            if key is None:
                return None
            self._caches[engine] = MatrixCache(self.cache_root, key)
        return self._caches[engine]

    def _snapped(self, raw: RawTable) -> TravelMatrix:
        """Return the square table with places too far from any road cut off from everything."""
        far = raw.src_snap_m > self.max_snap_m
        if not far.any():
            return raw.square()
        routed = raw.routed & ~far[:, None] & ~far[None, :]
        np.fill_diagonal(routed, True)
        notes = {
            int(i): f"{raw.src_snap_m[i]:,.0f} m from the nearest road "
            f"(more than max_snap_m {self.max_snap_m:,.0f})"
            for i in np.flatnonzero(far)
        }
        dur = np.where(routed, raw.durations_s, NO_ROUTE_S).astype(np.int64)
        dist = np.where(routed, raw.distances_m, NO_ROUTE_M).astype(np.int64)
        return TravelMatrix(dur, dist, routed, raw.src_snap_m, notes)


__all__ = ["RoadModel"]
