"""Vectorised row checks over one Arrow record batch.

Every rule runs over whole columns (Arrow compute and numpy); each refused row gets a small reason code, the
first failing rule wins. Human-readable reasons are produced only for the row an ``abort`` import reports, and
come from the rules shared with upsert (``spruce.validation``), so both paths refuse the same records with the
same words. The only per-row Python work is metadata JSON validation, done by a typed msgspec decoder straight
from the Arrow string buffer (no Python ``str`` per row).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from spruce import validation as rules
from spruce.imports.schema import ID, METADATA, SPARSE, VALUES, ColumnPlan

# Reason codes, in the order rules are applied.
OK = 0
ID_NULL, ID_BAD = 1, 2
VALUES_NULL, VALUES_DIMENSION, VALUES_ELEMENT_NULL, VALUES_NON_FINITE = 3, 4, 5, 6
SPARSE_MISSING, SPARSE_ELEMENT_NULL, SPARSE_BAD = 7, 8, 9
METADATA_TOO_BIG, METADATA_BAD = 10, 11

# What metadata may hold: a flat object of strings, numbers, booleans and lists of strings. msgspec checks the
# whole shape in C while decoding (nulls, nested objects, non-string list items and out-of-range numbers fail).
_METADATA_DECODER = msgspec.json.Decoder(dict[str, str | float | bool | list[str]])


@dataclass(slots=True)
class GoodRows:
    """The accepted rows of a batch, in the shapes ``BulkBatch`` wants."""

    ids: pa.Array  # string, no nulls
    values: np.ndarray | None  # float32 (n, dim)
    sparse_indices: pa.Array | None  # list<uint32>, null = no sparse part
    sparse_values: pa.Array | None  # list<float32>
    metadata: pa.Array | None  # string JSON object text, or null

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(slots=True)
class CheckedBatch:
    rows: GoodRows | None  # None when no row passed
    bad: int
    first_bad: tuple[int, str] | None  # (row within the batch, reason) of the first refused row
    reasons: np.ndarray | None = None  # reason code per row (OK = 0), kept only when some row was refused

    def refused(self, limit: int) -> list[tuple[int, int]]:
        """(row within the batch, reason code) of the first ``limit`` refused rows."""
        if self.reasons is None or limit <= 0:
            return []
        rows = np.flatnonzero(self.reasons != OK)[:limit]
        return [(int(r), int(self.reasons[r])) for r in rows]


def check_batch(
    batch: pa.RecordBatch, plan: ColumnPlan, *, dimension: int | None, sparse_index: bool, explain: bool
) -> CheckedBatch:
    """Splits a batch into rows to import and refused rows. ``explain`` asks for the first refusal's reason."""
    n = batch.num_rows
    reason = np.zeros(n, dtype=np.int8)
    ids = _as_string(batch.column(ID))
    _check_ids(ids, reason)

    dense: np.ndarray | None = None
    dense_rows: np.ndarray | None = None
    if plan.values:
        assert dimension is not None
        dense, dense_rows = _check_dense(batch.column(VALUES), dimension, reason)

    sparse_indices = sparse_values = None
    if plan.sparse:
        sparse_indices, sparse_values = _check_sparse(batch.column(SPARSE), reason, required=sparse_index)

    metadata = _as_string(batch.column(METADATA)) if plan.metadata else None
    if metadata is not None:
        _check_metadata(metadata, reason)

    good = reason == OK
    bad = int(n - np.count_nonzero(good))
    first_bad = None
    if bad and explain:
        row = int(np.flatnonzero(~good)[0])
        first_bad = (row, explain_row(batch, row, int(reason[row]), dimension))
    reasons = reason if bad else None
    if bad == n:
        return CheckedBatch(None, bad, first_bad, reasons)

    if bad == 0:
        rows = GoodRows(ids, dense, sparse_indices, sparse_values, metadata)
    else:
        mask = pa.array(good)
        values = None
        if dense is not None:
            assert dense_rows is not None
            values = dense[good[dense_rows]]
        rows = GoodRows(
            ids.filter(mask),
            values,
            sparse_indices.filter(mask) if sparse_indices is not None else None,
            sparse_values.filter(mask) if sparse_values is not None else None,
            metadata.filter(mask) if metadata is not None else None,
        )
    return CheckedBatch(rows, bad, first_bad, reasons)


def _as_string(column: pa.Array) -> pa.Array:
    return column.cast(pa.string()) if pa.types.is_large_string(column.type) else column


def _mark(reason: np.ndarray, failing: np.ndarray, code: int) -> None:
    """Gives ``code`` to failing rows that no earlier rule refused."""
    reason[failing & (reason == OK)] = code


