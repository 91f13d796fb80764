"""Build the travel model a run asks for: from the config, ``--travel``, or a plan's record.

:func:`travel_model` reads ``[travel]`` (``provider`` or the ``--travel``
text overriding it) and returns a :class:`~routeplan.travel.base.TravelModel`.
With ``fallback = "haversine"`` a road model that fails (server unreachable,
HTTP error, timeout) is replaced by straight lines for the whole run, the
log says so and ``summary.json`` records it (:class:`FallbackModel`).
:func:`model_from_record` rebuilds the model a plan was made with from its
``summary.json`` entry, so ``routeplan check`` re-checks with the same times.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routeplan.errors import ConfigError, InputError
from routeplan.travel.base import (
    Adjustments,
    ClosingModel,
    Points,
    TravelMatrix,
    TravelModel,
    TravelProfile,
    TravelUnavailable,
)
from routeplan.travel.haversine import HaversineModel
from routeplan.travel.spec import parse_provider

if TYPE_CHECKING:
    from routeplan.config import TravelConfig

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def cache_root(cfg: TravelConfig) -> Path:
    """Return the cache folder: ``[travel] cache_dir``, else the user's cache folder."""
    if cfg.cache_dir:
        return Path(cfg.cache_dir).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "routeplan"


def adjustments(cfg: TravelConfig) -> Adjustments:
    """Return the traffic factor, stop overhead and motorbike factor of the config."""
    return Adjustments(
        traffic_factor=cfg.traffic_factor,
        stop_overhead_s=round(cfg.stop_overhead_min * 60),
        mode_factor={"motorbike": cfg.motorbike_factor},
    )


def travel_model(
    cfg: TravelConfig, *, provider: str | None = None, progress: Progress = _quiet
) -> TravelModel:
    """Return the travel model of ``cfg`` (``provider`` overrides ``cfg.provider``).

    Nothing is prepared or started here: an ``osm`` extract is prepared and
    its server started on the first matrix.

    Raises
    ------
    ConfigError
        The provider text is not valid.
    InputError
        A data file is missing or unusable.
    """
    text = provider if provider is not None else cfg.provider
    try:
        spec = parse_provider(text)
    except ValueError as exc:
        raise ConfigError(f"--travel / [travel] provider: {exc}") from None
    adj = adjustments(cfg)
    straight = HaversineModel(circuity=cfg.circuity, speed_kmh=cfg.speed_kmh, adjustments=adj)
    if spec.kind == "haversine":
        return straight
    model: TravelModel
    if spec.kind == "matrix":
        from routeplan.travel.matrix_file import MatrixFileModel

        return MatrixFileModel(Path(spec.target).expanduser(), adjustments=adj)
    from routeplan.travel.osrm_http import ServiceSettings

    service = ServiceSettings(
        timeout_s=cfg.timeout_s, retries=cfg.retries, block=cfg.table_block, workers=cfg.workers
    )
    common: dict[str, Any] = dict(
        service=service,
        adjustments=adj,
        max_snap_m=cfg.max_snap_m,
        cache_root=cache_root(cfg),
        progress=progress,
    )
    if spec.kind == "osm":
        from routeplan.travel.osm_embedded import OsmModel

        model = OsmModel(
            Path(spec.target).expanduser(),
            osrm_bin=cfg.osrm_bin,
            algorithm=cfg.osm_algorithm,
            **common,
        )
    else:
        from routeplan.travel.osrm_http import OsrmModel

        model = OsrmModel({**cfg.osrm_urls, "car": spec.target}, **common)
    if cfg.fallback == "haversine":
        return FallbackModel(model, straight, progress=progress)
    return model


