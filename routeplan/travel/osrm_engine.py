"""OSRM's own tools, run by routeplan: find them, prepare an extract, serve it privately.

* :func:`find_osrm` looks for the executables: ``[travel] osrm_bin``, the
  ``ROUTEPLAN_OSRM_BIN`` environment variable, ``<venv>/osrm/bin`` (where
  ``scripts/osrm-setup.sh`` unzips the ``osrm-bindings`` wheel), ``PATH``, and
  the installed ``osrm`` Python module (``pip install osrm-bindings`` on
  Python >= 3.12 ships the same executables).
* :func:`prepare_extract` runs ``osrm-extract`` with an OSRM profile and then
  ``osrm-contract`` (CH) or ``osrm-partition`` + ``osrm-customize`` (MLD),
  once per file content, profile, algorithm and OSRM version, into a folder of
  the cache; concurrent runs wait for each other (a file lock) and a finished
  folder appears in one rename.
* :class:`OsrmServer` runs a private ``osrm-routed`` on ``127.0.0.1`` at a
  free port for the prepared data and stops it on :meth:`~OsrmServer.stop`
  (and at interpreter exit).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from routeplan.errors import InputError
from routeplan.travel.base import TravelError

TOOLS = ("osrm-extract", "osrm-partition", "osrm-customize", "osrm-contract", "osrm-routed")
#: seconds a private osrm-routed may take to start answering
START_TIMEOUT_S = 60.0
INSTALL_HINT = (
    "run `bash scripts/osrm-setup.sh` (installs them into .venv/osrm), or "
    "`pip install osrm-bindings` on Python >= 3.12, or set ROUTEPLAN_OSRM_BIN "
    "or [travel] osrm_bin to their folder"
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class OsrmTools:
    """Where the OSRM executables and profiles are, and their version."""

    bin_dir: Path
    profiles_dir: Path
    version: str

    def exe(self, name: str) -> str:
        """Return the path of one executable."""
        return str(self.bin_dir / name)

    def profile(self, name: str) -> Path:
        """Return the path of an OSRM profile (``car`` -> ``car.lua``)."""
        return self.profiles_dir / f"{name}.lua"


def _candidates(configured: str) -> Iterator[tuple[str, Path]]:
    if configured:
        yield "[travel] osrm_bin", Path(configured).expanduser()
    env = os.environ.get("ROUTEPLAN_OSRM_BIN", "")
    if env:
        yield "ROUTEPLAN_OSRM_BIN", Path(env).expanduser()
    yield "the virtualenv", Path(sys.prefix) / "osrm" / "bin"
    found = shutil.which("osrm-extract")
    if found:
        yield "PATH", Path(found).resolve().parent
    spec = importlib.util.find_spec("osrm")
    if spec is not None and spec.origin:
        yield "the osrm module", Path(spec.origin).parent / "bin"


def find_osrm(configured: str = "") -> OsrmTools:
    """Return the OSRM tools routeplan will run (see the module docstring for the order).

    Raises
    ------
    TravelError
        One line saying how to install them.
    """
    for where, folder in _candidates(configured):
        if all(os.access(folder / t, os.X_OK) for t in TOOLS):
            profiles = _profiles_dir(folder)
            if profiles is None:
                raise TravelError(
                    f"OSRM executables in {folder} ({where}) but no profiles/car.lua beside "
                    "them (share/profiles)"
                )
            return OsrmTools(folder, profiles, _version(folder))
        if where.startswith(("[travel]", "ROUTEPLAN")):
            raise TravelError(f"{folder} ({where}): no OSRM executables there; {INSTALL_HINT}")
    raise TravelError(f"OSRM executables not found; {INSTALL_HINT}")


def _profiles_dir(bin_dir: Path) -> Path | None:
    for folder in (
        bin_dir.parent / "share" / "profiles",
        bin_dir.parent / "share" / "osrm" / "profiles",
        bin_dir.parent / "profiles",
        Path("/usr/share/osrm/profiles"),
    ):
        if (folder / "car.lua").is_file():
            return folder
    return None


def _version(bin_dir: Path) -> str:
    try:
        out = subprocess.run(
            [str(bin_dir / "osrm-extract"), "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TravelError(f"{bin_dir}/osrm-extract does not run ({exc}); {INSTALL_HINT}") from None
    version = (out.stdout or out.stderr).strip().splitlines()
    if out.returncode != 0 or not version:
        raise TravelError(f"{bin_dir}/osrm-extract --version failed; {INSTALL_HINT}")
    return version[-1].strip()


def file_sha256(path: Path) -> str:
    """Return the sha256 of a file's content (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- preparation -------------------------------------------------------------------------


