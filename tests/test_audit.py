"""Proof of visit end to end: record checks the proof, report and audit show the flags.

A small stored plan (``proof_db``: A1 and A2 by AG1, A3 by AG2, with places,
windows and a coded checklist) is recorded against through the command line;
the samples are planned, given an outcomes file with clean and dishonest
records (``data/samples/proof_outcomes.py``) and audited.
"""

from __future__ import annotations

import importlib.util
import json
import math
import sqlite3
import sys
import textwrap
from io import StringIO
from pathlib import Path
from types import ModuleType

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from routeplan.audit_cli import audit_command
from routeplan.cli import main
from routeplan.history_cli import record_command, report_command
from routeplan.io.store import SCHEMA_VERSION, Store
from routeplan.outcomes import validate_outcomes
from routeplan.travel import EARTH_RADIUS_M
from tests.helpers import ROOT, SAMPLES, make_plan, old_database, plan_tiny, read_csv

TODAY = "2026-12-01"
PROOF_HEADER = (
    "account_id,agent_id,visit_date,outcome,amount_paid,ptp_date,ptp_amount,notes,"
    "checkin_time,checkout_time,checkin_lat,checkin_lon,gps_accuracy_m,evidence,receipt_no,"
    "photo_ref\n"
)
OLD_HEADER = "account_id,agent_id,visit_date,outcome,amount_paid,ptp_date,ptp_amount,notes\n"
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180
#: where the stored plan puts each account
PLACES = {"A1": (31.2300, 121.4700), "A2": (31.2400, 121.4700), "A3": (31.2000, 121.4400)}
#: the honest proof of each planned visit: check-in, check-out, position
A1 = "09:30,10:00,31.230000,121.470000,10,ID;AUTH;CONTRACT"
A2 = "10:30,11:00,31.240000,121.470000,10,ID;AUTH"
A3 = "14:00,14:30,31.200000,121.440000,10,ID;AUTH"
HOSTILE = '"<img src=x onerror=alert(1)>"'


def run(command: click.Command, *args: str | Path) -> click.testing.Result:
    return CliRunner().invoke(command, [str(a) for a in args], catch_exceptions=False)


def write(path: Path, body: str, header: str = PROOF_HEADER) -> Path:
    path.write_text(header + textwrap.dedent(body), encoding="utf-8")
    return path


@pytest.fixture
def proof_db(tmp_path: Path) -> Path:
    """A plan of 2026-12-01 with places, A1's window 09:00-12:00 and a coded checklist."""
    plan = make_plan()
    it = plan["itineraries"]
    assert isinstance(it, pd.DataFrame)
    it["lat"] = [PLACES.get(a, (None, None))[0] for a in it["account_id"]]
    it["lon"] = [PLACES.get(a, (None, None))[1] for a in it["account_id"]]
    it["visit_window"] = ["09:00-12:00" if a == "A1" else "" for a in it["account_id"]]
    checklist = pd.DataFrame(
        [
            ("A1", "AG1", "Collector ID card", "evidence", "ID"),
            ("A1", "AG1", "Creditor's authorization letter", "evidence", "AUTH"),
            ("A1", "AG1", "Loan contract (copy)", "evidence", "CONTRACT"),
            ("A1", "AG1", "Instalment plan: 6 months", "settlement", "INST6"),
            ("A1", "AG1", "Receipt book", "form", "RECEIPTS"),
            ("A2", "AG1", "Collector ID card", "evidence", "ID"),
            ("A3", "AG2", "Senior sign-off", "evidence", "SENIOR_SIGNOFF"),
        ],
        columns=["account_id", "agent_id", "item", "category", "code"],
    )
    places = pd.DataFrame(
        [(a, lat, lon) for a, (lat, lon) in {**PLACES, "D1": (31.25, 121.49)}.items()],
        columns=["account_id", "lat", "lon"],
    )
    path = tmp_path / "proof.db"
    with Store(path) as s:
        s.save_plan(**plan, checklist=checklist, places=places)  # type: ignore[arg-type]
    return path


