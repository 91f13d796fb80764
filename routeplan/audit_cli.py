"""``routeplan audit``: the flagged visits of a period, with their evidence.

A thin layer over :func:`routeplan.commands.audit_visits` (and
:func:`routeplan.present.audit.write_audit_page` for ``--html``);
``routeplan.cli`` registers the command on the main group.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from routeplan import schema as S
from routeplan.cli_common import DATE, db_option, fail_cleanly, history_db, offline_assets_option
from routeplan.commands import AuditReport, audit_visits
from routeplan.io.safe import neutralise_frame
from routeplan.present.common import finite, money, text
from routeplan.proof import COMPLIANCE_FLAGS, distance_m


@click.command("audit")
@click.option("--from", "date_from", type=DATE, required=True, help="First day (YYYY-MM-DD).")
@click.option("--to", "date_to", type=DATE, required=True, help="Last day (YYYY-MM-DD).")
@db_option
@click.option("--agent", "agent_id", default=None, help="Only this agent's visits (agent_id).")
@click.option(
    "--csv",
    "as_csv",
    is_flag=True,
    help="Write CSV to stdout: one row per flag (visit_date, agent_id, account_id, flag, detail).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write an HTML page with a map of each flagged visit's check-in against the "
    "account's location (never over a file routeplan did not write).",
)
@click.option(
    "--show-names",
    is_flag=True,
    default=False,
    help="Show full addresses on the HTML page (by default cut to street level).",
)
@offline_assets_option
@fail_cleanly
def audit_command(
    date_from: dt.date,
    date_to: dt.date,
    db_path: Path | None,
    agent_id: str | None,
    as_csv: bool,
    html_path: Path | None,
    show_names: bool,
    offline_assets: bool | None,
) -> None:
    """List the visits of a period the proof checks flagged, with their evidence.

    Each flagged visit: date, agent, account, outcome, check-in and
    check-out, where the agent checked in (with the GPS accuracy) and how far
    that is from the account's location, the checklist codes ticked, the
    receipt number and photo reference, notes, then every flag with its
    detail. Compliance incidents (outside_legal_hours) are marked. Flags are
    those `routeplan record` stored; a visit recorded before routeplan
    checked visits is not listed (record its file again). --csv writes one row
    per flag instead (routeplan audit --from ... --to ... --csv > flags.csv).

    \b
    Example:
      routeplan audit --from 2026-12-01 --to 2026-12-07 --agent AG03 --html audit.html
    """
    if date_from > date_to:
        raise click.BadParameter(f"--from {date_from} is after --to {date_to}")
    db = history_db(db_path)
    report = audit_visits(db, date_from, date_to, agent_id=agent_id)
    if html_path is not None:
        from routeplan.present.audit import write_audit_page

        written = write_audit_page(
            report.visits,
            html_path,
            title=_title(report),
            show_names=show_names,
            offline_assets=bool(offline_assets),
        )
        click.echo(f"wrote {written[0]} ({len(report.visits)} flagged visits)", err=True)
    if as_csv:
        table = neutralise_frame(report.csv_table())
        click.echo(table.to_csv(index=False, lineterminator="\n"), nl=False)
        return
    click.echo(f"{_title(report)} ({db})")
    for line in audit_lines(report):
        click.echo(line)


def _title(report: AuditReport) -> str:
    who = f", agent {report.agent_id}" if report.agent_id else ""
    n = len(report.visits)
    return (
        f"Flagged visits {report.date_from} to {report.date_to}{who}: {n} visit(s), "
        f"{len(report.flags)} flag(s)"
    )


def audit_lines(report: AuditReport) -> list[str]:
    """Return the flagged visits as text: a head line, the evidence, one line per flag."""
    lines: list[str] = []
    for rec in report.visits.to_dict("records"):
        name = f" ({rec['agent_name']})" if text(rec.get("agent_name")) else ""
        paid = money(rec[S.AMOUNT_PAID]) if finite(rec.get(S.AMOUNT_PAID)) else ""
        lines.append(
            f"{rec[S.VISIT_DATE]}  {rec[S.AGENT_ID]}{name}  {rec[S.ACCOUNT_ID]}  "
            f"{rec[S.OUTCOME]} {paid}".rstrip()
        )
        lines.append(f"  {_checkin_words(rec)}")
        extra = [
            f"{label}: {text(rec.get(col))}"
            for label, col in (
                ("evidence", S.EVIDENCE),
                ("receipt", S.RECEIPT_NO),
                ("photo", S.PHOTO_REF),
                ("notes", S.NOTES),
            )
            if text(rec.get(col))
        ]
        if extra:
            lines.append("  " + "; ".join(extra))
        for flag, detail in rec["findings"]:
            tag = f"{flag} (compliance incident)" if flag in COMPLIANCE_FLAGS else flag
            lines.append(f"  - {tag}: {detail}")
    if not lines:
        lines.append("No flagged visit.")
    return lines


def _checkin_words(rec: dict[str, Any]) -> str:
    """Return the check-in's time and place against the account's location."""
    day = f"{text(rec.get(S.VISIT_DATE))} "
    cin, cout = (text(rec.get(c)).removeprefix(day) for c in (S.CHECKIN_TIME, S.CHECKOUT_TIME))
    times = f"{cin} - {cout}" if cin and cout else (cin or "at no recorded time")
    lat, lon = finite(rec.get(S.CHECKIN_LAT)), finite(rec.get(S.CHECKIN_LON))
    if lat is None or lon is None:
        return f"checked in {times}, no position"
    accuracy = finite(rec.get(S.GPS_ACCURACY_M))
    where = f"at {lat:.5f}, {lon:.5f}" + (f" (±{accuracy:.0f} m)" if accuracy is not None else "")
    place_lat, place_lon = finite(rec.get("place_lat")), finite(rec.get("place_lon"))
    away = (
        f", {distance_m((lat, lon), (place_lat, place_lon)):,.0f} m from the account's location"
        if place_lat is not None and place_lon is not None
        else ", the account's location unknown"
    )
    return f"checked in {times} {where}{away}"
