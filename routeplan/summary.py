"""The plan summary (``summary.json``) as a typed, frozen object.

:class:`PlanSummary` is what ``routeplan plan`` writes into ``summary.json``
and what ``map``, ``check`` and ``retime`` read back: the counts, the money
and travel figures, the solver's record, how the outputs are drawn and one
:class:`AgentSummary` per agent. ``to_json()`` gives the JSON object,
``from_json()`` reads one back::

    summary = PlanSummary.from_json(json.loads(text), source="plans/x/summary.json")
    summary.counts.planned, summary.solver.status, summary.agents[0].travel_km
    summary.to_json() == json.loads(text)      # for a summary routeplan wrote

Every key is always written, ``null`` when unknown (a summary written by an
older routeplan, read and written back, gains its missing keys as ``null``).
Keys this module does not know (a ``travel`` or ``retime`` block added by
another part, a key a newer routeplan writes) are kept in ``extra`` and
written back unchanged, at every level, so nothing is lost on a round trip.
Reading is tolerant of what hand edits produce: a number written as text
(``"1,020.4"``) is that number; a figure that is not a finite number, a
count that is not whole, a block that is not an object is refused in one
:class:`~routeplan.errors.InputError` naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import pandas as pd

from routeplan import schema as S
from routeplan.config import OUTPUT_LANGUAGES
from routeplan.errors import InputError
from routeplan.solver.model import SolveStatus

#: largest magnitude accepted for a figure: far above any real balance or distance,
#: small enough that sums and whole-number casts cannot overflow
MAX_MAGNITUDE = 1e15
#: the solver statuses a summary names as members of :class:`SolveStatus`
_STATUSES = frozenset(SolveStatus)

_T = TypeVar("_T", bound="_Block")


def _key(name: str) -> dict[str, str]:
    """Field metadata: the JSON key of a field whose Python name differs."""
    return {"key": name}


class _Problems:
    """Problems found while reading one ``summary.json``, reported together."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: list[str] = []

    def add(self, key: str, problem: str) -> None:
        self.lines.append(f"{self.source}, key {key}: {problem}")

    def fail(self, key: str, problem: str) -> InputError:
        return InputError(f"{self.source}, key {key}: {problem}")


@dataclass(frozen=True)
class _Block:
    """A JSON object with typed fields (written in field order) and the other keys kept."""

    #: how each typed field is read: "text", "int", "number", "bool" or "status"
    KINDS: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def _keys(cls) -> dict[str, str]:
        """Return JSON key -> field name of the typed scalar fields."""
        return {
            f.metadata.get("key", f.name): f.name
            for f in dataclasses.fields(cls)
            if f.name in cls.KINDS
        }

    def _scalars(self) -> dict[str, Any]:
        return {key: getattr(self, name) for key, name in self._keys().items()}

    def _with_extra(self, out: dict[str, Any]) -> dict[str, Any]:
        extra: Mapping[str, Any] = getattr(self, "extra", {})
        out.update((k, v) for k, v in extra.items() if k not in out)
        return out

    def to_json(self) -> dict[str, Any]:
        """Return the block as a JSON object (typed keys first, then the kept ones)."""
        return self._with_extra(self._scalars())

    @classmethod
    def _read(
        cls: type[_T], data: Mapping[str, Any], prefix: str, problems: _Problems, **typed: Any
    ) -> _T:
        """Return the block read from ``data``; bad values are added to ``problems``."""
        keys = cls._keys()
        values: dict[str, Any] = dict(typed)
        for key, name in keys.items():
            values[name] = _value(data.get(key), cls.KINDS[name], prefix + key, problems)
        known = set(keys) | {
            f.metadata.get("key", f.name) for f in dataclasses.fields(cls) if f.name != "extra"
        }
        values["extra"] = {str(k): v for k, v in data.items() if k not in known}
        return cls(**values)


