"""Proof of visit: check a recorded visit against the plan, the place and the law.

Pure: a :class:`VisitContext` (the visit with its proof, what the stored plan
of that day said about the account, the agent's other visits that day and
the other visits carrying the same receipt number) and the rules
(:class:`ProofRules`: the ``[audit]`` settings and the jurisdiction to judge
by when no stored plan names one) in, :class:`Finding` s out. Nothing here
reads a file, the database or the clock; :mod:`routeplan.io.store` gathers
the context and stores the findings with the visit.

A finding is either a **flag** (the visit needs a second look) or
**unverified** (the check could not be made: the outcomes file had no such
column, the cell was empty, the GPS fix was too coarse, the account's
location is unknown). A flag never refuses the row: the visit is stored.

The checks (``[audit]`` keys of :class:`routeplan.config.AuditConfig`):

``far_from_address``
    The check-in (``checkin_lat``/``checkin_lon``) is farther from the
    account's location than ``max_checkin_m`` plus the reported
    ``gps_accuracy_m`` (straight line). A fix less accurate than
    ``max_accuracy_m`` proves no place: unverified.
``outside_legal_hours`` (a compliance incident)
    The visit date is not a lawful day of the plan's jurisdiction (an Irish
    Sunday, a public holiday where they count), or check-in to check-out is
    not inside its legal hours.
``outside_window``
    The check-in is outside the visit windows the plan had for the account.
``not_planned`` / ``planned_other_agent``
    No stored plan of that day had the account (or no plan of that day was
    stored), or it had it for another agent.
``too_short``
    Someone was met (not ``not_home``, ``moved``, ``wrong_address``) and
    check-in to check-out is under ``min_visit_min``.
``overlapping``
    The check-in falls inside another visit of the same agent that day
    (between its check-in and check-out, or at the same minute). The later
    visit of the two carries the flag, naming the earlier one.
``impossible_travel``
    From the agent's previous check-in that day, the straight-line distance
    is more than ``max_speed_kmh`` allows in the time between the two
    check-ins (plus one minute, since times are recorded to the minute, and
    plus both fixes' accuracy). The later check-in carries the flag.
``missing_evidence``
    Someone was met and an item the stop required is not in ``evidence``:
    every ``evidence`` item of the stop's checklist (settlement options are
    offers and forms are paperwork: not required), and always ``ID`` and
    ``AUTH``.
``payment_without_receipt``
    Money was collected (a ``paid``/``partial_payment`` outcome or an
    ``amount_paid``) and ``receipt_no`` is empty.
``duplicate_receipt``
    Another visit recorded earlier (by visit date, then check-in) carries the
    same receipt number (case ignored); the later one carries the flag.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from routeplan import schema as S
from routeplan.checklist import ALWAYS_REQUIRED
from routeplan.config import JURISDICTIONS, AuditConfig
from routeplan.io.readers import format_windows
from routeplan.travel import haversine_m


class Flag(StrEnum):
    """What a visit's proof can be flagged for: the one list of flag codes."""

    FAR_FROM_ADDRESS = "far_from_address"
    OUTSIDE_LEGAL_HOURS = "outside_legal_hours"
    OUTSIDE_WINDOW = "outside_window"
    NOT_PLANNED = "not_planned"
    PLANNED_OTHER_AGENT = "planned_other_agent"
    TOO_SHORT = "too_short"
    OVERLAPPING = "overlapping"
    IMPOSSIBLE_TRAVEL = "impossible_travel"
    MISSING_EVIDENCE = "missing_evidence"
    PAYMENT_WITHOUT_RECEIPT = "payment_without_receipt"
    DUPLICATE_RECEIPT = "duplicate_receipt"


#: flags that are compliance incidents (the law was broken): always reported
COMPLIANCE_FLAGS: Final = frozenset({Flag.OUTSIDE_LEGAL_HOURS})


class Status(StrEnum):
    """A finding either flags the visit or says the check could not be made."""

    FLAGGED = "flagged"
    UNVERIFIED = "unverified"


#: what a check needs, in the words ``report`` uses for a check it could not make
NEEDS: Final[Mapping[Flag, str]] = {
    Flag.FAR_FROM_ADDRESS: (
        "checkin_lat and checkin_lon, a gps_accuracy_m within [audit] max_accuracy_m "
        "and the account's location"
    ),
    Flag.OUTSIDE_LEGAL_HOURS: "checkin_time (and checkout_time)",
    Flag.OUTSIDE_WINDOW: "checkin_time",
    Flag.TOO_SHORT: "checkin_time and checkout_time",
    Flag.OVERLAPPING: "checkin_time",
    Flag.IMPOSSIBLE_TRAVEL: "checkin_time, checkin_lat and checkin_lon",
    Flag.MISSING_EVIDENCE: "an evidence column",
    Flag.PAYMENT_WITHOUT_RECEIPT: "a receipt_no column",
}


