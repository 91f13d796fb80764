"""Geocoding of accounts without coordinates, through a local Nominatim stand-in.

Every request goes to an ``http.server`` on 127.0.0.1 that imitates
Nominatim's ``/search?q=...&format=json``; a guard fails any test that tries
to connect anywhere else.
"""

from __future__ import annotations

import json
import math
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from routeplan.config import GeocodeConfig
from routeplan.errors import RowProblem
from routeplan.io.geocode import (
    MISSING,
    REASON_NO_ADDRESS,
    REASON_OFF,
    GeocodeCache,
    GeocodeCacheError,
    GeocodeFn,
    build_query,
    geocode_accounts,
    geocode_missing,
    make_geocoder,
    normalise_address,
)

FUTIAN = "深圳市福田区福华路100号阳光小区1栋101室"
NANSHAN = "深圳市南山区科苑路200号星河花园2栋202室"
NOWHERE = "深圳市不存在区无名路1号"


class FakeNominatim(ThreadingHTTPServer):
    """A Nominatim stand-in: answers known queries, records every request."""

    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that hung up (the timeout test does that on purpose)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.places: dict[str, list[dict[str, str]]] = {}
        self.queries: list[str] = []
        self.status = 200
        self.delay_s = 0.0

    @property
    def domain(self) -> str:
        """Host and port to put in ``GeocodeConfig.domain``."""
        return f"127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeNominatim

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qs(url.query)
        query = params.get("q", [""])[0]
        self.server.queries.append(query)
        if self.server.delay_s:
            time.sleep(self.server.delay_s)
        if url.path != "/search" or params.get("format") != ["json"]:
            self.send_error(404)
            return
        if self.server.status != 200:
            self.send_error(self.server.status)
            return
        body = json.dumps(self.server.places.get(query, [])).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


def _place(lat: str, lon: str) -> list[dict[str, str]]:
    return [{"lat": lat, "lon": lon, "display_name": "somewhere"}]


@pytest.fixture(autouse=True)
def _no_real_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Refuse connections to anything but loopback, and ignore proxy settings."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in (
            "127.0.0.1",
            "::1",
            "localhost",
        ):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def server() -> Iterator[FakeNominatim]:
    """A running stand-in, stopped after the test."""
    srv = FakeNominatim()
    thread = threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def _cfg(domain: str, **kw: Any) -> GeocodeConfig:
    return GeocodeConfig(domain=domain, scheme="http", min_delay_s=0, timeout_s=5, **kw)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _accounts(*rows: tuple[str, str, float | None, float | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [r[0] for r in rows],
            "address": [r[1] for r in rows],
            "lat": [np.nan if r[2] is None else r[2] for r in rows],
            "lon": [np.nan if r[3] is None else r[3] for r in rows],
        }
    )


def _rows(frame: pd.DataFrame) -> list[int]:
    return list(range(2, len(frame) + 2))


def _counting(fn: GeocodeFn | None) -> tuple[GeocodeFn, list[str]]:
    assert fn is not None
    calls: list[str] = []

    def wrapped(query: str) -> tuple[float, float] | None:
        calls.append(query)
        return fn(query)

    return wrapped, calls


def _must_not_call(query: str) -> tuple[float, float] | None:
    raise AssertionError(f"geocoder called for {query!r}")


# --- queries --------------------------------------------------------------------


def test_normalise_address_collapses_space_and_width() -> None:
    """Whitespace runs collapse, ends are stripped, full-width digits become ASCII."""
    assert normalise_address("  深圳市  福田区\t福华路１００号 \n") == "深圳市 福田区 福华路100号"


def test_build_query_appends_only_missing_hint_parts() -> None:
    """Hint parts already in the address are not repeated; the rest are appended."""
    assert build_query(FUTIAN, "深圳市, 中国") == f"{FUTIAN}, 中国"
    assert build_query("1 Main St", "Shenzhen, China") == "1 Main St, Shenzhen, China"
    assert build_query("1 Main St, SHENZHEN", "Shenzhen") == "1 Main St, SHENZHEN"
    assert build_query(FUTIAN, "") == FUTIAN
    assert build_query("   ", "中国") == ""


