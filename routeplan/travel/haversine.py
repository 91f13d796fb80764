"""The straight-line travel model: great-circle distance x circuity at a speed.

The zero-set-up default (``[travel] provider = "haversine"``). All results
are integers: metres and seconds. 3,000 locations take well under a second
(one ``(n, n)`` numpy evaluation).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from routeplan.travel.base import (
    Adjustments,
    ClosingModel,
    Points,
    TravelMatrix,
    TravelProfile,
)
from routeplan.travel.profiles import STRAIGHT_LINE_SPEED_KMH

EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """Return the ``(n, n)`` great-circle distance matrix in metres.

    Parameters
    ----------
    lat, lon
        WGS84 degrees, one value per location.
    """
    phi = np.radians(np.asarray(lat, dtype=float))
    lam = np.radians(np.asarray(lon, dtype=float))
    dphi = phi[:, None] - phi[None, :]
    dlam = lam[:, None] - lam[None, :]
    h = np.sin(dphi / 2) ** 2 + np.cos(phi)[:, None] * np.cos(phi)[None, :] * np.sin(dlam / 2) ** 2
    metres: NDArray[np.float64] = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return metres


def road_distance_m(lat: ArrayLike, lon: ArrayLike, *, circuity: float) -> NDArray[np.int64]:
    """Return road distances in whole metres: great-circle x ``circuity``."""
    metres: NDArray[np.int64] = np.rint(haversine_m(lat, lon) * circuity).astype(np.int64)
    return metres


def travel_time_s(distance_m: NDArray[np.int64], *, speed_kmh: float) -> NDArray[np.int64]:
    """Return travel times in whole seconds (rounded up) at ``speed_kmh``."""
    if speed_kmh <= 0:
        raise ValueError("speed_kmh must be > 0")
    seconds: NDArray[np.int64] = np.ceil(distance_m * (3.6 / speed_kmh)).astype(np.int64)
    return seconds


class HaversineModel(ClosingModel):
    """Great-circle distance x ``circuity``, at the agent's speed (no roads, no set-up).

    Parameters
    ----------
    circuity
        Road metres per great-circle metre.
    speed_kmh
        Speed of car and motorbike agents without their own ``speed_kmh``;
        bicycle and foot agents default to
        :data:`~routeplan.travel.profiles.STRAIGHT_LINE_SPEED_KMH`.
    adjustments
        Traffic factor and stop overhead (none by default).
    """

    def __init__(
        self,
        *,
        circuity: float = 1.35,
        speed_kmh: float = 25.0,
        adjustments: Adjustments | None = None,
    ) -> None:
        self.circuity = circuity
        self.speed_kmh = speed_kmh
        self.adjustments = adjustments or Adjustments()

    def profile(self, mode: str, speed_kmh: float | None) -> TravelProfile:
        """Return the profile of an agent: its own speed, else its mode's."""
        if speed_kmh is None:
            speed_kmh = STRAIGHT_LINE_SPEED_KMH.get(mode, self.speed_kmh)
        return TravelProfile(mode, float(speed_kmh))

    def matrix(self, points: Points, profile: TravelProfile) -> TravelMatrix:
        """Return straight-line distances x circuity and their times at the profile's speed."""
        speed = profile.speed_kmh if profile.speed_kmh is not None else self.speed_kmh
        dist = road_distance_m(points.lat, points.lon, circuity=self.circuity)
        n = len(points)
        raw = TravelMatrix(
            travel_time_s(dist, speed_kmh=speed),
            dist,
            np.ones((n, n), dtype=bool),
            np.zeros(n, dtype=np.float64),
        )
        return self.adjustments.apply(raw, points, profile)

    def route_geometry(
        self, points: Points, profile: TravelProfile
    ) -> list[tuple[float, float]] | None:
        """Return None: straight lines have no road geometry."""
        return None

    def describe(self) -> dict[str, Any]:
        """Return the provider and its settings for ``summary.json``."""
        return {
            "provider": "haversine",
            "circuity": self.circuity,
            "speed_kmh": self.speed_kmh,
            "traffic_factor": self.adjustments.traffic_factor,
            "stop_overhead_min": self.adjustments.stop_overhead_s / 60,
        }


__all__ = ["EARTH_RADIUS_M", "HaversineModel", "haversine_m", "road_distance_m", "travel_time_s"]