@dataclass(frozen=True)
class Finding:
    """One check's verdict on a visit: a flag, or why the check could not be made."""

    flag: Flag
    status: Status
    detail: str

    @property
    def flagged(self) -> bool:
        """True when the visit is flagged (not merely unverified)."""
        return self.status == Status.FLAGGED

    def text(self) -> str:
        """Return ``flag: detail`` (``flag (not verified): detail`` when unverified)."""
        tag = self.flag if self.flagged else f"{self.flag} (not verified)"
        return f"{tag}: {self.detail}"


@dataclass(frozen=True)
class VisitProof:
    """A recorded visit with the proof it carries (times local, on the visit date).

    ``columns`` names the proof columns of :data:`routeplan.schema.PROOF_COLUMNS`
    the outcomes file had: an empty ``evidence`` cell in a file with that
    column means nothing was ticked, while a file without it proves nothing.
    """

    account_id: str
    agent_id: str
    visit_date: dt.date
    outcome: str
    amount_paid: float | None = None
    checkin: dt.datetime | None = None
    checkout: dt.datetime | None = None
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    evidence: frozenset[str] = frozenset()
    receipt_no: str = ""
    columns: frozenset[str] = frozenset()

    @property
    def key(self) -> tuple[str, str, dt.date]:
        """The visit's identity: ``(account_id, agent_id, visit_date)``."""
        return (self.account_id, self.agent_id, self.visit_date)

    @property
    def met_someone(self) -> bool:
        """True when the outcome says someone was met at the door."""
        return self.outcome not in S.NOBODY_MET_OUTCOMES

    @property
    def position(self) -> tuple[float, float] | None:
        """The check-in position, None when not recorded."""
        if self.lat is None or self.lon is None:
            return None
        return (self.lat, self.lon)

    def order(self) -> tuple[dt.date, dt.datetime, str, str]:
        """Sort key saying which of two visits came first (a visit without check-in last)."""
        when = self.checkin or dt.datetime.combine(self.visit_date, dt.time.max)
        return (self.visit_date, when, self.account_id, self.agent_id)


@dataclass(frozen=True)
class PlannedStop:
    """What the stored plan of the visit's day said about the account.

    ``plan_id`` is None when no plan of that day is stored; ``agents`` is
    empty when that plan did not visit the account. ``windows`` are the
    planned visit windows in minutes after midnight (empty: any time; None:
    not known). ``place`` is the account's location ``(lat, lon)``.
    """

    plan_id: int | None = None
    agents: tuple[str, ...] = ()
    windows: tuple[tuple[int, int], ...] | None = None
    required: frozenset[str] = ALWAYS_REQUIRED
    jurisdiction: str = ""
    place: tuple[float, float] | None = None


@dataclass(frozen=True)
class VisitContext:
    """Everything the checks of one visit look at."""

    visit: VisitProof
    stop: PlannedStop = field(default_factory=PlannedStop)
    #: the same agent's other visits on the same day
    same_day: tuple[VisitProof, ...] = ()
    #: other visits (any agent, any day) carrying the same receipt number
    same_receipt: tuple[VisitProof, ...] = ()


@dataclass(frozen=True)
class ProofRules:
    """The rules visits are checked by.

    ``jurisdiction`` judges legal hours when no stored plan of the visit's
    day (or before it) names one.
    """

    audit: AuditConfig = field(default_factory=AuditConfig)
    jurisdiction: str = "CN"

    def __post_init__(self) -> None:
        """Upper-case the jurisdiction; refuse one routeplan does not know (ValueError)."""
        code = str(self.jurisdiction).upper()
        if code not in JURISDICTIONS:
            raise ValueError(f"jurisdiction must be one of {', '.join(JURISDICTIONS)}")
        object.__setattr__(self, "jurisdiction", code)

    def check(self, ctx: VisitContext) -> tuple[Finding, ...]:
        """Return the findings of every check on one visit (see :func:`verify_visit`)."""
        return verify_visit(ctx, self)


Check = Callable[[VisitContext, ProofRules], "Finding | None"]


def verify_visit(ctx: VisitContext, rules: ProofRules) -> tuple[Finding, ...]:
    """Return what the checks found on one visit, in :class:`Flag` order.

    A check that passes adds nothing; one that fails adds a flagged finding;
    one that cannot be made adds an unverified finding saying why. A check
    that does not apply (the evidence of a visit where nobody was met, the
    window of an unplanned visit, the receipt of a visit without payment)
    adds nothing.
    """
    found = (check(ctx, rules) for check in CHECKS)
    return tuple(f for f in found if f is not None)


