"""Vectorised row checks: every kind of bad row, the zero-copy fast path, and the abort explanations."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from spruce.imports.records import check_batch
from spruce.imports.schema import ColumnPlan, check_schema

DENSE = pa.schema([("id", pa.string()), ("values", pa.list_(pa.float32())), ("metadata", pa.string())])
SPARSE_T = pa.struct([("indices", pa.list_(pa.int64())), ("values", pa.list_(pa.float64()))])
SPARSE = pa.schema([("id", pa.string()), ("sparse_values", SPARSE_T)])
HYBRID = pa.schema([("id", pa.string()), ("values", pa.list_(pa.float32())), ("sparse_values", SPARSE_T)])


def batch(rows: list[dict[str, Any]], schema: pa.Schema = DENSE) -> tuple[pa.RecordBatch, ColumnPlan]:
    table = pa.Table.from_pylist(rows, schema=schema)
    kind = "sparse" if "values" not in schema.names else "dense"
    return table.to_batches()[0], check_schema(schema, kind)


def good(i: int, **extra: Any) -> dict[str, Any]:
    return {"id": f"r{i}", "values": [0.1 * i, 1.0, 2.0], **extra}


def test_all_good_is_zero_copy() -> None:
    values = np.arange(3000, dtype=np.float32).reshape(1000, 3)
    arr = pa.FixedSizeListArray.from_arrays(values.ravel(), 3).cast(pa.list_(pa.float32()))
    rb = pa.record_batch({"id": pa.array([str(i) for i in range(1000)]), "values": arr})
    checked = check_batch(rb, check_schema(rb.schema, "dense"), dimension=3, sparse_index=False, explain=True)
    assert checked.bad == 0 and checked.first_bad is None
    assert checked.rows is not None
    np.testing.assert_array_equal(checked.rows.values, values)
    assert not checked.rows.values.flags.owndata  # a view over the Arrow buffer, not a copy


def test_sliced_batch_keeps_alignment() -> None:
    rb, plan = batch([good(i) for i in range(10)])
    checked = check_batch(rb.slice(4, 3), plan, dimension=3, sparse_index=False, explain=True)
    assert checked.rows is not None
    assert checked.rows.ids.to_pylist() == ["r4", "r5", "r6"]
    np.testing.assert_allclose(checked.rows.values[:, 0], [0.4, 0.5, 0.6], rtol=1e-6)


BAD_DENSE = [
    ({"id": None, "values": [1, 2, 3]}, "id must not be null"),
    ({"id": "", "values": [1, 2, 3]}, "id must not be empty"),
    ({"id": "x" * 513, "values": [1, 2, 3]}, "id length 513 exceeds the maximum of 512"),
    ({"id": "a", "values": None}, "values must not be null"),
    ({"id": "a", "values": [1, 2]}, "Vector dimension 2 does not match the dimension of the index 3"),
    ({"id": "a", "values": []}, "Vector dimension 0 does not match the dimension of the index 3"),
    ({"id": "a", "values": [1, None, 3]}, "values must not contain nulls"),
    ({"id": "a", "values": [1, float("nan"), 3]}, "Vector values must be finite numbers (no NaN or infinity)"),
    ({"id": "a", "values": [1, float("inf"), 3]}, "Vector values must be finite numbers (no NaN or infinity)"),
    ({"id": "a", "values": [1, 2, 3], "metadata": "not json"}, "metadata is not valid JSON"),
    ({"id": "a", "values": [1, 2, 3], "metadata": ""}, "metadata is not valid JSON"),
    ({"id": "a", "values": [1, 2, 3], "metadata": "[1, 2]"}, "metadata must be a JSON object"),
    ({"id": "a", "values": [1, 2, 3], "metadata": '"text"'}, "metadata must be a JSON object"),
    ({"id": "a", "values": [1, 2, 3], "metadata": '{"a": null}'}, 'metadata field "a" is null'),
    ({"id": "a", "values": [1, 2, 3], "metadata": '{"a": {"b": 1}}'}, 'metadata field "a" has an unsupported type'),
    ({"id": "a", "values": [1, 2, 3], "metadata": '{"a": [1, 2]}'}, 'metadata field "a" is a list'),
    (
        {"id": "a", "values": [1, 2, 3], "metadata": json.dumps({"big": "x" * 41_000})},
        "metadata size is 41011 bytes, which exceeds the limit of 40960 bytes",
    ),
]


@pytest.mark.parametrize(("row", "reason"), BAD_DENSE, ids=[r for _, r in BAD_DENSE])
def test_bad_dense_rows(row: dict[str, Any], reason: str) -> None:
    rows = [good(0), row, good(2, metadata='{"ok": true, "n": 1.5, "tags": ["x"]}')]
    rb, plan = batch(rows)
    checked = check_batch(rb, plan, dimension=3, sparse_index=False, explain=True)
    assert checked.bad == 1
    assert checked.first_bad is not None
    assert checked.first_bad[0] == 1
    assert checked.first_bad[1].startswith(reason)
    assert checked.rows is not None
    assert checked.rows.ids.to_pylist() == ["r0", "r2"]
    assert checked.rows.values.shape == (2, 3)
    assert checked.rows.metadata.to_pylist() == [None, '{"ok": true, "n": 1.5, "tags": ["x"]}']


def test_float64_values_narrowed_and_overflow_refused() -> None:
    schema = pa.schema([("id", pa.string()), ("values", pa.list_(pa.float64()))])
    rb, plan = batch([{"id": "a", "values": [1.5, 2, 3]}, {"id": "b", "values": [1e300, 0, 0]}], schema)
    checked = check_batch(rb, plan, dimension=3, sparse_index=False, explain=True)
    assert checked.bad == 1 and checked.first_bad is not None and checked.first_bad[0] == 1
    assert checked.rows is not None and checked.rows.values.dtype == np.float32
    np.testing.assert_array_equal(checked.rows.values, [[1.5, 2, 3]])


def test_all_bad_batch_has_no_rows() -> None:
    rb, plan = batch([{"id": None, "values": [1, 2, 3]}, {"id": "b", "values": [1]}])
    checked = check_batch(rb, plan, dimension=3, sparse_index=False, explain=False)
    assert checked.rows is None and checked.bad == 2 and checked.first_bad is None


def sparse_row(rid: str | None, indices: Any, values: Any) -> dict[str, Any]:
    return {"id": rid, "sparse_values": None if indices is values is None else {"indices": indices, "values": values}}


BAD_SPARSE = [
    (sparse_row("a", None, None), "sparse_values must hold at least one index"),
    (sparse_row("a", [], []), "sparse_values must hold at least one index"),
    (sparse_row("a", [1, 2], [0.5]), "Sparse vector indices and values must have the same length"),
    (sparse_row("a", [1, 2], None), "sparse_values must have both indices and values"),
    (sparse_row("a", [1, 1], [0.5, 0.5]), "Sparse vector indices must be unique"),
    (sparse_row("a", [-1], [0.5]), "Sparse vector indices must be unsigned 32-bit integers"),
    (sparse_row("a", [2**32], [0.5]), "Sparse vector indices must be unsigned 32-bit integers"),
    (sparse_row("a", [1], [float("nan")]), "Sparse vector values must be finite"),
    (sparse_row("a", [1], [1e300]), "Sparse vector values must be finite"),
    (sparse_row("a", [1, None], [0.5, 0.5]), "sparse_values must not contain nulls"),
    (
        sparse_row("a", list(range(2049)), [1.0] * 2049),
        "Sparse vector has 2049 non-zero values, more than the maximum of 2048",
    ),
]


@pytest.mark.parametrize(("row", "reason"), BAD_SPARSE, ids=[r for _, r in BAD_SPARSE])
def test_bad_sparse_rows(row: dict[str, Any], reason: str) -> None:
    rows = [sparse_row("ok0", [5, 3], [1.0, 2.0]), row, sparse_row("ok2", [2**32 - 1], [0.5])]
    rb, plan = batch(rows, SPARSE)
    checked = check_batch(rb, plan, dimension=None, sparse_index=True, explain=True)
    assert checked.bad == 1
    assert checked.first_bad is not None and checked.first_bad[0] == 1
    assert checked.first_bad[1].startswith(reason)
    assert checked.rows is not None and checked.rows.values is None
    assert checked.rows.sparse_indices.type == pa.list_(pa.uint32())
    assert checked.rows.sparse_values.type == pa.list_(pa.float32())
    assert checked.rows.sparse_indices.to_pylist() == [[5, 3], [2**32 - 1]]


def test_hybrid_rows_may_omit_sparse() -> None:
    rows = [
        {"id": "a", "values": [1, 2, 3], "sparse_values": None},
        {"id": "b", "values": [1, 2, 3], "sparse_values": {"indices": [1], "values": [0.5]}},
        {"id": "c", "values": [1, 2, 3], "sparse_values": {"indices": [1, 1], "values": [0.5, 0.5]}},
    ]
    rb, plan = batch(rows, HYBRID)
    checked = check_batch(rb, plan, dimension=3, sparse_index=False, explain=True)
    assert checked.bad == 1 and checked.first_bad is not None and checked.first_bad[0] == 2
    assert checked.rows is not None
    assert checked.rows.sparse_indices.to_pylist() == [None, [1]]


def test_first_rule_wins_and_many_bad_rows_counted() -> None:
    rows = [{"id": None, "values": [1]} for _ in range(50)] + [good(i) for i in range(50)]
    rb, plan = batch(rows)
    checked = check_batch(rb, plan, dimension=3, sparse_index=False, explain=True)
    assert checked.bad == 50
    assert checked.first_bad == (0, "id must not be null")
