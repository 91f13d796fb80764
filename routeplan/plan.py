"""The daily plan: load -> eligibility -> scoring -> travel -> solve -> outputs.

:func:`plan_day` chains the pure stages over already-loaded data and returns
a :class:`Plan`; :func:`load_inputs` is the file side (readers and
geocoding). The CLI and the notebooks call these two.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from routeplan import schema as S
from routeplan.build import BuiltProblem, agent_break, agent_status, build_problem
from routeplan.checklist import build_checklist
from routeplan.config import Config
from routeplan.eligibility import determine_eligibility
from routeplan.errors import InputError, RowProblem
from routeplan.io.readers import format_clock, read_accounts, read_agents
from routeplan.itinerary import assemble_itineraries
from routeplan.scoring import score_accounts
from routeplan.solver import solve
from routeplan.solver.model import Progress, Result

if TYPE_CHECKING:
    import folium

    from routeplan.history import HistoryAdjustment


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class Inputs:
    """Validated inputs: accounts and agents, and every refused row."""

    accounts: pd.DataFrame
    agents: pd.DataFrame
    rejected: tuple[RowProblem, ...] = ()
    accounts_file: str = "accounts.csv"
    agents_file: str = "agents.csv"


def load_inputs(
    accounts_path: str | Path,
    agents_path: str | Path,
    *,
    encoding: str | None = None,
    geocoder: Any = None,
    geocode_cache: Any = None,
    progress: Progress = _quiet,
) -> Inputs:
    """Read both input files, geocode accounts without coordinates.

    Parameters
    ----------
    accounts_path, agents_path
        The portfolio and the agents (contract formats).
    encoding
        Force a text encoding; by default UTF-8 (with or without BOM) or
        GB18030 is detected.
    geocoder, geocode_cache
        A ``GeocodeFn`` and a ``GeocodeCache`` (see :mod:`routeplan.io.geocode`);
        without a geocoder, rows lacking coordinates are refused.

    Raises
    ------
    InputError
        A file cannot be used at all (missing, empty, undecodable, missing a
        required column).
    """
    from routeplan.io.geocode import geocode_missing

    problems: list[RowProblem] = []
    errors: list[str] = []
    acc = ag = None
    try:
        acc = read_accounts(accounts_path, encoding=encoding)
    except InputError as exc:
        errors.append(str(exc))
    try:
        ag = read_agents(agents_path, encoding=encoding)
    except InputError as exc:
        errors.append(str(exc))
    if errors or acc is None or ag is None:
        raise InputError("; ".join(errors))
    problems.extend(acc.rejected)
    problems.extend(ag.rejected)
    accounts = acc.frame
    progress(
        f"read {len(accounts)} valid accounts and {len(ag.frame)} valid agents "
        f"({len(problems)} rows refused)"
    )
    missing = accounts[S.LAT].isna() | accounts[S.LON].isna()
    if missing.any():
        progress(f"geocoding {int(missing.sum())} addresses without coordinates")
        placed, geo_problems = geocode_missing(
            accounts,
            geocoder,
            geocode_cache,
            file=Path(accounts_path).name,
            row_numbers=accounts["_row"].tolist(),
            progress=progress,
        )
        accounts = placed.reset_index(drop=True)
        problems.extend(geo_problems)
    return Inputs(
        accounts=accounts,
        agents=ag.frame,
        rejected=tuple(problems),
        accounts_file=Path(accounts_path).name,
        agents_file=Path(agents_path).name,
    )


@dataclass(frozen=True)
class Plan:
    """One day's plan and everything that explains it.

    The tables use the plan-folder schemas of the contract; ``summary`` is
    the content of ``summary.json``.
    """

    date: dt.date
    config: Config
    itineraries: pd.DataFrame
    checklist: pd.DataFrame
    excluded: pd.DataFrame
    dropped: pd.DataFrame
    rejected: pd.DataFrame
    scores: pd.DataFrame
    summary: dict[str, Any]
    accounts: pd.DataFrame = field(repr=False)
    agents: pd.DataFrame = field(repr=False)
    result: Result | None = field(default=None, repr=False)

    @property
    def visits(self) -> pd.DataFrame:
        """The planned visits (itinerary rows of kind ``visit``)."""
        return self.itineraries[self.itineraries["kind"] == S.KIND_VISIT].reset_index(drop=True)

    def map(self, *, show_names: bool = False) -> folium.Map:
        """Return the day's folium map (displays inline in Jupyter)."""
        from routeplan.present.map import build_map

        return build_map(
            self.itineraries, self.dropped, self.summary, self.checklist, show_names=show_names
        )

    def write(
        self, out_dir: str | Path, *, show_names: bool = False, force: bool = False
    ) -> list[Path]:
        """Write the plan folder (CSVs, summary, map, sheets) like the CLI.

        A folder holding files changed by hand since routeplan wrote them
        (filled outcomes, an edited itinerary) raises
        :class:`~routeplan.errors.ChangedFilesError`; with ``force`` they are
        moved to ``out_dir/backup-YYYYmmdd-HHMMSS/`` first.
        """
        from routeplan.io.planfiles import write_plan_folder

        return write_plan_folder(self, Path(out_dir), show_names=show_names, force=force)


