"""Reading and validating accounts.csv and agents.csv."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from routeplan.errors import InputError
from routeplan.io.readers import (
    parse_windows,
    read_accounts,
    read_agents,
)
from tests.helpers import TINY

HEADER = (
    "account_id,debtor_name,address,lat,lon,balance,days_past_due,contact_attempts_30d,"
    "visit_windows,dispute,ptp_date\n"
)
GOOD = "G1,张三,地址1,31.23,121.47,20000,120,4,,no,\n"


def write(tmp_path: Path, text: str, name: str = "accounts.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_tiny_accounts_parse_with_types() -> None:
    """The tiny file reads with typed columns and no rejection."""
    r = read_accounts(TINY / "accounts.csv")
    assert r.rejected == []
    f = r.frame
    assert len(f) == 15
    row = f.set_index("account_id").loc["ACC02"]
    assert row["windows"] == ((540, 720), (840, 960))
    assert bool(row["dispute"]) is False and row["broken_promises"] == 1
    assert f.set_index("account_id").loc["ACC13", "hardship"]  # "TRUE"
    assert f["_row"].tolist() == list(range(2, 17))


@pytest.mark.parametrize(
    ("cell_row", "column", "needle"),
    [
        ("B1,李四,地址,31.2,121.4,abc,100,3,,,\n", "balance", "not a number"),
        ("B2,李四,地址,95.0,121.4,1000,100,3,,,\n", "lat", "above the maximum"),
        ("B3,李四,地址,31.2,121.4,1000,100,3,12:00-09:00,,\n", "visit_windows", "ends before"),
        ("B4,李四,地址,31.2,121.4,1000,100,3,,,2026-13-40\n", "ptp_date", "not a valid"),
        ("B5,李四,地址,31.2,121.4,1000,100,3,,maybe,\n", "dispute", "not a boolean"),
        ("B6,李四,地址,31.2,121.4,-5,100,3,,,\n", "balance", "below the minimum"),
        ("B7,李四,地址,31.2,121.4,1000,12.5,3,,,\n", "days_past_due", "whole number"),
        ("B8,,地址,31.2,121.4,1000,100,3,,,\n", "debtor_name", "required value is empty"),
        ("B9,李四,地址,31.2,121.4,1000,100,3,9am-noon,,\n", "visit_windows", "HH:MM"),
        ("B10,李四,地址,0,0,1000,100,3,,,\n", "lat", "missing value"),
        ("B11,李四,地址,31.2,121.4,inf,100,3,,,\n", "balance", "finite"),
    ],
)
def test_bad_row_is_refused_and_good_rows_kept(
    tmp_path: Path, cell_row: str, column: str, needle: str
) -> None:
    """A bad cell refuses its row with file, row and column; other rows stay."""
    p = write(tmp_path, HEADER + GOOD + cell_row)
    r = read_accounts(p)
    assert list(r.frame["account_id"]) == ["G1"]
    assert len(r.rejected) == 1
    prob = r.rejected[0]
    assert (prob.file, prob.row, prob.column) == ("accounts.csv", 3, column)
    assert needle in prob.problem


def test_duplicate_ids_refuse_every_copy(tmp_path: Path) -> None:
    """Both rows of a duplicated account_id are refused, naming the rows."""
    p = write(tmp_path, HEADER + GOOD + GOOD.replace("张三", "张四") + GOOD.replace("G1", "G2"))
    r = read_accounts(p)
    assert list(r.frame["account_id"]) == ["G2"]
    assert [x.row for x in r.rejected] == [2, 3]
    assert "duplicate account_id 'G1' (rows 2, 3)" in r.rejected[0].problem


def test_missing_required_columns_are_all_named(tmp_path: Path) -> None:
    """A file lacking required columns stops with every missing column named."""
    p = write(tmp_path, "account_id,debtor_name,address\nX,Y,Z\n")
    with pytest.raises(InputError) as exc:
        read_accounts(p)
    msg = str(exc.value)
    for col in ("lat", "lon", "balance", "days_past_due", "contact_attempts_30d"):
        assert f"column {col}" in msg
    assert msg.startswith("accounts.csv")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (HEADER.encode(), "no account rows"),
        (b"\x00\x01\x02binary", "binary"),
    ],
)
def test_unusable_files(tmp_path: Path, content: bytes, needle: str) -> None:
    """Empty, header-only and binary files are file-level errors."""
    p = tmp_path / "accounts.csv"
    p.write_bytes(content)
    with pytest.raises(InputError, match=needle):
        read_accounts(p)


def test_missing_file(tmp_path: Path) -> None:
    """A missing file is one clear error naming it."""
    with pytest.raises(InputError, match="file not found"):
        read_accounts(tmp_path / "nope.csv")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_encodings_detected(tmp_path: Path, encoding: str) -> None:
    """UTF-8 with or without BOM and GB18030/GBK Excel exports read the same."""
    p = write(tmp_path, HEADER + GOOD, encoding=encoding)
    r = read_accounts(p)
    assert r.frame.loc[0, "debtor_name"] == "张三"
    assert r.frame.columns[0] == "account_id"


def test_forced_wrong_encoding_is_reported(tmp_path: Path) -> None:
    """A file that does not decode with --encoding gives a clear error."""
    p = write(tmp_path, HEADER + GOOD, encoding="gb18030")
    with pytest.raises(InputError, match="cannot decode as utf-8"):
        read_accounts(p, encoding="utf-8")


def test_missing_coordinates_are_kept_for_geocoding(tmp_path: Path) -> None:
    """Empty lat/lon (or only one of them) are NaN, left for the geocoder."""
    p = write(
        tmp_path, HEADER + "C1,王五,地址,,,20000,120,4,,,\nC2,赵六,地址,31.2,,20000,120,4,,,\n"
    )
    f = read_accounts(p).frame
    assert f["lat"].isna().all() and f["lon"].isna().all()


def test_headers_are_case_and_space_insensitive(tmp_path: Path) -> None:
    """Header names are stripped and lower-cased."""
    p = write(tmp_path, HEADER.replace("balance", " Balance ") + GOOD)
    assert read_accounts(p).frame.loc[0, "balance"] == 20000.0


def test_parse_windows_merges_and_sorts() -> None:
    """Windows are sorted and overlapping ones merged; empty means any time."""
    assert parse_windows("18:00-20:00; 09:00-12:00;11:00-13:00") == ((540, 780), (1080, 1200))
    assert parse_windows("") == ()
    assert parse_windows("20:00-24:00") == ((1200, 1440),)


AGENT_HEADER = (
    "agent_id,name,base_lat,base_lon,shift_start,shift_end,break_start,break_end,break_minutes,"
    "credential_id,credential_expiry,end_lat,end_lon\n"
)


def test_tiny_agents() -> None:
    """Agents read with minutes, skills as tuples and the end point defaulted."""
    r = read_agents(TINY / "agents.csv")
    assert r.rejected == []
    a1 = r.frame.set_index("agent_id").loc["A1"]
    assert (a1["shift_start"], a1["shift_end"]) == (540, 1020)
    assert a1["skills"] == ("zh", "senior")
    assert (a1["end_lat"], a1["end_lon"]) == (a1["base_lat"], a1["base_lon"])
    assert math.isclose(r.frame.set_index("agent_id").loc["A2", "speed_kmh"], 20.0)


@pytest.mark.parametrize(
    ("row", "column", "needle"),
    [
        ("X1,甲,31.2,121.4,17:00,09:00,,,,C,2027-01-01,,\n", "shift_end", "before it starts"),
        ("X2,甲,31.2,121.4,09:00,17:00,12:00,,30,C,2027-01-01,,\n", "break_end", "needs"),
        (
            "X3,甲,31.2,121.4,09:00,17:00,12:00,12:20,30,C,2027-01-01,,\n",
            "break_minutes",
            "does not fit",
        ),
        (
            "X4,甲,31.2,121.4,09:00,12:00,08:00,20:00,200,C,2027-01-01,,\n",
            "break_minutes",
            "longer than the shift",
        ),
        ("X5,甲,31.2,121.4,9:00,25:00,,,,C,2027-01-01,,\n", "shift_end", "valid time"),
        ("X6,甲,31.2,121.4,09:00,17:00,,,,C,2027-01-01,31.2,\n", "end_lon", "together"),
    ],
)
def test_bad_agent_rows(tmp_path: Path, row: str, column: str, needle: str) -> None:
    """Bad shifts and breaks refuse the agent row, naming the column."""
    good = "OK,乙,31.2,121.4,09:00,17:00,,,,C,2027-01-01,,\n"
    p = write(tmp_path, AGENT_HEADER + good + row, name="agents.csv")
    r = read_agents(p)
    assert list(r.frame["agent_id"]) == ["OK"]
    assert [(x.file, x.row, x.column) for x in r.rejected] == [("agents.csv", 3, column)]
    assert needle in r.rejected[0].problem


def test_break_window_outside_the_shift_is_kept(tmp_path: Path) -> None:
    """A lunch window reaching outside the shift is read as given (it is clipped on the day)."""
    good = "L1,乙,31.2,121.4,12:00,17:30,11:30,14:00,45,C,2027-01-01,,\n"
    late = "L2,丙,31.2,121.4,15:00,20:00,11:30,14:00,45,C,2027-01-01,,\n"
    r = read_agents(write(tmp_path, AGENT_HEADER + good + late, name="agents.csv"))
    assert r.rejected == []
    frame = r.frame.set_index("agent_id")
    assert list(frame.loc["L1", ["break_start", "break_end", "break_minutes"]]) == [690, 840, 45]
    assert list(frame.loc["L2", ["break_start", "break_end", "break_minutes"]]) == [690, 840, 45]


def test_fifo_or_folder_is_refused(tmp_path: Path) -> None:
    """A folder or a named pipe given as a file is refused, never read (a FIFO would block)."""
    import os

    with pytest.raises(InputError, match="not a regular file"):
        read_accounts(tmp_path)
    fifo = tmp_path / "accounts.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        read_accounts(fifo)


def test_refused_account_rows_carry_their_account_id(tmp_path: Path) -> None:
    """Each refused account row names its account_id, empty when the id itself is unusable.

    A bad balance and both copies of a duplicated id give the id as read; an empty id, an id
    holding a tab, and a row with more values than the header (columns cannot be told) give "".
    """
    rows = [
        GOOD,
        "B1,李四,地址,31.2,121.4,lots,100,3,,,\n",  # row 3: bad balance
        ",李四,地址,31.2,121.4,1000,100,3,,,\n",  # row 4: empty id
        '"T\t1",李四,地址,31.2,121.4,1000,100,3,,,\n',  # row 5: id with a tab
        "D1,李四,地址,31.2,121.4,1000,100,3,,,\n",  # row 6: duplicate
        "R1,李四,地址,31.2,121.4,1000,100,3,,,,extra\n",  # row 7: one value too many
        "D1,王五,地址,31.2,121.4,2000,100,3,,,\n",  # row 8: duplicate
        "Z1,李四,地址,0,0,1000,100,3,,,\n",  # row 9: 0,0 coordinates
    ]
    r = read_accounts(write(tmp_path, HEADER + "".join(rows)))
    assert list(r.frame["account_id"]) == ["G1"]
    got = [(p.row, p.column, p.record_id) for p in r.rejected]
    assert got == [
        (3, "balance", "B1"),
        (4, "account_id", ""),
        (5, "account_id", ""),
        (6, "account_id", "D1"),
        (7, "", ""),
        (8, "account_id", "D1"),
        (9, "lat", "Z1"),
    ]
    assert r.rejected[0].as_record() == {
        "file": "accounts.csv",
        "row": 3,
        "column": "balance",
        "problem": "'lots' is not a number",
        "record_id": "B1",
    }


def test_refused_agent_rows_carry_their_agent_id(tmp_path: Path) -> None:
    """A refused agent row names its agent_id: a bad shift, a bad cell, a duplicated id."""
    rows = [
        "OK,乙,31.2,121.4,09:00,17:00,,,,C,2027-01-01,,\n",
        "X1,甲,31.2,121.4,17:00,09:00,,,,C,2027-01-01,,\n",  # row 3: shift ends before start
        "X2,甲,north,121.4,09:00,17:00,,,,C,2027-01-01,,\n",  # row 4: bad base_lat
        "X3,甲,31.2,121.4,09:00,17:00,,,,C,2027-01-01,,\n",  # row 5: duplicate
        "X3,丙,31.2,121.4,09:00,17:00,,,,C,2027-01-01,,\n",  # row 6: duplicate
    ]
    r = read_agents(write(tmp_path, AGENT_HEADER + "".join(rows), name="agents.csv"))
    assert list(r.frame["agent_id"]) == ["OK"]
    got = [(p.row, p.column, p.record_id) for p in r.rejected]
    assert got == [
        (3, "shift_end", "X1"),
        (4, "base_lat", "X2"),
        (5, "agent_id", "X3"),
        (6, "agent_id", "X3"),
    ]
