"""The values that cross the engine's boundary."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa


@dataclass(slots=True)
class Record:
    id: str
    values: np.ndarray | None = None  # float32 (dim,); None for sparse-only records
    sparse_indices: np.ndarray | None = None  # uint32, unique
    sparse_values: np.ndarray | None = None  # float32, same length
    metadata: bytes | None = None  # raw JSON object text, returned byte for byte


@dataclass(slots=True)
class Match:
    id: str
    score: float
    record: Record  # values/sparse/metadata filled only when asked for


@dataclass(slots=True)
class BulkBatch:
    """Already-validated rows from the import path, columnar (no per-row objects)."""

    ids: pa.Array  # string, no nulls
    values: np.ndarray | None  # float32 (n, dim)
    sparse_indices: pa.Array | None  # list<uint32>; null or empty = no sparse part
    sparse_values: pa.Array | None  # list<float32>
    metadata: pa.Array | None  # string (JSON object text) or null
