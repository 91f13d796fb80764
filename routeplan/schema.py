"""Column names and reason codes shared by every stage.

The names follow ``shared/contract.md`` and are fixed: code refers to columns
through these constants, never through string literals scattered around.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

# --- accounts.csv -----------------------------------------------------------
ACCOUNT_ID: Final = "account_id"
DEBTOR_NAME: Final = "debtor_name"
ADDRESS: Final = "address"
LAT: Final = "lat"
LON: Final = "lon"
BALANCE: Final = "balance"
DAYS_PAST_DUE: Final = "days_past_due"
CONTACT_ATTEMPTS_30D: Final = "contact_attempts_30d"
LAST_CONTACT_OUTCOME: Final = "last_contact_outcome"
LAST_PAYMENT_DATE: Final = "last_payment_date"
PTP_DATE: Final = "ptp_date"
BROKEN_PROMISES: Final = "broken_promises"
HARDSHIP: Final = "hardship"
DISPUTE: Final = "dispute"
DO_NOT_VISIT: Final = "do_not_visit"
VISIT_WINDOWS: Final = "visit_windows"
LANGUAGE: Final = "language"
LAST_VISIT_DATE: Final = "last_visit_date"
VISITS_90D: Final = "visits_90d"

ACCOUNT_REQUIRED: Final = (
    ACCOUNT_ID,
    DEBTOR_NAME,
    ADDRESS,
    LAT,
    LON,
    BALANCE,
    DAYS_PAST_DUE,
    CONTACT_ATTEMPTS_30D,
)
ACCOUNT_OPTIONAL: Final = (
    LAST_CONTACT_OUTCOME,
    LAST_PAYMENT_DATE,
    PTP_DATE,
    BROKEN_PROMISES,
    HARDSHIP,
    DISPUTE,
    DO_NOT_VISIT,
    VISIT_WINDOWS,
    LANGUAGE,
    LAST_VISIT_DATE,
    VISITS_90D,
)

# --- agents.csv -------------------------------------------------------------
AGENT_ID: Final = "agent_id"
AGENT_NAME: Final = "name"
BASE_LAT: Final = "base_lat"
BASE_LON: Final = "base_lon"
END_LAT: Final = "end_lat"
END_LON: Final = "end_lon"
SHIFT_START: Final = "shift_start"
SHIFT_END: Final = "shift_end"
MAX_VISITS: Final = "max_visits"
SKILLS: Final = "skills"
BREAK_START: Final = "break_start"
BREAK_END: Final = "break_end"
BREAK_MINUTES: Final = "break_minutes"
CREDENTIAL_ID: Final = "credential_id"
CREDENTIAL_EXPIRY: Final = "credential_expiry"
SPEED_KMH: Final = "speed_kmh"
TRAVEL_MODE: Final = "travel_mode"

AGENT_REQUIRED: Final = (AGENT_ID, AGENT_NAME, BASE_LAT, BASE_LON, SHIFT_START, SHIFT_END)
AGENT_OPTIONAL: Final = (
    END_LAT,
    END_LON,
    MAX_VISITS,
    SKILLS,
    BREAK_START,
    BREAK_END,
    BREAK_MINUTES,
    CREDENTIAL_ID,
    CREDENTIAL_EXPIRY,
    SPEED_KMH,
    TRAVEL_MODE,
)

# --- availability.csv (plan-week) --------------------------------------------
OFF: Final = "off"
AVAILABILITY_REQUIRED: Final = ("date", AGENT_ID)
AVAILABILITY_COLUMNS: Final = ("date", AGENT_ID, OFF, SHIFT_START, SHIFT_END)
#: the portfolio's own allocation of an account to a collector (accounts.csv, optional)
ASSIGNED_AGENT: Final = "assigned_agent"

# --- outcomes.csv -----------------------------------------------------------
VISIT_DATE: Final = "visit_date"
OUTCOME: Final = "outcome"
AMOUNT_PAID: Final = "amount_paid"
PTP_AMOUNT: Final = "ptp_amount"
NOTES: Final = "notes"

OUTCOME_REQUIRED: Final = (ACCOUNT_ID, AGENT_ID, VISIT_DATE, OUTCOME)
OUTCOME_OPTIONAL: Final = (AMOUNT_PAID, PTP_DATE, PTP_AMOUNT, NOTES)
OUTCOME_COLUMNS: Final = OUTCOME_REQUIRED + OUTCOME_OPTIONAL

# proof of visit (optional outcomes columns; :mod:`routeplan.proof` checks them)
CHECKIN_TIME: Final = "checkin_time"
CHECKOUT_TIME: Final = "checkout_time"
CHECKIN_LAT: Final = "checkin_lat"
CHECKIN_LON: Final = "checkin_lon"
GPS_ACCURACY_M: Final = "gps_accuracy_m"
EVIDENCE: Final = "evidence"
RECEIPT_NO: Final = "receipt_no"
PHOTO_REF: Final = "photo_ref"
PROOF_COLUMNS: Final = (
    CHECKIN_TIME,
    CHECKOUT_TIME,
    CHECKIN_LAT,
    CHECKIN_LON,
    GPS_ACCURACY_M,
    EVIDENCE,
    RECEIPT_NO,
    PHOTO_REF,
)
#: a plan folder's recorded visits of each planned account (``plan --db``), newest
#: first: the route sheet prints them on the stop
LAST_VISITS_FILE: Final = "last_visits.csv"
LAST_VISIT_COLUMNS: Final = (ACCOUNT_ID, VISIT_DATE, AGENT_ID, "agent_name", OUTCOME, NOTES)


class Outcome(StrEnum):
    """What happened at a visit: the one list of outcome codes.

    ``routeplan record`` accepts exactly these (case and surrounding spaces
    ignored), :mod:`routeplan.history` gives each its effect, and the route
    sheet's outcome box lists them all. The first nine are the contract's and
    the common ones; the others are codes collection systems also use
    (domain primer). Members are ``str``: ``Outcome.PAID == "paid"``.
    """

    PAID = "paid"
    PARTIAL_PAYMENT = "partial_payment"
    PTP = "ptp"
    NOT_HOME = "not_home"
    REFUSED = "refused"
    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    MOVED = "moved"
    WRONG_ADDRESS = "wrong_address"
    DECEASED = "deceased"
    VULNERABLE = "vulnerable"
    ASKED_TO_LEAVE = "asked_to_leave"
    NO_VISITS_REQUESTED = "no_visits_requested"
    REPRESENTED = "represented"
    RESCHEDULED = "rescheduled"


#: every outcome code, common ones first (the order the sheet lists them)
OUTCOME_CODES: Final[tuple[Outcome, ...]] = tuple(Outcome)
#: the contract's codes, what most visits end with
COMMON_OUTCOME_CODES: Final[tuple[Outcome, ...]] = OUTCOME_CODES[:9]
#: the other codes (listed under "other" on the sheet)
OTHER_OUTCOME_CODES: Final[tuple[Outcome, ...]] = OUTCOME_CODES[9:]
#: outcomes that bring money: they need ``amount_paid`` > 0
PAYMENT_OUTCOMES: Final = frozenset({Outcome.PAID, Outcome.PARTIAL_PAYMENT})
#: outcomes where nobody was met: no money collected, not a contacted visit
NOBODY_MET_OUTCOMES: Final = frozenset({Outcome.NOT_HOME, Outcome.MOVED, Outcome.WRONG_ADDRESS})

# --- plan outputs -----------------------------------------------------------
DATE: Final = "date"
STOP_NO: Final = "stop_no"
#: the itinerary column holding an :class:`EventKind`
KIND: Final = "kind"
#: the excluded.csv / dropped.csv column: an :class:`ExcludedReason` / :class:`DroppedReason`
REASON: Final = "reason"
DETAIL: Final = "detail"

ITINERARY_COLUMNS: Final = (
    DATE,
    AGENT_ID,
    STOP_NO,
    KIND,
    ACCOUNT_ID,
    DEBTOR_NAME,
    ADDRESS,
    LAT,
    LON,
    "arrival",
    "service_start",
    "service_end",
    "travel_km",
    "travel_min",
    "priority",
    BALANCE,
    DAYS_PAST_DUE,
)
#: Extra itinerary columns routeplan adds (allowed by the contract).
ITINERARY_EXTRA: Final = (
    "agent_name",
    "visit_window",
    "expected_recovery",
    "chosen_because",
    LANGUAGE,
    # the facts behind the priority (``days_past_due=184;broken_promises=2;...``),
    # printed on the route sheet as plain words in the team's language
    "why_today",
    # ``done``, ``in_progress`` or ``no_show`` on a visit an agent reported before a
    # re-plan (``routeplan replan``): its times are what happened; empty on planned rows
    "status",
)


class EventKind(StrEnum):
    """What one row of ``itineraries.csv`` is: the ``kind`` column.

    Every agent's day is one ``start``, its ``visit`` rows (a ``break`` where
    it is taken) and one ``end``. Members are ``str``: ``EventKind.VISIT == "visit"``.
    """

    START = "start"
    VISIT = "visit"
    BREAK = "break"
    END = "end"


KIND_START: Final = EventKind.START
KIND_VISIT: Final = EventKind.VISIT
KIND_BREAK: Final = EventKind.BREAK
KIND_END: Final = EventKind.END

CHECKLIST_COLUMNS: Final = (ACCOUNT_ID, AGENT_ID, "item", REASON)
EXCLUDED_COLUMNS: Final = (ACCOUNT_ID, REASON, DETAIL)
DROPPED_COLUMNS: Final = (ACCOUNT_ID, REASON, DETAIL)
#: the contract's four columns, then the refused record's id (added on output, as the
#: contract allows): account_id or agent_id when it could be read, else empty
REJECTED_COLUMNS: Final = ("file", "row", "column", "problem", "record_id")

SCORE_COLUMNS: Final = (
    ACCOUNT_ID,
    "priority",
    "probability",
    "expected_recovery",
    "points_total",
)


# --- reason codes -----------------------------------------------------------
class ExcludedReason(StrEnum):
    """Why an account is not eligible today: the ``reason`` column of ``excluded.csv``.

    The first ten are the eligibility rules (:mod:`routeplan.eligibility`);
    the others come from the outcomes recorded at earlier visits
    (:mod:`routeplan.history`). An account failing several rules has one row
    per reason.
    """

    DAYS_PAST_DUE = "days_past_due_below_minimum"
    BALANCE = "balance_below_minimum"
    NO_REMOTE_CONTACT = "remote_contact_not_tried"
    DISPUTE = "disputed"
    DO_NOT_VISIT = "do_not_visit"
    ACTIVE_PTP = "active_promise_to_pay"
    RECENT_VISIT = "visited_recently"
    VISIT_CAP_90D = "visit_cap_90d"
    HARDSHIP = "hardship_policy_exclude"
    LEGAL_DAY = "no_visits_on_this_day"
    # from the visit history
    PAID_IN_FULL = "paid_in_full"
    PTP_PENDING = "ptp_pending"
    NOT_HOME_CAP = "not_home_attempts_cap"
    REFUSED = "refused_recently"
    CONTACTED = "contacted_visit_recently"
    HARDSHIP_PAUSE = "hardship_pause"
    DISPUTED_IN_FIELD = "disputed_in_field"
    WRONG_ADDRESS = "wrong_address"
    MOVED = "moved"
    DECEASED = "deceased"
    VULNERABLE = "vulnerable"
    REPRESENTED = "represented"
    NO_VISITS_REQUESTED = "no_visits_requested"
    ASKED_TO_LEAVE = "asked_to_leave"


# Exclusion (excluded.csv): the account is not eligible today.
EX_DAYS_PAST_DUE: Final = ExcludedReason.DAYS_PAST_DUE
EX_BALANCE: Final = ExcludedReason.BALANCE
EX_NO_REMOTE_CONTACT: Final = ExcludedReason.NO_REMOTE_CONTACT
EX_DISPUTE: Final = ExcludedReason.DISPUTE
EX_DO_NOT_VISIT: Final = ExcludedReason.DO_NOT_VISIT
EX_ACTIVE_PTP: Final = ExcludedReason.ACTIVE_PTP
EX_RECENT_VISIT: Final = ExcludedReason.RECENT_VISIT
EX_VISIT_CAP_90D: Final = ExcludedReason.VISIT_CAP_90D
EX_HARDSHIP: Final = ExcludedReason.HARDSHIP
EX_LEGAL_DAY: Final = ExcludedReason.LEGAL_DAY


class DroppedReason(StrEnum):
    """Why an eligible account is not on a route today: ``dropped.csv``'s ``reason``."""

    NO_SKILL = "no_agent_with_skill"
    NO_WINDOW = "windows_outside_shifts_and_legal_hours"
    UNREACHABLE = "cannot_reach_and_return_within_shift"
    CAPACITY = "lower_value_than_planned_visits"
    NO_AGENT = "no_usable_agent"
    #: no road links the account to the agent's base (``--travel`` on a road network)
    NO_ROAD = "no_road_route"
    #: a dispatcher deleted the visit from itineraries.csv (``routeplan retime``)
    REMOVED_BY_DISPATCHER = "removed_by_dispatcher"
    #: the week plan visits the account on another day (``routeplan plan-week``)
    OTHER_DAY = "planned_another_day"
    #: re-planning during the day (``routeplan replan``): the visit's agent became
    #: unavailable and nobody could take it
    AGENT_UNAVAILABLE = "agent_unavailable"
    #: ``routeplan replan``: no agent had time for the visit after the re-plan
    NO_TIME_AFTER_REPLAN = "no_time_after_replan"
    #: ``routeplan replan``: the visit was cancelled
    VISIT_CANCELLED = "visit_cancelled"
    #: ``routeplan replan``: the account was taken off today's plan (paid, dispute raised)
    ACCOUNT_REMOVED = "account_removed"


