"""History store: every plan made and every visit outcome recorded, in SQLite.

One embedded database file (default ``routeplan.db``) holds

- ``plans``: plan id, plan date, the configuration and the summary (JSON);
- ``plan_events``: every row of the plan's itineraries (start, visits, breaks,
  end) with the agent, times and the leg's km;
- ``decisions``: every eligibility decision of the plan: one row per exclusion
  reason, one ``planned`` row per planned visit (with why it was chosen), one
  ``dropped`` row per eligible account left unplanned, one ``eligible`` row for
  a scored account that is neither;
- ``scores``: each eligible account's priority, probability, expected recovery
  and points (the ``pts_*`` columns as JSON);
- ``plan_agents``: the agents of each plan (the roster ``record`` checks against);
- ``outcomes``: one row per visit, unique on ``(account_id, agent_id,
  visit_date)``, with the plan it belongs to (or a flag when the stop was not
  planned) and its proof (check-in and check-out, position, evidence,
  receipt, photo reference); ``outcome_revisions`` keeps every version a
  correction replaced, with the findings it had;
- ``visit_flags``: what the proof checks found on each visit (flagged, or
  not verified and why); ``plan_checklist`` and ``plan_places``: what each
  stop of a plan had to show and where each account was;
- ``record_runs``: one row per ``routeplan record`` call (file, digest, counts).

:class:`Store` is the one entry point; the package keeps one concern per
module: :mod:`~routeplan.io.store.db` (the connection, WAL, busy timeout,
``BEGIN IMMEDIATE`` writes), :mod:`~routeplan.io.store.migrations` (the
versioned schema), :mod:`~routeplan.io.store.plans` (saving plans),
:mod:`~routeplan.io.store.outcomes` (recording outcomes and revisions) and
:mod:`~routeplan.io.store.queries` (reading back: outcomes, stops, km, trails).

Safety
------
The schema is versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` is an
ordered list applied on open, each in its own transaction, so an old file is
brought up to date and a newer one is refused. The database runs in WAL mode
with a busy timeout: when two commands write at once the second waits for the
first instead of failing. Every write is one ``BEGIN IMMEDIATE`` transaction, so
a process killed in the middle of ``record`` leaves nothing of that file behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

import pandas as pd

from routeplan.errors import RowProblem
from routeplan.io.store import outcomes as _outcomes
from routeplan.io.store import plans as _plans
from routeplan.io.store import queries as _queries
from routeplan.io.store.db import DEFAULT_BUSY_TIMEOUT_S, DEFAULT_DB, Database, StoreError
from routeplan.io.store.migrations import MIGRATIONS, SCHEMA_VERSION, migrate
from routeplan.io.store.outcomes import RecordReport, RowHook

if TYPE_CHECKING:
    from routeplan.plan import Plan
    from routeplan.proof import ProofRules


class PlanExtras(TypedDict, total=False):
    """The optional tables :meth:`Store.save_plan` keeps with a plan (see there)."""

    agents: pd.DataFrame | None
    checklist: pd.DataFrame | None
    places: pd.DataFrame | None


__all__ = [
    "DEFAULT_BUSY_TIMEOUT_S",
    "DEFAULT_DB",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "RecordReport",
    "RowHook",
    "Store",
    "StoreError",
]


class Store:
    """An open history database (a context manager; ``close()`` when done).

    Parameters
    ----------
    path
        The SQLite file; created (with its schema) when missing. Its directory
        must exist. :meth:`open_existing` refuses a missing file instead.
    busy_timeout_s
        Seconds to wait for another process holding the write lock.
    clock
        Returns the current UTC time for audit columns (``created_at``,
        ``recorded_at``); tests pass a fixed one.
    """

    def __init__(
        self,
        path: str | Path = DEFAULT_DB,
        *,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.path = Path(path)
        self._db = Database(
            self.path,
            busy_timeout_s=busy_timeout_s,
            clock=clock or (lambda: dt.datetime.now(dt.UTC)),
            setup=migrate,
        )

    @classmethod
    def open_existing(cls, path: str | Path, **options: Any) -> Store:
        """Open a history database that must already exist (never create an empty one).

        ``options`` are those of :class:`Store`. Raises :class:`StoreError`
        naming the file when it is missing.
        """
        if not Path(path).exists():
            raise StoreError(
                f"{path}: no history database; plan with 'routeplan plan --db {path}' first"
            )
        return cls(path, **options)

    # -- lifecycle

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite)."""
        self._db.close()

    def __enter__(self) -> Store:
        """Return the store itself; it is closed when the block ends."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the store."""
        self.close()

    @property
    def schema_version(self) -> int:
        """The ``user_version`` of the open file."""
        return self._db.user_version

    # -- plans

    def save(self, plan: Plan) -> int:
        """Store a :class:`~routeplan.plan.Plan` (see :meth:`save_plan`); return its id."""
        return self.save_plan(
            plan.date,
            plan.config.to_dict(),
            plan.itineraries,
            plan.excluded,
            plan.dropped,
            plan.scores,
            plan.summary.to_json(),
            agents=plan.agents,
            checklist=plan.checklist,
            places=plan.accounts,
        )

    def save_plan(
        self,
        plan_date: dt.date,
        config: Mapping[str, Any],
        itineraries: pd.DataFrame,
        excluded: pd.DataFrame,
        dropped: pd.DataFrame,
        scores: pd.DataFrame,
        summary: Mapping[str, Any],
        **extras: Unpack[PlanExtras],
    ) -> int:
        """Store one plan with its stops, decisions and scores; return its plan id.

        Parameters
        ----------
        plan_date
            The day planned.
        config
            The configuration used (``Config.to_dict()``), kept as JSON.
        itineraries, excluded, dropped, scores
            The plan outputs (contract columns; extra columns are ignored).
        summary
            ``summary.json`` content, kept as JSON.
        **extras
            The optional tables (:class:`PlanExtras`), by keyword:

        agents
            Optional roster (``agent_id``, ``name``): agents that got no visit
            are then known to ``record`` too.
        checklist
            Optional ``checklist.csv`` rows with their ``code`` and
            ``category``: what each stop had to show (``record`` checks the
            ``evidence`` ticked against it).
        places
            Optional accounts (``account_id, lat, lon``): where each account
            was, for the check-in distance of visits to accounts the plan did
            not route (the visits' own coordinates are always kept).
        """
        record = _plans.PlanRecord(
            plan_date,
            config,
            itineraries,
            excluded,
            dropped,
            scores,
            summary,
            extras.get("agents"),
            extras.get("checklist"),
            extras.get("places"),
        )
        return _plans.insert_plan(self._db, record)

    def plans(self) -> pd.DataFrame:
        """Return every stored plan: ``plan_id, plan_date, created_at`` (oldest first)."""
        return _plans.plans(self._db)

    def plan_config(self, plan_id: int) -> dict[str, Any]:
        """Return the configuration a plan was made with."""
        return _plans.plan_config(self._db, plan_id)

    def known_accounts(self) -> frozenset[str]:
        """Return every account any stored plan has seen (planned, dropped or excluded)."""
        return _queries.known_accounts(self._db)

    def known_agents(self) -> frozenset[str]:
        """Return every agent of any stored plan."""
        return _queries.known_agents(self._db)

    def planned_stops(
        self, date_from: dt.date | None = None, date_to: dt.date | None = None
    ) -> pd.DataFrame:
        """Return the visits of the latest plan of each day in ``[date_from, date_to]``.

        See :func:`routeplan.io.store.queries.planned_stops` for the columns.
        """
        return _queries.planned_stops(self._db, date_from, date_to)

    def route_km(
        self, date_from: dt.date | None = None, date_to: dt.date | None = None
    ) -> pd.DataFrame:
        """Return km of each agent's planned route per day (latest plan of each day).

        See :func:`routeplan.io.store.queries.route_km` for the columns.
        """
        return _queries.route_km(self._db, date_from, date_to)

    def planned_routes(
        self, date_from: dt.date | None = None, date_to: dt.date | None = None
    ) -> pd.DataFrame:
        """Return every route row of the latest plan of each day (and region) in the period.

        See :func:`routeplan.io.store.queries.planned_routes` for the columns.
        """
        return _queries.planned_routes(self._db, date_from, date_to)

    def usable_agents(
        self, date_from: dt.date | None = None, date_to: dt.date | None = None
    ) -> pd.DataFrame:
        """Return ``plan_id, agent_id`` of the agents usable in the plans of ``planned_routes``."""
        return _queries.usable_agents(self._db, date_from, date_to)

    def agent_names(self) -> dict[str, str]:
        """Return the latest known display name of every agent."""
        return _queries.agent_names(self._db)

    # -- outcomes

    def record_outcomes(
        self,
        rows: pd.DataFrame,
        source: str,
        *,
        rejected: Sequence[RowProblem] = (),
        on_row: RowHook | None = None,
        rules: ProofRules | None = None,
        places: Mapping[str, tuple[float, float]] | None = None,
    ) -> RecordReport:
        """Store validated outcome rows in one transaction; idempotent per visit.

        A visit is identified by ``(account_id, agent_id, visit_date)``. A row
        equal to the stored one (proof included) changes nothing
        (``unchanged``); a row with other values replaces it as a whole
        (``updated``; the old version and its findings go to
        ``outcome_revisions``). Every visit this call stores is checked
        (:mod:`routeplan.proof`) in the same transaction, with the visits it
        is compared with; its findings are stored in ``visit_flags`` and
        returned in the report's ``findings``, and a flagged visit is listed
        in ``flagged`` (a visit no plan of its day has for that agent is
        flagged ``not_planned`` or ``planned_other_agent``). A visit that is
        unchanged is not checked again.

        Parameters
        ----------
        rows
            Validated rows (see :func:`routeplan.outcomes.validate_outcomes`):
            ``account_id, agent_id, visit_date, outcome, amount_paid, ptp_date,
            ptp_amount, notes`` and optionally ``_row`` (the file's row number).
        source
            The file the rows came from (kept with each row).
        rejected
            The rows validation refused, counted in the run's audit row.
        on_row
            Called as ``on_row(done, total)`` after each row is written, inside
            the transaction (a progress bar, say). An exception it raises
            rolls the whole call back and propagates.
        rules
            The ``[audit]`` settings and the jurisdiction for days without a
            stored plan; default :class:`~routeplan.proof.ProofRules`.
        places
            ``account_id -> (lat, lon)`` for accounts no stored plan locates
            (``record --accounts``).
        """
        return _outcomes.record_outcomes(
            self._db, rows, source, rejected=rejected, on_row=on_row, rules=rules, places=places
        )

    def outcomes(
        self,
        until: dt.date | None = None,
        *,
        since: dt.date | None = None,
        account_id: str | None = None,
    ) -> pd.DataFrame:
        """Return recorded outcomes with ``since <= visit_date <= until`` (None: open).

        ``account_id`` limits them to one account. This is the ``outcomes``
        input of :func:`routeplan.history.apply_history`; see
        :func:`routeplan.io.store.queries.outcomes` for the columns.
        """
        return _queries.outcomes(self._db, until, since=since, account_id=account_id)

    def item_codes(self) -> frozenset[str]:
        """Return every checklist item code of any stored plan (accepted in ``evidence``)."""
        return _queries.item_codes(self._db)

    def verification(
        self, date_from: dt.date | None = None, date_to: dt.date | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return the recorded visits of a period and their proof findings.

        See :func:`routeplan.io.store.queries.verification`.
        """
        return _queries.verification(self._db, date_from, date_to)

    def flagged_visits(
        self,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        *,
        agent_id: str | None = None,
    ) -> pd.DataFrame:
        """Return one row per flag of the visits of a period, with the evidence.

        See :func:`routeplan.io.store.queries.flagged_visits` for the columns.
        """
        return _queries.flagged_visits(self._db, date_from, date_to, agent_id=agent_id)

    def record_runs(self) -> pd.DataFrame:
        """Return the audit rows of every ``record`` call, oldest first."""
        return _queries.record_runs(self._db)

    def outcome_revisions(self) -> pd.DataFrame:
        """Return every outcome version a later correction replaced."""
        return _queries.outcome_revisions(self._db)

    # -- looking back

    def account_trail(self, account_id: str) -> dict[str, pd.DataFrame]:
        """Return everything stored about one account.

        Keys ``decisions``, ``stops``, ``scores`` and ``outcomes``, each oldest
        first (see :func:`routeplan.io.store.queries.account_trail`).
        """
        return _queries.account_trail(self._db, account_id)
