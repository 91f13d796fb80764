"""Travel matrices: great-circle x circuity at a speed, in integers."""

from __future__ import annotations

import time

import numpy as np
import pytest

from routeplan.travel import haversine_m, road_distance_m, travel_time_s


def test_one_degree_of_latitude() -> None:
    """One degree of latitude is about 111.2 km; the matrix is symmetric, zero diagonal."""
    d = haversine_m([0.0, 1.0], [0.0, 0.0])
    assert d[0, 1] == pytest.approx(111_195, rel=1e-3)
    assert d[1, 0] == d[0, 1] and d[0, 0] == 0


def test_road_distance_and_time() -> None:
    """10 km straight x 1.35 = 13.5 km; at 27 km/h that is 1,800 s."""
    lat = [0.0, 10_000 / 111_195]
    dist = road_distance_m(lat, [0.0, 0.0], circuity=1.35)
    assert dist.dtype == np.int64
    assert dist[0, 1] == pytest.approx(13_500, abs=20)
    t = travel_time_s(np.array([[0, 13_500]]), speed_kmh=27)
    assert t[0, 1] == 1800


def test_three_thousand_locations_fast() -> None:
    """3,000 locations build in well under a second (a generous bound for CI)."""
    rng = np.random.default_rng(0)
    lat = 22.5 + rng.random(3000) * 0.3
    lon = 113.9 + rng.random(3000) * 0.4
    t0 = time.perf_counter()
    d = road_distance_m(lat, lon, circuity=1.35)
    travel_time_s(d, speed_kmh=25)
    assert d.shape == (3000, 3000)
    assert time.perf_counter() - t0 < 5
