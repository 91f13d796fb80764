"""Tests for outcome validation and the record, history and report commands."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from routeplan.history import report_json_row
from routeplan.history_cli import history_command, record_command, report_command
from routeplan.io.store import Store
from routeplan.outcomes import validate_outcomes
from tests.helpers import D1, make_plan

HEADER = "account_id,agent_id,visit_date,outcome,amount_paid,ptp_date,ptp_amount,notes\n"
TODAY = "2026-12-01"


def write(path: Path, body: str, *, bom: bool = False) -> Path:
    path.write_text(("\ufeff" if bom else "") + HEADER + textwrap.dedent(body), encoding="utf-8")
    return path


def run(command: click.Command, *args: str) -> object:
    return CliRunner().invoke(command, list(args), catch_exceptions=False)


# --- validation ----------------------------------------------------------------------


def frame(body: str) -> pd.DataFrame:
    rows = [line.split(",") for line in textwrap.dedent(body).strip().splitlines()]
    return pd.DataFrame(rows, columns=HEADER.strip().split(","))


def check(body: str) -> tuple[pd.DataFrame, list[tuple[int | None, str, str]]]:
    got = validate_outcomes(
        frame(body),
        file="o.csv",
        today=dt.date(2026, 12, 1),
        known_accounts={"A1", "A2"},
        known_agents={"AG1"},
    )
    return got.rows, [(p.row, p.column, p.problem) for p in got.rejected]


def test_valid_rows_are_typed() -> None:
    """Good rows come back typed: dates, floats, lower-case codes."""
    rows, problems = check(
        """
        A1,AG1,2026-12-01, PTP ,,2026-12-10,300,note
        A2,AG1,2026-11-30,paid,120.5,,,
        """
    )
    assert problems == []
    assert list(rows["outcome"]) == ["ptp", "paid"]
    assert rows["ptp_date"].iloc[0] == dt.date(2026, 12, 10)
    assert rows["amount_paid"].iloc[1] == 120.5
    assert list(rows["_row"]) == [2, 3]


@pytest.mark.parametrize(
    ("line", "column", "fragment"),
    [
        ("Z9,AG1,2026-12-01,refused,,,,", "account_id", "unknown account"),
        (",AG1,2026-12-01,refused,,,,", "account_id", "is empty"),
        ("A1,AG7,2026-12-01,refused,,,,", "agent_id", "unknown agent"),
        ("A1,AG1,2026-12-01,eaten_by_dog,,,,", "outcome", "unknown outcome"),
        ("A1,AG1,2026-12-02,refused,,,,", "visit_date", "in the future"),
        ("A1,AG1,01/12/2026,refused,,,,", "visit_date", "YYYY-MM-DD"),
        ("A1,AG1,2026-02-30,refused,,,,", "visit_date", "valid calendar date"),
        ("A1,AG1,2026-12-01,ptp,,,500,", "ptp_date", "needs the promised date"),
        ("A1,AG1,2026-12-01,ptp,,2026-11-30,,", "ptp_date", "before the visit"),
        ("A1,AG1,2026-12-01,partial_payment,-5,,,", "amount_paid", "negative"),
        ("A1,AG1,2026-12-01,ptp,,2026-12-05,-1,", "ptp_amount", "negative"),
        ("A1,AG1,2026-12-01,paid,,,,", "amount_paid", "needs the amount paid"),
        ("A1,AG1,2026-12-01,paid,0,,,", "amount_paid", "above 0"),
        ("A1,AG1,2026-12-01,paid,lots,,,", "amount_paid", "not a number"),
        ("A1,AG1,2026-12-01,paid,inf,,,", "amount_paid", "finite"),
        ("A1,AG1,2026-12-01,paid,nan,,,", "amount_paid", "finite"),
        ("A1,AG1,2026-12-01,paid,1e400,,,", "amount_paid", "finite"),
        ("A1,AG1,2026-12-01,paid,2e13,,,", "amount_paid", "too large"),
        ("A1,AG1,2026-12-01,ptp,,2026-12-05,1e300,", "ptp_amount", "too large"),
        ("A1,AG1,2026-12-01,not_home,20,,,", "amount_paid", "nobody was met"),
    ],
)
def test_bad_rows_rejected(line: str, column: str, fragment: str) -> None:
    """Each kind of bad row is refused naming the row, the column and the problem."""
    rows, problems = check(line)
    assert rows.empty
    assert len(problems) == 1, problems
    row, col, problem = problems[0]
    assert (row, col) == (2, column)
    assert fragment in problem


def test_every_problem_of_a_row_is_reported() -> None:
    """A row with several problems lists each of them."""
    _rows, problems = check("Z9,AG7,2026-12-05,nope,-1,,,")
    assert {c for _r, c, _p in problems} == {
        "account_id",
        "agent_id",
        "visit_date",
        "outcome",
        "amount_paid",
    }


def test_extra_domain_codes_accepted() -> None:
    """The extra domain codes (deceased, vulnerable, ...) are accepted."""
    body = "\n".join(
        f"A1,AG1,2026-11-{d:02d},{code},,,,"
        for d, code in enumerate(
            [
                "deceased",
                "vulnerable",
                "asked_to_leave",
                "no_visits_requested",
                "represented",
                "rescheduled",
            ],
            start=1,
        )
    )
    rows, problems = check(body)
    assert problems == [] and len(rows) == 6


def test_duplicate_visit_in_one_file_rejected() -> None:
    """The same visit twice in one file: the second row is refused."""
    rows, problems = check(
        """
        A1,AG1,2026-12-01,refused,,,,
        A1,AG1,2026-12-01,not_home,,,,
        """
    )
    assert len(rows) == 1
    assert problems == [(3, "visit_date", "same visit (account, agent, visit_date) as row 2")]


# --- record ----------------------------------------------------------------------------


def test_record_stores_and_is_idempotent(tmp_path: Path, db: Path) -> None:
    """record stores good rows; the same file again changes nothing."""
    src = write(
        tmp_path / "out.csv",
        """\
        A1,AG1,2026-12-01,ptp,,2026-12-10,500,will pay
        A3,AG2,2026-12-01,not_home,,,,
        """,
        bom=True,
    )
    first = run(record_command, str(src), "--db", str(db), "--today", TODAY)
    assert first.exit_code == 0, first.output
    assert (
        first.stdout == f"out.csv -> {db}: 2 new, 0 unchanged, 0 corrected, 0 rejected, "
        "0 flagged, 2 not fully verified\n"
    )
    with Store(db) as s:
        before = s.outcomes()
    again = run(record_command, str(src), "--db", str(db), "--today", TODAY)
    assert again.exit_code == 0
    assert "0 new, 2 unchanged, 0 corrected" in again.stdout
    with Store(db) as s:
        pd.testing.assert_frame_equal(before, s.outcomes())
    rejected = pd.read_csv(tmp_path / "out_rejected.csv", encoding="utf-8-sig")
    assert list(rejected.columns) == ["file", "row", "column", "problem", "record_id"]
    assert rejected.empty


def test_record_reads_spreadsheet_dates_like_the_inputs(tmp_path: Path, db: Path) -> None:
    """``2026/12/10``, ``2026.12.10`` and a midnight time part are recorded as 2026-12-10."""
    src = write(
        tmp_path / "out.csv",
        """\
        A1,AG1,2026/12/10,ptp,,2026.12.20,500,
        A2,AG1,2026.12.10,paid,80,,,
        A3,AG2,2026-12-10 00:00:00,ptp,,2026/12/24,100,
        """,
    )
    res = CliRunner().invoke(record_command, [str(src), "--db", str(db), "--today", "2026-12-10"])
    assert res.exit_code == 0, res.output
    assert "3 new" in res.output and "0 rejected" in res.output
    conn = sqlite3.connect(db)
    try:
        stored = conn.execute(
            "SELECT account_id, visit_date, ptp_date FROM outcomes ORDER BY account_id"
        ).fetchall()
    finally:
        conn.close()
    assert stored == [
        ("A1", "2026-12-10", "2026-12-20"),
        ("A2", "2026-12-10", None),
        ("A3", "2026-12-10", "2026-12-24"),
    ]


def test_record_rejects_and_flags(tmp_path: Path, db: Path) -> None:
    """Bad rows go to stderr and the rejection report; unplanned visits are flagged."""
    src = write(
        tmp_path / "mixed.csv",
        """\
        A1,AG1,2026-12-01,refused,,,,
        NOPE,AG1,2026-12-01,refused,,,,
        A2,AG1,2026-12-01,ptp,,,,
        E1,AG2,2026-12-01,hardship,,,,
        """,
    )
    res = run(record_command, str(src), "--db", str(db), "--today", TODAY)
    assert res.exit_code == 0
    assert "2 new, 0 unchanged, 0 corrected, 2 rejected, 1 flagged" in res.stdout
    assert "rejected: mixed.csv, row 3, column account_id: unknown account 'NOPE'" in res.stderr
    assert "rejected: mixed.csv, row 4, column ptp_date" in res.stderr
    assert (
        "flagged: mixed.csv, row 5: visit of E1 by AG2 on 2026-12-01: not_planned: "
        "not in the plan of 2026-12-01" in res.stderr
    )
    report = pd.read_csv(tmp_path / "mixed_rejected.csv", encoding="utf-8-sig")
    assert list(report["row"]) == [3, 4]
    assert list(report["column"]) == ["account_id", "ptp_date"]


def test_record_rejection_report_names_the_account(tmp_path: Path, db: Path) -> None:
    """NAME_rejected.csv gives each refused row's account_id after the contract's columns.

    An unknown account is named as typed (so it can be found and corrected), a row with an
    unknown agent by its account, and a row without an account_id has an empty record_id.
    """
    src = write(
        tmp_path / "ids.csv",
        """\
        A1,AG1,2026-12-01,refused,,,,
        NOPE,AG1,2026-12-01,refused,,,,
        A2,AG7,2026-12-01,not_home,,,,
        ,AG1,2026-12-01,refused,,,,
        """,
    )
    res = run(record_command, str(src), "--db", str(db), "--today", TODAY)
    assert res.exit_code == 0, res.output
    report = pd.read_csv(
        tmp_path / "ids_rejected.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    assert list(report.columns) == ["file", "row", "column", "problem", "record_id"]
    assert list(zip(report["row"], report["column"], report["record_id"], strict=True)) == [
        ("3", "account_id", "NOPE"),
        ("4", "agent_id", "A2"),
        ("5", "account_id", ""),
    ]


def test_record_names_spreadsheet_rows(tmp_path: Path, db: Path) -> None:
    """Rejected and flagged rows are named as a spreadsheet shows them (blank lines count)."""
    src = write(
        tmp_path / "gaps.csv",
        """\
        A1,AG1,2026-12-01,ptp,,2026-12-10,500,"said: call
        after six"

        NOPE,AG1,2026-12-01,refused,,,,

        E1,AG2,2026-12-01,hardship,,,,
        A2,AG1,2026-12-01,1e400,inf,,,
        """,
    )
    res = run(record_command, str(src), "--db", str(db), "--today", TODAY)
    assert res.exit_code == 0, res.output
    assert "rejected: gaps.csv, row 4, column account_id" in res.stderr
    assert "flagged: gaps.csv, row 6: visit of E1 by AG2" in res.stderr
    assert "rejected: gaps.csv, row 7, column outcome" in res.stderr
    assert "rejected: gaps.csv, row 7, column amount_paid: 'inf' is not a finite" in res.stderr
    report = pd.read_csv(tmp_path / "gaps_rejected.csv", encoding="utf-8-sig")
    assert list(report["row"]) == [4, 7, 7]


def test_record_rejected_path_option(tmp_path: Path, db: Path) -> None:
    """--rejected chooses where the rejection report goes."""
    src = write(tmp_path / "o.csv", "A1,AG1,2026-12-01,bogus,,,,\nA2,AG1,2026-12-01,refused,,,,\n")
    target = tmp_path / "elsewhere.csv"
    res = run(
        record_command, str(src), "--db", str(db), "--today", TODAY, "--rejected", str(target)
    )
    assert res.exit_code == 0
    assert len(pd.read_csv(target)) == 1
    assert not (tmp_path / "o_rejected.csv").exists()


def test_record_rejected_path_may_not_be_the_input(tmp_path: Path, db: Path) -> None:
    """--rejected naming the outcomes file itself is wrong usage; the file is left as it was."""
    src = write(tmp_path / "o.csv", "A1,AG1,2026-12-01,bogus,,,,\n")
    before = src.read_bytes()
    res = CliRunner().invoke(
        record_command,
        [str(src), "--db", str(db), "--today", TODAY, "--rejected", str(tmp_path / "." / "o.csv")],
    )
    assert res.exit_code == 2 and "outcomes file itself" in res.output
    assert src.read_bytes() == before
    with Store(db) as s:
        assert s.outcomes().empty


def test_report_json_rows_have_no_nan_or_infinity() -> None:
    """Report rows become plain JSON: numpy scalars unwrapped, NaN and infinities null."""
    row = report_json_row(
        {"agent_id": "AG1", "n": np.int64(3), "rate": np.float64("nan"), "km": math.inf, "x": 1.5}
    )
    assert row == {"agent_id": "AG1", "n": 3, "rate": None, "km": None, "x": 1.5}
    assert "Infinity" not in json.dumps(row) and "NaN" not in json.dumps(row)


def test_record_all_rows_rejected_exits_1(tmp_path: Path, db: Path) -> None:
    """A file none of whose rows can be stored fails with one line (exit 1)."""
    src = write(tmp_path / "bad.csv", "A1,AG1,2030-01-01,refused,,,,\n")
    res = run(record_command, str(src), "--db", str(db), "--today", TODAY)
    assert res.exit_code == 1
    assert "none of 1 rows could be recorded" in res.stderr
    assert (tmp_path / "bad_rejected.csv").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "file not found"),
        ("", "file is empty"),
        ("account_id,agent_id,outcome\nA1,AG1,paid\n", "visit_date"),
    ],
)
def test_record_unusable_file_exits_1(
    tmp_path: Path, db: Path, content: str | None, message: str
) -> None:
    """A missing, empty or column-less file is refused as a whole (exit 1, one line)."""
    src = tmp_path / "o.csv"
    if content is not None:
        src.write_text(content)
    res = run(record_command, str(src), "--db", str(db), "--today", TODAY)
    assert res.exit_code == 1
    assert message in res.stderr
    assert res.stderr.count("\n") == 1
    with Store(db) as s:
        assert s.outcomes().empty


def test_blank_template_rows_skipped() -> None:
    """Rows left blank in the outcomes template are skipped, not refused."""
    rows, problems = check(
        """
        A1,AG1,2026-12-01,,,,,
        A2,AG1,2026-12-01,refused,,,,
        A2,AG1,2026-11-30,,,,,forgot the code
        """
    )
    assert list(rows["account_id"]) == ["A2"]
    assert problems == [(4, "outcome", "is empty")]
    got = validate_outcomes(
        frame("A1,AG1,2026-12-01,,,,,"),
        file="o.csv",
        today=dt.date(2026, 12, 1),
        known_accounts={"A1"},
        known_agents={"AG1"},
    )
    assert got.skipped == [2] and got.rejected == [] and got.rows.empty


def test_record_filled_template(tmp_path: Path, db: Path) -> None:
    """A plan's outcomes template (BOM, extra columns, blank rows) records what was filled."""
    src = tmp_path / "outcomes_template.csv"
    src.write_text(
        "\ufeffaccount_id,agent_id,visit_date,outcome,amount_paid,ptp_date,ptp_amount,notes,"
        "stop_no,debtor_name,address\n"
        "A1,AG1,2026-12-01,partial_payment,800,,,,1,X,1 Main St\n"
        "A2,AG1,2026-12-01,,,,,,2,Y,2 Main St\n"
        "A3,AG2,2026-12-01,,,,,,1,Z,3 Side Rd\n",
        encoding="utf-8",
    )
    res = run(record_command, str(src), "--db", str(db), "--today", TODAY)
    assert res.exit_code == 0, res.output
    assert (
        "1 new, 0 unchanged, 0 corrected, 0 rejected, 0 flagged, 1 not fully verified, "
        "2 not filled in" in res.stdout
    )
    with Store(db) as s:
        assert list(s.outcomes()["amount_paid"]) == [800.0]


