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
    +/- :data:`AVOID_HALF_WIDTH_MIN` minutes; :func:`avoid_time` cuts it out
    of an account's windows when what is left still fits a visit.
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pandas as pd

from routeplan import schema as S
from routeplan.config import HistoryConfig

# --- reason codes (excluded.csv) -------------------------------------------------------
EX_PAID_IN_FULL: Final = "paid_in_full"
EX_PTP_PENDING: Final = "ptp_pending"
EX_NOT_HOME_CAP: Final = "not_home_attempts_cap"
EX_REFUSED: Final = "refused_recently"
EX_CONTACTED: Final = "contacted_visit_recently"
EX_HARDSHIP_PAUSE: Final = "hardship_pause"
EX_DISPUTED: Final = "disputed_in_field"
EX_WRONG_ADDRESS: Final = "wrong_address"
EX_MOVED: Final = "moved"
EX_DECEASED: Final = "deceased"
EX_VULNERABLE: Final = "vulnerable"
EX_REPRESENTED: Final = "represented"
EX_NO_VISITS_REQUESTED: Final = "no_visits_requested"
EX_ASKED_TO_LEAVE: Final = "asked_to_leave"

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

#: minutes either side of the last unanswered attempt's start to avoid
AVOID_HALF_WIDTH_MIN: Final = 90
#: balances at or below this (money units) count as paid in full
PAID_IN_FULL_TOLERANCE: Final = 0.005

PAYMENT_CODES: Final = frozenset({"paid", "partial_payment"})
#: outcomes where nobody was met: not a contacted visit
NOBODY_MET_CODES: Final = frozenset({"not_home", "moved", "wrong_address"})
#: outcome code -> exclusion kept until a later clearing record
BLOCKING_CODES: Final[Mapping[str, str]] = {
    "dispute": EX_DISPUTED,
    "wrong_address": EX_WRONG_ADDRESS,
    "moved": EX_MOVED,
    "vulnerable": EX_VULNERABLE,
    "represented": EX_REPRESENTED,
    "no_visits_requested": EX_NO_VISITS_REQUESTED,
    "asked_to_leave": EX_ASKED_TO_LEAVE,
    "deceased": EX_DECEASED,
}
#: records that clear a block (the debtor paid or promised after it)
CLEARING_CODES: Final = frozenset({"paid", "partial_payment", "ptp"})
#: blocks no later record clears
PERMANENT_CODES: Final = frozenset({"deceased"})
#: blocks a new portfolio address clears
ADDRESS_CODES: Final = frozenset({"wrong_address", "moved"})

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
    """

    accounts: pd.DataFrame
    exclusions: pd.DataFrame
    avoid_windows: dict[str, tuple[int, int]]
    broken_promise_accounts: frozenset[str]


def apply_history(
    accounts: pd.DataFrame,
    outcomes: pd.DataFrame,
    plan_date: dt.date,
    cfg: HistoryConfig,
    *,
    avoid_half_width_min: int = AVOID_HALF_WIDTH_MIN,
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
        The ``[history]`` settings.
    avoid_half_width_min
        Minutes either side of the last unanswered attempt to avoid.
    """
    day = pd.Timestamp(plan_date)
    out = accounts.copy()
    hist = _prepare(outcomes, day, set(out[S.ACCOUNT_ID]))
    exclusions: list[tuple[str, str, str]] = []
    avoid: dict[str, tuple[int, int]] = {}
    broken_now: set[str] = set()
    if hist.empty:
        return HistoryAdjustment(out, _exclusion_frame(exclusions), avoid, frozenset())

    index_of = {acc: i for i, acc in zip(out.index, out[S.ACCOUNT_ID], strict=True)}
    last_payment = out.get(S.LAST_PAYMENT_DATE, None)
    promises = promise_book(
        hist,
        as_of=plan_date,
        grace_days=cfg.ptp_grace_days,
        portfolio_last_payment=(
            dict(zip(out[S.ACCOUNT_ID], last_payment, strict=True))
            if last_payment is not None
            else None
        ),
    )
    promises_by_acc = {acc: g for acc, g in promises.groupby(S.ACCOUNT_ID, sort=False)}

    for acc, g in hist.groupby(S.ACCOUNT_ID, sort=False):
        acc = str(acc)
        i = index_of[acc]
        reasons: list[tuple[str, str]] = []
        _apply_payments(out, i, g, reasons)
        broke = _apply_promises(out, i, g, promises_by_acc.get(acc), day, cfg, reasons)
        if broke:
            broken_now.add(acc)
        window = _not_home(g, day, cfg, reasons, avoid_half_width_min)
        if window is not None:
            avoid[acc] = window
        _contacted(out, i, g, day, cfg, reasons)
        _hardship(out, i, g, day, cfg, reasons)
        _blocks(out, i, g, reasons)
        exclusions.extend((acc, reason, detail) for reason, detail in reasons)

    return HistoryAdjustment(
        accounts=out,
        exclusions=_exclusion_frame(exclusions),
        avoid_windows=avoid,
        broken_promise_accounts=frozenset(broken_now),
    )


