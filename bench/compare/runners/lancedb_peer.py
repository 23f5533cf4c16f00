"""LanceDB, embedded: the bulk path its docs recommend (create the table empty, then ``add`` a stream of Arrow
batches, which LanceDB writes in parallel), then its vector index and scalar indexes on the filtered columns.

The stream converts Pinecone's schema on the way: ``values`` list<float> -> FixedSizeList (LanceDB's vector type)
and the metadata JSON -> typed columns, so filters run on real columns as a LanceDB user would store them.
Index: IVF_HNSW_SQ (the fastest-building LanceDB index with good recall on this machine, ARCHITECTURE.md), default
partitions; queries prefilter so filtered results stay complete.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa

from compare import truth as truthmod
from compare.filters import FilterCase, to_sql
from compare.measure import row_of, run_cases
from compare.params import Params
from compare.source import META_SCHEMA, batches


def _schema(dim: int) -> pa.Schema:
    return pa.schema([pa.field("id", pa.string()), pa.field("vector", pa.list_(pa.float32(), dim)),
                      *META_SCHEMA])


def _stream(params: Params, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    for b in batches(params, 20_000):
        vec = pa.FixedSizeListArray.from_arrays(pa.array(b.vectors.reshape(-1)), params.dim)
        yield pa.RecordBatch.from_arrays([b.ids, vec, *(c.combine_chunks() for c in b.meta.columns)], schema=schema)


def run(params: Params, workdir: Path) -> dict[str, Any]:
    db = lancedb.connect(str(workdir / "lancedb"))
    schema = _schema(params.dim)
    t0 = time.perf_counter()
    table = db.create_table("bench", schema=schema)
    table.add(pa.RecordBatchReader.from_batches(schema, _stream(params, schema)))
    load_s = time.perf_counter() - t0
    table.create_index(metric="cosine", vector_column_name="vector", index_type="IVF_HNSW_SQ")
    table.create_scalar_index("category", index_type="BITMAP")
    table.create_scalar_index("in_stock", index_type="BITMAP")
    table.create_scalar_index("bucket", index_type="BTREE")
    ann_s = time.perf_counter() - t0

    def search(q: np.ndarray, case: FilterCase) -> list[int]:
        qb = table.search(q, vector_column_name="vector").distance_type("cosine").select(["id"]).limit(10)
        where = to_sql(case.pinecone)
        if where:
            qb = qb.where(where, prefilter=True)
        return [row_of(i) for i in qb.to_arrow().column("id").to_pylist()]

    return {
        "load_s": load_s,
        "ann_ready_s": ann_s,
        "index": "IVF_HNSW_SQ (defaults) + BITMAP/BTREE scalar indexes, prefilter",
        "cases": run_cases(search, truthmod.load(params)),
        "notes": [f"lancedb {lancedb.__version__}; rows {table.count_rows()}"],
    }
