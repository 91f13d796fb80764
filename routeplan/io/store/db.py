"""The history database connection: WAL, busy timeout, ``BEGIN IMMEDIATE`` writes.

:class:`Database` is the one place that opens the SQLite file and turns
SQLite's failures into :class:`StoreError`; the other modules of the package
take an open ``Database`` and run their SQL through :meth:`Database.write`
(one write transaction) and :meth:`Database.frame` (a read as a DataFrame).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from routeplan.errors import RouteplanError

#: the history database ``record``, ``history`` and ``report`` use when no ``--db`` is given
DEFAULT_DB = "routeplan.db"
#: seconds a command waits for another one holding the write lock
DEFAULT_BUSY_TIMEOUT_S = 60.0


class StoreError(RouteplanError):
    """The history database cannot be opened or used."""


class Database:
    """An open SQLite connection set up for routeplan's history.

    Parameters
    ----------
    path
        The SQLite file; created when missing. Its directory must exist.
    busy_timeout_s
        Seconds to wait for another process holding the write lock.
    clock
        Returns the current UTC time for audit columns.
    setup
        Run once on the fresh connection (the schema migrations); SQLite
        failures in it become a :class:`StoreError` and close the connection.
    """

    def __init__(
        self,
        path: Path,
        *,
        busy_timeout_s: float,
        clock: Callable[[], dt.datetime],
        setup: Callable[[Database], None],
    ) -> None:
        self.path = path
        self._clock = clock
        if path.is_dir():
            raise StoreError(f"{path}: is a directory, not a database file")
        if not path.parent.exists():
            raise StoreError(f"{path}: directory {path.parent} does not exist")
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves
            self.conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open database ({exc})") from exc
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            _enable_wal(self.conn, busy_timeout_s)
            self.conn.execute("PRAGMA foreign_keys = ON")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            setup(self)
        except sqlite3.OperationalError as exc:
            self.conn.close()
            raise StoreError(f"{path}: cannot use the database ({exc})") from exc
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise StoreError(f"{path}: not a routeplan history database ({exc})") from exc
        except StoreError:
            self.conn.close()
            raise

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite)."""
        self.conn.close()

    @property
    def user_version(self) -> int:
        """The ``user_version`` of the open file (the schema version)."""
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def now(self) -> str:
        """Return the clock's time as UTC ISO text, to the second."""
        return self._clock().astimezone(dt.UTC).isoformat(timespec="seconds")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """Run a block in one write transaction (waits for other writers).

        Any exception inside the block rolls the whole transaction back and
        propagates. SQLite's operational failures (still locked after the busy
        timeout, disk full, read-only file) become a ``StoreError`` after the
        rollback.
        """
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            hint = (
                "; another routeplan command kept it busy, try again"
                if "locked" in str(exc) or "busy" in str(exc)
                else ""
            )
            raise StoreError(f"{self.path}: cannot write ({exc}){hint}") from exc

    def frame(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """Return the rows of a query as a DataFrame (its columns named as selected)."""
        cur = self.conn.execute(sql, tuple(params))
        columns = [d[0] for d in cur.description]
        return pd.DataFrame.from_records(cur.fetchall(), columns=columns)

    def column(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Return the first column of a query's rows."""
        return [r[0] for r in self.conn.execute(sql, tuple(params))]


def _enable_wal(conn: sqlite3.Connection, busy_timeout_s: float) -> None:
    """Switch the database to WAL, waiting while another process holds it.

    SQLite can answer ``database is locked`` to the journal-mode change at once,
    without calling the busy handler (several commands opening a new database
    together), so the change is retried until the busy timeout has passed.
    """
    deadline = time.monotonic() + busy_timeout_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
