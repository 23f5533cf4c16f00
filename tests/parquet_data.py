"""Parquet files in Pinecone's import schema, written to any pyarrow filesystem, with the data kept for checks."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

DENSE_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("values", pa.list_(pa.float32()), nullable=False),
    pa.field("metadata", pa.string()),
])


@dataclass
class Dataset:
    """What was written: ids, vectors and metadata per namespace ("" is the default namespace)."""

    ids: dict[str, list[str]]
    vectors: dict[str, np.ndarray]
    metadata: dict[str, list[dict[str, object]]]

    @property
    def total(self) -> int:
        return sum(len(v) for v in self.ids.values())


def dense_table(ids: list[str], vectors: np.ndarray, metadata: list[dict[str, object] | None]) -> pa.Table:
    return pa.table({
        "id": pa.array(ids, pa.string()),
        "values": pa.FixedSizeListArray.from_arrays(vectors.ravel(), vectors.shape[1]).cast(pa.list_(pa.float32())),
        "metadata": pa.array([msgspec.json.encode(m).decode() if m is not None else None for m in metadata],
                             pa.string()),
    }, schema=DENSE_SCHEMA)


def write_dense_dataset(fs: pafs.FileSystem, base: str, rows: dict[str, int], dim: int, files_per_namespace: int = 2,
                        seed: int = 0, row_group_size: int | None = None) -> Dataset:
    """Writes ``rows[ns]`` records per namespace under ``base/<ns or __default__>/part-N.parquet``."""
    rng = np.random.default_rng(seed)
    data = Dataset({}, {}, {})
    for namespace, count in rows.items():
        directory = f"{base}/{namespace or '__default__'}"
        fs.create_dir(directory, recursive=True)
        ids = [f"{namespace or 'd'}-{i:06d}" for i in range(count)]
        vectors = rng.normal(size=(count, dim)).astype(np.float32)
        metadata = [{"n": i, "parity": "even" if i % 2 == 0 else "odd", "ns": namespace} for i in range(count)]
        data.ids[namespace], data.vectors[namespace], data.metadata[namespace] = ids, vectors, metadata
        bounds = np.linspace(0, count, files_per_namespace + 1).astype(int)
        for part, (lo, hi) in enumerate(pairwise(bounds)):
            table = dense_table(ids[lo:hi], vectors[lo:hi], metadata[lo:hi])
            with fs.open_output_stream(f"{directory}/part-{part:03d}.parquet") as out:
                pq.write_table(table, out, row_group_size=row_group_size)
    return data
