"""Read and validate ``events.csv``: what happened during the day, for ``routeplan replan``.

One event a row (contract columns ``time, event, agent_id, account_id,
arrival, service_end, lat, lon, windows, outcome, note``, plus the optional
``effective``: when an ``unavailable_from`` or ``available_until`` takes
effect, default ``time``). Validation runs in two passes and refuses rows,
never the whole file (a file that cannot be read at all is an
:class:`~routeplan.errors.InputError`):

1. :func:`parse_events`, each row alone: the event is one of
   :class:`EventType`; ``time`` and every clock is ``HH:MM``; ``time``,
   ``arrival`` and a ``done`` visit's ``service_end`` are not after ``--at``;
   the ids, coordinates, windows or outcome code the event needs are there
   and valid.
2. :func:`check_events`, against the plan (:class:`Known`): agents and
   accounts exist (an account outside the plan only for ``urgent``, when the
   caller could look it up); a visit event's agent may work today; a
   ``cancelled`` visit is planned; and no two events contradict each other
   (two outcomes of one visit other than ``in_progress`` then ``done`` or
   ``no_show``; one visit reported by two agents; ``urgent`` and ``remove``
   for one account; two different ``unavailable_from``/``available_until``
   times, or two visits under way, for one agent; a visit reported from after
   the time its agent became unavailable; two different new windows at the
   same time). Every row of a contradiction is refused, naming the other.

Refused rows become :class:`~routeplan.errors.RowProblem` (file, row,
column, problem, record id) for ``rejected.csv``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

import pandas as pd

from routeplan import schema as S
from routeplan.errors import RowProblem
from routeplan.formats import format_clock, parse_clock, parse_float, parse_windows
from routeplan.io.tables import read_table

__all__ = [
    "AGENT_EVENTS",
    "EVENT_COLUMNS",
    "REPORTED",
    "VISIT_EVENTS",
    "Event",
    "EventType",
    "Known",
    "check_events",
    "parse_events",
    "read_events",
]


class EventType(StrEnum):
    """What an ``events.csv`` row reports: its ``event`` column."""

    DONE = "done"
    IN_PROGRESS = "in_progress"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    UNAVAILABLE_FROM = "unavailable_from"
    AVAILABLE_UNTIL = "available_until"
    POSITION = "position"
    NEW_WINDOW = "new_window"
    URGENT = "urgent"
    REMOVE = "remove"


#: the columns of ``events.csv`` (the contract's, then the optional ``effective``)
EVENT_COLUMNS = (
    "time",
    "event",
    S.AGENT_ID,
    S.ACCOUNT_ID,
    "arrival",
    "service_end",
    S.LAT,
    S.LON,
    "windows",
    S.OUTCOME,
    "note",
    "effective",
)
#: visits an agent reports (frozen at the re-plan with the times given)
REPORTED = frozenset({EventType.DONE, EventType.IN_PROGRESS, EventType.NO_SHOW})
#: events about one visit of one account
VISIT_EVENTS = REPORTED | {EventType.CANCELLED}
#: events about an agent
AGENT_EVENTS = frozenset(
    {EventType.UNAVAILABLE_FROM, EventType.AVAILABLE_UNTIL, EventType.POSITION}
)
#: events about an account
ACCOUNT_EVENTS = frozenset({EventType.NEW_WINDOW, EventType.URGENT, EventType.REMOVE})
_NEEDS_AGENT = REPORTED | AGENT_EVENTS
#: ``bad(column, problem)``: report a problem of the row being read
_Bad = Callable[[str, str], None]
_NEEDS_ACCOUNT = VISIT_EVENTS | ACCOUNT_EVENTS


@dataclass(frozen=True)
class Event:
    """One valid row of ``events.csv`` (clock times in minutes after midnight)."""

    row: int
    time_min: int
    kind: EventType
    agent_id: str = ""
    account_id: str = ""
    arrival_min: int | None = None
    end_min: int | None = None
    lat: float | None = None
    lon: float | None = None
    windows: tuple[tuple[int, int], ...] = ()
    outcome: str = ""
    note: str = ""
    #: when an ``unavailable_from`` / ``available_until`` takes effect
    effective_min: int | None = None

    @property
    def record_id(self) -> str:
        """The row's id for ``rejected.csv``: its account, else its agent."""
        return self.account_id or self.agent_id


