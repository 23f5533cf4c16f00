"""faiss HNSW as the bare-library baseline: no storage, no metadata store, no server.

Filters: an ``IDSelectorBatch`` of the matching rows restricts the HNSW walk (faiss's own filtered search), with
the mask evaluated by numpy on columns parsed from the metadata JSON. HNSW M=16, efConstruction=100, efSearch=64
(the same family and settings Spruce's engine uses, so the comparison isolates everything around the index).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from compare import truth as truthmod
from compare.filters import CASES, FilterCase, mask
from compare.measure import run_cases
from compare.params import Params
from compare.source import batches

M, EF_CONSTRUCTION, EF_SEARCH = 16, 100, 64


def run(params: Params, workdir: Path) -> dict[str, Any]:
    t0 = time.perf_counter()
    parts, rows, cols = [], [], {"category": [], "bucket": [], "in_stock": []}
    for b in batches(params, 50_000):
        parts.append(b.vectors.copy())
        rows.append(np.array([int(s[1:]) for s in b.ids.to_pylist()]))
        for name, acc in cols.items():
            acc.append(b.meta.column(name).to_numpy(zero_copy_only=False))
    x = np.concatenate(parts)
    del parts
    row_of = np.concatenate(rows)
    columns = {k: np.concatenate(v) for k, v in cols.items()}
    load_s = time.perf_counter() - t0
    index = faiss.IndexHNSWFlat(params.dim, M, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = EF_CONSTRUCTION
    index.add(x)
    ann_s = time.perf_counter() - t0
    selectors = {
        c.name: faiss.IDSelectorBatch(np.flatnonzero(mask(c.pinecone, columns)).astype(np.int64))
        for c in CASES[1:]
    }

    def search(q: np.ndarray, case: FilterCase) -> list[int]:
        sp = faiss.SearchParametersHNSW()
        sp.efSearch = EF_SEARCH
        if case.pinecone is not None:
            sp.sel = selectors[case.name]
        _, labels = index.search(q.reshape(1, -1), 10, params=sp)
        return [int(row_of[i]) for i in labels[0] if i >= 0]

    return {
        "load_s": load_s,
        "ann_ready_s": ann_s,
        "index": f"HNSW M={M} efC={EF_CONSTRUCTION} efS={EF_SEARCH}, IDSelectorBatch filters",
        "cases": run_cases(search, truthmod.load(params)),
        "notes": [f"faiss {faiss.__version__}; threads {faiss.omp_get_max_threads()}"],
    }
