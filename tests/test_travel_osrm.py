"""The osrm:URL provider against a real osrm-routed serving the Helsinki extract."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from routeplan.travel import OsrmModel, Points, TravelProfile
from routeplan.travel.base import NO_ROUTE_S
from routeplan.travel.haversine import haversine_m
from routeplan.travel.osrm_http import OsrmClient
from tests.osrm_support import AT_SEA, ISOLATED, MAIN, Routed, prepared

CAR = TravelProfile("car")


@pytest.fixture(scope="module")
def server() -> Iterator[Routed]:
    """A real osrm-routed on 127.0.0.1 (table size limit 100), stopped after the module."""
    with Routed(prepared("car"), max_table_size=100) as routed:
        yield routed


def points(places: list[tuple[float, float]]) -> Points:
    """Return Points of ``(lat, lon)`` places."""
    return Points.of([p[0] for p in places], [p[1] for p in places])


def test_blocks_give_the_one_shot_table(server: Routed) -> None:
    """20 places asked in 7 x 7 blocks (9 requests) equal one 20 x 20 request."""
    lat = np.array([p[0] for p in MAIN])
    lon = np.array([p[1] for p in MAIN])
    idx = np.arange(len(MAIN))
    before = server.requests()
    one = OsrmClient(server.url, block=100).table(lat, lon, idx, idx)
    assert server.requests() - before == 1
    blocked = OsrmClient(server.url, block=7, workers=3).table(lat, lon, idx, idx)
    assert server.requests() - before == 1 + 9
    for field in ("durations_s", "distances_m", "routed", "src_snap_m", "dst_snap_m"):
        assert np.array_equal(getattr(one, field), getattr(blocked, field)), field
    assert one.routed.all()
    # road trips are longer than the straight line, and take time
    straight = haversine_m(lat, lon)
    off = ~np.eye(len(MAIN), dtype=bool)
    assert (one.distances_m[off] >= straight[off] - 1).all()
    assert (one.durations_s[off] > 0).all()


def test_rectangular_blocks(server: Routed) -> None:
    """Sources and destinations of different sizes come back in the order asked."""
    lat = np.array([p[0] for p in MAIN])
    lon = np.array([p[1] for p in MAIN])
    full = OsrmClient(server.url).table(lat, lon, np.arange(20), np.arange(20))
    src, dst = np.array([3, 17, 5]), np.array([0, 19, 4, 11, 8])
    part = OsrmClient(server.url, block=2).table(lat, lon, src, dst)
    assert np.array_equal(part.durations_s, full.durations_s[np.ix_(src, dst)])
    assert np.array_equal(part.src_snap_m, full.src_snap_m[src])


def test_second_run_asks_the_server_nothing(server: Routed, tmp_path: Path) -> None:
    """With a cache, the same day again sends no table request; new places only their pairs."""
    model = OsrmModel({"car": server.url}, cache_root=tmp_path)
    before = server.requests()
    first = model.matrix(points(MAIN[:12]), CAR)
    assert server.requests() - before == 1
    again = OsrmModel({"car": server.url}, cache_root=tmp_path).matrix(points(MAIN[:12]), CAR)
    assert server.requests() - before == 1
    assert np.array_equal(first.durations_s, again.durations_s)
    replan = OsrmModel({"car": server.url}, cache_root=tmp_path)
    grown = replan.matrix(points(MAIN[:14]), CAR)
    assert server.requests() - before == 3  # new -> all, known -> new
    assert replan.describe()["pairs_fetched"] == 14 * 14 - 12 * 12
    assert np.array_equal(grown.durations_s[:12, :12], first.durations_s)


def test_isolated_road_has_no_route(server: Routed) -> None:
    """OSRM's null to and from a road piece cut off from the rest is 'no route', not a time."""
    m = OsrmModel({"car": server.url}).matrix(points([*MAIN[:3], ISOLATED]), CAR)
    assert m.snap_m[3] < 5  # it is on a road ...
    assert not m.routed[3, :3].any() and not m.routed[:3, 3].any()  # ... that leads nowhere
    assert m.routed[3, 3] and m.routed[:3, :3].all()
    assert (m.durations_s[3, :3] == NO_ROUTE_S).all()


def test_place_at_sea_is_too_far_from_any_road(server: Routed) -> None:
    """A place ~5 km out at sea snaps beyond max_snap_m: no route at all, and the note says why."""
    model = OsrmModel({"car": server.url}, max_snap_m=500)
    m = model.matrix(points([MAIN[0], AT_SEA, MAIN[1]]), CAR)
    assert m.snap_m[1] > 4000
    assert not m.routed[1, [0, 2]].any() and not m.routed[[0, 2], 1].any()
    assert m.routed[0, 2] and m.routed[2, 0]
    assert "m from the nearest road (more than max_snap_m 500)" in m.notes[1]


def test_duplicate_places_are_asked_once(server: Routed) -> None:
    """Two accounts in one building are one place for the engine and get the same times."""
    before = server.requests()
    m = OsrmModel({"car": server.url}).matrix(points([MAIN[0], MAIN[1], MAIN[0]]), CAR)
    assert server.requests() - before == 1
    assert m.durations_s[0, 2] == 0 and m.durations_s[0, 1] == m.durations_s[2, 1]


def test_route_geometry_follows_the_roads(server: Routed) -> None:
    """The path through three places has many points, starting and ending at the places."""
    path = OsrmModel({"car": server.url}).route_geometry(points(MAIN[:3]), CAR)
    assert path is not None and len(path) > 10
    assert abs(path[0][0] - MAIN[0][0]) < 0.001 and abs(path[-1][1] - MAIN[2][1]) < 0.001
    assert OsrmModel({"car": server.url}).route_geometry(points([MAIN[0], ISOLATED]), CAR) is None


def test_profile_without_a_server_is_refused(server: Routed) -> None:
    """A foot agent needs a foot server: the error names the setting."""
    model = OsrmModel({"car": server.url})
    with pytest.raises(
        Exception, match=r"no server for the foot profile; set \[travel\] osrm_urls"
    ):
        model.matrix(points(MAIN[:2]), TravelProfile("foot"))


def test_a_lone_place(server: Routed) -> None:
    """One place (OSRM needs two coordinates) is a 1 x 1 table with its snapping distance."""
    m = OsrmModel({"car": server.url}).matrix(points([AT_SEA]), CAR)
    assert m.durations_s.tolist() == [[0]] and m.snap_m[0] > 4000


def test_servers_on_the_same_data_keep_their_own_logs(server: Routed) -> None:
    """Two servers of one prepared extract (two runs, two limits) log apart and stop apart."""
    with Routed(prepared("car"), max_table_size=10) as other:
        before = server.requests()
        OsrmClient(other.url).table(
            np.array([MAIN[0][0], MAIN[1][0]]), np.array([MAIN[0][1], MAIN[1][1]]),
            np.arange(2), np.arange(2),
        )  # fmt: skip
        assert (other.requests(), server.requests() - before) == (1, 0)
    assert server.requests() == before  # still logging after the other one stopped
    OsrmClient(server.url).table(
        np.array([MAIN[0][0], MAIN[1][0]]), np.array([MAIN[0][1], MAIN[1][1]]),
        np.arange(2), np.arange(2),
    )  # fmt: skip
    assert server.requests() == before + 1
