"""Chroma, embedded (``PersistentClient``): batched ``add`` at the client's own ``get_max_batch_size()``, as
Chroma's cookbook recommends for large ingests. Chroma builds its HNSW while adding, so ANN-ready = load end.
Metadata goes in as dicts parsed from the JSON (Chroma takes string/number/bool and, since 1.x, string lists).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import chromadb
import numpy as np

from compare import truth as truthmod
from compare.filters import FilterCase, to_chroma
from compare.measure import row_of, run_cases
from compare.params import Params
from compare.source import dataset, vectors_of


def run(params: Params, workdir: Path) -> dict[str, Any]:
    client = chromadb.PersistentClient(path=str(workdir / "chroma"))
    col = client.create_collection("bench", configuration={"hnsw": {"space": "cosine"}})
    batch = client.get_max_batch_size()
    t0 = time.perf_counter()
    for rb in dataset(params).to_batches(batch_size=batch):
        col.add(
            ids=rb.column("id").to_pylist(),
            embeddings=vectors_of(rb.column("values"), params.dim),
            metadatas=[json.loads(m) for m in rb.column("metadata").to_pylist()],
        )
    load_s = time.perf_counter() - t0

    def search(q: np.ndarray, case: FilterCase) -> list[int]:
        res = col.query(query_embeddings=q.reshape(1, -1), n_results=10, where=to_chroma(case.pinecone),
                        include=[])
        return [row_of(i) for i in res["ids"][0]]

    return {
        "load_s": load_s,
        "ann_ready_s": load_s,
        "index": f"HNSW (Chroma defaults), batches of {batch}",
        "cases": run_cases(search, truthmod.load(params)),
        "notes": [f"chromadb {chromadb.__version__}; count {col.count()}"],
    }
