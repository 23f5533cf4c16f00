"""Subprocess for test_engine_crash: writes forever, printing each acknowledged write, until SIGKILLed."""

from __future__ import annotations

import sys
import threading
import zlib

import numpy as np
import pyarrow as pa

from spruce.engine import BulkBatch, Engine, Record

DIM = 8
CFG = {
    "flush_rows": 150,
    "index_min_rows": 300,
    "merge_small_rows": 1000,
    "merge_min_segments": 3,
    "optimizer_interval": 0.01,
}


def values_for(rid: str) -> np.ndarray:
    return np.random.default_rng(zlib.crc32(rid.encode())).standard_normal(DIM).astype(np.float32)


def main() -> None:
    root, mode = sys.argv[1], sys.argv[2]
    e = Engine(root, **CFG)
    ix = e.create_index("ix", DIM, "cosine", "dense")
    ns = ix.create_namespace("ns")
    out = threading.Lock()

    def say(line: str) -> None:
        with out:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    if mode == "bulk":
        k = 0
        while True:
            ids = [f"b{k}-{j}" for j in range(50)]
            vals = np.stack([values_for(i) for i in ids])
            ns.bulk_write(BulkBatch(pa.array(ids), vals, None, None, None), "job", str(k + 1).encode())
            say(f"B {k + 1}")
            k += 1

    def writer(t: int) -> None:
        i = 0
        while True:
            ids = [f"t{t}-{i + j}" for j in range(1 + i % 3)]
            recs = [Record(r, values_for(r), metadata=b'{"t": %d}' % t) for r in ids]
            recs.append(Record(f"hot{t}", np.full(DIM, i + 1, np.float32), metadata=b'{"v": %d}' % i))
            ns.upsert(recs)
            say("A " + " ".join(ids) + f" H{t}={i}")
            if i % 17 == 16:
                ns.delete([ids[0]])
                say(f"D {ids[0]}")
            i += len(ids)

    for t in range(4):
        threading.Thread(target=writer, args=(t,), daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