def read_events(
    path: str | Path, *, at_min: int, encoding: str | None = None
) -> tuple[list[Event], list[RowProblem]]:
    """Read ``events.csv`` and return its valid events and the problems of the rows refused.

    Raises
    ------
    InputError
        The file cannot be read, or lacks the ``time`` or ``event`` column.
    """
    from routeplan.io.readers import require_columns

    refused: list[RowProblem] = []
    frame, _ = read_table(path, encoding=encoding, refused=refused)
    name = Path(path).name
    require_columns(frame, ("time", "event"), name)
    events, problems = parse_events(frame, file=name, at_min=at_min)
    return events, sorted([*refused, *problems], key=lambda p: (p.row or 0, p.column))


def parse_events(
    frame: pd.DataFrame, *, file: str, at_min: int
) -> tuple[list[Event], list[RowProblem]]:
    """Validate each row on its own (pass 1); return the valid events and the problems.

    ``frame`` holds the file as strings (``read_table``); a ``_row`` column gives
    the spreadsheet rows (default: position + 2).
    """
    events: list[Event] = []
    problems: list[RowProblem] = []
    for pos, raw in enumerate(frame.to_dict("records")):
        rec = {str(k): "" if v is None else str(v).strip() for k, v in raw.items()}
        row = int(rec.get("_row") or pos + 2)
        mine: list[RowProblem] = []
        record_id = rec.get(S.ACCOUNT_ID) or rec.get(S.AGENT_ID, "")

        def bad(
            column: str,
            problem: str,
            _row: int = row,
            _id: str = record_id,
            _sink: list[RowProblem] = mine,
        ) -> None:
            _sink.append(RowProblem(file, _row, column, problem, _id))

        event = _parse_row(rec, row, at_min, bad)
        if mine or event is None:
            problems.extend(mine)
        else:
            events.append(event)
    return events, problems


def _parse_row(rec: Mapping[str, str], row: int, at_min: int, bad: _Bad) -> Event | None:
    """Return one row as an event, or None (``bad`` was told every problem)."""
    kind_text = rec.get("event", "").lower()
    try:
        kind = EventType(kind_text)
    except ValueError:
        allowed = ", ".join(e.value for e in EventType)
        bad("event", f"{kind_text!r} is not an event; use one of {allowed}")
        return None
    time = _clock(rec, "time", bad, required=True)
    if time is not None and time > at_min:
        bad("time", f"{format_clock(time)} is after --at {format_clock(at_min)}")
    agent, account = rec.get(S.AGENT_ID, ""), rec.get(S.ACCOUNT_ID, "")
    if kind in _NEEDS_AGENT and not agent:
        bad(S.AGENT_ID, f"required for {kind.value}")
    if kind in _NEEDS_ACCOUNT and not account:
        bad(S.ACCOUNT_ID, f"required for {kind.value}")
    arrival = _clock(rec, "arrival", bad)
    end = _clock(rec, "service_end", bad)
    _check_visit_times(kind, arrival, end, at_min, bad)
    lat, lon = _position(kind, rec, bad)
    windows = _windows(kind, rec, bad)
    outcome = rec.get(S.OUTCOME, "").lower()
    if outcome and kind not in (EventType.DONE, EventType.NO_SHOW):
        bad(S.OUTCOME, f"an outcome goes with done or no_show, not {kind.value}")
    elif outcome and outcome not in set(S.OUTCOME_CODES):
        bad(
            S.OUTCOME,
            f"{outcome!r} is not an outcome code; use one of {', '.join(S.OUTCOME_CODES)}",
        )
    effective = _clock(rec, "effective", bad)
    if effective is not None and kind not in (
        EventType.UNAVAILABLE_FROM,
        EventType.AVAILABLE_UNTIL,
    ):
        bad("effective", "only unavailable_from and available_until take an effective time")
    if time is None:
        return None
    return Event(
        row=row,
        time_min=time,
        kind=kind,
        agent_id=agent,
        account_id=account,
        arrival_min=arrival,
        end_min=end,
        lat=lat,
        lon=lon,
        windows=windows,
        outcome=outcome,
        note=rec.get("note", ""),
        effective_min=effective,
    )


