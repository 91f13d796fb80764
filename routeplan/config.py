"""Configuration: one validated, frozen object loaded from TOML.

Every key has a default, a unit in its name or docstring, and is checked when
the object is built. ``load_config`` reads a ``routeplan.toml``; unknown keys
are errors (a typo must not silently fall back to a default).

Example ``routeplan.toml``::

    jurisdiction = "CN"

    [eligibility]
    min_days_past_due = 90
    min_balance = 10000

    [solver]
    time_limit_s = 30
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from routeplan.errors import ConfigError
from routeplan.execution_dask import ClusterConfig
from routeplan.solver.params import SolveParams

# --- jurisdictions ------------------------------------------------------------


@dataclass(frozen=True)
class Jurisdiction:
    """Legal visiting hours and days in the debtor's local time.

    ``start_min``/``end_min`` are minutes after local midnight; a whole visit
    (arrival to end of service) must lie inside them.
    """

    code: str
    start_min: int
    end_min: int
    no_sundays: bool = False
    no_public_holidays: bool = False
    holiday_country: str | None = None
    basis: str = ""

    def allows_day(self, day: dt.date) -> tuple[bool, str]:
        """Return whether visits are lawful on ``day`` and, if not, why."""
        if self.no_sundays and day.weekday() == 6:
            return False, f"{self.code}: no visits on Sundays"
        if self.no_public_holidays and self.holiday_country:
            import holidays  # local: only needed for the profiles that use it

            cal = holidays.country_holidays(self.holiday_country, years=day.year)
            if day in cal:
                return False, f"{self.code}: public holiday ({cal.get(day)})"
        return True, ""


JURISDICTIONS: dict[str, Jurisdiction] = {
    "CN": Jurisdiction("CN", 8 * 60, 22 * 60, basis="CBA 2026 guideline; GB/T 45251-2025"),
    "IN": Jurisdiction("IN", 8 * 60, 19 * 60, basis="RBI 2022 recovery agents"),
    "US": Jurisdiction("US", 8 * 60, 21 * 60, basis="FDCPA 1692c(a)(1), Regulation F"),
    "UK": Jurisdiction("UK", 8 * 60, 21 * 60, basis="usual policy under FCA CONC 7"),
    "IE": Jurisdiction(
        "IE",
        9 * 60,
        21 * 60,
        no_sundays=True,
        no_public_holidays=True,
        holiday_country="IE",
        basis="Central Bank of Ireland consumer protection code",
    ),
    "AU": Jurisdiction(
        "AU",
        9 * 60,
        21 * 60,
        no_public_holidays=True,
        holiday_country="AU",
        basis="ASIC/ACCC debt collection guideline",
    ),
}


# --- sections -----------------------------------------------------------------


@dataclass(frozen=True)
class EligibilityConfig:
    """Rules that decide who may be visited today (all inclusive bounds)."""

    min_days_past_due: int = 90
    min_balance: float = 10000.0
    min_contact_attempts_30d: int = 3
    #: an account visited fewer than this many days ago is not visited again
    min_days_since_visit: int = 7
    #: field visits in the last 90 days must stay below this
    max_visits_90d: int = 3
    #: ``visit_with_relief`` keeps hardship accounts (their stop carries the
    #: relief offer); ``exclude`` leaves them out
    hardship_policy: str = "visit_with_relief"
    #: dates (``YYYY-MM-DD``) without visits on top of the jurisdiction's days: local
    #: public holidays, company closures
    no_visit_dates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuse negative bounds, an unknown hardship policy and bad dates (ConfigError)."""
        _check_nonneg(self, "min_days_past_due", "min_balance", "min_contact_attempts_30d")
        _check_nonneg(self, "min_days_since_visit", "max_visits_90d")
        for value in self.no_visit_dates:
            try:
                dt.date.fromisoformat(str(value))
            except ValueError:
                raise ConfigError(
                    f"eligibility.no_visit_dates: {value!r} is not a date YYYY-MM-DD"
                ) from None
        if self.hardship_policy not in ("visit_with_relief", "exclude"):
            raise ConfigError(
                "eligibility.hardship_policy must be 'visit_with_relief' or 'exclude', "
                f"got {self.hardship_policy!r}"
            )


