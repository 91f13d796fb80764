"""A cache of engine tables, so that a re-plan or a second run asks the engine nothing again.

Entries live under ``<cache_dir>/matrices/<key>/`` where ``key`` hashes the
model's identity (provider, data file hash or URL, engine version) and the
engine profile. One entry is one set of points (coordinates rounded to 1e-5
degrees, about 1 m) with its raw ``(n, n)`` durations, distances, routed mask
and snapping distances, stored as ``.npy`` files in a folder that is written
under a temporary name and renamed into place (atomic: a reader never sees
half an entry).

A request is answered from the entry holding the most of its points: the
pairs among those are sliced out of it, and only the rows and columns of the
new points are asked of the engine (a re-plan adding an agent's position
asks ``2 x n`` pairs, not ``n x n``). Traffic factor and stop overhead are
applied after the cache, so changing them reuses the engine's answers.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from routeplan.travel.base import RawTable

#: entries kept per key, and their total size (the least recently used go first)
MAX_ENTRIES = 64
MAX_BYTES = 4 * 1024**3
#: an entry of more places than this is not stored (about 1.1 GB on disk)
MAX_POINTS = 8_000
_FILES = ("points", "durations", "distances", "routed", "snap")

#: ``fetch(src_index, dst_index)`` returns the raw table between those points
Fetch = Callable[[NDArray[np.int64], NDArray[np.int64]], RawTable]


@dataclass(frozen=True)
class CacheStats:
    """How a request was answered: pairs reused from the cache and pairs asked of the engine."""

    reused_pairs: int
    fetched_pairs: int


@dataclass
class _Entry:
    path: Path
    points: NDArray[np.int64]
    index: dict[tuple[int, int], int]


class MatrixCache:
    """Raw tables of one model and engine profile, stored under ``root``.

    Parameters
    ----------
    root
        The cache folder (``[travel] cache_dir``); created when needed.
    key_parts
        What identifies the answers: provider, data hash or URL, engine
        version, profile. Any change makes a new key.
    """

    def __init__(self, root: Path, key_parts: tuple[str, ...]) -> None:
        digest = hashlib.sha256("\x1f".join(key_parts).encode()).hexdigest()[:24]
        self.folder = Path(root) / "matrices" / digest
        self._entries: list[_Entry] | None = None

    def table(self, points: NDArray[np.int64], fetch: Fetch) -> tuple[RawTable, CacheStats]:
        """Return the raw table of ``points`` (unique ``(n, 2)`` rounded coordinates).

        ``fetch(src, dst)`` is called for the pairs the cache does not hold,
        with indices into ``points``; the complete table is stored as a new
        entry.
        """
        n = len(points)
        best, where = self._best(points)
        if best is not None and bool((where >= 0).all()):
            self._touch(best)
            return _slice(best, where), CacheStats(n * n, 0)
        known = np.flatnonzero(where >= 0) if best is not None else np.zeros(0, dtype=np.int64)
        new = np.flatnonzero(where < 0) if best is not None else np.arange(n, dtype=np.int64)
        if len(known) == 0:
            table = fetch(np.arange(n), np.arange(n))
            stats = CacheStats(0, n * n)
        else:
            assert best is not None
            table = _merge(n, known, new, _slice(best, where[known]), fetch)
            stats = CacheStats(len(known) ** 2, n * n - len(known) ** 2)
        self._store(points, table)
        return table, stats

    # --- entries ------------------------------------------------------------------------

    def _load(self) -> list[_Entry]:
        if self._entries is None:
            entries = []
            if self.folder.is_dir():
                for path in sorted(self.folder.iterdir()):
                    if path.name.startswith(".") or not path.is_dir():
                        continue
                    try:
                        pts = np.load(path / "points.npy")
                    except (OSError, ValueError):
                        continue
                    entries.append(_Entry(path, pts, _index(pts)))
            self._entries = entries
        return self._entries

    def _best(self, points: NDArray[np.int64]) -> tuple[_Entry | None, NDArray[np.int64]]:
        """Return the entry holding most of ``points`` and each point's row in it (-1: absent)."""
        best: _Entry | None = None
        best_where = np.full(len(points), -1, dtype=np.int64)
        best_hits = 0
        keys = [(int(a), int(b)) for a, b in points]
        for entry in self._load():
            where = np.fromiter((entry.index.get(k, -1) for k in keys), np.int64, len(keys))
            hits = int((where >= 0).sum())
            if hits > best_hits:
                best, best_where, best_hits = entry, where, hits
                if hits == len(points):
                    break
        return best, best_where

    def _touch(self, entry: _Entry) -> None:
        with contextlib.suppress(OSError):
            os.utime(entry.path)

    def _store(self, points: NDArray[np.int64], table: RawTable) -> None:
        if len(points) > MAX_POINTS or len(points) == 0:
            return
        name = hashlib.sha256(points.tobytes()).hexdigest()[:24]
        final = self.folder / name
        if any(e.path == final for e in self._load()):
            self._touch_path(final)
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=self.folder))
            arrays = (points, table.durations_s, table.distances_m, table.routed, table.src_snap_m)
            for file, array in zip(_FILES, arrays, strict=True):
                np.save(tmp / f"{file}.npy", array)
            shutil.rmtree(final, ignore_errors=True)  # a damaged entry of the same points
            try:
                os.replace(tmp, final)
            except OSError:  # another run stored the same entry meanwhile
                shutil.rmtree(tmp, ignore_errors=True)
                return
        except OSError:
            return  # a cache that cannot be written only costs time
        if self._entries is not None:
            self._entries.append(_Entry(final, points, _index(points)))
        self._prune()

    @staticmethod
    def _touch_path(path: Path) -> None:
        with contextlib.suppress(OSError):
            os.utime(path)

    def _prune(self) -> None:
        """Remove the least recently used entries beyond MAX_ENTRIES or MAX_BYTES, not the last."""
        entries = self._load()

        def used(e: _Entry) -> float:
            try:
                return e.path.stat().st_mtime
            except OSError:
                return time.time()

        def size(e: _Entry) -> int:
            return sum(f.stat().st_size for f in e.path.glob("*.npy") if f.is_file())

        entries.sort(key=used)
        total = sum(size(e) for e in entries)
        while len(entries) > 1 and (len(entries) > MAX_ENTRIES or total > MAX_BYTES):
            old = entries.pop(0)
            total -= size(old)
            shutil.rmtree(old.path, ignore_errors=True)