def flags_of(db: Path) -> list[tuple[str, str, str, str]]:
    """Return the stored ``(account, agent, flag, status)`` findings, sorted."""
    with Store(db) as s:
        _visits, found = s.verification()
    return sorted(
        zip(found["account_id"], found["agent_id"], found["flag"], found["status"], strict=True)
    )


def flagged_of(db: Path) -> list[tuple[str, str]]:
    return [(a, f) for a, _g, f, s in flags_of(db) if s == "flagged"]


# --- record: flags per row, idempotent, corrections, neighbours ------------------------------


def test_record_prints_each_flag_and_stores_it(tmp_path: Path, proof_db: Path) -> None:
    """An honest A1, a 2-minute A2 and a payment at A3 without receipt: two rows flagged."""
    src = write(
        tmp_path / "o.csv",
        f"""\
        A1,AG1,2026-12-01,refused,,,,,{A1},,
        A2,AG1,2026-12-01,refused,,,,,10:30,10:32,31.240000,121.470000,10,ID;AUTH,,
        A3,AG2,2026-12-01,paid,300,,,,{A3};SENIOR_SIGNOFF,,p.jpg
        """,
    )
    res = run(record_command, src, "--db", proof_db, "--today", TODAY)
    assert res.exit_code == 0, res.output
    assert res.stdout == (
        f"o.csv -> {proof_db}: 3 new, 0 unchanged, 0 corrected, 0 rejected, 2 flagged\n"
    )
    assert res.stderr.splitlines() == [
        "flagged: o.csv, row 3: visit of A2 by AG1 on 2026-12-01: too_short: 2 min at the door "
        "(10:30-10:32); at least 5 min when someone is met",
        "flagged: o.csv, row 4: visit of A3 by AG2 on 2026-12-01: payment_without_receipt: "
        "300.00 collected without a receipt number",
    ]
    assert flagged_of(proof_db) == [("A2", "too_short"), ("A3", "payment_without_receipt")]
    assert [s for *_x, s in flags_of(proof_db)] == ["flagged", "flagged"]  # nothing unverified


def test_record_with_proof_is_idempotent(tmp_path: Path, proof_db: Path) -> None:
    """The same file recorded twice changes nothing, flags included, and prints no flag again."""
    src = write(
        tmp_path / "o.csv",
        f"""\
        A1,AG1,2026-12-01,refused,,,,,09:30,09:31,31.230000,121.470000,10,ID,,
        A2,AG1,2026-12-01,not_home,,,,,{A2},,
        """,
    )
    assert run(record_command, src, "--db", proof_db, "--today", TODAY).exit_code == 0
    conn = sqlite3.connect(proof_db)
    before = conn.execute("SELECT * FROM visit_flags ORDER BY 1, 2, 3, 4").fetchall()
    outcomes = conn.execute("SELECT * FROM outcomes ORDER BY 1, 2, 3").fetchall()
    conn.close()
    assert {r[3] for r in before} == {"too_short", "missing_evidence"}
    again = run(record_command, src, "--db", proof_db, "--today", TODAY)
    assert again.exit_code == 0
    assert "0 new, 2 unchanged, 0 corrected, 0 rejected, 0 flagged" in again.stdout
    assert "flagged:" not in again.stderr
    conn = sqlite3.connect(proof_db)
    assert conn.execute("SELECT * FROM visit_flags ORDER BY 1, 2, 3, 4").fetchall() == before
    assert conn.execute("SELECT * FROM outcomes ORDER BY 1, 2, 3").fetchall() == outcomes
    conn.close()