class FallbackModel(ClosingModel):
    """A road model that hands over to straight lines when its service fails.

    Only :class:`~routeplan.travel.base.TravelUnavailable` (unreachable, HTTP
    error, timeout, malformed answer) falls back; a bad data file or setting
    still stops the run. Once fallen back, every later matrix is a straight
    line one, so a plan never mixes road and straight-line times
    (:func:`routeplan.travel.day.day_travel` recomputes what came before).
    """

    def __init__(
        self, primary: TravelModel, fallback: HaversineModel, *, progress: Progress = _quiet
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.progress = progress
        self.fallback_used = False
        self.reason = ""

    def _current(self) -> TravelModel:
        return self.fallback if self.fallback_used else self.primary

    def profile(self, mode: str, speed_kmh: float | None) -> TravelProfile:
        """Return the current model's profile for an agent."""
        return self._current().profile(mode, speed_kmh)

    def matrix(self, points: Points, profile: TravelProfile) -> TravelMatrix:
        """Return the road matrix, or the straight-line one once the road model failed."""
        if not self.fallback_used:
            try:
                return self.primary.matrix(points, profile)
            except TravelUnavailable as exc:
                self.fallback_used = True
                self.reason = str(exc)
                self.progress(f"travel: {exc}; planning on straight lines (fallback = haversine)")
        return self.fallback.matrix(points, self.fallback.profile(profile.mode, profile.speed_kmh))

    def route_geometry(
        self, points: Points, profile: TravelProfile
    ) -> list[tuple[float, float]] | None:
        """Return the road path (None once fallen back, or when the service fails now)."""
        if self.fallback_used:
            return None
        try:
            return self.primary.route_geometry(points, profile)
        except TravelUnavailable as exc:
            self.progress(f"travel: no road geometry for the map ({exc})")
            return None

    def describe(self) -> dict[str, Any]:
        """Return the model actually used; after a fallback, what was asked for and why not."""
        if not self.fallback_used:
            return {**self.primary.describe(), "fallback": "haversine", "fallback_used": False}
        asked = self.primary.describe()
        return {
            **self.fallback.describe(),
            "fallback_used": True,
            "fallback_reason": self.reason,
            "requested": {k: asked[k] for k in ("provider", "file", "urls") if k in asked},
        }

    def close(self) -> None:
        """Close the road model."""
        self.primary.close()


def model_from_record(
    record: Mapping[str, Any], cfg: TravelConfig, *, source: str, progress: Progress = _quiet
) -> TravelModel:
    """Return the model a plan was made with, from its ``summary.json`` ``travel`` entry.

    The record's provider, data file or URLs and adjustments win over
    ``cfg``; a data file whose content changed since the plan is refused
    (check it against the new file with ``--travel``).

    Raises
    ------
    InputError
        The record is not usable, or its data file is missing or changed.
    """
    provider = str(record.get("provider", ""))
    changes: dict[str, Any] = {"fallback": "none"}
    for key in ("circuity", "speed_kmh", "traffic_factor", "stop_overhead_min"):
        if key in record:
            changes[key] = record[key]
    for key in ("motorbike_factor", "max_snap_m", "algorithm"):
        if key in record:
            changes["osm_algorithm" if key == "algorithm" else key] = record[key]
    if provider == "haversine":
        spec = "haversine"
    elif provider in ("osm", "matrix"):
        spec = f"{provider}:{record.get('file', '')}"
    elif provider == "osrm":
        urls = record.get("urls")
        if not isinstance(urls, Mapping) or "car" not in urls:
            raise InputError(f"{source}: travel.urls must name the car server")
        changes["osrm_urls"] = {str(k): str(v) for k, v in urls.items()}
        spec = f"osrm:{urls['car']}"
    else:
        raise InputError(
            f"{source}: travel.provider {provider!r} is not haversine, osm, osrm or matrix"
        )
    try:
        plan_cfg = dataclasses.replace(cfg, provider=spec, **changes)
    except (ConfigError, TypeError, ValueError) as exc:
        raise InputError(f"{source}: the travel entry is not usable ({exc})") from None
    if provider in ("osm", "matrix") and not Path(str(record.get("file", ""))).is_file():
        raise InputError(
            f"{source}: the plan was made with {provider}:{record.get('file', '')}, which is not "
            "found from here; give --travel with the file's path"
        )
    model = travel_model(plan_cfg, progress=progress)
    recorded = str(record.get("sha256", ""))
    found = str(model.describe().get("sha256", ""))
    if recorded and found != recorded:
        model.close()
        raise InputError(
            f"{source}: the plan was made with {record.get('file')} (sha256 {recorded[:12]}...), "
            f"which has changed since (now {found[:12] or 'missing'}); give --travel to check "
            "against the file as it is now"
        )
    return model


def plan_travel_model(
    record: Mapping[str, Any] | None,
    cfg: TravelConfig,
    *,
    provider: str | None = None,
    source: str,
    progress: Progress = _quiet,
) -> TravelModel:
    """Return the model to check or re-time a plan with.

    The one the plan was made with (its ``summary.json`` ``travel`` block,
    see :func:`model_from_record`) unless ``provider`` names another; ``cfg``
    (with ``provider`` applied) when the plan records none.

    Raises
    ------
    InputError
        The recorded model is not usable, or its data file is missing or changed.
    """
    if provider is None and record is not None:
        return model_from_record(record, cfg, source=source, progress=progress)
    return travel_model(cfg, provider=provider, progress=progress)


__all__ = [
    "FallbackModel",
    "adjustments",
    "cache_root",
    "model_from_record",
    "plan_travel_model",
    "travel_model",
]
