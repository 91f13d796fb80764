"""The proof-of-visit checks, one hand-checkable case per flag (routeplan.proof)."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from routeplan.config import AuditConfig
from routeplan.proof import (
    Finding,
    Flag,
    PlannedStop,
    ProofRules,
    Status,
    VisitContext,
    VisitProof,
    distance_m,
    verify_visit,
)
from routeplan.schema import PROOF_COLUMNS
from routeplan.travel import EARTH_RADIUS_M

DAY = dt.date(2026, 12, 1)  # a Tuesday
SUNDAY = dt.date(2026, 12, 6)
#: metres per degree of latitude on routeplan's sphere
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180
HOME = (31.2300, 121.4700)
ALL_COLUMNS = frozenset(PROOF_COLUMNS)
RULES = ProofRules(AuditConfig(), "CN")


def north(metres: float, of: tuple[float, float] = HOME) -> tuple[float, float]:
    """Return the point ``metres`` due north of ``of``."""
    return (of[0] + metres / M_PER_DEG, of[1])


def at(hhmm: str, day: dt.date = DAY) -> dt.datetime:
    h, m = hhmm.split(":")
    return dt.datetime.combine(day, dt.time(int(h), int(m)))


def visit(
    account: str = "A1",
    *,
    outcome: str = "refused",
    checkin: str | None = "10:00",
    checkout: str | None = "10:30",
    where: tuple[float, float] | None = HOME,
    accuracy: float | None = 10.0,
    evidence: str = "ID;AUTH",
    amount: float | None = None,
    receipt: str = "",
    columns: frozenset[str] = ALL_COLUMNS,
    day: dt.date = DAY,
    agent: str = "AG1",
) -> VisitProof:
    """Return a visit with full, honest proof unless told otherwise."""
    return VisitProof(
        account_id=account,
        agent_id=agent,
        visit_date=day,
        outcome=outcome,
        amount_paid=amount,
        checkin=at(checkin, day) if checkin else None,
        checkout=at(checkout, day) if checkout else None,
        lat=where[0] if where else None,
        lon=where[1] if where else None,
        accuracy_m=accuracy,
        evidence=frozenset(c for c in evidence.split(";") if c),
        receipt_no=receipt,
        columns=columns,
    )


def planned(**changes: object) -> PlannedStop:
    """Return the stop as the plan had it: A1 for AG1, windows 09:00-12:00, at HOME."""
    stop = {
        "plan_id": 1,
        "agents": ("AG1",),
        "windows": ((540, 720),),
        "required": frozenset({"ID", "AUTH"}),
        "jurisdiction": "CN",
        "place": HOME,
    }
    stop.update(changes)
    return PlannedStop(**stop)  # type: ignore[arg-type]


def found(v: VisitProof, stop: PlannedStop | None = None, **ctx: object) -> list[Finding]:
    return list(verify_visit(VisitContext(v, stop or planned(), **ctx), RULES))  # type: ignore[arg-type]


def only(findings: list[Finding], flag: Flag) -> Finding | None:
    hits = [f for f in findings if f.flag == flag]
    assert len(hits) <= 1
    return hits[0] if hits else None


def test_an_honest_visit_is_clean() -> None:
    """On the spot, in the window and the legal hours, long enough, everything ticked: nothing."""
    assert found(visit()) == []


def test_distance_helper_is_metres_on_the_sphere() -> None:
    """A point moved 900 m north is 900 m away (the helper the tests place points with)."""
    assert distance_m(HOME, north(900)) == pytest.approx(900, abs=0.5)


# --- far_from_address --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metres", "accuracy", "status"),
    [
        (40, 10, None),  # clean
        (900, 10, Status.FLAGGED),  # 900 > 250 + 10
        (300, 60, None),  # 300 <= 250 + 60: the accuracy is allowed for
        (320, 60, Status.FLAGGED),  # 320 > 310
        (900, 600, Status.UNVERIFIED),  # a 600 m fix proves no place (> 500)
        (40, None, None),  # no accuracy reported: taken as exact
    ],
)
def test_far_from_address(metres: float, accuracy: float | None, status: Status | None) -> None:
    """Check-in farther than 250 m plus the accuracy is flagged; a fix coarser than 500 m is not."""
    finding = only(found(visit(where=north(metres), accuracy=accuracy)), Flag.FAR_FROM_ADDRESS)
    assert (finding.status if finding else None) == status
    if status == Status.FLAGGED:
        assert finding is not None and finding.detail.startswith(f"check-in {metres} m from")


def test_far_from_address_unverifiable_without_position_or_place() -> None:
    """No check-in position, or no known location of the account: the distance is not verified."""
    no_fix = only(found(visit(where=None)), Flag.FAR_FROM_ADDRESS)
    assert no_fix == Finding(Flag.FAR_FROM_ADDRESS, Status.UNVERIFIED, "no check-in position")
    nowhere = only(found(visit(), planned(place=None)), Flag.FAR_FROM_ADDRESS)
    assert nowhere is not None and nowhere.detail == "the account's location is not known"


def test_stricter_settings_apply() -> None:
    """[audit] max_checkin_m = 30 flags a check-in 40 m away (accuracy 5)."""
    rules = ProofRules(AuditConfig(max_checkin_m=30), "CN")
    got = verify_visit(VisitContext(visit(where=north(40), accuracy=5), planned()), rules)
    assert [f.flag for f in got] == [Flag.FAR_FROM_ADDRESS]


# --- outside_legal_hours and outside_window ------------------------------------------------


def test_outside_legal_hours() -> None:
    """CN visits 08:00-22:00: leaving at 22:20 is an incident; 21:00-21:30 is not."""
    stop = planned(windows=())
    late = only(found(visit(checkin="21:50", checkout="22:20"), stop), Flag.OUTSIDE_LEGAL_HOURS)
    assert late is not None and late.flagged
    assert late.detail == "at the door 21:50-22:20, outside the legal hours 08:00-22:00 (CN)"
    assert found(visit(checkin="21:00", checkout="21:30"), stop) == []
    early = only(found(visit(checkin="07:40", checkout="08:10"), stop), Flag.OUTSIDE_LEGAL_HOURS)
    assert early is not None and early.flagged


def test_legal_day_and_jurisdiction_of_the_plan() -> None:
    """An Irish plan's Sunday visit is flagged even without times; IN hours end at 19:00."""
    sunday = visit(checkin=None, checkout=None, day=SUNDAY)
    got = only(found(sunday, planned(jurisdiction="IE")), Flag.OUTSIDE_LEGAL_HOURS)
    assert got is not None and got.flagged and "Sundays" in got.detail
    india = planned(jurisdiction="IN", windows=())
    assert only(found(visit(checkin="18:45", checkout="19:15"), india), Flag.OUTSIDE_LEGAL_HOURS)
    # no plan says: the rules' jurisdiction (CN) judges
    assert (
        found(visit(checkin="18:45", checkout="19:15"), planned(jurisdiction="", windows=())) == []
    )


