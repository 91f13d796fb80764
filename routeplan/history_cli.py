"""``routeplan record``, ``routeplan history`` and ``routeplan report``.

A thin layer over :func:`routeplan.commands.record_outcomes`,
:func:`~routeplan.commands.history_trail` and
:func:`~routeplan.commands.report_activity`; ``routeplan.cli`` registers the
commands on the main group. Expected failures end with one line on stderr and
exit 1 (click); wrong usage exits 2.

``record`` writes its rejection report next to the outcomes file, as
``NAME_rejected.csv`` (``file, row, column, problem, record_id``, the last
being the row's account_id; header only when every row was good, so the file
always reflects the latest run) unless ``--rejected`` names another file; the
refused rows are also printed to stderr, and so is every flag the proof checks
raised on a stored visit (one line each; a compliance incident says so). It
exits 0 when the file was usable (even with some rows refused or visits
flagged) and 1 when the file cannot be used at all or none of its rows could
be recorded.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import click
import pandas as pd

from routeplan.cli_common import (
    DATE,
    config_option,
    db_option,
    fail_cleanly,
    file_option,
    history_db,
)
from routeplan.commands import (
    history_trail,
    record_outcomes,
    rejected_path_for,
    report_activity,
    report_fairness,
)
from routeplan.config import load_config
from routeplan.history import OVERALL, REPORT_COLUMNS, report_json
from routeplan.io.safe import neutralise_frame
from routeplan.io.store import RecordReport
from routeplan.io.store.checks import VisitFindings
from routeplan.proof import COMPLIANCE_FLAGS, NEEDS, Finding, Flag
from routeplan.schema import PHOTO_REF, PROOF_COLUMNS
from routeplan.workload import fairness_lines, fairness_table

# --- record ---------------------------------------------------------------------------


@click.command("record")
@click.argument("outcomes_csv", type=click.Path(dir_okay=False, path_type=Path))
@db_option
@click.option(
    "--today",
    type=DATE,
    default=None,
    help="Date visits may not be after (default: today's date).",
)
@click.option(
    "--rejected",
    "rejected_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Rejection report to write (default: OUTCOMES_CSV's folder, NAME_rejected.csv).",
)
@config_option
@file_option(
    "--accounts",
    "accounts_path",
    "Portfolio: locates accounts no stored plan has a location for (check-in distance).",
)
@fail_cleanly
def record_command(
    outcomes_csv: Path,
    db_path: Path | None,
    today: dt.date | None,
    rejected_path: Path | None,
    config_path: Path | None,
    accounts_path: Path | None,
) -> None:
    """Record visit outcomes (contract outcomes format) in the history database.

    Rows naming an unknown account or agent, an unknown outcome code, a visit
    in the future, a promise (ptp) without ptp_date, a negative amount, bad
    check-in times or coordinates, a check-out before the check-in or an
    unknown evidence code are refused: they are printed to stderr and written
    to the rejection report. Good rows are stored; recording the same file
    again changes nothing (a visit is one account, agent and visit date; a row
    with new values for a stored visit corrects it). Rows of the plan's
    outcomes template left blank are skipped.

    Every stored visit is checked against the plan, the place and the law
    (the config's [audit] settings): far_from_address, outside_legal_hours (a
    compliance incident), outside_window, not_planned, planned_other_agent,
    too_short, overlapping, impossible_travel, missing_evidence,
    payment_without_receipt, duplicate_receipt. A flag does not refuse the
    row; each is printed to stderr. Checks whose columns the file lacks are
    skipped and counted as "not fully verified".

    \b
    Example:
      routeplan record plans/2026-12-01/outcomes_template.csv --db routeplan.db
    """
    target = rejected_path or rejected_path_for(outcomes_csv)
    if target.resolve() == outcomes_csv.resolve():
        raise click.UsageError(
            f"--rejected {target} is the outcomes file itself; name another file"
        )
    db = history_db(db_path)
    report = record_outcomes(
        outcomes_csv,
        db,
        today=today,
        rejected=target,
        config=load_config(config_path),
        accounts=accounts_path,
    )
    for problem in report.rejected:
        click.echo(f"rejected: {problem.message()}", err=True)
    for visit in report.findings:
        for finding in visit.flags:
            where = f"{outcomes_csv.name}, row {visit.row}: {_visit_words(visit)}"
            click.echo(f"flagged: {where}: {_flag_words(finding)}", err=True)
    for visit in report.rechecked:
        now = ", ".join(f.flag for f in visit.flags) or "no flag"
        click.echo(f"rechecked: {_visit_words(visit)} (recorded earlier): now {now}", err=True)
    missing = [c for c in PROOF_COLUMNS if c not in report.proof_columns and c != PHOTO_REF]
    if report.stored and missing:
        click.echo(
            f"note: {outcomes_csv.name} has no {', '.join(missing)} column(s): the checks "
            "needing them were not made (routeplan report lists what could not be verified)",
            err=True,
        )
    click.echo(_record_line(outcomes_csv, db, report))
    if report.filled and report.stored == 0:
        raise click.ClickException(
            f"{outcomes_csv}: none of {report.filled} rows could be recorded; see {target}"
        )


def _visit_words(visit: VisitFindings) -> str:
    account, agent, day = visit.key
    return f"visit of {account} by {agent} on {day}"


def _flag_words(finding: Finding) -> str:
    """Return ``flag: detail``, a compliance incident named as such."""
    tag = (
        f"{finding.flag} (compliance incident)"
        if finding.flag in COMPLIANCE_FLAGS
        else finding.flag
    )
    return f"{tag}: {finding.detail}"


def _record_line(source: Path, db: Path, report: RecordReport) -> str:
    parts = [
        f"{report.inserted} new",
        f"{report.unchanged} unchanged",
        f"{report.updated} corrected",
        f"{len(report.rejected)} rejected",
        f"{len(report.flagged)} flagged",
    ]
    if report.not_fully_verified:
        parts.append(f"{report.not_fully_verified} not fully verified")
    if report.skipped:
        parts.append(f"{len(report.skipped)} not filled in")
    tail = f"; rejection report: {report.rejected_file}" if report.rejected else ""
    return f"{source.name} -> {db}: " + ", ".join(parts) + tail


# --- history --------------------------------------------------------------------------


@click.command("history")
@click.argument("account_id")
@db_option
@fail_cleanly
def history_command(account_id: str, db_path: Path | None) -> None:
    """Print an account's trail: every plan it was in, who went and what happened.

    For each plan: planned (agent, time, priority, why chosen), dropped (why)
    or excluded (every reason); for each recorded visit: agent, outcome,
    amounts, promise and notes.

    \b
    Example:
      routeplan history SZ100606 --db routeplan.db
    """
    db = history_db(db_path)
    lines = history_trail(account_id, db)
    if not lines:
        raise click.ClickException(f"{account_id}: no plan or outcome in {db} has it")
    click.echo(f"Account {account_id} ({db})")
    for line in lines:
        click.echo(line)


# --- report ---------------------------------------------------------------------------


@click.command("report")
@click.option("--from", "date_from", type=DATE, required=True, help="First day (YYYY-MM-DD).")
@click.option("--to", "date_to", type=DATE, required=True, help="Last day (YYYY-MM-DD).")
@db_option
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV to stdout.")
@click.option("--json", "as_json", is_flag=True, help="Write JSON to stdout.")
@click.option(
    "--fairness",
    "only_fairness",
    is_flag=True,
    help="Only the workload fairness per agent: with --csv one row per agent (agent_id, "
    "agent_name, days_worked, idle_days, visits, minutes, km, expected_recovery, visits_done, "
    "amount_collected), with --json the fairness block.",
)
@config_option
@file_option(
    "--accounts",
    "accounts_path",
    "Current portfolio: its last_payment_date keeps promises paid outside visits.",
)
@fail_cleanly
def report_command(
    date_from: dt.date,
    date_to: dt.date,
    db_path: Path | None,
    as_csv: bool,
    as_json: bool,
    only_fairness: bool,
    config_path: Path | None,
    accounts_path: Path | None,
) -> None:
    """Report per agent and overall: visits planned vs done, contacts, promises, money, km.

    Visits planned come from the last plan stored for each day; visits done
    are the recorded outcomes; contacts are visits where someone was met
    (not not_home, moved or wrong_address); promises taken in the period are
    kept, broken or still open as of --to (after the config's [history]
    ptp_grace_days, default 3; with --accounts, a portfolio
    last_payment_date after the promise keeps it too); km are those of the
    planned routes.

    The verification section says how the visits done were verified: clean
    (every check passed), partly verified (no flag, some check could not be
    made), flagged (by flag code), compliance incidents, and visits recorded
    before routeplan checked visits; then which checks could not be made on
    how many visits, and what they need. --csv and --json carry the same
    figures as columns (verified_clean, partly_verified, visits_flagged,
    compliance_incidents, not_checked, flag_<code>, unverified_<code>).

    The workload section is the fairness of the planned routes (the last
    plan stored for each day, week plans included): per agent, days worked,
    visits planned, minutes from leaving the base to returning, km,
    expected recovery, with visits done and amount collected; then the
    spread between agents (max - min) and the mean over agents of the
    standard deviation of their daily minutes (as plan-week's
    week_summary.json). --json carries it as "fairness"; --fairness --csv
    writes it as CSV, one row per agent (the spreads follow from the rows).

    \b
    Example:
      routeplan report --from 2026-12-01 --to 2026-12-07 --db routeplan.db --csv
    """
    if as_csv and as_json:
        raise click.UsageError("choose one of --csv and --json")
    if date_from > date_to:
        raise click.BadParameter(f"--from {date_from} is after --to {date_to}")
    db = history_db(db_path)
    table = report_activity(
        db, date_from, date_to, config=load_config(config_path), accounts=accounts_path
    )
    fairness = report_fairness(db, date_from, date_to, activity=table)
    if as_csv:
        shown = neutralise_frame(fairness_table(fairness)) if only_fairness else table
        click.echo(shown.to_csv(index=False, lineterminator="\n"), nl=False)
    elif as_json:
        doc = report_json(table, date_from, date_to) if not only_fairness else {}
        doc["fairness"] = fairness
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        if not only_fairness:
            click.echo(f"Field activity {date_from} to {date_to} ({db})")
            click.echo(_table_text(table))
            click.echo("")
            click.echo("Verification of the visits done (routeplan audit lists the flagged ones)")
            for line in _verification_lines(table):
                click.echo(line)
            click.echo("")
        click.echo(f"Workload per agent {date_from} to {date_to} (planned routes; {db})")
        for line in fairness_lines(fairness):
            click.echo(line)


def _verification_lines(table: pd.DataFrame) -> list[str]:
    """Return the verification section: a table per agent, then what could not be verified."""
    total = table[table["agent_id"] == OVERALL].iloc[0]
    flags = [f"flag_{f}" for f in Flag if int(total[f"flag_{f}"]) > 0]
    shown = table.loc[
        :,
        [
            "agent_id",
            "agent_name",
            "visits_done",
            "verified_clean",
            "partly_verified",
            "visits_flagged",
            "compliance_incidents",
            "not_checked",
            *flags,
        ],
    ].rename(
        columns={
            "visits_done": "recorded",
            "verified_clean": "clean",
            "partly_verified": "partly",
            "visits_flagged": "flagged",
            "compliance_incidents": "incidents",
            **{c: c.removeprefix("flag_") for c in flags},
        }
    )
    lines = str(shown.to_string(index=False)).splitlines()
    gaps = [(f, int(total[f"unverified_{f}"])) for f in NEEDS if int(total[f"unverified_{f}"])]
    if gaps:
        lines.append("Could not verify:")
        lines += [f"  {flag} on {n} visit(s): needs {NEEDS[flag]}" for flag, n in gaps]
    if int(total["not_checked"]):
        lines.append(
            f"  {int(total['not_checked'])} visit(s) were recorded before routeplan checked "
            "visits: record their file again to check them"
        )
    return lines


def _table_text(table: pd.DataFrame) -> str:
    """Return the report as an aligned text table with short headers, rates in %."""
    shown = table.loc[:, list(REPORT_COLUMNS)].copy()
    shown["contact_rate"] = [
        "" if _nan(v) else f"{100 * float(v):.0f}%" for v in shown["contact_rate"]
    ]
    shown["amount_collected"] = [f"{float(v):,.2f}" for v in shown["amount_collected"]]
    shown["km_planned"] = [f"{float(v):,.1f}" for v in shown["km_planned"]]
    shown = shown.rename(
        columns={
            "visits_planned": "planned",
            "visits_done": "done",
            "visits_done_unplanned": "unplanned",
            "contact_rate": "contact%",
            "promises_taken": "ptp",
            "promises_kept": "kept",
            "promises_broken": "broken",
            "promises_open": "open",
            "amount_collected": "collected",
            "km_planned": "km",
        }
    )
    return str(shown.to_string(index=False))


def _nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
