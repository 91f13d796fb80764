"""Tests for routeplan.io.safe: atomic writers, CSV neutralisation, JSON and CSV readers."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from routeplan.errors import InputError
from routeplan.io import safe
from routeplan.io.safe import (
    neutralise_cell,
    neutralise_frame,
    prune_files,
    read_json,
    unneutralise_cell,
    write_bytes_atomic,
    write_csv_atomic,
    write_json_atomic,
    write_text_atomic,
)
from routeplan.io.tables import read_table

HOSTILE = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("value", HOSTILE)
def test_neutralise_cell_prefixes_formula_starts(value: str) -> None:
    """Every formula-like start gets a leading apostrophe, and unneutralise undoes it."""
    assert neutralise_cell(value) == "'" + value
    assert unneutralise_cell(neutralise_cell(value)) == value


@pytest.mark.parametrize("value", ["王小明", "a=b", "'quoted", "", " =x", 3, -4.5, None])
def test_neutralise_cell_leaves_safe_values(value: object) -> None:
    """Plain text, text with a formula sign later on, numbers and None are unchanged."""
    assert neutralise_cell(value) == value


def test_unneutralise_keeps_ordinary_apostrophes() -> None:
    """An apostrophe not followed by a formula prefix is the user's text and stays."""
    assert unneutralise_cell("'quoted") == "'quoted"
    assert unneutralise_cell("O'Brien") == "O'Brien"


def test_neutralise_frame_skips_numeric_columns() -> None:
    """Negative numbers in numeric columns stay numbers; strings and headers are neutralised."""
    df = pd.DataFrame(
        {
            "lon": [-73.98, 121.47],
            "count": pd.array([-1, 2], dtype="Int64"),
            "flag": [True, False],
            "note": ["-5 owed", "fine"],
            "mixed": [-3.5, "=1+1"],
            "=evil": ["x", "y"],
        }
    )
    out = neutralise_frame(df)
    assert out["lon"].tolist() == [-73.98, 121.47]
    assert out["count"].tolist() == [-1, 2]
    assert out["flag"].tolist() == [True, False]
    assert out["note"].tolist() == ["'-5 owed", "fine"]
    assert out["mixed"].tolist() == [-3.5, "'=1+1"]
    assert "'=evil" in out.columns
    assert df["note"].tolist() == ["-5 owed", "fine"], "the input frame must not change"