def test_corrected_row_recomputes_its_flags_and_keeps_the_old_ones(
    tmp_path: Path, proof_db: Path
) -> None:
    """A too-short visit corrected to 30 minutes loses its flag; the revision keeps it."""
    first = write(
        tmp_path / "a.csv",
        "A1,AG1,2026-12-01,refused,,,,,09:30,09:32,31.23,121.47,10,ID;AUTH;CONTRACT,,\n",
    )
    fixed = write(tmp_path / "b.csv", f"A1,AG1,2026-12-01,refused,,,,,{A1},,\n")
    assert run(record_command, first, "--db", proof_db, "--today", TODAY).exit_code == 0
    assert flagged_of(proof_db) == [("A1", "too_short")]
    res = run(record_command, fixed, "--db", proof_db, "--today", TODAY)
    assert "0 new, 0 unchanged, 1 corrected, 0 rejected, 0 flagged" in res.stdout
    assert flagged_of(proof_db) == []
    with Store(proof_db) as s:
        revisions = s.outcome_revisions()
    assert list(revisions["checkout_time"]) == ["2026-12-01 09:32"]
    old_flags = json.loads(revisions["flags_json"].iloc[0])
    assert [f["flag"] for f in old_flags] == ["too_short"]


def test_a_later_file_rechecks_visits_recorded_earlier(tmp_path: Path, proof_db: Path) -> None:
    """A2 recorded at 09:45; A1 recorded later at 09:30-10:00: A2 now overlaps and says so."""
    a2 = write(
        tmp_path / "a.csv", "A2,AG1,2026-12-01,refused,,,,,09:45,10:15,31.24,121.47,10,ID;AUTH,,\n"
    )
    a1 = write(tmp_path / "b.csv", f"A1,AG1,2026-12-01,refused,,,,,{A1},,\n")
    assert run(record_command, a2, "--db", proof_db, "--today", TODAY).exit_code == 0
    assert flagged_of(proof_db) == []
    res = run(record_command, a1, "--db", proof_db, "--today", TODAY)
    assert res.exit_code == 0
    assert "rechecked: visit of A2 by AG1 on 2026-12-01 (recorded earlier): now overlapping" in (
        res.stderr
    )
    assert flagged_of(proof_db) == [("A2", "overlapping")]


def test_duplicate_receipt_across_files(tmp_path: Path, proof_db: Path) -> None:
    """A receipt number given at A1 and, in a later file, again at A3: the later use is flagged."""
    a1 = write(tmp_path / "a.csv", f"A1,AG1,2026-12-01,paid,100,,,,{A1},R-77,\n")
    a3 = write(tmp_path / "b.csv", f"A3,AG2,2026-12-01,paid,90,,,,{A3};SENIOR_SIGNOFF,r-77,\n")
    run(record_command, a1, "--db", proof_db, "--today", TODAY)
    res = run(record_command, a3, "--db", proof_db, "--today", TODAY)
    assert (
        "duplicate_receipt: receipt r-77 already given on the visit of A1 by AG1 on 2026-12-01"
        in res.stderr
    )
    assert flagged_of(proof_db) == [("A3", "duplicate_receipt")]


def test_unplanned_and_other_agents_visits(tmp_path: Path, proof_db: Path) -> None:
    """D1 (dropped) visited by AG1 is not_planned; A3 visited by AG1 is planned_other_agent."""
    src = write(
        tmp_path / "o.csv",
        """\
        D1,AG1,2026-12-01,refused,,,,,12:00,12:30,31.25,121.49,10,ID;AUTH,,
        A3,AG1,2026-12-01,refused,,,,,15:00,15:30,31.20,121.44,10,ID;AUTH;SENIOR_SIGNOFF,,
        """,
    )
    res = run(record_command, src, "--db", proof_db, "--today", TODAY)
    assert res.exit_code == 0, res.output
    assert flagged_of(proof_db) == [("A3", "planned_other_agent"), ("D1", "not_planned")]
    assert "planned_other_agent: planned for agent AG2 on 2026-12-01, not AG1" in res.stderr