def prepare_extract(
    pbf: Path,
    profile: str,
    *,
    tools: OsrmTools,
    cache_root: Path,
    algorithm: str = "ch",
    sha256: str | None = None,
    progress: Progress | None = None,
) -> Path:
    """Return the ``.osrm`` base of ``pbf`` prepared for ``profile``, preparing it if needed.

    Parameters
    ----------
    pbf
        An OpenStreetMap extract (``.osm.pbf``).
    profile
        OSRM profile name: ``car``, ``bicycle`` or ``foot``.
    tools
        The OSRM executables (:func:`find_osrm`).
    cache_root
        The cache folder; the prepared data goes to ``osm/<hash>-<profile>-<algorithm>-<version>/``.
    algorithm
        ``ch`` (osrm-contract) or ``mld`` (osrm-partition + osrm-customize).
    sha256
        The file's hash when already known.

    Raises
    ------
    InputError
        The file is missing or is not a usable OpenStreetMap extract (one line naming it).
    """
    say = progress or (lambda _m: None)
    if not pbf.is_file():
        raise InputError(f"{pbf}: OpenStreetMap extract not found")
    digest = sha256 or file_sha256(pbf)
    root = cache_root / "osm"
    name = f"{digest[:20]}-{profile}-{algorithm}-{tools.version}"
    final = root / name
    base = final / "map.osrm"
    if (final / "READY").is_file():
        say(f"travel: reusing {pbf.name} prepared for {profile} ({final})")
        return base
    root.mkdir(parents=True, exist_ok=True)
    with _locked(root / f"{name}.lock"):
        if (final / "READY").is_file():  # another run prepared it while we waited
            say(f"travel: reusing {pbf.name} prepared for {profile} ({final})")
            return base
        say(f"travel: preparing {pbf.name} for {profile} with OSRM {tools.version} ({algorithm})")
        t0 = time.perf_counter()
        work = Path(os.path.realpath(root)) / f".{name}.{os.getpid()}.partial"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        try:
            _run_tools(pbf, profile, tools, algorithm, work)
            (work / "READY").write_text(f"{pbf}\n{digest}\n")
            shutil.rmtree(final, ignore_errors=True)
            os.replace(work, final)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        say(f"travel: {pbf.name} prepared for {profile} in {time.perf_counter() - t0:.1f} s")
    return base


def _run_tools(pbf: Path, profile: str, tools: OsrmTools, algorithm: str, work: Path) -> None:
    base = work / "map.osrm"
    lua = tools.profile(profile)
    if not lua.is_file():
        raise TravelError(f"OSRM profile {lua} not found")
    steps = [[tools.exe("osrm-extract"), "-p", str(lua), str(pbf.resolve()), "-o", str(base)]]
    if algorithm == "ch":
        steps.append([tools.exe("osrm-contract"), str(base)])
    else:
        steps.append([tools.exe("osrm-partition"), str(base)])
        steps.append([tools.exe("osrm-customize"), str(base)])
    log = work / "prepare.log"
    for cmd in steps:
        with log.open("ab") as out:
            try:
                done = subprocess.run(
                    cmd, stdout=out, stderr=subprocess.STDOUT, cwd=work, check=False
                )
            except OSError as exc:
                raise TravelError(f"{cmd[0]} does not run ({exc}); {INSTALL_HINT}") from None
        if done.returncode != 0:
            tool = Path(cmd[0]).name
            raise InputError(
                f"{pbf}: not a usable OpenStreetMap extract ({tool}: {_last_error(log)})"
            )


def _last_error(log: Path) -> str:
    """Return the most telling line of an OSRM tool's log."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "failed"
    for marker in ("what():", "[error]"):
        found = [ln for ln in lines if marker in ln]
        if found:
            text = found[-1].split(marker, 1)[1].strip()
            return text[:200] or "failed"
    return (lines[-1].strip()[:200] if lines else "") or "failed"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- a private osrm-routed -----------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OsrmServer:
    """A private ``osrm-routed`` on 127.0.0.1 for prepared data.

    Parameters
    ----------
    base
        The prepared ``.osrm`` base (:func:`prepare_extract`).
    tools
        The OSRM executables.
    algorithm
        ``ch`` or ``mld``, as prepared.
    max_table_size
        The server's ``--max-table-size``.
    threads
        The server's ``--threads``.
    verbosity
        Its log level (``INFO`` logs every request to :attr:`log_path`).
    """

    def __init__(
        self,
        base: Path,
        *,
        tools: OsrmTools,
        algorithm: str = "ch",
        max_table_size: int = 1000,
        threads: int = 2,
        verbosity: str = "WARNING",
    ) -> None:
        self.base = base
        self.tools = tools
        self.algorithm = algorithm
        self.max_table_size = max_table_size
        self.threads = threads
        self.verbosity = verbosity
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        #: the server's log (one per server: several may serve the same data)
        self.log_path = base.parent / "routed.log"

    @property
    def url(self) -> str:
        """Return the server's URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OsrmServer:
        """Start the server and wait until it answers (a port taken meanwhile is retried)."""
        fd, name = tempfile.mkstemp(prefix="routed-", suffix=".log", dir=self.base.parent)
        os.close(fd)
        self.log_path = Path(name)
        for _ in range(3):
            self.port = free_port()
            cmd = [
                self.tools.exe("osrm-routed"),
                "--algorithm",
                self.algorithm,
                "-i",
                "127.0.0.1",
                "-p",
                str(self.port),
                "--max-table-size",
                str(self.max_table_size),
                "--threads",
                str(self.threads),
                "--verbosity",
                self.verbosity,
                str(self.base),
            ]
            with self.log_path.open("wb") as log:
                self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
            atexit.register(self.stop)
            if self._wait_ready():
                return self
            why = _last_error(self.log_path)
            self.stop()
        raise TravelError(f"osrm-routed did not start for {self.base}: {why}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(
                    f"{self.url}/nearest/v1/driving/0,0", timeout=2
                ) as resp:  # any answer means it listens
                    resp.read()
                return True
            except urllib.error.HTTPError:
                return True
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        return False

    def stop(self) -> None:
        """Stop the server (terminate, then kill after 5 s); safe to call twice."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        atexit.unregister(self.stop)
        with contextlib.suppress(OSError):
            proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                proc.kill()
            proc.wait(timeout=5)
        with contextlib.suppress(OSError):
            self.log_path.unlink()


__all__ = [
    "INSTALL_HINT",
    "OsrmServer",
    "OsrmTools",
    "file_sha256",
    "find_osrm",
    "free_port",
    "prepare_extract",
]