# --- the stage with the real geopy geocoder against the stand-in ------------------


def test_found_address_fills_coordinates(server: FakeNominatim) -> None:
    """Missing coordinates are filled from the geocoder; present ones are untouched."""
    server.places[FUTIAN] = _place("22.54", "114.05")
    accounts = _accounts(("A1", NANSHAN, 22.53, 113.95), ("A2", FUTIAN, None, None))
    out, problems = geocode_missing(
        accounts, make_geocoder(_cfg(server.domain)), None, file="a.csv", row_numbers=[2, 3]
    )
    assert problems == []
    assert out["lat"].dtype == float and out["lon"].dtype == float
    assert list(out.loc[1, ["lat", "lon"]]) == [22.54, 114.05]
    assert list(out.loc[0, ["lat", "lon"]]) == [22.53, 113.95]
    assert server.queries == [FUTIAN]
    assert math.isnan(float(accounts["lat"].iloc[1])), "input frame must not be modified"


def test_row_with_only_one_coordinate_is_geocoded(server: FakeNominatim) -> None:
    """A row missing just ``lon`` (or holding an empty string) is geocoded too."""
    server.places[FUTIAN] = _place("22.54", "114.05")
    accounts = pd.DataFrame({"address": [FUTIAN], "lat": ["22.1"], "lon": [""]})
    out, problems = geocode_missing(
        accounts, make_geocoder(_cfg(server.domain)), None, file="a.csv", row_numbers=[2]
    )
    assert problems == []
    assert out.iloc[0][["lat", "lon"]].tolist() == [22.54, 114.05]


def test_not_found_rejects_row_with_reason(server: FakeNominatim) -> None:
    """An address the geocoder does not know is rejected and removed, naming the row."""
    server.places[FUTIAN] = _place("22.54", "114.05")
    accounts = _accounts(("A1", NOWHERE, None, None), ("A2", FUTIAN, None, None))
    out, problems = geocode_missing(
        accounts, make_geocoder(_cfg(server.domain)), None, file="a.csv", row_numbers=[7, 9]
    )
    assert problems == [
        RowProblem("a.csv", 7, "lat", f"address not found by geocoder: '{NOWHERE}'", "A1")
    ]
    assert out["account_id"].tolist() == ["A2"]
    assert out.index.tolist() == [1], "index is kept so rows can be traced back"


def test_region_hint_is_sent_and_used_as_cache_key(server: FakeNominatim, tmp_path: Path) -> None:
    """The hint goes into the query the server sees and into the cache key."""
    server.places[f"{FUTIAN}, 中国"] = _place("22.54", "114.05")
    cfg = _cfg(server.domain, region_hint="深圳市, 中国", cache_path=str(tmp_path / "c.sqlite"))
    out, problems = geocode_accounts(
        _accounts(("A1", FUTIAN, None, None)), cfg, file="a.csv", row_numbers=[2]
    )
    assert problems == [] and out.iloc[0]["lat"] == 22.54
    assert server.queries == [f"{FUTIAN}, 中国"]
    with GeocodeCache(cfg.cache_path) as cache:
        assert cache.get(f"{FUTIAN}, 中国") == (22.54, 114.05)
        assert cache.get(FUTIAN) is MISSING


def test_geocoder_hint_keys_the_cache_without_caller_help(server: FakeNominatim) -> None:
    """Without ``region_hint`` from the caller, the geocoder's own hint keys the cache."""
    server.places[f"{FUTIAN}, 中国"] = _place("22.54", "114.05")
    geocode = make_geocoder(_cfg(server.domain, region_hint="中国"))
    with GeocodeCache(":memory:") as cache:
        out, problems = geocode_missing(
            _accounts(("A1", FUTIAN, None, None)), geocode, cache, file="a.csv", row_numbers=[2]
        )
        assert problems == [] and list(out.iloc[0][["lat", "lon"]]) == [22.54, 114.05]
        assert cache.get(f"{FUTIAN}, 中国") == (22.54, 114.05)
    assert server.queries == [f"{FUTIAN}, 中国"]