def plan_day(
    inputs: Inputs,
    plan_date: dt.date,
    config: Config | None = None,
    *,
    history: HistoryAdjustment | None = None,
    progress: Progress = _quiet,
) -> Plan:
    """Plan one day: eligibility, scoring, structural checks, routing, outputs.

    Parameters
    ----------
    inputs
        Validated accounts and agents (:func:`load_inputs` or built in memory).
    plan_date
        The day planned (legal days, active promises, recency of visits).
    config
        Rules and solver settings; the defaults when None.
    history
        Effects of recorded outcomes (``routeplan.history.apply_history``).
    progress
        Called with one-line updates (the CLI prints them to stderr).
    """
    cfg = config or Config()
    t0 = time.perf_counter()
    accounts = inputs.accounts
    extra = None
    broken: frozenset[str] = frozenset()
    avoid: Mapping[str, tuple[int, int]] = {}
    if history is not None:
        accounts = history.accounts
        extra = history.exclusions
        broken = history.broken_promise_accounts
        avoid = history.avoid_windows
    status = agent_status(inputs.agents, plan_date, cfg)
    if status.usable.empty:
        why = [f"{r.agent_id}: {r.reason}" for r in status.unusable.itertuples()]
        why += [
            f"row {p.row}, column {p.column}: {p.problem}"
            for p in inputs.rejected
            if p.file == inputs.agents_file
        ]
        raise InputError(
            f"{inputs.agents_file}: no usable agent on {plan_date.isoformat()} ("
            + ("; ".join(why) or "no agent rows")
            + ")"
        )
    for row in status.usable.itertuples(index=False):
        owed = agent_break(row)
        if owed.note:
            progress(f"agent {getattr(row, S.AGENT_ID)} owes no break today: {owed.note}")
    elig = determine_eligibility(accounts, plan_date, cfg, extra_exclusions=extra)
    progress(
        f"{len(elig.eligible)} of {len(accounts)} accounts eligible "
        f"({elig.excluded[S.ACCOUNT_ID].nunique()} excluded)"
    )
    scores = score_accounts(accounts, plan_date, cfg.scoring)
    eligible = elig.eligible.merge(
        scores[[S.ACCOUNT_ID, "priority", "expected_recovery"]], on=S.ACCOUNT_ID, how="left"
    )
    built = build_problem(eligible, status.usable, cfg, avoid_windows=avoid)
    progress(
        f"{len(built.problem.visits)} visits plannable, {len(built.dropped)} "
        f"dropped before solving; {len(built.problem.vehicles)} usable agents"
    )
    result = solve(built.problem, cfg.solver, progress)
    progress(
        f"solver {result.status}: {result.num_served()} visits planned in {result.runtime_s:.1f} s"
    )
    itineraries = assemble_itineraries(
        result, built, accounts, status.usable, scores, plan_date, cfg.legal.start_min
    )
    visits = itineraries[itineraries["kind"] == S.KIND_VISIT]
    checklist = build_checklist(
        visits[[S.ACCOUNT_ID, S.AGENT_ID]],
        accounts,
        status.usable,
        plan_date,
        cfg,
        broken_promise_accounts=broken,
    )
    dropped = _dropped_table(built, result, eligible, scores)
    rejected = pd.DataFrame(
        [p.as_record() for p in inputs.rejected], columns=list(S.REJECTED_COLUMNS)
    )
    summary = _summary(
        plan_date,
        cfg,
        inputs,
        accounts,
        elig.excluded,
        eligible,
        itineraries,
        dropped,
        status,
        result,
        time.perf_counter() - t0,
    )
    return Plan(
        date=plan_date,
        config=cfg,
        itineraries=itineraries,
        checklist=checklist,
        excluded=elig.excluded,
        dropped=dropped,
        rejected=rejected,
        scores=scores,
        summary=summary,
        accounts=accounts,
        agents=inputs.agents,
        result=result,
    )


