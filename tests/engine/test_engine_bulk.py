from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from spruce.engine import BulkBatch, Engine, Record

CFG = {"background": False, "flush_rows": 50, "index_min_rows": 10**9}


def batch(ids: list[str], seed: int, dim: int = 4, sparse: bool = False) -> BulkBatch:
    rng = np.random.default_rng(seed)
    n = len(ids)
    sp_i = sp_v = None
    if sparse:
        sp_i = pa.array([[1, 5] if i % 3 else [] for i in range(n)], pa.list_(pa.uint32()))
        sp_v = pa.array([[0.5, 1.5] if i % 3 else [] for i in range(n)], pa.list_(pa.float32()))
    meta = pa.array([None if i % 4 == 0 else f'{{"seed": {seed}, "i": {i}}}' for i in range(n)], pa.string())
    return BulkBatch(pa.array(ids), rng.standard_normal((n, dim)).astype(np.float32), sp_i, sp_v, meta)


def test_bulk_write_checkpoint_and_last_wins(tmp_path: Path) -> None:
    e = Engine(str(tmp_path), **CFG)
    ns = e.create_index("ix", 4, "cosine", "dense").create_namespace("imp")
    assert ns.checkpoint("job-1") is None
    ns.upsert([Record("a", np.ones(4, np.float32), metadata=b'{"old": true}')])  # memtable, WAL
    b1 = batch(["a", "b", "c", "b"], seed=1, sparse=True)  # "b" twice: the last one wins
    ns.bulk_write(b1, "job-1", b"file0:row4")
    assert ns.checkpoint("job-1") == b"file0:row4"
    assert ns.count() == 3
    got = {r.id: r for r in ns.fetch(["a", "b", "c"])}
    np.testing.assert_array_equal(got["b"].values, b1.values[3])
    np.testing.assert_array_equal(got["a"].values, b1.values[0])
    assert got["a"].metadata is None  # row 0 has null metadata: replaced, not merged
    assert got["b"].metadata == b'{"seed": 1, "i": 3}'
    np.testing.assert_array_equal(got["c"].sparse_indices, [1, 5])
    np.testing.assert_array_equal(got["c"].sparse_values, [0.5, 1.5])
    assert got["b"].sparse_indices is None  # empty list = no sparse part
    b2 = batch(["c", "d"], seed=2)  # "c" replaces the one in the first segment
    ns.bulk_write(b2, "job-1", b"file1:row2")
    ns.bulk_write(BulkBatch(pa.array([], pa.string()), np.zeros((0, 4), np.float32), None, None, None), "job-2", b"x")
    e.close()

    e = Engine(str(tmp_path), **CFG)
    ns = e.open_index("ix").namespace("imp")
    assert ns is not None
    assert ns.checkpoint("job-1") == b"file1:row2"
    assert ns.checkpoint("job-2") == b"x"
    assert ns.count() == 4
    assert ns.list_ids("", 10, None) == (["a", "b", "c", "d"], None)
    np.testing.assert_array_equal(ns.fetch(["c"])[0].values, b2.values[0])
    hits = ns.query(top_k=4, vector=b2.values[1], include_metadata=True)
    assert hits[0].id == "d" and abs(hits[0].score - 1) < 1e-5
    e.close()


def test_bulk_then_upsert_then_restart(tmp_path: Path) -> None:
    """WAL records written after a bulk segment must replay on top of it, not under it."""
    e = Engine(str(tmp_path), **CFG)
    ns = e.create_index("ix", 4, "dotproduct", "dense").create_namespace("")
    ns.bulk_write(batch([f"r{i}" for i in range(100)], seed=3), "k", b"1")
    ns.upsert([Record("r5", np.full(4, 9, np.float32))])
    ns.delete(["r6"])
    # no close: recovery replays the WAL
    e2 = Engine(str(tmp_path), **CFG)
    ns2 = e2.open_index("ix").namespace("")
    assert ns2 is not None
    assert ns2.count() == 99
    np.testing.assert_array_equal(ns2.fetch(["r5"])[0].values, np.full(4, 9))
    assert ns2.fetch(["r6"]) == []
    e2.close()


def test_sparse_index_bulk(tmp_path: Path) -> None:
    e = Engine(str(tmp_path), **CFG)
    ns = e.create_index("sp", None, "dotproduct", "sparse").create_namespace("")
    b = BulkBatch(
        pa.array(["x", "y"]),
        None,
        pa.array([[1, 2], [2, 3]], pa.list_(pa.uint32())),
        pa.array([[1.0, 2.0], [3.0, 4.0]], pa.list_(pa.float32())),
        None,
    )
    ns.bulk_write(b, "k", b"")
    hits = ns.query(top_k=2, sparse_indices=np.array([2, 3], np.uint32), sparse_values=np.array([1, 1], np.float32))
    assert [(h.id, h.score) for h in hits] == [("y", 7.0), ("x", 2.0)]
    e.close()