def _clock(rec: Mapping[str, str], column: str, bad: _Bad, *, required: bool = False) -> int | None:
    """Return a ``HH:MM`` cell in minutes (None when empty or bad; ``bad`` told)."""
    text = rec.get(column, "")
    if not text:
        if required:
            bad(column, "required value is empty")
        return None
    try:
        return parse_clock(text)
    except ValueError as exc:
        bad(column, str(exc))
        return None


def _check_visit_times(
    kind: EventType, arrival: int | None, end: int | None, at_min: int, bad: _Bad
) -> None:
    """Refuse a visit's times that contradict themselves or ``--at``."""
    if kind not in REPORTED:
        if arrival is not None or end is not None:
            bad(
                "arrival",
                f"arrival and service_end go with done, in_progress or no_show, not {kind.value}",
            )
        return
    if arrival is not None and arrival > at_min:
        bad("arrival", f"{format_clock(arrival)} is after --at {format_clock(at_min)}")
    if arrival is not None and end is not None and end < arrival:
        bad("service_end", f"{format_clock(end)} is before the arrival {format_clock(arrival)}")
    if kind is EventType.DONE and end is not None and end > at_min:
        bad(
            "service_end",
            f"{format_clock(end)} is after --at {format_clock(at_min)}: a visit still under "
            "way is in_progress",
        )
    if kind is not EventType.DONE and arrival is None:
        bad("arrival", f"required for {kind.value}")


def _position(
    kind: EventType, rec: Mapping[str, str], bad: _Bad
) -> tuple[float | None, float | None]:
    """Return a position event's coordinates (None, None for other events)."""
    if kind is not EventType.POSITION:
        return None, None
    out: list[float | None] = []
    for column, bound in ((S.LAT, 90.0), (S.LON, 180.0)):
        text = rec.get(column, "")
        if not text:
            bad(column, "required for position")
            out.append(None)
            continue
        try:
            out.append(parse_float(text, lo=-bound, hi=bound))
        except ValueError as exc:
            bad(column, str(exc))
            out.append(None)
    return out[0], out[1]


def _windows(kind: EventType, rec: Mapping[str, str], bad: _Bad) -> tuple[tuple[int, int], ...]:
    """Return a new_window event's windows (empty for other events)."""
    text = rec.get("windows", "")
    if kind is not EventType.NEW_WINDOW:
        if text:
            bad("windows", f"windows go with new_window, not {kind.value}")
        return ()
    if not text:
        bad("windows", "required for new_window (the debtor's windows today, e.g. 17:00-20:00)")
        return ()
    try:
        return parse_windows(text)
    except ValueError as exc:
        bad("windows", str(exc))
        return ()


# --- pass 2: against the plan --------------------------------------------------------------


@dataclass(frozen=True)
class Known:
    """What the events are checked against.

    ``agents``: every agent of the plan with why it may not work today ("" =
    usable); ``accounts``: the accounts of the plan (planned or dropped);
    ``lookup``: accounts outside the plan the caller can look up (for
    ``urgent``); ``excluded``: account -> why it is not eligible today;
    ``planned``: account -> agent whose route has it.
    """

    agents: Mapping[str, str]
    accounts: Collection[str]
    lookup: Collection[str]
    excluded: Mapping[str, str]
    planned: Mapping[str, str]


def check_events(
    events: Sequence[Event], known: Known, *, file: str
) -> tuple[list[Event], list[RowProblem]]:
    """Check the events against the plan and each other (pass 2).

    Returns the events kept, in file order, and the problems of the rows
    refused (one or more per row).
    """
    problems: dict[int, list[RowProblem]] = {}

    def bad(event: Event, column: str, problem: str) -> None:
        problems.setdefault(event.row, []).append(
            RowProblem(file, event.row, column, problem, event.record_id)
        )

    for event in events:
        _check_known(event, known, bad)
    alive = [e for e in events if e.row not in problems]
    for first, second, column, why in _contradictions(alive):
        bad(first, column, f"{why} (row {second.row})")
        bad(second, column, f"{why} (row {first.row})")
    kept = [e for e in events if e.row not in problems]
    refused = [p for row in sorted(problems) for p in problems[row]]
    return kept, refused


