"""Run independent tasks on a Dask cluster: one machine's worker processes, or many machines.

:class:`DaskExecutor` is the :class:`~routeplan.execution.Executor` of a Dask
``distributed`` cluster. :meth:`DaskExecutor.local` starts a ``LocalCluster``
of worker processes on this machine (one single-threaded worker per core by
default, each with a memory limit) and closes it with the executor;
:meth:`DaskExecutor.connect` uses a cluster someone started with ``dask
scheduler`` and ``dask worker`` (routeplan, the same version, must be
installed on every worker machine: functions travel by name, their arguments
as pickles).

A task that raises is retried once, on another worker when there is one; a
worker that dies while running a task has its task moved to another worker by
the scheduler itself, until the scheduler judges the task to kill workers
(``KilledWorker``), which is then reported. Either way the task's
:class:`~routeplan.execution.Outcome` says what happened, with the worker's
address, and never hangs past the time given.

Dask is imported only when a cluster is made, so routeplan runs without it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from routeplan.errors import ConfigError, RouteplanError
from routeplan.execution import Outcome, cores

__all__ = ["ClusterConfig", "ClusterError", "DaskExecutor", "Ran", "worker_address"]

T = TypeVar("T")

#: seconds between two looks at a running task while waiting for it
_POLL_S = 0.05
#: the allocator setting Dask's nanny gives its workers (see DaskExecutor.local)
_TRIM = "MALLOC_TRIM_THRESHOLD_"
#: seconds a finished task's value (or error) may take to come back from its worker
_FETCH_S = 120.0


class ClusterError(RouteplanError):
    """The cluster cannot be started or reached, or its workers cannot run routeplan."""


@dataclass(frozen=True)
class ClusterConfig:
    """Where the regions of a run are planned (the ``[cluster]`` section).

    ``scheduler`` empty: a ``LocalCluster`` on this machine with ``workers``
    single-threaded worker processes (0 = cores, the default), each allowed
    ``memory_limit`` (``"auto"``: the machine's memory shared out; ``"0"``:
    no limit; or a size such as ``"4GiB"``). ``scheduler`` set
    (``tcp://host:8786``): that running cluster, reached within
    ``connect_timeout_s`` seconds. ``max_agents_per_region`` bounds the
    regions ``--split auto`` makes.
    """

    scheduler: str = ""
    workers: int = 0
    memory_limit: str = "auto"
    connect_timeout_s: float = 10.0
    max_agents_per_region: int = 40

    def __post_init__(self) -> None:
        """Refuse settings Dask cannot use, all of them in one error."""
        problems = []
        if not isinstance(self.scheduler, str) or (self.scheduler and "://" not in self.scheduler):
            problems.append(
                f"cluster.scheduler must be an address such as tcp://host:8786, "
                f"got {self.scheduler!r}"
            )
        if not _is_int(self.workers) or not 0 <= self.workers <= 1024:
            problems.append(
                f"cluster.workers must be an integer in [0, 1024], got {self.workers!r}"
            )
        if not isinstance(self.memory_limit, str) or not self.memory_limit.strip():
            problems.append(
                "cluster.memory_limit must be 'auto', '0' or a size such as '4GiB', "
                f"got {self.memory_limit!r}"
            )
        t = self.connect_timeout_s
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0.1 <= t <= 600:
            problems.append(f"cluster.connect_timeout_s must be in [0.1, 600], got {t!r}")
        n = self.max_agents_per_region
        if not _is_int(n) or n < 1:
            problems.append(f"cluster.max_agents_per_region must be an integer >= 1, got {n!r}")
        if problems:
            raise ConfigError("; ".join(problems))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Ran(Generic[T]):
    """What one attempt of a task gave on a worker: a value or an error, and where."""

    value: T | None = None
    error: str | None = None
    worker: str = ""
    seconds: float = 0.0


def _attempt(fn: Callable[..., T], args: tuple[Any, ...]) -> Ran[T]:
    """Run ``fn(*args)`` on a worker; an exception becomes the error (so it can be retried)."""
    worker = worker_address()
    t0 = time.perf_counter()
    try:
        return Ran(fn(*args), None, worker, time.perf_counter() - t0)
    except Exception as exc:  # a failed task is an answer; the client decides on a retry
        return Ran(None, f"{type(exc).__name__}: {exc}", worker, time.perf_counter() - t0)


def worker_address() -> str:
    """Return the address of the Dask worker running this code ('' outside one)."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return ""


def _probe() -> str:
    """Import the planner on a worker (warming it up) and return routeplan's version."""
    import routeplan
    import routeplan.plan

    return str(getattr(routeplan, "__version__", ""))


@dataclass
class _DaskTask(Generic[T]):
    """A task on the cluster: its current future, and one retry elsewhere after a failure."""

    executor: DaskExecutor
    fn: Callable[..., T]
    args: tuple[Any, ...]
    retries: int
    future: Any = None
    outcome: Outcome[T] | None = None
    attempts: list[str] = field(default_factory=list)

    def done(self) -> bool:
        """Return True when the task has an outcome (a failed first attempt is retried first)."""
        if self.outcome is None and self.future.done():
            self._settle()
        return self.outcome is not None

    def result(self, timeout_s: float) -> Outcome[T]:
        """Return the outcome, waiting at most ``timeout_s``; a task still running is cancelled."""
        deadline = time.perf_counter() + max(0.0, timeout_s)
        while not self.done():
            if time.perf_counter() >= deadline:
                self.cancel()
                self.outcome = Outcome(None, f"timed out after {timeout_s:.1f} s")
                break
            time.sleep(_POLL_S)
        assert self.outcome is not None
        return self.outcome

    def cancel(self) -> None:
        """Cancel the task on the cluster; its outcome becomes ``cancelled`` unless it had one."""
        if self.outcome is None:
            self.future.cancel()
            self.outcome = Outcome(None, "cancelled")

    def _settle(self) -> None:
        """Turn the finished future into the outcome, or submit the retry."""
        ran, error = self._collect()
        if ran is not None and ran.error is None:
            self.outcome = Outcome(ran.value)
            return
        why = ran.error if ran is not None else error
        where = ran.worker if ran is not None else ""
        self.attempts.append(f"{why}" + (f" (on {where})" if where else ""))
        if ran is not None and len(self.attempts) <= self.retries:
            self.future = self.executor.submit_attempt(self.fn, self.args, avoid=where)
            return
        self.outcome = Outcome(None, "; then ".join(self.attempts))

    def _collect(self) -> tuple[Ran[T] | None, str]:
        """Return the finished attempt, or None and why the cluster gave nothing."""
        status = str(getattr(self.future, "status", ""))
        if status == "finished":
            try:
                ran: Ran[T] = self.future.result(timeout=_FETCH_S)
                return ran, ""
            except Exception as exc:  # e.g. a result that cannot be unpickled here
                return None, f"{type(exc).__name__}: {exc}"
        if status == "error":
            error = self.future.exception(timeout=_FETCH_S)
            if type(error).__name__ == "KilledWorker":
                return None, (
                    "the workers running it died (memory limit? a crash?); the scheduler "
                    f"gave up after moving it between workers: {error}"
                )
            return None, f"{type(error).__name__}: {error}"
        return None, f"the cluster lost the task (status {status or 'unknown'})"


class DaskExecutor:
    """Runs tasks on a Dask ``distributed`` cluster (see the module docstring).

    Make one with :meth:`local` or :meth:`connect` and close it (or use it as a
    context manager); a cluster it started is shut down with it.

    Parameters
    ----------
    client
        A ``distributed.Client``.
    retries
        Further attempts after a task raised (on another worker when there is one).
    cluster
        The ``LocalCluster`` to close with the executor, if this executor started it.
    """

    def __init__(self, client: Any, *, retries: int = 1, cluster: Any = None) -> None:
        self.client = client
        self.retries = retries
        self._cluster = cluster
        self.address = str(getattr(getattr(client, "scheduler", None), "address", "") or "")

    @classmethod
    def local(
        cls, n_workers: int = 0, *, memory_limit: str = "auto", retries: int = 1
    ) -> DaskExecutor:
        """Start a ``LocalCluster`` of ``n_workers`` single-threaded processes (0: one per core)."""
        distributed = _import_distributed()
        n = n_workers or cores()
        import dask

        try:
            # Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers: measured here,
            # it doubles the CPU time of planning a region (pandas and numpy allocate much)
            with dask.config.set({"distributed.nanny.pre-spawn-environ." + _TRIM: None}):
                cluster = distributed.LocalCluster(
                    n_workers=n,
                    threads_per_worker=1,
                    processes=True,
                    memory_limit=_memory_limit(memory_limit),
                    dashboard_address=":0",  # no dashboard wanted; never clash on a port
                    silence_logs=logging.ERROR,
                )
        except (OSError, RuntimeError, ValueError) as exc:
            raise ClusterError(f"could not start {n} local Dask workers: {exc}") from exc
        client = distributed.Client(cluster)
        executor = cls(client, retries=retries, cluster=cluster)
        executor._warm_up()
        return executor

    @classmethod
    def connect(cls, address: str, *, timeout_s: float = 10.0, retries: int = 1) -> DaskExecutor:
        """Use the running cluster whose scheduler is at ``address`` (``tcp://host:8786``).

        Raises
        ------
        ClusterError
            No scheduler answers there within ``timeout_s``, no worker is
            connected to it, or a worker cannot import routeplan.
        """
        distributed = _import_distributed()
        try:
            client = distributed.Client(address, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(
                f"cannot reach the Dask scheduler at {address} within {timeout_s:g} s "
                f"(is 'dask scheduler' running there?): {exc}"
            ) from exc
        executor = cls(client, retries=retries)
        try:
            client.wait_for_workers(1, timeout=timeout_s)
        except (OSError, TimeoutError) as exc:
            executor.close()
            raise ClusterError(
                f"no Dask worker is connected to the scheduler at {address} after "
                f"{timeout_s:g} s (start 'dask worker {address}' on each machine)"
            ) from exc
        executor._warm_up()
        return executor

    def _warm_up(self) -> None:
        """Import routeplan on every worker now, or say which worker cannot."""
        try:
            self.client.run(_probe)
        except Exception as exc:  # whatever the worker raised, named for the user
            self.close()
            raise ClusterError(
                f"a Dask worker of {self.address} cannot run routeplan ({type(exc).__name__}: "
                f"{exc}); install the same routeplan on every worker machine"
            ) from exc

    @property
    def workers(self) -> int:
        """How many tasks the cluster runs at once (its worker threads)."""
        return sum(int(w.get("nthreads", 1)) for w in self._workers_info().values())

    def worker_addresses(self) -> list[str]:
        """Return the addresses of the workers connected now."""
        return sorted(self._workers_info())

    def _workers_info(self) -> dict[str, Any]:
        """Return the scheduler's record of every connected worker, by address."""
        try:
            info = self.client.scheduler_info(n_workers=-1)
        except TypeError:  # distributed before 2025: every worker is listed anyway
            info = self.client.scheduler_info()
        return dict(info.get("workers", {}))

    def submit(self, fn: Callable[..., T], /, *args: Any) -> _DaskTask[T]:
        """Start ``fn(*args)`` on a worker; ``fn`` must be importable there, ``args`` picklable."""
        task: _DaskTask[T] = _DaskTask(self, fn, args, self.retries)
        task.future = self.submit_attempt(fn, args)
        return task

    def submit_attempt(
        self, fn: Callable[..., T], args: tuple[Any, ...], *, avoid: str = ""
    ) -> Any:
        """Submit one attempt of ``fn(*args)``, away from worker ``avoid`` when another exists."""
        others = [w for w in self.worker_addresses() if w != avoid] if avoid else []
        if others:
            return self.client.submit(
                _attempt, fn, args, pure=False, workers=others, allow_other_workers=True
            )
        return self.client.submit(_attempt, fn, args, pure=False)

    def close(self) -> None:
        """Close the client and, when this executor started it, the cluster."""
        try:
            self.client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()
                self._cluster = None

    def __enter__(self) -> DaskExecutor:
        """Return the executor (``close`` runs when the block ends)."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the client and any local cluster."""
        self.close()


def _memory_limit(value: str) -> str | int:
    """Return ``memory_limit`` as Dask takes it (``"0"`` is no limit)."""
    text = value.strip()
    return 0 if text == "0" else text


def _import_distributed() -> Any:
    """Return the ``distributed`` module, or say how to install it."""
    try:
        import distributed
    except ImportError as exc:
        raise ClusterError(
            "Dask is not installed: pip install 'dask[distributed]' (routeplan's requirements "
            "include it)"
        ) from exc
    return distributed
