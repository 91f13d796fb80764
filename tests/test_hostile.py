"""Hostile and broken inputs through the command line: plan, check, map and record.

Every test drives the real commands through click's CliRunner with
``catch_exceptions=True`` and asserts the contract: bad input is one line
naming the file (and row and column when there is one), exit 1, never a
traceback; a bad row is refused into ``rejected.csv`` while the good rows are
planned; every account ends up visited, dropped, excluded or rejected; no
unlawful visit; HTML escaped; CSV formula cells neutralised. Each successful
plan is re-checked with ``routeplan check`` as an oracle.

Tests marked ``xfail(strict=True)`` pin bugs in modules this file's author
does not own; each reason starts with ``BUG:`` and says what is expected.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import random
from collections.abc import Callable, Iterable
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from routeplan.errors import InputError
from routeplan.io.readers import read_accounts, read_agents, read_table
from tests.helpers import (
    ACCOUNT_HEADER,
    DATE,
    FORMULA_START,
    account,
    add_accounts,
    agent,
    assert_lawful,
    check_tiny,
    csv_line,
    invoke,
    no_crash,
    one_line_error,
    plan_bounded,
    planned_ok,
    raw_ids,
    read_out,
    rejected_at,
    set_agents,
)


def csv_cells(path: Path) -> Iterable[str]:
    """Yield every cell (header included) of a CSV routeplan wrote."""
    text = path.read_bytes().decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text, newline="")):
        yield from row


def is_number(cell: str) -> bool:
    """Return True for a cell that is a plain number (a negative longitude is not a formula)."""
    try:
        float(cell)
    except ValueError:
        return False
    return True


# --- input files: layout, encodings, separators -------------------------------------


def test_crlf_quoted_newlines_and_commas_plan_normally(tiny_dir: Path, tmp_path: Path) -> None:
    """CRLF line ends and quoted fields with line breaks and commas are ordinary rows."""
    add_accounts(tiny_dir, account("Q1", name="Line one\nline two", address="1 Road, Flat 2"))
    p = tiny_dir / "accounts.csv"
    p.write_bytes(p.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    visits = planned_ok(tiny_dir, tmp_path / "p")
    assert "Q1" in set(visits["account_id"]) | set(
        read_out(tmp_path / "p", "dropped.csv")["account_id"]
    )
    assert not (tmp_path / "p" / "rejected.csv").read_text(encoding="utf-8-sig").count("Q1")


def test_columns_reordered_renamed_case_and_extra_columns(tiny_dir: Path, tmp_path: Path) -> None:
    """Column order, header case and spaces do not matter; unknown columns pass through."""
    p = tiny_dir / "accounts.csv"
    rows = list(csv.reader(io.StringIO(p.read_text(encoding="utf-8"))))
    rows[0] = [f"  {c.upper()} " for c in rows[0]]
    rows = [
        [*r[::-1], '=HYPERLINK("http://x")' if i else "Branch Note"] for i, r in enumerate(rows)
    ]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    p.write_text(buf.getvalue(), encoding="utf-8")
    frame = read_accounts(p).frame
    assert "branch_note" in frame.columns
    assert frame["branch_note"].iloc[0] == '=HYPERLINK("http://x")'
    visits = planned_ok(tiny_dir, tmp_path / "p")
    assert sorted(visits["account_id"]) == ["ACC01", "ACC02", "ACC03", "ACC13"]


def test_spreadsheet_style_headers_and_year_first_dates(tiny_dir: Path, tmp_path: Path) -> None:
    """``Days Past Due`` / ``PTP-Date`` headers and ``2026/12/5`` dates (Chinese Excel) read."""
    p = tiny_dir / "accounts.csv"
    rows = list(csv.reader(io.StringIO(p.read_text(encoding="utf-8"))))
    rows[0] = [c.replace("_", " ").title() for c in rows[0]]
    rows[0][10] = "PTP-Date"
    for r in rows[1:]:
        for i in (9, 10, 17):
            r[i] = r[i].replace("-", "/").replace("/0", "/")
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    p.write_text(buf.getvalue(), encoding="utf-8")
    assert "2026/12/5" in p.read_text(encoding="utf-8")
    frame = read_accounts(p).frame.set_index("account_id")
    assert frame.loc["ACC06", "ptp_date"] == pd.Timestamp("2026-12-05")
    visits = planned_ok(tiny_dir, tmp_path / "p")
    assert sorted(visits["account_id"]) == ["ACC01", "ACC02", "ACC03", "ACC13"]
    excluded = read_out(tmp_path / "p", "excluded.csv")
    assert "ACC06" in set(excluded.loc[excluded["reason"] == "active_promise_to_pay", "account_id"])


def test_trailing_separators_and_blank_lines(tiny_dir: Path, tmp_path: Path) -> None:
    """Trailing commas on data rows (not the header) and blank lines are harmless.

    Row numbers stay those a spreadsheet shows: blank lines count.
    """
    p = tiny_dir / "accounts.csv"
    lines = p.read_text(encoding="utf-8").splitlines()
    body = [line + ",," for line in lines[1:]]
    bad = account("BADROW", balance="lots")
    p.write_text("\n".join([lines[0], "", *body, ",,,,", "", bad]) + "\n", encoding="utf-8")
    visits = planned_ok(tiny_dir, tmp_path / "p")
    assert sorted(visits["account_id"]) == ["ACC01", "ACC02", "ACC03", "ACC13"]
    # header 1, blank 2, 15 accounts 3-17, ",,,," 18, blank 19, bad row 20
    assert rejected_at(tmp_path / "p") == {("accounts.csv", 20, "balance")}


def test_row_with_too_many_values_is_refused_not_the_file(tiny_dir: Path, tmp_path: Path) -> None:
    """A row with an unquoted comma is refused with its row; every other row is planned."""
    add_accounts(tiny_dir, account("OK1"), "X2,名字,上海市,黄浦区,31.23,121.47,50000,120,5")
    add_accounts(tiny_dir, account("X3") + ",surplus,values")
    visits = planned_ok(tiny_dir, tmp_path / "p")
    assert {"ACC01", "ACC02", "ACC03", "ACC13"} <= set(visits["account_id"])
    rej = read_out(tmp_path / "p", "rejected.csv")
    assert set(rej["row"].astype(int)) == {18, 19}  # X2 is short: its missing values are named
    x3 = rej[rej["row"] == "19"].iloc[0]
    assert "21 values" in x3["problem"] and "19 columns" in x3["problem"]


def test_every_row_too_wide_is_a_file_error(tiny_dir: Path, tmp_path: Path) -> None:
    """When no row fits the header, the header is wrong: one line naming file and row."""
    p = tiny_dir / "accounts.csv"
    lines = p.read_text(encoding="utf-8").splitlines()
    p.write_text("\n".join([lines[0]] + [x + ",x" for x in lines[1:]]) + "\n", encoding="utf-8")
    one_line_error(plan_bounded(tiny_dir, tmp_path / "p"), "accounts.csv", "row 2", "header")
    assert not (tmp_path / "p").exists()


def test_unclosed_quote_names_the_row(tiny_dir: Path, tmp_path: Path) -> None:
    """An unclosed quote swallows the rest of the file: one line naming the row it opens on."""
    add_accounts(tiny_dir, 'X1,"never closed,addr,31.2,121.4,50000,120,5,,,,0,,,,,zh,,0')
    one_line_error(plan_bounded(tiny_dir, tmp_path / "p"), "accounts.csv, row 17", "quote")


def test_text_after_a_closing_quote_names_the_row(tiny_dir: Path, tmp_path: Path) -> None:
    """``"ACC99" ,...`` is refused naming its row, rather than risk merging rows silently."""
    add_accounts(tiny_dir, '"ACC99" ,"Hand Edited","1 Road",31.2345,121.4745,50000,120,5')
    one_line_error(plan_bounded(tiny_dir, tmp_path / "p"), "accounts.csv, row 17", "quote")


def test_repeated_column_after_case_folding_is_a_file_error(tiny_dir: Path, tmp_path: Path) -> None:
    """``Balance`` and ``balance`` are the same column: refused rather than one silently used."""
    p = tiny_dir / "accounts.csv"
    text = p.read_text(encoding="utf-8").replace(",language,", ",BALANCE,", 1)
    p.write_text(text, encoding="utf-8")
    one_line_error(
        plan_bounded(tiny_dir, tmp_path / "p"), "accounts.csv", "balance", "more than once"
    )


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_unicode_text_with_bom_and_tabs(tiny_dir: Path, tmp_path: Path, encoding: str) -> None:
    """Excel's "Unicode text" (UTF-16 with BOM, tab-separated) plans like the UTF-8 file."""
    for name in ("accounts.csv", "agents.csv"):
        p = tiny_dir / name
        rows = list(csv.reader(io.StringIO(p.read_text(encoding="utf-8"))))
        buf = io.StringIO()
        csv.writer(buf, delimiter="\t").writerows(rows)
        data = buf.getvalue()
        p.write_bytes(
            data.encode(encoding)
            if encoding != "utf-16-be"
            else b"\xfe\xff" + data.encode(encoding)
        )
    out = tmp_path / "p"
    res = plan_bounded(tiny_dir, out)
    no_crash(res)
    assert res.exit_code == 0, res.output
    it = read_out(out, "itineraries.csv")
    assert "张伟" in set(it["debtor_name"])
    assert sorted(it.loc[it["kind"] == "visit", "account_id"]) == [
        "ACC01",
        "ACC02",
        "ACC03",
        "ACC13",
    ]


