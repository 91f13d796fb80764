"""Split a portfolio into regions (branches), each to be planned as its own day.

When accounts and agents carry a region column (:func:`split_by_column`), or
when one large city is split automatically (:func:`split_auto`), each region
is an independent problem: its agents serve only its accounts, under its
jurisdiction, in its local time. What cannot be placed in a region is said,
row by row: a row without a region value, a region listed in one file only
(accounts of a region without agents are refused; agents of a region without
accounts are reported), a region missing from ``regions.csv``.

:mod:`routeplan.regions_run` plans the regions side by side and writes them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from routeplan import schema as S
from routeplan.config import Config
from routeplan.errors import ConfigError, InputError, RowProblem
from routeplan.io.regions import RegionProfile
from routeplan.plan import Inputs
from routeplan.timezones import ZoneSpread, local_date, utc_offset, zone_spread, zones_at

if TYPE_CHECKING:
    pass

__all__ = [
    "Portfolio",
    "Region",
    "ZoneVerdict",
    "bisect_points",
    "nearest_point",
    "normalise_column",
    "region_config",
    "region_folders",
    "require_one_zone",
    "split_auto",
    "split_by_column",
    "zone_verdict",
]

#: names a region folder may not take: the files at the top of the run's folder
_RESERVED_FOLDERS = {"summary.json", "rejected.csv", "unplanned.csv", "index.html", "assets"}
_HEADER_GAPS = re.compile(r"[\s\-]+")


def normalise_column(name: str) -> str:
    """Return a column name as the readers store headers (``Branch Code`` -> ``branch_code``)."""
    return _HEADER_GAPS.sub("_", name.strip().lower())


# --- the split ---------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """One region ready to plan: its inputs, rules, clock and day.

    ``problem`` non-empty: the region cannot be planned (e.g. its places span
    several time zones and no zone was given); it is reported as failed and
    its accounts go to ``unplanned.csv``.
    """

    name: str
    folder: str
    inputs: Inputs
    config: Config
    timezone: str
    date: dt.date
    notes: tuple[str, ...] = ()
    problem: str = ""


@dataclass(frozen=True)
class Portfolio:
    """A portfolio split into regions, and what could not be placed in one."""

    regions: tuple[Region, ...]
    #: rows refused: by the readers, and for their region value
    rejected: tuple[RowProblem, ...]
    #: region -> agents of a region that has no account (not planned)
    agents_without_accounts: dict[str, tuple[str, ...]]
    #: how the regions were made, for ``summary.json``
    split: dict[str, Any]


def split_by_column(
    inputs: Inputs,
    column: str,
    config: Config,
    *,
    profiles: Mapping[str, RegionProfile] | None = None,
    plan_date: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Portfolio:
    """Split the inputs by the region column both files carry.

    Parameters
    ----------
    inputs
        Validated accounts and agents (:func:`routeplan.plan.load_inputs`).
    column
        The region column (matched like every header: case, spaces and
        dashes do not matter).
    config
        The rules of a region without a profile (and the defaults of one).
    profiles
        ``regions.csv`` (:func:`routeplan.io.regions.read_regions`): each
        region's jurisdiction, time zone and travel model. When given, rows
        of a region it does not list are refused.
    plan_date
        The day planned in every region; None: each region's local date at
        ``now``.
    now
        The current instant (aware), for local dates; required without ``plan_date``.

    Raises
    ------
    InputError
        A file lacks the column, a profile's travel model is not valid, or
        nothing is left to plan.
    """
    col = normalise_column(column)
    missing = [
        name
        for name, frame in (
            (inputs.accounts_file, inputs.accounts),
            (inputs.agents_file, inputs.agents),
        )
        if col not in frame.columns
    ]
    if missing:
        raise InputError(
            f"{' and '.join(missing)}: no column {col!r} (--region-column): both files need it"
        )
    acc_region = _region_values(inputs.accounts, col)
    agent_region = _region_values(inputs.agents, col)
    acc_ok, agent_ok = acc_region != "", agent_region != ""
    refused = list(inputs.rejected)
    refused += _refuse(
        inputs.accounts, acc_region, ~acc_ok, inputs.accounts_file, col, _empty_region
    )
    refused += _refuse(
        inputs.agents, agent_region, ~agent_ok, inputs.agents_file, col, _empty_region
    )
    known = set(profiles) if profiles is not None else None
    if known is not None:
        acc_out = acc_ok & ~acc_region.isin(known)
        agent_out = agent_ok & ~agent_region.isin(known)
        refused += _refuse(
            inputs.accounts, acc_region, acc_out, inputs.accounts_file, col, _not_listed, known
        )
        refused += _refuse(
            inputs.agents, agent_region, agent_out, inputs.agents_file, col, _not_listed, known
        )
        acc_ok, agent_ok = acc_ok & ~acc_out, agent_ok & ~agent_out
    staffed = set(agent_region[agent_ok])
    unstaffed = acc_ok & ~acc_region.isin(staffed)
    refused += _refuse(
        inputs.accounts,
        acc_region,
        unstaffed,
        inputs.accounts_file,
        col,
        lambda value: f"region {value!r} has no agent in {inputs.agents_file}",
        staffed,
    )
    acc_ok = acc_ok & ~unstaffed
    names = sorted(set(acc_region[acc_ok]))
    idle = sorted(staffed - set(names))
    agents_idle = {
        r: tuple(inputs.agents.loc[agent_region == r, S.AGENT_ID].astype(str)) for r in idle
    }
    folders = region_folders(names)
    regions = []
    problems: list[RowProblem] = []
    for name in names:
        profile = (profiles or {}).get(name, RegionProfile(name))
        sub = Inputs(
            accounts=inputs.accounts[acc_region == name].reset_index(drop=True),
            agents=inputs.agents[agent_region == name].reset_index(drop=True),
            accounts_file=inputs.accounts_file,
            agents_file=inputs.agents_file,
        )
        try:
            cfg = region_config(config, profile)
        except ConfigError as exc:
            problems.append(RowProblem("regions.csv", profile.row, "travel", str(exc), name))
            continue
        regions.append(_region(name, folders[name], sub, cfg, profile.timezone, plan_date, now))
    if problems:
        raise InputError(problems)
    split: dict[str, Any] = {"method": "column", "column": col}
    if known is not None:
        split["regions_file_unused"] = sorted(known - set(names) - set(idle))
    return Portfolio(tuple(regions), tuple(refused), agents_idle, split)


def _region_values(frame: pd.DataFrame, col: str) -> pd.Series:
    """Return the stripped region value of each row ('' when missing)."""
    return frame[col].fillna("").astype(str).str.strip()


def _empty_region(_value: str) -> str:
    return "empty region: every row needs its region"


def _not_listed(value: str) -> str:
    return f"region {value!r} is not in regions.csv"


def _refuse(
    frame: pd.DataFrame,
    values: pd.Series,
    mask: pd.Series,
    file: str,
    col: str,
    why: Callable[[str], str],
    hint_from: set[str] | None = None,
) -> list[RowProblem]:
    """Return a refusal of each row where ``mask`` is true, ``why(value)`` saying why.

    When the value differs only in case from one of ``hint_from``, the
    message asks whether that one was meant.
    """
    id_col = S.ACCOUNT_ID if S.ACCOUNT_ID in frame.columns else S.AGENT_ID
    rows = frame[mask]
    folded = {v.casefold(): v for v in sorted(hint_from or set())}
    out = []
    for r, i, value in zip(rows["_row"], rows[id_col], values[mask], strict=True):
        problem = why(value)
        near = folded.get(value.casefold())
        if near is not None and near != value:
            problem += f" (did you mean {near!r}?)"
        out.append(RowProblem(file, int(r), col, problem, str(i)))
    return out


def region_folders(names: Sequence[str]) -> dict[str, str]:
    """Map each region to a folder name that is safe and unique (as agents' file names)."""
    from routeplan.present.common import file_stems

    stems = file_stems(names)
    return {
        name: f"region-{stem}" if stem.casefold() in _RESERVED_FOLDERS else stem
        for name, stem in stems.items()
    }


def region_config(config: Config, profile: RegionProfile) -> Config:
    """Return ``config`` with a region's jurisdiction and travel model.

    Raises
    ------
    ConfigError
        The travel model is not one this routeplan knows.
    """
    changes: dict[str, Any] = {}
    if profile.jurisdiction:
        changes["jurisdiction"] = profile.jurisdiction
    if profile.travel:
        known = {f.name for f in dataclasses.fields(config.travel)}
        if "provider" in known:
            changes["travel__provider"] = profile.travel
        elif profile.travel.strip().lower() != "haversine":
            raise ConfigError(
                f"travel model {profile.travel!r}: only 'haversine' (straight lines) is "
                "available in this routeplan"
            )
    try:
        return config.replace(**changes) if changes else config
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"travel model {profile.travel!r}: {exc}") from exc