@dataclass(frozen=True)
class ScoringConfig:
    """Points table behind the probability of payment after a visit.

    Points are percentage points added to ``base_points``; the probability is
    ``clamp(total / 100, min_probability, max_probability)`` and the expected
    recovery is ``balance * probability``. Bands are ``[lower_bound, points]``
    pairs: the last band whose lower bound is <= the value applies.
    """

    base_points: float = 30.0
    #: days past due -> points (older debts pay less often)
    days_past_due_bands: tuple[tuple[float, float], ...] = (
        (0, 0.0),
        (180, -5.0),
        (365, -10.0),
        (730, -18.0),
    )
    #: points per broken promise (a visit firms up a debtor who once agreed)
    broken_promise_points: float = 4.0
    broken_promise_cap: int = 3
    #: days since the last payment -> points
    last_payment_bands: tuple[tuple[float, float], ...] = (
        (0, 12.0),
        (31, 6.0),
        (91, 0.0),
        (181, -6.0),
    )
    #: points when no payment was ever recorded
    never_paid_points: float = -8.0
    #: last remote contact outcome -> points (unknown outcomes score 0)
    contact_outcome_points: Mapping[str, float] = field(
        default_factory=lambda: {
            "ptp": 6.0,
            "no_answer": 0.0,
            "refused": -4.0,
            "unreachable": -6.0,
            "wrong_number": -10.0,
        }
    )
    hardship_points: float = -10.0
    min_probability: float = 0.02
    max_probability: float = 0.9

    def __post_init__(self) -> None:
        """Normalise bands and points; refuse bad probability bounds, bands and a negative cap."""
        if not 0 <= self.min_probability <= self.max_probability <= 1:
            raise ConfigError(
                "scoring: need 0 <= min_probability <= max_probability <= 1, got "
                f"{self.min_probability} and {self.max_probability}"
            )
        for name in ("days_past_due_bands", "last_payment_bands"):
            bands = getattr(self, name)
            try:
                pairs = tuple((float(lo), float(pts)) for lo, pts in bands)
            except (TypeError, ValueError) as exc:
                raise ConfigError(
                    f"scoring.{name} must be a list of [lower_bound, points] pairs"
                ) from exc
            if not pairs or list(p[0] for p in pairs) != sorted(p[0] for p in pairs):
                raise ConfigError(f"scoring.{name} must be non-empty and sorted by lower bound")
            object.__setattr__(self, name, pairs)
        object.__setattr__(
            self,
            "contact_outcome_points",
            {str(k): float(v) for k, v in dict(self.contact_outcome_points).items()},
        )
        _check_nonneg(self, "broken_promise_cap")


