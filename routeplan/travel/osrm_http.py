"""Road times from an OSRM server (``--travel osrm:http://host:5000``).

:class:`OsrmClient` talks to one ``osrm-routed``: its ``table`` service in
blocks (``sources x destinations <= table_block**2``, the server's
``--max-table-size`` rule), a few requests in flight at once, each with a
timeout and retried with backoff after a transient failure (connection
refused, HTTP 5xx or 429, a timeout, a malformed answer). A ``null`` cell is
a pair with no route. :class:`OsrmModel` is the travel model on top: one
server per OSRM profile (``[travel] osrm_urls``; the ``--travel`` URL serves
``car`` and therefore ``motorbike``).
"""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from routeplan.travel.base import Adjustments, RawTable, TravelError, TravelUnavailable
from routeplan.travel.road import Progress, RoadModel, _quiet

#: the most points one ``route`` request carries (osrm-routed's --max-viaroute-size is 500)
ROUTE_CHUNK = 100
#: seconds before the first retry; doubled each time
BACKOFF_S = 0.5


class OsrmClient:
    """One OSRM server's ``table``, ``route`` and ``nearest`` services over HTTP.

    Parameters
    ----------
    url
        The server, e.g. ``http://127.0.0.1:5000`` (a path prefix is kept).
    timeout_s
        Seconds one request may wait for the server.
    retries
        Further attempts after a transient failure.
    block
        Largest table block: sources x destinations <= ``block**2`` per request.
    workers
        Requests in flight at once.
    name
        How messages name the server (default: ``osrm:URL``).
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 60.0,
        retries: int = 2,
        block: int = 100,
        workers: int = 2,
        name: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.retries = retries
        self.block = block
        self.workers = workers
        self.name = name or f"osrm:{self.url}"
        self.requests = 0

    # --- services -------------------------------------------------------------------------

    def table(
        self,
        lat: NDArray[np.float64],
        lon: NDArray[np.float64],
        src: NDArray[np.int64],
        dst: NDArray[np.int64],
    ) -> RawTable:
        """Return durations, distances and snapping from points ``src`` to points ``dst``.

        ``src`` and ``dst`` index ``lat``/``lon``; the table is requested in
        blocks of at most ``block x block`` pairs, ``workers`` at a time.
        """
        s, d = len(src), len(dst)
        dur = np.zeros((s, d), dtype=np.float64)
        dist = np.zeros((s, d), dtype=np.float64)
        routed = np.zeros((s, d), dtype=bool)
        src_snap = np.zeros(s, dtype=np.float64)
        dst_snap = np.zeros(d, dtype=np.float64)
        if s == 0 or d == 0:
            return RawTable.of(dur, dist, routed, src_snap, dst_snap)
        blocks = [
            (i, j)
            for i in range(0, s, self.block)
            for j in range(0, d, self.block)
        ]  # fmt: skip

        def one(block: tuple[int, int]) -> None:
            i, j = block
            rows, cols = src[i : i + self.block], dst[j : j + self.block]
            part = self._table_block(lat, lon, rows, cols)
            dur[i : i + len(rows), j : j + len(cols)] = part[0]
            dist[i : i + len(rows), j : j + len(cols)] = part[1]
            routed[i : i + len(rows), j : j + len(cols)] = part[2]
            src_snap[i : i + len(rows)] = part[3]
            dst_snap[j : j + len(cols)] = part[4]

        if len(blocks) == 1 or self.workers == 1:
            for b in blocks:
                one(b)
        else:
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                for _ in pool.map(one, blocks):
                    pass
        return RawTable.of(dur, dist, routed, src_snap, dst_snap)

    def route(
        self, lat: NDArray[np.float64], lon: NDArray[np.float64]
    ) -> list[tuple[float, float]] | None:
        """Return the road path through the points in order as ``(lat, lon)``; None if none."""
        path: list[tuple[float, float]] = []
        for start in range(0, max(len(lat) - 1, 1), ROUTE_CHUNK - 1):
            part = slice(start, start + ROUTE_CHUNK)
            coords = _coords(lat[part], lon[part], np.arange(len(lat[part])))
            answer = self._get(
                f"/route/v1/driving/{coords}?overview=full&geometries=geojson",
                allow=frozenset({"NoRoute"}),
            )
            if answer.get("code") == "NoRoute":
                return None
            try:
                line = answer["routes"][0]["geometry"]["coordinates"]
                points = [(float(y), float(x)) for x, y in line]
            except (KeyError, IndexError, TypeError, ValueError):
                raise TravelUnavailable(f"{self.name}: malformed route answer") from None
            path.extend(points if not path else points[1:])
        return path

    def nearest(self, lat: float, lon: float) -> tuple[float, float, float]:
        """Return the road point nearest to ``(lat, lon)`` and its distance in metres."""
        answer = self._get(f"/nearest/v1/driving/{lon:.6f},{lat:.6f}?number=1")
        try:
            wp = answer["waypoints"][0]
            x, y = wp["location"]
            return float(y), float(x), float(wp["distance"])
        except (KeyError, IndexError, TypeError, ValueError):
            raise TravelUnavailable(f"{self.name}: malformed nearest answer") from None

    # --- one request ----------------------------------------------------------------------

    def _table_block(
        self,
        lat: NDArray[np.float64],
        lon: NDArray[np.float64],
        rows: NDArray[np.int64],
        cols: NDArray[np.int64],
    ) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
        # OSRM needs two coordinates: a lone place is sent as source and destination
        same = len(rows) == len(cols) > 1 and bool((rows == cols).all())
        if same:
            coords = _coords(lat, lon, rows)
            query = ""
        else:
            coords = _coords(lat, lon, np.concatenate([rows, cols]))
            query = "&sources={}&destinations={}".format(
                ";".join(map(str, range(len(rows)))),
                ";".join(map(str, range(len(rows), len(rows) + len(cols)))),
            )
        answer = self._get(f"/table/v1/driving/{coords}?annotations=duration,distance{query}")
        return _parse_table(answer, len(rows), len(cols), self.name)

    def _get(self, path: str, *, allow: frozenset[str] = frozenset()) -> dict[str, Any]:
        """Return the JSON answer to ``GET url+path``, retrying transient failures."""
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(BACKOFF_S * 2 ** (attempt - 1))
            self.requests += 1
            try:
                req = urllib.request.Request(self.url + path, headers={"User-Agent": "routeplan"})
                with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                    body = resp.read()
            except urllib.error.HTTPError as exc:
                answer = _json_or_none(exc.read())
                code = str(answer.get("code", "")) if isinstance(answer, dict) else ""
                if code in allow and isinstance(answer, dict):
                    return answer
                message = str(answer.get("message", "")) if isinstance(answer, dict) else ""
                last = " ".join(filter(None, (f"HTTP {exc.code}", code)))
                last += f": {message}" if message else ""
                if exc.code < 500 and exc.code != 429:
                    raise TravelError(
                        f"{self.name}: the server refused the request ({last})"
                    ) from None
                continue
            except TimeoutError:
                last = f"no answer within timeout_s {self.timeout_s:g} s"
                continue
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, TimeoutError):
                    last = f"no answer within timeout_s {self.timeout_s:g} s"
                else:
                    last = f"cannot connect ({getattr(reason, 'strerror', None) or reason})"
                continue
            except (ConnectionError, OSError) as exc:
                last = f"connection failed ({exc.strerror or exc})"
                continue
            answer = _json_or_none(body)
            if not isinstance(answer, dict):
                last = "the answer is not JSON"
                continue
            code = str(answer.get("code", ""))
            if code == "Ok" or code in allow:
                return answer
            raise TravelError(
                f"{self.name}: the server answered {code}: {answer.get('message', '')}".rstrip(": ")
            )
        attempts = self.retries + 1
        raise TravelUnavailable(
            f"{self.name}: request failed after {attempts} attempt{'s' if attempts > 1 else ''}: "
            f"{last}"
        )


def _coords(lat: NDArray[np.float64], lon: NDArray[np.float64], idx: NDArray[np.int64]) -> str:
    return ";".join(f"{lon[i]:.5f},{lat[i]:.5f}" for i in idx)


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _parse_table(
    answer: dict[str, Any], rows: int, cols: int, name: str
) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]:
    """Return durations, distances, routed mask and snapping distances of a table answer."""
    try:
        dur = np.array(answer["durations"], dtype=np.float64)
        dist = np.array(answer["distances"], dtype=np.float64)
        src_snap = np.array([w.get("distance", 0.0) for w in answer["sources"]], dtype=np.float64)
        dst_snap = np.array(
            [w.get("distance", 0.0) for w in answer["destinations"]], dtype=np.float64
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise TravelUnavailable(f"{name}: malformed table answer") from None
    if dur.shape != (rows, cols) or dist.shape != (rows, cols):
        raise TravelUnavailable(
            f"{name}: malformed table answer ({dur.shape} for a {rows} x {cols} request)"
        )
    if src_snap.shape != (rows,) or dst_snap.shape != (cols,):
        raise TravelUnavailable(f"{name}: malformed table answer (sources/destinations)")
    routed = np.isfinite(dur) & np.isfinite(dist)
    return dur, dist, routed, np.nan_to_num(src_snap), np.nan_to_num(dst_snap)


@dataclass(frozen=True)
class ServiceSettings:
    """How requests to a routing server are made (``[travel]`` settings of the same names).

    ``block`` is ``table_block``: the largest table requested at once
    (sources x destinations <= block^2); see :class:`OsrmClient`.
    """

    #: seconds one request may take
    timeout_s: float = 60.0
    #: further attempts after a failed request
    retries: int = 2
    #: largest table block requested
    block: int = 100
    #: requests in flight at once
    workers: int = 2


class OsrmModel(RoadModel):
    """Road times from OSRM servers, one per OSRM profile.

    Parameters
    ----------
    urls
        ``{"car": URL, "bicycle": URL, "foot": URL}`` (any subset); an agent
        whose mode needs a profile without a URL is refused in one line.
    service
        Timeout, retries, table block and workers of the requests
        (:class:`ServiceSettings`; its defaults when None).
    adjustments, max_snap_m, cache_root, progress
        See :class:`~routeplan.travel.road.RoadModel`.
    """

    provider = "osrm"

    def __init__(
        self,
        urls: dict[str, str],
        *,
        service: ServiceSettings | None = None,
        adjustments: Adjustments | None = None,
        max_snap_m: float = 500.0,
        cache_root: Path | None = None,
        progress: Progress = _quiet,
    ) -> None:
        super().__init__(
            adjustments=adjustments,
            max_snap_m=max_snap_m,
            cache_root=cache_root,
            progress=progress,
        )
        self.urls = dict(urls)
        self._client_args: dict[str, Any] = dataclasses.asdict(service or ServiceSettings())
        self._clients: dict[str, OsrmClient] = {}

    def client(self, engine_profile: str) -> OsrmClient:
        """Return the client of the server for ``engine_profile`` (car, bicycle, foot)."""
        if engine_profile not in self._clients:
            url = self._url(engine_profile)
            self._clients[engine_profile] = OsrmClient(url, **self._client_args)
        return self._clients[engine_profile]

    @property
    def requests(self) -> int:
        """Return the HTTP requests made so far (all servers)."""
        return sum(c.requests for c in self._clients.values())

    def _url(self, engine_profile: str) -> str:
        if engine_profile not in self.urls:
            raise TravelError(
                f"osrm: no server for the {engine_profile} profile; set [travel] osrm_urls."
                f"{engine_profile} (agents with that travel_mode need it)"
            )
        return self.urls[engine_profile]

    def _table(
        self, engine_profile: str, lat: NDArray[np.float64], lon: NDArray[np.float64],
        src: NDArray[np.int64], dst: NDArray[np.int64],
    ) -> RawTable:  # fmt: skip
        return self.client(engine_profile).table(lat, lon, src, dst)

    def _route(
        self, engine_profile: str, lat: NDArray[np.float64], lon: NDArray[np.float64]
    ) -> list[tuple[float, float]] | None:
        return self.client(engine_profile).route(lat, lon)

    def _cache_key(self, engine_profile: str) -> tuple[str, ...] | None:
        return ("osrm", self._url(engine_profile), engine_profile)

    def _describe(self) -> dict[str, Any]:
        return {"urls": dict(self.urls)}


__all__ = ["OsrmClient", "OsrmModel", "ServiceSettings"]
