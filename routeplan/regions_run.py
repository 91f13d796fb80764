"""Plan the regions of a portfolio side by side and write the run.

* :func:`run_regions` sends each region through an
  :class:`~routeplan.execution.Executor` as one task, :func:`plan_region`,
  which runs :func:`~routeplan.plan.plan_day` wherever the executor runs it
  (in this process, or on a Dask worker) and returns plain tables: the plan's
  DataFrames and summary. OR-Tools objects never leave the task.
* :func:`plan_regions` writes the run: one plan folder per region, as soon as
  its plan comes back, then ``summary.json``, ``rejected.csv``,
  ``unplanned.csv`` and ``index.html`` at the top. Every output file and
  database write happens in the caller's process; a worker only draws its
  region's folder (map, sheets) in a temporary folder of its own and sends
  the bytes back.

Every account ends up in exactly one place: in its region's plan folder
(planned, dropped or excluded), or at the top in ``rejected.csv`` (its row or
its region value cannot be used) or ``unplanned.csv`` (its region could not
be planned: no usable agent, workers that kept dying).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from routeplan import schema as S
from routeplan.errors import ChangedFilesError, RouteplanError
from routeplan.execution import Executor, Task
from routeplan.io.regions import UNPLANNED_COLUMNS
from routeplan.plan import Plan, plan_day
from routeplan.regions import Portfolio, Region

if TYPE_CHECKING:
    from routeplan.history import HistoryAdjustment
    from routeplan.io.store import Store

__all__ = [
    "RegionDone",
    "RegionJob",
    "RegionOutcome",
    "RegionsRun",
    "plan_region",
    "plan_regions",
    "run_regions",
    "run_summary",
    "status_line",
    "unplanned_table",
]

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


# --- one region, on a worker ---------------------------------------------------------


@dataclass(frozen=True)
class RegionJob:
    """What a worker needs to plan one region: plain tables, the config, the history."""

    region: Region
    history: HistoryAdjustment | None = None
    #: also draw the plan folder (map, sheets, exports) on the worker, sent back as bytes
    render: bool = False
    show_names: bool = False


@dataclass(frozen=True)
class RegionDone:
    """What a worker sends back: the plan's tables and summary, or why there is none."""

    region: str
    plan: Plan | None
    error: str = ""
    #: seconds the task ran on the worker, and of those the solver's
    seconds: float = 0.0
    solve_s: float = 0.0
    log: tuple[str, ...] = ()
    #: the Dask worker that planned it ('' outside a cluster)
    worker: str = ""
    #: the rendered plan folder (relative path -> bytes) when the job asked for it
    files: dict[str, bytes] = field(default_factory=dict)
    #: notices of the folder's writer (e.g. a plan that failed its re-check)
    notices: tuple[str, ...] = ()


def plan_region(job: RegionJob) -> RegionDone:
    """Plan one region with :func:`~routeplan.plan.plan_day` (runs on a worker).

    Bad data (no usable agent, a rule that cannot be met) comes back as
    ``error``: planning it again elsewhere would fail the same way. Any other
    exception propagates, so the executor may retry it on another worker.
    The plan comes back without the solver's result object: tables and a
    summary that records the region and its time zone; with ``job.render``
    also its plan folder, drawn here, as bytes (the caller writes them).
    """
    from routeplan.execution_dask import worker_address
    from routeplan.io.regions import render_plan_folder

    region = job.region
    lines: list[str] = []
    t0 = time.perf_counter()
    worker = worker_address()
    try:
        plan = plan_day(
            region.inputs, region.date, region.config, history=job.history, progress=lines.append
        )
    except RouteplanError as exc:
        seconds = time.perf_counter() - t0
        return RegionDone(region.name, None, str(exc), seconds, 0.0, tuple(lines), worker)
    # the region and its clock are extra keys of the region's summary.json (and of the
    # summary the history keeps, where the latest plan of a day is chosen per region)
    summary = dataclasses.replace(
        plan.summary,
        extra={
            **plan.summary.extra,
            "region": region.name,
            "timezone": region.timezone,
            "region_notes": list(region.notes),
        },
    )
    solver = plan.summary.solver
    solve_s = float(solver.runtime_s or 0.0) if solver is not None else 0.0
    plain = dataclasses.replace(plan, summary=summary, result=None)
    notices: list[str] = []
    files = {}
    if job.render:
        files = render_plan_folder(plain, show_names=job.show_names, notify=notices.append)
    seconds = time.perf_counter() - t0
    return RegionDone(
        region.name, plain, "", seconds, solve_s, tuple(lines), worker, files, tuple(notices)
    )


