"""``routeplan record``, ``routeplan history`` and ``routeplan report``.

A thin layer over :mod:`routeplan.io.store`, :mod:`routeplan.outcomes` and
:mod:`routeplan.history`; ``routeplan.cli`` registers the commands on the main
group. Expected failures end with one line on stderr and exit 1 (click);
wrong usage exits 2.

``record`` writes its rejection report next to the outcomes file, as
``NAME_rejected.csv`` (``file, row, column, problem, record_id``, the last
being the row's account_id; header only when every row was good, so the file
always reflects the latest run) unless ``--rejected`` names another file; the
refused rows are also printed to stderr. It exits 0 when the file was usable
(even with some rows refused) and 1 when the file cannot be used at all or
none of its rows could be recorded.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click
import pandas as pd

from routeplan import schema as S
from routeplan.cli_common import DATE, fail_cleanly
from routeplan.config import load_config
from routeplan.errors import RouteplanError
from routeplan.history import OVERALL, activity_report
from routeplan.io.readers import read_accounts, read_table
from routeplan.io.safe import write_csv_atomic
from routeplan.io.store import DEFAULT_DB, RecordReport, Store
from routeplan.outcomes import validate_outcomes

F = TypeVar("F", bound=Callable[..., Any])


db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_DB,
    show_default=True,
    help="History database (SQLite) written by 'routeplan plan --db'.",
)


@contextmanager
def _open_store(db_path: Path) -> Iterator[Store]:
    """Open an existing history database (a missing one is an error, not created)."""
    if not db_path.exists():
        raise click.ClickException(
            f"{db_path}: no history database; plan with 'routeplan plan --db {db_path}' first"
        )
    try:
        store = Store(db_path)
    except RouteplanError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield store
    finally:
        store.close()


# --- record ---------------------------------------------------------------------------


def rejected_path_for(outcomes_csv: Path) -> Path:
    """Return where ``record`` writes the rejection report by default."""
    return outcomes_csv.with_name(f"{outcomes_csv.stem}_rejected.csv")


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
@fail_cleanly
def record_command(
    outcomes_csv: Path, db_path: Path, today: dt.date | None, rejected_path: Path | None
) -> None:
    """Record visit outcomes (contract outcomes format) in the history database.

    Rows naming an unknown account or agent, an unknown outcome code, a visit
    in the future, a promise (ptp) without ptp_date or a negative amount are
    refused: they are printed to stderr and written to the rejection report.
    Good rows are stored; recording the same file again changes nothing (a
    visit is one account, agent and visit date; a row with new values for a
    stored visit corrects it). Visits no plan had are stored but flagged.
    Rows of the plan's outcomes template left blank are skipped.

    \b
    Example:
      routeplan record plans/2026-12-01/outcomes_template.csv --db routeplan.db
    """
    day = today or dt.date.today()
    target = rejected_path or rejected_path_for(outcomes_csv)
    if target.resolve() == outcomes_csv.resolve():
        raise click.UsageError(
            f"--rejected {target} is the outcomes file itself; name another file"
        )
    # read_table's _row is the row a spreadsheet shows (blank lines count): keep it
    frame, _encoding = read_table(outcomes_csv)
    with _open_store(db_path) as store:
        checked = validate_outcomes(
            frame,
            file=outcomes_csv.name,
            today=day,
            known_accounts=store.known_accounts(),
            known_agents=store.known_agents(),
        )
        report = store.record_outcomes(
            checked.rows, source=str(outcomes_csv), rejected=checked.rejected
        )
    rejected = pd.DataFrame(
        [p.as_record() for p in checked.rejected], columns=list(S.REJECTED_COLUMNS)
    )
    write_csv_atomic(target, rejected, spreadsheet=True)
    for problem in checked.rejected:
        click.echo(f"rejected: {problem.message()}", err=True)
    for row, account, agent, why in report.flagged:
        click.echo(
            f"flagged: {outcomes_csv.name}, row {row}: visit of {account} by {agent} "
            f"was not planned ({why})",
            err=True,
        )
    click.echo(_record_line(outcomes_csv, db_path, report, target, len(checked.skipped)))
    filled = len(frame) - len(checked.skipped)
    if filled and report.stored == 0:
        raise click.ClickException(
            f"{outcomes_csv}: none of {filled} rows could be recorded; see {target}"
        )


def _record_line(
    source: Path, db: Path, report: RecordReport, rejected_file: Path, skipped: int
) -> str:
    parts = [
        f"{report.inserted} new",
        f"{report.unchanged} unchanged",
        f"{report.updated} corrected",
        f"{len(report.rejected)} rejected",
        f"{len(report.flagged)} flagged as not planned",
    ]
    if skipped:
        parts.append(f"{skipped} not filled in")
    tail = f"; rejection report: {rejected_file}" if report.rejected else ""
    return f"{source.name} -> {db}: " + ", ".join(parts) + tail


# --- history --------------------------------------------------------------------------


@click.command("history")
@click.argument("account_id")
@db_option
@fail_cleanly
def history_command(account_id: str, db_path: Path) -> None:
    """Print an account's trail: every plan it was in, who went and what happened.

    For each plan: planned (agent, time, priority, why chosen), dropped (why)
    or excluded (every reason); for each recorded visit: agent, outcome,
    amounts, promise and notes.

    \b
    Example:
      routeplan history SZ100606 --db routeplan.db
    """
    with _open_store(db_path) as store:
        trail = store.account_trail(account_id)
    lines = history_lines(account_id, trail)
    if not lines:
        raise click.ClickException(f"{account_id}: no plan or outcome in {db_path} has it")
    click.echo(f"Account {account_id} ({db_path})")
    for line in lines:
        click.echo(line)


def history_lines(account_id: str, trail: dict[str, pd.DataFrame]) -> list[str]:
    """Return the trail of one account as printable lines, oldest first."""
    decisions, stops, scores, outcomes = (
        trail["decisions"],
        trail["stops"],
        trail["scores"],
        trail["outcomes"],
    )
    events: list[tuple[str, int, int, str]] = []  # (date, order, tiebreak, text)
    stop_by_plan = {int(r["plan_id"]): r for r in stops.to_dict("records")}
    score_by_plan = {int(r["plan_id"]): r for r in scores.to_dict("records")}
    for plan_id, g in decisions.groupby("plan_id", sort=True):
        pid = int(str(plan_id))
        day = str(g["plan_date"].iloc[0])
        head = f"{day}  plan {pid:<4}"
        score = score_by_plan.get(pid)
        score_txt = (
            f"; priority {_fmt(score['priority'], 1)}, expected recovery "
            f"{_fmt(score['expected_recovery'], 2)}"
            if score is not None
            else ""
        )
        for rec in g.to_dict("records"):
            status = rec["status"]
            if status == "planned":
                stop = stop_by_plan.get(pid)
                who = ""
                if stop is not None:
                    name = f" ({stop['agent_name']})" if stop["agent_name"] else ""
                    who = (
                        f"agent {stop['agent_id']}{name}, stop {stop['stop_no']} at "
                        f"{stop['service_start']}"
                    )
                why = f"; chosen because: {rec['detail']}" if rec["detail"] else ""
                text = f"{head} planned   {who}{score_txt}{why}"
            elif status == "excluded":
                text = f"{head} excluded  {rec['reason']}: {rec['detail']}"
            elif status == "dropped":
                text = f"{head} dropped   {rec['reason']}: {rec['detail']}{score_txt}"
            else:
                text = f"{head} eligible  not planned{score_txt}"
            events.append((day, 0, pid, text))
    for k, rec in enumerate(outcomes.to_dict("records")):
        day = pd.Timestamp(rec[S.VISIT_DATE]).strftime("%Y-%m-%d")
        name = f" ({rec['agent_name']})" if rec.get("agent_name") else ""
        bits = [str(rec[S.OUTCOME])]
        if not _nan(rec[S.AMOUNT_PAID]):
            bits.append(f"paid {_fmt(rec[S.AMOUNT_PAID], 2)}")
        if not _nan(rec[S.PTP_DATE]):
            amount = f" {_fmt(rec[S.PTP_AMOUNT], 2)}" if not _nan(rec[S.PTP_AMOUNT]) else ""
            bits.append(f"promised{amount} by {pd.Timestamp(rec[S.PTP_DATE]).strftime('%Y-%m-%d')}")
        if rec[S.NOTES]:
            bits.append(f"notes: {rec[S.NOTES]}")
        where = "planned" if rec["planned"] else f"not planned: {rec['flag']}"
        text = f"{day}  visit     {rec[S.AGENT_ID]}{name}: {'; '.join(bits)} [{where}]"
        events.append((day, 1, k, text))
    return [text for *_key, text in sorted(events)]


# --- report ---------------------------------------------------------------------------


@click.command("report")
@click.option("--from", "date_from", type=DATE, required=True, help="First day (YYYY-MM-DD).")
@click.option("--to", "date_to", type=DATE, required=True, help="Last day (YYYY-MM-DD).")
@db_option
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV to stdout.")
@click.option("--json", "as_json", is_flag=True, help="Write JSON to stdout.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="routeplan.toml whose [history] ptp_grace_days judges promises (default 3).",
)
@click.option(
    "--accounts",
    "accounts_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Current portfolio: its last_payment_date keeps promises paid outside visits.",
)
@fail_cleanly
def report_command(
    date_from: dt.date,
    date_to: dt.date,
    db_path: Path,
    as_csv: bool,
    as_json: bool,
    config_path: Path | None,
    accounts_path: Path | None,
) -> None:
    """Report per agent and overall: visits planned vs done, contacts, promises, money, km.

    Visits planned come from the last plan stored for each day; visits done
    are the recorded outcomes; contacts are visits where someone was met
    (not not_home, moved or wrong_address); promises taken in the period are
    kept, broken or still open as of --to (with --accounts, a portfolio
    last_payment_date after the promise keeps it too); km are those of the
    planned routes.

    \b
    Example:
      routeplan report --from 2026-12-01 --to 2026-12-07 --db routeplan.db --csv
    """
    if as_csv and as_json:
        raise click.UsageError("choose one of --csv and --json")
    if date_from > date_to:
        raise click.BadParameter(f"--from {date_from} is after --to {date_to}")
    grace = load_config(config_path).history.ptp_grace_days
    paid: dict[str, Any] | None = None
    if accounts_path is not None:
        accounts = read_accounts(accounts_path).frame
        paid = dict(zip(accounts[S.ACCOUNT_ID], accounts[S.LAST_PAYMENT_DATE], strict=True))
    with _open_store(db_path) as store:
        table = activity_report(
            store.planned_stops(date_from, date_to),
            store.outcomes(until=date_to),
            store.route_km(date_from, date_to),
            date_from=date_from,
            date_to=date_to,
            grace_days=grace,
            agent_names=store.agent_names(),
            portfolio_last_payment=paid,
        )
    if as_csv:
        click.echo(table.to_csv(index=False, lineterminator="\n"), nl=False)
    elif as_json:
        records = [_json_row(r) for r in table.to_dict("records")]
        overall = [r for r in records if r[S.AGENT_ID] == OVERALL]
        doc = {
            "from": date_from.isoformat(),
            "to": date_to.isoformat(),
            "agents": [r for r in records if r[S.AGENT_ID] != OVERALL],
            "overall": overall[0] if overall else None,
        }
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2))
    else:
        click.echo(f"Field activity {date_from} to {date_to} ({db_path})")
        click.echo(_table_text(table))


def _json_row(rec: dict[Any, Any]) -> dict[str, Any]:
    """Return a report row as plain JSON values: numpy scalars unwrapped, NaN/inf as null."""
    out: dict[str, Any] = {}
    for k, v in rec.items():
        value = v.item() if hasattr(v, "item") else v
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        out[str(k)] = value
    return out


def _table_text(table: pd.DataFrame) -> str:
    shown = table.copy()
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
    return shown.to_string(index=False)


# --- helpers --------------------------------------------------------------------------


def _nan(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _fmt(value: Any, digits: int) -> str:
    return "" if _nan(value) else f"{float(value):,.{digits}f}"
