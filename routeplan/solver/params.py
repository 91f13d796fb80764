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
    per visit), else OR-Tools; ``PYVRP``: also when a visit has several
    windows (searched in one of them); ``ORTOOLS``: never PyVRP.
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
    unless said otherwise.
    """

    #: kept back from the time limit for timing, the final check and the result
    reserve_s: float = 0.15
    #: the construction stops inserting after this share of the time limit
    construction_share: float = 0.6
    #: one OR-Tools model for the whole day while visits**2 / time_limit_s stays
    #: at most this (guided local search's neighbourhoods are quadratic)
    whole_n2_per_s: float = 15_000.0
    #: visits per area once a day is searched area by area (at most max_area_visits)
    area_visits: int = 150
    #: one area's search time as a share of the time limit, and its minimum
    area_slice_share: float = 0.04
    area_slice_min_s: float = 1.5
    #: the second engine's answer is due this long before the deadline (seconds + share)
    second_margin_s: float = 0.3
    second_margin_share: float = 0.02
    #: the least time the caller waits for the second engine's answer, even past the deadline
    second_wait_min_s: float = 0.25
    #: least time left to start a second whole-day search (whole day / beside the areas)
    second_min_left_s: float = 1.0
    areas_second_min_left_s: float = 2.0
    #: VROOM builds an all-required day's start beside the areas: least time left
    #: to start it, and its share of the time limit
    areas_vroom_min_left_s: float = 5.0
    areas_vroom_share: float = 0.25
    #: share of the second search's time VROOM may take before OR-Tools improves its routes
    vroom_start_share: float = 0.35
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
        if _is_number(self.area_visits) and self.area_visits < 1:
            problems.append("solver.tuning.area_visits must be >= 1")
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
    #: stop OR-Tools after this many improving solutions (None = only the time limit);
    #: with a solution limit no second search runs
    solution_limit: int | None = None
    value_of_hour: float = 200.0
    #: OR-Tools local search metaheuristic
    metaheuristic: Metaheuristic = Metaheuristic.GUIDED_LOCAL_SEARCH
    #: days with more visits than this (or with visits**2 / time_limit_s above
    #: ``tuning.whole_n2_per_s``) are improved area by area instead of as one model
    max_area_visits: int = 1000
    seed: int = 0
    #: the search on the other core (see :class:`SecondEngine`)
    second_engine: SecondEngine = SecondEngine.AUTO
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
        if not isinstance(self.second_search, bool):
            problems.append(
                f"solver.second_search must be true or false, got {self.second_search!r}"
            )
        if not isinstance(self.log_search, bool):
            problems.append(f"solver.log_search must be true or false, got {self.log_search!r}")
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