def test_record_header_only_is_fine(tmp_path: Path, db: Path) -> None:
    """An outcomes template with no visits filled in records nothing and succeeds."""
    src = write(tmp_path / "o.csv", "")
    res = run(record_command, str(src), "--db", str(db), "--today", TODAY)
    assert res.exit_code == 0
    assert "0 new" in res.stdout


def test_record_without_database_exits_1(tmp_path: Path) -> None:
    """record refuses a missing database instead of creating an empty one."""
    src = write(tmp_path / "o.csv", "A1,AG1,2026-12-01,refused,,,,\n")
    res = run(record_command, str(src), "--db", str(tmp_path / "none.db"), "--today", TODAY)
    assert res.exit_code == 1
    assert "no history database" in res.stderr
    assert not (tmp_path / "none.db").exists()


def test_record_bad_today_is_usage_error(tmp_path: Path, db: Path) -> None:
    """A malformed --today is wrong usage (exit 2)."""
    src = write(tmp_path / "o.csv", "")
    res = run(record_command, str(src), "--db", str(db), "--today", "tomorrow")
    assert res.exit_code == 2


def test_record_today_reads_dates_like_the_files(tmp_path: Path, db: Path) -> None:
    """--today takes the date forms the files take (2026/12/1 is 2026-12-01); 01/12/2026 not."""
    src = write(tmp_path / "o.csv", "A1,AG1,2026-12-01,refused,,,,\n")
    res = CliRunner().invoke(record_command, [str(src), "--db", str(db), "--today", "2026/12/1"])
    assert res.exit_code == 0, res.output
    assert "1 new" in res.output
    res = CliRunner().invoke(record_command, [str(src), "--db", str(db), "--today", "01/12/2026"])
    assert res.exit_code == 2
    assert "'01/12/2026' is not a date in YYYY-MM-DD form" in res.output