@dataclass(frozen=True)
class TravelConfig:
    """Travel model (see the README, "Road travel times") and its settings.

    ``provider`` is ``haversine`` (great-circle distance x ``circuity`` at
    ``speed_kmh``), ``osm:FILE.osm.pbf`` (OSRM run by routeplan on a local
    OpenStreetMap extract), ``osrm:URL`` (an OSRM server) or ``matrix:FILE``
    (a precomputed matrix); ``--travel`` overrides it.
    """

    provider: str = "haversine"
    #: haversine: road km per great-circle km
    circuity: float = 1.35
    #: haversine: default speed (km/h) of car and motorbike agents (agents.csv speed_kmh overrides)
    speed_kmh: float = 25.0
    #: every travel duration is multiplied by this (traffic)
    traffic_factor: float = 1.0
    #: minutes added to every trip between two different places (parking, walking to the door)
    stop_overhead_min: float = 0.0
    #: motorbikes use the car network; their durations are multiplied by this
    motorbike_factor: float = 1.0
    #: a place farther than this from any road (metres) has no road route
    max_snap_m: float = 500.0
    #: "none": a failing routing service stops the run; "haversine": plan on straight lines
    fallback: str = "none"
    #: matrices and prepared extracts; empty = $XDG_CACHE_HOME/routeplan or ~/.cache/routeplan
    cache_dir: str = ""
    #: seconds one request to a routing server may take
    timeout_s: float = 60.0
    #: further attempts after a failed request (connection refused, 5xx, timeout)
    retries: int = 2
    #: osrm: largest table block requested (sources x destinations <= table_block^2);
    #: set to the server's --max-table-size
    table_block: int = 100
    #: requests in flight at once
    workers: int = 2
    #: osrm: a server URL per OSRM profile (car, bicycle, foot); --travel osrm:URL sets car
    osrm_urls: Mapping[str, str] = field(default_factory=dict)
    #: folder of the OSRM executables; empty = ROUTEPLAN_OSRM_BIN, <venv>/osrm/bin, PATH
    osrm_bin: str = ""
    #: osm: "ch" (contraction hierarchies: fastest tables), "mld" (fastest preparation) or
    #: "auto" (ch for car, mld for bicycle and foot, whose dense networks contract slowly)
    osm_algorithm: str = "auto"
    #: road models: fetch each route's road geometry for the map
    geometry: bool = True

    def __post_init__(self) -> None:
        """Refuse an unknown provider or a setting out of range (ConfigError)."""
        from routeplan.travel.spec import parse_provider

        try:
            parse_provider(self.provider)
        except ValueError as exc:
            raise ConfigError(f"travel.provider: {exc}") from None
        if not 1.0 <= self.circuity <= 5.0:
            raise ConfigError(f"travel.circuity must be in [1, 5], got {self.circuity}")
        if not 1.0 <= self.speed_kmh <= 200.0:
            raise ConfigError(f"travel.speed_kmh must be in [1, 200], got {self.speed_kmh}")
        self._check_ranges()
        self._check_choices()
        urls = dict(self.osrm_urls)
        for profile, url in urls.items():
            if profile not in ("car", "bicycle", "foot"):
                raise ConfigError(
                    f"travel.osrm_urls: {profile!r} is not an OSRM profile (car, bicycle, foot)"
                )
            if not str(url).lower().startswith(("http://", "https://")):
                raise ConfigError(f"travel.osrm_urls.{profile} must be an http(s) URL, got {url!r}")
        object.__setattr__(self, "osrm_urls", {str(k): str(v) for k, v in urls.items()})

    def _check_ranges(self) -> None:
        """Refuse a factor, overhead, distance, timeout or count out of range (ConfigError)."""
        for name in ("traffic_factor", "motorbike_factor"):
            if not 0.2 <= getattr(self, name) <= 10.0:
                raise ConfigError(f"travel.{name} must be in [0.2, 10], got {getattr(self, name)}")
        if not 0 <= self.stop_overhead_min <= 120:
            raise ConfigError(
                f"travel.stop_overhead_min must be in [0, 120], got {self.stop_overhead_min}"
            )
        if not 1 <= self.max_snap_m <= 100_000:
            raise ConfigError(f"travel.max_snap_m must be in [1, 100000], got {self.max_snap_m}")
        if not 0.1 <= self.timeout_s <= 3600:
            raise ConfigError(f"travel.timeout_s must be in [0.1, 3600], got {self.timeout_s}")
        if not 0 <= self.retries <= 10:
            raise ConfigError(f"travel.retries must be in [0, 10], got {self.retries}")
        if not 2 <= self.table_block <= 100_000:
            raise ConfigError(f"travel.table_block must be in [2, 100000], got {self.table_block}")
        if not 1 <= self.workers <= 64:
            raise ConfigError(f"travel.workers must be in [1, 64], got {self.workers}")

    def _check_choices(self) -> None:
        """Refuse an unknown fallback or OSRM algorithm, or a geometry not a bool."""
        if self.fallback not in ("none", "haversine"):
            raise ConfigError(
                f"travel.fallback must be 'none' or 'haversine', got {self.fallback!r}"
            )
        if self.osm_algorithm not in ("auto", "ch", "mld"):
            raise ConfigError(
                f"travel.osm_algorithm must be 'auto', 'ch' or 'mld', got {self.osm_algorithm!r}"
            )
        if not isinstance(self.geometry, bool):
            raise ConfigError(f"travel.geometry must be true or false, got {self.geometry!r}")


