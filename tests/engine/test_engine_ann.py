"""ANN on sealed segments: recall@10 vs exact at several selectivities, deletions honoured, index persisted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from spruce.engine import BulkBatch, Engine, parse_filter
from spruce.engine import ann as ann_mod

N, DIM = 8000, 32
CFG = {
    "background": False,
    "index_min_rows": 1000,
    # Force the HNSW path down to 1% selectivity so the test exercises the selector, not just exact scans.
    "exact_max_rows": 50,
    "exact_max_fraction": 0.005,
}


def data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    proj = rng.standard_normal((8, DIM), dtype=np.float32)
    x = rng.standard_normal((N, 8), dtype=np.float32) @ proj + 0.3 * rng.standard_normal((N, DIM), dtype=np.float32)
    q = rng.standard_normal((40, 8), dtype=np.float32) @ proj + 0.3 * rng.standard_normal((40, DIM), dtype=np.float32)
    bucket = rng.integers(0, 1000, N)  # bucket < t selects t/1000 of the rows
    return x, q, bucket


def exact_top(metric: str, x: np.ndarray, q: np.ndarray, rows: np.ndarray, k: int = 10) -> set[int]:
    sub = x[rows]
    if metric == "cosine":
        s = -(sub @ q) / np.linalg.norm(sub, axis=1)
    elif metric == "euclidean":
        s = ((sub - q) ** 2).sum(1)
    else:
        s = -(sub @ q)
    return set(rows[np.argsort(s)[:k]].tolist())


@pytest.mark.parametrize("metric", ["cosine", "euclidean", "dotproduct"])
def test_recall_at_every_selectivity(tmp_path: Path, metric: str) -> None:
    x, queries, bucket = data()
    e = Engine(str(tmp_path), **CFG)
    ns = e.create_index("ix", DIM, metric, "dense").create_namespace("")
    meta = pa.array([f'{{"b": {b}}}' for b in bucket])
    ns.bulk_write(BulkBatch(pa.array([str(i) for i in range(N)]), x, None, None, meta), "k", b"")
    e.optimize()
    assert all(rs.ann is not None for rs, _ in ns.segments_view())
    deleted = np.arange(0, N, 7)
    ns.delete([str(i) for i in deleted])
    alive = np.ones(N, bool)
    alive[deleted] = False
    for per_mille in (1000, 500, 100, 10, 1):
        flt = None if per_mille == 1000 else parse_filter({"b": {"$lt": per_mille}})
        rows = np.flatnonzero(alive & (bucket < per_mille))
        recalls = []
        for q in queries:
            got = [int(m.id) for m in ns.query(top_k=10, vector=q, flt=flt)]
            assert alive[got].all() and (bucket[got] < per_mille).all()
            want = exact_top(metric, x, q, rows)
            recalls.append(len(set(got) & want) / len(want))
        assert np.mean(recalls) >= 0.95, (metric, per_mille, np.mean(recalls))
    e.close()


def test_index_is_persisted_not_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    x, queries, _ = data(1)
    e = Engine(str(tmp_path), **CFG)
    ns = e.create_index("ix", DIM, "cosine", "dense").create_namespace("")
    ns.bulk_write(BulkBatch(pa.array([str(i) for i in range(N)]), x, None, None, None), "k", b"")
    e.optimize()
    before = [m.id for m in ns.query(top_k=10, vector=queries[0])]
    e.close()

    def no_build(*a: object, **k: object) -> None:
        raise AssertionError("index rebuilt after restart")

    monkeypatch.setattr(ann_mod.Ann, "build", no_build)
    e = Engine(str(tmp_path), **CFG)
    ns2 = e.open_index("ix").namespace("")
    assert ns2 is not None
    assert all(rs.ann is not None for rs, _ in ns2.segments_view())
    e.optimize()
    assert [m.id for m in ns2.query(top_k=10, vector=queries[0])] == before
    e.close()


def test_queries_correct_while_background_optimizer_runs(tmp_path: Path) -> None:
    x, queries, _ = data(2)
    e = Engine(str(tmp_path), index_min_rows=1000, merge_small_rows=3000, merge_min_segments=2, optimizer_interval=0.01)
    ns = e.create_index("ix", DIM, "dotproduct", "dense").create_namespace("")
    for s in range(0, N, 1000):
        ns.bulk_write(
            BulkBatch(pa.array([str(i) for i in range(s, s + 1000)]), x[s : s + 1000], None, None, None), "k", b""
        )
        for q in queries[:3]:
            got = [int(m.id) for m in ns.query(top_k=10, vector=q)]
            want = exact_top("dotproduct", x, q, np.arange(s + 1000))
            assert len(set(got) & want) >= 8
    assert ns.count() == N
    e.close()