def _check_known(event: Event, known: Known, bad: Callable[[Event, str, str], None]) -> None:
    """Refuse an event naming an unknown agent or account, or one the plan cannot take."""
    agent, account = event.agent_id, event.account_id
    if agent and agent not in known.agents:
        bad(event, S.AGENT_ID, f"{agent!r} is not an agent of this plan")
    elif agent and event.kind in REPORTED and known.agents[agent]:
        bad(event, S.AGENT_ID, f"{agent!r} may not visit today ({known.agents[agent]})")
    if not account:
        return
    if account in known.excluded and event.kind in (REPORTED | {EventType.URGENT}):
        bad(
            event,
            S.ACCOUNT_ID,
            f"{account!r} is not eligible today ({known.excluded[account]}); "
            + (
                "an urgent request never overrides a rule"
                if event.kind is EventType.URGENT
                else "record the visit with routeplan record"
            ),
        )
    elif account not in known.accounts and not (
        event.kind is EventType.URGENT and account in known.lookup
    ):
        where = "this plan" + (" nor the --accounts file" if known.lookup else "")
        hint = (
            ""
            if known.lookup or event.kind is not EventType.URGENT
            else ("; give --accounts to look up an account outside the plan")
        )
        bad(event, S.ACCOUNT_ID, f"{account!r} is not an account of {where}{hint}")
    elif event.kind is EventType.CANCELLED and account not in known.planned:
        bad(event, S.ACCOUNT_ID, f"{account!r} is not planned today: there is no visit to cancel")


def _contradictions(events: Sequence[Event]) -> list[tuple[Event, Event, str, str]]:
    """Return the pairs of events that cannot both be true, with the column and why."""
    out: list[tuple[Event, Event, str, str]] = []
    by_account: dict[str, list[Event]] = {}
    by_agent: dict[str, list[Event]] = {}
    for e in events:
        if e.account_id:
            by_account.setdefault(e.account_id, []).append(e)
        if e.agent_id:
            by_agent.setdefault(e.agent_id, []).append(e)
    for group in by_account.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                why = _account_clash(a, b)
                if why:
                    out.append((a, b, why[0], why[1]))
    for group in by_agent.values():
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                why = _agent_clash(a, b)
                if why:
                    out.append((a, b, why[0], why[1]))
    return out


def _account_clash(a: Event, b: Event) -> tuple[str, str] | None:
    """Return (column, why) when two events about one account contradict each other."""
    kinds = {a.kind, b.kind}
    if a.kind in VISIT_EVENTS and b.kind in VISIT_EVENTS:
        if a.kind in REPORTED and b.kind in REPORTED and a.agent_id != b.agent_id:
            return S.AGENT_ID, "one visit reported by two agents"
        first, then = (a, b) if (a.time_min, a.row) <= (b.time_min, b.row) else (b, a)
        progress = first.kind is EventType.IN_PROGRESS and then.kind in (
            EventType.DONE,
            EventType.NO_SHOW,
        )
        if not progress and (a.kind != b.kind or a != _same_as(b, a)):
            return "event", f"{a.kind.value} and {b.kind.value} for the same visit"
    if kinds == {EventType.URGENT, EventType.REMOVE}:
        return "event", "urgent and remove for the same account"
    if (
        a.kind is b.kind is EventType.NEW_WINDOW
        and a.time_min == b.time_min
        and a.windows != b.windows
    ):
        return "windows", "two different new windows reported at the same time"
    return None


def _same_as(b: Event, a: Event) -> Event:
    """Return ``b`` with ``a``'s row and note (two copies of one report are no contradiction)."""
    return replace(b, row=a.row, note=a.note)


def _agent_clash(a: Event, b: Event) -> tuple[str, str] | None:
    """Return (column, why) when two events about one agent contradict each other."""
    limits = (EventType.UNAVAILABLE_FROM, EventType.AVAILABLE_UNTIL)
    if a.kind is b.kind and a.kind in limits and _effective(a) != _effective(b):
        return "effective", f"two different {a.kind.value} times for one agent"
    if a.kind is b.kind is EventType.IN_PROGRESS and a.account_id != b.account_id:
        return S.ACCOUNT_ID, "two visits under way at once for one agent"
    for limit, visit in ((a, b), (b, a)):
        if limit.kind is EventType.UNAVAILABLE_FROM and visit.kind in REPORTED:
            start = visit.arrival_min if visit.arrival_min is not None else visit.time_min
            if start >= _effective(limit):
                return "time", "a visit reported from after the agent became unavailable"
    return None


def _effective(event: Event) -> int:
    """Return when an agent event takes effect: ``effective``, else ``time``."""
    return event.effective_min if event.effective_min is not None else event.time_min
