"""``routeplan replan``: a thin layer over :func:`routeplan.commands.replan_folder`.

``routeplan.cli`` registers the command on the main group. Progress, refused
event rows, flags and rule violations go to stderr; one summary line to
stdout. Exit code 0 when the revision was written and breaks no rule (some
event rows may have been refused: they are in ``OUT/rejected.csv``), 1 when
the inputs cannot be used or the revision breaks a rule, 2 on wrong usage.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from routeplan import schema as S
from routeplan.cli_common import (
    date_option,
    db_option,
    encoding_option,
    fail_cleanly,
    file_option,
    progress_printer,
    quiet_option,
)
from routeplan.formats import parse_clock

if TYPE_CHECKING:  # click >= 8.4 types a parameter type by the value it converts to
    from routeplan.replan import ReplanResult

    _ClockParamType = click.ParamType[int]
else:
    _ClockParamType = click.ParamType


class ClockType(_ClockParamType):
    """An ``HH:MM`` option value, converted to minutes after midnight."""

    name = "HH:MM"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """Return ``value`` as minutes after midnight, or fail with the reason it is not a time."""
        if isinstance(value, int):
            return value
        try:
            return parse_clock(str(value).strip())
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.command("replan")
@click.argument(
    "plan_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@file_option("--events", "events_path", "What happened so far today (events.csv).", required=True)
@click.option(
    "--at",
    "at_min",
    type=ClockType(),
    default=None,
    help="Time of the re-plan, HH:MM: what started before it is kept, no event may be after "
    "it (default: now).",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="New plan folder for the revision (never the plan folder itself).",
)
@date_option
@file_option(
    "--accounts",
    "accounts_path",
    "Portfolio CSV to look up urgent accounts outside the plan (checked against the rules).",
)
@db_option
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0.1, max=86400),
    default=None,
    help="Solver time limit in seconds (default 5, or [replan] time_limit_s of the plan's config).",
)
@encoding_option
@click.option("--show-names", is_flag=True, help="Show full debtor names and addresses on the map.")
@click.option(
    "--force",
    is_flag=True,
    help="Write into an --out folder holding files changed by hand, moving them to a backup first.",
)
@quiet_option
@fail_cleanly
def replan_command(**options: Any) -> None:
    """Re-plan the rest of a planned day from what happened so far, keeping the past fixed.

    Visits reported done, under way or missed are kept with their times;
    each agent continues from where it is. An agent's route changes only when
    that saves more than the move penalty ([replan] move_penalty_min, 30 min
    of travel); urgent accounts come first. Writes a new plan folder with the
    revision, changes.csv and a message per agent whose day changed, in
    messages/. The plan folder given is only read. The plan's date must be
    today unless --date names it.

    Example: routeplan replan plans/d1 --events events.csv --at 11:40 --out plans/d1/r1
    """
    from routeplan.commands import ReplanOptions, replan_folder

    args = _ReplanArgs(**options)
    result = replan_folder(
        args.plan_dir,
        args.events_path,
        args.out_dir,
        at_min=args.at_min,
        options=ReplanOptions(
            date=args.plan_date,
            accounts=args.accounts_path,
            db=args.db_path,
            time_limit_s=args.time_limit,
            encoding=args.encoding,
            show_names=args.show_names,
            force=args.force,
        ),
        progress=progress_printer(args.quiet),
    )
    for problem in result.rejected:
        click.echo(f"refused: {problem.message()}", err=True)
    for flag in result.flags:
        click.echo(f"note: {flag}", err=True)
    for v in result.violations:
        click.echo(v.message(), err=True)
    click.echo(_summary_line(result))
    if result.violations:
        raise click.ClickException(
            f"{len(result.violations)} violation(s) in the revision {args.out_dir} (listed "
            "above; the map and sheets carry a warning)"
        )


@dataclass(frozen=True)
class _ReplanArgs:
    """The options of ``routeplan replan`` as click converted them (one field per option)."""

    plan_dir: Path
    events_path: Path
    at_min: int | None
    out_dir: Path
    plan_date: dt.date | None
    accounts_path: Path | None
    db_path: Path | None
    time_limit: float | None
    encoding: str | None
    show_names: bool
    force: bool
    quiet: bool


def _summary_line(result: ReplanResult) -> str:
    """Return the one line printed on stdout."""
    it = result.plan.itineraries
    visits = it[it[S.KIND] == S.EventKind.VISIT]
    counts = result.changes["change"].value_counts().to_dict()
    changed = ", ".join(f"{n} {c}" for c, n in sorted(counts.items())) or "no change"
    entry = result.entry
    refused = (
        f"; {entry['events_refused_rows']} event rows refused (rejected.csv)"
        if result.rejected
        else ""
    )
    return (
        f"revision {result.revision} of {result.plan.date.isoformat()} at {entry['at']}: "
        f"{len(visits)} visits on {visits['agent_id'].nunique()} agents ({changed}); "
        f"{len(result.messages)} agents to tell (messages/){refused} -> {result.out_dir}"
    )
