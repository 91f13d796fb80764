"""The real OSRM engine for the road-travel tests: the tools, the Helsinki extract, a server.

``scripts/osrm-setup.sh`` (run by ``make test``) installs the OSRM
executables into ``.venv/osrm`` and ``Helsinki.osm.pbf`` (real OpenStreetMap
data, (c) OpenStreetMap contributors, ODbL) into ``data/samples/helsinki``.
Without them these tests are skipped locally and fail on CI (``CI=true``).

The extract is prepared once per test session (OSRM's own tools, about a
second) into a temporary cache shared by the tests; :class:`Routed` runs a
real ``osrm-routed`` on 127.0.0.1 at a free port, logging every request, so
a test can count what reached the server.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import pytest

from routeplan.travel.osrm_engine import OsrmServer, OsrmTools, find_osrm, prepare_extract

ROOT = Path(__file__).resolve().parent.parent
HELSINKI_PBF = ROOT / "data" / "samples" / "helsinki" / "Helsinki.osm.pbf"

#: places on the main piece of Helsinki's car network (every pair has a route)
MAIN = [
    (60.16441, 24.9438),
    (60.16487, 24.94599),
    (60.1656, 24.948),
    (60.16561, 24.94591),
    (60.16563, 24.9492),
    (60.16567, 24.9386),
    (60.16863, 24.93666),
    (60.16981, 24.9528),
    (60.16983, 24.94289),
    (60.17097, 24.93846),
    (60.17119, 24.94511),
    (60.17121, 24.94488),
    (60.17193, 24.94438),
    (60.17261, 24.95261),
    (60.17405, 24.9516),
    (60.1741, 24.95321),
    (60.17685, 24.9492),
    (60.17752, 24.94999),
    (60.17821, 24.94499),
    (60.17872, 24.9458),
]
#: on a piece of road the extract cuts off from the rest: OSRM answers null to and from it
ISOLATED = (60.17053, 24.93878)
#: in the Gulf of Finland, about 5 km south of the nearest road of the extract
AT_SEA = (60.12, 24.945)


def _missing() -> str:
    if not HELSINKI_PBF.is_file():
        return f"{HELSINKI_PBF} is missing (run: bash scripts/osrm-setup.sh)"
    try:
        tools()
    except Exception as exc:  # the message says how to install
        return str(exc)
    return ""


@functools.cache
def tools() -> OsrmTools:
    """Return the OSRM tools: ROUTEPLAN_OSRM_BIN, this checkout's .venv/osrm, or elsewhere."""
    local = ROOT / ".venv" / "osrm" / "bin"
    configured = os.environ.get("ROUTEPLAN_OSRM_BIN") or (str(local) if local.is_dir() else "")
    return find_osrm(configured)


def need_osrm() -> OsrmTools:
    """Return the OSRM tools, or skip the test (fail it on CI) saying what is missing."""
    why = _missing()
    if why:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"road-travel tests cannot run on CI: {why}")
        pytest.skip(why)
    return tools()


@functools.cache
def cache_dir() -> Path:
    """Return the session's cache folder (prepared extracts are shared by the tests)."""
    path = Path(tempfile.mkdtemp(prefix="routeplan-osrm-tests-"))
    atexit.register(shutil.rmtree, path, True)
    return path


@functools.cache
def prepared(profile: str = "car", algorithm: str = "ch") -> Path:
    """Return Helsinki prepared for ``profile`` with the real OSRM tools (once per session)."""
    return prepare_extract(
        HELSINKI_PBF, profile, tools=need_osrm(), cache_root=cache_dir(), algorithm=algorithm
    )


def config_toml(folder: Path, **travel: object) -> Path:
    """Write a ``routeplan.toml`` using the session's cache and OSRM tools; return its path."""
    lines = [
        "[travel]",
        f'cache_dir = "{cache_dir()}"',
        f'osrm_bin = "{need_osrm().bin_dir}"',
    ]
    for key, value in travel.items():
        lines.append(f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"')
    path = folder / "routeplan.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def helsinki_config_toml(folder: Path) -> Path:
    """Write the Helsinki sample's own ``routeplan.toml`` plus :func:`config_toml`'s lines."""
    path = config_toml(folder)
    own = (HELSINKI_PBF.parent / "routeplan.toml").read_text(encoding="utf-8")
    path.write_text(own + path.read_text(encoding="utf-8"), encoding="utf-8")
    return path


class Routed:
    """A real ``osrm-routed`` on 127.0.0.1 at a free port, logging each request.

    ``with Routed(prepared("car"), max_table_size=100) as server: server.url``;
    :meth:`requests` counts the requests that reached it (from its own log).
    """

    def __init__(self, base: Path, *, max_table_size: int = 100) -> None:
        self.server = OsrmServer(
            base, tools=need_osrm(), max_table_size=max_table_size, verbosity="INFO"
        )

    @property
    def url(self) -> str:
        """Return the server's URL."""
        return self.server.url

    def __enter__(self) -> Routed:
        self.server.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.stop()

    def requests(self, service: str = "table") -> int:
        """Return how many ``service`` requests the server has logged."""
        log = self.server.log_path.read_text()
        return sum(f"/{service}/v1/" in line for line in log.splitlines())


ACCOUNT_HEADER = (
    "account_id,debtor_name,address,lat,lon,balance,days_past_due,contact_attempts_30d,language"
)
AGENT_HEADER = (
    "agent_id,name,base_lat,base_lon,shift_start,shift_end,max_visits,skills,"
    "credential_id,credential_expiry,speed_kmh,travel_mode"
)


def write_day(
    folder: Path,
    places: list[tuple[float, float]],
    agents: list[tuple[str, tuple[float, float], str, str]],
    *,
    max_visits: dict[str, int] | None = None,
) -> tuple[Path, Path]:
    """Write a small eligible day: one account per place, agents ``(id, base, mode, speed)``.

    Accounts are ``H01``, ``H02``, ... (balance 50,000, 120 days past due, 5
    remote attempts: eligible under the default rules); agents work 09:00-17:00
    with at most 10 visits (or ``max_visits[agent_id]``). Returns the two paths.
    """
    most = max_visits or {}
    folder.mkdir(parents=True, exist_ok=True)
    accounts = [ACCOUNT_HEADER] + [
        f"H{n:02d},Näyte {n},Näytekatu {n},{lat},{lon},50000,120,5,zh"
        for n, (lat, lon) in enumerate(places, start=1)
    ]
    team = [AGENT_HEADER] + [
        f"{aid},Agent {aid},{base[0]},{base[1]},09:00,17:00,{most.get(aid, 10)},zh,C-{aid},"
        f"2027-12-31,{speed},{mode}"
        for aid, base, mode, speed in agents
    ]
    (folder / "accounts.csv").write_text("\n".join(accounts) + "\n", encoding="utf-8")
    (folder / "agents.csv").write_text("\n".join(team) + "\n", encoding="utf-8")
    return folder / "accounts.csv", folder / "agents.csv"