# --- rules ---------------------------------------------------------------------------


def _apply_payments(
    out: pd.DataFrame, i: object, g: pd.DataFrame, reasons: list[tuple[str, str]]
) -> None:
    pays = g[g[S.OUTCOME].isin(PAYMENT_CODES) & (g[S.AMOUNT_PAID] > 0)]
    if pays.empty:
        return
    cutoff = _at(out, i, S.LAST_PAYMENT_DATE) if S.LAST_PAYMENT_DATE in out else pd.NaT
    new = pays if pd.isna(cutoff) else pays[pays[S.VISIT_DATE] > cutoff]
    paid = float(new[S.AMOUNT_PAID].sum())
    before = float(_at(out, i, S.BALANCE))
    after = max(0.0, before - paid)
    out.at[i, S.BALANCE] = round(after, 2)
    last_pay = pays[S.VISIT_DATE].max()
    if S.LAST_PAYMENT_DATE in out and (pd.isna(cutoff) or last_pay > cutoff):
        out.at[i, S.LAST_PAYMENT_DATE] = last_pay
    if after <= PAID_IN_FULL_TOLERANCE:
        reasons.append(
            (
                EX_PAID_IN_FULL,
                f"paid {_money(float(pays[S.AMOUNT_PAID].sum()))} in the field, last on "
                f"{_d(last_pay)}; balance now 0.00",
            )
        )


def _apply_promises(
    out: pd.DataFrame,
    i: object,
    g: pd.DataFrame,
    book: pd.DataFrame | None,
    day: pd.Timestamp,
    cfg: HistoryConfig,
    reasons: list[tuple[str, str]],
) -> bool:
    """Apply pending and broken promises; return whether a broken one awaits a visit."""
    if book is None or book.empty:
        return False
    broken = book[book["status"] == PROMISE_BROKEN]
    if len(broken) and S.BROKEN_PROMISES in out:
        out.at[i, S.BROKEN_PROMISES] = int(_at(out, i, S.BROKEN_PROMISES)) + len(broken)
    for rec in book[book["status"] == PROMISE_PENDING].itertuples(index=False):
        amount = getattr(rec, S.PTP_AMOUNT)
        what = f" of {_money(amount)}" if not _isnan(amount) else ""
        reasons.append(
            (
                EX_PTP_PENDING,
                f"promise{what} taken on {_d(getattr(rec, S.VISIT_DATE))}, due "
                f"{_d(getattr(rec, S.PTP_DATE))}; no visit before "
                f"{_d(_plus_days(rec.due_date, 1))} "
                f"({cfg.ptp_grace_days} days' grace)",
            )
        )
    if broken.empty:
        return False
    broke_on = broken["due_date"].max() + pd.Timedelta(days=1)
    met_since = (g[S.VISIT_DATE] >= broke_on) & ~g[S.OUTCOME].isin(NOBODY_MET_CODES)
    return not bool(met_since.any())


def _not_home(
    g: pd.DataFrame,
    day: pd.Timestamp,
    cfg: HistoryConfig,
    reasons: list[tuple[str, str]],
    half_width_min: int,
) -> tuple[int, int] | None:
    nh = g[g[S.OUTCOME] == "not_home"]
    if nh.empty:
        return None
    window_start = day - pd.Timedelta(days=cfg.not_home_window_days)
    recent = nh[nh[S.VISIT_DATE] > window_start].sort_values(S.VISIT_DATE)
    cap = cfg.not_home_max_attempts
    if len(recent) >= cap:
        anchor = recent[S.VISIT_DATE].iloc[len(recent) - cap] if cap > 0 else day
        reopens = anchor + pd.Timedelta(days=cfg.not_home_window_days)
        reasons.append(
            (
                EX_NOT_HOME_CAP,
                f"{len(recent)} unanswered attempts in the last {cfg.not_home_window_days} days "
                f"(at most {cap}); retry from {_d(reopens)}",
            )
        )
    last = g.sort_values(S.VISIT_DATE).iloc[-1]
    if last[S.OUTCOME] != "not_home" or "visit_start_min" not in g:
        return None
    start = last["visit_start_min"]
    if _isnan(start):
        return None
    s = int(start)
    return max(0, s - half_width_min), min(24 * 60, s + half_width_min)


