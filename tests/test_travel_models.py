"""The travel model boundary: the protocol, the straight-line model, adjustments, settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from routeplan.config import Config, ConfigError, config_from_dict
from routeplan.io.readers import read_agents
from routeplan.travel import (
    HaversineModel,
    Points,
    TravelModel,
    TravelProfile,
    road_distance_m,
    travel_time_s,
)
from routeplan.travel.base import NO_ROUTE_S, Adjustments, RawTable
from routeplan.travel.day import road_paths
from routeplan.travel.factory import travel_model
from routeplan.travel.spec import parse_provider

#: 0.09 degrees of latitude: 10,007.5 m on the great circle
LAT = [60.0, 60.09, 60.0]
LON = [24.9, 24.9, 24.9]


def test_haversine_model_is_a_travel_model_with_todays_times() -> None:
    """The default model answers the protocol with great-circle x circuity at the agent's speed."""
    model = travel_model(Config().travel)
    assert isinstance(model, HaversineModel) and isinstance(model, TravelModel)
    points = Points.of(LAT, LON)
    m = model.matrix(points, model.profile("car", None))
    dist = road_distance_m(LAT, LON, circuity=1.35)
    assert (m.distances_m == dist).all()
    assert (m.durations_s == travel_time_s(dist, speed_kmh=25)).all()
    assert m.distances_m[0, 1] == pytest.approx(13_510, abs=5)  # 10,007.5 m x 1.35
    assert m.routed.all() and (m.snap_m == 0).all()
    assert model.route_geometry(points, model.profile("car", None)) is None
    assert model.describe()["provider"] == "haversine"


def test_straight_line_speed_by_mode_and_by_agent() -> None:
    """A foot agent walks at 5 km/h, a bicycle at 15, unless agents.csv gives a speed."""
    model = HaversineModel(circuity=1.0, speed_kmh=25)
    assert model.profile("car", None) == TravelProfile("car", 25.0)
    assert model.profile("foot", None) == TravelProfile("foot", 5.0)
    assert model.profile("bicycle", None) == TravelProfile("bicycle", 15.0)
    assert model.profile("foot", 6.0) == TravelProfile("foot", 6.0)
    points = Points.of([60.0, 60.009], [24.9, 24.9])  # 1,000.75 m
    walk = model.matrix(points, model.profile("foot", None))
    assert walk.durations_s[0, 1] == 721  # 1,000.75 m at 5 km/h = 720.5 s, rounded up


def test_traffic_factor_and_stop_overhead() -> None:
    """Durations x traffic_factor (rounded up), + the overhead between two different places."""
    points = Points.of([*LAT, 60.0], [*LON, 24.9])  # point 3 is point 0 again
    plain = HaversineModel().matrix(points, TravelProfile("car", 25.0))
    adj = Adjustments(traffic_factor=1.5, stop_overhead_s=120)
    slow = HaversineModel(adjustments=adj).matrix(points, TravelProfile("car", 25.0))
    assert slow.durations_s[0, 1] == int(np.ceil(plain.durations_s[0, 1] * 1.5)) + 120
    assert slow.durations_s[0, 3] == 0 and slow.durations_s[0, 0] == 0  # same place: no parking
    assert (slow.distances_m == plain.distances_m).all()
    bike = Adjustments(mode_factor={"motorbike": 0.8})
    moto = bike.apply(plain, points, TravelProfile("motorbike"))
    assert moto.durations_s[0, 1] == int(np.ceil(plain.durations_s[0, 1] * 0.8))
    assert bike.apply(plain, points, TravelProfile("car")) is plain


def test_no_route_cells_and_take_keep_their_notes() -> None:
    """Unrouted cells hold NO_ROUTE_S; take() keeps each point's note, duplicates included."""
    raw = RawTable.of(
        np.array([[0.0, np.nan], [12.2, 0.0]]),
        np.array([[0.0, np.nan], [100.4, 0.0]]),
        np.array([[True, False], [True, True]]),
        np.zeros(2),
        np.zeros(2),
    )
    m = raw.square({1: "far from the road"})
    assert m.durations_s.tolist() == [[0, NO_ROUTE_S], [13, 0]]
    assert m.distances_m[1, 0] == 100
    sub = m.take([1, 0, 1])
    assert sub.notes == {0: "far from the road", 2: "far from the road"}
    assert not sub.routed[1, 0] and sub.routed[0, 1]


def test_points_are_checked() -> None:
    """Points refuse lengths that differ, NaN and out-of-range degrees."""
    with pytest.raises(ValueError, match="same length"):
        Points.of([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="finite"):
        Points.of([float("nan")], [1.0])
    with pytest.raises(ValueError, match="latitude"):
        Points.of([91.0], [1.0])


@pytest.mark.parametrize(
    ("text", "kind", "target"),
    [
        ("haversine", "haversine", ""),
        ("OSM:city.osm.pbf", "osm", "city.osm.pbf"),
        ("osrm:http://127.0.0.1:5000", "osrm", "http://127.0.0.1:5000"),
        ("matrix:/data/m.csv", "matrix", "/data/m.csv"),
    ],
)
def test_provider_names(text: str, kind: str, target: str) -> None:
    """--travel and [travel] provider read as kind and target."""
    spec = parse_provider(text)
    assert (spec.kind, spec.target) == (kind, target)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("google", "is not one of haversine, osm:FILE.osm.pbf, osrm:URL or matrix:FILE"),
        ("osm:", "needs an OpenStreetMap extract"),
        ("osrm:127.0.0.1:5000", "must start with http:// or https://"),
        ("haversine:x", "takes nothing after it"),
    ],
)
def test_bad_provider_names(text: str, message: str) -> None:
    """A bad provider is refused in one line saying what is allowed."""
    with pytest.raises(ValueError, match=message):
        parse_provider(text)