def _dropped_table(
    built: BuiltProblem, result: Result, eligible: pd.DataFrame, scores: pd.DataFrame
) -> pd.DataFrame:
    rows = [built.dropped]
    if result.dropped:
        ids = [built.visit_accounts[i] for i in result.dropped]
        rows.append(
            pd.DataFrame(
                {
                    S.ACCOUNT_ID: ids,
                    "reason": S.DR_CAPACITY,
                    "detail": "expected recovery lower than the visits planned within the agents' "
                    "shifts and max_visits (or not worth the travel)",
                }
            )
        )
    frames = [r for r in rows if not r.empty]
    dropped = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(S.DROPPED_COLUMNS))
    )
    info = eligible[[S.ACCOUNT_ID, S.LAT, S.LON, S.BALANCE]].merge(
        scores[[S.ACCOUNT_ID, "priority", "expected_recovery"]], on=S.ACCOUNT_ID, how="left"
    )
    out = dropped.merge(info, on=S.ACCOUNT_ID, how="left")
    return out.sort_values("expected_recovery", ascending=False, kind="stable").reset_index(
        drop=True
    )


def _summary(
    plan_date: dt.date,
    cfg: Config,
    inputs: Inputs,
    accounts: pd.DataFrame,
    excluded: pd.DataFrame,
    eligible: pd.DataFrame,
    itineraries: pd.DataFrame,
    dropped: pd.DataFrame,
    status: Any,
    result: Result,
    elapsed_s: float,
) -> dict[str, Any]:
    visits = itineraries[itineraries["kind"] == S.KIND_VISIT]
    agents_out: list[dict[str, Any]] = []
    unusable = dict(zip(status.unusable[S.AGENT_ID], status.unusable["reason"], strict=True))
    for row in inputs.agents.itertuples(index=False):
        aid = getattr(row, S.AGENT_ID)
        expiry = getattr(row, S.CREDENTIAL_EXPIRY)
        agents_out.append(
            {
                "agent_id": aid,
                "name": getattr(row, S.AGENT_NAME),
                "credential_id": getattr(row, S.CREDENTIAL_ID) or "",
                "credential_expiry": expiry.isoformat() if isinstance(expiry, dt.date) else "",
                "usable": aid not in unusable,
                "unusable_reason": unusable.get(aid, ""),
                "shift_start": format_clock(int(getattr(row, S.SHIFT_START))),
                "shift_end": format_clock(int(getattr(row, S.SHIFT_END))),
                "break": agent_break(row).describe(),
                **_route_totals(itineraries[itineraries[S.AGENT_ID] == aid]),
            }
        )
    # a row refused for several reasons is one row (and several lines of rejected.csv)
    rejected_rows = {(p.file, p.row) for p in inputs.rejected}
    n_rejected_accounts = sum(1 for f, _ in rejected_rows if f == inputs.accounts_file)
    legal = cfg.legal
    totals = _route_totals(itineraries)
    return {
        "date": plan_date.isoformat(),
        "jurisdiction": legal.code,
        "legal_hours": f"{format_clock(legal.start_min)}-{format_clock(legal.end_min)}",
        "counts": {
            "accounts": len(accounts),
            "rejected_rows": len(rejected_rows),
            "rejection_lines": len(inputs.rejected),
            "rejected_account_rows": n_rejected_accounts,
            "excluded": int(excluded[S.ACCOUNT_ID].nunique()),
            "eligible": len(eligible),
            "planned": len(visits),
            "dropped": len(dropped),
            "agents": len(inputs.agents),
            "agents_usable": len(status.usable),
            "agents_with_visits": int(visits[S.AGENT_ID].nunique()),
        },
        "dropped_by_reason": {str(k): int(v) for k, v in dropped["reason"].value_counts().items()},
        "excluded_by_reason": {
            str(k): int(v) for k, v in excluded["reason"].value_counts().items()
        },
        "balance_covered": totals["balance"],
        "balance_eligible": round(float(eligible[S.BALANCE].sum()), 2),
        "expected_recovery_covered": totals["expected_recovery"],
        "expected_recovery_eligible": round(float(eligible["expected_recovery"].sum()), 2),
        "travel_km": totals["travel_km"],
        "travel_min": totals["travel_min"],
        "service_min": len(visits) * cfg.visits.service_min,
        "solver": {
            "status": result.status,
            "mode": result.mode,
            "engine": result.engine,
            "objective": int(result.objective),
            "runtime_s": round(result.runtime_s, 2),
            "first_solution_s": (
                round(result.first_solution_s, 2) if result.first_solution_s is not None else None
            ),
            "time_limit_s": cfg.solver.time_limit_s,
            "solution_limit": cfg.solver.solution_limit,
        },
        "objective_note": (
            "minimise travel seconds + skip penalties; a skipped visit costs its expected "
            f"recovery converted at {cfg.solver.value_of_hour:g} per agent-hour"
        ),
        "elapsed_s": round(elapsed_s, 2),
        # how the dispatch outputs are drawn, so `routeplan map` redraws them the same way
        "output": {
            "language": cfg.output.language_for(legal.code),
            "offline_assets": cfg.output.offline_assets,
        },
        "agents": agents_out,
    }


