"""The one plan-folder reader (routeplan.io.planfolder) and Plan.write drawing from memory."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import routeplan.check
import routeplan.present
from routeplan import schema as S
from routeplan.check import check_plan_folder
from routeplan.errors import InputError
from routeplan.io.planfolder import PlanFolder, read_plan_folder
from routeplan.plan import Plan
from routeplan.summary import PlanSummary
from tests.helpers import read_csv, run, write_tiny_plan

ITIN = "itineraries.csv"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Plan, Path]:
    """The tiny day planned and written by Plan.write."""
    out = tmp_path_factory.mktemp("planfolder") / "plan"
    return write_tiny_plan(out), out


@pytest.fixture
def folder(tiny: tuple[Plan, Path], tmp_path: Path) -> Path:
    """A private copy of the written tiny plan folder."""
    return Path(shutil.copytree(tiny[1], tmp_path / "plan"))


def _edit_itinerary(folder: Path, account: str, **cells: str) -> None:
    """Set cells of one visit row of itineraries.csv (written back as plain UTF-8)."""
    it = read_csv(folder / ITIN)
    row = it.index[(it["kind"] == "visit") & (it["account_id"] == account)][0]
    for column, value in cells.items():
        it.loc[row, column] = value
    it.to_csv(folder / ITIN, index=False)


def test_plan_in_memory_is_what_the_reader_reads(tiny: tuple[Plan, Path]) -> None:
    """Plan.folder() types the plan exactly as read_plan_folder types the files written."""
    plan, out = tiny
    mine, back = plan.folder(out), read_plan_folder(out)
    assert mine.summary == back.summary and mine.agents == back.agents == ("A1", "A2", "A3")
    for part in ("itineraries", "dropped", "excluded", "checklist"):
        pd.testing.assert_frame_equal(getattr(mine, part), getattr(back, part), check_dtype=False)
    assert set(mine.itineraries[S.KIND]) <= set(S.EventKind)
    assert mine.context is not None and back.context is not None and not back.context_problem
    assert (mine.context.date, mine.context.config) == (back.context.date, back.context.config)
    ids = set(back.context.accounts[S.ACCOUNT_ID])
    assert set(mine.context.accounts[S.ACCOUNT_ID]) == ids


def test_plan_write_draws_what_map_redraws(tiny: tuple[Plan, Path], folder: Path) -> None:
    """The sheets, index and exports Plan.write drew from memory equal map's, drawn from files."""
    _, out = tiny
    assert run("map", folder).exit_code == 0
    drawn = ["index.html", "outcomes_template.csv"]
    drawn += [f"{sub}/{p.name}" for sub in ("sheets", "agents") for p in (out / sub).iterdir()]
    assert len(drawn) > 4
    for name in drawn:
        assert (folder / name).read_bytes() == (out / name).read_bytes(), name


def test_plan_write_reads_nothing_back(
    tiny: tuple[Plan, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plan.write draws and checks the plan it holds: no plan file it wrote is read back."""
    plan, _ = tiny

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"read back {args}")

    monkeypatch.setattr(routeplan.present, "read_plan_folder", refuse)
    monkeypatch.setattr(routeplan.check, "read_plan_table", refuse)
    monkeypatch.setattr(routeplan.check, "read_plan_context", refuse)
    notices: list[str] = []
    written = plan.write(tmp_path / "p", notify=notices.append)
    assert notices == []  # checked, lawful, nothing kept
    assert {p.name for p in written} >= {ITIN, "summary.json", "map.html", "index.html"}


def test_clock_cells_as_spreadsheets_write_them(folder: Path) -> None:
    """``9:05`` and ``09:05:00`` read as 09:05; 24:00 is read as an end, refused as an arrival."""
    _edit_itinerary(folder, "ACC02", arrival="9:05", service_start="09:05:00")
    it = read_plan_folder(folder).itineraries
    visit = it[it[S.ACCOUNT_ID] == "ACC02"].iloc[0]
    assert (visit["arrival"], visit["service_start"]) == ("09:05", "09:05")
    it = read_csv(folder / ITIN)
    it.loc[it["kind"] == "end", "arrival"] = "24:00"
    it.to_csv(folder / ITIN, index=False)
    ends = read_plan_folder(folder).itineraries
    assert set(ends.loc[ends[S.KIND] == S.EventKind.END, "arrival"]) == {"24:00"}
    _edit_itinerary(folder, "ACC02", arrival="24:00")
    with pytest.raises(InputError, match=r"itineraries\.csv, row \d+, column arrival: '24:00'"):
        read_plan_folder(folder)


def test_itinerary_saved_by_chinese_excel_is_read(folder: Path) -> None:
    """An itineraries.csv re-saved as GB18030 (Chinese Excel) reads like the UTF-8 one."""
    before = read_plan_folder(folder).itineraries
    text = (folder / ITIN).read_text(encoding="utf-8-sig")
    (folder / ITIN).write_bytes(text.encode("gb18030"))
    pd.testing.assert_frame_equal(read_plan_folder(folder).itineraries, before)


def test_broken_context_is_named_not_fatal(folder: Path) -> None:
    """A plan_context.json that cannot be used: the folder still reads; the checker says why."""
    (folder / "plan_context.json").write_text('{"format": "other"}', encoding="utf-8")
    plan = read_plan_folder(folder)
    assert plan.context is None
    assert "plan_context.json: not a routeplan plan context" in plan.context_problem
    with pytest.raises(InputError, match="not a routeplan plan context"):
        check_plan_folder(plan)
    res = run("map", folder)
    assert res.exit_code == 0 and "could not be re-checked" in res.stderr


def test_checker_reads_the_same_from_files_and_memory(folder: Path) -> None:
    """check_plan_folder finds the same violations in a folder's files and in its typed content."""
    _edit_itinerary(folder, "ACC02", arrival="07:00", service_start="07:00", service_end="07:30")
    from_files = check_plan_folder(folder)
    from_typed = check_plan_folder(read_plan_folder(folder))
    assert from_files and sorted(map(str, from_files)) == sorted(map(str, from_typed))
    rules = {v.rule for v in from_typed}
    assert S.ViolationRule.LEGAL_HOURS in rules


def test_typed_folder_built_from_memory_fills_missing_parts(tmp_path: Path) -> None:
    """PlanFolder.build types tables held in memory: extra columns filled, numbers as floats."""
    itin = pd.DataFrame(
        {
            **{c: [""] for c in S.ITINERARY_COLUMNS},
            "date": ["2026-12-01"],
            "agent_id": ["A1"],
            "stop_no": [0],
            "kind": [S.EventKind.START],
            "lat": [31.2],
            "lon": [121.4],
            "travel_km": [None],
        }
    )
    built = PlanFolder.build(
        tmp_path,
        summary=PlanSummary(date="2026-12-01"),
        itineraries=itin,
        dropped=pd.DataFrame({S.ACCOUNT_ID: ["X"], S.REASON: [S.DroppedReason.CAPACITY]}),
        excluded=pd.DataFrame(columns=list(S.EXCLUDED_COLUMNS)),
        checklist=pd.DataFrame(columns=list(S.CHECKLIST_COLUMNS)),
    )
    row = built.itineraries.iloc[0]
    assert row["travel_km"] == 0.0 and row["why_today"] == "" and row["stop_no"] == 0
    assert built.dropped.loc[0, S.REASON] == "lower_value_than_planned_visits"
    assert pd.isna(built.dropped.loc[0, S.LAT]) and built.agents == ("A1",)