def test_compliance_incident_is_named(tmp_path: Path, proof_db: Path) -> None:
    """A visit after 22:00 in a CN plan is reported as a compliance incident."""
    src = write(
        tmp_path / "o.csv",
        "A3,AG2,2026-12-01,refused,,,,,22:05,22:35,31.2,121.44,10,ID;AUTH;SENIOR_SIGNOFF,,\n",
    )
    res = run(record_command, src, "--db", proof_db, "--today", TODAY)
    assert (
        "flagged: o.csv, row 2: visit of A3 by AG2 on 2026-12-01: outside_legal_hours "
        "(compliance incident): at the door 22:05-22:35, outside the legal hours 08:00-22:00 (CN)"
        in res.stderr
    )


def test_accounts_file_locates_accounts_no_plan_locates(tmp_path: Path, db: Path) -> None:
    """Without places in the stored plan the distance is unverified; --accounts supplies them."""
    src = write(
        tmp_path / "o.csv", "A1,AG1,2026-12-01,not_home,,,,,09:30,09:35,31.2390,121.47,10,,,\n"
    )
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(
        "account_id,debtor_name,address,lat,lon,balance,days_past_due,contact_attempts_30d\n"
        "A1,n,1 Main St,31.2300,121.4700,20000,120,5\n",
        encoding="utf-8",
    )
    res = run(record_command, src, "--db", db, "--today", TODAY)
    assert "1 not fully verified" in res.stdout
    assert ("A1", "AG1", "far_from_address", "unverified") in flags_of(db)
    src.write_text(src.read_text().replace("09:35", "09:40"))  # a correction: checked again
    res = run(record_command, src, "--db", db, "--today", TODAY, "--accounts", accounts)
    assert res.exit_code == 0, res.output
    assert ("A1", "far_from_address") in flagged_of(db)  # 1 km north of 31.2300


# --- refused rows ---------------------------------------------------------------------------


def _check(line: str) -> list[tuple[int | None, str, str]]:
    frame = pd.read_csv(StringIO(PROOF_HEADER + line), dtype=str, keep_default_na=False)
    got = validate_outcomes(
        frame,
        file="o.csv",
        today=pd.Timestamp(TODAY).date(),
        known_accounts={"A1"},
        known_agents={"AG1"},
        known_codes={"SENIOR_SIGNOFF"},
    )
    return [(p.row, p.column, p.problem) for p in got.rejected]


@pytest.mark.parametrize(
    ("proof", "column", "fragment"),
    [
        ("09:30,10:00,95,121.47,10,ID,,", "checkin_lat", "95 is outside [-90, 90]"),
        ("09:30,10:00,31.2,181,10,ID,,", "checkin_lon", "181 is outside [-180, 180]"),
        ("09:30,10:00,31.2,,10,ID,,", "checkin_lon", "empty, but checkin_lat is given"),
        ("09:30,10:00,north,121.4,10,ID,,", "checkin_lat", "'north' is not a number"),
        ("09:30,10:00,31.2,121.4,-3,ID,,", "gps_accuracy_m", "-3 is outside >= 0"),
        ("09:30,10:00,31.2,121.4,nan,ID,,", "gps_accuracy_m", "not a finite number"),
        ("10:00,09:30,31.2,121.4,10,ID,,", "checkout_time", "09:30 is before check-in 10:00"),
        ("09:30,10:00,31.2,121.4,10,ID;FOO,,", "evidence", "unknown item code 'FOO'"),
        ("25:00,,31.2,121.4,10,ID,,", "checkin_time", "not a valid time of day"),
        ("10h30,,31.2,121.4,10,ID,,", "checkin_time", "not a time in HH:MM form"),
        ("2026-12-02 10:00,,31.2,121.4,10,ID,,", "checkin_time", "not the visit date"),
        ("09:30,2026-12-03 10:00,,,,ID,,", "checkout_time", "check-out dated 2026-12-03"),
        ("09:30,10:00,,,,ID,R-1,", "receipt_no", "on a visit with no amount_paid"),
    ],
)
def test_bad_proof_is_refused_naming_the_column(proof: str, column: str, fragment: str) -> None:
    """Each kind of bad proof refuses the row, naming the column and the problem."""
    problems = _check(f"A1,AG1,2026-12-01,refused,,,,,{proof}\n")
    assert len(problems) == 1, problems
    row, col, problem = problems[0]
    assert (row, col) == (2, column)
    assert fragment in problem