def _contacted(
    out: pd.DataFrame,
    i: object,
    g: pd.DataFrame,
    day: pd.Timestamp,
    cfg: HistoryConfig,
    reasons: list[tuple[str, str]],
) -> None:
    met = g[~g[S.OUTCOME].isin(NOBODY_MET_CODES)].sort_values(S.VISIT_DATE)
    if met.empty:
        return
    last = met.iloc[-1]
    last_date = pd.Timestamp(last[S.VISIT_DATE])
    if S.LAST_VISIT_DATE in out:
        current = _at(out, i, S.LAST_VISIT_DATE)
        if pd.isna(current) or last_date > current:
            out.at[i, S.LAST_VISIT_DATE] = last_date
    if S.VISITS_90D in out:
        n90 = int((met[S.VISIT_DATE] > day - pd.Timedelta(days=90)).sum())
        out.at[i, S.VISITS_90D] = max(int(_at(out, i, S.VISITS_90D)), n90)
    gap = cfg.contacted_gap_days
    if (day - last_date).days < gap:
        reopens = _d(last_date + pd.Timedelta(days=gap))
        if last[S.OUTCOME] == "refused":
            reasons.append(
                (
                    EX_REFUSED,
                    f"refused on {_d(last_date)}; at most one contacted visit per "
                    f"{gap} days, next from {reopens}",
                )
            )
        else:
            reasons.append(
                (
                    EX_CONTACTED,
                    f"{last[S.OUTCOME]} visit on {_d(last_date)}; at most one "
                    f"contacted visit per {gap} days, next from {reopens}",
                )
            )


def _hardship(
    out: pd.DataFrame,
    i: object,
    g: pd.DataFrame,
    day: pd.Timestamp,
    cfg: HistoryConfig,
    reasons: list[tuple[str, str]],
) -> None:
    hs = g[g[S.OUTCOME] == "hardship"]
    if hs.empty:
        return
    if S.HARDSHIP in out:
        out.at[i, S.HARDSHIP] = True
    last = hs[S.VISIT_DATE].max()
    if (day - last).days < cfg.hardship_pause_days:
        reasons.append(
            (
                EX_HARDSHIP_PAUSE,
                f"hardship declared on {_d(last)}; relief path, no visit "
                f"for {cfg.hardship_pause_days} days (until "
                f"{_d(last + pd.Timedelta(days=cfg.hardship_pause_days))})",
            )
        )


