"""Geocode accounts that have an address but no coordinates.

The stage :func:`geocode_missing` takes the geocoder as a parameter, so it
never reaches the network on its own: pass ``None`` to switch geocoding off or
any ``GeocodeFn`` (tests use a local stand-in). :func:`make_geocoder` builds
the real one from :class:`~routeplan.config.GeocodeConfig`: geopy's Nominatim
behind geopy's ``RateLimiter``. :class:`GeocodeCache` remembers every answer
(found or definitely not found) in SQLite so that an address is looked up once
ever; errors are never cached, so a later run retries them.

:func:`geocode_accounts` wires the three together from the configuration.

Example::

    geocode = make_geocoder(cfg.geocode)
    with GeocodeCache(cfg.geocode.cache_path) as cache:
        accounts, problems = geocode_missing(
            accounts, geocode, cache, file="accounts.csv", row_numbers=rows,
            region_hint=cfg.geocode.region_hint,
        )
"""

from __future__ import annotations

import enum
import math
import re
import socket
import sqlite3
import unicodedata
import urllib.error
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal

import numpy as np
import pandas as pd

from routeplan import schema
from routeplan.config import GeocodeConfig
from routeplan.errors import ConfigError, RouteplanError, RowProblem

#: Turn a query into ``(lat, lon)`` in WGS84 degrees, or ``None`` when the
#: service definitely knows no such place. Raises :class:`GeocodeUnavailable`
#: when the service cannot be reached or fails, :class:`GeocodeBadAnswer` when
#: it answers this query with something that is not a position.
GeocodeFn = Callable[[str], tuple[float, float] | None]

#: Lookups between two progress messages.
PROGRESS_EVERY: Final = 25

REASON_OFF: Final = "no coordinates and geocoding is off"
REASON_NO_ADDRESS: Final = "no coordinates and no address to geocode"


class GeocodeUnavailable(RouteplanError):
    """The geocoding service cannot be reached or failed (network, timeout, HTTP error)."""


class GeocodeBadAnswer(RouteplanError):
    """The service answered one query, but not with a usable position."""


class GeocodeCacheError(RouteplanError):
    """The geocode cache file cannot be opened, read or written."""


class _Missing(enum.Enum):
    MISSING = "MISSING"


#: Returned by :meth:`GeocodeCache.get` for an address never looked up
#: (``None`` means "looked up, not found").
MISSING: Final = _Missing.MISSING

CacheEntry = tuple[float, float] | None | Literal[_Missing.MISSING]


# --- queries --------------------------------------------------------------------


def normalise_address(text: str) -> str:
    """Return ``text`` in the form used for lookups and cache keys.

    Unicode NFKC (full-width digits and commas become ASCII), runs of
    whitespace collapsed to one space, ends stripped. Case is kept: it can
    matter to a geocoder and the cache stays exact.
    """
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def build_query(address: str, region_hint: str = "") -> str:
    """Return the normalised address with the parts of ``region_hint`` it lacks.

    The hint is split on commas; each part not already contained in the
    address (ignoring case) is appended, so ``"深圳市南山区科技园路1号"`` with
    the hint ``"深圳市, 中国"`` becomes ``"深圳市南山区科技园路1号, 中国"``.
    """
    query = normalise_address(address)
    folded = query.casefold()
    parts = [p.strip() for p in normalise_address(region_hint).split(",")]
    extra = [p for p in parts if p and p.casefold() not in folded]
    if not query:
        return query
    return ", ".join([query, *extra])


