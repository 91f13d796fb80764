"""A routing service that fails: one clear line and exit 1, or straight lines when allowed.

A stand-in HTTP server (http.server on 127.0.0.1) plays the failing OSRM
server: HTTP 500, an answer slower than the timeout, JSON that is not JSON,
a refused request; a port nobody listens on plays the unreachable server.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from routeplan.cli import main
from routeplan.travel import OsrmModel, Points, ServiceSettings, TravelProfile
from routeplan.travel.base import TravelError, TravelUnavailable
from routeplan.travel.osrm_engine import free_port
from tests.osrm_support import MAIN, write_day

CAR = TravelProfile("car")
TWO = Points.of([60.17, 60.171], [24.94, 24.941])
DATE = "2026-12-01"


class StandIn(BaseHTTPRequestHandler):
    """Answers every request the way the server's ``mode`` says; counts them."""

    def do_GET(self) -> None:
        server = self.server
        server.hits += 1  # type: ignore[attr-defined]
        mode = server.mode  # type: ignore[attr-defined]
        if mode == "slow":
            time.sleep(1.5)
        if mode == "500":
            body, status = b'{"code":"InternalError","message":"boom"}', 500
        elif mode == "malformed":
            body, status = b'{"code": "Ok", "durations": [[0, ', 200
        elif mode == "toobig":
            body, status = b'{"code":"TooBig","message":"Too many table coordinates"}', 400
        else:
            body, status = json.dumps({"code": "Ok"}).encode(), 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def stand_in() -> Iterator[ThreadingHTTPServer]:
    """A stand-in server on 127.0.0.1; set ``.mode`` to choose its failure."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    server.daemon_threads = True
    server.mode = "500"  # type: ignore[attr-defined]
    server.hits = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_http_500_is_retried_then_one_line(stand_in: ThreadingHTTPServer) -> None:
    """HTTP 500: tried 1 + retries times, then TravelUnavailable naming the server and the error."""
    model = OsrmModel({"car": url(stand_in)}, service=ServiceSettings(retries=2))
    with pytest.raises(TravelUnavailable) as err:
        model.matrix(TWO, CAR)
    assert stand_in.hits == 3  # type: ignore[attr-defined]
    assert str(err.value) == (
        f"osrm:{url(stand_in)}: request failed after 3 attempts: HTTP 500 InternalError: boom"
    )


def test_slow_answer_times_out(stand_in: ThreadingHTTPServer) -> None:
    """An answer slower than timeout_s is a failure of the service, said in one line."""
    stand_in.mode = "slow"  # type: ignore[attr-defined]
    model = OsrmModel({"car": url(stand_in)}, service=ServiceSettings(timeout_s=0.3, retries=0))
    t0 = time.perf_counter()
    with pytest.raises(TravelUnavailable, match=r"no answer within timeout_s 0.3 s"):
        model.matrix(TWO, CAR)
    assert time.perf_counter() - t0 < 1.4


def test_malformed_json(stand_in: ThreadingHTTPServer) -> None:
    """An answer that is not JSON is refused, not read as times."""
    stand_in.mode = "malformed"  # type: ignore[attr-defined]
    with pytest.raises(
        TravelUnavailable, match="request failed after 1 attempt: the answer is not"
    ):
        OsrmModel({"car": url(stand_in)}, service=ServiceSettings(retries=0)).matrix(TWO, CAR)


def test_ok_answer_without_a_table(stand_in: ThreadingHTTPServer) -> None:
    """'Ok' without durations is a malformed table answer."""
    stand_in.mode = "empty"  # type: ignore[attr-defined]
    with pytest.raises(TravelUnavailable, match="malformed table answer"):
        OsrmModel({"car": url(stand_in)}, service=ServiceSettings(retries=0)).matrix(TWO, CAR)


def test_refused_request_is_not_retried(stand_in: ThreadingHTTPServer) -> None:
    """A 400 (table too big for the server) is a settings problem: no retry, one line."""
    stand_in.mode = "toobig"  # type: ignore[attr-defined]
    with pytest.raises(TravelError) as err:
        OsrmModel({"car": url(stand_in)}, service=ServiceSettings(retries=3)).matrix(TWO, CAR)
    assert not isinstance(err.value, TravelUnavailable)
    assert stand_in.hits == 1  # type: ignore[attr-defined]
    assert "refused the request (HTTP 400 TooBig: Too many table coordinates)" in str(err.value)


def test_connection_refused() -> None:
    """Nobody listening: 'cannot connect', after the retries."""
    port = free_port()
    model = OsrmModel({"car": f"http://127.0.0.1:{port}"}, service=ServiceSettings(retries=1))
    with pytest.raises(TravelUnavailable, match=r"failed after 2 attempts: cannot connect \("):
        model.matrix(TWO, CAR)


def plan(folder: Path, out: Path, config: Path, *extra: str) -> object:
    """Run ``routeplan plan`` on a day written by :func:`write_day`."""
    return CliRunner().invoke(
        main,
        [
            "plan",
            "--accounts",
            str(folder / "accounts.csv"),
            "--agents",
            str(folder / "agents.csv"),
            "--date",
            DATE,
            "--out",
            str(out),
            "--time-limit",
            "1",
            "--no-geocode",
            "--config",
            str(config),
            *extra,
        ],
    )


def day(tmp_path: Path, **travel: object) -> tuple[Path, Path]:
    """Write a four-account day and a config with ``[travel]`` settings; return both."""
    folder = tmp_path / "day"
    write_day(folder, MAIN[:4], [("A1", MAIN[5], "car", "")])
    lines = ["[travel]", f'cache_dir = "{tmp_path / "cache"}"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in travel.items()]
    config = tmp_path / "routeplan.toml"
    config.write_text("\n".join(lines) + "\n")
    return folder, config


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("500", "request failed after 1 attempt: HTTP 500 InternalError: boom"),
        ("malformed", "request failed after 1 attempt: the answer is not JSON"),
        ("slow", "request failed after 1 attempt: no answer within timeout_s 0.3 s"),
    ],
)
def test_plan_stops_with_one_line(
    stand_in: ThreadingHTTPServer, tmp_path: Path, mode: str, message: str
) -> None:
    """plan --travel osrm:URL on a failing server: exit 1, one line, no plan, no straight lines."""
    stand_in.mode = mode  # type: ignore[attr-defined]
    folder, config = day(tmp_path, retries=0, timeout_s=0.3)
    res = plan(folder, tmp_path / "out", config, "--travel", f"osrm:{url(stand_in)}", "-q")
    assert res.exit_code == 1
    assert res.output == f"Error: osrm:{url(stand_in)}: {message}\n"
    assert not (tmp_path / "out" / "itineraries.csv").exists()


def test_plan_stops_when_the_server_is_unreachable(tmp_path: Path) -> None:
    """Nobody listening at the URL: exit 1 with 'cannot connect'."""
    folder, config = day(tmp_path, retries=0)
    target = f"osrm:http://127.0.0.1:{free_port()}"
    res = plan(folder, tmp_path / "out", config, "--travel", target, "-q")
    assert res.exit_code == 1
    assert res.output.startswith(f"Error: {target}: request failed after 1 attempt: cannot connect")
    assert res.output.count("\n") == 1


def test_fallback_plans_on_straight_lines_and_says_so(
    stand_in: ThreadingHTTPServer, tmp_path: Path
) -> None:
    """fallback = "haversine": the plan is made on straight lines; the log and summary say so."""
    folder, config = day(tmp_path, retries=0, fallback="haversine")
    out = tmp_path / "out"
    res = plan(folder, out, config, "--travel", f"osrm:{url(stand_in)}")
    assert res.exit_code == 0, res.output
    assert "planning on straight lines (fallback = haversine)" in res.output
    travel = json.loads((out / "summary.json").read_text())["travel"]
    assert travel["provider"] == "haversine" and travel["fallback_used"] is True
    assert "HTTP 500" in travel["fallback_reason"]
    assert travel["requested"] == {"provider": "osrm", "urls": {"car": url(stand_in)}}
    assert not (out / "routes.geojson").exists()
    checked = CliRunner().invoke(
        main,
        [
            "check",
            "--accounts",
            str(folder / "accounts.csv"),
            "--agents",
            str(folder / "agents.csv"),
            str(out),
        ],
    )
    assert checked.exit_code == 0, checked.output
    assert "haversine travel times" in checked.output