@dataclass(frozen=True)
class VisitConfig:
    """What a visit needs."""

    #: minutes spent with the debtor
    service_min: int = 30
    #: balances at or above this need an agent with ``senior_skill``
    senior_balance: float = 100000.0
    senior_skill: str = "senior"
    #: visits per agent and day when ``max_visits`` is empty
    default_max_visits: int = 10
    #: language of the standard printed materials; a visit in any other
    #: language adds "materials in the debtor's language" to its checklist
    materials_language: str = "zh"
    #: instalment plans offered at the door (months)
    instalment_months: tuple[int, ...] = (3, 6, 12)
    #: term extension offered at the door (months)
    extension_months: int = 24
    #: longer term offered on the hardship relief path (months)
    hardship_term_months: int = 36

    def __post_init__(self) -> None:
        """Refuse visit settings outside their documented ranges (ConfigError)."""
        if not 1 <= self.service_min <= 480:
            raise ConfigError(f"visits.service_min must be in [1, 480], got {self.service_min}")
        if self.default_max_visits < 1:
            raise ConfigError("visits.default_max_visits must be >= 1")
        months = (*self.instalment_months, self.extension_months, self.hardship_term_months)
        if any(not isinstance(n, int) or n < 1 or n > 120 for n in months):
            raise ConfigError("visits: instalment/extension/hardship months must be in [1, 120]")
        object.__setattr__(self, "instalment_months", tuple(self.instalment_months))


#: the ``[solver]`` section is the solver's own parameter object (validated there)
SolverConfig = SolveParams


@dataclass(frozen=True)
class HistoryConfig:
    """How recorded outcomes shape the next plans (with ``--db``)."""

    ptp_grace_days: int = 3
    not_home_max_attempts: int = 3
    not_home_window_days: int = 14
    #: after an unanswered visit, avoid +/- this many minutes around its time
    not_home_avoid_min: int = 90
    #: contacted visits (anything but not_home) at most one per this many days
    contacted_gap_days: int = 30
    hardship_pause_days: int = 30

    def __post_init__(self) -> None:
        """Refuse negative day counts and limits (ConfigError)."""
        _check_nonneg(self, *(f.name for f in dataclasses.fields(self)))


@dataclass(frozen=True)
class GeocodeConfig:
    """Geocoding of accounts without coordinates (geopy)."""

    #: ``nominatim`` (default) or ``none`` (never geocode; rows are rejected)
    provider: str = "nominatim"
    user_agent: str = "routeplan"
    #: Nominatim's host; change to use a self-hosted server
    domain: str = "nominatim.openstreetmap.org"
    scheme: str = "https"
    #: seconds between two requests (Nominatim's policy asks for >= 1)
    min_delay_s: float = 1.0
    timeout_s: float = 10.0
    #: persistent cache file (SQLite), relative to the working directory
    cache_path: str = "routeplan-geocode.sqlite"
    #: appended to addresses that do not already end with it, e.g. "深圳市, 中国"
    region_hint: str = ""

    def __post_init__(self) -> None:
        """Refuse an unknown provider and a negative delay or timeout (ConfigError)."""
        if self.provider not in ("nominatim", "none"):
            raise ConfigError(
                f"geocode.provider must be 'nominatim' or 'none', got {self.provider!r}"
            )
        _check_nonneg(self, "min_delay_s", "timeout_s")