def _cells(path: Path) -> list[list[str]]:
    """Return every cell of a CSV (BOM stripped)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_write_csv_atomic_neutralises_and_keeps_numbers(tmp_path: Path) -> None:
    """The written CSV has no formula-like text cell, keeps negative numbers, and reads back."""
    df = pd.DataFrame({"address": HOSTILE, "lon": [-1.5, -2.0, 3.0, 4.0, 5.0, -6.25]})
    path = write_csv_atomic(tmp_path / "out.csv", df)
    rows = _cells(path)
    assert rows[0] == ["address", "lon"]
    for address, lon in rows[1:]:
        assert address.startswith("'")
        float(lon)
    assert rows[1][1] == "-1.5"
    back, _ = read_table(path, required=["address", "lon"], row_column=None)
    assert back["address"].tolist() == HOSTILE


def test_write_csv_atomic_bom_only_for_spreadsheets(tmp_path: Path) -> None:
    """spreadsheet=True writes a UTF-8 BOM (Excel shows Chinese); the default does not."""
    df = pd.DataFrame({"name": ["王小明"]})
    plain = write_csv_atomic(tmp_path / "plain.csv", df).read_bytes()
    sheet = write_csv_atomic(tmp_path / "sheet.csv", df, spreadsheet=True).read_bytes()
    assert not plain.startswith(b"\xef\xbb\xbf")
    assert sheet.startswith(b"\xef\xbb\xbf")
    assert sheet[3:] == plain
    assert read_table(tmp_path / "sheet.csv")[0]["name"].tolist() == ["王小明"]


def test_write_csv_atomic_column_order(tmp_path: Path) -> None:
    """``columns`` selects and orders the written columns."""
    df = pd.DataFrame({"b": [1], "a": [2], "c": [3]})
    path = write_csv_atomic(tmp_path / "o.csv", df, columns=["a", "b"])
    assert _cells(path) == [["a", "b"], ["2", "1"]]
    assert path.read_bytes() == b"a,b\r\n2,1\r\n"


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    """A rewrite replaces the content, creates parents, and leaves no temporary file."""
    target = tmp_path / "deep" / "dir" / "f.txt"
    write_text_atomic(target, "one")
    write_text_atomic(target, "二")
    assert target.read_text(encoding="utf-8") == "二"
    assert sorted(p.name for p in target.parent.iterdir()) == ["f.txt"]


def test_atomic_write_failure_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the final rename fails, the old content stays and the temp file is removed."""
    target = tmp_path / "f.txt"
    target.write_text("old", encoding="utf-8")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(safe.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_bytes_atomic(target, b"new")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_atomic_write_modes(tmp_path: Path) -> None:
    """A new file gets the umask's mode (not mkstemp's 0600); an existing file keeps its mode."""
    old = os.umask(0o022)
    try:
        fresh = write_text_atomic(tmp_path / "new.txt", "x")
        assert fresh.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "kept.txt"
        kept.write_text("x")
        kept.chmod(0o600)
        write_text_atomic(kept, "y")
        assert kept.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


def test_write_json_atomic_converts_values(tmp_path: Path) -> None:
    """NaN becomes null, numpy scalars plain numbers, dates ISO; Chinese stays readable."""
    data = {
        "n": np.int64(3),
        "x": np.float64(1.5),
        "nan": float("nan"),
        "day": dt.date(2026, 12, 1),
        "name": "张伟",
        "list": (1, np.bool_(True)),
    }
    path = write_json_atomic(tmp_path / "s.json", data)
    assert "张伟" in path.read_text(encoding="utf-8")
    assert read_json(path) == {
        "n": 3,
        "x": 1.5,
        "nan": None,
        "day": "2026-12-01",
        "name": "张伟",
        "list": [1, True],
    }


def test_read_json_errors_name_the_file(tmp_path: Path) -> None:
    """A missing or malformed JSON file raises InputError naming the file (and line)."""
    with pytest.raises(InputError, match=r"missing\.json: file not found"):
        read_json(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": 1,\n oops}', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.json: not valid JSON \(line 2"):
        read_json(bad)
    assert json.loads('{"a": 1}') == {"a": 1}


def test_read_table_errors(tmp_path: Path) -> None:
    """Missing files, empty files and missing columns are InputErrors naming file and column."""
    with pytest.raises(InputError, match=r"nope\.csv: file not found"):
        read_table(tmp_path / "nope.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match=r"empty\.csv: file is empty"):
        read_table(empty)
    partial = tmp_path / "partial.csv"
    partial.write_text("account_id\nA1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"partial\.csv, column agent_id, item: required column"):
        read_table(partial, required=["account_id", "agent_id", "item"])


def test_read_table_keeps_text(tmp_path: Path) -> None:
    """Cells are read as text: leading zeros, empty cells and 'NA' survive."""
    path = tmp_path / "t.csv"
    path.write_text("id,v,w\n007,,NA\n", encoding="utf-8")
    df, _ = read_table(path, row_column=None)
    assert df.iloc[0].tolist() == ["007", "", "NA"]


def test_prune_files_removes_only_stale_matches(tmp_path: Path) -> None:
    """Only files matching the pattern and not kept are removed."""
    for name in ("a.html", "b.html", "c.txt"):
        (tmp_path / name).write_text("x")
    removed = prune_files(tmp_path, [tmp_path / "a.html"], "*.html")
    assert [p.name for p in removed] == ["b.html"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html", "c.txt"]
    assert prune_files(tmp_path / "absent", [], "*") == []