# --- history ---------------------------------------------------------------------------


def test_history_prints_trail(tmp_path: Path, db: Path) -> None:
    """history shows the plan decision, who went and what happened, in date order."""
    with Store(db) as s:
        s.save_plan(
            **make_plan(
                day=dt.date(2026, 12, 2),
                visits=[("AG2", "A2", "11:00", "x", 1.0)],
                excluded=[("A1", "ptp_pending", "promised 500 by 2026-12-10")],
            )
        )  # type: ignore[arg-type]
    src = write(tmp_path / "o.csv", "A1,AG1,2026-12-01,ptp,,2026-12-10,500,will pay\n")
    assert run(record_command, str(src), "--db", str(db), "--today", "2026-12-02").exit_code == 0
    res = run(history_command, "A1", "--db", str(db))
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[0] == f"Account A1 ({db})"
    assert lines[1].startswith(
        "2026-12-01  plan 1    planned   agent AG1 (Name AG1), stop 1 at 09:30"
    )
    assert "chosen because: high balance A1" in lines[1]
    assert lines[2] == (
        "2026-12-01  visit     AG1 (Name AG1): ptp; promised 500.00 by 2026-12-10; "
        "notes: will pay [planned]"
    )
    assert lines[3] == "2026-12-02  plan 2    excluded  ptp_pending: promised 500 by 2026-12-10"