def test_good_proof_forms_are_accepted() -> None:
    """Full date-time check-in, next-day check-out, codes in any case, a stored plan's code."""
    assert (
        _check(
            "A1,AG1,2026-12-01,refused,,,,,2026-12-01 23:50,2026-12-02 00:10,31.2,121.4,,"
            " id ; auth;senior_signoff;INST6,,\n"
        )
        == []
    )


def test_refused_proof_goes_to_the_rejection_report(tmp_path: Path, proof_db: Path) -> None:
    """Through record: the bad row is in NAME_rejected.csv with its column; the good row is kept."""
    src = write(
        tmp_path / "o.csv",
        f"""\
        A1,AG1,2026-12-01,refused,,,,,{A1},,
        A2,AG1,2026-12-01,refused,,,,,11:00,10:30,31.24,121.47,10,ID;AUTH,,
        """,
    )
    res = run(record_command, src, "--db", proof_db, "--today", TODAY)
    assert res.exit_code == 0
    assert "1 new, 0 unchanged, 0 corrected, 1 rejected" in res.stdout
    assert "rejected: o.csv, row 3, column checkout_time: check-out 10:30 is before" in res.stderr
    report = pd.read_csv(tmp_path / "o_rejected.csv", encoding="utf-8-sig", dtype=str)
    assert list(zip(report["row"], report["column"], report["record_id"], strict=True)) == [
        ("3", "checkout_time", "A2")
    ]


# --- compatibility and migration --------------------------------------------------------------


def test_old_outcome_files_record_as_before(tmp_path: Path, proof_db: Path) -> None:
    """A file without proof columns records; only the plan match is checked; report says so."""
    src = write(
        tmp_path / "old.csv",
        """\
        A1,AG1,2026-12-01,ptp,,2026-12-10,500,will pay
        A3,AG1,2026-12-01,refused,,,,
        """,
        header=OLD_HEADER,
    )
    res = run(record_command, src, "--db", proof_db, "--today", TODAY)
    assert res.exit_code == 0
    assert "2 new, 0 unchanged, 0 corrected, 0 rejected, 1 flagged, 1 not fully verified" in (
        res.stdout
    )
    assert (
        "note: old.csv has no checkin_time, checkout_time, checkin_lat, checkin_lon, "
        "gps_accuracy_m, evidence, receipt_no column(s)" in res.stderr
    )
    assert flagged_of(proof_db) == [("A3", "planned_other_agent")]
    rep = run(report_command, "--from", TODAY, "--to", TODAY, "--db", proof_db)
    assert "Could not verify:" in rep.stdout
    assert (
        "  too_short on 2 visit(s): needs checkin_time and checkout_time" in rep.stdout.splitlines()
    )
    table = pd.read_csv(
        StringIO(
            run(report_command, "--from", TODAY, "--to", TODAY, "--db", proof_db, "--csv").stdout
        )
    ).set_index("agent_id")
    assert table.loc["ALL", ["verified_clean", "partly_verified", "visits_flagged"]].tolist() == [
        0,
        1,
        1,
    ]
    assert table.loc["AG1", "flag_planned_other_agent"] == 1
    assert table.loc["ALL", "unverified_far_from_address"] == 2