# --- the checks ---------------------------------------------------------------------


def _flag(flag: Flag, detail: str) -> Finding:
    return Finding(flag, Status.FLAGGED, detail)


def _unverified(flag: Flag, detail: str) -> Finding:
    return Finding(flag, Status.UNVERIFIED, detail)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return the great-circle distance between two ``(lat, lon)`` points in metres."""
    return float(haversine_m([a[0], b[0]], [a[1], b[1]])[0, 1])


def _far_from_address(ctx: VisitContext, rules: ProofRules) -> Finding | None:
    flag, audit = Flag.FAR_FROM_ADDRESS, rules.audit
    here = ctx.visit.position
    if here is None:
        return _unverified(flag, "no check-in position")
    if ctx.stop.place is None:
        return _unverified(flag, "the account's location is not known")
    accuracy = ctx.visit.accuracy_m or 0.0
    if accuracy > audit.max_accuracy_m:
        return _unverified(
            flag, f"GPS accuracy {accuracy:.0f} m is coarser than {audit.max_accuracy_m:.0f} m"
        )
    d = distance_m(here, ctx.stop.place)
    if d > audit.max_checkin_m + accuracy:
        return _flag(
            flag,
            f"check-in {d:.0f} m from the account's address (at most "
            f"{audit.max_checkin_m:.0f} m + {accuracy:.0f} m accuracy)",
        )
    return None


def _outside_legal_hours(ctx: VisitContext, rules: ProofRules) -> Finding | None:
    flag, v = Flag.OUTSIDE_LEGAL_HOURS, ctx.visit
    code = ctx.stop.jurisdiction.upper()
    law = JURISDICTIONS.get(code) or JURISDICTIONS[rules.jurisdiction]
    lawful, why = law.allows_day(v.visit_date)
    if not lawful:
        return _flag(flag, f"visit on {v.visit_date}: {why}")
    if v.checkin is None:
        return _unverified(flag, "no check-in time")
    start = minutes_of(v.checkin, v.visit_date)
    end = minutes_of(v.checkout, v.visit_date) if v.checkout is not None else start
    if start < law.start_min or end > law.end_min:
        return _flag(
            flag,
            f"at the door {_span(v)}, outside the legal hours "
            f"{format_windows([(law.start_min, law.end_min)])} ({law.code})",
        )
    return None


def _outside_window(ctx: VisitContext, rules: ProofRules) -> Finding | None:
    windows = ctx.stop.windows
    if not ctx.stop.agents or not windows:
        return None  # not planned (flagged as such), or any time of day
    if ctx.visit.checkin is None:
        return _unverified(Flag.OUTSIDE_WINDOW, "no check-in time")
    start = minutes_of(ctx.visit.checkin, ctx.visit.visit_date)
    if any(lo <= start <= hi for lo, hi in windows):
        return None
    return _flag(
        Flag.OUTSIDE_WINDOW,
        f"check-in {clock(ctx.visit.checkin)} outside the visit windows {format_windows(windows)}",
    )


def _planned(ctx: VisitContext, rules: ProofRules) -> Finding | None:
    v, stop = ctx.visit, ctx.stop
    if stop.plan_id is None:
        return _flag(Flag.NOT_PLANNED, f"no plan stored for {v.visit_date}")
    if v.agent_id in stop.agents:
        return None
    if stop.agents:
        return _flag(
            Flag.PLANNED_OTHER_AGENT,
            f"planned for agent {', '.join(stop.agents)} on {v.visit_date}, not {v.agent_id}",
        )
    return _flag(Flag.NOT_PLANNED, f"not in the plan of {v.visit_date}")


def _too_short(ctx: VisitContext, rules: ProofRules) -> Finding | None:
    v = ctx.visit
    if not v.met_someone:
        return None
    if v.checkin is None or v.checkout is None:
        return _unverified(Flag.TOO_SHORT, "no check-in and check-out times")
    length = (v.checkout - v.checkin).total_seconds() / 60
    if length < rules.audit.min_visit_min:
        return _flag(
            Flag.TOO_SHORT,
            f"{length:.0f} min at the door ({_span(v)}); at least "
            f"{rules.audit.min_visit_min:g} min when someone is met",
        )
    return None


def _overlapping(ctx: VisitContext, rules: ProofRules) -> Finding | None:
    v = ctx.visit
    if v.checkin is None:
        return _unverified(Flag.OVERLAPPING, "no check-in time")
    mine = v.order()
    for other in sorted(ctx.same_day, key=VisitProof.order):
        if other.checkin is None or other.key == v.key or other.order() >= mine:
            continue
        end = other.checkout or other.checkin
        if v.checkin < end or v.checkin == other.checkin:
            return _flag(
                Flag.OVERLAPPING,
                f"checked in at {clock(v.checkin)} while at {other.account_id} ({_span(other)})",
            )
    return None


def _impossible_travel(ctx: VisitContext, rules: ProofRules) -> Finding | None:
    v = ctx.visit
    here = v.position
    if v.checkin is None or here is None:
        return _unverified(Flag.IMPOSSIBLE_TRAVEL, "no check-in time and position")
    mine = v.order()
    before = [
        o
        for o in ctx.same_day
        if o.checkin is not None and o.position is not None and o.order() < mine
    ]
    if not before:
        return None
    prev = max(before, key=VisitProof.order)
    assert prev.checkin is not None and prev.position is not None
    elapsed_s = (v.checkin - prev.checkin).total_seconds()
    d = distance_m(prev.position, here)
    speed_ms = rules.audit.max_speed_kmh / 3.6
    # times are to the minute; each fix may be off by its accuracy
    allowed = speed_ms * (elapsed_s + 60) + (prev.accuracy_m or 0.0) + (v.accuracy_m or 0.0)
    if d <= allowed:
        return None
    kmh = d / max(elapsed_s, 60.0) * 3.6
    return _flag(
        Flag.IMPOSSIBLE_TRAVEL,
        f"{d / 1000:.1f} km from the check-in at {prev.account_id} ({clock(prev.checkin)}) "
        f"{elapsed_s / 60:.0f} min earlier: {kmh:.0f} km/h in a straight line, at most "
        f"{rules.audit.max_speed_kmh:g} km/h",
    )


def _missing_evidence(ctx: VisitContext, rules: ProofRules) -> Finding | None:
    v = ctx.visit
    if not v.met_someone:
        return None
    if S.EVIDENCE not in v.columns:
        return _unverified(Flag.MISSING_EVIDENCE, "no evidence column")
    missing = sorted((ctx.stop.required | ALWAYS_REQUIRED) - v.evidence)
    if missing:
        return _flag(Flag.MISSING_EVIDENCE, f"not ticked: {', '.join(missing)}")
    return None


def _payment_without_receipt(ctx: VisitContext, rules: ProofRules) -> Finding | None:
    v = ctx.visit
    amount = v.amount_paid or 0.0
    if v.outcome not in S.PAYMENT_OUTCOMES and amount <= 0:
        return None
    if S.RECEIPT_NO not in v.columns:
        return _unverified(Flag.PAYMENT_WITHOUT_RECEIPT, "no receipt_no column")
    if v.receipt_no:
        return None
    return _flag(Flag.PAYMENT_WITHOUT_RECEIPT, f"{amount:,.2f} collected without a receipt number")


def _duplicate_receipt(ctx: VisitContext, rules: ProofRules) -> Finding | None:
    v = ctx.visit
    if not v.receipt_no:
        return None
    mine = v.order()
    earlier = sorted(
        (o for o in ctx.same_receipt if o.key != v.key and o.order() < mine),
        key=VisitProof.order,
    )
    if not earlier:
        return None
    first = earlier[0]
    return _flag(
        Flag.DUPLICATE_RECEIPT,
        f"receipt {v.receipt_no} already given on the visit of {first.account_id} by "
        f"{first.agent_id} on {first.visit_date}",
    )


#: every check, in :class:`Flag` order
CHECKS: Final[tuple[Check, ...]] = (
    _far_from_address,
    _outside_legal_hours,
    _outside_window,
    _planned,
    _too_short,
    _overlapping,
    _impossible_travel,
    _missing_evidence,
    _payment_without_receipt,
    _duplicate_receipt,
)


# --- times ---------------------------------------------------------------------------


def minutes_of(when: dt.datetime, day: dt.date) -> int:
    """Return minutes after midnight of ``day`` (past 1440 on the next day)."""
    return int((when - dt.datetime.combine(day, dt.time())).total_seconds() // 60)


def clock(when: dt.datetime) -> str:
    """Return ``HH:MM`` of a check-in or check-out time."""
    return when.strftime("%H:%M")


def _span(v: VisitProof) -> str:
    """Return ``10:05-10:07`` (the check-out with its date when on another day)."""
    if v.checkin is None:
        return ""
    if v.checkout is None:
        return clock(v.checkin)
    end = clock(v.checkout)
    if v.checkout.date() != v.checkin.date():
        end = v.checkout.strftime("%Y-%m-%d %H:%M")
    return f"{clock(v.checkin)}-{end}"


__all__ = [
    "CHECKS",
    "COMPLIANCE_FLAGS",
    "NEEDS",
    "Finding",
    "Flag",
    "PlannedStop",
    "ProofRules",
    "Status",
    "VisitContext",
    "VisitProof",
    "distance_m",
    "verify_visit",
]
