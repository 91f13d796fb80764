"""Turn recorded visit outcomes into their effects on the next plan.

A pure stage: the accounts (as read), the outcomes from the history store
(:meth:`routeplan.io.store.Store.outcomes`), the plan date and the
``[history]`` configuration in; adjusted accounts, exclusions (one row per
reason, codes below), times of day to avoid and the accounts whose promise
just broke out. Nothing here reads the clock, a file or the database.

Rules (``cfg`` = :class:`routeplan.config.HistoryConfig`; only outcomes
dated on or before the plan date count):

``paid`` / ``partial_payment``
    The balance drops by the amounts paid. A payment dated on or before the
    portfolio's ``last_payment_date`` is taken as already in its balance and
    not subtracted again. A balance brought to zero by a recorded payment
    excludes the account (``paid_in_full``).
``ptp``
    No visit until ``ptp_date + cfg.ptp_grace_days`` (``ptp_pending``) unless
    the promise is already kept. A promise is kept by any later payment (the
    payments after the promise add up to ``ptp_amount`` when one was given; a
    later portfolio ``last_payment_date`` counts as kept) and replaced by a
    new promise taken before it fell due. A promise past due plus grace, not
    kept and not replaced, is broken: ``broken_promises`` + 1 (scoring raises
    the priority) and, until a later visit meets the debtor, the account is in
    ``broken_promise_accounts`` so its checklist carries the record.
``not_home``
    Retried, but at most ``cfg.not_home_max_attempts`` unanswered attempts in
    ``cfg.not_home_window_days`` days (``not_home_attempts_cap``), and away
    from the time of day of the last attempt when that was unanswered:
    ``avoid_windows`` holds the planned start of that visit
    +/- ``HistoryConfig.not_home_avoid_min`` minutes; :func:`avoid_time` cuts it out
    of an account's windows when what is left still fits a visit. An
    unanswered attempt is not a contacted visit: it neither moves
    ``last_visit_date`` nor counts in ``visits_90d`` (else a retry within the
    portfolio's minimum days between visits would be impossible).
Contacted visits
    Every outcome but ``not_home``, ``moved``, ``wrong_address`` (they met nobody).
    At most one per account per ``cfg.contacted_gap_days`` days
    (``contacted_visit_recently``; ``refused_recently`` when the last one was a
    refusal). ``last_visit_date`` and ``visits_90d`` become the stricter of the
    portfolio's values and those of the recorded contacted visits.
``hardship``
    Not visited for ``cfg.hardship_pause_days`` days (``hardship_pause``); the
    account's ``hardship`` flag is set so a later visit carries the relief
    offer.
Blocking records: ``dispute``, ``wrong_address``, ``moved``, ``vulnerable``, ...
    (also ``represented``, ``no_visits_requested``, ``asked_to_leave``)
    Out of the field list until cleared (``disputed_in_field``,
    ``wrong_address``, ``moved``, ...). Cleared by a later ``paid``,
    ``partial_payment`` or ``ptp`` record (the lender settled the matter with
    the debtor and recorded it); ``wrong_address`` and ``moved`` also clear
    when the portfolio's address differs from the address that was visited.
``deceased``
    Never visited again (``deceased``).
``rescheduled``
    A contacted visit with no other effect.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import pandas as pd

from routeplan import schema as S
from routeplan.config import HistoryConfig
from routeplan.present.common import text
from routeplan.proof import COMPLIANCE_FLAGS, NEEDS, Flag, Status
from routeplan.schema import ExcludedReason, Outcome

# --- reason codes (excluded.csv), members of schema.ExcludedReason ---------------------
EX_PAID_IN_FULL: Final = ExcludedReason.PAID_IN_FULL
EX_PTP_PENDING: Final = ExcludedReason.PTP_PENDING
EX_NOT_HOME_CAP: Final = ExcludedReason.NOT_HOME_CAP
EX_REFUSED: Final = ExcludedReason.REFUSED
EX_CONTACTED: Final = ExcludedReason.CONTACTED
EX_HARDSHIP_PAUSE: Final = ExcludedReason.HARDSHIP_PAUSE
EX_DISPUTED: Final = ExcludedReason.DISPUTED_IN_FIELD
EX_WRONG_ADDRESS: Final = ExcludedReason.WRONG_ADDRESS
EX_MOVED: Final = ExcludedReason.MOVED
EX_DECEASED: Final = ExcludedReason.DECEASED
EX_VULNERABLE: Final = ExcludedReason.VULNERABLE
EX_REPRESENTED: Final = ExcludedReason.REPRESENTED
EX_NO_VISITS_REQUESTED: Final = ExcludedReason.NO_VISITS_REQUESTED
EX_ASKED_TO_LEAVE: Final = ExcludedReason.ASKED_TO_LEAVE

HISTORY_REASONS: Final = (
    EX_PAID_IN_FULL,
    EX_PTP_PENDING,
    EX_NOT_HOME_CAP,
    EX_REFUSED,
    EX_CONTACTED,
    EX_HARDSHIP_PAUSE,
    EX_DISPUTED,
    EX_WRONG_ADDRESS,
    EX_MOVED,
    EX_DECEASED,
    EX_VULNERABLE,
    EX_REPRESENTED,
    EX_NO_VISITS_REQUESTED,
    EX_ASKED_TO_LEAVE,
)

#: balances at or below this (money units) count as paid in full
PAID_IN_FULL_TOLERANCE: Final = 0.005


#: outcome code -> exclusion kept until a later clearing record
BLOCKING_CODES: Final[Mapping[str, str]] = {
    Outcome.DISPUTE: EX_DISPUTED,
    Outcome.WRONG_ADDRESS: EX_WRONG_ADDRESS,
    Outcome.MOVED: EX_MOVED,
    Outcome.VULNERABLE: EX_VULNERABLE,
    Outcome.REPRESENTED: EX_REPRESENTED,
    Outcome.NO_VISITS_REQUESTED: EX_NO_VISITS_REQUESTED,
    Outcome.ASKED_TO_LEAVE: EX_ASKED_TO_LEAVE,
    Outcome.DECEASED: EX_DECEASED,
}
#: records that clear a block (the debtor paid or promised after it)
CLEARING_CODES: Final = frozenset({Outcome.PAID, Outcome.PARTIAL_PAYMENT, Outcome.PTP})
#: blocks no later record clears
PERMANENT_CODES: Final = frozenset({Outcome.DECEASED})
#: blocks a new portfolio address clears
ADDRESS_CODES: Final = frozenset({Outcome.WRONG_ADDRESS, Outcome.MOVED})

PROMISE_COLUMNS: Final = (
    S.ACCOUNT_ID,
    S.AGENT_ID,
    S.VISIT_DATE,
    S.PTP_DATE,
    S.PTP_AMOUNT,
    "due_date",
    "paid_after",
    "status",
)
PROMISE_PENDING: Final = "pending"
PROMISE_KEPT: Final = "kept"
PROMISE_BROKEN: Final = "broken"
PROMISE_REPLACED: Final = "replaced"


@dataclass(frozen=True)
class HistoryAdjustment:
    """What the recorded history changes in tomorrow's plan.

    Attributes
    ----------
    accounts
        The accounts with the same columns: ``balance`` reduced by recorded
        payments, ``broken_promises`` raised by broken field promises,
        ``last_payment_date`` / ``last_visit_date`` / ``visits_90d`` combined with
        the history (later / stricter wins), ``hardship`` set by a field record.
    exclusions
        ``account_id, reason, detail``, one row per account and reason.
    avoid_windows
        account id -> ``(start_min, end_min)`` of the day to avoid (the time of
        the last, unanswered attempt).
    broken_promise_accounts
        Accounts with a broken field promise not yet followed by a contacted visit
        (the next visit's checklist carries the broken-promise record).
    last_visits
        Each account's last recorded visits, newest first (:func:`last_visits`):
        the route sheet prints them on the account's stop.
    """

    accounts: pd.DataFrame
    exclusions: pd.DataFrame
    avoid_windows: dict[str, tuple[int, int]]
    broken_promise_accounts: frozenset[str]
    last_visits: pd.DataFrame = field(default_factory=lambda: _empty_last_visits())


def apply_history(
    accounts: pd.DataFrame,
    outcomes: pd.DataFrame,
    plan_date: dt.date,
    cfg: HistoryConfig,
) -> HistoryAdjustment:
    """Apply the recorded outcomes to the accounts for the plan of ``plan_date``.

    Parameters
    ----------
    accounts
        Parsed accounts (schema of :mod:`routeplan.schema`; dates datetime64).
    outcomes
        Recorded outcomes: ``account_id, agent_id, visit_date, outcome,
        amount_paid, ptp_date, ptp_amount`` and optionally ``visit_start_min``
        (planned start, minutes after midnight) and ``visited_address``.
        Outcomes dated after ``plan_date`` and for accounts not in ``accounts``
        are ignored.
    plan_date
        The day being planned.
    cfg
        The ``[history]`` settings (``not_home_avoid_min``: minutes either
        side of the last unanswered attempt to avoid).
    """
    out = accounts.copy()
    ids = [str(a) for a in out[S.ACCOUNT_ID]]
    by_account = _visits_by_account(_prepare(outcomes, pd.Timestamp(plan_date), set(ids)))
    exclusions: list[tuple[str, str, str]] = []
    avoid: dict[str, tuple[int, int]] = {}
    broken_now: set[str] = set()
    recent = last_visits(outcomes, plan_date, accounts=ids)
    if not by_account:
        return HistoryAdjustment(
            out, _exclusion_frame(exclusions), avoid, frozenset(), last_visits=recent
        )

    row_of = {acc: k for k, acc in enumerate(ids)}
    state = {col: _column(out, col) for col in _STATE_COLUMNS}
    changes: dict[str, dict[int, Any]] = {col: {} for col in _STATE_COLUMNS}
    for acc, visits in by_account.items():
        k = row_of[acc]
        now = {col: values[k] for col, values in state.items()}
        reasons: list[tuple[str, str]] = []
        portfolio_pay = _date_or_none(now[S.LAST_PAYMENT_DATE])  # before field payments
        _payments(visits, now, reasons)
        if _promises(visits, now, portfolio_pay, plan_date, cfg, reasons):
            broken_now.add(acc)
        window = _not_home(visits, plan_date, cfg, reasons, cfg.not_home_avoid_min)
        if window is not None:
            avoid[acc] = window
        _contacted(visits, now, plan_date, cfg, reasons)
        _hardship(visits, now, plan_date, cfg, reasons)
        _blocks(visits, now, reasons)
        for col, value in now.items():
            if not _same_value(value, state[col][k]):
                changes[col][k] = value
        exclusions.extend((acc, reason, detail) for reason, detail in reasons)

    for col, by_row in changes.items():
        if by_row and col in out.columns:
            rows = list(by_row)
            out.loc[out.index[rows], col] = [by_row[r] for r in rows]
    return HistoryAdjustment(
        accounts=out,
        exclusions=_exclusion_frame(exclusions),
        avoid_windows=avoid,
        broken_promise_accounts=frozenset(broken_now),
        last_visits=recent,
    )


# --- last visits (the route sheet) ---------------------------------------------------

#: recorded visits the route sheet shows per stop
LAST_VISITS_SHOWN: Final = 3
#: columns of ``last_visits.csv`` in a plan folder (:func:`last_visits`)
LAST_VISIT_COLUMNS: Final = S.LAST_VISIT_COLUMNS


def last_visits(
    outcomes: pd.DataFrame,
    plan_date: dt.date,
    *,
    accounts: Collection[str] | None = None,
    per_account: int = LAST_VISITS_SHOWN,
) -> pd.DataFrame:
    """Return each account's last recorded visits up to ``plan_date``, newest first.

    Parameters
    ----------
    outcomes
        Recorded outcomes (``account_id, agent_id, visit_date, outcome,
        notes``; ``agent_name`` when known).
    plan_date
        Visits after it are left out.
    accounts
        Only these accounts (default: all).
    per_account
        At most this many visits per account.

    Returns
    -------
    pandas.DataFrame
        :data:`LAST_VISIT_COLUMNS`, ``visit_date`` as ``YYYY-MM-DD`` text; per
        account newest first (same day: the agent id decides), accounts in id
        order.
    """
    if outcomes is None or outcomes.empty:
        return _empty_last_visits()
    h = outcomes.copy()
    h[S.ACCOUNT_ID] = h[S.ACCOUNT_ID].astype(str)
    h["_day"] = pd.to_datetime(h[S.VISIT_DATE])
    keep = h["_day"] <= pd.Timestamp(plan_date)
    if accounts is not None:
        keep &= h[S.ACCOUNT_ID].isin(set(accounts))
    h = h[keep].sort_values(
        [S.ACCOUNT_ID, "_day", S.AGENT_ID], ascending=[True, False, True], kind="stable"
    )
    h = h.groupby(S.ACCOUNT_ID, sort=False).head(max(per_account, 0))
    return pd.DataFrame(
        {
            S.ACCOUNT_ID: h[S.ACCOUNT_ID].tolist(),
            S.VISIT_DATE: [d.strftime("%Y-%m-%d") for d in h["_day"]],
            S.AGENT_ID: h[S.AGENT_ID].astype(str).tolist(),
            "agent_name": [text(n) for n in h.get("agent_name", pd.Series("", h.index))],
            S.OUTCOME: h[S.OUTCOME].astype(str).str.strip().str.lower().tolist(),
            S.NOTES: [text(n) for n in h.get(S.NOTES, pd.Series("", h.index))],
        },
        columns=list(LAST_VISIT_COLUMNS),
    )


def _empty_last_visits() -> pd.DataFrame:
    return pd.DataFrame(columns=list(LAST_VISIT_COLUMNS), dtype=object)


# --- rules (plain Python over one account's visits, oldest first) -------------------------


@dataclass(frozen=True)
class _Visit:
    """One recorded visit of an account."""

    agent: str
    day: dt.date
    outcome: str
    amount: float  # NaN when none
    ptp_date: dt.date | None
    ptp_amount: float  # NaN when none
    start_min: float  # NaN when the visit was not planned
    address: str


@dataclass(frozen=True)
class _Promise:
    agent: str
    made: dt.date
    ptp_date: dt.date
    amount: float
    due: dt.date
    paid_after: float
    status: str


#: account columns the rules read and may change
_STATE_COLUMNS = (
    S.BALANCE,
    S.LAST_PAYMENT_DATE,
    S.BROKEN_PROMISES,
    S.LAST_VISIT_DATE,
    S.VISITS_90D,
    S.HARDSHIP,
    S.ADDRESS,
)


def _payments(visits: list[_Visit], now: dict[str, Any], reasons: list[tuple[str, str]]) -> None:
    pays = [v for v in visits if v.outcome in S.PAYMENT_OUTCOMES and v.amount > 0]
    if not pays:
        return
    cutoff = _date_or_none(now[S.LAST_PAYMENT_DATE])
    paid = sum(v.amount for v in pays if cutoff is None or v.day > cutoff)
    after = max(0.0, float(now[S.BALANCE]) - paid)
    now[S.BALANCE] = round(after, 2)
    last_pay = max(v.day for v in pays)
    if cutoff is None or last_pay > cutoff:
        now[S.LAST_PAYMENT_DATE] = pd.Timestamp(last_pay)
    if after <= PAID_IN_FULL_TOLERANCE:
        total = sum(v.amount for v in pays)
        reasons.append(
            (
                EX_PAID_IN_FULL,
                f"paid {_money(total)} in the field, last on {last_pay}; balance now 0.00",
            )
        )


def _account_promises(
    visits: list[_Visit], as_of: dt.date, grace_days: int, portfolio_pay: dt.date | None
) -> list[_Promise]:
    """Return the account's promises with their status as of ``as_of``."""
    ptps = [
        v for v in visits if v.outcome == Outcome.PTP and v.ptp_date is not None and v.day <= as_of
    ]
    pays = [
        v for v in visits if v.outcome in S.PAYMENT_OUTCOMES and v.amount > 0 and v.day <= as_of
    ]
    grace = dt.timedelta(days=grace_days)
    promises: list[_Promise] = []
    for k, p in enumerate(ptps):
        assert p.ptp_date is not None
        due = p.ptp_date + grace
        paid_after = sum(v.amount for v in pays if v.day > p.day)
        enough = paid_after > 0 if _isnan(p.ptp_amount) else paid_after >= p.ptp_amount - 0.005
        portfolio_paid = portfolio_pay is not None and portfolio_pay > p.day
        later = [q.day for q in ptps[k + 1 :] if q.day > p.day]
        if enough or portfolio_paid:
            status = PROMISE_KEPT
        elif later and later[0] <= due:
            status = PROMISE_REPLACED
        elif due >= as_of:
            status = PROMISE_PENDING
        else:
            status = PROMISE_BROKEN
        promises.append(_Promise(p.agent, p.day, p.ptp_date, p.ptp_amount, due, paid_after, status))
    return promises


def _promises(
    visits: list[_Visit],
    now: dict[str, Any],
    portfolio_pay: dt.date | None,
    day: dt.date,
    cfg: HistoryConfig,
    reasons: list[tuple[str, str]],
) -> bool:
    """Apply pending and broken promises; return whether a broken one awaits a visit.

    ``portfolio_pay`` is the portfolio's own last payment date (a payment the
    lender saw after a promise keeps it even without a field record).
    """
    book = _account_promises(visits, day, cfg.ptp_grace_days, portfolio_pay)
    broken = [p for p in book if p.status == PROMISE_BROKEN]
    if broken and now[S.BROKEN_PROMISES] is not None:
        now[S.BROKEN_PROMISES] = int(now[S.BROKEN_PROMISES]) + len(broken)
    for p in book:
        if p.status != PROMISE_PENDING:
            continue
        what = f" of {_money(p.amount)}" if not _isnan(p.amount) else ""
        reasons.append(
            (
                EX_PTP_PENDING,
                f"promise{what} taken on {p.made}, due {p.ptp_date}; no visit before "
                f"{p.due + dt.timedelta(days=1)} ({cfg.ptp_grace_days} days' grace)",
            )
        )
    if not broken:
        return False
    broke_on = max(p.due for p in broken) + dt.timedelta(days=1)
    return not any(v.day >= broke_on and v.outcome not in S.NOBODY_MET_OUTCOMES for v in visits)


def _not_home(
    visits: list[_Visit],
    day: dt.date,
    cfg: HistoryConfig,
    reasons: list[tuple[str, str]],
    half_width_min: int,
) -> tuple[int, int] | None:
    window_start = day - dt.timedelta(days=cfg.not_home_window_days)
    recent = sorted(v.day for v in visits if v.outcome == Outcome.NOT_HOME and v.day > window_start)
    cap = cfg.not_home_max_attempts
    if recent and len(recent) >= cap:
        anchor = recent[len(recent) - cap] if cap > 0 else day
        reopens = anchor + dt.timedelta(days=cfg.not_home_window_days)
        reasons.append(
            (
                EX_NOT_HOME_CAP,
                f"{len(recent)} unanswered attempts in the last {cfg.not_home_window_days} days "
                f"(at most {cap}); retry from {reopens}",
            )
        )
    last = visits[-1]
    if last.outcome != Outcome.NOT_HOME or _isnan(last.start_min):
        return None
    s = int(last.start_min)
    return max(0, s - half_width_min), min(24 * 60, s + half_width_min)


def _contacted(
    visits: list[_Visit],
    now: dict[str, Any],
    day: dt.date,
    cfg: HistoryConfig,
    reasons: list[tuple[str, str]],
) -> None:
    met = [v for v in visits if v.outcome not in S.NOBODY_MET_OUTCOMES]
    if not met:
        return
    last = met[-1]
    current = _date_or_none(now[S.LAST_VISIT_DATE])
    if current is None or last.day > current:
        now[S.LAST_VISIT_DATE] = pd.Timestamp(last.day)
    n90 = sum(1 for v in met if v.day > day - dt.timedelta(days=90))
    if now[S.VISITS_90D] is not None:
        now[S.VISITS_90D] = max(int(now[S.VISITS_90D]), n90)
    gap = cfg.contacted_gap_days
    if (day - last.day).days < gap:
        reopens = last.day + dt.timedelta(days=gap)
        rule = f"at most one contacted visit per {gap} days, next from {reopens}"
        if last.outcome == Outcome.REFUSED:
            reasons.append((EX_REFUSED, f"refused on {last.day}; {rule}"))
        else:
            reasons.append((EX_CONTACTED, f"{last.outcome} visit on {last.day}; {rule}"))


def _hardship(
    visits: list[_Visit],
    now: dict[str, Any],
    day: dt.date,
    cfg: HistoryConfig,
    reasons: list[tuple[str, str]],
) -> None:
    days = [v.day for v in visits if v.outcome == Outcome.HARDSHIP]
    if not days:
        return
    if now[S.HARDSHIP] is not None:
        now[S.HARDSHIP] = True
    last = max(days)
    until = last + dt.timedelta(days=cfg.hardship_pause_days)
    if (day - last).days < cfg.hardship_pause_days:
        reasons.append(
            (
                EX_HARDSHIP_PAUSE,
                f"hardship declared on {last}; relief path, no visit for "
                f"{cfg.hardship_pause_days} days (until {until})",
            )
        )


def _blocks(visits: list[_Visit], now: dict[str, Any], reasons: list[tuple[str, str]]) -> None:
    address = _norm_address(now[S.ADDRESS])
    for code, reason in BLOCKING_CODES.items():
        hits = [v for v in visits if v.outcome == code]
        if not hits:
            continue
        last = hits[-1]
        if code not in PERMANENT_CODES:
            if any(v.outcome in CLEARING_CODES and v.day > last.day for v in visits):
                continue
            visited = _norm_address(last.address)
            if code in ADDRESS_CODES and visited and address and visited != address:
                continue
        until = (
            "permanently"
            if code in PERMANENT_CODES
            else "until cleared (a later paid/ptp record"
            + (" or a new address in the portfolio)" if code in ADDRESS_CODES else ")")
        )
        reasons.append(
            (
                reason,
                f"{code} recorded on {last.day} by {last.agent}; out of the field list {until}",
            )
        )


# --- promises ------------------------------------------------------------------------


def promise_book(
    outcomes: pd.DataFrame,
    *,
    as_of: dt.date,
    grace_days: int,
    portfolio_last_payment: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Return every promise to pay recorded and its status as of ``as_of``.

    A promise (``ptp`` outcome) falls due on ``ptp_date + grace_days``. Its
    status is ``kept`` when payments recorded after it (up to ``as_of``) reach
    ``ptp_amount`` (any payment when no amount was promised) or the
    portfolio's last payment is later than the promise; ``replaced`` when a
    new promise was taken before it fell due; ``pending`` while not yet due;
    ``broken`` otherwise.

    Returns
    -------
    pandas.DataFrame
        :data:`PROMISE_COLUMNS`; dates as datetime64, ``due_date`` is the last
        day of grace, ``paid_after`` the amount paid after the promise.
    """
    h = _prepare(outcomes, pd.Timestamp(as_of), None)
    portfolio = portfolio_last_payment or {}
    rows: list[dict[str, object]] = []
    for acc, visits in _visits_by_account(h).items():
        for p in _account_promises(visits, as_of, grace_days, _date_or_none(portfolio.get(acc))):
            rows.append(
                {
                    S.ACCOUNT_ID: acc,
                    S.AGENT_ID: p.agent,
                    S.VISIT_DATE: pd.Timestamp(p.made),
                    S.PTP_DATE: pd.Timestamp(p.ptp_date),
                    S.PTP_AMOUNT: p.amount,
                    "due_date": pd.Timestamp(p.due),
                    "paid_after": p.paid_after,
                    "status": p.status,
                }
            )
    book = pd.DataFrame(rows, columns=list(PROMISE_COLUMNS))
    for col in (S.VISIT_DATE, S.PTP_DATE, "due_date"):
        book[col] = pd.to_datetime(book[col])
    return book


# --- report --------------------------------------------------------------------------

REPORT_COLUMNS: Final = (
    S.AGENT_ID,
    "agent_name",
    "visits_planned",
    "visits_done",
    "visits_done_unplanned",
    "contacts",
    "contact_rate",
    "promises_taken",
    "promises_kept",
    "promises_broken",
    "promises_open",
    "amount_collected",
    "km_planned",
)
#: ``agent_id`` of the all-agents row
OVERALL: Final = "ALL"


def activity_report(
    planned: pd.DataFrame,
    outcomes: pd.DataFrame,
    route_km: pd.DataFrame,
    *,
    date_from: dt.date,
    date_to: dt.date,
    grace_days: int,
    agent_names: Mapping[str, str] | None = None,
    portfolio_last_payment: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Return per-agent figures for ``[date_from, date_to]`` and an ``ALL`` row.

    Parameters
    ----------
    planned
        Planned visits of the period (``agent_id`` per row), from
        :meth:`~routeplan.io.store.Store.planned_stops`.
    outcomes
        Every recorded outcome up to ``date_to`` (promises taken in the period
        are judged on payments up to ``date_to``).
    route_km
        ``agent_id, km`` per planned day (:meth:`~routeplan.io.store.Store.route_km`).
    date_from, date_to
        The period (inclusive).
    grace_days
        Days of grace after a promised date before it counts as broken.
    agent_names
        ``agent_id -> name`` for the table.
    portfolio_last_payment
        ``account_id -> last_payment_date`` from the portfolio: a payment the
        lender received (e.g. by bank transfer) after a promise keeps it.

    Returns
    -------
    pandas.DataFrame
        :data:`REPORT_COLUMNS`: visits planned and done (recorded), done
        visits no plan had, contacts (someone met) and the contact rate
        (contacts / done, NaN without visits), promises taken in the period
        and their fate as of ``date_to`` (kept, broken, still open), money
        collected and km of the planned routes.
    """
    lo, hi = pd.Timestamp(date_from), pd.Timestamp(date_to)
    done = outcomes[(outcomes[S.VISIT_DATE] >= lo) & (outcomes[S.VISIT_DATE] <= hi)]
    book = promise_book(
        outcomes,
        as_of=date_to,
        grace_days=grace_days,
        portfolio_last_payment=portfolio_last_payment,
    )
    book = book[(book[S.VISIT_DATE] >= lo) & (book[S.VISIT_DATE] <= hi)]
    names = dict(agent_names or {})
    agents = sorted(
        set(planned.get(S.AGENT_ID, pd.Series(dtype=object)))
        | set(done[S.AGENT_ID])
        | set(route_km.get(S.AGENT_ID, pd.Series(dtype=object)))
    )
    rows = [
        _report_row(
            agent,
            names.get(agent, ""),
            planned[planned[S.AGENT_ID] == agent] if len(planned) else planned,
            done[done[S.AGENT_ID] == agent],
            book[book[S.AGENT_ID] == agent],
            route_km[route_km[S.AGENT_ID] == agent] if len(route_km) else route_km,
        )
        for agent in agents
    ]
    rows.append(_report_row(OVERALL, "all agents", planned, done, book, route_km))
    return pd.DataFrame(rows, columns=list(REPORT_COLUMNS))


def _report_row(
    agent: str,
    name: str,
    planned: pd.DataFrame,
    done: pd.DataFrame,
    book: pd.DataFrame,
    km: pd.DataFrame,
) -> dict[str, object]:
    n_done = len(done)
    contacts = int((~done[S.OUTCOME].isin(S.NOBODY_MET_OUTCOMES)).sum())
    unplanned = int((~done["planned"].astype(bool)).sum()) if "planned" in done else 0
    amount = done.loc[done[S.OUTCOME].isin(S.PAYMENT_OUTCOMES), S.AMOUNT_PAID].fillna(0.0).sum()
    return {
        S.AGENT_ID: agent,
        "agent_name": name,
        "visits_planned": len(planned),
        "visits_done": n_done,
        "visits_done_unplanned": unplanned,
        "contacts": contacts,
        "contact_rate": round(contacts / n_done, 3) if n_done else math.nan,
        "promises_taken": len(book),
        "promises_kept": int((book["status"] == PROMISE_KEPT).sum()),
        "promises_broken": int((book["status"] == PROMISE_BROKEN).sum()),
        "promises_open": int(book["status"].isin([PROMISE_PENDING, PROMISE_REPLACED]).sum()),
        "amount_collected": round(float(amount), 2),
        "km_planned": round(float(km["km"].sum()) if len(km) else 0.0, 1),
    }


# --- verification (proof of visit) ------------------------------------------------------

#: the verification columns ``report`` adds to each agent's row: visits whose every
#: check passed, visits without a flag where some check could not be made, visits
#: flagged, visits with a compliance incident, visits recorded before routeplan
#: checked visits; then visits per flag (``flag_<code>``) and visits per check that
#: could not be made (``unverified_<code>``)
VERIFY_COLUMNS: Final = (
    "verified_clean",
    "partly_verified",
    "visits_flagged",
    "compliance_incidents",
    "not_checked",
    *(f"flag_{f}" for f in Flag),
    *(f"unverified_{f}" for f in NEEDS),
)


def verification_report(visits: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    """Return per agent (and ``ALL``) how the recorded visits of a period were verified.

    Parameters
    ----------
    visits
        ``account_id, agent_id, visit_date, proof_checked`` per recorded visit
        (:meth:`routeplan.io.store.Store.verification`).
    findings
        ``account_id, agent_id, visit_date, flag, status`` per finding.

    Returns
    -------
    pandas.DataFrame
        ``agent_id`` and :data:`VERIFY_COLUMNS`, one row per agent with visits
        and a last ``ALL`` row. Each visit counts once in exactly one of
        ``verified_clean``, ``partly_verified``, ``visits_flagged`` and
        ``not_checked``; ``flag_*`` and ``unverified_*`` count visits.
    """
    key = [S.ACCOUNT_ID, S.AGENT_ID, S.VISIT_DATE]
    v = visits.copy()
    v["_key"] = list(zip(*(v[c].astype(str) for c in key), strict=True)) if len(v) else []
    f = findings.copy()
    f["_key"] = list(zip(*(f[c].astype(str) for c in key), strict=True)) if len(f) else []
    flagged = f[f["status"] == Status.FLAGGED]
    unverified = f[f["status"] == Status.UNVERIFIED]
    agents = sorted(set(v[S.AGENT_ID].astype(str))) if len(v) else []
    rows = [
        _verify_row(agent, v[v[S.AGENT_ID].astype(str) == agent], flagged, unverified)
        for agent in agents
    ]
    rows.append(_verify_row(OVERALL, v, flagged, unverified))
    return pd.DataFrame(rows, columns=[S.AGENT_ID, *VERIFY_COLUMNS])


def _verify_row(
    agent: str, visits: pd.DataFrame, flagged: pd.DataFrame, unverified: pd.DataFrame
) -> dict[str, object]:
    keys = set(visits["_key"])
    checked = set(visits.loc[visits["proof_checked"].astype(bool), "_key"])
    mine_flagged = flagged[flagged["_key"].isin(keys)]
    mine_unverified = unverified[unverified["_key"].isin(keys)]
    with_flag = set(mine_flagged["_key"])
    with_gap = set(mine_unverified["_key"]) - with_flag
    incidents = set(mine_flagged.loc[mine_flagged["flag"].isin(COMPLIANCE_FLAGS), "_key"])
    row: dict[str, object] = {
        S.AGENT_ID: agent,
        "verified_clean": len(checked - with_flag - with_gap),
        "partly_verified": len(checked & with_gap),
        "visits_flagged": len(checked & with_flag),
        "compliance_incidents": len(checked & incidents),
        "not_checked": len(keys - checked),
    }
    for flag in Flag:
        row[f"flag_{flag}"] = int(mine_flagged.loc[mine_flagged["flag"] == flag, "_key"].nunique())
    for flag in NEEDS:
        hits = mine_unverified.loc[mine_unverified["flag"] == flag, "_key"]
        row[f"unverified_{flag}"] = int(hits.nunique())
    return row


def report_json(table: pd.DataFrame, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """Return an :func:`activity_report` table as a JSON document (``report --json``).

    ``{"from", "to", "agents": [row, ...], "overall": row}``; values are plain
    JSON (numpy scalars unwrapped, NaN and infinities as null).
    """
    records = [report_json_row(r) for r in table.to_dict("records")]
    overall = [r for r in records if r[S.AGENT_ID] == OVERALL]
    return {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "agents": [r for r in records if r[S.AGENT_ID] != OVERALL],
        "overall": overall[0] if overall else None,
    }


def report_json_row(rec: Mapping[Any, Any]) -> dict[str, Any]:
    """Return a report row as plain JSON values: numpy scalars unwrapped, NaN/inf as null."""
    out: dict[str, Any] = {}
    for k, v in rec.items():
        value = v.item() if hasattr(v, "item") else v
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        out[str(k)] = value
    return out


# --- an account's trail ----------------------------------------------------------------


def trail_lines(trail: Mapping[str, pd.DataFrame]) -> list[str]:
    """Return an account's trail as printable lines, oldest first.

    ``trail`` is :meth:`routeplan.io.store.Store.account_trail`: one line per
    plan decision (planned with agent, stop, time, priority and why; dropped
    or excluded with the reason; eligible but not planned; a plan ``routeplan
    replan`` made says which revision of the day it is) and one per
    recorded visit (agent, outcome, amounts, promise, notes, planned or not).
    A day's plan lines come before its visits.
    """
    stop_by_plan = {int(r["plan_id"]): r for r in trail["stops"].to_dict("records")}
    score_by_plan = {int(r["plan_id"]): r for r in trail["scores"].to_dict("records")}
    events: list[tuple[str, int, int, str]] = []  # (date, order, tiebreak, text)
    for plan_id, g in trail["decisions"].groupby("plan_id", sort=True):
        pid = int(str(plan_id))
        day = str(g["plan_date"].iloc[0])
        head = f"{day}  plan {pid:<4}{_revision_text(g.iloc[0])}"
        score_txt = _score_text(score_by_plan.get(pid))
        for rec in g.to_dict("records"):
            line = f"{head} {_decision_text(rec, stop_by_plan.get(pid), score_txt)}"
            events.append((day, 0, pid, line))
    for k, rec in enumerate(trail["outcomes"].to_dict("records")):
        day = pd.Timestamp(rec[S.VISIT_DATE]).strftime("%Y-%m-%d")
        events.append((day, 1, k, f"{day}  visit     {_visit_text(rec)}"))
    return [line for *_key, line in sorted(events)]


def _revision_text(decision: pd.Series) -> str:
    """Return `` (revision N, re-planned at HH:MM)`` for a plan ``routeplan replan`` made."""
    revision = decision.get("revision")
    if revision is None or _isnan(revision):
        return ""
    at = text(decision.get("replan_at"))
    return f" (revision {int(revision)}{f', re-planned at {at}' if at else ''})"


def _score_text(score: Mapping[str, Any] | None) -> str:
    if score is None:
        return ""
    return (
        f"; priority {_fmt(score['priority'], 1)}, expected recovery "
        f"{_fmt(score['expected_recovery'], 2)}"
    )


def _decision_text(rec: Mapping[str, Any], stop: Mapping[str, Any] | None, score_txt: str) -> str:
    status = rec["status"]
    if status == "planned":
        who = ""
        if stop is not None:
            name = f" ({stop['agent_name']})" if stop["agent_name"] else ""
            who = (
                f"agent {stop['agent_id']}{name}, stop {stop['stop_no']} at {stop['service_start']}"
            )
        why = f"; chosen because: {rec['detail']}" if rec["detail"] else ""
        return f"planned   {who}{score_txt}{why}"
    if status == "excluded":
        return f"excluded  {rec['reason']}: {rec['detail']}"
    if status == "dropped":
        return f"dropped   {rec['reason']}: {rec['detail']}{score_txt}"
    return f"eligible  not planned{score_txt}"


def _visit_text(rec: Mapping[str, Any]) -> str:
    name = f" ({rec['agent_name']})" if rec.get("agent_name") else ""
    bits = [str(rec[S.OUTCOME])]
    if not _isnan(rec[S.AMOUNT_PAID]):
        bits.append(f"paid {_fmt(rec[S.AMOUNT_PAID], 2)}")
    if not _isnan(rec[S.PTP_DATE]):
        amount = f" {_fmt(rec[S.PTP_AMOUNT], 2)}" if not _isnan(rec[S.PTP_AMOUNT]) else ""
        bits.append(f"promised{amount} by {pd.Timestamp(rec[S.PTP_DATE]).strftime('%Y-%m-%d')}")
    if rec[S.NOTES]:
        bits.append(f"notes: {rec[S.NOTES]}")
    where = "planned" if rec["planned"] else f"not planned: {rec['flag']}"
    # the plan match is said above; the proof checks' other flags follow it
    flags = [f for f in text(rec.get("flags")).split(",") if f and f not in _PLAN_FLAGS]
    if flags:
        where += f"; flagged: {', '.join(flags)}"
    return f"{rec[S.AGENT_ID]}{name}: {'; '.join(bits)} [{where}]"


_PLAN_FLAGS: Final = frozenset({Flag.NOT_PLANNED, Flag.PLANNED_OTHER_AGENT})


def _fmt(value: Any, digits: int) -> str:
    return "" if _isnan(value) else f"{float(value):,.{digits}f}"


# --- windows -------------------------------------------------------------------------


def avoid_time(
    windows: Sequence[tuple[int, int]],
    avoid: tuple[int, int],
    *,
    min_length_min: int,
    day_start_min: int = 0,
    day_end_min: int = 24 * 60,
) -> tuple[tuple[int, int], ...]:
    """Cut ``avoid`` out of an account's visit windows when the rest still fits a visit.

    Parameters
    ----------
    windows
        ``(start_min, end_min)`` windows; empty means any time of day.
    avoid
        The span to stay away from (minutes after midnight).
    min_length_min
        The shortest piece worth keeping (the visit's length).
    day_start_min, day_end_min
        Lawful hours; windows are clipped to them first.

    Returns
    -------
    tuple
        The windows without ``avoid`` (pieces shorter than ``min_length_min``
        dropped), or the original ``windows`` unchanged when nothing would be
        left: then the windows do not allow another time.
    """
    base = list(windows) or [(day_start_min, day_end_min)]
    clipped = [(max(s, day_start_min), min(e, day_end_min)) for s, e in base]
    a0, a1 = avoid
    pieces: list[tuple[int, int]] = []
    for s, e in clipped:
        for ps, pe in ((s, min(e, a0)), (max(s, a1), e)):
            if pe - ps >= min_length_min:
                pieces.append((ps, pe))
    if not pieces:
        return tuple(windows)
    return tuple(sorted(set(pieces)))


# --- helpers -------------------------------------------------------------------------


def _prepare(outcomes: pd.DataFrame, day: pd.Timestamp, accounts: set[str] | None) -> pd.DataFrame:
    """Keep outcomes up to ``day`` (for ``accounts`` when given), typed and sorted."""
    if outcomes is None or outcomes.empty:
        return pd.DataFrame(columns=[S.ACCOUNT_ID, S.AGENT_ID, S.VISIT_DATE, S.OUTCOME])
    h = outcomes.copy()
    h[S.ACCOUNT_ID] = h[S.ACCOUNT_ID].astype(str)
    h[S.VISIT_DATE] = pd.to_datetime(h[S.VISIT_DATE])
    h[S.PTP_DATE] = pd.to_datetime(h[S.PTP_DATE]) if S.PTP_DATE in h else pd.NaT
    for col in (S.AMOUNT_PAID, S.PTP_AMOUNT, "visit_start_min"):
        h[col] = pd.to_numeric(h[col]).astype(float) if col in h else math.nan
    h[S.OUTCOME] = h[S.OUTCOME].astype(str).str.strip().str.lower()
    keep = h[S.VISIT_DATE] <= day
    if accounts is not None:
        keep &= h[S.ACCOUNT_ID].isin(accounts)
    h = h[keep]
    return h.sort_values([S.ACCOUNT_ID, S.VISIT_DATE], kind="stable").reset_index(drop=True)


def _visits_by_account(h: pd.DataFrame) -> dict[str, list[_Visit]]:
    """Group prepared outcomes into each account's visits, oldest first."""
    if h.empty:
        return {}
    n = len(h)
    ptp_dates = [None if pd.isna(x) else pd.Timestamp(x).date() for x in h[S.PTP_DATE]]
    addresses = [text(a) for a in h["visited_address"]] if "visited_address" in h else [""] * n
    out: dict[str, list[_Visit]] = {}
    for acc, agent, day, code, amount, ptp_date, ptp_amount, start, address in zip(
        h[S.ACCOUNT_ID].tolist(),
        h[S.AGENT_ID].astype(str).tolist(),
        [pd.Timestamp(d).date() for d in h[S.VISIT_DATE]],
        h[S.OUTCOME].tolist(),
        h[S.AMOUNT_PAID].tolist(),
        ptp_dates,
        h[S.PTP_AMOUNT].tolist(),
        h["visit_start_min"].tolist(),
        addresses,
        strict=True,
    ):
        out.setdefault(acc, []).append(
            _Visit(agent, day, code, amount, ptp_date, ptp_amount, start, address)
        )
    return out


def _column(frame: pd.DataFrame, column: str) -> list[Any]:
    """Return a column as a list (None for every row when the column is absent)."""
    if column not in frame.columns:
        return [None] * len(frame)
    values: list[Any] = frame[column].tolist()
    return values


def _date_or_none(value: Any) -> dt.date | None:
    if value is None or _isnan(value) or (not isinstance(value, str) and pd.isna(value)):
        return None
    day: dt.date = pd.Timestamp(value).date()
    return day


def _same_value(a: Any, b: Any) -> bool:
    if _isnan(a) and _isnan(b):
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _exclusion_frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(S.EXCLUDED_COLUMNS))
    return frame.astype({S.ACCOUNT_ID: object, "reason": object, "detail": object})


_SPACES = re.compile(r"\s+")


def _norm_address(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return _SPACES.sub(" ", str(value)).strip().casefold()


def _isnan(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _money(value: float) -> str:
    return f"{value:,.2f}"