def test_version_2_database_migrates_and_its_visits_are_checked_on_demand(
    tmp_path: Path,
) -> None:
    """A version-2 file opens at the current version; its old visit counts as not checked
    until its file is recorded again, which checks it (and changes nothing else)."""
    path = tmp_path / "v2.db"
    old_database(path, 2, outcome="refused")
    with Store(path) as s:
        assert s.schema_version == SCHEMA_VERSION == 3
        visits, found = s.verification()
        assert list(visits["proof_checked"]) == [False] and found.empty
        assert s.item_codes() == frozenset()
    rep = run(report_command, "--from", TODAY, "--to", TODAY, "--db", path, "--csv")
    assert pd.read_csv(StringIO(rep.stdout)).set_index("agent_id").loc["ALL", "not_checked"] == 1
    src = write(tmp_path / "old.csv", "A1,AG1,2026-12-01,refused,,,,\n", header=OLD_HEADER)
    res = run(record_command, src, "--db", path, "--today", TODAY)
    assert "0 new, 1 unchanged, 0 corrected, 0 rejected, 0 flagged, 1 not fully verified" in (
        res.stdout
    )
    rep = run(report_command, "--from", TODAY, "--to", TODAY, "--db", path, "--csv")
    row = pd.read_csv(StringIO(rep.stdout)).set_index("agent_id").loc["ALL"]
    assert (row["not_checked"], row["partly_verified"]) == (0, 1)
    with Store(path) as s:
        assert s.outcome_revisions().empty  # checked, not corrected


# --- audit --------------------------------------------------------------------------------------


@pytest.fixture
def audited(tmp_path: Path, proof_db: Path) -> Path:
    """proof_db with A1 clean, A2 short and far, A3 paid after 22:00 without receipt."""
    far = f"{PLACES['A2'][0] + 900 / M_PER_DEG:.6f}"
    src = write(
        tmp_path / "o.csv",
        f"""\
        A1,AG1,2026-12-01,refused,,,,,{A1},,
        A2,AG1,2026-12-01,refused,,,,"said <b>bye</b>",10:30,10:33,{far},121.470000,12,ID;AUTH,,
        A3,AG2,2026-12-01,paid,40,,,,22:05,22:40,31.2,121.44,8,ID;AUTH;SENIOR_SIGNOFF,,{HOSTILE}
        """,
    )
    assert run(record_command, src, "--db", proof_db, "--today", TODAY).exit_code == 0
    return proof_db


def test_audit_csv_is_one_row_per_flag(audited: Path) -> None:
    """--csv: visit_date, agent_id, account_id, flag, detail for every flag, in check order."""
    res = run(audit_command, "--from", TODAY, "--to", TODAY, "--db", audited, "--csv")
    assert res.exit_code == 0, res.output
    table = pd.read_csv(StringIO(res.stdout), dtype=str)
    assert list(table.columns) == ["visit_date", "agent_id", "account_id", "flag", "detail"]
    assert list(zip(table["account_id"], table["flag"], strict=True)) == [
        ("A2", "far_from_address"),
        ("A2", "too_short"),
        ("A3", "outside_legal_hours"),
        ("A3", "payment_without_receipt"),
    ]
    assert table["detail"].iloc[0] == (
        "check-in 900 m from the account's address (at most 250 m + 12 m accuracy)"
    )
    only_ag2 = run(
        audit_command, "--from", TODAY, "--to", TODAY, "--db", audited, "--csv", "--agent", "AG2"
    )
    assert set(pd.read_csv(StringIO(only_ag2.stdout))["account_id"]) == {"A3"}


def test_audit_text_shows_the_evidence(audited: Path) -> None:
    """The listing gives each flagged visit's check-in, distance, codes, notes and its flags."""
    res = run(audit_command, "--from", TODAY, "--to", TODAY, "--db", audited)
    lines = res.stdout.splitlines()
    assert lines[0] == f"Flagged visits {TODAY} to {TODAY}: 2 visit(s), 4 flag(s) ({audited})"
    assert lines[1] == "2026-12-01  AG1 (Name AG1)  A2  refused"
    assert lines[2].startswith("  checked in 10:30 - 10:33 at 31.24809, 121.47000 (±12 m), 900 m")
    assert lines[3] == "  evidence: ID;AUTH; notes: said <b>bye</b>"
    assert "  - outside_legal_hours (compliance incident): at the door 22:05-22:40" in res.stdout


