"""The physical limit: what reading the files and answering exactly cost with nothing but pyarrow and numpy.

Load = a raw ``pyarrow`` scan of every file into memory, then the vectors as one float32 matrix. Queries = exact
brute force, one query at a time. For filtered cases the matching rows are gathered once (contiguous) so each query
scans only them; that is the best any exact plan can do, so it is a floor, not a competitor.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.dataset as ds

from compare import truth as truthmod
from compare.filters import CASES, FilterCase, mask
from compare.measure import run_cases
from compare.params import K, Params
from compare.source import parse_metadata, vectors_of


def run(params: Params, workdir: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    table = ds.dataset(params.parquet_dir, format="parquet").to_table()
    scan_s = time.perf_counter() - t0
    x = np.concatenate([vectors_of(c, params.dim) for c in table.column("values").chunks])
    load_s = time.perf_counter() - t0
    nbytes = table.nbytes
    t1 = time.perf_counter()
    meta = parse_metadata(table.column("metadata"))
    parse_s = time.perf_counter() - t1
    rows = np.array([int(s[1:]) for s in table.column("id").to_pylist()])
    del table
    cols = {name: meta.column(name).to_numpy(zero_copy_only=False) for name in ("category", "bucket", "in_stock")}
    subsets: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for case in CASES[1:]:
        m = mask(case.pinecone, cols)
        subsets[case.name] = (np.ascontiguousarray(x[m]), rows[m])

    def search(q: np.ndarray, case: FilterCase) -> list[int]:
        xs, rs = (x, rows) if case.pinecone is None else subsets[case.name]
        s = xs @ q
        k = min(K, len(s))
        top = np.argpartition(-s, k - 1)[:k] if k < len(s) else np.arange(len(s))
        return rs[top[np.argsort(-s[top])]].tolist()

    truth = truthmod.load(params)
    return {
        "load_s": load_s,
        "ann_ready_s": None,
        "index": "exact (numpy brute force)",
        "cases": run_cases(search, truth),
        "notes": [
            f"pyarrow scan {scan_s:.2f}s = {nbytes / scan_s / 1e6:.0f} MB/s in memory; "
            f"metadata JSON parse {parse_s:.2f}s (not in load)",
        ],
    }
