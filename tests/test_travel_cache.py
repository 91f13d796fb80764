"""The matrix cache: what it reuses, what it asks the engine, and how it stores entries."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from routeplan.travel import cache as cache_module
from routeplan.travel.base import RawTable
from routeplan.travel.cache import MatrixCache


class Engine:
    """A stand-in engine over rounded points: duration = |dlat| + 2|dlon| units; counts pairs."""

    def __init__(self, points: NDArray[np.int64]) -> None:
        self.points = points
        self.pairs = 0

    def __call__(self, src: NDArray[np.int64], dst: NDArray[np.int64]) -> RawTable:
        self.pairs += len(src) * len(dst)
        a, b = self.points[src], self.points[dst]
        dur = np.abs(a[:, None, 0] - b[None, :, 0]) + 2 * np.abs(a[:, None, 1] - b[None, :, 1])
        snap = a[:, 0] % 7
        return RawTable.of(dur, dur * 10, dur % 5 != 1, snap, b[:, 0] % 7)


def grid(n: int, offset: int = 0) -> NDArray[np.int64]:
    """Return ``n`` distinct rounded points."""
    k = np.arange(offset, offset + n, dtype=np.int64)
    return np.stack([6_000_000 + 37 * k, 2_490_000 + 11 * (k % 9)], axis=1)


def same(a: RawTable, b: RawTable) -> bool:
    """Return whether two tables are equal cell by cell."""
    return all(
        np.array_equal(getattr(a, f), getattr(b, f))
        for f in ("durations_s", "distances_m", "routed", "src_snap_m")
    )


def test_second_request_asks_nothing(tmp_path: Path) -> None:
    """The same points again, even from a new cache object (another run), are all reused."""
    pts = grid(12)
    engine = Engine(pts)
    first, stats = MatrixCache(tmp_path, ("m", "car")).table(pts, engine)
    assert (stats.reused_pairs, stats.fetched_pairs, engine.pairs) == (0, 144, 144)
    again, stats = MatrixCache(tmp_path, ("m", "car")).table(pts, engine)
    assert (stats.reused_pairs, stats.fetched_pairs, engine.pairs) == (144, 0, 144)
    assert same(first, again)
    assert same(first, Engine(pts)(np.arange(12), np.arange(12)))


def test_subset_is_sliced_from_a_cached_entry(tmp_path: Path) -> None:
    """Points all held by an entry come from it, in the order asked."""
    pts = grid(10)
    cache = MatrixCache(tmp_path, ("m", "car"))
    cache.table(pts, Engine(pts))
    order = np.array([7, 2, 5])
    engine = Engine(pts[order])
    part, stats = cache.table(pts[order], engine)
    assert engine.pairs == 0 and stats.reused_pairs == 9
    assert same(part, Engine(pts[order])(np.arange(3), np.arange(3)))


def test_new_points_ask_only_their_rows_and_columns(tmp_path: Path) -> None:
    """A re-plan with 2 new places among 10 known asks 12 x 12 - 10 x 10 = 44 pairs."""
    known = grid(10)
    cache = MatrixCache(tmp_path, ("m", "car"))
    cache.table(known, Engine(known))
    both = np.concatenate([known[:5], grid(2, offset=50), known[5:]])
    engine = Engine(both)
    merged, stats = cache.table(both, engine)
    assert engine.pairs == 44 and (stats.reused_pairs, stats.fetched_pairs) == (100, 44)
    assert same(merged, Engine(both)(np.arange(12), np.arange(12)))


def test_keys_keep_models_and_profiles_apart(tmp_path: Path) -> None:
    """Another profile or data hash never reuses an entry."""
    pts = grid(4)
    MatrixCache(tmp_path, ("osm", "hash1", "car")).table(pts, Engine(pts))
    for key in (("osm", "hash1", "foot"), ("osm", "hash2", "car")):
        engine = Engine(pts)
        MatrixCache(tmp_path, key).table(pts, engine)
        assert engine.pairs == 16


def test_entries_are_whole_folders(tmp_path: Path) -> None:
    """An entry is a folder of .npy files renamed into place; no temporary folder is left."""
    pts = grid(5)
    cache = MatrixCache(tmp_path, ("m", "car"))
    cache.table(pts, Engine(pts))
    entries = list(cache.folder.iterdir())
    assert len(entries) == 1 and not entries[0].name.startswith(".")
    assert sorted(p.name for p in entries[0].iterdir()) == [
        "distances.npy",
        "durations.npy",
        "points.npy",
        "routed.npy",
        "snap.npy",
    ]


def test_unreadable_entry_is_ignored(tmp_path: Path) -> None:
    """A damaged entry is skipped, the engine asked instead, and the entry written again."""
    pts = grid(3)
    cache = MatrixCache(tmp_path, ("m", "car"))
    cache.table(pts, Engine(pts))
    entry = next(cache.folder.iterdir())
    (entry / "points.npy").write_bytes(b"not numpy")
    engine = Engine(pts)
    table, _ = MatrixCache(tmp_path, ("m", "car")).table(pts, engine)
    assert engine.pairs == 9 and same(table, Engine(pts)(np.arange(3), np.arange(3)))
    engine = Engine(pts)
    MatrixCache(tmp_path, ("m", "car")).table(pts, engine)
    assert engine.pairs == 0


def test_least_recently_used_entries_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond MAX_ENTRIES (or MAX_BYTES) the entries used longest ago are removed."""
    monkeypatch.setattr(cache_module, "MAX_ENTRIES", 3)
    cache = MatrixCache(tmp_path, ("m", "car"))
    sets = [grid(4, offset=10 * k) for k in range(5)]
    for pts in sets:
        cache.table(pts, Engine(pts))
        for entry in cache.folder.iterdir():  # older entries look older
            os.utime(entry, (entry.stat().st_mtime - 10, entry.stat().st_mtime - 10))
    kept = sorted(np.load(e / "points.npy")[0, 0] for e in cache.folder.iterdir())
    assert kept == sorted(pts[0, 0] for pts in sets[2:])  # the three used last
    monkeypatch.setattr(cache_module, "MAX_BYTES", 1)
    last = grid(4, offset=99)
    cache = MatrixCache(tmp_path, ("m", "car"))
    cache.table(last, Engine(last))
    (kept,) = cache.folder.iterdir()  # only the newest is left
    assert np.array_equal(np.load(kept / "points.npy"), last)