def _route_totals(itineraries: pd.DataFrame) -> dict[str, Any]:
    """Return visits, km, travel minutes, balance and expected recovery of itinerary rows."""
    visits = itineraries[itineraries["kind"] == S.KIND_VISIT]
    legs = itineraries[itineraries["kind"].isin([S.KIND_VISIT, S.KIND_END])]

    def total(frame: pd.DataFrame, column: str, digits: int) -> float:
        return round(float(pd.to_numeric(frame[column], errors="coerce").sum()), digits)

    return {
        "visits": len(visits),
        "travel_km": total(legs, "travel_km", 2),
        "travel_min": total(legs, "travel_min", 1),
        "balance": total(visits, "balance", 2),
        "expected_recovery": total(visits, "expected_recovery", 2),
    }


def refresh_summary(
    summary: Mapping[str, Any],
    itineraries: pd.DataFrame,
    dropped: pd.DataFrame,
    service_min: int,
) -> dict[str, Any]:
    """Return ``summary`` with every figure drawn from the routes recomputed.

    Used after the routes change by hand (``routeplan retime``): visits,
    agents with visits, dropped counts and reasons, balance and expected
    recovery covered, km, travel and service minutes, and each agent's
    totals. Eligibility and solver figures are kept.
    """
    out = dict(summary)
    totals = _route_totals(itineraries)
    visits = itineraries[itineraries["kind"] == S.KIND_VISIT]
    counts = dict(out.get("counts") or {})
    counts.update(
        planned=totals["visits"],
        dropped=len(dropped),
        agents_with_visits=int(visits[S.AGENT_ID].nunique()),
    )
    out["counts"] = counts
    out["dropped_by_reason"] = {str(k): int(v) for k, v in dropped["reason"].value_counts().items()}
    out.update(
        balance_covered=totals["balance"],
        expected_recovery_covered=totals["expected_recovery"],
        travel_km=totals["travel_km"],
        travel_min=totals["travel_min"],
        service_min=totals["visits"] * service_min,
    )
    out["agents"] = [
        {
            **entry,
            **_route_totals(itineraries[itineraries[S.AGENT_ID] == str(entry.get("agent_id"))]),
        }
        for entry in out.get("agents") or []
        if isinstance(entry, Mapping)
    ]
    return out


__all__ = ["Inputs", "Plan", "load_inputs", "plan_day", "refresh_summary"]