def test_history_unknown_account_exits_1(db: Path) -> None:
    """An account the database never saw is an error."""
    res = run(history_command, "NOBODY", "--db", str(db))
    assert res.exit_code == 1
    assert "NOBODY: no plan or outcome" in res.stderr


# --- report ----------------------------------------------------------------------------


@pytest.fixture
def recorded(tmp_path: Path, db: Path) -> Path:
    src = write(
        tmp_path / "o.csv",
        """\
        A1,AG1,2026-12-01,ptp,,2026-12-03,500,
        A2,AG1,2026-12-01,not_home,,,,
        A3,AG2,2026-12-01,paid,1000,,,
        """,
    )
    assert run(record_command, str(src), "--db", str(db), "--today", TODAY).exit_code == 0
    return db


def test_report_table(recorded: Path) -> None:
    """The on-screen report has one line per agent and an overall line."""
    res = run(report_command, "--from", "2026-12-01", "--to", "2026-12-07", "--db", str(recorded))
    assert res.exit_code == 0
    lines = res.stdout.splitlines()
    assert lines[0] == f"Field activity 2026-12-01 to 2026-12-07 ({recorded})"
    assert lines[1].split() == [
        "agent_id",
        "agent_name",
        "planned",
        "done",
        "unplanned",
        "contacts",
        "contact%",
        "ptp",
        "kept",
        "broken",
        "open",
        "collected",
        "km",
    ]
    assert lines[2].split()[0] == "AG1" and lines[4].split()[0] == "ALL"
    assert "50%" in lines[2]