def test_semicolon_separated_export(tiny_dir: Path, tmp_path: Path) -> None:
    """A semicolon-separated export (European Excel) is read; windows stay quoted lists."""
    p = tiny_dir / "accounts.csv"
    rows = list(csv.reader(io.StringIO(p.read_text(encoding="utf-8"))))
    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows(rows)
    p.write_text(buf.getvalue(), encoding="utf-8")
    frame = read_accounts(p).frame.set_index("account_id")
    assert frame.loc["ACC02", "windows"] == ((540, 720), (840, 960))
    assert len(frame) == 15


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"\xef\xbb\xbf", "file is empty"),
        (b"\xef\xbb\xbf\r\n\r\n", "file is empty"),
        ((ACCOUNT_HEADER + "\n\n,,,,\n").encode(), "no account rows"),
        ("账号,姓名\n1,2\n".encode("utf-16-le"), "binary"),
        ("Zoë,Müller\n".encode("latin-1"), "--encoding"),
        (b"\xff\xfe\x00\x00\x00\xd8\x00\x00", "binary"),
    ],
)
def test_unusable_account_files(
    tiny_dir: Path, tmp_path: Path, content: bytes, needle: str
) -> None:
    """BOM-only, blank-only, BOM-less UTF-16 and Latin-1 files: one clear line, exit 1."""
    (tiny_dir / "accounts.csv").write_bytes(content)
    one_line_error(plan_bounded(tiny_dir, tmp_path / "p"), "accounts.csv", needle)
    assert not (tmp_path / "p" / "itineraries.csv").exists()


def test_forced_wrong_encoding_is_one_line(tiny_dir: Path, tmp_path: Path) -> None:
    """``--encoding ascii`` on Chinese text and an unknown encoding name both fail cleanly."""
    one_line_error(plan_bounded(tiny_dir, tmp_path / "p", "--encoding", "ascii"), "cannot decode")
    one_line_error(
        plan_bounded(tiny_dir, tmp_path / "p", "--encoding", "klingon"), "unknown encoding"
    )


def test_huge_cell_does_not_stop_the_file(tiny_dir: Path, tmp_path: Path) -> None:
    """A 300,000-character address is just a long address."""
    add_accounts(tiny_dir, account("LONG", address="路" * 300_000))
    planned_ok(tiny_dir, tmp_path / "p")


def test_nul_byte_refuses_only_its_row(tiny_dir: Path, tmp_path: Path) -> None:
    """A NUL byte deep in the file (past the binary sniff) refuses its row, naming the column."""
    add_accounts(tiny_dir, account("FILL", address="路" * 2000), account("NUL", name="n\x00x"))
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out)
    assert "FILL" in set(visits["account_id"]) | set(read_out(out, "dropped.csv")["account_id"])
    assert rejected_at(out) == {("accounts.csv", 18, "debtor_name")}


# --- cell values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"balance": "nan"}, "balance"),
        ({"balance": "inf"}, "balance"),
        ({"balance": "-Infinity"}, "balance"),
        ({"balance": "1e308"}, "balance"),
        ({"balance": "1e400"}, "balance"),
        ({"balance": "-5"}, "balance"),
        ({"balance": "1,000"}, "balance"),
        ({"balance": "0x10"}, "balance"),
        ({"balance": "¥5000"}, "balance"),
        ({"days": "-1"}, "days_past_due"),
        ({"days": "3.5"}, "days_past_due"),
        ({"days": "1e20"}, "days_past_due"),
        ({"days": "99999999999999999999"}, "days_past_due"),
        ({"attempts": "1e20"}, "contact_attempts_30d"),
        ({"lat": "121.47", "lon": "31.23"}, "lat"),  # swapped
        ({"lat": "31.23", "lon": "181"}, "lon"),
        ({"lat": "nan", "lon": "121.4"}, "lat"),
        ({"lat": "0", "lon": "0"}, "lat"),
        ({"aid": ""}, "account_id"),
        ({"aid": "A\nB"}, "account_id"),
        ({"aid": "A\tB"}, "account_id"),
        ({"name": ""}, "debtor_name"),
        ({"windows": "24:00-24:00"}, "visit_windows"),
        ({"windows": "9-12"}, "visit_windows"),
        ({"windows": "09:00-09:00"}, "visit_windows"),
        ({"windows": "23:00-01:00"}, "visit_windows"),
        ({"windows": "09:00-12:00,14:00-16:00"}, "visit_windows"),
        ({"windows": "09:00-12:00-13:00"}, "visit_windows"),
        ({"windows": "25:00-26:00"}, "visit_windows"),
        ({"windows": "-"}, "visit_windows"),
        ({"flags": ("maybe", "", "")}, "hardship"),
        ({"ptp": "2026-02-30"}, "ptp_date"),
        ({"ptp": "01/12/2026"}, "ptp_date"),
    ],
)
def test_bad_account_cell_refuses_only_its_row(
    tiny_dir: Path, tmp_path: Path, cells: dict[str, object], column: str
) -> None:
    """Each hostile cell is refused naming file, row and column; the day is still planned."""
    kwargs: dict[str, object] = dict(cells)
    aid = str(kwargs.pop("aid", "BAD"))
    add_accounts(tiny_dir, account(aid, **kwargs))  # type: ignore[arg-type]
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out)
    assert sorted(visits["account_id"]) == ["ACC01", "ACC02", "ACC03", "ACC13"]
    assert rejected_at(out) == {("accounts.csv", 17, column)}


@pytest.mark.parametrize(
    ("row", "column"),
    [
        (agent(shift=("17:00", "09:00")), "shift_end"),
        (agent(shift=("22:00", "02:00")), "shift_end"),
        (agent(shift=("00:00", "00:00")), "shift_end"),
        (agent(shift=("24:00", "24:00")), "shift_start"),
        (agent(shift=("9am", "17:00")), "shift_start"),
        (agent(brk=("09:00", "17:00", "600")), "break_minutes"),
        (agent(brk=("07:00", "20:00", "600")), "break_minutes"),
        (agent(brk=("12:00", "", "30")), "break_end"),
        (agent(brk=("12:00", "13:00", "1e20")), "break_minutes"),
        (agent(max_visits="1e20"), "max_visits"),
        (agent(max_visits="-1"), "max_visits"),
        (agent(speed="0"), "speed_kmh"),
        (agent(speed="inf"), "speed_kmh"),
        (agent(base=("121.47", "31.23")), "base_lat"),
        (agent(credential=("C-9", "2026-13-01")), "credential_expiry"),
        (agent(aid=""), "agent_id"),
    ],
)
def test_bad_agent_row_is_refused_and_the_others_work(
    tiny_dir: Path, tmp_path: Path, row: str, column: str
) -> None:
    """A broken agent row is refused (file, row, column); the valid agents still plan."""
    p = tiny_dir / "agents.csv"
    p.write_text(p.read_text(encoding="utf-8").rstrip("\n") + "\n" + row + "\n", encoding="utf-8")
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out)
    assert sorted(visits["account_id"]) == ["ACC01", "ACC02", "ACC03", "ACC13"]
    assert rejected_at(out) == {("agents.csv", 5, column)}


