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

The proof of visit (optional columns, :data:`routeplan.schema.PROOF_COLUMNS`):

- ``checkin_time`` / ``checkout_time`` not ``HH:MM`` (on the visit date) or
  ``YYYY-MM-DD HH:MM`` (read by :func:`routeplan.io.readers.parse_date` and
  :func:`~routeplan.io.readers.parse_clock`); a check-in dated another day
  than the visit, a check-out dated other than the visit day or the next;
  a check-out before the check-in.
- ``checkin_lat`` / ``checkin_lon`` not a finite number, outside
  [-90, 90] / [-180, 180], or one given without the other.
- ``gps_accuracy_m`` not a finite number >= 0.
- ``evidence``: a code that is no checklist item code (the codes printed on
  the route sheet, :data:`routeplan.checklist.ITEM_CODES`, or a code of a
  stored plan's checklist); case and spaces are ignored.
- ``receipt_no`` longer than :data:`MAX_RECEIPT_CHARS`, or given on a visit
  with no ``amount_paid`` (a receipt acknowledges money taken).
- ``photo_ref`` longer than :data:`MAX_PHOTO_REF_CHARS` (a file name or URL;
  never fetched).

A row of the outcomes template left blank (no outcome, amount, promise,
notes or proof) was not filled in: it is skipped, not refused.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

import pandas as pd

from routeplan import schema as S
from routeplan.checklist import is_builtin_code
from routeplan.errors import InputError, RowProblem
from routeplan.formats import parse_clock, parse_date

#: every outcome code ``record`` accepts: the one list, :class:`routeplan.schema.Outcome`
ACCEPTED_CODES: frozenset[str] = frozenset(S.OUTCOME_CODES)

_Bad = Callable[[str, str], None]

#: largest amount accepted (the portfolio reader's bound on a balance), so sums stay finite
MAX_AMOUNT = 1e13

#: longest receipt number and photo reference accepted (characters)
MAX_RECEIPT_CHARS = 64
MAX_PHOTO_REF_CHARS = 2000

#: column of the validated frame naming the proof columns the file had (``;``-separated)
PROOF_COLUMNS_PRESENT = "_proof_columns"
#: columns of the validated frame, in order
VALID_COLUMNS = (*S.OUTCOME_COLUMNS, *S.PROOF_COLUMNS, PROOF_COLUMNS_PRESENT, "_row")


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
    known_codes: Collection[str] = (),
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
    known_codes
        Checklist item codes of stored plans, accepted in ``evidence`` besides
        the built-in ones.

    Returns
    -------
    ValidatedOutcomes
        ``rows`` has :data:`VALID_COLUMNS`: ids and codes as stripped strings,
        ``visit_date``/``ptp_date`` as ``datetime.date`` (``None`` when empty),
        amounts, coordinates and accuracy as float (NaN when empty),
        ``checkin_time``/``checkout_time`` as ``datetime.datetime`` (``None``
        when empty), ``evidence`` as upper-case codes joined by ``;``,
        :data:`PROOF_COLUMNS_PRESENT` the proof columns the file has, ``_row``
        as int.

    Raises
    ------
    InputError
        A required column is missing.
    """
    check_columns(frame, file)
    accounts = set(known_accounts)
    agents = set(known_agents)
    codes = {str(c).strip().upper() for c in known_codes}
    present = ";".join(c for c in S.PROOF_COLUMNS if c in frame.columns)
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
        typed |= _check_proof(rec, bad, typed, codes)
        typed[PROOF_COLUMNS_PRESENT] = present
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
        _cell(rec, c)
        for c in (S.OUTCOME, S.AMOUNT_PAID, S.PTP_DATE, S.PTP_AMOUNT, S.NOTES, *S.PROOF_COLUMNS)
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


def _check_proof(
    rec: dict[str, object], bad: _Bad, typed: dict[str, object], codes: set[str]
) -> dict[str, object]:
    """Check one row's proof of visit, reporting through ``bad``; return its typed values."""
    visit_date = typed[S.VISIT_DATE]
    day = visit_date if isinstance(visit_date, dt.date) else None
    checkin = _moment(rec, S.CHECKIN_TIME, bad, day)
    checkout = _moment(rec, S.CHECKOUT_TIME, bad, day)
    if day is not None and checkin is not None and checkin.date() != day:
        bad(S.CHECKIN_TIME, f"check-in dated {checkin.date()}, not the visit date {day}")
        checkin = None
    if day is not None and checkout is not None:
        if not day <= checkout.date() <= day + dt.timedelta(days=1):
            bad(S.CHECKOUT_TIME, f"check-out dated {checkout.date()}; the visit was on {day}")
            checkout = None
        elif checkin is not None and checkout < checkin:
            bad(
                S.CHECKOUT_TIME,
                f"check-out {_cell(rec, S.CHECKOUT_TIME)} is before check-in "
                f"{_cell(rec, S.CHECKIN_TIME)}",
            )
    lat = _number(rec, S.CHECKIN_LAT, bad, lo=-90.0, hi=90.0)
    lon = _number(rec, S.CHECKIN_LON, bad, lo=-180.0, hi=180.0)
    for given, missing in ((S.CHECKIN_LAT, S.CHECKIN_LON), (S.CHECKIN_LON, S.CHECKIN_LAT)):
        if _cell(rec, given) and not _cell(rec, missing):
            bad(missing, f"empty, but {given} is given: a check-in position needs both")
    receipt = _cell(rec, S.RECEIPT_NO)
    if len(receipt) > MAX_RECEIPT_CHARS:
        bad(S.RECEIPT_NO, f"longer than {MAX_RECEIPT_CHARS} characters")
    elif receipt and (_cell(rec, S.AMOUNT_PAID) == "" or typed[S.AMOUNT_PAID] == 0):
        bad(S.RECEIPT_NO, f"receipt {receipt!r} on a visit with no amount_paid")
    photo = _cell(rec, S.PHOTO_REF)
    if len(photo) > MAX_PHOTO_REF_CHARS:
        bad(S.PHOTO_REF, f"longer than {MAX_PHOTO_REF_CHARS} characters")
    return {
        S.CHECKIN_TIME: checkin,
        S.CHECKOUT_TIME: checkout,
        S.CHECKIN_LAT: lat,
        S.CHECKIN_LON: lon,
        S.GPS_ACCURACY_M: _number(rec, S.GPS_ACCURACY_M, bad, lo=0.0, hi=None),
        S.EVIDENCE: _evidence(rec, bad, codes),
        S.RECEIPT_NO: receipt,
        S.PHOTO_REF: photo,
    }


def _moment(
    rec: dict[str, object], column: str, bad: _Bad, day: dt.date | None
) -> dt.datetime | None:
    """Return ``HH:MM`` on ``day`` or ``YYYY-MM-DD HH:MM`` as a datetime, None when empty."""
    text = _cell(rec, column)
    if not text:
        return None
    date_part, sep, clock_part = text.replace("T", " ").rpartition(" ")
    try:
        on = parse_date(date_part.strip()) if sep else day
        minutes = parse_clock(clock_part.strip())
    except ValueError as exc:  # the reader's message: not a date or not a time
        bad(column, f"{exc}; write HH:MM or YYYY-MM-DD HH:MM")
        return None
    if on is None:  # the visit date itself is refused
        return None
    return dt.datetime.combine(on, dt.time(minutes // 60, minutes % 60))


def _number(
    rec: dict[str, object], column: str, bad: _Bad, *, lo: float, hi: float | None
) -> float:
    """Return a finite number within ``[lo, hi]``, NaN when empty or refused."""
    x = _finite(rec, column, bad)
    if not math.isnan(x) and (x < lo or (hi is not None and x > hi)):
        bound = f"[{lo:g}, {hi:g}]" if hi is not None else f">= {lo:g}"
        bad(column, f"{_cell(rec, column)} is outside {bound}")
        return math.nan
    return x


def _finite(rec: dict[str, object], column: str, bad: _Bad) -> float:
    """Return a cell as a finite number, NaN when empty or refused (not a finite number)."""
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
    return x


def _evidence(rec: dict[str, object], bad: _Bad, codes: set[str]) -> str:
    """Return the ticked item codes, upper case, in file order without repeats."""
    ticked = [c.strip().upper() for c in _cell(rec, S.EVIDENCE).split(";") if c.strip()]
    unknown = [c for c in dict.fromkeys(ticked) if not is_builtin_code(c) and c not in codes]
    if unknown:
        shown = ", ".join(repr(c if len(c) <= 24 else c[:21] + "...") for c in unknown[:5])
        if len(unknown) > 5:
            shown += f" and {len(unknown) - 5} more"
        bad(
            S.EVIDENCE,
            f"unknown item code {shown}: use the codes printed beside the checklist items "
            "on the route sheet (ID, AUTH, CONTRACT, STMT, ...)",
        )
    return ";".join(dict.fromkeys(ticked))


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
    x = _finite(rec, column, bad)
    if math.isnan(x):
        return x
    if x < 0:
        bad(column, f"{text} is negative; amounts must be >= 0")
        return math.nan
    if x > MAX_AMOUNT:
        bad(column, f"{text} is too large (at most {MAX_AMOUNT:g})")
        return math.nan
    return x
