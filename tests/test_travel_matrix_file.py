"""matrix:FILE: a precomputed matrix keyed by location id, for users with their own router."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from routeplan.errors import InputError
from routeplan.travel import MatrixFileModel, Points, TravelProfile
from routeplan.travel.base import TravelError
from routeplan.travel.haversine import haversine_m
from tests.helpers import check_tiny, plan_tiny, read_out


def write_matrix(tiny: Path, path: Path, *, leave_out: str = "ACC13") -> pd.DataFrame:
    """Write the tiny day's matrix: 2 s per straight-line metre (all but ``leave_out``)."""
    acc = pd.read_csv(tiny / "accounts.csv", dtype={"account_id": str})
    ag = pd.read_csv(tiny / "agents.csv", dtype={"agent_id": str})
    places = {r.account_id: (r.lat, r.lon) for r in acc.itertuples() if r.account_id != leave_out}
    for r in ag.itertuples():
        places[f"base:{r.agent_id}"] = (r.base_lat, r.base_lon)
        if not pd.isna(r.end_lat):
            places[f"end:{r.agent_id}"] = (r.end_lat, r.end_lon)
    ids = list(places)
    metres = haversine_m([places[i][0] for i in ids], [places[i][1] for i in ids])
    rows = [
        (a, b, int(np.ceil(2 * metres[i, j])), round(metres[i, j] * 1.2))
        for i, a in enumerate(ids)
        for j, b in enumerate(ids)
    ]
    frame = pd.DataFrame(rows, columns=["from_id", "to_id", "duration_s", "distance_m"])
    frame.to_csv(path, index=False)
    return frame


def test_plan_and_check_with_a_matrix_file(tiny_dir: Path, tmp_path: Path) -> None:
    """The file's times are the itinerary's; a place it lacks is dropped, never guessed."""
    matrix = tmp_path / "matrix.csv"
    frame = write_matrix(tiny_dir, matrix).set_index(["from_id", "to_id"])
    out = tmp_path / "plan"
    res = plan_tiny(tiny_dir, out, "--travel", f"matrix:{matrix}")
    assert res.exit_code == 0, res.output
    dropped = read_out(out, "dropped.csv").set_index("account_id")
    assert dropped.loc["ACC13", "reason"] == "no_road_route"
    assert dropped.loc["ACC13", "detail"] == "ACC13 is not in the matrix file matrix.csv"
    itin = read_out(out, "itineraries.csv")
    for agent_id, rows in itin[itin["kind"] != "break"].groupby("agent_id"):
        ids = [
            a if k == "visit" else f"{'base' if k == 'start' else 'end'}:{agent_id}"
            for a, k in zip(rows["account_id"], rows["kind"], strict=True)
        ]
        ids = [i if i in frame.index.get_level_values(0) else f"base:{agent_id}" for i in ids]
        for a, b, shown in zip(ids, ids[1:], rows["travel_min"].astype(float)[1:], strict=False):
            assert shown == round(int(frame.loc[(a, b), "duration_s"]) / 60, 1)
    travel = json.loads((out / "summary.json").read_text())["travel"]
    assert travel["provider"] == "matrix" and travel["file"] == str(matrix)
    assert len(travel["sha256"]) == 64
    res = check_tiny(tiny_dir, out)
    assert res.exit_code == 0 and "matrix travel times" in res.output, res.output
    # straight lines are faster than the file's 2 s per metre: the plan still holds, and a
    # file twice as slow again shows each late arrival
    slower = tmp_path / "slower.csv"
    frame.assign(duration_s=frame["duration_s"] * 2).reset_index().to_csv(slower, index=False)
    res = check_tiny(tiny_dir, out, "--travel", f"matrix:{slower}")
    assert res.exit_code == 1 and "min late" in res.output


def test_check_refuses_a_changed_matrix_file(tiny_dir: Path, tmp_path: Path) -> None:
    """A matrix file edited after planning: check says so rather than check other times."""
    matrix = tmp_path / "matrix.csv"
    write_matrix(tiny_dir, matrix)
    out = tmp_path / "plan"
    assert plan_tiny(tiny_dir, out, "--travel", f"matrix:{matrix}").exit_code == 0
    with matrix.open("a") as fh:
        fh.write("ACC99,ACC98,1,1\n")
    res = check_tiny(tiny_dir, out)
    assert res.exit_code == 1 and "which has changed since" in res.output
    matrix.unlink()
    res = check_tiny(tiny_dir, out)
    assert res.exit_code == 1
    assert res.output.endswith(
        f"the plan was made with matrix:{matrix}, which is not found from here; "
        "give --travel with the file's path\n"
    )
    assert check_tiny(tiny_dir, out, "--travel", "haversine").exit_code == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("from_id,to_id,duration_s\nA,B,1\n", "required column distance_m is missing"),
        (
            "from_id,to_id,duration_s,distance_m\nA,B,x,1\nA,C,-2,1\n,C,1,1\n",
            "m.csv, row 2, column duration_s: 'x' is not a number >= 0; m.csv, row 3, "
            "column duration_s: '-2' is not a number >= 0; m.csv, row 4, column from_id: "
            "empty location id",
        ),
        (
            "from_id,to_id,duration_s,distance_m\nA,B,1,1\nA,B,2,2\n",
            "m.csv, row 2, column to_id: this pair appears more than once",
        ),
        (
            "from_id,to_id,duration_s,distance_m,profile\nA,B,1,1,truck\n",
            "m.csv, row 2, column profile: not one of car, motorbike, bicycle, foot",
        ),
    ],
)
def test_bad_matrix_file_is_one_line(tmp_path: Path, text: str, message: str) -> None:
    """Every bad cell is named by row and column in one line."""
    path = tmp_path / "m.csv"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        MatrixFileModel(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_empty_duration_and_missing_pairs_have_no_route(tmp_path: Path) -> None:
    """An empty duration_s or an absent pair means no route; a profile column splits modes."""
    path = tmp_path / "m.csv"
    path.write_text(
        "from_id,to_id,duration_s,distance_m,profile\n"
        "A,B,60,500,car\nB,A,,,car\nA,B,600,450,foot\nB,A,620,450,foot\n"
    )
    model = MatrixFileModel(path)
    pts = Points.of([1.0, 1.001, 1.0], [2.0, 2.0, 2.0], ("A", "B", "A"))
    car = model.matrix(pts, TravelProfile("car"))
    assert car.durations_s[0, 1] == 60 and car.durations_s[2, 1] == 60
    assert not car.routed[1, 0] and car.routed[0, 2] and car.durations_s[0, 2] == 0
    foot = model.matrix(pts, TravelProfile("foot"))
    assert foot.durations_s[1, 0] == 620
    with pytest.raises(TravelError, match="no rows for travel mode bicycle"):
        model.matrix(pts, TravelProfile("bicycle"))