def test_spreadsheet_times_with_seconds(tiny_dir: Path, tmp_path: Path) -> None:
    """Shifts written as ``09:00:00`` (a spreadsheet time cell) read as 09:00."""
    set_agents(tiny_dir, agent(shift=("09:00:00", "17:00:00"), brk=("12:00:00", "13:30:00", "30")))
    frame = read_agents(tiny_dir / "agents.csv").frame
    assert (frame.loc[0, "shift_start"], frame.loc[0, "shift_end"]) == (540, 1020)
    planned_ok(tiny_dir, tmp_path / "p")


def test_duplicate_agent_ids_refuse_both(tiny_dir: Path, tmp_path: Path) -> None:
    """Two rows with one agent id are both refused; the third agent still works."""
    set_agents(tiny_dir, agent("B1"), agent("B1", name="other"), agent("B2"))
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out)
    assert set(visits["agent_id"]) == {"B2"}
    assert rejected_at(out) == {("agents.csv", 2, "agent_id"), ("agents.csv", 3, "agent_id")}


def test_language_and_skill_case_and_spaces(tiny_dir: Path, tmp_path: Path) -> None:
    """An account's ``ZH`` matches an agent's `` Zh `` skill; ``senior`` matches ``SENIOR``."""
    p = tiny_dir / "accounts.csv"
    p.write_text(p.read_text(encoding="utf-8").replace(",zh,", ",ZH,"), encoding="utf-8")
    set_agents(tiny_dir, agent(skills=" Zh ; YUE ;  SENIOR "))
    visits = planned_ok(tiny_dir, tmp_path / "p")
    assert {"ACC02", "ACC03"} <= set(visits["account_id"])  # yue, and a senior balance


def test_ids_with_spaces_leading_zeros_and_case_are_distinct(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """Ids are text: ``001`` and ``1`` differ, ``acc01`` is not ``ACC01``, outer spaces go."""
    add_accounts(tiny_dir, account("001"), account("1"), account("acc01"), account("  S P  "))
    visits = planned_ok(tiny_dir, tmp_path / "p")
    frame = read_accounts(tiny_dir / "accounts.csv").frame
    assert {"001", "1", "acc01", "S P"} <= set(frame["account_id"])
    assert "ACC01" in set(visits["account_id"])


# --- geography and time -------------------------------------------------------------------


def test_extreme_coordinates_are_planned_or_dropped_with_a_reason(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """Antimeridian, poles and a debtor 8,000 km away never break the day."""
    add_accounts(
        tiny_dir,
        account("AM1", lat="31.23", lon="180"),
        account("AM2", lat="31.23", lon="-180"),
        account("NP", lat="90", lon="0"),
        account("SP", lat="-90", lon="121.47"),
        account("SYD", lat="-33.86", lon="151.21"),
    )
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out)
    dropped = read_out(out, "dropped.csv").set_index("account_id")
    for aid in ("AM1", "AM2", "NP", "SP", "SYD"):
        assert aid not in set(visits["account_id"])
        assert dropped.loc[aid, "reason"] == "cannot_reach_and_return_within_shift"


def test_every_account_at_one_point(tiny_dir: Path, tmp_path: Path) -> None:
    """Twelve debtors at the agents' base: capacity decides, zero travel is fine."""
    p = tiny_dir / "accounts.csv"
    rows = [account(f"P{i:02d}", lat="31.2300", lon="121.4700") for i in range(12)]
    p.write_text(ACCOUNT_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    visits = planned_ok(tiny_dir, tmp_path / "p")
    assert len(visits) == 6  # two usable agents, max_visits 3 each
    dropped = read_out(tmp_path / "p", "dropped.csv")
    assert set(dropped["reason"]) == {"lower_value_than_planned_visits"}


def test_one_account_one_agent(tiny_dir: Path, tmp_path: Path) -> None:
    """The smallest day works end to end."""
    (tiny_dir / "accounts.csv").write_text(
        ACCOUNT_HEADER + "\n" + account("ONLY") + "\n", encoding="utf-8"
    )
    set_agents(tiny_dir, agent("SOLO"))
    visits = planned_ok(tiny_dir, tmp_path / "p")
    assert visits[["agent_id", "account_id"]].values.tolist() == [["SOLO", "ONLY"]]


@pytest.mark.parametrize(
    ("windows", "planned"),
    [
        ("00:00-24:00", True),
        ("09:00-12:00;10:00-11:00", True),  # overlapping windows merge
        ("9:00-10:00", True),
        ("09:00 - 12:00", True),
        ("10:00-10:10", False),  # shorter than the 30-min visit
        ("05:00-07:30", False),  # before legal hours and shifts
        ("21:31-22:00", False),  # 29 min left before 22:00
    ],
)
def test_window_edge_cases(tiny_dir: Path, tmp_path: Path, windows: str, planned: bool) -> None:
    """Odd but valid windows: visited inside them, or dropped with the window reason."""
    add_accounts(tiny_dir, account("W1", balance="95000", days="400", windows=windows))
    set_agents(tiny_dir, agent(shift=("00:00", "24:00"), max_visits="20"))
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out)
    if planned:
        row = visits.set_index("account_id").loc["W1"]
        assert row["service_start"] >= "08:00" and row["service_end"] <= "22:00"
    else:
        dropped = read_out(out, "dropped.csv").set_index("account_id")
        assert dropped.loc["W1", "reason"] == "windows_outside_shifts_and_legal_hours"


def test_antimeridian_neighbours_are_close(tiny_dir: Path, tmp_path: Path) -> None:
    """An agent at 179.99 E visits a debtor at 179.99 W: 2 km apart, not 40,000."""
    (tiny_dir / "accounts.csv").write_text(
        ACCOUNT_HEADER + "\n" + account("FIJI", lat="-16.5", lon="-179.99") + "\n",
        encoding="utf-8",
    )
    set_agents(tiny_dir, agent(base=("-16.5", "179.99")))
    visits = planned_ok(tiny_dir, tmp_path / "p")
    assert visits["account_id"].tolist() == ["FIJI"]
    assert float(visits["travel_km"].iloc[0]) < 5


def test_window_exactly_one_visit_long(tiny_dir: Path, tmp_path: Path) -> None:
    """A 30-minute window takes the 30-minute visit exactly at its start."""
    (tiny_dir / "accounts.csv").write_text(
        ACCOUNT_HEADER + "\n" + account("TIGHT", windows="10:00-10:30") + "\n",
        encoding="utf-8",
    )
    set_agents(tiny_dir, agent())
    visits = planned_ok(tiny_dir, tmp_path / "p")
    assert visits[["service_start", "service_end"]].values.tolist() == [["10:00", "10:30"]]


@pytest.mark.parametrize(
    ("jurisdiction", "start", "end"),
    [
        ("CN", "08:00", "22:00"),
        ("IN", "08:00", "19:00"),
        ("US", "08:00", "21:00"),
        ("UK", "08:00", "21:00"),
        ("IE", "09:00", "21:00"),
        ("AU", "09:00", "21:00"),
    ],
)
def test_round_the_clock_agents_and_debtors_stay_in_legal_hours(
    tiny_dir: Path, tmp_path: Path, jurisdiction: str, start: str, end: str
) -> None:
    """Shift 00:00-24:00 and windows 00:00-24:00: every visit, arrival to end, is lawful."""
    p = tiny_dir / "accounts.csv"
    rows = list(csv.reader(io.StringIO(p.read_text(encoding="utf-8"))))
    for r in rows[1:]:
        r[15] = "00:00-24:00"
        r[16] = ""  # any agent may go
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    p.write_text(buf.getvalue(), encoding="utf-8")
    set_agents(
        tiny_dir,
        agent("N1", shift=("00:00", "24:00"), max_visits="3", speed="200"),
        agent("N2", shift=("00:00", "24:00"), max_visits="3", base=("31.24", "121.48")),
    )
    visits = planned_ok(tiny_dir, tmp_path / "p", "--jurisdiction", jurisdiction, date="2026-12-02")
    assert len(visits) >= 5
    assert (visits["arrival"] >= start).all(), visits["arrival"].tolist()
    assert (visits["service_start"] >= visits["arrival"]).all()
    assert (visits["service_end"] <= end).all(), visits["service_end"].tolist()


@pytest.mark.parametrize("date", ["1900-01-02", "2000-02-29", "9999-12-30"])
def test_far_past_and_future_plan_dates(tiny_dir: Path, tmp_path: Path, date: str) -> None:
    """Plan dates at the ends of the calendar work (credentials made valid for them)."""
    p = tiny_dir / "agents.csv"
    p.write_text(p.read_text(encoding="utf-8").replace("2027-01-01", "9999-12-31"), "utf-8")
    planned_ok(tiny_dir, tmp_path / "p", "--jurisdiction", "IE", date=date)
    summary = json.loads((tmp_path / "p" / "summary.json").read_text(encoding="utf-8"))
    assert summary["date"] == date


def test_midnight_to_midnight_shift_stays_in_legal_hours(tiny_dir: Path, tmp_path: Path) -> None:
    """A 00:00-24:00 shift never puts a visit outside 08:00-22:00 (CN)."""
    set_agents(tiny_dir, agent(shift=("00:00", "24:00"), max_visits="1000000", speed="200"))
    visits = planned_ok(tiny_dir, tmp_path / "p")
    assert len(visits) >= 4
    assert (visits["arrival"] >= "08:00").all() and (visits["service_end"] <= "22:00").all()


def test_break_filling_the_shift_leaves_a_valid_empty_day(tiny_dir: Path, tmp_path: Path) -> None:
    """A break as long as the shift: nothing fits, everyone eligible is dropped with a reason."""
    set_agents(tiny_dir, agent(brk=("09:00", "17:00", "480")))
    visits = planned_ok(tiny_dir, tmp_path / "p")
    assert visits.empty


@pytest.mark.parametrize(
    ("jurisdiction", "date"),
    [
        ("IE", "2026-12-06"),  # Sunday
        ("IE", "2026-12-25"),  # Christmas
        ("IE", "2026-12-26"),  # St Stephen's Day
        ("AU", "2026-12-25"),  # Christmas
        ("au", "2026-12-26"),  # Boxing Day (a Saturday), lower-case profile name
    ],
)
def test_unlawful_days_write_an_empty_plan(
    tiny_dir: Path, tmp_path: Path, jurisdiction: str, date: str
) -> None:
    """No visit on a Sunday (IE) or public holiday (IE, AU); still a full plan folder, exit 0."""
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out, "--jurisdiction", jurisdiction, date=date)
    assert visits.empty
    excluded = read_out(out, "excluded.csv")
    day_rows = excluded[excluded["reason"] == "no_visits_on_this_day"]
    assert set(day_rows["account_id"]) == set(raw_ids(tiny_dir / "accounts.csv"))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["planned"] == 0 and summary["counts"]["eligible"] == 0
    for name in ("map.html", "index.html", "checklist.csv", "dropped.csv", "rejected.csv"):
        assert (out / name).is_file(), name