def test_legal_hours_unverified_without_times() -> None:
    """No check-in time on a lawful day: the hours are not verified."""
    got = only(found(visit(checkin=None, checkout=None)), Flag.OUTSIDE_LEGAL_HOURS)
    assert got == Finding(Flag.OUTSIDE_LEGAL_HOURS, Status.UNVERIFIED, "no check-in time")


def test_outside_window() -> None:
    """Planned window 09:00-12:00: a 13:05 check-in is flagged, 10:00 is not; no plan, no window."""
    late = only(found(visit(checkin="13:05", checkout="13:35")), Flag.OUTSIDE_WINDOW)
    assert (
        late is not None and late.detail == "check-in 13:05 outside the visit windows 09:00-12:00"
    )
    assert only(found(visit()), Flag.OUTSIDE_WINDOW) is None
    unplanned = planned(agents=())
    assert (
        only(found(visit(checkin="13:05", checkout="13:35"), unplanned), Flag.OUTSIDE_WINDOW)
        is None
    )


# --- not_planned / planned_other_agent -------------------------------------------------------


def test_plan_match() -> None:
    """No plan that day, not in the plan, or planned for another agent: each its own flag."""
    assert [f.detail for f in found(visit(), planned(plan_id=None, agents=()))] == [
        "no plan stored for 2026-12-01"
    ]
    not_in = found(visit(), planned(agents=()))
    assert [(f.flag, f.detail) for f in not_in] == [
        (Flag.NOT_PLANNED, "not in the plan of 2026-12-01")
    ]
    other = only(found(visit(), planned(agents=("AG2",))), Flag.PLANNED_OTHER_AGENT)
    assert other is not None and other.detail == "planned for agent AG2 on 2026-12-01, not AG1"


# --- too_short, overlapping, impossible_travel ----------------------------------------------


def test_too_short() -> None:
    """3 minutes with the debtor is flagged; 5 is enough; an unanswered door may be short."""
    short = only(found(visit(checkin="10:00", checkout="10:03")), Flag.TOO_SHORT)
    assert short is not None and short.detail.startswith("3 min at the door (10:00-10:03)")
    assert only(found(visit(checkin="10:00", checkout="10:05")), Flag.TOO_SHORT) is None
    door = visit(outcome="not_home", checkin="10:00", checkout="10:01", evidence="")
    assert found(door) == []
    no_out = only(found(visit(checkout=None)), Flag.TOO_SHORT)
    assert no_out is not None and no_out.status == Status.UNVERIFIED


