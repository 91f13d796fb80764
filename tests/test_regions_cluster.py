"""Regions on a real multi-process Dask cluster on 127.0.0.1, and the Dask executor itself.

The test starts ``dask scheduler`` and two ``dask worker`` processes, plans the
6-region sample through ``--scheduler tcp://127.0.0.1:PORT``, kills a busy
worker after the first region comes back, and still gets every region,
each passing the checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from routeplan.execution_dask import ClusterError, DaskExecutor
from tests.dask_cluster import ROOT, LocalProcesses, free_port
from tests.test_regions import REGIONS, check_region


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalProcesses]:
    """A scheduler and two single-threaded workers, stopped after the test whatever happens."""
    procs = LocalProcesses(free_port())
    try:
        procs.start(2, tmp_path)
        yield procs
    finally:
        procs.stop()


def test_cluster_survives_a_killed_worker(tmp_path: Path, cluster: LocalProcesses) -> None:
    """Every region is planned and checked although a busy worker is killed mid-run.

    ``routeplan plan`` runs as its own process; when the first region's line
    appears on its stderr, the worker running a region is killed (SIGKILL).
    The scheduler moves that region to the surviving worker; the run exits 0
    and the regions planned after the kill all ran on the survivor.
    """
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "routeplan.cli",
        "plan",
        "--accounts",
        str(REGIONS / "accounts.csv"),
        "--agents",
        str(REGIONS / "agents.csv"),
        "--regions",
        str(REGIONS / "regions.csv"),
        "--date",
        "2026-12-01",
        "--time-limit",
        "3",
        "--no-geocode",
        "--out",
        str(out),
        "--scheduler",
        cluster.address,
    ]
    pids = cluster.worker_pids()
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killed = ""
    lines = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if not killed and " visits by " in line and line.split("]")[-1].startswith(" region "):
                deadline = time.monotonic() + 10
                while not killed and time.monotonic() < deadline:
                    killed = cluster.busy_worker()
                    time.sleep(0.05)
                assert killed, "no worker was busy after the first region"
                cluster.kill(pids[killed])
        stdout, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, "".join(lines)
    assert stdout.startswith("6 regions: 6 planned, 0 failed;")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["execution"]["executor"] == "dask"
    assert summary["execution"]["scheduler"] == cluster.address
    survivor = next(a for a in pids if a != killed)
    ran_on = [r["worker"] for r in summary["regions"]]
    assert set(ran_on) <= {killed, survivor} and survivor in ran_on
    for region in (r["region"] for r in summary["regions"]):
        assert check_region(out, region, REGIONS) == [], region


# --- the executor --------------------------------------------------------------------


def _fail_first(marker: str) -> str:
    """Raise on the first call (leaving a marker file), answer on the next."""
    from routeplan.execution_dask import worker_address

    if not os.path.exists(marker):
        Path(marker).write_text(worker_address(), encoding="utf-8")
        raise RuntimeError("first attempt fails")
    return worker_address()


def _always_fail(x: int) -> int:
    raise ValueError(f"bad {x}")


def _sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_executor_retries_once_on_another_worker(tmp_path: Path, cluster: LocalProcesses) -> None:
    """A task that raises is run again on the other worker; a second failure is the answer,
    naming both attempts; a task past its time is cancelled; workers are counted."""
    with DaskExecutor.connect(cluster.address, timeout_s=30) as ex:
        assert ex.workers == 2 and len(ex.worker_addresses()) == 2
        marker = tmp_path / "marker"
        task = ex.submit(_fail_first, str(marker))
        outcome = task.result(60)
        first = marker.read_text(encoding="utf-8")
        assert outcome.ok and outcome.value not in ("", first)
        assert task.attempts == [f"RuntimeError: first attempt fails (on {first})"]
        bad = ex.submit(_always_fail, 3).result(60)
        assert bad.error is not None
        one, two = bad.error.split("; then ")
        assert one.startswith("ValueError: bad 3 (on tcp://127.0.0.1:")
        assert two.startswith("ValueError: bad 3 (on tcp://127.0.0.1:") and one != two
        slow = ex.submit(_sleep, 30.0).result(0.5)
        assert slow.error == "timed out after 0.5 s"


def test_connect_without_workers_says_so(tmp_path: Path) -> None:
    """A scheduler with no worker connected is one ClusterError naming the remedy."""
    procs = LocalProcesses(free_port())
    try:
        procs.start(0, tmp_path)
        with pytest.raises(
            ClusterError, match=r"no Dask worker is connected .*'dask worker tcp://127\.0\.0\.1:"
        ):
            DaskExecutor.connect(procs.address, timeout_s=1)
    finally:
        procs.stop()


def _allocator_setting() -> str | None:
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_local_workers_keep_the_default_allocator() -> None:
    """routeplan's LocalCluster workers run without Dask's MALLOC_TRIM_THRESHOLD_=65536,
    which doubled the CPU time of planning a region (measured); other settings stay."""
    with DaskExecutor.local(1) as ex:
        assert list(ex.client.run(_allocator_setting).values()) == [None]
        assert list(ex.client.run(os.environ.get, "OMP_NUM_THREADS").values()) == ["1"]
