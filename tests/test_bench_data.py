"""The VRPTW benchmark data is part of the repository, so a clone benchmarks on its own.

A clone has nothing beside it: ``make test`` runs ``bench-smoke``, which must find the
Solomon instances and best-known values inside the repository, never in a folder next to
it. These tests check the data (every instance parses, every best-known route reaches its
published value) and run the ``bench-smoke`` commands on a copy of the tracked files alone.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.evaluate import check_vrptw, read_solomon
from benchmarks.vrptw import DEFAULT_DATA, GROUPS, expand, instance_path, main, read_bks

ROOT = Path(__file__).resolve().parent.parent
#: fleet size per instance size, as the data README states it
FLEET = {100: 25, 200: 50, 1000: 250}
#: a path to a folder beside the repository, in any of the ways code could spell it
#: (each written so that this line does not match itself)
OUTSIDE = re.compile(r"\.\./share[d]\b|/\s*\"share[d]\"|share[d]/benchmarks|/wor[k]/shared")


def _bks_rows() -> list[dict[str, str]]:
    with (DEFAULT_DATA / "bks.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _routes(path: Path) -> list[list[int]]:
    """Return the routes of a best-known solution file (VRPLIB or SINTEF format)."""
    routes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\s*Route\s*#?\s*\d+\s*:(.*)", line)
        if m:
            routes.append([int(c) for c in m.group(1).split()])
    return routes


def _tracked_files() -> list[str]:
    """Return the repository's tracked files (skip when this is not a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout
    except (OSError, subprocess.SubprocessError):
        pytest.skip("not a git checkout: the tracked files cannot be listed")
    return [f for f in out.decode().split("\0") if f]


def test_vrptw_data_is_inside_the_repository() -> None:
    """benchmarks.vrptw reads its data from benchmarks/data/vrptw, with its README."""
    assert DEFAULT_DATA.resolve().is_relative_to(ROOT)
    assert DEFAULT_DATA.resolve() == ROOT / "benchmarks" / "data" / "vrptw"
    readme = (DEFAULT_DATA / "README.md").read_text(encoding="utf-8")
    for source in ("dietmarwo/VRPTW", "PyVRP/Instances", "vrp-benchmarks", "MIT License"):
        assert source in readme, f"the data README does not name {source}"


def test_every_instance_parses_with_its_size_and_best_known_value() -> None:
    """56 Solomon and 6 Gehring-Homberger instances parse; each has a distance-only BKS."""
    rows = _bks_rows()
    customers = {r["instance"]: int(r["customers"]) for r in rows}
    names = expand("solomon", DEFAULT_DATA) + sorted(
        p.stem for p in (DEFAULT_DATA / "homberger").glob("*.txt")
    )
    assert len(names) == 62 and len(set(names)) == 62
    assert set(customers) == set(names)
    dimacs = read_bks(DEFAULT_DATA)
    assert set(dimacs) == set(names)
    for name in names:
        inst = read_solomon(instance_path(DEFAULT_DATA, name))
        assert inst.name.upper() == name
        assert inst.customers == customers[name], name
        assert inst.vehicles == FLEET[inst.customers], name
    for group, members in GROUPS.items():
        assert set(members.split(",")) <= set(names), group


def test_best_known_routes_reach_their_published_values() -> None:
    """Every distance-only best-known route file is feasible and has its bks.csv length."""
    dimacs = read_bks(DEFAULT_DATA)
    for name, best in sorted(dimacs.items()):
        inst = read_solomon(instance_path(DEFAULT_DATA, name))
        sol = instance_path(DEFAULT_DATA, name).parent / "bks_routes" / "dimacs_distance"
        chk = check_vrptw(inst, _routes(sol / f"{name}.sol"))
        assert chk.feasible, (name, chk.problems[:3])
        assert chk.distance_t1 == pytest.approx(best, abs=0.05), name


def test_missing_data_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--data without bks.csv, or an unknown instance, ends in one line and exit 2."""
    with pytest.raises(SystemExit) as exc:
        main(["--data", str(tmp_path), "--instances", "C101"])
    assert exc.value.code == 2
    assert f"{tmp_path}: no bks.csv here" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["--instances", "C999", "--out", str(tmp_path)])
    assert exc.value.code == 2
    assert "no instance file for C999" in capsys.readouterr().err


def test_no_code_refers_to_a_folder_beside_the_repository() -> None:
    """No tracked file (code, Makefile, docs, notebooks) reads from a shared folder outside."""
    offenders = []
    for name in _tracked_files():
        path = ROOT / name
        if not path.is_file() or path.suffix in {".txt", ".sol", ".csv", ".png"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{name}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert not offenders


@pytest.mark.slow
def test_bench_smoke_runs_from_the_tracked_files_alone(tmp_path: Path) -> None:
    """The bench-smoke commands run in a copy of the tracked files with nothing beside it.

    This is what a clone has: if the data were untracked or read from outside the
    repository, the copy would miss it.
    """
    clone = tmp_path / "clone" / "routeplan"
    for name in _tracked_files():
        src = ROOT / name
        if src.is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, clone / name)
    assert [p.name for p in clone.parent.iterdir()] == ["routeplan"]  # nothing beside it
    out = tmp_path / "results"
    vrptw = _run_in(
        clone,
        "benchmarks.vrptw",
        "--time-limit",
        "1",
        "--instances",
        "smoke",
        "--engines",
        "ortools-plain",
        "--out",
        str(out),
        "--stem",
        "smoke",
    )
    assert vrptw.returncode == 0, vrptw.stderr[-2000:]
    with (out / "smoke.csv").open(encoding="utf-8") as fh:
        rows = {r["instance"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"C101", "R101"}
    bks = read_bks(clone / "benchmarks" / "data" / "vrptw")
    for name, row in rows.items():
        assert float(row["bks_t1"]) == bks[name] and row["feasible"] == "True", row
    collection = _run_in(
        clone,
        "benchmarks.collection",
        "--sizes",
        "40/2",
        "--limits",
        "1",
        "--engines",
        "routeplan",
        "--out",
        str(out),
        "--stem",
        "coll",
    )
    assert collection.returncode == 0, collection.stderr[-2000:]
    assert (out / "coll.csv").is_file()


def _run_in(clone: Path, module: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m module args`` in ``clone``, importing only the clone's code."""
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=clone,
        env={**os.environ, "PYTHONPATH": str(clone)},
        capture_output=True,
        text=True,
        timeout=300,
    )