def _valid_point(result: object) -> tuple[float, float] | None:
    """Return ``result`` as ``(lat, lon)`` floats if it is a valid WGS84 point."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        return None
    try:
        lat, lon = float(result[0]), float(result[1])
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    return lat, lon


# --- cache ----------------------------------------------------------------------

_SCHEMA_VERSION: Final = 1


class GeocodeCache:
    """Persistent SQLite cache of geocoding answers, keyed by normalised query.

    Use as a context manager (or call :meth:`close`). The file is opened (and
    created with its folder) on the first :meth:`get` or :meth:`put`, so a
    run without lookups leaves nothing behind. Each :meth:`put` is committed
    at once, so an interrupted run keeps what it learnt.

    Parameters
    ----------
    path
        SQLite file (created with its folder if missing), or ``":memory:"``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: sqlite3.Connection | None = None

    @property
    def _db(self) -> sqlite3.Connection:
        """Open the database on first use, so a run that needs no lookups leaves no file."""
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path)
        except (OSError, sqlite3.Error) as exc:
            raise GeocodeCacheError(f"{self.path}: cannot open geocode cache: {exc}") from exc
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, _SCHEMA_VERSION):
                raise GeocodeCacheError(
                    f"{self.path}: geocode cache has schema version {version}, "
                    f"this routeplan reads version {_SCHEMA_VERSION}; delete the file"
                )
            db.execute(
                "CREATE TABLE IF NOT EXISTS geocode ("
                " query TEXT PRIMARY KEY,"
                " found INTEGER NOT NULL,"
                " lat REAL,"
                " lon REAL,"
                " stored_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )
            db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
            db.commit()
        except sqlite3.Error as exc:
            db.close()
            raise GeocodeCacheError(f"{self.path}: not a usable geocode cache: {exc}") from exc
        except GeocodeCacheError:
            db.close()
            raise
        return db

    def get(self, address: str) -> CacheEntry:
        """Return the cached point, ``None`` if cached as not found, else ``MISSING``."""
        try:
            row = self._db.execute(
                "SELECT found, lat, lon FROM geocode WHERE query = ?",
                (normalise_address(address),),
            ).fetchone()
        except sqlite3.Error as exc:
            raise GeocodeCacheError(f"{self.path}: cannot read geocode cache: {exc}") from exc
        if row is None:
            return MISSING
        found, lat, lon = row
        if not found:
            return None
        point = _valid_point((lat, lon))
        # A damaged entry is treated as never looked up rather than trusted.
        return MISSING if point is None else point

    def put(self, address: str, result: tuple[float, float] | None) -> None:
        """Store a found point or, with ``None``, a definite "not found"."""
        point = None if result is None else _valid_point(result)
        if result is not None and point is None:
            raise ValueError(f"not a valid (lat, lon) point: {result!r}")
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO geocode (query, found, lat, lon) VALUES (?, ?, ?, ?)",
                (
                    normalise_address(address),
                    int(point is not None),
                    None if point is None else point[0],
                    None if point is None else point[1],
                ),
            )
            self._db.commit()
        except sqlite3.Error as exc:
            raise GeocodeCacheError(f"{self.path}: cannot write geocode cache: {exc}") from exc

    def __len__(self) -> int:
        """Return the number of cached queries."""
        return int(self._db.execute("SELECT COUNT(*) FROM geocode").fetchone()[0])

    def close(self) -> None:
        """Close the database (if it was opened)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> GeocodeCache:
        """Return the cache itself; it is closed when the block ends."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the cache's connection."""
        self.close()


# --- the real geocoder ----------------------------------------------------------


def make_geocoder(cfg: GeocodeConfig) -> NominatimGeocoder | None:
    """Return a rate-limited Nominatim geocoder, or ``None`` when provider is ``none``.

    Requests go to ``cfg.scheme://cfg.domain/search`` with ``cfg.user_agent``,
    at most one per ``cfg.min_delay_s`` seconds, each waiting up to
    ``cfg.timeout_s`` seconds (0 = no timeout). Failures are not retried: the
    caller stops using a service that failed once (see :func:`geocode_missing`).
    The geocoder adds ``cfg.region_hint`` to each query (see :func:`build_query`).
    """
    if cfg.provider == "none":
        return None
    return NominatimGeocoder(cfg)


