from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from spruce.engine import Engine, Record
from spruce.engine.wal import Wal
from spruce.storage.datadir import DataDir


def test_torn_tail_is_truncated(tmp_path: Path) -> None:
    dd = DataDir(tmp_path)
    w = Wal(dd, "log")
    for i in range(5):
        w.sync_to(w.append(b"rec%d" % i))
    w.close()
    data = dd.read_bytes("log")
    for cut in (len(data) - 1, len(data) - 5, 3):
        dd.write_atomic("log", data[:cut])
        frames = list(Wal.recover(dd, "log"))
        assert frames == [b"rec%d" % i for i in range(len(frames))]
        assert len(dd.read_bytes("log")) <= cut
    corrupt = bytearray(data)
    corrupt[-2] ^= 0xFF
    dd.write_atomic("log", bytes(corrupt))
    assert list(Wal.recover(dd, "log")) == [b"rec%d" % i for i in range(4)]


def test_group_commit_shares_fsyncs(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    e = Engine(str(tmp_path), background=False, flush_rows=10**6)
    ns = e.create_index("ix", 4, "cosine", "dense").create_namespace("")
    from spruce.storage import datadir

    syncs = 0
    real = datadir.AppendHandle.sync

    def counting(self):  # type: ignore[no-untyped-def]
        nonlocal syncs
        syncs += 1
        real(self)

    monkeypatch.setattr(datadir.AppendHandle, "sync", counting)
    n_threads, per_thread = 8, 40

    def writer(t: int) -> None:
        for i in range(per_thread):
            ns.upsert([Record(f"{t}-{i}", np.ones(4, np.float32))])

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert ns.count() == n_threads * per_thread
    assert syncs <= n_threads * per_thread  # never more than one per write...
    assert syncs < n_threads * per_thread * 0.9  # ...and concurrent writers share them
    e.close()


def test_concurrent_readers_and_writers(tmp_path: Path) -> None:
    e = Engine(str(tmp_path), flush_rows=64, index_min_rows=10**9, merge_small_rows=500, optimizer_interval=0.01)
    ns = e.create_index("ix", 8, "euclidean", "dense").create_namespace("")
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer(t: int) -> None:
        rng = np.random.default_rng(t)
        try:
            for i in range(300):
                ns.upsert([Record(f"k{(i * 7 + t) % 200}", rng.standard_normal(8).astype(np.float32))])
                if i % 10 == 0:
                    ns.delete([f"k{(i * 3) % 200}"])
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        rng = np.random.default_rng(99)
        try:
            while not stop.is_set():
                res = ns.query(top_k=10, vector=rng.standard_normal(8).astype(np.float32))
                ids = [m.id for m in res]
                assert len(ids) == len(set(ids))  # a record is never visible twice
                ns.list_ids("k1", 5, None)
        except BaseException as exc:
            errors.append(exc)

    ws = [threading.Thread(target=writer, args=(t,)) for t in range(3)]
    rs = [threading.Thread(target=reader) for _ in range(2)]
    for th in ws + rs:
        th.start()
    for th in ws:
        th.join()
    stop.set()
    for th in rs:
        th.join()
    assert not errors, errors
    live = ns.count()
    e.close()
    e = Engine(str(tmp_path), background=False)
    assert e.open_index("ix").namespace("").count() == live  # type: ignore[union-attr]
    e.close()
