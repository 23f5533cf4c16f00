"""Optimizer policy: merge first, index once. Small segments of a namespace being written are not indexed (they will
be merged, and their index thrown away); a quiet namespace gets its small segments merged, then indexed once."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from spruce.engine import BulkBatch, Engine, NamespaceStore
from spruce.engine import ann as ann_mod
from spruce.engine.optimizers import optimize_once

DIM = 8
BUSY = {"background": False, "index_min_rows": 100, "merge_small_rows": 1000, "quiet_seconds": 3600.0}


def write(ns: NamespaceStore, start: int, n: int) -> None:
    x = np.random.default_rng(start).standard_normal((n, DIM)).astype(np.float32)
    ns.bulk_write(BulkBatch(pa.array([str(i) for i in range(start, start + n)]), x, None, None, None), "k", b"")


def sizes(ns: NamespaceStore) -> list[tuple[int, bool]]:
    return sorted((rs.n, rs.ann is not None) for rs, _ in ns.segments_view())


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Rows of every index build."""
    seen: list[int] = []
    real = ann_mod.Ann.build

    def counting(vectors: np.ndarray, *a: object, **k: object) -> ann_mod.Ann | None:
        seen.append(len(vectors))
        return real(vectors, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(ann_mod.Ann, "build", staticmethod(counting))
    return seen


def run_busy(e: Engine, ns: NamespaceStore) -> None:
    while optimize_once([ns], e.cfg, threading.Event()):
        pass


def test_busy_namespace_small_segments_wait(tmp_path: Path, builds: list[int]) -> None:
    e = Engine(str(tmp_path), **BUSY)  # type: ignore[arg-type]
    ns = e.create_index("ix", DIM, "cosine", "dense").create_namespace("")
    for s in range(0, 600, 200):
        write(ns, s, 200)
    run_busy(e, ns)
    assert sizes(ns) == [(200, False)] * 3 and builds == []  # 600 rows < the ceiling: nothing to do yet
    e.optimize()  # quiet: merge the three, then index the result once
    assert sizes(ns) == [(600, True)] and builds == [600]
    e.close()


def test_busy_namespace_merges_a_full_target_and_indexes_it(tmp_path: Path, builds: list[int]) -> None:
    e = Engine(str(tmp_path), **BUSY)  # type: ignore[arg-type]
    ns = e.create_index("ix", DIM, "cosine", "dense").create_namespace("")
    for s in range(0, 1400, 200):
        write(ns, s, 200)
    run_busy(e, ns)
    # The five smallest reach the ceiling: merged and indexed while writes continue; the rest waits.
    assert sizes(ns) == [(200, False), (200, False), (1000, True)] and builds == [1000]
    assert ns.count() == 1400
    e.close()


def test_quiet_namespace_keeps_indexed_segments(tmp_path: Path, builds: list[int]) -> None:
    e = Engine(str(tmp_path), **BUSY)  # type: ignore[arg-type]
    ns = e.create_index("ix", DIM, "cosine", "dense").create_namespace("")
    write(ns, 0, 500)
    e.optimize()
    write(ns, 500, 300)
    e.optimize()
    # One new small segment next to an indexed one: indexed on its own, the first one's index is kept.
    assert sizes(ns) == [(300, True), (500, True)] and builds == [500, 300]
    e.close()