def test_sunday_is_lawful_outside_ireland(tiny_dir: Path, tmp_path: Path) -> None:
    """The Sunday rule is Ireland's: the US plans on a Sunday."""
    visits = planned_ok(tiny_dir, tmp_path / "p", "--jurisdiction", "US", date="2026-12-06")
    assert not visits.empty


def test_no_eligible_account_is_a_valid_empty_day(tiny_dir: Path, tmp_path: Path) -> None:
    """Every account disputed: exit 0, empty itineraries with the contract header, summary."""
    p = tiny_dir / "accounts.csv"
    rows = [account(f"D{i}", flags=("", "yes", "")) for i in range(3)]
    p.write_text(ACCOUNT_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "p"
    assert planned_ok(tiny_dir, out).empty
    header = (out / "itineraries.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("date,agent_id,stop_no,kind,account_id")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["excluded"] == 3
    assert not list(out.glob("sheets/*.html"))


def test_expired_and_missing_credentials_get_no_visits(tiny_dir: Path, tmp_path: Path) -> None:
    """Agents with an expired or missing credential, or max_visits 0, are never routed."""
    set_agents(
        tiny_dir,
        agent("OLD", credential=("C-1", "2026-11-30")),
        agent("NOID", credential=("", "2027-01-01")),
        agent("ZERO", max_visits="0"),
        agent("OK", credential=("C-4", DATE)),  # valid through its expiry day
    )
    visits = planned_ok(tiny_dir, tmp_path / "p")
    assert set(visits["agent_id"]) == {"OK"}
    summary = json.loads((tmp_path / "p" / "summary.json").read_text(encoding="utf-8"))
    usable = {a["agent_id"]: a["usable"] for a in summary["agents"]}
    assert usable == {"OLD": False, "NOID": False, "ZERO": False, "OK": True}


def test_row_without_coordinates_is_rejected_without_geocoding(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """With --no-geocode an account lacking lat/lon is refused, naming its row."""
    add_accounts(tiny_dir, account("NOGEO", lat="", lon=""))
    out = tmp_path / "p"
    planned_ok(tiny_dir, out)
    rej = read_out(out, "rejected.csv")
    assert rej["row"].tolist() == ["17"] and rej["file"].tolist() == ["accounts.csv"]


# --- outputs: HTML and CSV safety, file names ---------------------------------------------

HTML_PAYLOADS = (
    "<script>alert('n')</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(2)",
    "`${alert(3)}`",
    "</script><script>alert(4)</script>",
    "<b onmouseover=alert(5)>x</b>",
)
FORMULAS = ("=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3", "\t=1+1", '=HYPERLINK("http://x")')


class _Tags(HTMLParser):
    """Collect tags, attributes and script bodies of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def assert_inert(html: str, where: str) -> None:
    """Fail when any payload became markup: an element, a handler, a javascript: link."""
    for raw in ("<script>alert", "<img src=x", "<b onmouseover", "</script><script>"):
        assert raw not in html, f"{where}: raw {raw!r}"
    page = _Tags()
    page.feed(html)
    for tag, attrs in page.tags:
        assert not (tag == "img" and ("src", "x") in attrs), where
        for attr, value in attrs:
            assert not (attr.startswith("on") and "alert" in (value or "")), (where, tag, attr)
            if attr in ("href", "src", "action"):
                assert not (value or "").strip().lower().startswith("javascript:"), (where, value)
    for body in page.scripts:
        assert "`${alert(3)}`" not in body, f"{where}: template literal breakout"


def test_hostile_names_are_inert_in_every_html_page(tiny_dir: Path, tmp_path: Path) -> None:
    """Names, addresses, agent names, ids and credentials full of markup stay text."""
    p = tiny_dir / "accounts.csv"
    rows = list(csv.reader(io.StringIO(p.read_text(encoding="utf-8"))))
    for k, (i, col) in enumerate([(1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (13, 2)]):
        rows[i][col] = HTML_PAYLOADS[k % len(HTML_PAYLOADS)]
    rows[9][1] = HTML_PAYLOADS[5]  # ACC09: dropped, on the grey layer
    rows[13][0] = "<i>ACC13</i>"
    rows[8][16] = "<img src=x onerror=alert(6)>"  # ACC08: dropped, no agent speaks it
    rows[8][8] = "<script>alert(12)</script>"  # last_contact_outcome
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    p.write_text(buf.getvalue(), encoding="utf-8")
    set_agents(
        tiny_dir,
        agent(
            '"><img src=x onerror=alert(9)>',
            name="<script>alert(8)</script>",
            skills="zh;yue;senior;<script>alert(11)</script>",
            credential=("javascript:alert(7)", "2027-01-01"),
        ),
        agent("../../../../tmp/pwn", name="`${alert(3)}`", skills="zh;yue"),
    )
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out, "--show-names")
    assert len(visits) >= 3
    pages = list(out.rglob("*.html"))
    assert {q.name for q in pages} >= {"map.html", "index.html"}
    assert len([q for q in pages if q.parent.name == "sheets"]) == visits["agent_id"].nunique()
    for page in pages:
        assert_inert(page.read_text(encoding="utf-8"), str(page.relative_to(out)))
    # the payloads did reach the pages (as text), so the checks above had something to find
    shown = {q.name: q.read_text(encoding="utf-8") for q in pages}
    assert all(f"alert({n})" in shown["map.html"] for n in (1, 2, 4, 5, 6, 7, 8, 9))
    assert "alert(8)" in shown["index.html"] and "alert(9)" in shown["index.html"]
    sheets_text = "".join(t for name, t in shown.items() if name not in ("map.html", "index.html"))
    assert all(f"alert({n})" in sheets_text for n in (1, 7, 8))
    res = invoke("map", out, "--show-names")
    no_crash(res)
    assert res.exit_code == 0, res.output
    for page in out.rglob("*.html"):
        assert_inert(page.read_text(encoding="utf-8"), f"redrawn {page.name}")


def test_agent_ids_differing_only_in_case_get_two_sheets(tiny_dir: Path, tmp_path: Path) -> None:
    """``b1`` and ``B1`` are two agents: two sheets, even on a case-insensitive disk."""
    set_agents(tiny_dir, agent("b1", max_visits="2"), agent("B1", max_visits="2"))
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out)
    assert set(visits["agent_id"]) == {"b1", "B1"}
    sheets = sorted(q.name.casefold() for q in (out / "sheets").glob("*.html"))
    assert len(sheets) == len(set(sheets)) == 2


def test_agent_ids_cannot_write_outside_the_plan_folder(tiny_dir: Path, tmp_path: Path) -> None:
    """Ids like ``../x``, ``/abs`` and ``a/b`` become safe file names inside the folder."""
    base = tmp_path / "box"
    base.mkdir()
    set_agents(
        tiny_dir,
        agent("../../escape", skills="zh;yue;senior", max_visits="2"),
        agent("/tmp/abs", skills="zh", max_visits="1"),
        agent("a/b\\c", skills="zh", max_visits="1"),
    )
    out = base / "plan"
    visits = planned_ok(tiny_dir, out)
    assert visits["agent_id"].nunique() >= 2
    assert sorted(q.name for q in base.iterdir()) == ["plan"]
    for q in out.rglob("*"):
        assert q.resolve().is_relative_to(out.resolve())
        assert ".." not in q.relative_to(out).parts
    sheets = list((out / "sheets").glob("*.html"))
    assert len(sheets) == visits["agent_id"].nunique()


def test_formula_cells_are_neutralised_in_every_csv(tiny_dir: Path, tmp_path: Path) -> None:
    """No CSV routeplan writes holds a cell a spreadsheet would run."""
    p = tiny_dir / "accounts.csv"
    rows = list(csv.reader(io.StringIO(p.read_text(encoding="utf-8"))))
    rows[0].append("memo")
    for i, row in enumerate(rows[1:], 1):
        row[1] = FORMULAS[i % len(FORMULAS)]
        row[2] = FORMULAS[(i + 1) % len(FORMULAS)]
        row.append(FORMULAS[(i + 2) % len(FORMULAS)])
    rows[3][0] = "=1+1"  # ACC03, visited by the senior agent
    rows[15][0] = "-15"  # ACC15, dropped
    rows[5][0] = "@5"  # ACC05, excluded (disputed)
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    p.write_text(buf.getvalue(), encoding="utf-8")
    set_agents(
        tiny_dir,
        agent("@A1", name="=cmd", skills="zh;senior"),
        agent("+A2", name="-1+1", skills="zh;yue", credential=("=C", "2027-01-01")),
    )
    add_accounts(tiny_dir, account("=BAD", balance="=1+1"))  # rejected, echoed in rejected.csv
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out)
    assert "=1+1" in set(visits["account_id"])  # read back as written
    written = list(out.rglob("*.csv"))
    assert {q.name for q in written} >= {
        "itineraries.csv",
        "dropped.csv",
        "excluded.csv",
        "rejected.csv",
        "checklist.csv",
        "scores.csv",
        "outcomes_template.csv",
    }
    assert list((out / "agents").glob("*.csv"))
    neutralised: dict[str, int] = {}
    for q in written:
        for cell in csv_cells(q):
            assert not (cell.startswith(FORMULA_START) and not is_number(cell)), (q.name, cell)
            if cell[:1] == "'" and cell[1:2] in FORMULA_START:
                neutralised[q.name] = neutralised.get(q.name, 0) + 1
    # the formulas did reach each table (neutralised), so the check above had something to find
    for name in ("itineraries.csv", "dropped.csv", "excluded.csv", "rejected.csv"):
        assert neutralised.get(name, 0) > 0, name
    assert neutralised.get("outcomes_template.csv", 0) >= 3  # ids, names, addresses


def test_filled_outcomes_template_with_formula_ids_records(tiny_dir: Path, tmp_path: Path) -> None:
    """Ids that look like formulas survive plan -> template -> record (neutralised and back)."""
    p = tiny_dir / "accounts.csv"
    p.write_text(
        p.read_text(encoding="utf-8").replace("ACC03", "=1+1").replace("ACC01", "-5"),
        encoding="utf-8",
    )
    set_agents(tiny_dir, agent("@A1"))
    out, db = tmp_path / "p", tmp_path / "h.db"
    planned_ok(tiny_dir, out, "--db", str(db))
    template = out / "outcomes_template.csv"
    rows = list(csv.DictReader(io.StringIO(template.read_text(encoding="utf-8-sig"))))
    assert {r["account_id"] for r in rows} >= {"'=1+1", "'-5"}
    for r in rows:
        r["outcome"] = "not_home"
    filled = tmp_path / "outcomes.csv"
    with filled.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    res = invoke("record", filled, "--db", db, "--today", DATE)
    no_crash(res)
    assert res.exit_code == 0, res.output
    assert f"{len(rows)} new" in res.output
    assert read_out(tmp_path, "outcomes_rejected.csv").empty


FUZZ_CELLS = (
    "",
    " ",
    "nan",
    "-inf",
    "1e400",
    "1e13",
    "-1",
    "0",
    "99999999999999999999",
    "abc",
    "25:00",
    "24:00",
    "00:00",
    "1.5",
    "yes",
    "maybe",
    "=1+1",
    "'=1+1",
    "2026/12/1",
    "9999-12-31",
    "12:00:00",
    "09:00-12:00",
    "00:00-24:00",
    "21:59-22:00",
    "ZH",
    "zh;senior",
    "-90",
    "180",
    "1440",
    "1441",
    "x" * 300,
)


@pytest.mark.parametrize("seed", range(8))
def test_random_cell_damage_never_crashes(tiny_dir: Path, tmp_path: Path, seed: int) -> None:
    """Random junk in random cells of both inputs: a checked plan or one clean line, always."""
    rng = random.Random(seed)
    for name, hits in (("accounts.csv", 5), ("agents.csv", 2)):
        path = tiny_dir / name
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        for _ in range(hits):
            rows[rng.randrange(1, len(rows))][rng.randrange(len(rows[0]))] = rng.choice(FUZZ_CELLS)
        path.write_text("\n".join(csv_line(r) for r in rows) + "\n", encoding="utf-8")
    date = rng.choice(["2026-12-01", "2026-12-06", "2026-12-25"])
    extra = ["--jurisdiction", rng.choice(["CN", "IN", "IE", "AU"])]
    res = plan_bounded(tiny_dir, tmp_path / "p", *extra, date=date)
    no_crash(res)
    if res.exit_code == 0:
        planned_ok(tiny_dir, tmp_path / "p", *extra, date=date)
    else:
        one_line_error(res, "agents.csv")


@pytest.mark.parametrize("seed", range(8))
def test_random_itinerary_damage_never_crashes(tiny_dir: Path, made_plan: Path, seed: int) -> None:
    """Junk in a dispatcher's itinerary: check lists violations, map refuses in one line."""
    rng = random.Random(seed)
    path = made_plan / ITIN
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    for _ in range(rng.randint(1, 3)):
        rows[rng.randrange(1, len(rows))][rng.randrange(len(rows[0]))] = rng.choice(FUZZ_CELLS)
    path.write_text("\n".join(csv_line(r) for r in rows) + "\n", encoding="utf-8")
    res = check_tiny(tiny_dir, made_plan, catch=True)
    no_crash(res)
    assert res.exit_code in (0, 1)
    res = invoke("map", made_plan)
    no_crash(res)
    if res.exit_code:
        one_line_error(res, ITIN)


# --- the out folder -------------------------------------------------------------------------


def test_out_is_an_existing_file(tiny_dir: Path, tmp_path: Path) -> None:
    """``--out`` naming a file (or a path under one) fails cleanly and leaves the file alone."""
    f = tmp_path / "taken"
    f.write_text("keep me", encoding="utf-8")
    res = plan_bounded(tiny_dir, f)
    no_crash(res)
    assert res.exit_code in (1, 2) and "taken" in res.output
    one_line_error(plan_bounded(tiny_dir, f / "sub"), "taken")
    assert f.read_text(encoding="utf-8") == "keep me"


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_out_in_an_unwritable_place(tiny_dir: Path) -> None:
    """An out folder nobody may create (even root, under /proc) is one line, exit 1."""
    one_line_error(plan_bounded(tiny_dir, Path("/proc/routeplan-hostile-test")), "/proc/routeplan")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_out_folder(tiny_dir: Path, tmp_path: Path) -> None:
    """A folder that cannot be written is one clear line, exit 1."""
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        one_line_error(plan_bounded(tiny_dir, ro / "p"), "ro")
    finally:
        ro.chmod(0o755)


def test_replanning_into_the_same_folder_leaves_no_stale_sheet(
    tiny_dir: Path, tmp_path: Path
) -> None:
    """A second plan into a folder drops the sheets of agents without visits any more."""
    out = tmp_path / "p"
    planned_ok(tiny_dir, out)
    first = {q.name for q in (out / "sheets").glob("*.html")}
    assert first == {"A1.html", "A2.html"}
    set_agents(tiny_dir, agent("B1"))
    planned_ok(tiny_dir, out)
    assert {q.name for q in (out / "sheets").glob("*.html")} == {"B1.html"}


# --- check, map, record on broken files -----------------------------------------------------


@pytest.fixture
def made_plan(tiny_dir: Path, tmp_path: Path) -> Path:
    """A lawful tiny plan folder to break."""
    out = tmp_path / "plan"
    planned_ok(tiny_dir, out)
    return out


def _edit(path: Path, fn: Callable[[str], str]) -> None:
    path.write_text(fn(path.read_text(encoding="utf-8-sig")), encoding="utf-8")


def _make_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


ITIN = "itineraries.csv"
BROKEN_FOLDERS: list[tuple[str, Callable[[Path], object]]] = [
    ("missing itineraries", lambda d: (d / ITIN).unlink()),
    ("empty itineraries", lambda d: (d / ITIN).write_text("")),
    (
        "itineraries lacks columns",
        lambda d: (d / ITIN).write_text("date,agent_id\n2026-12-01,A1\n"),
    ),
    ("binary itineraries", lambda d: (d / ITIN).write_bytes(b"\x00\x01garbage\x00")),
    ("itineraries is a folder", lambda d: _make_folder(d / ITIN)),
    ("unclosed quote", lambda d: _edit(d / ITIN, lambda s: s.replace("ACC02", '"ACC02'))),
]


@pytest.mark.parametrize(("label", "breaker"), BROKEN_FOLDERS, ids=[b[0] for b in BROKEN_FOLDERS])
def test_check_on_a_broken_folder_is_one_line(
    tiny_dir: Path, made_plan: Path, label: str, breaker: Callable[[Path], object]
) -> None:
    """``check`` on an unusable itinerary: exit 1, one line naming the file."""
    breaker(made_plan)
    one_line_error(check_tiny(tiny_dir, made_plan, catch=True), ITIN)


@pytest.mark.parametrize(("label", "breaker"), BROKEN_FOLDERS, ids=[b[0] for b in BROKEN_FOLDERS])
def test_map_on_a_broken_folder_is_one_line(
    made_plan: Path, label: str, breaker: Callable[[Path], object]
) -> None:
    """``map`` on an unusable itinerary: exit 1, one line naming the file."""
    breaker(made_plan)
    one_line_error(invoke("map", made_plan), ITIN)


@pytest.mark.parametrize(("label", "breaker"), BROKEN_FOLDERS, ids=[b[0] for b in BROKEN_FOLDERS])
def test_retime_on_a_broken_folder_is_one_line(
    made_plan: Path, label: str, breaker: Callable[[Path], object]
) -> None:
    """``retime`` on an unusable itinerary: exit 1, one line naming the file (same reader)."""
    breaker(made_plan)
    one_line_error(invoke("retime", made_plan), ITIN)


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("dropped.csv", "account_id\nACC04\n", "column reason"),
        ("excluded.csv", "reason\nx\n", "column account_id"),
        ("summary.json", '{"counts": [1]}', "key counts"),
        ("checklist.csv", "account_id,item\n", "column agent_id, reason"),
        ("scores.csv", "priority\n1\n", "column account_id"),
    ],
)
def test_retime_on_broken_side_files_is_one_line(
    made_plan: Path, name: str, content: str, needle: str
) -> None:
    """A broken dropped, excluded, summary, checklist or scores file: refused, nothing written."""
    (made_plan / name).write_text(content, encoding="utf-8")
    before = (made_plan / ITIN).read_bytes()
    one_line_error(invoke("retime", made_plan), name, needle)
    assert (made_plan / ITIN).read_bytes() == before
    assert not (made_plan / "retime.csv").exists()


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("arrival", "07:59"),
        ("service_end", "22:01"),
        ("agent_id", "A3"),  # expired credential
        ("account_id", "ACC05"),  # disputed
        ("account_id", "ACC04"),  # 30 days past due
        ("account_id", "ACC07"),  # visited 3 days ago
        ("account_id", "ACC08"),  # speaks fr
    ],
)
def test_independent_oracle_can_fail(
    tiny_dir: Path, made_plan: Path, column: str, value: str
) -> None:
    """The raw-file oracle used by every plan here rejects an unlawful edit on its own."""
    it = read_out(made_plan, ITIN)
    first = it.index[it["kind"] == "visit"][0]
    it.loc[first, column] = value
    with pytest.raises(AssertionError):
        assert_lawful(tiny_dir, it, "CN", dt.date.fromisoformat(DATE))