# --- many regions ------------------------------------------------------------------


@dataclass
class RegionOutcome:
    """How one region's planning ended."""

    region: str
    folder: str
    timezone: str
    jurisdiction: str
    date: str
    #: accounts and agents of the region
    accounts: int = 0
    agents: int = 0
    #: ``planned`` or ``failed``
    status: str = "queued"
    reason: str = ""
    #: failed attempts before the last one (retried on another worker)
    retried: tuple[str, ...] = ()
    #: seconds from submission to the answer, on the worker, and solving
    wall_s: float = 0.0
    task_s: float = 0.0
    solve_s: float = 0.0
    #: the worker that planned it ('' outside a cluster)
    worker: str = ""
    summary: dict[str, Any] = field(default_factory=dict)

    def record(self) -> dict[str, Any]:
        """Return the region's entry of the run's ``summary.json``."""
        s = self.summary
        counts = s.get("counts", {})
        return {
            "region": self.region,
            "folder": self.folder if self.status == "planned" else "",
            "status": self.status,
            "reason": self.reason,
            "retried_after": list(self.retried),
            "timezone": self.timezone,
            "jurisdiction": self.jurisdiction,
            "date": self.date,
            "accounts": counts.get("accounts", self.accounts),
            "eligible": counts.get("eligible"),
            "planned": counts.get("planned"),
            "dropped": counts.get("dropped"),
            "excluded": counts.get("excluded"),
            "agents": counts.get("agents", self.agents),
            "agents_with_visits": counts.get("agents_with_visits"),
            "travel_km": s.get("travel_km"),
            "expected_recovery_covered": s.get("expected_recovery_covered"),
            "balance_covered": s.get("balance_covered"),
            "notes": s.get("region_notes", []),
            "worker": self.worker,
            "seconds": {
                "wall": round(self.wall_s, 2),
                "task": round(self.task_s, 2),
                "solve": round(self.solve_s, 2),
            },
        }


def _outcome(region: Region) -> RegionOutcome:
    return RegionOutcome(
        region.name,
        region.folder,
        region.timezone,
        region.config.jurisdiction,
        region.date.isoformat(),
        len(region.inputs.accounts),
        len(region.inputs.agents),
    )


def status_line(outcomes: Sequence[RegionOutcome], running: int, width: int = 20) -> str:
    """Return ``regions: 12/40 done, 2 running, 0 failed [#####---------------]``."""
    total = len(outcomes)
    done = sum(o.status == "planned" for o in outcomes)
    failed = sum(o.status == "failed" for o in outcomes)
    filled = round(width * (done + failed) / total) if total else width
    bar = "#" * filled + "-" * (width - filled)
    return f"regions: {done}/{total} done, {running} running, {failed} failed [{bar}]"


def run_regions(
    regions: Sequence[Region],
    executor: Executor,
    on_done: Callable[[Region, RegionDone], None],
    *,
    history_for: Callable[[Region], HistoryAdjustment | None] | None = None,
    progress: Progress = _quiet,
    timeout_s: float | None = None,
    render: bool = False,
    show_names: bool = False,
) -> list[RegionOutcome]:
    """Plan every region through ``executor``; call ``on_done`` here for each plan that comes back.

    A region without an answer ``timeout_s`` after it was sent (default: twice
    its solver time limit plus 10 minutes) is cancelled and reported failed,
    so a lost task never hangs the run. With ``render`` each task also draws
    its plan folder (``show_names`` as in ``Plan.write``) and sends the files.

    At most ``max(1, executor.workers)`` regions are in flight at once, the
    largest first (so the last to finish are short). When regions run beside
    each other (``executor.workers > 0``) each solve runs one search only, its
    worker's core being its whole budget. A region whose task failed is
    reported with the reason; the others go on. A region with a ``problem``
    found before planning is reported failed without being sent.

    Returns
    -------
    list of RegionOutcome
        One per region, in the order given.
    """
    outcomes = {r.name: _outcome(r) for r in regions}
    for r in regions:
        if r.problem:
            outcomes[r.name].status, outcomes[r.name].reason = "failed", r.problem
    queue = sorted(
        (r for r in regions if not r.problem), key=lambda r: (-len(r.inputs.accounts), r.name)
    )
    in_flight: dict[str, tuple[Region, Task[RegionDone], float]] = {}
    listed = list(outcomes.values())
    beside = executor.workers > 0
    changed = True
    while queue or in_flight:
        if changed:
            # the cluster may have lost or gained workers since the last look
            width = max(1, executor.workers) if queue else 0
            while queue and len(in_flight) < width:
                region = queue.pop(0)
                job = _job(region, beside, history_for)
                job = dataclasses.replace(job, render=render, show_names=show_names)
                task = executor.submit(plan_region, job)
                in_flight[region.name] = (region, task, time.perf_counter())
            progress(status_line(listed, len(in_flight)))
        late = _cancel_late(in_flight, timeout_s)
        finished = [name for name, (_, task, _) in in_flight.items() if task.done()]
        changed = bool(finished)
        if not finished:
            time.sleep(0.05)
        for name in finished:
            region, task, t0 = in_flight.pop(name)
            if name in late:
                outcomes[name].status, outcomes[name].reason = "failed", late[name]
                progress(f"region {name}: FAILED: {late[name]}")
                continue
            _settle(outcomes[name], region, task, t0, on_done, progress)
    progress(status_line(listed, 0))
    return [outcomes[r.name] for r in regions]


