"""Where independent work runs: in this process, or beside it in other processes.

An :class:`Executor` runs tasks (a picklable function and its arguments) and
hands back a :class:`Task` whose :meth:`Task.result` waits at most a given
time and then stops the task. The solver uses one for its second search on
the other core; regions of a large day can use the same interface, and a
cluster implementation (e.g. Dask) is one more class with ``workers`` and
``submit``.

* :class:`InProcessExecutor` runs each task inside ``submit`` (``workers`` is
  0: nothing runs beside the caller). Tests, one-core machines, and any place
  where starting a process is not allowed.
* :class:`ProcessExecutor` runs each task in its own process. It forks where
  the platform can (Linux, macOS): the child then shares the parent's memory,
  travel matrices of hundreds of megabytes included, instead of receiving a
  pickled copy, and a task starts in milliseconds. The parent forks from its
  main thread between searches, never while an OR-Tools search runs, so no
  solver lock is held at the fork. Where fork is missing (Windows) it spawns:
  the function and its arguments are pickled and the child imports routeplan
  first (about a second), so a task should have a few seconds to run.

A failure is an answer, never a hang: an exception in a task, a process that
dies without answering, or no answer within the time given all come back as
:class:`Outcome` with ``error`` set.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Generic, Protocol, TypeVar

__all__ = [
    "Executor",
    "InProcessExecutor",
    "Outcome",
    "ProcessExecutor",
    "Task",
    "cores",
    "default_executor",
    "run_all",
]

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

#: seconds a stopped child process is given to end before the caller moves on
_JOIN_S = 1.0


@dataclass(frozen=True)
class Outcome(Generic[T_co]):
    """What became of one task: its value, or why there is none (``error``)."""

    value: T_co | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the task returned (its value may still be None)."""
        return self.error is None


class Task(Protocol[T_co]):
    """A submitted task."""

    def done(self) -> bool:
        """Return True when the task has finished (answered, failed or died)."""
        ...

    def result(self, timeout_s: float) -> Outcome[T_co]:
        """Return the task's outcome, waiting at most ``timeout_s`` seconds.

        A task still running then is stopped and reported as timed out; the
        task is finished either way after this call.
        """
        ...

    def cancel(self) -> None:
        """Stop the task if it still runs; its result is then a failure."""
        ...


class Executor(Protocol):
    """Runs independent tasks, possibly beside the caller."""

    @property
    def workers(self) -> int:
        """How many tasks can run at the same time as the caller (0: inside ``submit``)."""
        ...

    def submit(self, fn: Callable[..., T], /, *args: Any) -> Task[T]:
        """Start ``fn(*args)``; ``fn`` and ``args`` must be picklable for other processes."""
        ...


def cores() -> int:
    """Return the number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


# -- in process --------------------------------------------------------------------


class _Done(Generic[T]):
    """A task that already ran (or never could)."""

    def __init__(self, outcome: Outcome[T]) -> None:
        self._outcome = outcome

    def done(self) -> bool:
        """Return True: the task has run."""
        return True

    def result(self, timeout_s: float) -> Outcome[T]:
        """Return the outcome at once."""
        return self._outcome

    def cancel(self) -> None:
        """Do nothing: the task has run."""
        return None


def _call(fn: Callable[..., T], args: tuple[Any, ...]) -> Outcome[T]:
    """Run ``fn(*args)`` and return its outcome; an exception becomes the error."""
    try:
        return Outcome(fn(*args))
    except Exception as exc:  # a failed task is an answer, not a crash of the caller
        return Outcome(None, f"{type(exc).__name__}: {exc}")


class InProcessExecutor:
    """Runs every task inside ``submit``, in the calling process."""

    @property
    def workers(self) -> int:
        """0: a submitted task has finished when ``submit`` returns."""
        return 0

    def submit(self, fn: Callable[..., T], /, *args: Any) -> Task[T]:
        """Run ``fn(*args)`` now and return its finished task."""
        return _Done(_call(fn, args))


# -- in other processes ------------------------------------------------------------


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    """Run one task in a child process and send its outcome to the parent."""
    try:
        conn.send(_call(fn, args))
    except BaseException as exc:  # e.g. an unpicklable value: report, never hang
        conn.send(Outcome(None, f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class _ProcessTask(Generic[T]):
    """A task running in its own child process."""

    def __init__(self, proc: BaseProcess, conn: Connection) -> None:
        self._proc = proc
        self._conn = conn
        self._outcome: Outcome[T] | None = None

    def done(self) -> bool:
        """Return True when the child has answered, died, or been stopped."""
        if self._outcome is not None:
            return True
        try:
            return self._conn.poll(0) or not self._proc.is_alive()
        except (EOFError, OSError):
            return True

    def result(self, timeout_s: float) -> Outcome[T]:
        """Return the child's outcome, waiting at most ``timeout_s``; stop the child after."""
        if self._outcome is None:
            self._outcome = self._receive(timeout_s)
            self._stop()
        return self._outcome

    def cancel(self) -> None:
        """Stop the child; its outcome becomes ``cancelled`` unless it had one."""
        if self._outcome is None:
            self._outcome = Outcome(None, "cancelled")
            self._stop()

    def _receive(self, timeout_s: float) -> Outcome[T]:
        """Return what the child sent, or why nothing came."""
        try:
            if self._conn.poll(max(0.0, timeout_s)):
                outcome: Outcome[T] = self._conn.recv()
                return outcome
            return Outcome(None, f"timed out after {timeout_s:.1f} s")
        except (EOFError, OSError):
            self._proc.join(_JOIN_S)
            return Outcome(
                None, f"worker process ended without an answer (exit code {self._proc.exitcode})"
            )

    def _stop(self) -> None:
        """End the child if it still runs and close the pipe."""
        if self._proc.is_alive():
            self._proc.terminate()
        self._proc.join(_JOIN_S)
        self._conn.close()


