"""Re-time a plan folder after a dispatcher edited ``itineraries.csv`` by hand.

A dispatcher moves a stop to another agent, reorders a day, deletes a visit
or puts a dropped account on a route, then runs ``routeplan retime PLAN_DIR``:

1. the edited order is read: each agent's visits sorted by ``stop_no``
   (decimals allowed: ``2.5`` goes between 2 and 3; equal numbers keep the
   file's order; an empty ``stop_no`` follows the row above it of the same
   agent). A visit row now under another agent's id belongs to that agent.
   Start, end and break rows are regenerated from the agent's day;
2. every time is recomputed with the plan's own travel model and rules, kept
   in the folder's ``plan_context.json`` (:mod:`routeplan.io.context`), by the
   solver's own timing (:func:`routeplan.solver.schedule.time_route`) and
   itinerary layout (:func:`routeplan.itinerary.assemble_itineraries`): the
   earliest lawful times for that order, the break where it fits, waiting
   for windows that open later. When the order cannot be kept lawfully (a
   window missed, the shift overrun), the visit is still kept where the
   dispatcher put it, as early as travel allows, and reported;
3. stops are renumbered; visits deleted from the itinerary move to
   ``dropped.csv`` with reason ``removed_by_dispatcher``; dropped accounts put
   on a route leave ``dropped.csv``; ``summary.json`` totals are recomputed;
4. the folder is re-checked with :func:`routeplan.check.check_plan_folder`;
   every violation goes to ``retime.csv`` (``agent_id, stop_no, account_id,
   rule, detail``; only the header when the plan is lawful), and the map and
   sheets are redrawn, with a warning banner when anything is broken.

Infeasible stops are kept and flagged rather than dropped: the dispatcher
made that choice for a reason routeplan may not know (the debtor phoned, the
agent is told to go late), and moving it elsewhere silently would undo the
edit. The result says what is broken so the dispatcher can edit again; the
command exits 1 while anything is.

The edited ``itineraries.csv`` (and any other file retime replaces that was
changed by hand) is first moved to ``backup-YYYYmmdd-HHMMSS/``: nothing typed
is lost. Filled outcomes are never touched (see :mod:`routeplan.io.manifest`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from routeplan import schema as S
from routeplan.build import BuiltProblem, build_problem, effective_windows, required_skills
from routeplan.check import Violation, check_plan_folder
from routeplan.errors import InputError, RowProblem
from routeplan.formats import format_windows
from routeplan.io.context import CONTEXT_FILE, PlanContext, read_plan_context, write_plan_context
from routeplan.io.manifest import PlanFiles, stderr_notice
from routeplan.io.planfolder import (
    CHECKLIST_FILE,
    DROPPED_FILE,
    ITINERARIES_FILE,
    SCORES_FILE,
    SUMMARY_FILE,
    PlanFolder,
    excluded_reasons,
    read_dropped,
    read_excluded,
    read_plan_table,
    read_summary,
)
from routeplan.io.safe import write_csv_atomic, write_json_atomic
from routeplan.io.tables import ROW_COLUMN
from routeplan.itinerary import assemble_itineraries
from routeplan.solver.model import Problem, Result, Route, SolveStatus
from routeplan.solver.schedule import time_route
from routeplan.summary import PlanSummary, refresh_summary
from routeplan.travel.base import TravelModel
from routeplan.travel.factory import plan_travel_model

RETIME_FILE = "retime.csv"
#: columns of ``retime.csv``: one row per violation left after re-timing
RETIME_COLUMNS = ("agent_id", "stop_no", "account_id", "rule", "detail")
#: latest time of day a re-timed day may reach (23:59): itineraries hold ``HH:MM`` of one day
DAY_END_MIN = 24 * 60 - 1
_KINDS = tuple(S.EventKind)
_ROW = ROW_COLUMN


@dataclass(frozen=True)
class RetimeResult:
    """What ``routeplan retime`` did to a plan folder.

    ``removed`` are the accounts moved to ``dropped.csv`` as
    ``removed_by_dispatcher``; ``restored`` the dropped accounts a dispatcher
    put on a route; ``violations`` what the checker still finds (empty when
    the re-timed plan is lawful).
    """

    plan_dir: Path
    itineraries: pd.DataFrame
    dropped: pd.DataFrame
    removed: tuple[str, ...]
    restored: tuple[str, ...]
    violations: tuple[Violation, ...]
    written: tuple[Path, ...]

    @property
    def feasible(self) -> bool:
        """True when the re-timed plan breaks no rule."""
        return not self.violations


def retime_plan_folder(
    plan_dir: Path | str,
    *,
    context: PlanContext | None = None,
    show_names: bool = False,
    notify: Callable[[str], None] | None = None,
    now: dt.datetime | None = None,
) -> RetimeResult:
    """Re-time an edited plan folder in place and redraw its map and sheets.

    Parameters
    ----------
    plan_dir
        A plan folder written by ``routeplan plan`` whose ``itineraries.csv``
        may have been edited by hand.
    context
        The inputs the plan was made from; by default the folder's
        ``plan_context.json``. Given (e.g. from ``accounts.csv`` and
        ``agents.csv`` for a folder made by an older routeplan), it is
        written into the folder.
    show_names
        Show debtors' full names on the redrawn map.
    notify
        Called with one line per notice (files moved to a backup, kept);
        prints on stderr by default.
    now
        Time stamp of the backup folder (default: the current time).

    Raises
    ------
    InputError
        When the folder has no context, an edited row names an unknown agent
        or account, an excluded account, a visit twice, or an order that
        cannot end before midnight (one message naming file, row and column).
    """
    folder = Path(plan_dir)
    ctx = context or read_plan_context(folder)
    if ctx is None:
        raise InputError(
            f"{folder}: no {CONTEXT_FILE} (plan made by an older routeplan); give the "
            "inputs it was planned from: routeplan retime --accounts FILE --agents FILE"
        )
    excluded = read_excluded(folder)
    edited = read_plan_table(
        folder, ITINERARIES_FILE, required=(S.AGENT_ID, S.STOP_NO, S.KIND, S.ACCOUNT_ID)
    )
    orders = edited_order(
        edited, ctx, excluded_reasons(excluded), file=str(folder / ITINERARIES_FILE)
    )
    scores = _scores(folder, edited)
    summary = _read_summary(folder, ctx)
    # the travel model the plan was made with (summary.json), else the context's [travel]
    with plan_travel_model(
        summary.travel, ctx.config.travel, source=str(folder / SUMMARY_FILE)
    ) as travel:
        timed = retime_routes(orders, ctx, scores, travel=travel)
        itineraries = _with_user_columns(timed, edited)
        dropped, removed, restored = _update_dropped(folder, ctx, scores, orders)
        if context is not None:
            ctx = _planned_context(ctx, orders, dropped)
        retimed, violations = _check_retimed(
            folder, ctx, (summary, itineraries, dropped, excluded), travel
        )
    retimed = dataclasses.replace(
        retimed, summary=_with_retime(retimed.summary, removed, restored, violations)
    )

    files = PlanFiles.open(folder)
    targets = [ITINERARIES_FILE, DROPPED_FILE, SUMMARY_FILE, RETIME_FILE]
    if context is not None:
        targets.append(CONTEXT_FILE)
    files.backup(files.users_files(folder / t for t in targets), now=now)
    written = [
        write_csv_atomic(folder / ITINERARIES_FILE, itineraries, spreadsheet=True),
        write_csv_atomic(folder / DROPPED_FILE, dropped, spreadsheet=True),
    ]
    if context is not None:
        written.append(write_plan_context(folder, ctx.to_record()))
    written.append(write_json_atomic(folder / SUMMARY_FILE, retimed.summary.to_json()))
    report = pd.DataFrame(
        [dataclasses.asdict(v) for v in violations], columns=list(RETIME_COLUMNS)
    ).astype({"stop_no": "Int64"})
    written.append(write_csv_atomic(folder / RETIME_FILE, report, spreadsheet=True))
    files.record(written)

    from routeplan.present import write_dispatch_outputs

    written += write_dispatch_outputs(
        retimed, show_names=show_names, files=files, notify=notify, violations=violations
    )
    files.save()
    for line in files.notices:
        (notify or stderr_notice)(line)
    return RetimeResult(folder, itineraries, dropped, removed, restored, violations, tuple(written))


# --- reading the edit ------------------------------------------------------------------


def edited_order(
    edited: pd.DataFrame,
    ctx: PlanContext,
    excluded: Mapping[str, str],
    *,
    file: str = ITINERARIES_FILE,
) -> dict[str, list[str]]:
    """Return each agent's visits (account ids) in the order the edited rows give.

    ``edited`` holds ``itineraries.csv`` as text (with a ``_row`` column of
    spreadsheet rows). Raises :class:`InputError` listing every row that
    cannot be re-timed: an unknown kind, agent or account, an excluded
    account, a visit twice, a ``stop_no`` that is not a number.
    """
    agents = set(ctx.agents[S.AGENT_ID].astype(str))
    accounts = set(ctx.accounts[S.ACCOUNT_ID].astype(str))
    problems: list[RowProblem] = []
    keyed: dict[str, list[tuple[float, int, str]]] = {}
    last_key: dict[str, float] = {}
    first_row: dict[str, int] = {}
    for pos, rec in enumerate(edited.to_dict("records")):
        row = int(rec.get(_ROW, pos + 2))
        agent, kind = str(rec[S.AGENT_ID]).strip(), str(rec[S.KIND]).strip().lower()
        aid = str(rec[S.ACCOUNT_ID]).strip()

        def bad(column: str, problem: str, row: int = row) -> None:
            problems.append(RowProblem(file, row, column, problem))

        if kind not in _KINDS:
            bad(S.KIND, f"{kind!r} is not one of {', '.join(_KINDS)}")
            continue
        if agent not in agents:
            bad(S.AGENT_ID, f"{agent!r} is not an agent of this plan ({CONTEXT_FILE})")
            continue
        key = _stop_key(str(rec[S.STOP_NO]), last_key.get(agent, -math.inf))
        if key is None:
            bad(S.STOP_NO, f"{str(rec[S.STOP_NO]).strip()!r} is not a number")
            continue
        last_key[agent] = key
        if kind != S.EventKind.VISIT:
            continue
        if not aid:
            bad(S.ACCOUNT_ID, "empty on a visit")
        elif aid in excluded:
            bad(S.ACCOUNT_ID, f"{aid!r} is excluded ({excluded[aid]}) and must not be visited")
        elif aid not in accounts:
            bad(S.ACCOUNT_ID, f"{aid!r} is not an account this plan could visit ({CONTEXT_FILE})")
        elif aid in first_row:
            bad(S.ACCOUNT_ID, f"{aid!r} is visited twice (also row {first_row[aid]})")
        else:
            first_row[aid] = row
            keyed.setdefault(agent, []).append((key, pos, aid))
    if problems:
        raise InputError(problems)
    return {agent: [aid for _, _, aid in sorted(rows)] for agent, rows in keyed.items()}


def _stop_key(raw: str, previous: float) -> float | None:
    """Return a row's sort key: its ``stop_no``, or the previous row's when empty."""
    text = raw.strip()
    if not text:
        return previous
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _scores(folder: Path, edited: pd.DataFrame) -> pd.DataFrame:
    """Return priority, expected recovery, explanation and why-today facts per account.

    From ``scores.csv`` when the folder has it, else from the edited rows'
    ``priority``, ``expected_recovery``, ``chosen_because`` and ``why_today``.
    """
    if (folder / SCORES_FILE).exists():
        frame = read_plan_table(folder, SCORES_FILE, required=(S.ACCOUNT_ID,))
    else:
        frame = edited.rename(columns={"chosen_because": "explanation"})
    out = pd.DataFrame({S.ACCOUNT_ID: frame[S.ACCOUNT_ID].astype(str).str.strip()})
    for column in ("priority", "expected_recovery"):
        values = frame[column] if column in frame.columns else pd.Series("", index=frame.index)
        out[column] = pd.to_numeric(values, errors="coerce")
    for column in ("explanation", "why_today"):
        out[column] = frame[column] if column in frame.columns else ""
    out = out[out[S.ACCOUNT_ID] != ""]
    return out.drop_duplicates(S.ACCOUNT_ID).reset_index(drop=True)


def _check_retimed(
    folder: Path,
    ctx: PlanContext,
    tables: tuple[PlanSummary, pd.DataFrame, pd.DataFrame, pd.DataFrame],
    travel: TravelModel,
) -> tuple[PlanFolder, tuple[Violation, ...]]:
    """Return the re-timed plan as it will be written, and the rules it breaks.

    ``tables`` are the summary before re-timing and the new itineraries,
    dropped and (unchanged) excluded rows; travel times are checked with
    ``travel``, the model the routes were timed with.
    """
    summary, itineraries, dropped, excluded = tables
    checklist = read_plan_table(
        folder, CHECKLIST_FILE, required=S.CHECKLIST_COLUMNS, row_column=None
    )
    # the re-timed plan, checked and drawn as it is written (not read back)
    retimed = PlanFolder.build(
        folder,
        summary=refresh_summary(summary, itineraries, dropped, ctx.config.visits.service_min),
        itineraries=itineraries,
        dropped=dropped,
        excluded=excluded,
        checklist=checklist,
        context=ctx,
    )
    return retimed, tuple(check_plan_folder(retimed, travel=travel))


# --- timing ------------------------------------------------------------------------------


def retime_routes(
    orders: Mapping[str, Sequence[str]],
    ctx: PlanContext,
    scores: pd.DataFrame,
    *,
    travel: TravelModel | None = None,
) -> pd.DataFrame:
    """Return ``itineraries.csv`` rows for the given visit orders, timed afresh.

    Each agent's visits keep their order; times are the earliest lawful ones
    (:func:`~routeplan.solver.schedule.time_route` on the plan's travel
    model). An order that cannot be kept lawfully is timed as early as travel
    allows, waiting for windows still to open and late for those already
    closed, and the shift may run over: the checker reports it. ``travel``
    is the plan's travel model (default: the one ``ctx.config.travel`` names).

    Raises
    ------
    InputError
        When an agent's stops cannot all be reached and the agent brought
        back before midnight.
    """
    cfg = ctx.config
    agent_ids = [str(a) for a in ctx.agents[S.AGENT_ID] if orders.get(str(a))]
    agents = ctx.agents[ctx.agents[S.AGENT_ID].astype(str).isin(agent_ids)].reset_index(drop=True)
    visited = [aid for a in agent_ids for aid in orders[a]]
    accounts = ctx.accounts.set_index(S.ACCOUNT_ID, drop=False).loc[visited].reset_index(drop=True)
    built = _relaxed_build(accounts, agents, scores, ctx, travel)
    index = {aid: i for i, aid in enumerate(built.visit_accounts)}
    late = _late_problem(built.problem)
    routes: list[Route] = []
    for k, agent_id in enumerate(built.vehicle_agents):
        seq = [index[aid] for aid in orders[agent_id]]
        route = time_route(built.problem, k, seq) or time_route(late, k, seq)
        if route is None:
            raise InputError(
                f"agent {agent_id}: the {len(seq)} visits in this order cannot be reached and "
                "the agent brought back before midnight; give some to another agent or "
                "remove them"
            )
        routes.append(route)
    result = Result(tuple(routes), (), 0, SolveStatus.RETIMED, 0.0, engine="retime")
    score_frame = scores.set_index(S.ACCOUNT_ID).reindex(visited).reset_index()
    score_frame["explanation"] = score_frame["explanation"].fillna("")
    itin = assemble_itineraries(
        result, built, accounts, agents, score_frame, ctx.date, cfg.legal.start_min
    )
    # the relaxed build may have widened windows: show each account's real ones
    legal = (cfg.legal.start_min, cfg.legal.end_min)
    windows = {
        str(r[S.ACCOUNT_ID]): format_windows(effective_windows(tuple(r["windows"] or ()), legal))
        for r in accounts.to_dict("records")
    }
    is_visit = itin[S.KIND] == S.EventKind.VISIT
    itin.loc[is_visit, "visit_window"] = itin.loc[is_visit, S.ACCOUNT_ID].map(windows)
    return itin


def _relaxed_build(
    accounts: pd.DataFrame,
    agents: pd.DataFrame,
    scores: pd.DataFrame,
    ctx: PlanContext,
    travel: TravelModel | None,
) -> BuiltProblem:
    """Build the timing problem with every visit kept, whoever the dispatcher chose.

    The timing must place each visit where the dispatcher put it even when
    the planner would have refused it, so the structural checks are relaxed
    (the checker reports what is broken afterwards): every agent gets the
    skills any visit needs, shifts may run to 23:59, and an account whose
    windows leave no lawful visit may be timed any time in legal hours.
    """
    cfg = ctx.config
    need: set[str] = set()
    for rec in accounts.to_dict("records"):
        need.update(required_skills(pd.Series(rec), cfg))
    relaxed_agents = agents.assign(
        **{
            S.SKILLS: [tuple(sorted(set(s or ()) | need)) for s in agents[S.SKILLS]],
            S.SHIFT_END: [max(int(e), DAY_END_MIN) for e in agents[S.SHIFT_END]],
        }
    )
    frame = accounts.merge(
        scores[[S.ACCOUNT_ID, "priority", "expected_recovery"]], on=S.ACCOUNT_ID, how="left"
    )
    frame["expected_recovery"] = frame["expected_recovery"].fillna(0.0)
    legal = (cfg.legal.start_min, cfg.legal.end_min)
    windows = list(frame["windows"])
    for _ in range(2):
        frame["windows"] = windows
        built = build_problem(frame, relaxed_agents, cfg, travel=travel)
        if built.dropped.empty:
            return built
        stuck = set(built.dropped[S.ACCOUNT_ID])
        # second pass: those accounts may be timed any time in legal hours
        windows = [
            () if aid in stuck or not effective_windows(tuple(w or ()), legal) else w
            for aid, w in zip(frame[S.ACCOUNT_ID], windows, strict=True)
        ]
    first = built.dropped.iloc[0]
    raise InputError(
        f"account {first[S.ACCOUNT_ID]}: cannot be re-timed on any route of this plan "
        f"({first['detail']}); remove it from {ITINERARIES_FILE}"
    )


def _late_problem(problem: Problem) -> Problem:
    """Return ``problem`` with each visit's last window open until the end of the day.

    Used when an order cannot keep every window: a visit whose windows have
    all closed is then served on arrival (late), instead of the order being
    refused.
    """
    visits = []
    for v in problem.visits:
        lo, hi = v.windows[-1]
        last = (lo, max(hi, DAY_END_MIN * 60 - v.service_s))
        visits.append(dataclasses.replace(v, windows=(*v.windows[:-1], last)))
    return dataclasses.replace(problem, visits=tuple(visits))


def _with_user_columns(itin: pd.DataFrame, edited: pd.DataFrame) -> pd.DataFrame:
    """Return ``itin`` with the edited file's own extra columns carried over on its visits."""
    own = {*S.ITINERARY_COLUMNS, *S.ITINERARY_EXTRA, _ROW}
    extra = [c for c in edited.columns if c not in own]
    if not extra:
        return itin
    visits = edited[edited[S.KIND].astype(str).str.strip().str.lower() == S.EventKind.VISIT]
    carried = visits.assign(**{S.ACCOUNT_ID: visits[S.ACCOUNT_ID].astype(str).str.strip()})
    carried = carried.drop_duplicates(S.ACCOUNT_ID).set_index(S.ACCOUNT_ID)[extra]
    out = itin.copy()
    for column in extra:
        out[column] = out[S.ACCOUNT_ID].map(carried[column]).fillna("")
    return out


