"""A real Dask cluster on 127.0.0.1 for tests: ``dask scheduler`` and ``dask worker`` processes.

Each is a subprocess running distributed's own command line
(``python -m distributed.cli.dask_scheduler`` / ``dask_worker``), the same
programs ``dask scheduler`` and ``dask worker`` start on real machines.
Workers run without a nanny, so killing a worker's process kills the worker.
Everything is stopped by :meth:`LocalProcesses.stop`, also after a failure.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LocalProcesses:
    """A scheduler and its workers, each a child process of the test."""

    port: int
    scheduler: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def address(self) -> str:
        """The scheduler's address, ``tcp://127.0.0.1:PORT``."""
        return f"tcp://127.0.0.1:{self.port}"

    def start(self, n_workers: int, log_dir: Path, timeout_s: float = 60.0) -> None:
        """Start the scheduler and ``n_workers`` single-threaded workers; wait until connected."""
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cmd = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
        self.scheduler = subprocess.Popen(
            [*cmd, "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(log_dir / "scheduler.log").open("wb"),
        )
        for k in range(n_workers):
            self.workers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        self.address,
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--name",
                        f"w{k + 1}",
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=(log_dir / f"worker{k + 1}.log").open("wb"),
                )
            )
        self.wait_for_workers(n_workers, timeout_s)

    def wait_for_workers(self, n: int, timeout_s: float) -> None:
        """Wait until the scheduler answers and ``n`` workers are connected to it."""
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            if n > 0:
                client.wait_for_workers(n, timeout=timeout_s)

    def worker_pids(self) -> dict[str, int]:
        """Return each connected worker's address and process id."""
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            return {str(k): int(v) for k, v in client.run(os.getpid).items()}

    def busy_worker(self) -> str:
        """Return the address of a worker running a task now ('' when none is)."""
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            busy = [w for w, keys in client.processing().items() if keys]
        return sorted(busy)[0] if busy else ""

    def kill(self, pid: int) -> None:
        """Kill one worker process at once (SIGKILL: no goodbye to the scheduler)."""
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop every process this object started."""
        for proc in [*self.workers, self.scheduler]:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for proc in [*self.workers, self.scheduler]:
            if proc is None:
                continue
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