@dataclass(frozen=True)
class AuditConfig:
    """How ``routeplan record`` checks the proof a visit carries (see :mod:`routeplan.proof`)."""

    #: a check-in farther than this (metres) plus its reported GPS accuracy from the
    #: account's location is ``far_from_address``
    max_checkin_m: float = 250.0
    #: a check-in whose reported accuracy is worse than this (metres) proves no place:
    #: the distance is not verified (neither clean nor flagged)
    max_accuracy_m: float = 500.0
    #: a visit where someone was met, shorter than this from check-in to check-out
    #: (minutes), is ``too_short``
    min_visit_min: float = 5.0
    #: two consecutive check-ins of one agent farther apart (straight line) than this
    #: speed allows in the time between them are ``impossible_travel`` (km/h)
    max_speed_kmh: float = 80.0

    def __post_init__(self) -> None:
        """Refuse negative bounds and a speed that is not a number > 0 (ConfigError)."""
        _check_nonneg(self, "max_checkin_m", "max_accuracy_m", "min_visit_min")
        speed = self.max_speed_kmh
        if isinstance(speed, bool) or not isinstance(speed, int | float) or not speed > 0:
            raise ConfigError(
                f"audit.max_speed_kmh must be a number > 0, got {self.max_speed_kmh!r}"
            )


@dataclass(frozen=True)
class ReplanConfig:
    """Re-planning during the day (``routeplan replan``): stability and urgency."""

    #: minutes of travel that moving a planned visit to another agent, or out of the
    #: plan, costs: an agent's route changes only when that saves more than this
    move_penalty_min: float = 30.0
    #: an urgent account is worth the most valuable visit of the day, plus the move
    #: penalty, plus this many minutes of travel (so it displaces a visit worth less)
    urgent_bonus_min: float = 60.0
    #: seconds the solver gets for a re-plan (``--time-limit`` overrides)
    time_limit_s: float = 5.0
    #: a visit whose start moves by fewer minutes is not reported as retimed
    notice_min: int = 5
    #: for each visit to place, how many agents whose routes pass nearest are searched
    neighbours: int = 3

    def __post_init__(self) -> None:
        """Refuse negative penalties, a time limit outside (0, 86400] and neighbours < 1."""
        _check_nonneg(self, "move_penalty_min", "urgent_bonus_min", "notice_min")
        t = self.time_limit_s
        if not isinstance(t, int | float) or isinstance(t, bool) or not 0 < t <= 86400:
            raise ConfigError(f"replan.time_limit_s must be in (0, 86400], got {t!r}")
        _check_positive_int(self, "neighbours")


#: languages the map, the route sheets and the index can be printed in
OUTPUT_LANGUAGES = ("zh", "en")
#: the language a jurisdiction's plans are printed in when ``[output] language`` is empty
JURISDICTION_LANGUAGES = {"CN": "zh"}


@dataclass(frozen=True)
class OutputConfig:
    """How the dispatch outputs (map, route sheets, index) are written."""

    #: ``zh`` or ``en``; empty = the jurisdiction's (``zh`` for CN, ``en`` elsewhere)
    language: str = ""
    #: write the map's scripts and styles into ``PLAN_DIR/assets/`` instead of
    #: loading them from the internet (for closed office networks)
    offline_assets: bool = False

    def __post_init__(self) -> None:
        """Normalise the language code and refuse an unknown one (ConfigError)."""
        if isinstance(self.language, str):
            object.__setattr__(self, "language", self.language.strip().lower())
        if self.language not in ("", *OUTPUT_LANGUAGES):
            raise ConfigError(
                f"output.language must be one of {', '.join(OUTPUT_LANGUAGES)} (or empty for "
                f"the jurisdiction's), got {self.language!r}"
            )
        if not isinstance(self.offline_assets, bool):
            raise ConfigError(
                f"output.offline_assets must be true or false, got {self.offline_assets!r}"
            )

    def language_for(self, jurisdiction: str) -> str:
        """Return the language in force: the configured one, else the jurisdiction's."""
        return self.language or default_language(jurisdiction)


def default_language(jurisdiction: str) -> str:
    """Return the language a jurisdiction's plans are printed in (``zh`` for CN, else ``en``)."""
    return JURISDICTION_LANGUAGES.get(str(jurisdiction).strip().upper(), "en")