def test_report_csv_and_json(recorded: Path) -> None:
    """--csv and --json give the same figures as data."""
    args = ["--from", "2026-12-01", "--to", "2026-12-07", "--db", str(recorded)]
    csv_out = run(report_command, *args, "--csv")
    assert csv_out.exit_code == 0
    from io import StringIO

    table = pd.read_csv(StringIO(csv_out.stdout)).set_index("agent_id")
    assert table.loc["AG1", "visits_planned"] == 2
    assert table.loc["AG1", "promises_broken"] == 1  # due 12-03 + 3 days < 12-07
    assert table.loc["AG2", "amount_collected"] == 1000.0
    assert table.loc["ALL", "km_planned"] == pytest.approx(12.5)
    doc = json.loads(run(report_command, *args, "--json").stdout)
    assert doc["from"] == "2026-12-01"
    assert [a["agent_id"] for a in doc["agents"]] == ["AG1", "AG2"]
    assert doc["overall"]["visits_done"] == 3
    assert doc["overall"]["contact_rate"] == pytest.approx(0.667)


def test_report_empty_period_has_null_rate(recorded: Path) -> None:
    """A period without visits reports zeros and a null contact rate."""
    res = run(
        report_command,
        "--from",
        "2027-01-01",
        "--to",
        "2027-01-02",
        "--db",
        str(recorded),
        "--json",
    )
    doc = json.loads(res.stdout)
    assert doc["agents"] == []
    assert doc["overall"]["visits_done"] == 0 and doc["overall"]["contact_rate"] is None


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2026-12-07", "--to", "2026-12-01"],
        ["--from", "2026-12-01", "--to", "2026-12-07", "--csv", "--json"],
        ["--from", "12/01/2026", "--to", "2026-12-07"],
    ],
)
def test_report_wrong_usage_exits_2(recorded: Path, args: list[str]) -> None:
    """Reversed dates, both formats or a bad date are wrong usage (exit 2)."""
    assert run(report_command, *args, "--db", str(recorded)).exit_code == 2


