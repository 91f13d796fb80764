"""Road times from a local OpenStreetMap extract (``--travel osm:city.osm.pbf``), no set-up.

routeplan prepares the extract with OSRM's own tools, once per file content,
profile, algorithm and OSRM version, into the cache folder
(:func:`~routeplan.travel.osrm_engine.prepare_extract`), then answers tables
from a private ``osrm-routed`` on 127.0.0.1 that it starts on first use and
stops when the model is closed. Only the profiles the day's agents use are
prepared (car for car and motorbike agents, bicycle, foot).

The executables come from the ``osrm-bindings`` wheel (see
:func:`~routeplan.travel.osrm_engine.find_osrm`). Its in-process Python
module is not used even where it is importable (Python >= 3.12): the private
server gives the same answers from the same engine, works on every Python
routeplan supports, and is what the tests exercise.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from routeplan.errors import InputError
from routeplan.travel.base import Adjustments
from routeplan.travel.osrm_engine import (
    OsrmServer,
    OsrmTools,
    file_sha256,
    find_osrm,
    prepare_extract,
)
from routeplan.travel.osrm_http import OsrmModel, ServiceSettings
from routeplan.travel.road import Progress, _quiet

#: the private server's --max-table-size, and the block routeplan asks it for: OSRM's cost
#: grows with the places of a request (one search each) far more than with its pairs, so
#: a day of up to this many places is one request (split in blocks it would cost more)
EMBEDDED_BLOCK = 4000
#: ``algorithm = "auto"``: contraction hierarchies answer tables 2-4 times faster than MLD,
#: but contracting a dense walking or cycling network takes far longer (Helsinki extract:
#: foot 25 s with CH, 0.8 s with MLD; car 1.9 s and 1.3 s)
AUTO_ALGORITHM = {"car": "ch", "bicycle": "mld", "foot": "mld"}


class OsmModel(OsrmModel):
    """Road times from a local ``.osm.pbf``, prepared and served by routeplan itself.

    Parameters
    ----------
    pbf
        The OpenStreetMap extract.
    cache_root
        Where prepared extracts and matrices are kept.
    osrm_bin
        ``[travel] osrm_bin`` (empty: look in the usual places).
    algorithm
        ``ch``, ``mld`` or ``auto`` (:data:`AUTO_ALGORITHM`).
    service, adjustments, max_snap_m, progress
        As for :class:`~routeplan.travel.osrm_http.OsrmModel`.
    """

    provider = "osm"

    def __init__(
        self,
        pbf: Path,
        *,
        cache_root: Path,
        osrm_bin: str = "",
        algorithm: str = "auto",
        service: ServiceSettings | None = None,
        adjustments: Adjustments | None = None,
        max_snap_m: float = 500.0,
        progress: Progress = _quiet,
    ) -> None:
        if not pbf.is_file():
            raise InputError(f"{pbf}: OpenStreetMap extract not found")
        super().__init__(
            {},
            service=dataclasses.replace(service or ServiceSettings(), block=EMBEDDED_BLOCK),
            adjustments=adjustments,
            max_snap_m=max_snap_m,
            cache_root=cache_root,
            progress=progress,
        )
        self.pbf = pbf
        self.algorithm = algorithm
        self.sha256 = file_sha256(pbf)
        self._osrm_bin = osrm_bin
        self._tools: OsrmTools | None = None
        self._servers: dict[str, OsrmServer] = {}

    @property
    def tools(self) -> OsrmTools:
        """Return the OSRM executables (found on first use)."""
        if self._tools is None:
            self._tools = find_osrm(self._osrm_bin)
        return self._tools

    def algorithm_for(self, engine_profile: str) -> str:
        """Return the OSRM algorithm (``ch`` or ``mld``) a profile is prepared and served with."""
        if self.algorithm == "auto":
            return AUTO_ALGORITHM.get(engine_profile, "mld")
        return self.algorithm

    def prepare(self, engine_profile: str) -> Path:
        """Return the prepared ``.osrm`` base for a profile, preparing it when needed."""
        assert self.cache_root is not None
        return prepare_extract(
            self.pbf,
            engine_profile,
            tools=self.tools,
            cache_root=self.cache_root,
            algorithm=self.algorithm_for(engine_profile),
            sha256=self.sha256,
            progress=self.progress,
        )

    def _url(self, engine_profile: str) -> str:
        if engine_profile not in self._servers:
            base = self.prepare(engine_profile)
            server = OsrmServer(
                base,
                tools=self.tools,
                algorithm=self.algorithm_for(engine_profile),
                max_table_size=EMBEDDED_BLOCK,
            ).start()
            self._servers[engine_profile] = server
            self.urls[engine_profile] = server.url
        return self._servers[engine_profile].url

    def _cache_key(self, engine_profile: str) -> tuple[str, ...] | None:
        algorithm = self.algorithm_for(engine_profile)
        return ("osm", self.sha256, engine_profile, algorithm, self.tools.version)

    def _describe(self) -> dict[str, Any]:
        return {
            "file": str(self.pbf),
            "sha256": self.sha256,
            "osrm_version": self._tools.version if self._tools else "",
            "algorithm": self.algorithm,
        }

    def close(self) -> None:
        """Stop the private servers."""
        for server in self._servers.values():
            server.stop()
        self._servers.clear()
        self._clients.clear()
        self.urls.clear()


__all__ = ["EMBEDDED_BLOCK", "OsmModel"]