# --- dropped, summary, context --------------------------------------------------------------


def _update_dropped(
    folder: Path, ctx: PlanContext, scores: pd.DataFrame, orders: Mapping[str, Sequence[str]]
) -> tuple[pd.DataFrame, tuple[str, ...], tuple[str, ...]]:
    """Return the new ``dropped.csv`` rows, the accounts removed and those put back on routes.

    An account of the plan neither on a route nor in ``dropped.csv`` was
    deleted from the itinerary by hand: it is added as ``removed_by_dispatcher``.
    """
    dropped = read_dropped(folder)
    planned = {aid for seq in orders.values() for aid in seq}
    ids = dropped[S.ACCOUNT_ID].astype(str).str.strip()
    restored = tuple(dict.fromkeys(ids[ids.isin(planned)]))
    dropped = dropped[~ids.isin(planned)]
    listed = set(ids)
    missing = [
        str(a) for a in ctx.accounts[S.ACCOUNT_ID] if str(a) not in planned and str(a) not in listed
    ]
    if not missing:
        return dropped.reset_index(drop=True), (), restored
    acc = ctx.accounts.set_index(S.ACCOUNT_ID)
    sc = scores.set_index(S.ACCOUNT_ID)
    rows: list[dict[str, Any]] = []
    for aid in missing:
        rows.append(
            {
                S.ACCOUNT_ID: aid,
                S.REASON: S.DroppedReason.REMOVED_BY_DISPATCHER,
                "detail": "deleted from itineraries.csv by hand; put it back on a route and "
                "run routeplan retime to visit it",
                S.LAT: acc.at[aid, S.LAT],
                S.LON: acc.at[aid, S.LON],
                S.BALANCE: acc.at[aid, S.BALANCE],
                "priority": sc.at[aid, "priority"] if aid in sc.index else math.nan,
                "expected_recovery": sc.at[aid, "expected_recovery"]
                if aid in sc.index
                else math.nan,
            }
        )
    added = pd.DataFrame(rows)
    columns = list(dict.fromkeys([*dropped.columns, *added.columns]))
    out = pd.concat([dropped, added], ignore_index=True).reindex(columns=columns)
    return out, tuple(missing), restored