@pytest.mark.parametrize("command", [record_command, history_command, report_command])
def test_every_command_has_help_with_example(command: click.Command) -> None:
    """Each command documents itself with an Example: line."""
    res = run(command, "--help")
    assert res.exit_code == 0
    assert "Example:" in res.stdout
    assert "routeplan " + command.name in res.stdout  # type: ignore[operator]


# --- crashes and concurrency -------------------------------------------------------------

#: records a file in a child process, pausing inside the transaction after N rows
SLOW_RECORD = """
import datetime as dt, pathlib, sys, time
import routeplan

flag, pause_after, sleep_s = pathlib.Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
src, db, today = sys.argv[4], sys.argv[5], dt.date.fromisoformat(sys.argv[6])

def pause(done, total):
    if done == pause_after:
        flag.write_text("inside the transaction")
        time.sleep(sleep_s)

report = routeplan.record_outcomes(src, db, today=today, on_row=pause)
print(f"{report.inserted} new")
"""


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def _start_record(
    tmp_path: Path, src: Path, db: Path, flag: Path, pause_after: int, sleep_s: float
) -> subprocess.Popen[bytes]:
    script = tmp_path / "slow_record.py"
    script.write_text(SLOW_RECORD)
    return subprocess.Popen(
        [
            sys.executable,
            str(script),
            str(flag),
            str(pause_after),
            str(sleep_s),
            str(src),
            str(db),
            TODAY,
        ],
        env=_child_env(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for(flag: Path, proc: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not flag.exists():
        if proc.poll() is not None:
            raise AssertionError(f"child ended early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError("child never reached the pause")
        time.sleep(0.05)


def _big_file(tmp_path: Path, name: str, agent: str, n: int) -> Path:
    lines = [
        f"A1,{agent},{(D1 - dt.timedelta(days=k)).isoformat()},not_home,,,,row {k}"
        for k in range(n)
    ]
    return write(tmp_path / name, "\n".join(lines) + "\n")


def test_killed_record_leaves_nothing(tmp_path: Path, db: Path) -> None:
    """kill -9 in the middle of record: nothing of the file is stored, the db opens fine."""
    src = _big_file(tmp_path, "big.csv", "AG1", 400)
    flag = tmp_path / "paused"
    proc = _start_record(tmp_path, src, db, flag, pause_after=200, sleep_s=60)
    _wait_for(flag, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with Store(db) as s:
        assert s.outcomes().empty
        assert s.record_runs().empty
    res = run(record_command, str(src), "--db", str(db), "--today", TODAY)
    assert res.exit_code == 0 and "400 new" in res.stdout


def test_two_records_at_once_both_succeed(tmp_path: Path, db: Path) -> None:
    """A second record started while the first holds the lock waits, then succeeds."""
    first_src = _big_file(tmp_path, "one.csv", "AG1", 50)
    second_src = _big_file(tmp_path, "two.csv", "AG2", 60)
    flag = tmp_path / "paused"
    first = _start_record(tmp_path, first_src, db, flag, pause_after=10, sleep_s=2)
    _wait_for(flag, first)
    second = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from routeplan.history_cli import record_command as c; c.main()",
            str(second_src),
            "--db",
            str(db),
            "--today",
            TODAY,
        ],
        env=_child_env(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out2, err2 = second.communicate(timeout=120)
    out1, err1 = first.communicate(timeout=120)
    assert first.returncode == 0, err1
    assert second.returncode == 0, err2
    assert b"50 new" in out1 and b"60 new" in out2
    with Store(db) as s:
        got = s.outcomes()
        assert len(got) == 110
        assert list(s.record_runs()["inserted"]) == [50, 60]  # the first committed first


def test_report_accounts_keeps_promises_paid_by_transfer(recorded: Path, tmp_path: Path) -> None:
    """With --accounts, a portfolio payment after the promise turns 'broken' into 'kept'."""
    acc = tmp_path / "accounts.csv"
    acc.write_text(
        "account_id,debtor_name,address,lat,lon,balance,days_past_due,contact_attempts_30d,"
        "last_payment_date\nA1,n,a,31.2,121.4,1000,100,3,2026-12-04\n",
        encoding="utf-8",
    )
    args = ["--from", "2026-12-01", "--to", "2026-12-07", "--db", str(recorded), "--csv"]
    from io import StringIO

    without = pd.read_csv(StringIO(run(report_command, *args).stdout)).set_index("agent_id")
    res = run(report_command, *args, "--accounts", str(acc))
    assert res.exit_code == 0, res.output
    with_acc = pd.read_csv(StringIO(res.stdout)).set_index("agent_id")
    assert (without.loc["AG1", "promises_kept"], without.loc["AG1", "promises_broken"]) == (0, 1)
    assert (with_acc.loc["AG1", "promises_kept"], with_acc.loc["AG1", "promises_broken"]) == (1, 0)