@pytest.mark.parametrize(
    ("travel", "message"),
    [
        ({"provider": "osrm"}, "travel.provider"),
        ({"fallback": "straight"}, "travel.fallback must be 'none' or 'haversine'"),
        ({"traffic_factor": 0.0}, "travel.traffic_factor must be in"),
        ({"stop_overhead_min": -1}, "travel.stop_overhead_min must be in"),
        ({"max_snap_m": 0}, "travel.max_snap_m must be in"),
        ({"table_block": 1}, "travel.table_block must be in"),
        ({"osrm_urls": {"truck": "http://x"}}, "not an OSRM profile"),
        ({"osrm_urls": {"foot": "ftp://x"}}, "must be an http"),
        ({"osm_algorithm": "dijkstra"}, "travel.osm_algorithm"),
        ({"tyre": 1}, "unknown key(s) in [travel]: tyre"),
    ],
)
def test_bad_travel_settings(travel: dict[str, object], message: str) -> None:
    """Each [travel] setting is checked; the error names it."""
    with pytest.raises(ConfigError) as err:
        config_from_dict({"travel": travel}, source="routeplan.toml")
    assert message in str(err.value)


def test_travel_settings_load() -> None:
    """A full [travel] table loads and builds the model it names."""
    cfg = config_from_dict(
        {
            "travel": {
                "provider": "osrm:http://127.0.0.1:5000",
                "traffic_factor": 1.2,
                "stop_overhead_min": 3,
                "fallback": "haversine",
                "osrm_urls": {"foot": "http://127.0.0.1:5001"},
            }
        }
    )
    model = travel_model(cfg.travel)
    record = model.describe()
    assert record["provider"] == "osrm" and record["fallback_used"] is False
    assert record["urls"] == {"foot": "http://127.0.0.1:5001", "car": "http://127.0.0.1:5000"}
    assert record["traffic_factor"] == 1.2 and record["stop_overhead_min"] == 3


def test_road_paths_only_where_the_stops_still_match() -> None:
    """The map keeps a road path only for an agent whose start, visits and end are unchanged."""
    itin = pd.DataFrame(
        {
            "agent_id": ["A1"] * 4 + ["A2"] * 3,
            "stop_no": [0, 1, 2, 3, 0, 1, 2],
            "kind": ["start", "visit", "break", "end", "start", "visit", "end"],
            "lat": [60.1, 60.2, None, 60.1, 60.1, 60.3, 60.1],
            "lon": [24.9, 24.95, None, 24.9, 24.9, 24.99, 24.9],
        }
    )
    path = [[24.9, 60.1], [24.93, 60.15], [24.95, 60.2], [24.9, 60.1]]
    routes = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"agent_id": agent, "stops": stops},
                "geometry": {"type": "LineString", "coordinates": path},
            }
            for agent, stops in (
                ("A1", [[60.1, 24.9], [60.2, 24.95], [60.1, 24.9]]),
                ("A2", [[60.1, 24.9], [60.2, 24.95], [60.1, 24.9]]),  # A2 now visits 60.3
            )
        ],
    }
    assert road_paths(routes, itin) == {
        "A1": [(60.1, 24.9), (60.15, 24.93), (60.2, 24.95), (60.1, 24.9)]
    }
    broken = {"features": [{"properties": {"agent_id": "A1"}, "geometry": None}]}
    assert road_paths(broken, itin) == {} and road_paths(None, itin) == {}


def test_travel_mode_column_is_read_and_checked(tmp_path: Path) -> None:
    """agents.csv travel_mode: case-insensitive, empty = car, anything else refuses the row."""
    path = tmp_path / "agents.csv"
    path.write_text(
        "agent_id,name,base_lat,base_lon,shift_start,shift_end,travel_mode\n"
        "A1,One,60.1,24.9,09:00,17:00,Foot\n"
        "A2,Two,60.1,24.9,09:00,17:00,\n"
        "A3,Three,60.1,24.9,09:00,17:00,truck\n"
    )
    read = read_agents(path)
    assert read.frame.set_index("agent_id")["travel_mode"].to_dict() == {"A1": "foot", "A2": "car"}
    (problem,) = read.rejected
    assert problem.message() == (
        "agents.csv, row 4, column travel_mode: 'truck' is not a travel mode "
        "(car, motorbike, bicycle, foot)"
    )


def test_check_survives_a_place_out_of_range(tiny_dir: Path, tmp_path: Path) -> None:
    """An edited itinerary with latitude 95: violations in lines, no traceback."""
    from tests.helpers import check_tiny, plan_tiny, read_out

    out = tmp_path / "plan"
    assert plan_tiny(tiny_dir, out).exit_code == 0
    itin = read_out(out, "itineraries.csv")
    first = itin.index[itin["kind"] == "visit"][0]
    itin.loc[first, "lat"] = "95"
    itin.to_csv(out / "itineraries.csv", index=False)
    res = check_tiny(tiny_dir, out)
    assert res.exit_code == 1
    account = itin.loc[first, "account_id"]
    assert f"account {account}: [travel] no road route from the previous stop: lat/lon out of " in (
        res.output
    )