def test_audit_html_escapes_and_masks(audited: Path, tmp_path: Path) -> None:
    """The page maps check-in against the address; typed text is inert, addresses cut."""
    page = tmp_path / "audit.html"
    res = run(audit_command, "--from", TODAY, "--to", TODAY, "--db", audited, "--html", page)
    assert res.exit_code == 0, res.output
    html = page.read_text(encoding="utf-8")
    assert '<meta name="generator" content="routeplan audit">' in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "2 Main St" not in html and "Main St" in html  # address cut to street level
    assert html.count("L.polyline(") == 2  # check-in to address, per visit with both
    shown = run(
        audit_command,
        *("--from", TODAY, "--to", TODAY, "--db", audited, "--html", page, "--show-names"),
    )
    assert shown.exit_code == 0  # our own page is replaced
    assert "2 Main St" in page.read_text(encoding="utf-8")


def test_audit_html_never_overwrites_someone_elses_file(audited: Path, tmp_path: Path) -> None:
    """An existing file routeplan did not write is refused in one line and left alone."""
    mine = tmp_path / "notes.html"
    mine.write_text("<p>my notes</p>", encoding="utf-8")
    res = CliRunner().invoke(
        main, ["audit", "--from", TODAY, "--to", TODAY, "--db", str(audited), "--html", str(mine)]
    )
    assert res.exit_code == 1
    assert "not an audit page routeplan wrote" in res.output
    assert res.output.count("\n") == 1
    assert mine.read_text(encoding="utf-8") == "<p>my notes</p>"


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2026-12-07", "--to", "2026-12-01"],
        ["--from", "12/01/2026", "--to", "2026-12-07"],
        ["--to", "2026-12-07"],
    ],
)
def test_audit_wrong_usage_exits_2(audited: Path, args: list[str]) -> None:
    """Reversed or malformed dates and a missing --from are wrong usage (exit 2)."""
    assert run(audit_command, *args, "--db", audited).exit_code == 2


def test_audit_has_help_with_example() -> None:
    """audit documents itself with an Example: line."""
    res = run(main, "audit", "--help")
    assert res.exit_code == 0 and "Example:" in res.stdout and "routeplan audit" in res.stdout


def test_audit_without_database_exits_1(tmp_path: Path) -> None:
    """audit refuses a missing database instead of creating one."""
    res = CliRunner().invoke(
        main, ["audit", "--from", TODAY, "--to", TODAY, "--db", str(tmp_path / "none.db")]
    )
    assert res.exit_code == 1 and "no history database" in res.output
    assert not (tmp_path / "none.db").exists()


# --- the samples, end to end -------------------------------------------------------------------


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "proof_outcomes", ROOT / "data" / "samples" / "proof_outcomes.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_samples_audit_finds_exactly_the_dishonest_visits(tmp_path: Path) -> None:
    """Plan the sample day with --db, record clean and dishonest proof: audit flags exactly the
    dishonest visits, each with the flag it was made for; report and a second record agree."""
    db, out = tmp_path / "h.db", tmp_path / "plan"
    res = run(
        main,
        "plan",
        *("--accounts", SAMPLES / "accounts.csv", "--agents", SAMPLES / "agents.csv"),
        *("--date", TODAY, "--out", out, "--time-limit", "3", "--db", db, "--no-geocode", "-q"),
    )
    assert res.exit_code == 0, res.output
    outcomes, key = tmp_path / "outcomes.csv", tmp_path / "key.csv"
    _generator().main([str(out), "--out", str(outcomes), "--key", str(key)])
    dishonest = pd.read_csv(key, dtype=str, encoding="utf-8-sig")
    assert len(dishonest) == 9 and dishonest["flag"].is_unique
    rec = run(main, "record", outcomes, "--db", db, "--today", TODAY)
    assert rec.exit_code == 0, rec.output
    n = len(pd.read_csv(outcomes, dtype=str, encoding="utf-8-sig"))
    assert f"{n} new, 0 unchanged, 0 corrected, 0 rejected, 9 flagged\n" in rec.stdout
    audit = run(main, "audit", "--from", TODAY, "--to", TODAY, "--db", db, "--csv")
    flags = pd.read_csv(StringIO(audit.stdout), dtype=str)
    found = set(zip(flags["account_id"], flags["agent_id"], strict=True))
    assert found == set(zip(dishonest["account_id"], dishonest["agent_id"], strict=True))
    for acc, agent, flag in dishonest.itertuples(index=False):
        mine = flags[(flags["account_id"] == acc) & (flags["agent_id"] == agent)]
        assert flag in set(mine["flag"]), (acc, agent, flag, list(mine["flag"]))
    report = run(main, "report", "--from", TODAY, "--to", TODAY, "--db", db, "--csv")
    total = pd.read_csv(StringIO(report.stdout)).set_index("agent_id").loc["ALL"]
    assert (total["verified_clean"], total["visits_flagged"], total["partly_verified"]) == (
        n - 9,
        9,
        0,
    )
    assert total["compliance_incidents"] == 1
    again = run(main, "record", outcomes, "--db", db, "--today", TODAY)
    assert f"0 new, {n} unchanged, 0 corrected, 0 rejected, 0 flagged\n" in again.stdout
    assert run(main, "audit", "--from", TODAY, "--to", TODAY, "--db", db, "--csv").stdout == (
        audit.stdout
    )