@dataclass(frozen=True)
class WeekConfig:
    """How ``routeplan plan-week`` weighs the days, the agents' debtors and their workload."""

    #: share of a visit's expected recovery lost per day it waits (0.03: 3 % a day)
    prize_decay_per_day: float = 0.03
    #: ``soft``: keeping an account's preferred agent earns ``continuity_bonus_min``;
    #: ``hard``: only its preferred agent visits it; ``off``: no preference
    continuity: str = "soft"
    #: travel minutes a visit by the preferred agent is worth
    continuity_bonus_min: float = 20.0
    #: each agent's daily visits and minutes are kept within this share of his own
    #: average over the days he works in the week (soft: see ``balance_cost_min``)
    balance_band: float = 0.25
    #: travel minutes each visit outside the band costs (a minute of work outside
    #: it costs a minute of travel); 0 turns the balance off
    balance_cost_min: float = 10.0
    #: most visits one account may get in the horizon (1: at most one); visits beyond
    #: the first are planned in rounds (``routeplan.week_repeat``)
    max_visits_per_account: int = 1
    #: fewest calendar days between two visits of one account when more are allowed;
    #: ``[eligibility] min_days_since_visit`` and ``[history] contacted_gap_days`` apply
    #: too: the largest of the three is the gap kept
    min_days_between_visits: int = 2
    #: share of its expected recovery a repeat visit (beyond an account's first in the
    #: horizon) is worth: what the repeat rounds weigh and what the plans report for it
    #: (1: as much as a first visit that day; 0: never worth a visit)
    repeat_value_share: float = 1.0

    def __post_init__(self) -> None:
        """Refuse a bad decay, bonus, continuity mode, visit count, gap or share (ConfigError)."""
        _check_nonneg(
            self,
            "prize_decay_per_day",
            "continuity_bonus_min",
            "balance_band",
            "balance_cost_min",
            "repeat_value_share",
        )
        _check_positive_int(self, "max_visits_per_account", "min_days_between_visits")
        if self.repeat_value_share > 1:
            raise ConfigError(
                f"week.repeat_value_share must be between 0 and 1, got {self.repeat_value_share!r}"
            )
        if self.prize_decay_per_day >= 1:
            raise ConfigError(
                f"week.prize_decay_per_day must be below 1, got {self.prize_decay_per_day!r}"
            )
        if self.continuity not in ("soft", "hard", "off"):
            raise ConfigError(
                f"week.continuity must be 'soft', 'hard' or 'off', got {self.continuity!r}"
            )