def test_check_missing_folder_and_missing_lists(tiny_dir: Path, made_plan: Path) -> None:
    """A missing folder is one line; a plan without dropped.csv loses accounts: violations."""
    one_line_error(check_tiny(tiny_dir, made_plan.parent / "nowhere", catch=True), "nowhere")
    (made_plan / "dropped.csv").unlink()
    res = check_tiny(tiny_dir, made_plan, catch=True)
    no_crash(res)
    assert res.exit_code == 1
    assert "dropped.csv is missing" in res.output
    assert "account ACC14: [accounted]" in res.output


@pytest.mark.parametrize(
    ("edit", "rule"),
    [
        (lambda s: s.replace(",09:", ",9h"), "[format]"),
        (lambda s: s.replace(",10:", ",25:"), "[format]"),
        (lambda s: s.replace("31.235", "north"), "[location]"),
        (lambda s: s.replace(",visit,", ",vist,", 1), "[format]"),
        (lambda s: s.replace("A1,1,", "A1,one,"), "[format]"),
        (lambda s: s.replace("2026-12-01,A2,", "2026-12-02,A2,", 1), "[date]"),
        (lambda s: s.replace(",A2,", ",GHOST,"), "[agent]"),
    ],
)
def test_check_reports_garbage_cells_as_violations(
    tiny_dir: Path, made_plan: Path, edit: Callable[[str], str], rule: str
) -> None:
    """Garbage in an edited itinerary is listed as violations (exit 1), never a crash."""
    _edit(made_plan / ITIN, edit)
    res = check_tiny(tiny_dir, made_plan, catch=True)
    no_crash(res)
    assert res.exit_code == 1, res.output
    assert rule in res.output
    assert res.output.strip().splitlines()[-1].startswith("Error:")


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda s: s.replace(",09:", ",9h"), "is not HH:MM"),
        (lambda s: s.replace("31.235", "north"), "is not a number"),
        (lambda s: s.replace("31.235", "131.235"), "outside"),
        (lambda s: s.replace(",visit,", ",vist,", 1), "is not one of"),
        (lambda s: s.replace("2026-12-01,A1,", "2026-12-01,,"), "agent_id"),
    ],
)
def test_map_reports_garbage_cells_in_one_line(
    made_plan: Path, edit: Callable[[str], str], needle: str
) -> None:
    """``map`` names file, row and column of each bad cell in its one-line error."""
    _edit(made_plan / ITIN, edit)
    line = one_line_error(invoke("map", made_plan), ITIN, needle)
    assert ", row " in line and ", column " in line


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("summary.json", "{not json", "not valid JSON"),
        ("summary.json", "[1, 2]", "JSON object"),
        ("summary.json", '{"agents": "A1"}', "agents"),
        ("dropped.csv", "account_id\nACC04\n", "reason"),
        ("checklist.csv", "", "checklist.csv"),
    ],
)
def test_map_on_broken_side_files(made_plan: Path, name: str, content: str, needle: str) -> None:
    """Broken summary.json, dropped.csv or checklist.csv: one line naming the file."""
    (made_plan / name).write_text(content, encoding="utf-8")
    one_line_error(invoke("map", made_plan), name, needle)