def _read_summary(folder: Path, ctx: PlanContext) -> PlanSummary:
    """Return the folder's ``summary.json`` (just the plan date when it has none)."""
    if not (folder / SUMMARY_FILE).exists():
        return PlanSummary(date=ctx.date.isoformat())
    return read_summary(folder)


def _with_retime(
    summary: PlanSummary,
    removed: Sequence[str],
    restored: Sequence[str],
    violations: Sequence[Violation],
) -> PlanSummary:
    """Return ``summary`` with its ``retime`` entry: what the re-timing changed and left broken."""
    retime = {
        "violations": len(violations),
        "removed_by_dispatcher": list(removed),
        "put_on_routes": list(restored),
        "report": RETIME_FILE,
    }
    return dataclasses.replace(summary, extra={**summary.extra, "retime": retime})


def _planned_context(
    ctx: PlanContext, orders: Mapping[str, Sequence[str]], dropped: pd.DataFrame
) -> PlanContext:
    """Return a context given from input files cut to the accounts on routes or dropped."""
    ids = {aid for seq in orders.values() for aid in seq}
    ids |= set(dropped[S.ACCOUNT_ID].astype(str))
    accounts = ctx.accounts[ctx.accounts[S.ACCOUNT_ID].astype(str).isin(ids)]
    return dataclasses.replace(ctx, accounts=accounts.reset_index(drop=True))


__all__ = ["RETIME_COLUMNS", "RetimeResult", "edited_order", "retime_plan_folder", "retime_routes"]