def test_cache_hit_avoids_second_request(server: FakeNominatim) -> None:
    """The same address, in one run or the next, costs one request; so does not-found."""
    server.places[FUTIAN] = _place("22.54", "114.05")
    geocode = make_geocoder(_cfg(server.domain))
    accounts = _accounts(
        ("A1", FUTIAN, None, None),
        ("A2", f"  {FUTIAN} ", None, None),
        ("A3", NOWHERE, None, None),
    )
    with GeocodeCache(":memory:") as cache:
        for _ in range(2):
            out, problems = geocode_missing(
                accounts, geocode, cache, file="a.csv", row_numbers=[2, 3, 4]
            )
            assert out["account_id"].tolist() == ["A1", "A2"]
            assert [p.row for p in problems] == [4]
        assert len(cache) == 2
    assert sorted(server.queries) == sorted([FUTIAN, NOWHERE])


def test_cache_persists_across_instances(server: FakeNominatim, tmp_path: Path) -> None:
    """Answers written by one cache object are read by a new one on the same file."""
    server.places[FUTIAN] = _place("22.54", "114.05")
    path = tmp_path / "sub" / "geocode.sqlite"
    accounts = _accounts(("A1", FUTIAN, None, None), ("A2", NOWHERE, None, None))
    with GeocodeCache(path) as cache:
        geocode_missing(
            accounts, make_geocoder(_cfg(server.domain)), cache, file="a.csv", row_numbers=[2, 3]
        )
    with GeocodeCache(path) as cache:
        assert cache.get(FUTIAN) == (22.54, 114.05)
        assert cache.get(NOWHERE) is None
        assert cache.get(NANSHAN) is MISSING
        out, problems = geocode_missing(
            accounts, _must_not_call, cache, file="a.csv", row_numbers=[2, 3]
        )
    assert out.iloc[0][["lat", "lon"]].tolist() == [22.54, 114.05]
    assert [p.problem for p in problems] == [f"address not found by geocoder: '{NOWHERE}'"]
    assert len(server.queries) == 2


def test_unreachable_service_stops_after_first_failure(tmp_path: Path) -> None:
    """A closed port rejects every uncached row with one reason after a single attempt."""
    port = _closed_port()
    geocode, calls = _counting(make_geocoder(_cfg(f"127.0.0.1:{port}")))
    accounts = _accounts(
        ("A1", FUTIAN, None, None), ("A2", NANSHAN, None, None), ("A3", NOWHERE, None, None)
    )
    with GeocodeCache(tmp_path / "c.sqlite") as cache:
        started = time.monotonic()
        out, problems = geocode_missing(
            accounts, geocode, cache, file="a.csv", row_numbers=[2, 3, 4]
        )
        assert time.monotonic() - started < 4
        assert len(cache) == 0, "errors must not be cached"
    assert len(calls) == 1
    assert out.empty
    assert [p.row for p in problems] == [2, 3, 4]
    reasons = {p.problem for p in problems}
    assert len(reasons) == 1
    (reason,) = reasons
    assert reason.startswith(f"geocoding service unreachable (http://127.0.0.1:{port}: ")
    assert "refused" in reason.lower()


def test_unreachable_service_still_uses_cache(tmp_path: Path) -> None:
    """Once the service is down, cached addresses are still placed."""
    geocode, calls = _counting(make_geocoder(_cfg(f"127.0.0.1:{_closed_port()}")))
    with GeocodeCache(tmp_path / "c.sqlite") as cache:
        cache.put(NANSHAN, (22.53, 113.95))
        accounts = _accounts(("A1", FUTIAN, None, None), ("A2", NANSHAN, None, None))
        out, problems = geocode_missing(accounts, geocode, cache, file="a.csv", row_numbers=[2, 3])
    assert out["account_id"].tolist() == ["A2"]
    assert [p.row for p in problems] == [2] and len(calls) == 1