@dataclass(frozen=True)
class Counts(_Block):
    """How many accounts, rows and agents went where (``summary.json``'s ``counts``)."""

    KINDS: ClassVar[Mapping[str, str]] = dict.fromkeys(
        (
            "accounts",
            "rejected_rows",
            "rejection_lines",
            "rejected_account_rows",
            "excluded",
            "eligible",
            "planned",
            "dropped",
            "agents",
            "agents_usable",
            "agents_with_visits",
        ),
        "int",
    )

    #: valid account rows read (after geocoding)
    accounts: int | None = None
    #: input rows refused (a row refused for several reasons counts once)
    rejected_rows: int | None = None
    #: lines of ``rejected.csv`` (one per reason)
    rejection_lines: int | None = None
    rejected_account_rows: int | None = None
    excluded: int | None = None
    eligible: int | None = None
    planned: int | None = None
    dropped: int | None = None
    agents: int | None = None
    agents_usable: int | None = None
    agents_with_visits: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SolverSummary(_Block):
    """What the search did (``summary.json``'s ``solver``); times in seconds."""

    KINDS: ClassVar[Mapping[str, str]] = {
        "status": "status",
        "mode": "text",
        "engine": "text",
        "objective": "int",
        "runtime_s": "number",
        "first_solution_s": "number",
        "time_limit_s": "number",
        "solution_limit": "int",
    }

    #: a :class:`~routeplan.solver.model.SolveStatus` member; a status an older
    #: routeplan wrote (``ROUTING_SUCCESS``, ``feasible-construction``) is kept as text
    status: SolveStatus | str | None = None
    #: what bounded the search: ``time-limited`` or ``reproducible`` (None in summaries
    #: written before the mode existed)
    mode: str | None = None
    engine: str | None = None
    objective: int | None = None
    runtime_s: float | None = None
    #: None when no solution was found (or nothing was to be searched)
    first_solution_s: float | None = None
    time_limit_s: float | None = None
    solution_limit: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputSummary(_Block):
    """How the dispatch outputs are drawn, so ``routeplan map`` redraws them the same way."""

    KINDS: ClassVar[Mapping[str, str]] = {"language": "text", "offline_assets": "bool"}

    #: ``zh`` or ``en``; None (or empty): the jurisdiction's
    language: str | None = None
    offline_assets: bool | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AgentSummary(_Block):
    """One agent's entry of ``summary.json``: who, credential, shift, break and route totals."""

    KINDS: ClassVar[Mapping[str, str]] = {
        "name": "text",
        "credential_id": "text",
        "credential_expiry": "text",
        "usable": "bool",
        "unusable_reason": "text",
        "shift_start": "text",
        "shift_end": "text",
        "break_": "text",
        "visits": "int",
        "travel_km": "number",
        "travel_min": "number",
        "balance": "number",
        "expected_recovery": "number",
    }

    agent_id: str
    name: str | None = None
    credential_id: str | None = None
    #: ``YYYY-MM-DD`` (empty when the agent has none)
    credential_expiry: str | None = None
    #: whether the agent could be given visits on the plan date
    usable: bool | None = None
    unusable_reason: str | None = None
    #: ``HH:MM``
    shift_start: str | None = None
    shift_end: str | None = None
    #: the break owed, as :meth:`routeplan.build.AgentBreak.describe` says it (key ``break``)
    break_: str | None = field(default=None, metadata=_key("break"))
    visits: int | None = None
    travel_km: float | None = None
    travel_min: float | None = None
    balance: float | None = None
    expected_recovery: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return the agent's JSON object (``agent_id`` first)."""
        return self._with_extra({"agent_id": self.agent_id, **self._scalars()})


@dataclass(frozen=True)
class RouteTotals:
    """Visits, km, travel minutes, balance and expected recovery of some itinerary rows."""

    visits: int
    travel_km: float
    travel_min: float
    balance: float
    expected_recovery: float