class NominatimGeocoder:
    """A ``GeocodeFn`` backed by geopy's Nominatim behind geopy's ``RateLimiter``.

    ``region_hint`` is public so that :func:`geocode_missing` keys its cache
    on the query actually sent.
    """

    def __init__(self, cfg: GeocodeConfig) -> None:
        from geopy.adapters import RequestsAdapter, URLLibAdapter
        from geopy.exc import ConfigurationError, GeocoderQueryError, GeocoderServiceError
        from geopy.extra.rate_limiter import RateLimiter
        from geopy.geocoders import Nominatim

        def adapter(*, proxies: Any, ssl_context: Any) -> Any:
            # geopy's requests adapter retries twice by default: three timeouts
            # before the first failure is seen. One attempt is enough to decide.
            if RequestsAdapter.is_available:
                return RequestsAdapter(proxies=proxies, ssl_context=ssl_context, max_retries=0)
            return URLLibAdapter(proxies=proxies, ssl_context=ssl_context)

        try:
            nominatim = Nominatim(
                user_agent=cfg.user_agent,
                domain=cfg.domain,
                scheme=cfg.scheme,
                timeout=cfg.timeout_s if cfg.timeout_s > 0 else None,
                adapter_factory=adapter,
            )
        except ConfigurationError as exc:
            raise ConfigError(f"geocode: {exc}") from exc
        self.region_hint = cfg.region_hint
        self.where = f"{cfg.scheme}://{cfg.domain}"
        self._timeout_s = cfg.timeout_s
        self._limited = RateLimiter(
            nominatim.geocode,
            min_delay_seconds=cfg.min_delay_s,
            max_retries=0,
            error_wait_seconds=cfg.min_delay_s,
            swallow_exceptions=False,
        )
        # GeocoderUnavailable and GeocoderTimedOut are GeocoderServiceError
        # subclasses; URLError and socket timeouts are OSErrors (some adapters).
        self._unreachable = (GeocoderServiceError, urllib.error.URLError, socket.timeout, OSError)
        # HTTP 400: this query was refused, the service itself is fine.
        self._refused = GeocoderQueryError

    def __call__(self, query: str) -> tuple[float, float] | None:
        """Return ``(lat, lon)`` for ``query`` or ``None`` when Nominatim finds nothing."""
        query = build_query(query, self.region_hint)
        try:
            with warnings.catch_warnings():
                # geopy warns before refusing a latitude beyond the poles; the
                # refusal itself is reported as a bad answer below.
                warnings.simplefilter("ignore", UserWarning)
                location = self._limited(query, exactly_one=True)
        except self._refused as exc:
            raise GeocodeBadAnswer(f"query refused ({_describe(exc, self._timeout_s)})") from exc
        except self._unreachable as exc:
            raise GeocodeUnavailable(f"{self.where}: {_describe(exc, self._timeout_s)}") from exc
        except (ValueError, TypeError) as exc:
            raise GeocodeBadAnswer(f"invalid position ({exc})") from exc
        if location is None:
            return None
        # The raw answer, not geopy's Point: Point wraps longitudes into
        # [-180, 180], which would hide a broken answer instead of refusing it.
        raw = getattr(location, "raw", None)
        try:
            return float(raw["lat"]), float(raw["lon"])  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            return float(location.latitude), float(location.longitude)


def _describe(exc: BaseException, timeout_s: float) -> str:
    """Return a short cause for a failed request (no URLs, no tracebacks)."""
    if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
        return f"no answer within {timeout_s:g} s"
    text = str(exc)
    errno = re.search(r"\[Errno -?\d+\][^)'\"\]]*", text)
    if errno:
        return errno.group(0).strip().rstrip(".,;:")
    status = re.search(r"\b(?:HTTP|status)[^0-9]{0,20}([1-5]\d\d)\b", text)
    if status:
        return f"HTTP {status.group(1)} ({type(exc).__name__})"
    text = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {text[:120]}" if text else type(exc).__name__


# --- the stage ------------------------------------------------------------------


