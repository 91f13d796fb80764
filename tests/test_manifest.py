"""Files typed into a plan folder are never overwritten (routeplan.io.manifest), via the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from routeplan.config import Config
from routeplan.errors import ChangedFilesError
from routeplan.io.manifest import MANIFEST_FILE, PlanFiles
from routeplan.plan import load_inputs, plan_day
from tests.helpers import plan_tiny, read_csv, run

TEMPLATE = "outcomes_template.csv"
FRESH = "outcomes_template.new.csv"


def fill_outcomes(out: Path) -> pd.DataFrame:
    """Fill every row of the plan's outcomes template as an agent would, and return it."""
    df = read_csv(out / TEMPLATE)
    assert len(df) == 4
    df["outcome"] = ["paid", "not_home", "ptp", "refused"]
    df["amount_paid"] = ["50000", "", "", ""]
    df["ptp_date"] = ["", "", "2026-12-20", ""]
    df["notes"] = ["cash, receipt R-1", "", "", "shouted"]
    df.to_csv(out / TEMPLATE, index=False, encoding="utf-8-sig")
    return df


@pytest.fixture
def planned(tiny_dir: Path, tmp_path: Path) -> Path:
    """A tiny plan folder made by routeplan plan."""
    out = tmp_path / "plan"
    res = plan_tiny(tiny_dir, out)
    assert res.exit_code == 0, res.output
    return out


def test_plan_records_every_file_it_wrote(planned: Path) -> None:
    """The manifest lists each file routeplan wrote with the SHA-256 of its content."""
    data = json.loads((planned / MANIFEST_FILE).read_text(encoding="utf-8"))
    files = data["files"]
    for name in ("itineraries.csv", "summary.json", "plan_context.json", TEMPLATE, "map.html"):
        assert name in files, name
    assert {"sheets/A1.html", "sheets/A2.html", "agents/A1.csv"} <= set(files)
    assert not PlanFiles.open(planned).plan_conflicts()


def test_map_keeps_filled_outcomes_and_writes_the_template_beside(planned: Path) -> None:
    """routeplan map after agents filled the template: their rows stay, the fresh one is beside."""
    filled = fill_outcomes(planned)
    before = (planned / TEMPLATE).read_bytes()
    res = run("map", planned)
    assert res.exit_code == 0, res.output
    assert (planned / TEMPLATE).read_bytes() == before
    pd.testing.assert_frame_equal(read_csv(planned / TEMPLATE), filled)
    fresh = read_csv(planned / FRESH)
    assert list(fresh["account_id"]) == list(filled["account_id"])
    assert (fresh["outcome"] == "").all()
    assert f"{TEMPLATE} was changed after routeplan wrote it (filled outcomes)" in res.stderr
    assert FRESH in res.stderr
    # a second redraw still keeps them and reuses the same fresh file
    assert run("map", planned).exit_code == 0
    assert (planned / TEMPLATE).read_bytes() == before
    assert not (planned / "outcomes_template.new2.csv").exists()


def test_plan_again_into_filled_folder_is_refused_without_force(
    tiny_dir: Path, planned: Path
) -> None:
    """Planning into a folder with filled outcomes: exit 1, one line naming the file and --force."""
    fill_outcomes(planned)
    before = (planned / TEMPLATE).read_bytes()
    res = plan_tiny(tiny_dir, planned)
    assert res.exit_code == 1, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1, res.output
    assert TEMPLATE in lines[0] and "--force" in lines[0]
    assert "Traceback" not in res.output
    assert (planned / TEMPLATE).read_bytes() == before


def test_plan_with_force_moves_the_filled_file_to_a_backup(tiny_dir: Path, planned: Path) -> None:
    """--force plans again and keeps the filled outcomes in backup-YYYYmmdd-HHMMSS/."""
    filled = fill_outcomes(planned)
    assert run("map", planned).exit_code == 0  # leaves a fresh template beside it
    res = plan_tiny(tiny_dir, planned, "--force")
    assert res.exit_code == 0, res.output
    backups = sorted(planned.glob("backup-*"))
    assert len(backups) == 1 and backups[0].name[len("backup-") :].replace("-", "").isdigit()
    pd.testing.assert_frame_equal(read_csv(backups[0] / TEMPLATE), filled)
    assert f"moved 1 file(s) changed by hand to {backups[0]}" in res.stderr
    assert (read_csv(planned / TEMPLATE)["outcome"] == "").all()
    # the fresh copy map wrote belonged to the old plan and was routeplan's: gone
    assert not (planned / FRESH).exists()
    assert not PlanFiles.open(planned).plan_conflicts()