def test_server_error_counts_as_unreachable(server: FakeNominatim) -> None:
    """An HTTP 500 answer stops the lookups like a closed port, without retries."""
    server.status = 500
    accounts = _accounts(("A1", FUTIAN, None, None), ("A2", NANSHAN, None, None))
    out, problems = geocode_missing(
        accounts, make_geocoder(_cfg(server.domain)), None, file="a.csv", row_numbers=[2, 3]
    )
    assert out.empty and len(server.queries) == 1
    assert all(p.problem.startswith("geocoding service unreachable (") for p in problems)
    assert "500" in problems[0].problem


def test_refused_query_rejects_only_that_row(server: FakeNominatim) -> None:
    """An HTTP 400 (query refused) rejects that row and the lookups go on."""
    server.status = 400
    geocode, calls = _counting(make_geocoder(_cfg(server.domain)))
    accounts = _accounts(("A1", FUTIAN, None, None), ("A2", NANSHAN, None, None))
    out, problems = geocode_missing(accounts, geocode, None, file="a.csv", row_numbers=[2, 3])
    assert out.empty and len(calls) == 2
    assert problems[0].problem.startswith(f"geocoder gave no usable answer for '{FUTIAN}': ")
    assert "query refused" in problems[0].problem and "400" in problems[0].problem


def test_slow_service_times_out_as_unreachable(server: FakeNominatim) -> None:
    """A service slower than ``timeout_s`` is reported as not answering in time."""
    server.delay_s = 1.0
    cfg = GeocodeConfig(domain=server.domain, scheme="http", min_delay_s=0, timeout_s=0.2)
    out, problems = geocode_missing(
        _accounts(("A1", FUTIAN, None, None)),
        make_geocoder(cfg),
        None,
        file="a.csv",
        row_numbers=[2],
    )
    assert out.empty
    assert problems[0].problem.startswith("geocoding service unreachable (")
    assert "no answer within 0.2 s" in problems[0].problem
    assert len(server.queries) == 1, "a timed-out request must not be retried"


def test_out_of_range_result_is_rejected_and_not_cached(server: FakeNominatim) -> None:
    """A result outside valid latitude/longitude is refused and never cached."""
    server.places[FUTIAN] = _place("95.0", "114.05")
    with GeocodeCache(":memory:") as cache:
        out, problems = geocode_missing(
            _accounts(("A1", FUTIAN, None, None)),
            make_geocoder(_cfg(server.domain)),
            cache,
            file="a.csv",
            row_numbers=[2],
        )
        assert cache.get(FUTIAN) is MISSING
    assert out.empty
    assert problems[0].problem.startswith(f"geocoder gave no usable answer for '{FUTIAN}': ")
    assert "invalid position" in problems[0].problem


def test_wrapped_longitude_is_rejected_not_normalised(server: FakeNominatim) -> None:
    """A longitude beyond 180 is refused, not silently wrapped to another place."""
    server.places[FUTIAN] = _place("22.5", "474.05")
    server.places[NANSHAN] = _place("22.53", "113.95")
    accounts = _accounts(("A1", FUTIAN, None, None), ("A2", NANSHAN, None, None))
    out, problems = geocode_missing(
        accounts, make_geocoder(_cfg(server.domain)), None, file="a.csv", row_numbers=[2, 3]
    )
    assert out["account_id"].tolist() == ["A2"], "a bad answer does not stop the lookups"
    assert [p.row for p in problems] == [2] and "474.05" in problems[0].problem


def test_nan_result_from_custom_geocoder_is_rejected() -> None:
    """Any geocoder's non-finite answer is rejected rather than planned."""
    out, problems = geocode_missing(
        _accounts(("A1", FUTIAN, None, None)),
        lambda q: (math.nan, 114.0),
        None,
        file="a.csv",
        row_numbers=[2],
    )
    assert out.empty and "invalid position" in problems[0].problem


# --- geocoding off, bad inputs ---------------------------------------------------