OUTCOMES_HEADER = "account_id,agent_id,visit_date,outcome,amount_paid,ptp_date,ptp_amount,notes\n"


@pytest.fixture
def history_db(tiny_dir: Path, tmp_path: Path) -> Path:
    """A history database holding the tiny plan."""
    db = tmp_path / "h.db"
    planned_ok(tiny_dir, tmp_path / "plan", "--db", str(db))
    return db


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "file is empty"),
        (b"\xef\xbb\xbf", "file is empty"),
        (b"\x00\x01\x02", "binary"),
        (b"account_id,outcome\nACC02,paid\n", "column agent_id"),
        (
            (OUTCOMES_HEADER + "ACC02,A2,2026-12-01,not_home,,,,,x,y,z\n").encode(),
            "row 2",
        ),
        ((OUTCOMES_HEADER + '"ACC02,A2,2026-12-01,not_home,,,,\n').encode(), "row 2"),
    ],
)
def test_record_unusable_outcomes_files(
    tmp_path: Path, history_db: Path, content: bytes, needle: str
) -> None:
    """Outcomes files that cannot be used: one line naming the file, exit 1, nothing stored."""
    f = tmp_path / "outcomes.csv"
    f.write_bytes(content)
    one_line_error(invoke("record", f, "--db", history_db, "--today", DATE), "outcomes.csv", needle)


