"""Run one search in a forked child process while the parent runs another.

The machine's second core runs a differently started search; the better of
the two is kept. Only where the ``fork`` start method exists (Linux, macOS);
elsewhere :func:`start` returns None and the caller runs alone.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any


def cores() -> int:
    """Return the number of cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _child(conn: Connection, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        conn.send(("ok", fn(*args)))
    except BaseException as exc:  # report, never hang the parent
        conn.send(("error", repr(exc)))
    finally:
        conn.close()


class Handle:
    """A running child search."""

    def __init__(self, proc: mp.process.BaseProcess, conn: Connection):
        self.proc = proc
        self.conn = conn

    def ready(self) -> bool:
        """Return True when the child has sent its answer (or died)."""
        try:
            return self.conn.poll(0) or not self.proc.is_alive()
        except (EOFError, OSError):
            return True

    def result(self, timeout_s: float) -> tuple[Any, str | None]:
        """Return ``(value, error)``, waiting at most ``timeout_s``; stop the child after."""
        try:
            if self.conn.poll(max(0.0, timeout_s)):
                status, value = self.conn.recv()
                return (value, None) if status == "ok" else (None, str(value))
            return None, "timed out"
        except (EOFError, OSError) as exc:
            return None, repr(exc)
        finally:
            if self.proc.is_alive():
                self.proc.terminate()
            self.proc.join(1.0)
            self.conn.close()


def start(fn: Callable[..., Any], *args: Any) -> Handle | None:
    """Start ``fn(*args)`` in a forked child; None when forking is unavailable."""
    if "fork" not in mp.get_all_start_methods() or cores() < 2:
        return None
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, fn, args), daemon=True)
    try:
        proc.start()
    except (AssertionError, OSError):  # e.g. inside a daemonic worker: run alone
        parent.close()
        child.close()
        return None
    child.close()
    return Handle(proc, parent)