def test_provider_none_rejects_without_geocoding(tmp_path: Path) -> None:
    """With provider ``none`` there is no geocoder, rows are rejected, no cache is made."""
    cfg = GeocodeConfig(provider="none", cache_path=str(tmp_path / "never.sqlite"))
    assert make_geocoder(cfg) is None
    accounts = _accounts(("A1", NANSHAN, 22.53, 113.95), ("A2", FUTIAN, None, None))
    out, problems = geocode_accounts(accounts, cfg, file="a.csv", row_numbers=[2, 3])
    assert out["account_id"].tolist() == ["A1"]
    assert problems == [RowProblem("a.csv", 3, "lat", REASON_OFF, "A2")]
    assert not (tmp_path / "never.sqlite").exists()


def test_empty_address_is_rejected_without_lookup() -> None:
    """A row with neither coordinates nor address is rejected; nothing is looked up."""
    accounts = _accounts(("A1", "  ", None, None))
    accounts.loc[len(accounts)] = ["A2", None, np.nan, np.nan]
    out, problems = geocode_missing(
        accounts, _must_not_call, None, file="a.csv", row_numbers=[2, 3]
    )
    assert out.empty
    assert [(p.row, p.problem) for p in problems] == [
        (2, REASON_NO_ADDRESS),
        (3, REASON_NO_ADDRESS),
    ]


def test_no_missing_coordinates_means_no_work() -> None:
    """Accounts that all have coordinates pass through unchanged, geocoder unused."""
    accounts = _accounts(("A1", FUTIAN, 22.54, 114.05))
    out, problems = geocode_missing(accounts, _must_not_call, None, file="a.csv", row_numbers=[2])
    assert problems == [] and out.equals(accounts)


def test_row_numbers_must_match_accounts() -> None:
    """A row_numbers list of the wrong length is a programming error."""
    with pytest.raises(ValueError, match="row_numbers"):
        geocode_missing(_accounts(("A1", FUTIAN, None, None)), None, None, file="a", row_numbers=[])


def test_progress_reports_every_n_lookups() -> None:
    """Progress is reported every ``progress_every`` lookups and once at the end."""
    messages: list[str] = []
    accounts = _accounts(*((f"A{i}", f"{FUTIAN}{i}", None, None) for i in range(5)))
    found: Callable[[str], tuple[float, float]] = lambda q: (22.5, 114.0)  # noqa: E731
    out, _ = geocode_missing(
        accounts,
        found,
        None,
        file="a.csv",
        row_numbers=_rows(accounts),
        progress=messages.append,
        progress_every=2,
    )
    assert len(out) == 5
    assert messages[:2] == [
        "a.csv: geocoded 2 addresses (0 cached)",
        "a.csv: geocoded 4 addresses (0 cached)",
    ]
    assert messages[2].startswith("a.csv: 5 of 5 accounts without coordinates placed")
    assert len(messages) == 3


# --- the cache itself -------------------------------------------------------------


def test_cache_rejects_invalid_points_and_unusable_files(tmp_path: Path) -> None:
    """put() refuses impossible points; a non-SQLite file gives a clear cache error."""
    with GeocodeCache(":memory:") as cache, pytest.raises(ValueError):
        cache.put(FUTIAN, (91.0, 0.0))
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with GeocodeCache(junk) as cache, pytest.raises(GeocodeCacheError, match=r"junk\.sqlite"):
        cache.get(FUTIAN)


def test_cache_file_is_created_only_when_used(tmp_path: Path) -> None:
    """Opening a cache that is never asked leaves no file; the first put creates it."""
    path = tmp_path / "deep" / "c.sqlite"
    with GeocodeCache(path):
        pass
    assert not path.exists()
    with GeocodeCache(path) as cache:
        cache.put(FUTIAN, (22.54, 114.05))
    assert path.exists()


def test_cache_normalises_keys() -> None:
    """Whitespace and full-width variants of one address share a cache entry."""
    with GeocodeCache(":memory:") as cache:
        cache.put("深圳市 福田区  福华路100号", (22.54, 114.05))
        assert cache.get(" 深圳市 福田区 福华路１００号") == (22.54, 114.05)
        cache.put("深圳市 福田区  福华路100号", None)
        assert cache.get("深圳市 福田区 福华路100号") is None