def _index(points: NDArray[np.int64]) -> dict[tuple[int, int], int]:
    return {(int(a), int(b)): i for i, (a, b) in enumerate(points)}


def _slice(entry: _Entry, rows: NDArray[np.int64]) -> RawTable:
    """Return the entry's table restricted to ``rows`` (in that order) both ways."""
    grid = np.ix_(rows, rows)
    load = {f: np.load(entry.path / f"{f}.npy", mmap_mode="r") for f in _FILES[1:]}
    snap = np.asarray(load["snap"][rows], dtype=np.float64)
    return RawTable(
        np.asarray(load["durations"][grid], dtype=np.int64),
        np.asarray(load["distances"][grid], dtype=np.int64),
        np.asarray(load["routed"][grid], dtype=bool),
        snap,
        snap.copy(),
    )


def _merge(
    n: int,
    known: NDArray[np.int64],
    new: NDArray[np.int64],
    cached: RawTable,
    fetch: Fetch,
) -> RawTable:
    """Return the full table: ``known x known`` from the cache, the rest fetched."""
    dur = np.zeros((n, n), dtype=np.int64)
    dist = np.zeros((n, n), dtype=np.int64)
    routed = np.zeros((n, n), dtype=bool)
    snap = np.zeros(n, dtype=np.float64)
    all_idx = np.arange(n, dtype=np.int64)

    def put(rows: NDArray[np.int64], cols: NDArray[np.int64], part: RawTable) -> None:
        grid = np.ix_(rows, cols)
        dur[grid] = part.durations_s
        dist[grid] = part.distances_m
        routed[grid] = part.routed

    put(known, known, cached)
    snap[known] = cached.src_snap_m
    from_new = fetch(new, all_idx)  # new -> every point
    put(new, all_idx, from_new)
    snap[new] = from_new.src_snap_m
    put(known, new, fetch(known, new))  # known -> new
    return RawTable(dur, dist, routed, snap, snap.copy())


__all__ = ["CacheStats", "MatrixCache"]