def geocode_missing(
    accounts: pd.DataFrame,
    geocode: GeocodeFn | None,
    cache: GeocodeCache | None,
    *,
    file: str,
    row_numbers: Sequence[int],
    progress: Callable[[str], None] | None = None,
    region_hint: str = "",
    progress_every: int = PROGRESS_EVERY,
) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Fill missing ``lat``/``lon`` from ``address`` and reject rows that stay unplaced.

    A row needs geocoding when ``lat`` or ``lon`` is missing (NaN, empty or
    absent column). Its query is the normalised address plus the parts of
    ``region_hint`` it lacks (:func:`build_query`). The cache is asked first;
    then ``geocode``; each answer (found or not found) is cached, errors are
    not. Several rows with the same address cost one lookup. When the service
    is unreachable the remaining rows are not sent to it: they are rejected
    with the same reason (cached answers are still used).

    Parameters
    ----------
    accounts
        The accounts; the input is not modified.
    geocode
        The geocoder, or ``None`` when geocoding is off.
    cache
        Where answers are remembered, or ``None``.
    file
        Name of the accounts file, for the problems.
    row_numbers
        ``row_numbers[i]`` is the 1-based spreadsheet row of
        ``accounts.iloc[i]`` (header = row 1).
    progress
        Called with a one-line message every ``progress_every`` lookups and
        once at the end.
    region_hint
        Appended to queries that lack it, e.g. ``"深圳市, 中国"``; by default
        the geocoder's own ``region_hint`` attribute if it has one (as
        :class:`NominatimGeocoder` does), so cache keys match what is sent.

    Returns
    -------
    accounts, problems
        The accounts with ``lat``/``lon`` as float columns and the unplaced
        rows removed (the index is kept, so rows can be traced back), and one
        ``RowProblem(file, row, "lat", reason)`` per removed row.
    """
    if not region_hint:
        region_hint = str(getattr(geocode, "region_hint", "") or "")
    if len(row_numbers) != len(accounts):
        raise ValueError(f"row_numbers has {len(row_numbers)} entries for {len(accounts)} accounts")
    out = accounts.copy()
    lat = _float_column(out, schema.LAT)
    lon = _float_column(out, schema.LON)
    need = np.flatnonzero(np.isnan(lat) | np.isnan(lon))
    keep = np.ones(len(out), dtype=bool)
    problems: list[RowProblem] = []
    addresses = (
        out[schema.ADDRESS].to_numpy(dtype=object)
        if schema.ADDRESS in out.columns
        else np.full(len(out), None, dtype=object)
    )

    # query -> point, or the reason the query cannot be placed
    answers: dict[str, tuple[float, float] | str] = {}
    down: str | None = None
    lookups = from_cache = 0

    ids = (
        out[schema.ACCOUNT_ID].to_numpy(dtype=object)
        if schema.ACCOUNT_ID in out.columns
        else np.full(len(out), "", dtype=object)
    )

    def reject(pos: int, reason: str) -> None:
        keep[pos] = False
        record_id = ids[pos] if isinstance(ids[pos], str) else ""
        problems.append(RowProblem(file, int(row_numbers[pos]), schema.LAT, reason, record_id))

    for pos in need.tolist():
        raw = addresses[pos]
        if geocode is None:
            reject(pos, REASON_OFF)
            continue
        query = build_query(_text(raw), region_hint)
        if not query:
            reject(pos, REASON_NO_ADDRESS)
            continue
        if query not in answers:
            cached = cache.get(query) if cache is not None else MISSING
            if cached is not MISSING:
                from_cache += 1
                answers[query] = _answer(query, cached)
            elif down is not None:
                reject(pos, down)
                continue
            else:
                lookups += 1
                try:
                    looked_up = _lookup(geocode, query)
                except GeocodeUnavailable as exc:
                    down = f"geocoding service unreachable ({exc})"
                    reject(pos, down)
                    continue
                finally:
                    if progress is not None and lookups % progress_every == 0:
                        progress(f"{file}: geocoded {lookups} addresses ({from_cache} cached)")
                if cache is not None and not isinstance(looked_up, str):
                    cache.put(query, looked_up)
                answers[query] = _answer(query, looked_up)
        answer = answers[query]
        if isinstance(answer, str):
            reject(pos, answer)
        else:
            lat[pos], lon[pos] = answer
    out[schema.LAT] = lat
    out[schema.LON] = lon
    if progress is not None and len(need):
        placed = int(keep[need].sum())
        progress(
            f"{file}: {placed} of {len(need)} accounts without coordinates placed "
            f"({lookups} looked up, {from_cache} from cache, {len(problems)} rejected)"
        )
    return out[keep], problems


def geocode_accounts(
    accounts: pd.DataFrame,
    cfg: GeocodeConfig,
    *,
    file: str,
    row_numbers: Sequence[int],
    progress: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, list[RowProblem]]:
    """Run :func:`geocode_missing` with the geocoder, cache and hint from ``cfg``.

    The cache file is only created when a lookup is actually needed.
    """
    geocode = make_geocoder(cfg)
    with GeocodeCache(cfg.cache_path) as cache:
        return geocode_missing(
            accounts,
            geocode,
            cache if geocode is not None else None,
            file=file,
            row_numbers=row_numbers,
            progress=progress,
            region_hint=cfg.region_hint,
        )


def _lookup(geocode: GeocodeFn, query: str) -> tuple[float, float] | str | None:
    """Ask the geocoder once: a valid point, ``None`` (not found) or why the answer is bad.

    :class:`GeocodeUnavailable` propagates: the caller stops asking.
    """
    try:
        result = geocode(query)
    except GeocodeBadAnswer as exc:
        return f"geocoder gave no usable answer for {query!r}: {exc}"
    if result is None:
        return None
    point = _valid_point(result)
    if point is None:
        return f"geocoder gave no usable answer for {query!r}: invalid position {result!r}"
    return point


def _answer(query: str, answer: tuple[float, float] | str | None) -> tuple[float, float] | str:
    """Return the point, or the rejection reason (for not found or a bad answer)."""
    if answer is None:
        return f"address not found by geocoder: {query!r}"
    return answer


def _text(value: object) -> str:
    """Return a cell as text, empty for missing values."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return str(value)


def _float_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Return ``frame[column]`` as a float array (NaN for empty or missing values)."""
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    values: np.ndarray = pd.to_numeric(frame[column], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    values = values.copy()
    values[~np.isfinite(values)] = np.nan
    return values