def _region(
    name: str,
    folder: str,
    inputs: Inputs,
    config: Config,
    zone: str,
    plan_date: dt.date | None,
    now: dt.datetime | None,
) -> Region:
    """Return a region with its zone (given, else found from its places) and its day."""
    day_guess = plan_date or _now(now).date()
    verdict = zone_verdict(inputs.accounts, inputs.agents, day_guess)
    notes = [verdict.note()] if verdict.note() else []
    problem = ""
    if zone:
        if verdict.problem or utc_offset(verdict.zone, day_guess) != utc_offset(zone, day_guess):
            notes.append(
                f"time zone {zone} given in regions.csv, but its places lie in "
                f"{verdict.spread.describe()}; clock times are read as {zone}"
            )
    elif verdict.problem:
        zone = verdict.zone
        problem = (
            f"its places lie in several time zones ({verdict.spread.describe()}): "
            f"{verdict.problem}; give its zone in regions.csv (--regions FILE)"
        )
    else:
        zone = verdict.zone
    day = plan_date or local_date(zone, _now(now))
    return Region(name, folder, inputs, config, zone, day, tuple(notes), problem)


def _now(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        raise ValueError("give plan_date or now (the current instant) to find local dates")
    return now


#: an account in another clock than the agents, this close to a base (km), could be
#: visited with its clock times misread: such a day is refused
REACH_KM = 300.0


@dataclass(frozen=True)
class ZoneVerdict:
    """The clock a day is planned in, and whether its places allow one."""

    zone: str
    spread: ZoneSpread
    #: why the places cannot share one clock ('' when they can)
    problem: str = ""
    #: accounts in another clock, farther than ``REACH_KM`` from every base
    far: tuple[str, ...] = ()

    def note(self) -> str:
        """Return the line saying which far accounts lie in another clock ('' when none)."""
        if not self.far:
            return ""
        return (
            f"{len(self.far)} accounts lie in another time zone than the agents ({self.zone}), "
            f"more than {REACH_KM:g} km from every base (e.g. {', '.join(self.far[:3])}); "
            "their times are read as the agents' and no agent can reach them today"
        )


def zone_verdict(accounts: pd.DataFrame, agents: pd.DataFrame, day: dt.date) -> ZoneVerdict:
    """Return the clock of a day: the agents' bases', checked against the accounts.

    The agents must keep one clock on ``day``. Accounts in another clock are
    refused when one lies within ``REACH_KM`` of a base (the team could visit
    it, reading its windows in the wrong zone); farther ones (a far-away
    address, a bad coordinate) are reported and left to the planner, which
    drops what no agent can reach.
    """
    spread = zone_spread(accounts, agents, day)
    if agents.empty:
        why = "" if spread.single else "the accounts lie in several time zones"
        return ZoneVerdict(spread.zone, spread, why)
    team = zone_spread(accounts.iloc[0:0], agents, day)
    if not team.single:
        return ZoneVerdict(team.zone, spread, "the agents' bases lie in several time zones")
    offset = utc_offset(team.zone, day)
    placed = accounts[accounts[S.LAT].notna() & accounts[S.LON].notna()]
    lat, lon = placed[S.LAT].to_numpy(float), placed[S.LON].to_numpy(float)
    other = np.array([utc_offset(z, day) != offset for z in zones_at(lat, lon)], dtype=bool)
    if not other.any():
        return ZoneVerdict(team.zone, spread)
    base_lat, base_lon = agents[S.BASE_LAT].to_numpy(float), agents[S.BASE_LON].to_numpy(float)
    nearest = nearest_point(lat[other], lon[other], base_lat, base_lon)
    metres = _haversine_pairs(lat[other], lon[other], base_lat[nearest], base_lon[nearest])
    ids = placed[S.ACCOUNT_ID].astype(str).to_numpy()[other]
    near = ids[metres <= REACH_KM * 1000]
    if len(near):
        why = (
            f"accounts in another time zone than the agents lie within {REACH_KM:g} km of a "
            f"base (e.g. {', '.join(near[:3])})"
        )
        return ZoneVerdict(team.zone, spread, why)
    return ZoneVerdict(team.zone, spread, "", tuple(ids[metres > REACH_KM * 1000]))


def require_one_zone(inputs: Inputs, day: dt.date) -> ZoneVerdict:
    """Return the clock of a portfolio planned as one day, or refuse one that spans several.

    Clock times in the inputs are local: the agents' bases must keep one
    clock, and no account in another clock may lie within reach (see
    :func:`zone_verdict`; far ones are reported in ``far``).

    Raises
    ------
    InputError
        The places cannot share one clock on ``day``.
    """
    verdict = zone_verdict(inputs.accounts, inputs.agents, day)
    if verdict.problem:
        raise InputError(_zones_message(inputs, verdict))
    return verdict


def _zones_message(inputs: Inputs, verdict: ZoneVerdict) -> str:
    return (
        f"{inputs.accounts_file} and {inputs.agents_file} span several time zones "
        f"({verdict.spread.describe()}): {verdict.problem}; shifts, windows and legal hours "
        "are local clock times, so "
        "plan each zone as its own region: give both files a region column and plan with "
        "--region-column NAME (and --regions FILE for each region's zone and jurisdiction)"
    )


def split_auto(
    inputs: Inputs,
    config: Config,
    *,
    max_agents: int,
    plan_date: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Portfolio:
    """Split one large city into regions of at most ``max_agents`` agents.

    Agents are split by their bases, by recursive bisection across the wider
    side of their spread (so each region is compact and as large as the
    others); each account goes to the region of the nearest agent base
    (great-circle distance). Regions are named ``area-01``, ``area-02``, ...
    in that order.

    Raises
    ------
    InputError
        The portfolio spans several time zones (use a region column), or
        there is no agent.
    """
    if inputs.agents.empty:
        raise InputError(f"{inputs.agents_file}: no valid agent to split the city by")
    day_guess = plan_date or _now(now).date()
    verdict = require_one_zone(inputs, day_guess)
    agents = inputs.agents.reset_index(drop=True)
    labels = bisect_points(
        agents[S.BASE_LAT].to_numpy(float), agents[S.BASE_LON].to_numpy(float), max_agents
    )
    names = [f"area-{k + 1:02d}" for k in range(int(labels.max()) + 1)]
    nearest = nearest_point(
        inputs.accounts[S.LAT].to_numpy(float),
        inputs.accounts[S.LON].to_numpy(float),
        agents[S.BASE_LAT].to_numpy(float),
        agents[S.BASE_LON].to_numpy(float),
    )
    account_label = labels[nearest] if len(nearest) else np.array([], dtype=int)
    day = plan_date or local_date(verdict.zone, _now(now))
    regions = []
    idle: dict[str, tuple[str, ...]] = {}
    how: dict[str, Any] = {}
    for k, name in enumerate(names):
        ag = agents[labels == k].reset_index(drop=True)
        acc = inputs.accounts[account_label == k].reset_index(drop=True)
        how[name] = {
            "agents": len(ag),
            "accounts": len(acc),
            "centre": [
                round(float(ag[S.BASE_LAT].mean()), 5),
                round(float(ag[S.BASE_LON].mean()), 5),
            ],
        }
        if acc.empty:
            idle[name] = tuple(ag[S.AGENT_ID].astype(str))
            continue
        sub = Inputs(acc, ag, (), inputs.accounts_file, inputs.agents_file)
        regions.append(Region(name, name, sub, config, verdict.zone, day))
    split = {
        "method": "auto",
        "max_agents_per_region": max_agents,
        "rule": (
            "agents split by recursive bisection of their bases across the wider side, "
            f"at most {max_agents} per region; each account to the region of the nearest "
            "agent base (great-circle distance)"
        ),
        "regions": how,
    }
    return Portfolio(tuple(regions), tuple(inputs.rejected), idle, split)


def bisect_points(lat: np.ndarray, lon: np.ndarray, max_size: int) -> np.ndarray:
    """Return a group number per point: compact groups of at most ``max_size`` points.

    Recursive bisection: a set larger than ``max_size`` is cut across the
    wider side of its spread (km) into two parts whose sizes are in the
    ratio of the groups each will hold, so every group gets at most
    ``max_size`` points and the sizes stay balanced. Deterministic.
    """
    labels = np.zeros(len(lat), dtype=int)
    next_label = 0

    def cut(idx: np.ndarray) -> None:
        nonlocal next_label
        n = len(idx)
        if n <= max_size:
            labels[idx] = next_label
            next_label += 1
            return
        groups = math.ceil(n / max_size)
        left_groups = groups // 2
        n_left = round(n * left_groups / groups)
        y = lat[idx]
        x = lon[idx] * math.cos(math.radians(float(np.mean(y))))
        axis = y if np.ptp(y) >= np.ptp(x) else x
        order = idx[np.argsort(axis, kind="stable")]
        cut(order[:n_left])
        cut(order[n_left:])

    if len(lat):
        cut(np.arange(len(lat)))
    return labels


def nearest_point(
    lat: np.ndarray, lon: np.ndarray, to_lat: np.ndarray, to_lon: np.ndarray
) -> np.ndarray:
    """Return, for each point, the index of the nearest of the ``to`` points (great circle)."""
    out = np.empty(len(lat), dtype=int)
    block = max(1, 2_000_000 // max(1, len(to_lat)))
    for start in range(0, len(lat), block):
        a_lat, a_lon = lat[start : start + block], lon[start : start + block]
        d = _haversine_pairs(a_lat[:, None], a_lon[:, None], to_lat[None, :], to_lon[None, :])
        out[start : start + block] = np.argmin(d, axis=1)
    return out


def _haversine_pairs(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Return great-circle metres between broadcast arrays of points."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(lon2 - lon1)
    h = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    metres: np.ndarray = 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return metres