def test_plan_again_over_a_revised_itinerary_is_refused(tiny_dir: Path, planned: Path) -> None:
    """An itineraries.csv edited by a dispatcher is a revised plan: not replaced without --force."""
    it = read_csv(planned / "itineraries.csv")
    it = it[it["account_id"] != "ACC13"]
    it.to_csv(planned / "itineraries.csv", index=False)
    edited = (planned / "itineraries.csv").read_bytes()
    res = plan_tiny(tiny_dir, planned)
    assert res.exit_code == 1
    assert "itineraries.csv" in res.output and "--force" in res.output
    assert (planned / "itineraries.csv").read_bytes() == edited
    # map redraws the revised plan (it is its input) and leaves it as it is
    assert run("map", planned).exit_code == 0
    assert (planned / "itineraries.csv").read_bytes() == edited


def test_old_folder_without_manifest_keeps_filled_outcomes(tiny_dir: Path, planned: Path) -> None:
    """A folder from before the manifest: filled outcome columns still mark the file as typed."""
    (planned / MANIFEST_FILE).unlink()
    filled = fill_outcomes(planned)
    res = run("map", planned)
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(read_csv(planned / TEMPLATE), filled)
    assert (planned / FRESH).exists()
    res = plan_tiny(tiny_dir, planned)
    assert res.exit_code == 1 and TEMPLATE in res.output


def test_old_folder_without_manifest_and_empty_template_is_replanned(
    tiny_dir: Path, planned: Path
) -> None:
    """A folder from before the manifest with nothing typed is planned into as before."""
    (planned / MANIFEST_FILE).unlink()
    res = plan_tiny(tiny_dir, planned)
    assert res.exit_code == 0, res.output
    assert not list(planned.glob("backup-*"))


def test_plan_into_a_folder_of_other_files_is_refused(tiny_dir: Path, tmp_path: Path) -> None:
    """A folder that is no plan folder: an index.html there is someone's, not replaced."""
    out = tmp_path / "docs"
    out.mkdir()
    (out / "index.html").write_text("<p>my notes</p>", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    res = plan_tiny(tiny_dir, out)
    assert res.exit_code == 1 and "index.html" in res.output
    assert (out / "index.html").read_text(encoding="utf-8") == "<p>my notes</p>"
    res = plan_tiny(tiny_dir, out, "--force")
    assert res.exit_code == 0, res.output
    (backup,) = out.glob("backup-*")
    assert (backup / "index.html").read_text(encoding="utf-8") == "<p>my notes</p>"
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"  # not a plan file


def test_sheet_annotated_by_hand_is_neither_replaced_nor_pruned(planned: Path) -> None:
    """A route sheet someone changed stays; map writes the fresh one beside it."""
    sheet = planned / "sheets" / "A1.html"
    sheet.write_text(sheet.read_text(encoding="utf-8") + "<!-- call first -->", encoding="utf-8")
    mine = sheet.read_bytes()
    it = read_csv(planned / "itineraries.csv")
    it[it["agent_id"] != "A1"].to_csv(planned / "itineraries.csv", index=False)  # A1 loses all
    assert run("map", planned).exit_code == 0
    assert sheet.read_bytes() == mine
    assert not (planned / "sheets" / "A2.new.html").exists()
    assert (planned / "sheets" / "A2.html").exists()


def test_python_api_refuses_and_forces(
    tiny_dir: Path, planned: Path, fast_config: Config, plan_date: dt.date
) -> None:
    """Plan.write raises ChangedFilesError naming the file; force=True backs it up."""
    fill_outcomes(planned)
    inputs = load_inputs(tiny_dir / "accounts.csv", tiny_dir / "agents.csv")
    day = plan_day(inputs, plan_date, fast_config)
    with pytest.raises(ChangedFilesError, match=TEMPLATE) as err:
        day.write(planned)
    assert err.value.files == [TEMPLATE]
    notices: list[str] = []
    day.write(planned, force=True, notify=notices.append)
    assert len(notices) == 1 and notices[0].startswith("moved 1 file(s) changed by hand")
    (backup,) = planned.glob("backup-*")
    assert (read_csv(backup / TEMPLATE)["outcome"] != "").all()
