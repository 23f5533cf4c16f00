"""Record rules shared by every write path (upsert, update, bulk import).

Each check returns the reason a value is refused, or None; callers decide whether that is a 400 (upsert) or a
skipped row (import in ``continue`` mode). Limits are Pinecone's documented ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MAX_UPSERT_VECTORS = 1000
MAX_REQUEST_BYTES = 2 * 1024 * 1024
MAX_ID_LENGTH = 512
MAX_METADATA_BYTES = 40 * 1024
MAX_SPARSE_NONZEROS = 2048
MAX_TOP_K = 10_000
MAX_IDS_PER_REQUEST = 1000
MAX_LIST_LIMIT = 100
MAX_FETCH_BY_METADATA_LIMIT = 10_000
UINT32_MAX = 2**32 - 1


def id_problem(record_id: object) -> str | None:
    if not isinstance(record_id, str):
        return "id must be a string"
    if not record_id:
        return "id must not be empty"
    if len(record_id) > MAX_ID_LENGTH:
        return f"id length {len(record_id)} exceeds the maximum of {MAX_ID_LENGTH}"
    return None


def metadata_problem(metadata: object, encoded_size: int) -> str | None:
    """Metadata is a flat object of strings, numbers, booleans and lists of strings, at most 40 KB."""
    if not isinstance(metadata, dict):
        return "metadata must be a JSON object"
    if encoded_size > MAX_METADATA_BYTES:
        return f"metadata size is {encoded_size} bytes, which exceeds the limit of {MAX_METADATA_BYTES} bytes"
    for key, value in metadata.items():
        problem = _metadata_value_problem(key, value)
        if problem:
            return problem
    return None


def _metadata_value_problem(key: str, value: Any) -> str | None:
    if isinstance(value, str | bool | int | float):
        if isinstance(value, float) and not np.isfinite(value):
            return f'metadata field "{key}" must be a finite number'
        return None
    if isinstance(value, list):
        if all(isinstance(item, str) for item in value):
            return None
        return f'metadata field "{key}" is a list; lists may only contain strings'
    if value is None:
        return f'metadata field "{key}" is null; null metadata values are not supported'
    return f'metadata field "{key}" has an unsupported type {type(value).__name__}; nested objects are not supported'


def dense_problem(values: np.ndarray, dimension: int) -> str | None:
    if values.shape[-1] != dimension:
        return f"Vector dimension {values.shape[-1]} does not match the dimension of the index {dimension}"
    if not np.isfinite(values).all():
        return "Vector values must be finite numbers (no NaN or infinity)"
    return None


def sparse_problem(indices: np.ndarray, values: np.ndarray) -> str | None:
    if len(indices) != len(values):
        return (f"Sparse vector indices and values must have the same length, got {len(indices)} indices "
                f"and {len(values)} values")
    if len(indices) > MAX_SPARSE_NONZEROS:
        return f"Sparse vector has {len(indices)} non-zero values, more than the maximum of {MAX_SPARSE_NONZEROS}"
    if len(indices) and (indices.min() < 0 or indices.max() > UINT32_MAX):
        return "Sparse vector indices must be unsigned 32-bit integers"
    if len(np.unique(indices)) != len(indices):
        return "Sparse vector indices must be unique"
    if not np.isfinite(values).all():
        return "Sparse vector values must be finite numbers (no NaN or infinity)"
    return None