def _blocks(out: pd.DataFrame, i: object, g: pd.DataFrame, reasons: list[tuple[str, str]]) -> None:
    address = _norm_address(_at(out, i, S.ADDRESS)) if S.ADDRESS in out else ""
    for code, reason in BLOCKING_CODES.items():
        hits = g[g[S.OUTCOME] == code]
        if hits.empty:
            continue
        last = hits.sort_values(S.VISIT_DATE).iloc[-1]
        when = last[S.VISIT_DATE]
        if code not in PERMANENT_CODES:
            if (g[S.OUTCOME].isin(CLEARING_CODES) & (g[S.VISIT_DATE] > when)).any():
                continue
            visited = _norm_address(last.get("visited_address", ""))
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
                f"{code} recorded on {_d(when)} by {last[S.AGENT_ID]}; "
                f"out of the field list {until}",
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
        :data:`PROMISE_COLUMNS`; ``due_date`` is the last day of grace,
        ``paid_after`` the amount paid after the promise.
    """
    day = pd.Timestamp(as_of)
    hist = outcomes[outcomes[S.VISIT_DATE] <= day]
    ptps = hist[hist[S.OUTCOME] == "ptp"].sort_values([S.ACCOUNT_ID, S.VISIT_DATE])
    rows: list[dict[str, object]] = []
    grace = pd.Timedelta(days=grace_days)
    all_pays = hist[hist[S.OUTCOME].isin(PAYMENT_CODES)]
    pays_by_acc = {a: g for a, g in all_pays.groupby(S.ACCOUNT_ID, sort=False)}
    no_pays = all_pays.iloc[0:0]
    for acc, g in ptps.groupby(S.ACCOUNT_ID, sort=False):
        pays = pays_by_acc.get(acc, no_pays)
        portfolio_pay = (portfolio_last_payment or {}).get(str(acc), pd.NaT)
        visits = g[S.VISIT_DATE].tolist()
        for k, rec in enumerate(g.to_dict("records")):
            made = rec[S.VISIT_DATE]
            due = rec[S.PTP_DATE] + grace
            paid_after = float(pays.loc[pays[S.VISIT_DATE] > made, S.AMOUNT_PAID].sum())
            amount = rec.get(S.PTP_AMOUNT, math.nan)
            enough = paid_after > 0 if _isnan(amount) else paid_after >= float(amount) - 0.005
            portfolio_paid = not pd.isna(portfolio_pay) and pd.Timestamp(portfolio_pay) > made
            later = [v for v in visits[k + 1 :] if v > made]
            if enough or portfolio_paid:
                status = PROMISE_KEPT
            elif later and later[0] <= due:
                status = PROMISE_REPLACED
            elif due >= day:
                status = PROMISE_PENDING
            else:
                status = PROMISE_BROKEN
            rows.append(
                {
                    S.ACCOUNT_ID: acc,
                    S.AGENT_ID: rec[S.AGENT_ID],
                    S.VISIT_DATE: made,
                    S.PTP_DATE: rec[S.PTP_DATE],
                    S.PTP_AMOUNT: amount,
                    "due_date": due,
                    "paid_after": paid_after,
                    "status": status,
                }
            )
    return pd.DataFrame(rows, columns=list(PROMISE_COLUMNS))


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
    book = promise_book(outcomes, as_of=date_to, grace_days=grace_days)
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
    contacts = int((~done[S.OUTCOME].isin(NOBODY_MET_CODES)).sum())
    unplanned = int((~done["planned"].astype(bool)).sum()) if "planned" in done else 0
    amount = done.loc[done[S.OUTCOME].isin(PAYMENT_CODES), S.AMOUNT_PAID].fillna(0.0).sum()
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


def _prepare(outcomes: pd.DataFrame, day: pd.Timestamp, accounts: set[str]) -> pd.DataFrame:
    """Keep outcomes up to ``day`` for known accounts, typed and sorted."""
    if outcomes is None or outcomes.empty:
        return pd.DataFrame(columns=[S.ACCOUNT_ID, S.AGENT_ID, S.VISIT_DATE, S.OUTCOME])
    h = outcomes.copy()
    h[S.ACCOUNT_ID] = h[S.ACCOUNT_ID].astype(str)
    h[S.VISIT_DATE] = pd.to_datetime(h[S.VISIT_DATE])
    for col in (S.PTP_DATE,):
        h[col] = pd.to_datetime(h[col]) if col in h else pd.NaT
    for col in (S.AMOUNT_PAID, S.PTP_AMOUNT):
        h[col] = pd.to_numeric(h[col]).astype(float) if col in h else math.nan
    h[S.OUTCOME] = h[S.OUTCOME].astype(str).str.strip().str.lower()
    h = h[(h[S.VISIT_DATE] <= day) & h[S.ACCOUNT_ID].isin(accounts)]
    return h.sort_values([S.ACCOUNT_ID, S.VISIT_DATE], kind="stable").reset_index(drop=True)


def _exclusion_frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(S.EXCLUDED_COLUMNS))
    return frame.astype({S.ACCOUNT_ID: object, "reason": object, "detail": object})


_SPACES = re.compile(r"\s+")


def _norm_address(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return _SPACES.sub(" ", str(value)).strip().casefold()


def _at(frame: pd.DataFrame, i: object, column: str) -> Any:
    """Return one cell (typed ``Any``: a column's scalar type varies)."""
    return frame.at[i, column]


def _isnan(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _d(value: object) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")  # type: ignore[arg-type]


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _plus_days(value: Any, days: int) -> pd.Timestamp:
    return pd.Timestamp(value) + pd.Timedelta(days=days)