def test_record_refuses_bad_rows_and_keeps_good_ones(tmp_path: Path, history_db: Path) -> None:
    """Bad outcome rows are refused with row and column; good rows are stored."""
    f = tmp_path / "outcomes.csv"
    f.write_text(
        OUTCOMES_HEADER
        + "ACC02,A2,2026-12-01,not_home,,,,\n"
        + "ACC13,A2,2026-12-01,paid,1e400,,,\n"
        + "ACC01,A2,2026-13-01,refused,,,,\n"
        + 'ACC03,A1,2026-12-01,refused,,,,"<script>alert(1)</script>\n=cmd"\n'
        + "ACC99,A1,2026-12-01,paid,-5,,,\n"
        + "ACC02,A2,2026-12-01,exploded,,,,\n",
        encoding="utf-8",
    )
    res = invoke("record", f, "--db", history_db, "--today", DATE)
    no_crash(res)
    assert res.exit_code == 0, res.output
    rej = read_out(tmp_path, "outcomes_rejected.csv")
    got = set(zip(rej["row"].astype(int), rej["column"], strict=True))
    assert {(3, "amount_paid"), (4, "visit_date"), (6, "account_id"), (6, "amount_paid")} <= got
    assert (7, "outcome") in got
    assert not {r for r, _ in got} & {2, 5}
    assert "2 new" in res.output


# --- bugs in modules owned by others (strict xfail: they flip to failures when fixed) --------


def test_all_agents_refused_names_why(tiny_dir: Path, tmp_path: Path) -> None:
    """When no agent row is valid the one-line error says which row and column are wrong."""
    set_agents(tiny_dir, agent(shift=("17:00", "09:00")))
    one_line_error(plan_bounded(tiny_dir, tmp_path / "p"), "agents.csv", "row 2", "shift_end")


def test_large_prize_does_not_overflow(tiny_dir: Path, tmp_path: Path) -> None:
    """A 10^12 balance with value_of_hour 0.00001 still plans (prizes must be capped)."""
    add_accounts(tiny_dir, account("BIG", balance="1000000000000"))
    cfg = tmp_path / "routeplan.toml"
    cfg.write_text("[solver]\nvalue_of_hour = 0.00001\n", encoding="utf-8")
    visits = planned_ok(tiny_dir, tmp_path / "p", "--config", str(cfg))
    assert "BIG" in set(visits["account_id"])


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("solver", "value_of_hour", "nan"),
        ("solver", "value_of_hour", "inf"),
        ("eligibility", "min_balance", "nan"),
        ("visits", "senior_balance", "nan"),
    ],
)
def test_config_rejects_nan_and_inf(
    tiny_dir: Path, tmp_path: Path, section: str, key: str, value: str
) -> None:
    """A NaN or infinite rule value in routeplan.toml is refused in one line naming the key."""
    cfg = tmp_path / "routeplan.toml"
    cfg.write_text(f"[{section}]\n{key} = {value}\n", encoding="utf-8")
    one_line_error(
        plan_bounded(tiny_dir, tmp_path / "p", "--config", str(cfg)), "routeplan.toml", key
    )


def test_every_account_row_refused_is_an_empty_day(tiny_dir: Path, tmp_path: Path) -> None:
    """When no account row is valid the day is empty and rejected.csv says why."""
    (tiny_dir / "accounts.csv").write_text(
        ACCOUNT_HEADER + "\n" + account("X1", balance="lots") + "\n" + account("X2", lat="95"),
        encoding="utf-8",
    )
    out = tmp_path / "p"
    assert planned_ok(tiny_dir, out).empty
    assert rejected_at(out) == {("accounts.csv", 2, "balance"), ("accounts.csv", 3, "lat")}


def test_check_catches_an_eligible_account_claimed_excluded(
    tiny_dir: Path, made_plan: Path
) -> None:
    """A plan may not call an eligible account excluded."""
    _edit(
        made_plan / "dropped.csv",
        lambda s: "\n".join(x for x in s.splitlines() if not x.startswith("ACC14")) + "\n",
    )
    _edit(made_plan / "excluded.csv", lambda s: s + "ACC14,disputed,made up\n")
    res = check_tiny(tiny_dir, made_plan, catch=True)
    no_crash(res)
    assert res.exit_code == 1 and "ACC14" in res.output


def test_check_catches_a_29_minute_visit(tiny_dir: Path, made_plan: Path) -> None:
    """Cutting a visit to 29 minutes is a [service] violation."""
    path = made_plan / ITIN
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    visit = next(r for r in rows if r["kind"] == "visit")
    start = dt.datetime.strptime(visit["service_start"], "%H:%M")
    visit["service_end"] = (start + dt.timedelta(minutes=29)).strftime("%H:%M")
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    res = check_tiny(tiny_dir, made_plan, catch=True)
    no_crash(res)
    assert res.exit_code == 1 and "[service]" in res.output