def test_overlapping_flags_the_later_visit() -> None:
    """A1 10:00-10:30 and A2 checked in at 10:15 by the same agent: A2 is flagged, A1 is not."""
    a1 = visit("A1")
    a2 = visit("A2", checkin="10:15", checkout="10:45")
    day = (a1, a2)
    assert only(found(a1, same_day=day), Flag.OVERLAPPING) is None
    got = only(found(a2, planned(agents=("AG1",)), same_day=day), Flag.OVERLAPPING)
    assert got is not None and got.detail == "checked in at 10:15 while at A1 (10:00-10:30)"
    after = visit("A2", checkin="10:30", checkout="11:00")
    assert only(found(after, same_day=(a1, after)), Flag.OVERLAPPING) is None


def test_impossible_travel() -> None:
    """Check-ins 15 km apart 5 minutes apart: flagged (180 km/h); 30 minutes apart: fine."""
    first = visit("A1", checkin="10:00", checkout="10:02", outcome="not_home", evidence="")
    far = north(15_000)
    soon = visit("A2", checkin="10:05", checkout="10:35", where=far)
    stop = planned(place=far, windows=())
    got = only(found(soon, stop, same_day=(first, soon)), Flag.IMPOSSIBLE_TRAVEL)
    assert got is not None and got.flagged
    assert got.detail == (
        "15.0 km from the check-in at A1 (10:00) 5 min earlier: 180 km/h in a straight line, "
        "at most 80 km/h"
    )
    later = visit("A2", checkin="10:30", checkout="11:00", where=far)
    assert only(found(later, stop, same_day=(first, later)), Flag.IMPOSSIBLE_TRAVEL) is None
    # the earlier check-in is not flagged for the later one
    assert only(found(first, same_day=(first, soon)), Flag.IMPOSSIBLE_TRAVEL) is None


# --- evidence and receipts --------------------------------------------------------------------


def test_missing_evidence() -> None:
    """Required ID, AUTH, CONTRACT; ID and CONTRACT ticked: AUTH is missing."""
    stop = planned(required=frozenset({"ID", "AUTH", "CONTRACT"}))
    got = only(found(visit(evidence="ID;CONTRACT;INST6"), stop), Flag.MISSING_EVIDENCE)
    assert got is not None and got.detail == "not ticked: AUTH"
    assert only(found(visit(evidence="ID;AUTH;CONTRACT"), stop), Flag.MISSING_EVIDENCE) is None
    # ID and AUTH are required even when the stored checklist has neither
    bare = only(found(visit(evidence=""), planned(required=frozenset())), Flag.MISSING_EVIDENCE)
    assert bare is not None and bare.detail == "not ticked: AUTH, ID"
    old_file = visit(columns=frozenset())
    gap = only(found(old_file), Flag.MISSING_EVIDENCE)
    assert gap == Finding(Flag.MISSING_EVIDENCE, Status.UNVERIFIED, "no evidence column")


def test_payment_without_receipt() -> None:
    """Money taken without a receipt number is flagged; without the column it is unverified."""
    paid = visit(outcome="paid", amount=100.0)
    got = only(found(paid), Flag.PAYMENT_WITHOUT_RECEIPT)
    assert got is not None and got.detail == "100.00 collected without a receipt number"
    assert (
        only(
            found(visit(outcome="paid", amount=100.0, receipt="R-1")), Flag.PAYMENT_WITHOUT_RECEIPT
        )
        is None
    )
    no_column = visit(outcome="paid", amount=100.0, columns=ALL_COLUMNS - {"receipt_no"})
    gap = only(found(no_column), Flag.PAYMENT_WITHOUT_RECEIPT)
    assert gap is not None and gap.status == Status.UNVERIFIED


def test_duplicate_receipt_flags_the_later_use() -> None:
    """R-1 given at A1 (10:00) and again at A2 by another agent (11:00): A2 is flagged."""
    a1 = visit("A1", outcome="paid", amount=50.0, receipt="R-1")
    a2 = visit(
        "A2",
        agent="AG2",
        outcome="paid",
        amount=70.0,
        receipt="r-1",
        checkin="11:00",
        checkout="11:30",
    )
    assert only(found(a1, same_receipt=(a1, a2)), Flag.DUPLICATE_RECEIPT) is None
    got = only(found(a2, planned(agents=("AG2",)), same_receipt=(a1, a2)), Flag.DUPLICATE_RECEIPT)
    assert got is not None
    assert got.detail == "receipt r-1 already given on the visit of A1 by AG1 on 2026-12-01"


def test_findings_come_in_flag_order() -> None:
    """A visit failing several checks lists them in the order of Flag."""
    bad = visit(where=north(900), checkin="21:58", checkout="22:01", evidence="ID")
    flags = [f.flag for f in found(bad, planned(windows=()))]
    assert flags == [
        Flag.FAR_FROM_ADDRESS,
        Flag.OUTSIDE_LEGAL_HOURS,
        Flag.TOO_SHORT,
        Flag.MISSING_EVIDENCE,
    ]


def test_rules_refuse_an_unknown_jurisdiction() -> None:
    """ProofRules names its jurisdiction from the known profiles."""
    with pytest.raises(ValueError, match="jurisdiction must be one of"):
        ProofRules(AuditConfig(), "XX")
