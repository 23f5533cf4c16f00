"""Reading the import-schema Parquet back for peers: vectors as 2-D float32, metadata JSON as typed Arrow columns.

Every peer pays for this conversion inside its load time: Pinecone's schema carries metadata as a JSON string,
while the peers filter on typed fields, so parsing it is part of "loading the same data".
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.json as pj

from compare.params import Params

META_SCHEMA = pa.schema([
    pa.field("title", pa.string()),
    pa.field("category", pa.string()),
    pa.field("bucket", pa.int64()),
    pa.field("price", pa.float64()),
    pa.field("in_stock", pa.bool_()),
    pa.field("tags", pa.list_(pa.string())),
])


@dataclass
class Batch:
    ids: pa.Array
    vectors: np.ndarray  # (n, dim) float32
    meta: pa.Table  # typed columns of META_SCHEMA


def dataset(params: Params) -> ds.Dataset:
    return ds.dataset(params.parquet_dir, format="parquet")


def vectors_of(values: pa.Array, dim: int) -> np.ndarray:
    """list<float32> -> (n, dim) without a per-row Python loop (zero-copy when the chunk is contiguous)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    offsets = values.offsets.to_numpy()
    flat = values.values.slice(offsets[0], offsets[-1] - offsets[0]).to_numpy(zero_copy_only=False)
    return flat.reshape(-1, dim)


def parse_metadata(docs: pa.Array) -> pa.Table:
    """JSON strings -> typed table with Arrow's vectorised JSON reader (newline-delimited)."""
    if isinstance(docs, pa.ChunkedArray):
        docs = docs.combine_chunks()
    buf = "\n".join(docs.to_pylist()).encode()
    opts = pj.ParseOptions(explicit_schema=META_SCHEMA, unexpected_field_behavior="ignore")
    return pj.read_json(io.BytesIO(buf), parse_options=opts, read_options=pj.ReadOptions(block_size=1 << 26))


def batches(params: Params, batch_size: int = 10_000) -> Iterator[Batch]:
    for rb in dataset(params).to_batches(batch_size=batch_size):
        yield Batch(
            ids=rb.column("id"),
            vectors=vectors_of(rb.column("values"), params.dim),
            meta=parse_metadata(rb.column("metadata")),
        )