class ProcessExecutor:
    """Runs every task in a child process of its own (see the module docstring).

    Parameters
    ----------
    start_method
        ``"fork"`` or ``"spawn"``; by default fork where the platform has it,
        else spawn.
    """

    def __init__(self, start_method: str | None = None) -> None:
        methods = mp.get_all_start_methods()
        if start_method is None:
            start_method = "fork" if "fork" in methods else "spawn"
        if start_method not in methods:
            raise ValueError(
                f"start_method {start_method!r} is not available here; "
                f"use one of {', '.join(methods)}"
            )
        self.start_method = start_method
        # typeshed types a context chosen by name as BaseContext, which has no Process
        self._ctx: Any = mp.get_context(start_method)

    @property
    def workers(self) -> int:
        """Cores left beside the caller (0 in a daemonic process: it may not have children)."""
        if mp.current_process().daemon:
            return 0
        return max(0, cores() - 1)

    def submit(self, fn: Callable[..., T], /, *args: Any) -> Task[T]:
        """Start ``fn(*args)`` in a new child process; a failure to start is a failed task."""
        parent, child = self._ctx.Pipe(duplex=False)
        proc = self._ctx.Process(target=_child, args=(child, fn, args), daemon=True)
        try:
            proc.start()
        except Exception as exc:  # daemonic caller, no resources, unpicklable task (spawn)
            parent.close()
            child.close()
            return _Done(Outcome(None, f"could not start a worker process: {exc}"))
        child.close()
        return _ProcessTask(proc, parent)


def default_executor() -> Executor:
    """Return a :class:`ProcessExecutor` when another core is free, else in-process."""
    executor = ProcessExecutor()
    return executor if executor.workers > 0 else InProcessExecutor()


def run_all(
    executor: Executor, fn: Callable[..., T], arguments: Iterable[tuple[Any, ...]], timeout_s: float
) -> list[Outcome[T]]:
    """Return the outcome of ``fn(*args)`` for each ``args``, in order, within ``timeout_s``.

    At most ``max(1, executor.workers)`` tasks run at a time. A task not
    started before the time is up is not started (its outcome says so); one
    still running then is stopped.
    """
    deadline = time.perf_counter() + timeout_s
    pending = list(arguments)
    outcomes: list[Outcome[T]] = []
    width = max(1, executor.workers)
    while pending:
        wave, pending = pending[:width], pending[width:]
        tasks: list[Task[T] | None] = []
        for args in wave:
            late = time.perf_counter() >= deadline
            tasks.append(None if late else executor.submit(fn, *args))
        for task in tasks:
            if task is None:
                outcomes.append(Outcome(None, "not started: the time was up"))
            else:
                outcomes.append(task.result(deadline - time.perf_counter()))
    return outcomes
