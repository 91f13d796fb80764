"""Validate visit outcome rows before they enter the history store.

Pure: takes the outcomes table as read (strings, see
:func:`routeplan.io.readers.read_table`) and what the store knows, returns the
good rows typed and one :class:`~routeplan.errors.RowProblem` per refused cell.

What is refused (every problem of a row is reported; the row is not stored):

- ``account_id`` empty or unknown: an account is known when a stored plan has
  seen it (planned, dropped or excluded). An account no plan has ever seen
  cannot be checked against anything, so it is refused; plan with ``--db``
  first.
- ``agent_id`` empty or not on the roster of any stored plan.
- ``visit_date`` not a date or after ``today``. Dates are read as the input
  readers read them (:func:`routeplan.formats.parse_date`): ``2026-12-10``,
  and the spreadsheet forms ``2026/12/10``, ``2026.12.10`` and a midnight time
  part.
- ``outcome`` not one of :class:`routeplan.schema.Outcome` (the codes the
  route sheet lists); case and surrounding spaces are ignored.
- ``amount_paid`` / ``ptp_amount`` not a finite number, negative or above
  :data:`MAX_AMOUNT`; ``paid`` and
  ``partial_payment`` without a positive ``amount_paid``; money collected on a
  visit where nobody was met (``not_home``, ``moved``, ``wrong_address``).
- ``ptp`` without ``ptp_date``; a ``ptp_date`` that is not a date or falls
  before the visit.
- the same visit (account, agent, visit date) twice in one file: the second
  row is refused.

A row of the outcomes template left blank (no outcome, amount, promise or
notes) was not filled in: it is skipped, not refused.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import pandas as pd

from routeplan import schema as S
from routeplan.errors import InputError, RowProblem
from routeplan.formats import parse_date

#: every outcome code ``record`` accepts: the one list, :class:`routeplan.schema.Outcome`
ACCEPTED_CODES: frozenset[str] = frozenset(S.OUTCOME_CODES)

_Bad = Callable[[str, str], None]

#: largest amount accepted (the portfolio reader's bound on a balance), so sums stay finite
MAX_AMOUNT = 1e13

#: columns of the validated frame, in order
VALID_COLUMNS = (*S.OUTCOME_COLUMNS, "_row")


@dataclass(frozen=True)
class ValidatedOutcomes:
    """Rows fit to store and the problems of the rows refused."""

    rows: pd.DataFrame
    rejected: list[RowProblem]
    #: row numbers of template rows left blank (not filled in), skipped
    skipped: list[int] = field(default_factory=list)


def check_columns(frame: pd.DataFrame, file: str) -> None:
    """Raise one ``InputError`` naming every required outcomes column missing."""
    missing = [c for c in S.OUTCOME_REQUIRED if c not in frame.columns]
    if missing:
        raise InputError([RowProblem(file, None, c, "required column is missing") for c in missing])


def validate_outcomes(
    frame: pd.DataFrame,
    *,
    file: str,
    today: dt.date,
    known_accounts: Collection[str],
    known_agents: Collection[str],
) -> ValidatedOutcomes:
    """Split outcome rows into good typed rows and rejection problems.

    Parameters
    ----------
    frame
        The file as a table of strings (lower-case headers); optional columns
        may be missing. A ``_row`` column gives spreadsheet row numbers
        (default: position + 2, the header being row 1).
    file
        The file name used in the problems.
    today
        Visits after this date are refused (the caller decides what today is).
    known_accounts, known_agents
        Ids a stored plan has seen.

    Returns
    -------
    ValidatedOutcomes
        ``rows`` has :data:`VALID_COLUMNS`: ids and codes as stripped strings,
        ``visit_date``/``ptp_date`` as ``datetime.date`` (``None`` when empty),
        amounts as float (NaN when empty), ``_row`` as int.

    Raises
    ------
    InputError
        A required column is missing.
    """
    check_columns(frame, file)
    accounts = set(known_accounts)
    agents = set(known_agents)
    good: list[dict[str, object]] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[str, str, object], int] = {}
    skipped: list[int] = []
    for pos, raw in enumerate(frame.to_dict("records")):
        rec = {str(k): v for k, v in raw.items()}
        row_no = int(str(rec["_row"])) if "_row" in rec else pos + 2
        row_problems: list[RowProblem] = []
        if _blank(rec):
            skipped.append(row_no)
            continue

        def bad(
            column: str,
            problem: str,
            _sink: list[RowProblem] = row_problems,
            _row: int = row_no,
            _id: str = _cell(rec, S.ACCOUNT_ID),
        ) -> None:
            _sink.append(RowProblem(file, _row, column, problem, _id))

        typed = _check_row(rec, bad, today=today, accounts=accounts, agents=agents)
        if not row_problems:
            key = (str(typed[S.ACCOUNT_ID]), str(typed[S.AGENT_ID]), typed[S.VISIT_DATE])
            if key in seen:
                bad(S.VISIT_DATE, f"same visit (account, agent, visit_date) as row {seen[key]}")
            else:
                seen[key] = row_no
        if row_problems:
            problems.extend(row_problems)
        else:
            good.append({**typed, "_row": row_no})
    rows = pd.DataFrame(good, columns=list(VALID_COLUMNS))
    return ValidatedOutcomes(rows=rows, rejected=problems, skipped=skipped)


def _blank(rec: dict[str, object]) -> bool:
    """Return whether a template row was left unfilled (nothing recorded about the visit)."""
    return not any(
        _cell(rec, c) for c in (S.OUTCOME, S.AMOUNT_PAID, S.PTP_DATE, S.PTP_AMOUNT, S.NOTES)
    )


def _check_row(
    rec: dict[str, object],
    bad: _Bad,
    *,
    today: dt.date,
    accounts: set[str],
    agents: set[str],
) -> dict[str, object]:
    """Check one row, reporting through ``bad``; return its typed values."""
    account = _cell(rec, S.ACCOUNT_ID)
    agent = _cell(rec, S.AGENT_ID)
    outcome = _cell(rec, S.OUTCOME).lower()
    if not account:
        bad(S.ACCOUNT_ID, "is empty")
    elif account not in accounts:
        bad(S.ACCOUNT_ID, f"unknown account {account!r}: no stored plan has it")
    if not agent:
        bad(S.AGENT_ID, "is empty")
    elif agent not in agents:
        bad(S.AGENT_ID, f"unknown agent {agent!r}: not on any stored plan's roster")

    visit_date = _date(rec, S.VISIT_DATE, bad, required=True)
    if visit_date is not None and visit_date > today:
        bad(S.VISIT_DATE, f"{visit_date.isoformat()} is in the future (today is {today})")

    if not outcome:
        bad(S.OUTCOME, "is empty")
    elif outcome not in ACCEPTED_CODES:
        bad(
            S.OUTCOME,
            f"unknown outcome {outcome!r}; allowed: {', '.join(S.COMMON_OUTCOME_CODES)} "
            f"(also {', '.join(S.OTHER_OUTCOME_CODES)})",
        )

    amount = _money(rec, S.AMOUNT_PAID, bad)
    ptp_amount = _money(rec, S.PTP_AMOUNT, bad)
    ptp_date = _date(rec, S.PTP_DATE, bad, required=False)
    if outcome in S.PAYMENT_OUTCOMES and _cell(rec, S.AMOUNT_PAID) == "":
        bad(S.AMOUNT_PAID, f"a {outcome} outcome needs the amount paid")
    elif outcome in S.PAYMENT_OUTCOMES and amount == 0:
        bad(S.AMOUNT_PAID, f"a {outcome} outcome needs an amount paid above 0")
    if outcome in S.NOBODY_MET_OUTCOMES and amount > 0:
        bad(S.AMOUNT_PAID, f"money recorded on a {outcome} visit (nobody was met)")
    if outcome == S.Outcome.PTP and _cell(rec, S.PTP_DATE) == "":
        bad(S.PTP_DATE, "a ptp (promise to pay) outcome needs the promised date")
    if ptp_date is not None and visit_date is not None and ptp_date < visit_date:
        bad(S.PTP_DATE, f"promised date {ptp_date} is before the visit {visit_date}")
    return {
        S.ACCOUNT_ID: account,
        S.AGENT_ID: agent,
        S.VISIT_DATE: visit_date,
        S.OUTCOME: outcome,
        S.AMOUNT_PAID: amount,
        S.PTP_DATE: ptp_date,
        S.PTP_AMOUNT: ptp_amount,
        S.NOTES: _cell(rec, S.NOTES),
    }


def _cell(rec: dict[str, object], column: str) -> str:
    value = rec.get(column, "")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _date(rec: dict[str, object], column: str, bad: _Bad, *, required: bool) -> dt.date | None:
    text = _cell(rec, column)
    if not text:
        if required:
            bad(column, "is empty")
        return None
    try:
        return parse_date(text)
    except ValueError as exc:  # the reader's message: not a date, or not a calendar date
        bad(column, str(exc))
        return None


def _money(rec: dict[str, object], column: str, bad: _Bad) -> float:
    """Return the amount, NaN when empty or refused."""
    text = _cell(rec, column)
    if not text:
        return math.nan
    try:
        x = float(text)
    except ValueError:
        bad(column, f"{text!r} is not a number")
        return math.nan
    if not math.isfinite(x):
        bad(column, f"{text!r} is not a finite number")
        return math.nan
    if x < 0:
        bad(column, f"{text} is negative; amounts must be >= 0")
        return math.nan
    if x > MAX_AMOUNT:
        bad(column, f"{text} is too large (at most {MAX_AMOUNT:g})")
        return math.nan
    return x
