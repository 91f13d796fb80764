"""How long and how hard to search: one validated parameter object.

:class:`SolveParams` is both what :func:`routeplan.solver.solve` takes and the
``[solver]`` section of ``routeplan.toml`` (``Config.solver``): its TOML keys
are the fields without ``toml=False`` metadata. :class:`SearchTuning` holds the
orchestrator's measured constants (time shares, area size, margins), embedded
in ``SolveParams.tuning`` with the values the benchmarks were run with.

Both validate themselves once, in ``__post_init__``, and report every bad
value in one :class:`ParamsError`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from enum import StrEnum

from routeplan.errors import ConfigError

__all__ = [
    "METAHEURISTICS",
    "SECOND_ENGINES",
    "Metaheuristic",
    "ParamsError",
    "SearchTuning",
    "SecondEngine",
    "SolveParams",
]

#: the longest time limit accepted (seconds): one day
MAX_TIME_LIMIT_S = 86_400.0


class ParamsError(ConfigError, ValueError):
    """Solver settings are invalid (a ``ConfigError`` and a ``ValueError``)."""


class Metaheuristic(StrEnum):
    """OR-Tools local search metaheuristics routeplan offers (``solver.metaheuristic``)."""

    GUIDED_LOCAL_SEARCH = "GUIDED_LOCAL_SEARCH"
    SIMULATED_ANNEALING = "SIMULATED_ANNEALING"
    TABU_SEARCH = "TABU_SEARCH"
    GREEDY_DESCENT = "GREEDY_DESCENT"


class SecondEngine(StrEnum):
    """Which search runs on the other core (``solver.second_engine``).

    ``AUTO``: PyVRP where it expresses the day exactly (no breaks, one window
    per visit), else routeplan's ruin-and-recreate search; ``PYVRP``: also
    when a visit has several windows (searched in one of them); ``ORTOOLS``:
    OR-Tools on the whole day, never PyVRP.
    """

    AUTO = "auto"
    ORTOOLS = "ortools"
    PYVRP = "pyvrp"


METAHEURISTICS: tuple[str, ...] = tuple(m.value for m in Metaheuristic)
SECOND_ENGINES: tuple[str, ...] = tuple(e.value for e in SecondEngine)


@dataclass(frozen=True)
class SearchTuning:
    """Measured constants of the search (benchmarks/README.md says how they were chosen).

    Times are seconds; shares are fractions of ``SolveParams.time_limit_s``
    unless said otherwise. The search runs in *epochs* of fixed work; an
    epoch's length in *nominal seconds* (its time on the 2-core machine the
    benchmarks ran on) turns into each engine's own work units through the
    rates below, so the work never depends on how fast this machine is.
    """

    #: kept back from the time limit for timing, the final check and the result
    reserve_s: float = 0.15
    #: the construction stops inserting after this share of the time limit (time-limited mode)
    construction_share: float = 0.6
    #: the construction's nominal speed: visits times vehicles per second (reproducible
    #: mode counts its time this way when it sets the search's work)
    construction_cells_per_s: float = 150_000.0
    #: visits per OR-Tools model: larger days are improved area by area (at most max_area_visits)
    area_visits: int = 150
    #: nominal seconds of the first epoch; each next epoch is ``epoch_growth`` times longer
    epoch_s: float = 2.0
    epoch_growth: float = 2.0
    #: an area search is OR-Tools' descent to a local optimum, at most this many solutions;
    #: the nominal seconds one area search takes
    area_solutions: int = 500
    area_round_s: float = 0.6
    #: ruin-and-recreate iterations per nominal second
    lns_per_s: float = 300.0
    #: PyVRP iterations per nominal second are this over the square root of the visits
    pyvrp_per_s: float = 15_000.0
    #: on the break-free relaxation of a plan's visits (engines/relaxed.py): PyVRP's share
    #: of the second engine's work, and its iterations per nominal second over the square
    #: root of the visits a plan can hold
    relaxed_share: float = 0.3
    relaxed_pyvrp_per_s: float = 7_000.0
    #: the second engine's answer is due this long before the deadline (seconds + share)
    second_margin_s: float = 0.3
    second_margin_share: float = 0.02
    #: the least time the caller waits for the second engine's answer, even past the deadline
    second_wait_min_s: float = 0.25
    #: reproducible mode ignores the clock up to this many times the time limit (plus a
    #: minute), then stops like a time-limited run (and says so)
    reproducible_safety: float = 10.0
    #: at most one "improved" progress line per this many seconds
    report_every_s: float = 2.0

    def __post_init__(self) -> None:
        """Collect every bad tuning value and raise them in one error."""
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            if not _is_number(value) or not math.isfinite(value) or value < 0:
                problems.append(
                    f"solver.tuning.{f.name} must be a finite number >= 0, got {value!r}"
                )
            elif f.name.endswith("_share") and not 0 < value < 1:
                problems.append(f"solver.tuning.{f.name} must be in (0, 1), got {value!r}")
        for name in ("area_visits", "area_solutions"):
            value = getattr(self, name)
            if _is_number(value) and (not _is_int(value) or value < 1):
                problems.append(f"solver.tuning.{name} must be an integer >= 1, got {value!r}")
        for name in (
            "epoch_s",
            "area_round_s",
            "lns_per_s",
            "pyvrp_per_s",
            "relaxed_pyvrp_per_s",
            "construction_cells_per_s",
        ):
            if _is_number(getattr(self, name)) and getattr(self, name) <= 0:
                problems.append(f"solver.tuning.{name} must be > 0, got {getattr(self, name)!r}")
        if _is_number(self.epoch_growth) and self.epoch_growth < 1:
            problems.append(f"solver.tuning.epoch_growth must be >= 1, got {self.epoch_growth!r}")
        _raise(problems)


@dataclass(frozen=True)
class SolveParams:
    """Search settings and the objective's exchange rate (the ``[solver]`` section).

    The objective minimised is ``travel seconds + sum of skip penalties``; a
    visit's skip penalty is its expected recovery converted to seconds at
    ``value_of_hour`` (money one agent-hour of travel is worth; used when the
    problem is built, :func:`routeplan.build.build_problem`).
    """

    #: seconds for the whole solve, construction included; the plan is returned within it
    time_limit_s: float = 30.0
    #: one OR-Tools pass over the day's areas, each search stopped after this many
    #: solutions, and no second search (None: epochs until the time limit)
    solution_limit: int | None = None
    value_of_hour: float = 200.0
    #: OR-Tools' metaheuristic over the whole day (``second_engine = "ortools"``); area
    #: searches are descents to a local optimum
    metaheuristic: Metaheuristic = Metaheuristic.GUIDED_LOCAL_SEARCH
    #: the most visits one OR-Tools model holds: larger days are improved area by area
    #: (areas of ``min(max_area_visits, tuning.area_visits)`` visits)
    max_area_visits: int = 1000
    seed: int = 0
    #: the search on the other core (see :class:`SecondEngine`)
    second_engine: SecondEngine = SecondEngine.AUTO
    #: bound the search by work (iterations, solutions) instead of the clock: the same
    #: inputs, settings and seed give the same plan on any machine (``time_limit_s`` then
    #: sets the amount of work, about that many seconds on the benchmark machine)
    reproducible: bool = False
    #: run that second search when a core is free; False: one search only, as inside a
    #: cluster worker whose one core is the whole budget (``routeplan plan --region-column``)
    second_search: bool = field(default=True, metadata={"toml": False})
    #: print OR-Tools' own search log (debugging)
    log_search: bool = field(default=False, metadata={"toml": False})
    tuning: SearchTuning = field(default_factory=SearchTuning, metadata={"toml": False})

    def __post_init__(self) -> None:
        """Collect every bad solver setting and raise them in one error."""
        problems = [*self._number_problems(), *self._choice_problems()]
        if not isinstance(self.tuning, SearchTuning):
            problems.append(f"solver.tuning must be a SearchTuning, got {self.tuning!r}")
        _raise(problems)

    def _number_problems(self) -> list[str]:
        """Return what is wrong with the numeric settings."""
        problems = []
        t = self.time_limit_s
        if not _is_number(t) or not math.isfinite(t) or not 0 < t <= MAX_TIME_LIMIT_S:
            problems.append(f"solver.time_limit_s must be in (0, 86400], got {t!r}")
        n = self.solution_limit
        if n is not None and (not _is_int(n) or n < 1):
            problems.append(f"solver.solution_limit must be an integer >= 1, got {n!r}")
        v = self.value_of_hour
        if not _is_number(v) or not math.isfinite(v) or v <= 0:
            problems.append(f"solver.value_of_hour must be a finite number > 0, got {v!r}")
        if not _is_int(self.max_area_visits) or self.max_area_visits < 10:
            problems.append(
                f"solver.max_area_visits must be an integer >= 10, got {self.max_area_visits!r}"
            )
        if not _is_int(self.seed):
            problems.append(f"solver.seed must be an integer, got {self.seed!r}")
        for name in ("second_search", "log_search", "reproducible"):
            if not isinstance(getattr(self, name), bool):
                problems.append(f"solver.{name} must be true or false, got {getattr(self, name)!r}")
        return problems

    def _choice_problems(self) -> list[str]:
        """Check the named choices and store them as their enums."""
        problems = []
        for name, enum in (("metaheuristic", Metaheuristic), ("second_engine", SecondEngine)):
            value = getattr(self, name)
            try:
                object.__setattr__(self, name, enum(value))
            except ValueError:
                allowed = ", ".join(e.value for e in enum)
                problems.append(f"solver.{name} must be one of {allowed}, got {value!r}")
        return problems

    @classmethod
    def toml_keys(cls) -> tuple[str, ...]:
        """Return the settings a ``[solver]`` section may set, in documentation order."""
        return tuple(f.name for f in fields(cls) if f.metadata.get("toml", True))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _raise(problems: list[str]) -> None:
    """Raise one ParamsError naming every problem (nothing when the list is empty)."""
    if problems:
        raise ParamsError("; ".join(problems))