# --- the route sheet remembers ---------------------------------------------------------------


def test_day_two_sheet_shows_what_happened_on_day_one(tiny_dir: Path, tmp_path: Path) -> None:
    """Not home on day 1 with a note; day 2's sheet (plan --db) shows it on the stop, and a
    redraw (routeplan map) keeps it."""
    db = tmp_path / "h.db"
    day1, day2 = tmp_path / "d1", tmp_path / "d2"
    assert plan_tiny(tiny_dir, day1, "--db", str(db)).exit_code == 0
    template = pd.read_csv(day1 / "outcomes_template.csv", dtype=str, keep_default_na=False)
    template.loc[:, "outcome"] = "not_home"
    template.loc[:, "notes"] = "neighbour says evenings"
    template.to_csv(tmp_path / "day1.csv", index=False)
    assert run(main, "record", tmp_path / "day1.csv", "--db", db, "--today", TODAY).exit_code == 0
    res = plan_tiny(tiny_dir, day2, "--db", str(db), date="2026-12-02")
    assert res.exit_code == 0, res.output
    last = pd.read_csv(day2 / "last_visits.csv", dtype=str, encoding="utf-8-sig")
    planned = read_csv(day2 / "itineraries.csv").query("kind == 'visit'")
    assert set(last["account_id"]) == set(planned["account_id"]) & set(template["account_id"])
    account = last["account_id"].iloc[0]
    agent = planned.set_index("account_id").loc[account, "agent_id"]
    sheet = (day2 / "sheets" / f"{agent}.html").read_text(encoding="utf-8")
    block = sheet[sheet.index(f'data-account="{account}"') :]
    assert "2026-12-01" in block and "(not_home)" in block
    assert "<q>neighbour says evenings</q>" in block[: block.index("</section>")]
    assert run(main, "map", day2).exit_code == 0
    assert "<q>neighbour says evenings</q>" in (day2 / "sheets" / f"{agent}.html").read_text(
        encoding="utf-8"
    )


def test_a_flood_of_unknown_codes_is_one_short_problem() -> None:
    """Forty unknown evidence codes refuse the row with the first five named, not a wall."""
    codes = ";".join(f"X{k:02d}" + "Y" * 30 for k in range(40))
    problems = _check(f"A1,AG1,2026-12-01,refused,,,,,09:30,10:00,,,,{codes},,\n")
    assert len(problems) == 1
    _row, column, problem = problems[0]
    assert column == "evidence"
    assert problem.startswith("unknown item code 'X00YYYYYYYYYYYYYYYYYY...', 'X01")
    assert "and 35 more:" in problem and len(problem) < 300