def route_totals(itineraries: pd.DataFrame) -> RouteTotals:
    """Return the totals of itinerary rows (legs of visits and returns; money of visits)."""
    kind = itineraries[S.KIND]
    visits = itineraries[kind == S.EventKind.VISIT]
    legs = itineraries[kind.isin([S.EventKind.VISIT, S.EventKind.END])]

    def total(frame: pd.DataFrame, column: str, digits: int) -> float:
        return round(float(pd.to_numeric(frame[column], errors="coerce").sum()), digits)

    return RouteTotals(
        visits=len(visits),
        travel_km=total(legs, "travel_km", 2),
        travel_min=total(legs, "travel_min", 1),
        balance=total(visits, S.BALANCE, 2),
        expected_recovery=total(visits, "expected_recovery", 2),
    )


def counts_by_reason(frame: pd.DataFrame) -> dict[str, int]:
    """Return how many rows of ``excluded.csv`` / ``dropped.csv`` give each reason."""
    return {str(k): int(v) for k, v in frame[S.REASON].value_counts().items()}


@dataclass(frozen=True)
class PlanSummary(_Block):
    """The content of ``summary.json``: one day's plan in figures.

    Money is in the portfolio's currency, distances in km, durations in
    minutes unless the name says ``_s`` (seconds). ``*_covered`` are the
    planned visits' totals, ``*_eligible`` those of every eligible account.
    """

    KINDS: ClassVar[Mapping[str, str]] = {
        "date": "text",
        "jurisdiction": "text",
        "legal_hours": "text",
        "balance_covered": "number",
        "balance_eligible": "number",
        "expected_recovery_covered": "number",
        "expected_recovery_eligible": "number",
        "travel_km": "number",
        "travel_min": "number",
        "service_min": "int",
        "objective_note": "text",
        "elapsed_s": "number",
    }
    #: the JSON keys in the order routeplan writes them
    ORDER: ClassVar[tuple[str, ...]] = (
        "date",
        "jurisdiction",
        "legal_hours",
        "counts",
        "dropped_by_reason",
        "excluded_by_reason",
        "balance_covered",
        "balance_eligible",
        "expected_recovery_covered",
        "expected_recovery_eligible",
        "travel_km",
        "travel_min",
        "service_min",
        "solver",
        "objective_note",
        "elapsed_s",
        "output",
        "agents",
    )

    #: the plan date, ``YYYY-MM-DD``
    date: str | None = None
    jurisdiction: str | None = None
    #: the jurisdiction's visiting hours, ``HH:MM-HH:MM``
    legal_hours: str | None = None
    counts: Counts = field(default_factory=Counts)
    dropped_by_reason: Mapping[str, int] = field(default_factory=dict)
    excluded_by_reason: Mapping[str, int] = field(default_factory=dict)
    balance_covered: float | None = None
    balance_eligible: float | None = None
    expected_recovery_covered: float | None = None
    expected_recovery_eligible: float | None = None
    travel_km: float | None = None
    travel_min: float | None = None
    service_min: int | None = None
    #: None when the file has no solver block
    solver: SolverSummary | None = None
    objective_note: str | None = None
    elapsed_s: float | None = None
    output: OutputSummary = field(default_factory=OutputSummary)
    agents: tuple[AgentSummary, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def agent(self, agent_id: str) -> AgentSummary | None:
        """Return the entry of an agent (None when the summary does not list it)."""
        return next((a for a in self.agents if a.agent_id == agent_id), None)

    @property
    def travel(self) -> Mapping[str, Any] | None:
        """The ``travel`` block: the travel model the plan was made with (None when absent).

        Written by :func:`routeplan.plan.plan_day`
        (:func:`routeplan.travel.day.describe_day`) and kept in ``extra``;
        ``routeplan check`` and ``retime`` reopen that model from it
        (:func:`routeplan.travel.factory.model_from_record`).
        """
        block = self.extra.get("travel")
        return block if isinstance(block, Mapping) else None

    def with_travel(self, block: Mapping[str, Any]) -> PlanSummary:
        """Return the summary with its ``travel`` block set to ``block``."""
        return dataclasses.replace(self, extra={**self.extra, "travel": dict(block)})

    def to_json(self) -> dict[str, Any]:
        """Return the ``summary.json`` object."""
        blocks: dict[str, Any] = {
            **self._scalars(),
            "counts": self.counts.to_json(),
            "dropped_by_reason": dict(self.dropped_by_reason),
            "excluded_by_reason": dict(self.excluded_by_reason),
            "solver": self.solver.to_json() if self.solver is not None else None,
            "output": self.output.to_json(),
            "agents": [a.to_json() for a in self.agents],
        }
        return self._with_extra({key: blocks[key] for key in self.ORDER})

    @classmethod
    def from_json(cls, data: Any, *, source: str = "summary.json") -> PlanSummary:
        """Read a ``summary.json`` object (see the module's notes on tolerance).

        Raises
        ------
        InputError
            Naming ``source`` and the key: the top level is not an object,
            ``agents`` is not a list of objects each with an ``agent_id``,
            ``counts``/``solver``/``output`` is not an object, the output
            language is not one routeplan draws in, or a figure is not a
            finite number (all figures' problems together).
        """
        problems = _Problems(source)
        if not isinstance(data, Mapping):
            raise InputError(f"{source}: expected a JSON object at the top level")
        agents = data.get("agents")
        if agents is None:
            agents = []
        if not isinstance(agents, list) or not all(isinstance(a, Mapping) for a in agents):
            raise problems.fail("agents", "expected a list of objects")
        for i, agent in enumerate(agents):
            if not str(agent.get("agent_id") or "").strip():
                raise problems.fail(f"agents[{i}].agent_id", "missing or empty")
        blocks = {key: _object(data, key, problems) for key in ("counts", "solver", "output")}
        _check_output(blocks["output"] or {}, problems)
        summary = cls._read(
            data,
            "",
            problems,
            counts=Counts._read(blocks["counts"] or {}, "counts.", problems),
            dropped_by_reason=_reason_counts(data, "dropped_by_reason", problems),
            excluded_by_reason=_reason_counts(data, "excluded_by_reason", problems),
            solver=(
                SolverSummary._read(blocks["solver"], "solver.", problems)
                if blocks["solver"] is not None
                else None
            ),
            output=OutputSummary._read(blocks["output"] or {}, "output.", problems),
            agents=tuple(
                AgentSummary._read(a, f"agents[{i}].", problems, agent_id=str(a["agent_id"]))
                for i, a in enumerate(agents)
            ),
        )
        if problems.lines:
            raise InputError("; ".join(problems.lines))
        return summary


def _object(data: Mapping[str, Any], key: str, problems: _Problems) -> Mapping[str, Any] | None:
    """Return the object under ``key`` (None when absent or null)."""
    value = data.get(key)
    if value is not None and not isinstance(value, Mapping):
        raise problems.fail(key, "expected an object")
    return value


def _check_output(output: Mapping[str, Any], problems: _Problems) -> None:
    """Check ``output``'s language and offline flag (refused at once: they pick the drawing)."""
    language = output.get("language")
    if language is not None and (
        not isinstance(language, str) or language.strip().lower() not in ("", *OUTPUT_LANGUAGES)
    ):
        raise problems.fail(
            "output.language", f"{_shown(language)} is not one of {', '.join(OUTPUT_LANGUAGES)}"
        )
    offline = output.get("offline_assets")
    if offline is not None and not isinstance(offline, bool):
        raise problems.fail("output.offline_assets", f"{_shown(offline)} is not true/false")


def _reason_counts(data: Mapping[str, Any], key: str, problems: _Problems) -> dict[str, int]:
    """Read a ``{reason: count}`` object (empty when absent)."""
    value = _object(data, key, problems) or {}
    out: dict[str, int] = {}
    for reason, count in value.items():
        number = _value(count, "int", f"{key}.{reason}", problems)
        if number is not None:
            out[str(reason)] = number
    return out


def _value(value: Any, kind: str, key: str, problems: _Problems) -> Any:
    """Return one value read as ``kind``; None when absent, null or refused (then noted)."""
    if value is None:
        return None
    if kind in ("text", "status"):
        if not isinstance(value, str | int | float | bool):
            problems.add(key, f"{_shown(value)} is not text")
            return None
        if kind == "status" and str(value) in _STATUSES:
            return SolveStatus(str(value))
        return str(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        problems.add(key, f"{_shown(value)} is not true/false")
        return None
    number = _finite(value)
    if number is None:
        problems.add(key, f"{_shown(value)} is not a finite number")
    elif abs(number) > MAX_MAGNITUDE:
        problems.add(key, f"{_shown(value)} is too large (at most {MAX_MAGNITUDE:g})")
    elif kind == "int":
        if number.is_integer():
            return int(number)
        problems.add(key, f"{_shown(value)} is not a whole number")
    else:
        return number
    return None


def _finite(value: Any) -> float | None:
    """Return ``value`` as a finite float (numbers or numeric text), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip().replace(",", "")
    elif not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _shown(value: Any) -> str:
    """Return a short ``repr`` of a refused value for a one-line message."""
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def refresh_summary(
    summary: PlanSummary,
    itineraries: pd.DataFrame,
    dropped: pd.DataFrame,
    service_min: int,
) -> PlanSummary:
    """Return ``summary`` with every figure drawn from the routes recomputed.

    Used after the routes change by hand (``routeplan retime``): visits,
    agents with visits, dropped counts and reasons, balance and expected
    recovery covered, km, travel and service minutes, and each agent's
    totals. Eligibility and solver figures are kept.
    """
    totals = route_totals(itineraries)
    visits = itineraries[itineraries[S.KIND] == S.EventKind.VISIT]
    counts = dataclasses.replace(
        summary.counts,
        planned=totals.visits,
        dropped=len(dropped),
        agents_with_visits=int(visits[S.AGENT_ID].nunique()),
    )
    agents = tuple(
        with_totals(a, route_totals(itineraries[itineraries[S.AGENT_ID] == a.agent_id]))
        for a in summary.agents
    )
    return dataclasses.replace(
        summary,
        counts=counts,
        dropped_by_reason=counts_by_reason(dropped),
        balance_covered=totals.balance,
        expected_recovery_covered=totals.expected_recovery,
        travel_km=totals.travel_km,
        travel_min=totals.travel_min,
        service_min=totals.visits * service_min,
        agents=agents,
    )


def with_totals(agent: AgentSummary, totals: RouteTotals) -> AgentSummary:
    """Return an agent's entry with its route totals replaced."""
    return dataclasses.replace(
        agent,
        visits=totals.visits,
        travel_km=totals.travel_km,
        travel_min=totals.travel_min,
        balance=totals.balance,
        expected_recovery=totals.expected_recovery,
    )


def agents_in_order(
    summary: PlanSummary, itinerary_agents: Iterable[Any], text: Callable[[Any], str] = str
) -> list[str]:
    """Return agent ids: the summary's order first, then those only in the itinerary."""
    ids = [a.agent_id for a in summary.agents]
    ids += [text(a) for a in itinerary_agents]
    return [a for a in dict.fromkeys(ids) if a]


__all__ = [
    "MAX_MAGNITUDE",
    "AgentSummary",
    "Counts",
    "OutputSummary",
    "PlanSummary",
    "RouteTotals",
    "SolverSummary",
    "agents_in_order",
    "counts_by_reason",
    "refresh_summary",
    "route_totals",
    "with_totals",
]