def test_check_names_accounts_missing_from_the_input(tiny_dir: Path, made_plan: Path) -> None:
    """Checking against a portfolio lacking ACC10 says ACC10 is unknown, not eligible."""
    p = tiny_dir / "accounts.csv"
    p.write_text(
        "\n".join(x for x in p.read_text(encoding="utf-8").splitlines() if "ACC10" not in x) + "\n",
        encoding="utf-8",
    )
    res = check_tiny(tiny_dir, made_plan, catch=True)
    no_crash(res)
    assert res.exit_code == 1
    line = next(x for x in res.output.splitlines() if "ACC10" in x)
    assert "eligible today" not in line and "accounts.csv" in line


def test_symlinked_sheets_folder_is_one_line(tiny_dir: Path, tmp_path: Path) -> None:
    """A ``sheets`` symlink pointing out of the plan folder is refused in one line."""
    out, elsewhere = tmp_path / "p", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "sheets").symlink_to(elsewhere, target_is_directory=True)
    try:
        one_line_error(plan_bounded(tiny_dir, out), "sheets")
    finally:
        assert not list(elsewhere.iterdir())


def test_rejected_rows_are_counted_once(tiny_dir: Path, tmp_path: Path) -> None:
    """A row refused for three reasons is one rejected row (and three lines in rejected.csv)."""
    add_accounts(tiny_dir, "SHORT,n,a,31.23,121.47")
    out = tmp_path / "p"
    res = plan_bounded(tiny_dir, out)
    no_crash(res)
    assert len(read_out(out, "rejected.csv")) == 3
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["counts"]["rejected_account_rows"] == 1
    assert "1 rows rejected" in res.output or "1 row rejected" in res.output


def test_map_summary_with_text_for_a_number(made_plan: Path) -> None:
    """A hand-edited summary.json with text where a number goes is one line (or ignored)."""
    path = made_plan / "summary.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["travel_km"] = "far"
    path.write_text(json.dumps(data), encoding="utf-8")
    res = invoke("map", made_plan)
    no_crash(res)
    assert res.exit_code in (0, 1)


def test_map_infinite_days_past_due(made_plan: Path) -> None:
    """An infinite number in an itinerary cell is one line naming the cell."""
    path = made_plan / ITIN
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    next(r for r in rows if r["kind"] == "visit")["days_past_due"] = "1e400"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    one_line_error(invoke("map", made_plan), ITIN, "days_past_due")


def test_check_infinite_stop_number(tiny_dir: Path, made_plan: Path) -> None:
    """An infinite stop number is a format violation, not a crash."""
    _edit(made_plan / ITIN, lambda s: s.replace("A1,1,", "A1,1e400,"))
    res = check_tiny(tiny_dir, made_plan, catch=True)
    no_crash(res)
    assert res.exit_code == 1 and "[format]" in res.output


def test_map_infinite_stop_number(made_plan: Path) -> None:
    """``map`` refuses an infinite stop number in one line."""
    _edit(made_plan / ITIN, lambda s: s.replace("A1,1,", "A1,1e400,"))
    one_line_error(invoke("map", made_plan), ITIN, "stop_no")


def test_check_bad_summary_date(tiny_dir: Path, made_plan: Path) -> None:
    """A broken date in summary.json is one line naming the file."""
    (made_plan / "summary.json").write_text('{"date": "yesterday"}', encoding="utf-8")
    res = invoke(
        "check",
        "--accounts",
        tiny_dir / "accounts.csv",
        "--agents",
        tiny_dir / "agents.csv",
        made_plan,
    )
    one_line_error(res, "summary.json")


def test_check_bad_summary_jurisdiction_names_the_file(tiny_dir: Path, made_plan: Path) -> None:
    """The error about summary.json's jurisdiction says where the value came from."""
    (made_plan / "summary.json").write_text('{"jurisdiction": "XX"}', encoding="utf-8")
    one_line_error(check_tiny(tiny_dir, made_plan, catch=True), "summary.json", "XX")


def test_map_ragged_itinerary_is_one_line(made_plan: Path) -> None:
    """A ragged itinerary row is reported in one line."""
    _edit(made_plan / ITIN, lambda s: s + "2026-12-01,A1,9,visit,X" + ",1" * 25 + "\n")
    one_line_error(invoke("map", made_plan), ITIN)


def test_record_row_numbers_count_blank_lines(tmp_path: Path, history_db: Path) -> None:
    """A refused outcome after a blank line is reported at the row a spreadsheet shows."""
    f = tmp_path / "outcomes.csv"
    f.write_text(
        OUTCOMES_HEADER + "\nACC02,A2,2026-12-01,not_home,,,,\nACC13,A2,2026-12-01,boom,,,,\n",
        encoding="utf-8",
    )
    res = invoke("record", f, "--db", history_db, "--today", DATE)
    no_crash(res)
    rej = read_out(tmp_path, "outcomes_rejected.csv")
    assert rej["row"].tolist() == ["4"]


# --- the reader's own guarantees ------------------------------------------------------------


def test_read_table_rows_are_spreadsheet_rows(tmp_path: Path) -> None:
    """``_row`` counts the header, blank lines and quoted line breaks as a spreadsheet does."""
    p = tmp_path / "t.csv"
    p.write_text('A, B \n\n1,"x\ny"\n,,\n2,z\n', encoding="utf-8")
    frame, used = read_table(p)
    assert used == "utf-8"
    assert list(frame.columns) == ["a", "b", "_row"]
    assert frame.to_dict("records") == [
        {"a": "1", "b": "x\ny", "_row": 3},
        {"a": "2", "b": "z", "_row": 5},
    ]


def test_read_table_refuses_wide_rows_only_when_asked(tmp_path: Path) -> None:
    """With ``refused`` a wide row is set aside; without it the file is refused naming the row."""
    p = tmp_path / "t.csv"
    p.write_text("a,b\n1,2\n3,4,5\n6,7,,\n", encoding="utf-8")
    refused: list = []
    frame, _ = read_table(p, refused=refused)
    assert frame["a"].tolist() == ["1", "6"]
    assert [(r.row, r.column) for r in refused] == [(3, "")]
    with pytest.raises(InputError, match=r"t\.csv, row 3: row has 3 values"):
        read_table(p)


def test_excel_separator_hint_line(tiny_dir: Path, tmp_path: Path) -> None:
    """A ``sep=;`` first line (Excel) names the separator and is not counted as a row."""
    p = tiny_dir / "accounts.csv"
    rows = list(csv.reader(io.StringIO(p.read_text(encoding="utf-8"))))
    buf = io.StringIO()
    csv.writer(buf, delimiter=";").writerows(rows)
    p.write_text("sep=;\r\n" + buf.getvalue(), encoding="utf-8")
    add_accounts(tiny_dir, "BAD;n;a;31.2;121.4;lots;120;5;;;;0;;;;;zh;;0")
    out = tmp_path / "p"
    visits = planned_ok(tiny_dir, out)
    assert sorted(visits["account_id"]) == ["ACC01", "ACC02", "ACC03", "ACC13"]
    assert rejected_at(out) == {("accounts.csv", 17, "balance")}


def test_read_table_undoes_formula_neutralisation(tmp_path: Path) -> None:
    """A cell routeplan neutralised (``'=1+1``) reads back as written; a plain quote stays."""
    p = tmp_path / "t.csv"
    p.write_text("a\n'=1+1\n'-5\nO'Brien\n'quoted\n''-x\n", encoding="utf-8")
    frame, _ = read_table(p)
    # only an apostrophe before a formula character goes (so "'-5" typed in a file reads -5)
    assert frame["a"].tolist() == ["=1+1", "-5", "O'Brien", "'quoted", "''-x"]


def test_plan_date_parameter_is_a_real_date(tiny_dir: Path, tmp_path: Path) -> None:
    """The CLI refuses an impossible --date as wrong usage (exit 2), not a crash."""
    res = plan_bounded(tiny_dir, tmp_path / "p", date="2026-02-30")
    no_crash(res)
    assert res.exit_code == 2
    assert dt.date(2026, 12, 1).weekday() == 1  # DATE really is a Tuesday
