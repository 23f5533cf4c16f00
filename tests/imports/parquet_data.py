"""Writing test Parquet files: well-formed ones and every kind of broken one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SPARSE_TYPE = pa.struct([("indices", pa.list_(pa.uint32())), ("values", pa.list_(pa.float32()))])


def dense_table(n: int, dim: int = 4, *, start: int = 0, metadata: bool = True, prefix: str = "v") -> pa.Table:
    rng = np.random.default_rng(start + n)
    vectors = rng.random((n, dim), dtype=np.float32)
    columns: dict[str, Any] = {
        "id": pa.array([f"{prefix}{i}" for i in range(start, start + n)]),
        "values": pa.FixedSizeListArray.from_arrays(vectors.ravel(), dim).cast(pa.list_(pa.float32())),
    }
    if metadata:
        columns["metadata"] = pa.array([f'{{"n": {i}, "tag": "t{i % 3}"}}' for i in range(start, start + n)])
    return pa.table(columns)


def sparse_table(n: int, *, start: int = 0, prefix: str = "s") -> pa.Table:
    rows = [{"indices": [i, i + 1, i + 7], "values": [1.0, 0.5, 0.25]} for i in range(start, start + n)]
    return pa.table(
        {
            "id": pa.array([f"{prefix}{i}" for i in range(start, start + n)]),
            "sparse_values": pa.array(rows, SPARSE_TYPE),
        }
    )


def rows_table(rows: list[dict[str, Any]], schema: pa.Schema | None = None) -> pa.Table:
    """A table from Python rows, with the dense schema unless told otherwise."""
    schema = schema or pa.schema([("id", pa.string()), ("values", pa.list_(pa.float32())), ("metadata", pa.string())])
    return pa.Table.from_pylist(rows, schema=schema)


def write(table: pa.Table, path: Path | str, **options: Any) -> str:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, str(path), **options)
    return str(path)


def parquet_bytes(table: pa.Table, **options: Any) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, **options)
    return sink.getvalue().to_pybytes()


def uri(path: Path) -> str:
    return path.as_uri() + "/"