@dataclass(frozen=True)
class Config:
    """The whole configuration of one run."""

    jurisdiction: str = "CN"
    eligibility: EligibilityConfig = field(default_factory=EligibilityConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    travel: TravelConfig = field(default_factory=TravelConfig)
    visits: VisitConfig = field(default_factory=VisitConfig)
    solver: SolveParams = field(default_factory=SolveParams)
    history: HistoryConfig = field(default_factory=HistoryConfig)
    geocode: GeocodeConfig = field(default_factory=GeocodeConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    week: WeekConfig = field(default_factory=WeekConfig)
    replan: ReplanConfig = field(default_factory=ReplanConfig)

    def __post_init__(self) -> None:
        """Refuse non-finite numbers and an unknown jurisdiction; upper-case its code."""
        for section in _SECTIONS:
            obj = getattr(self, section)
            for f in dataclasses.fields(obj):
                _check_finite(f"{section}.{f.name}", getattr(obj, f.name))
        code = str(self.jurisdiction).upper()
        if code not in JURISDICTIONS:
            raise ConfigError(
                f"jurisdiction must be one of {', '.join(JURISDICTIONS)}, got {self.jurisdiction!r}"
            )
        object.__setattr__(self, "jurisdiction", code)

    @property
    def legal(self) -> Jurisdiction:
        """The jurisdiction profile in force."""
        return JURISDICTIONS[self.jurisdiction]

    def replace(self, **changes: Any) -> Config:
        """Return a copy with top-level fields or ``section__key`` values changed.

        ``cfg.replace(jurisdiction="IN", solver__time_limit_s=5)``
        """
        top: dict[str, Any] = {}
        nested: dict[str, dict[str, Any]] = {}
        for key, value in changes.items():
            if "__" in key:
                section, sub = key.split("__", 1)
                nested.setdefault(section, {})[sub] = value
            else:
                top[key] = value
        for section, values in nested.items():
            current = getattr(self, section)
            top[section] = dataclasses.replace(current, **values)
        return dataclasses.replace(self, **top)

    def to_dict(self) -> dict[str, Any]:
        """Return the configuration as plain data that :func:`config_from_dict` reads back.

        Settings that are not configuration keys (``metadata={"toml": False}``,
        e.g. the solver's internal tuning) are left out, so the result
        round-trips (the history store and ``plan_context.json`` rely on it).
        """
        plain: dict[str, Any] = _plain(self)
        return plain


def _plain(obj: Any) -> Any:
    """Return a dataclass as nested plain data, without its non-configuration fields."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: _plain(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if f.metadata.get("toml", True)
        }
    if isinstance(obj, list | tuple):
        return type(obj)(_plain(v) for v in obj)
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    return obj


_SECTIONS: dict[str, type] = {
    "eligibility": EligibilityConfig,
    "scoring": ScoringConfig,
    "travel": TravelConfig,
    "visits": VisitConfig,
    "solver": SolveParams,
    "history": HistoryConfig,
    "geocode": GeocodeConfig,
    "output": OutputConfig,
    "audit": AuditConfig,
    "cluster": ClusterConfig,
    "week": WeekConfig,
    "replan": ReplanConfig,
}


def config_from_dict(data: Mapping[str, Any], *, source: str = "config") -> Config:
    """Build a validated ``Config`` from nested plain data (e.g. parsed TOML)."""
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "jurisdiction":
            kwargs[key] = value
        elif key in _SECTIONS:
            cls = _SECTIONS[key]
            if not isinstance(value, Mapping):
                raise ConfigError(f"{source}: [{key}] must be a table")
            # settings marked toml=False (e.g. the solver's tuning) are not file keys
            known = [f.name for f in dataclasses.fields(cls) if f.metadata.get("toml", True)]
            unknown = sorted(set(value) - set(known))
            if unknown:
                raise ConfigError(
                    f"{source}: unknown key(s) in [{key}]: {', '.join(unknown)}; "
                    f"allowed: {', '.join(known)}"
                )
            try:
                kwargs[key] = cls(**{k: _coerce(v) for k, v in value.items()})
            except TypeError as exc:
                raise ConfigError(f"{source}: [{key}]: {exc}") from exc
            except ConfigError as exc:
                raise ConfigError(f"{source}: {exc}") from exc
        else:
            raise ConfigError(
                f"{source}: unknown key {key!r}; allowed: jurisdiction, {', '.join(_SECTIONS)}"
            )
    try:
        return Config(**kwargs)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from exc


def load_config(path: str | Path | None) -> Config:
    """Read ``routeplan.toml`` (or return the defaults when ``path`` is None)."""
    if path is None:
        return Config()
    p = Path(path)
    try:
        with p.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"{p}: config file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from exc
    return config_from_dict(data, source=str(p))


def _coerce(value: Any) -> Any:
    """Turn TOML arrays into tuples so frozen configs stay hashable-ish."""
    if isinstance(value, list):
        return tuple(_coerce(v) for v in value)
    return value


def _check_finite(name: str, value: Any) -> None:
    """Refuse NaN and infinities anywhere in a value (TOML allows ``nan``/``inf``)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value!r}")
    if isinstance(value, Mapping):
        for k, v in value.items():
            _check_finite(f"{name}.{k}", v)
    elif isinstance(value, tuple | list):
        for v in value:
            _check_finite(name, v)


def _check_nonneg(obj: object, *names: str) -> None:
    section = type(obj).__name__.removesuffix("Config").lower()
    for name in names:
        value = getattr(obj, name)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{section}.{name} must be a number >= 0, got {value!r}")


def _check_positive_int(obj: object, *names: str) -> None:
    section = type(obj).__name__.removesuffix("Config").lower()
    for name in names:
        value = getattr(obj, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{section}.{name} must be an integer >= 1, got {value!r}")