# Dropped (dropped.csv): eligible but not planned today.
DR_NO_SKILL: Final = DroppedReason.NO_SKILL
DR_NO_WINDOW: Final = DroppedReason.NO_WINDOW
DR_UNREACHABLE: Final = DroppedReason.UNREACHABLE
DR_CAPACITY: Final = DroppedReason.CAPACITY
DR_NO_AGENT: Final = DroppedReason.NO_AGENT
DR_NO_ROAD: Final = DroppedReason.NO_ROAD
DR_REMOVED_BY_DISPATCHER: Final = DroppedReason.REMOVED_BY_DISPATCHER
DR_AGENT_UNAVAILABLE: Final = DroppedReason.AGENT_UNAVAILABLE
DR_NO_TIME_AFTER_REPLAN: Final = DroppedReason.NO_TIME_AFTER_REPLAN
DR_VISIT_CANCELLED: Final = DroppedReason.VISIT_CANCELLED
DR_ACCOUNT_REMOVED: Final = DroppedReason.ACCOUNT_REMOVED


class ViolationRule(StrEnum):
    """Which rule a plan breaks: the ``rule`` of a :class:`routeplan.check.Violation`.

    ``routeplan check`` prints it in brackets (``[window]``) and ``retime.csv``
    has it in its ``rule`` column.
    """

    #: a cell that cannot be read (a time that is not HH:MM, an unknown kind, ...)
    FORMAT = "format"
    #: a row dated another day
    DATE = "date"
    #: an agent not among the plan's agents
    AGENT = "agent"
    #: an agent without a valid credential on the plan date
    CREDENTIAL = "credential"
    #: stops not numbered 0..n, or a day not from one start to one end
    ORDER = "order"
    MAX_VISITS = "max_visits"
    #: coordinates missing or not those of the base, end point or account
    LOCATION = "location"
    SHIFT = "shift"
    #: an arrival sooner than travel from the previous stop allows
    TRAVEL = "travel"
    BREAK = "break"
    #: an account visited twice
    DUPLICATE = "duplicate"
    #: an account not among the plan's valid accounts
    ACCOUNT = "account"
    LEGAL_DAY = "legal_day"
    #: an excluded account on a route
    ELIGIBILITY = "eligibility"
    #: arrival after the service start
    TIMES = "times"
    #: less time with the debtor than the service time
    SERVICE = "service"
    LEGAL_HOURS = "legal_hours"
    WINDOW = "window"
    SKILLS = "skills"
    #: an account neither planned, dropped, excluded nor rejected (or listed wrongly)
    ACCOUNTED = "accounted"
    #: a dropped.csv or excluded.csv row without a reason
    REASON = "reason"
    #: dropped.csv or excluded.csv missing
    FILES = "files"