def _cancel_late(
    in_flight: Mapping[str, tuple[Region, Task[RegionDone], float]], timeout_s: float | None
) -> dict[str, str]:
    """Cancel the regions in flight for longer than their patience; return why, by region."""
    now = time.perf_counter()
    late = {}
    for name, (region, task, t0) in in_flight.items():
        patience = (
            timeout_s if timeout_s is not None else 2 * region.config.solver.time_limit_s + 600
        )
        if now - t0 > patience and not task.done():
            task.cancel()
            late[name] = f"no answer within {patience:g} s (cancelled)"
    return late


def _job(
    region: Region,
    beside: bool,
    history_for: Callable[[Region], HistoryAdjustment | None] | None,
) -> RegionJob:
    """Return the job of a region (one search per solve when regions run beside each other)."""
    if beside and region.config.solver.second_search:
        region = dataclasses.replace(
            region, config=region.config.replace(solver__second_search=False)
        )
    return RegionJob(region, history_for(region) if history_for is not None else None)


def _settle(
    out: RegionOutcome,
    region: Region,
    task: Task[RegionDone],
    t0: float,
    on_done: Callable[[Region, RegionDone], None],
    progress: Progress,
) -> None:
    """Record a finished region's outcome and hand its plan to ``on_done``."""
    outcome = task.result(0.0)
    out.wall_s = time.perf_counter() - t0
    # executors that retry say what failed first (the Dask executor does)
    out.retried = tuple(getattr(task, "attempts", ())[: -1 if outcome.error else None])
    done = outcome.value
    if done is not None:
        out.worker = done.worker
    if done is None or done.plan is None:
        out.status = "failed"
        out.reason = outcome.error or (done.error if done is not None else "no answer")
        progress(f"region {region.name}: FAILED: {out.reason}")
        return
    out.task_s, out.solve_s, out.worker = done.seconds, done.solve_s, done.worker
    out.summary = done.plan.summary.to_json()
    try:
        on_done(region, done)
    except (RouteplanError, OSError) as exc:
        out.status, out.reason = "failed", f"planned, but could not be written: {exc}"
        progress(f"region {region.name}: FAILED: {out.reason}")
        return
    out.status = "planned"
    counts = out.summary.get("counts", {})
    note = f" (after: {'; '.join(out.retried)})" if out.retried else ""
    progress(
        f"region {region.name}: {counts.get('planned', 0)} visits by "
        f"{counts.get('agents_with_visits', 0)} agents in {out.wall_s:.1f} s{note}"
    )


# --- a whole run into a folder -------------------------------------------------------


@dataclass(frozen=True)
class RegionsRun:
    """What :func:`plan_regions` did: each region's outcome and the run's summary."""

    outcomes: tuple[RegionOutcome, ...]
    summary: dict[str, Any]

    @property
    def ok(self) -> bool:
        """True when every region was planned and written."""
        return all(o.status == "planned" for o in self.outcomes)


