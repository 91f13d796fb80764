"""Tests of the executors (``routeplan.execution``): same answers, failures reported, deadlines."""

from __future__ import annotations

import multiprocessing as mp
import os
import time

import pytest

from routeplan.execution import (
    Executor,
    InProcessExecutor,
    ProcessExecutor,
    cores,
    default_executor,
    run_all,
)


def square(x: int) -> int:
    """Return ``x * x`` (a task)."""
    return x * x


def boom() -> None:
    """Raise (a failing task)."""
    raise ValueError("no luck")


def crash() -> None:
    """End the process without answering (a crashing task)."""
    os._exit(3)


def sleepy(seconds: float) -> float:
    """Sleep ``seconds`` and return them."""
    time.sleep(seconds)
    return seconds


METHODS = [m for m in ("fork", "spawn") if m in mp.get_all_start_methods()]


@pytest.mark.parametrize("method", METHODS)
def test_in_process_and_process_give_the_same_results(method: str) -> None:
    """Both executors return each task's value, in order."""
    args = [(i,) for i in range(4)]
    local = run_all(InProcessExecutor(), square, args, timeout_s=30.0)
    remote = run_all(ProcessExecutor(method), square, args, timeout_s=60.0)
    assert [o.value for o in local] == [0, 1, 4, 9]
    assert [o.value for o in remote] == [0, 1, 4, 9]
    assert all(o.ok for o in local + remote)


@pytest.mark.parametrize("executor", [InProcessExecutor(), ProcessExecutor()])
def test_an_exception_is_reported_as_a_failure(executor: Executor) -> None:
    """A task that raises gives an outcome with the error, not an exception in the caller."""
    outcome = executor.submit(boom).result(30.0)
    assert not outcome.ok and outcome.value is None
    assert outcome.error == "ValueError: no luck"


def test_a_crashing_process_is_a_failure_not_a_hang() -> None:
    """A child that dies without answering is reported at once, with its exit code."""
    task = ProcessExecutor().submit(crash)
    t = time.perf_counter()
    outcome = task.result(30.0)
    assert time.perf_counter() - t < 10.0
    assert outcome.error == "worker process ended without an answer (exit code 3)"
    assert task.done()


def test_a_slow_process_is_stopped_at_its_timeout() -> None:
    """A task still running when the wait ends is stopped and reported as timed out."""
    task = ProcessExecutor().submit(sleepy, 30.0)
    assert not task.done()
    t = time.perf_counter()
    outcome = task.result(0.3)
    assert time.perf_counter() - t < 3.0
    assert outcome.value is None and outcome.error == "timed out after 0.3 s"
    assert task.done()


def test_cancel_stops_a_running_task() -> None:
    """A cancelled task gives no value."""
    task = ProcessExecutor().submit(sleepy, 30.0)
    task.cancel()
    assert task.done() and task.result(5.0).error == "cancelled"


def test_run_all_in_process_starts_nothing_after_the_deadline() -> None:
    """In process, tasks run one after the other; those not started in time are not run.

    Three tasks of 0.4 s within 0.6 s: the second starts at 0.4 s, the third
    would start at 0.8 s and is skipped.
    """
    outcomes = run_all(InProcessExecutor(), sleepy, [(0.4,), (0.4,), (0.4,)], timeout_s=0.6)
    assert [o.value for o in outcomes] == [0.4, 0.4, None]
    assert outcomes[2].error == "not started: the time was up"


def test_workers_and_default_executor() -> None:
    """In process nothing runs beside the caller; by default a free core is used."""
    assert InProcessExecutor().workers == 0
    expected = ProcessExecutor if cores() >= 2 else InProcessExecutor
    assert isinstance(default_executor(), expected)
    assert ProcessExecutor().workers == max(0, cores() - 1)


def test_unknown_start_method_is_named() -> None:
    """A start method the platform lacks is refused with its name."""
    with pytest.raises(ValueError, match="start_method 'teleport' is not available"):
        ProcessExecutor("teleport")
