"""The one CSV reader (routeplan.io.tables.read_table): one broken file per error path."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from routeplan.errors import InputError, RowProblem
from routeplan.io.tables import read_table


def _bytes(content: bytes) -> Callable[[Path], None]:
    """Return a maker writing ``content`` as the file."""
    return lambda p: p.write_bytes(content)


# (label, make the file, read_table options, what the one-line message says)
BROKEN: list[tuple[str, Callable[[Path], Any], dict[str, Any], str]] = [
    ("missing", lambda p: None, {}, r"t\.csv: file not found"),
    ("a folder", lambda p: p.mkdir(), {}, r"t\.csv: not a regular file"),
    ("a FIFO", lambda p: os.mkfifo(p), {}, r"t\.csv: not a regular file"),
    ("unknown encoding", _bytes(b"a\n1\n"), {"encoding": "klingon"}, "unknown encoding 'klingon'"),
    ("wrong encoding", _bytes("a\n张\n".encode()), {"encoding": "ascii"}, "cannot decode as ascii"),
    ("binary", _bytes(b"\x89PNG\r\n\x1a\n\x00\x00"), {}, "looks like a binary file"),
    ("undecodable", _bytes(b"a,b\n\xff\xff,1\n"), {}, "not UTF-8 or GB18030 text"),
    ("empty", _bytes(b""), {}, r"t\.csv: file is empty"),
    ("BOM only", _bytes(b"\xef\xbb\xbf \r\n"), {}, r"t\.csv: file is empty"),
    ("separators only", _bytes(b",,\n,,\n"), {}, r"file is empty \(no header row\)"),
    ("unclosed quote", _bytes(b'a,b\n"1,2\n3,4\n'), {}, r"row 2: not valid CSV.*never closed"),
    ("text after a quote", _bytes(b'a,b\n"1"x,2\n'), {}, r"row 2: not valid CSV"),
    ("repeated column", _bytes(b"a,b,a\n1,2,3\n"), {}, "column a: appears more than once"),
    ("same after folding", _bytes(b"Due Date,due-date\n1,2\n"), {}, "column due_date: appears"),
    ("reserved column", _bytes(b"a,_row\n1,2\n"), {}, "column _row: name reserved by routeplan"),
    (
        "missing columns",
        _bytes(b"a\n1\n"),
        {"required": ("a", "b", "c")},
        r"t\.csv, column b, c: required column missing",
    ),
    (
        "rows too wide",
        _bytes(b"a,b\n1,2,3\n4,5\n6,7,8\n"),
        {},
        r"t\.csv, row 2: row has 3 values but the header has 2 columns .*\(and 1 more rows",
    ),
    (
        "every row too wide",
        _bytes(b"a,b\n1,2,3\n4,5,6\n"),
        {"refused": []},
        "every row has more values than the 2 columns",
    ),
    ("NUL byte in a row", _bytes(b"a,b\n" + b"x,y\n" * 1100 + b"1,\x002\n"), {}, r"row 1102"),
    (
        "named by the caller",
        _bytes(b""),
        {"name": "plans/d/t.csv"},
        r"plans/d/t\.csv: file is empty",
    ),
]


@pytest.mark.parametrize(
    ("label", "make", "options", "message"), BROKEN, ids=[case[0] for case in BROKEN]
)
def test_broken_file_is_one_line(
    tmp_path: Path, label: str, make: Callable[[Path], Any], options: dict[str, Any], message: str
) -> None:
    """Each unusable file is refused in one InputError line naming the file and what is wrong."""
    path = tmp_path / "t.csv"
    make(path)
    with pytest.raises(InputError, match=message) as info:
        read_table(path, **options)
    assert "\n" not in str(info.value)


def test_wide_and_nul_rows_are_refused_alone_when_asked(tmp_path: Path) -> None:
    """With ``refused`` a too-wide row and a row holding a NUL byte are set aside, named."""
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n" + b"x,y\n" * 1100 + b"1,2,3\n1,\x002\n4,5\n")
    refused: list[RowProblem] = []
    frame, used = read_table(path, refused=refused)
    assert used == "utf-8"
    assert len(frame) == 1101 and frame["a"].iloc[-1] == "4"
    assert [(p.row, p.column) for p in refused] == [(1102, ""), (1103, "b")]
    assert "NUL byte" in refused[1].problem


def test_headers_normalised_or_kept(tmp_path: Path) -> None:
    """Input headers are folded (``Days Past Due`` -> ``days_past_due``); plan files keep theirs."""
    path = tmp_path / "t.csv"
    path.write_text("Days Past Due, My Notes ,\n120,x,\n", encoding="utf-8")
    folded, _ = read_table(path)
    assert list(folded.columns) == ["days_past_due", "my_notes", "unnamed_3", "_row"]
    kept, _ = read_table(path, normalise_headers=False, row_column=None)
    assert list(kept.columns) == ["Days Past Due", "My Notes", "unnamed_3"]


def test_gb18030_and_semicolons(tmp_path: Path) -> None:
    """A Chinese Excel export (GB18030, ``;``-separated) reads as text like UTF-8."""
    path = tmp_path / "t.csv"
    path.write_bytes("账号;姓名\nA1;王小明\n".encode("gb18030"))
    frame, used = read_table(path, normalise_headers=False)
    assert used == "gb18030"
    assert frame.to_dict("records") == [{"账号": "A1", "姓名": "王小明", "_row": 2}]
