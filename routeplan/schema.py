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

# --- outcomes.csv -----------------------------------------------------------
VISIT_DATE: Final = "visit_date"
OUTCOME: Final = "outcome"
AMOUNT_PAID: Final = "amount_paid"
PTP_AMOUNT: Final = "ptp_amount"
NOTES: Final = "notes"

OUTCOME_REQUIRED: Final = (ACCOUNT_ID, AGENT_ID, VISIT_DATE, OUTCOME)
OUTCOME_OPTIONAL: Final = (AMOUNT_PAID, PTP_DATE, PTP_AMOUNT, NOTES)
OUTCOME_COLUMNS: Final = OUTCOME_REQUIRED + OUTCOME_OPTIONAL


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
ITINERARY_COLUMNS: Final = (
    "date",
    "agent_id",
    "stop_no",
    "kind",
    "account_id",
    "debtor_name",
    "address",
    "lat",
    "lon",
    "arrival",
    "service_start",
    "service_end",
    "travel_km",
    "travel_min",
    "priority",
    "balance",
    "days_past_due",
)
#: Extra itinerary columns routeplan adds (allowed by the contract).
ITINERARY_EXTRA: Final = (
    "agent_name",
    "visit_window",
    "expected_recovery",
    "chosen_because",
    "language",
)
KIND_START: Final = "start"
KIND_VISIT: Final = "visit"
KIND_BREAK: Final = "break"
KIND_END: Final = "end"

CHECKLIST_COLUMNS: Final = (ACCOUNT_ID, AGENT_ID, "item", "reason")
EXCLUDED_COLUMNS: Final = (ACCOUNT_ID, "reason", "detail")
DROPPED_COLUMNS: Final = (ACCOUNT_ID, "reason", "detail")
REJECTED_COLUMNS: Final = ("file", "row", "column", "problem")

SCORE_COLUMNS: Final = (
    ACCOUNT_ID,
    "priority",
    "probability",
    "expected_recovery",
    "points_total",
)

# --- reason codes -----------------------------------------------------------
# Exclusion (excluded.csv): the account is not eligible today.
EX_DAYS_PAST_DUE: Final = "days_past_due_below_minimum"
EX_BALANCE: Final = "balance_below_minimum"
EX_NO_REMOTE_CONTACT: Final = "remote_contact_not_tried"
EX_DISPUTE: Final = "disputed"
EX_DO_NOT_VISIT: Final = "do_not_visit"
EX_ACTIVE_PTP: Final = "active_promise_to_pay"
EX_RECENT_VISIT: Final = "visited_recently"
EX_VISIT_CAP_90D: Final = "visit_cap_90d"
EX_HARDSHIP: Final = "hardship_policy_exclude"
EX_LEGAL_DAY: Final = "no_visits_on_this_day"

# Dropped (dropped.csv): eligible but not planned today.
DR_NO_SKILL: Final = "no_agent_with_skill"
DR_NO_WINDOW: Final = "windows_outside_shifts_and_legal_hours"
DR_UNREACHABLE: Final = "cannot_reach_and_return_within_shift"
DR_CAPACITY: Final = "lower_value_than_planned_visits"
DR_NO_ROAD: Final = "no_road_route"
DR_NO_AGENT: Final = "no_usable_agent"
