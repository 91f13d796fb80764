"""Tests of the forked second search helper (``routeplan.solver.parallel``)."""

from __future__ import annotations

import multiprocessing as mp
import time

import pytest

from routeplan.solver import parallel


def _square(x: int) -> int:
    return x * x


def _boom() -> None:
    raise ValueError("no luck")


def _sleepy() -> int:
    time.sleep(30)
    return 1


needs_fork = pytest.mark.skipif(
    "fork" not in mp.get_all_start_methods() or parallel.cores() < 2,
    reason="fork or a second core unavailable",
)


@needs_fork
def test_child_returns_its_value() -> None:
    """A child's return value comes back to the parent."""
    handle = parallel.start(_square, 7)
    assert handle is not None
    assert handle.result(10.0) == (49, None)


@needs_fork
def test_child_error_is_reported_not_raised() -> None:
    """An exception in the child becomes an error string for the parent."""
    handle = parallel.start(_boom)
    assert handle is not None
    value, error = handle.result(10.0)
    assert value is None and error is not None and "no luck" in error


@needs_fork
def test_slow_child_is_stopped_at_the_timeout() -> None:
    """A child still running at the timeout is stopped and gives no value."""
    handle = parallel.start(_sleepy)
    assert handle is not None
    assert not handle.ready()
    t = time.perf_counter()
    value, error = handle.result(0.2)
    assert value is None and error == "timed out"
    assert time.perf_counter() - t < 3.0
    assert not handle.proc.is_alive()