def plan_regions(
    out_dir: str | Path,
    portfolio: Portfolio,
    executor: Executor,
    *,
    store: Store | None = None,
    show_names: bool = False,
    force: bool = False,
    execution: Mapping[str, Any] | None = None,
    progress: Progress = _quiet,
) -> RegionsRun:
    """Plan every region of ``portfolio`` and write the run into ``out_dir``.

    Each region's plan folder is drawn where the region was planned and
    written here (and, with ``store``, the plan stored here) as soon as it
    comes back; then the run's
    ``summary.json``, ``rejected.csv``, ``unplanned.csv`` and ``index.html``.

    Raises
    ------
    ChangedFilesError
        Before anything is planned, when files routeplan would replace were
        changed by hand and ``force`` is off (with it they are moved to
        backup folders first).
    """
    from routeplan.io.planfiles import changed_plan_files
    from routeplan.io.regions import install_plan_folder, top_conflicts, write_top_files
    from routeplan.present.regions_index import build_regions_index

    out = Path(out_dir)
    if not force:
        changed = top_conflicts(out)
        for r in portfolio.regions:
            changed += [f"{r.folder}/{name}" for name in changed_plan_files(out / r.folder)]
        if changed:
            raise ChangedFilesError(str(out), changed)
    t0 = time.perf_counter()

    def write(region: Region, done: RegionDone) -> None:
        assert done.plan is not None
        _, notices = install_plan_folder(out / region.folder, done.files, force=force)
        for line in (*done.notices, *notices):
            progress(f"region {region.name}: {line}")
        if store is not None:
            store.save(done.plan)

    history_for = _history_reader(store) if store is not None else None
    outcomes = run_regions(
        portfolio.regions,
        executor,
        write,
        history_for=history_for,
        progress=progress,
        render=True,
        show_names=show_names,
    )
    summary = run_summary(portfolio, outcomes, dict(execution or {}), time.perf_counter() - t0)
    index = build_regions_index(summary)
    write_top_files(
        out,
        summary,
        portfolio.rejected,
        unplanned_table(portfolio, outcomes),
        index,
        force=force,
    )
    return RegionsRun(tuple(outcomes), summary)


def _history_reader(store: Store) -> Callable[[Region], HistoryAdjustment | None]:
    """Return the history of a region's accounts on its day, read here from ``store``."""
    from routeplan.history import apply_history

    def read(region: Region) -> HistoryAdjustment:
        outcomes = store.outcomes(until=region.date)
        return apply_history(region.inputs.accounts, outcomes, region.date, region.config.history)

    return read


def unplanned_table(portfolio: Portfolio, outcomes: Sequence[RegionOutcome]) -> pd.DataFrame:
    """Return ``region, account_id, reason`` for every account of a region not planned."""
    failed = {o.region: o.reason for o in outcomes if o.status != "planned"}
    frames = [
        pd.DataFrame(
            {
                "region": r.name,
                S.ACCOUNT_ID: r.inputs.accounts[S.ACCOUNT_ID].astype(str),
                "reason": f"region not planned: {failed[r.name]}",
            }
        )
        for r in portfolio.regions
        if r.name in failed
    ]
    if not frames:
        return pd.DataFrame(columns=list(UNPLANNED_COLUMNS))
    return pd.concat(frames, ignore_index=True)


def run_summary(
    portfolio: Portfolio,
    outcomes: Sequence[RegionOutcome],
    execution: dict[str, Any],
    wall_s: float,
) -> dict[str, Any]:
    """Return the run's ``summary.json``: each region, totals, what was left out, how."""
    records = [o.record() for o in outcomes]
    planned = [r for r in records if r["status"] == "planned"]
    dates = sorted({o.date for o in outcomes})

    def total(key: str) -> float:
        return round(sum(float(r[key] or 0) for r in planned), 2)

    rejected_rows = {(p.file, p.row) for p in portfolio.rejected}
    return {
        "kind": "regions",
        "date": dates[0] if len(dates) == 1 else None,
        "dates": dates,
        "totals": {
            "regions": len(outcomes),
            "planned": len(planned),
            "failed": len(outcomes) - len(planned),
            "accounts": int(sum(int(r["accounts"] or 0) for r in records)),
            "visits": int(total("planned")),
            "travel_km": total("travel_km"),
            "expected_recovery_covered": total("expected_recovery_covered"),
            "balance_covered": total("balance_covered"),
            "rejected_rows": len(rejected_rows),
            "unplanned_accounts": sum(o.accounts for o in outcomes if o.status != "planned"),
        },
        "regions": records,
        "agents_without_accounts": {
            k: list(v) for k, v in portfolio.agents_without_accounts.items()
        },
        "split": portfolio.split,
        "execution": {**execution, "wall_s": round(wall_s, 2)},
    }