def _rows_of(parents: np.ndarray, failing_elements: np.ndarray, n: int) -> np.ndarray:
    """Row mask from a per-element failure mask of a flattened list column."""
    rows = np.zeros(n, dtype=bool)
    rows[parents[failing_elements]] = True
    return rows


def _nulls(array: pa.Array) -> np.ndarray:
    if array.null_count == 0:
        return np.zeros(len(array), dtype=bool)
    return array.is_null().to_numpy(zero_copy_only=False)


def _check_ids(ids: pa.Array, reason: np.ndarray) -> None:
    _mark(reason, _nulls(ids), ID_NULL)
    lengths = pc.utf8_length(ids).fill_null(0).to_numpy(zero_copy_only=False)
    _mark(reason, (lengths == 0) | (lengths > rules.MAX_ID_LENGTH), ID_BAD)


def _check_dense(column: pa.Array, dimension: int, reason: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Returns the float32 matrix of the rows with the right shape, and those rows' positions.

    In the common case (every row well formed) the matrix is a zero-copy view of the Arrow buffer.
    """
    n = len(column)
    nulls = _nulls(column)
    _mark(reason, nulls, VALUES_NULL)
    lengths = pc.list_value_length(column).fill_null(-1).to_numpy(zero_copy_only=False)
    shaped = ~nulls & (lengths == dimension)
    _mark(reason, ~nulls & ~shaped, VALUES_DIMENSION)
    shaped_rows = np.flatnonzero(shaped)
    selected = column if len(shaped_rows) == n else column.filter(pa.array(shaped))
    flat = selected.flatten()
    if flat.null_count:
        element_nulls = _nulls(flat).reshape(-1, dimension).any(axis=1)
        _mark(reason, _scatter(shaped_rows, element_nulls, n), VALUES_ELEMENT_NULL)
        flat = flat.fill_null(0)
    matrix = flat.to_numpy(zero_copy_only=False).reshape(-1, dimension)
    if matrix.dtype != np.float32:
        with np.errstate(over="ignore"):  # float64 beyond float32's range becomes inf: refused just below
            matrix = matrix.astype(np.float32)
    finite = np.isfinite(matrix).all(axis=1)
    _mark(reason, _scatter(shaped_rows, ~finite, n), VALUES_NON_FINITE)
    return matrix, shaped_rows


def _scatter(rows: np.ndarray, flags: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[rows[flags]] = True
    return out


def _check_sparse(column: pa.StructArray, reason: np.ndarray, *, required: bool) -> tuple[pa.Array, pa.Array]:
    """Checks the sparse struct; returns indices as list<uint32> and values as list<float32>.

    A row with no sparse part (null struct, or both lists null or empty) is fine in a hybrid import and refused
    for a sparse index.
    """
    n = len(column)
    names = [column.type.field(i).name for i in range(column.type.num_fields)]
    children = dict(zip(names, column.flatten(), strict=True))  # flatten() folds in the struct's own nulls
    indices, values = children["indices"], children["values"]
    index_nulls, value_nulls = _nulls(indices), _nulls(values)
    index_lengths = pc.list_value_length(indices).fill_null(0).to_numpy(zero_copy_only=False)
    value_lengths = pc.list_value_length(values).fill_null(0).to_numpy(zero_copy_only=False)
    empty = (index_lengths == 0) & (value_lengths == 0)
    if required:
        _mark(reason, empty, SPARSE_MISSING)
    _mark(reason, (index_nulls != value_nulls) & ~empty, SPARSE_BAD)
    _mark(reason, (index_lengths != value_lengths) | (index_lengths > rules.MAX_SPARSE_NONZEROS), SPARSE_BAD)

    flat_indices, index_parents = indices.flatten(), pc.list_parent_indices(indices).to_numpy()
    flat_values, value_parents = values.flatten(), pc.list_parent_indices(values).to_numpy()
    if flat_indices.null_count or flat_values.null_count:
        _mark(reason, _rows_of(index_parents, _nulls(flat_indices), n), SPARSE_ELEMENT_NULL)
        _mark(reason, _rows_of(value_parents, _nulls(flat_values), n), SPARSE_ELEMENT_NULL)
        flat_indices, flat_values = flat_indices.fill_null(0), flat_values.fill_null(0)

    raw = flat_indices.to_numpy(zero_copy_only=False)
    if raw.dtype == np.uint64:
        out_of_range = raw > rules.UINT32_MAX
    else:
        wide = raw.astype(np.int64, copy=False)
        out_of_range = (wide < 0) | (wide > rules.UINT32_MAX)
    _mark(reason, _rows_of(index_parents, out_of_range, n), SPARSE_BAD)
    if len(raw) > 1:
        # Duplicate indices within a row: sort (row, index) pairs and compare neighbours.
        order = np.lexsort((raw, index_parents))
        rows_sorted, raw_sorted = index_parents[order], raw[order]
        duplicate = (rows_sorted[1:] == rows_sorted[:-1]) & (raw_sorted[1:] == raw_sorted[:-1])
        _mark(reason, _rows_of(rows_sorted[1:], duplicate, n), SPARSE_BAD)

    numbers = flat_values.to_numpy(zero_copy_only=False)
    with np.errstate(over="ignore"):
        numbers32 = numbers.astype(np.float32, copy=False)
    _mark(reason, _rows_of(value_parents, ~np.isfinite(numbers32), n), SPARSE_BAD)

    # Out-of-range rows were refused above; an unchecked cast keeps the others exact and cannot raise.
    cast_options = pc.CastOptions(pa.list_(pa.uint32()), allow_int_overflow=True)
    out_indices = pc.cast(_as_list(indices), options=cast_options)
    out_values = pc.cast(_as_list(values), pa.list_(pa.float32()), safe=False)
    return out_indices, out_values


def _as_list(array: pa.Array) -> pa.Array:
    """large_list / fixed_size_list → list, so one cast handles every accepted layout."""
    if pa.types.is_list(array.type):
        return array
    return pc.cast(array, pa.list_(array.type.value_type))


def _check_metadata(metadata: pa.Array, reason: np.ndarray) -> None:
    sizes = pc.binary_length(metadata).fill_null(0).to_numpy(zero_copy_only=False)
    _mark(reason, sizes > rules.MAX_METADATA_BYTES, METADATA_TOO_BIG)
    candidates = np.flatnonzero(~_nulls(metadata) & (reason == OK))
    if not len(candidates):
        return
    # Decode straight from the Arrow buffers: offsets + UTF-8 data, one memoryview slice per row.
    _, offsets_buffer, data_buffer = metadata.buffers()
    offsets = np.frombuffer(offsets_buffer, dtype=np.int32, count=len(metadata) + 1, offset=metadata.offset * 4)
    data = memoryview(data_buffer) if data_buffer is not None else memoryview(b"")
    decode = _METADATA_DECODER.decode
    bad = []
    for row in candidates.tolist():
        try:
            decode(data[offsets[row] : offsets[row + 1]])
        except (msgspec.DecodeError, msgspec.ValidationError):
            bad.append(row)
    if bad:
        reason[bad] = METADATA_BAD


# -- reasons (only for the one row an abort reports) ------------------------------------------------------------


def readable_id(batch: pa.RecordBatch, row: int) -> str | None:
    """A refused row's id for reports, when it is a string at all."""
    value = batch.column(ID)[row].as_py()
    return value if isinstance(value, str) else None


def explain_row(batch: pa.RecordBatch, row: int, code: int, dimension: int | None) -> str:
    """The human-readable reason row ``row`` of ``batch`` was refused with ``code``."""
    record = {name: batch.column(name)[row].as_py() for name in batch.schema.names}
    if code == ID_NULL:
        return "id must not be null"
    if code == ID_BAD:
        return rules.id_problem(record[ID]) or "invalid id"
    if code == VALUES_NULL:
        return "values must not be null"
    if code == VALUES_ELEMENT_NULL:
        return "values must not contain nulls"
    if code in (VALUES_DIMENSION, VALUES_NON_FINITE):
        assert dimension is not None
        vector = np.asarray([np.nan if v is None else v for v in record[VALUES]], dtype=np.float64)
        with np.errstate(over="ignore"):
            return rules.dense_problem(vector.astype(np.float32), dimension) or "invalid values"
    if code == SPARSE_MISSING:
        return "sparse_values must hold at least one index and value for a sparse index"
    if code == SPARSE_ELEMENT_NULL:
        return "sparse_values must not contain nulls"
    if code == SPARSE_BAD:
        return _explain_sparse(record.get(SPARSE))
    if code == METADATA_TOO_BIG:
        text = record[METADATA]
        return rules.metadata_problem({}, len(text.encode())) or "metadata is too large"
    if code == METADATA_BAD:
        return _explain_metadata(record[METADATA])
    return "invalid record"


def _explain_sparse(sparse: dict[str, Any] | None) -> str:
    sparse = sparse or {}
    indices, values = sparse.get("indices") or [], sparse.get("values") or []
    if (sparse.get("indices") is None) != (sparse.get("values") is None):
        return "sparse_values must have both indices and values"
    with np.errstate(over="ignore"):
        problem = rules.sparse_problem(
            np.asarray(indices, dtype=np.int64) if all(i < 2**63 for i in indices) else np.asarray(indices),
            np.asarray(values, dtype=np.float64).astype(np.float32),
        )
    return problem or "invalid sparse_values"


def _explain_metadata(text: str) -> str:
    try:
        value = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        return f"metadata is not valid JSON: {exc}"
    return rules.metadata_problem(value, len(text.encode())) or "metadata values must be finite numbers"
