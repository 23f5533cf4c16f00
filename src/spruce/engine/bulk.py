"""Turning an import batch into segment columns: dedupe ids (last wins), normalise sparse parts, type metadata."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from spruce.engine.metacols import MetaColumns
from spruce.engine.records import BulkBatch
from spruce.errors import InvalidArgument


def prepare_bulk(batch: BulkBatch, dimension: int | None) -> dict[str, object]:
    ids = batch.ids
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    ids = ids.cast(pa.string())
    n = len(ids)
    values = batch.values
    if dimension is not None:
        if values is None or values.shape != (n, dimension):
            shape = None if values is None else values.shape
            raise InvalidArgument(f"bulk batch values have shape {shape}, expected ({n}, {dimension})")
        values = np.ascontiguousarray(values, dtype=np.float32)
    else:
        values = None
    sp_i, sp_v = batch.sparse_indices, batch.sparse_values
    if sp_i is not None:
        sp_i = _array(sp_i).cast(pa.list_(pa.uint32()))
        sp_v = _array(sp_v).cast(pa.list_(pa.float32()))
        # Empty lists mean "no sparse part", like nulls.
        empty = pc.equal(pc.list_value_length(sp_i).fill_null(0), 0)
        sp_i = pc.if_else(empty, pa.scalar(None, sp_i.type), sp_i)
        sp_v = pc.if_else(empty, pa.scalar(None, sp_v.type), sp_v)
    meta = batch.metadata
    meta = pa.nulls(n, pa.string()) if meta is None else _array(meta).cast(pa.string())

    # Last occurrence of each id wins. Imports arrive deduplicated, so check in C++ first (count_distinct: ~1 ms per
    # 10k ids) before the dict that finds the last of each (~4 ms per 10k, a Python str per id).
    if pc.count_distinct(ids).as_py() < n:
        last = dict(zip(ids.to_pylist(), range(n), strict=True))
        keep = pa.array(np.fromiter(sorted(last.values()), np.int64, len(last)))
        ids, meta = ids.take(keep), meta.take(keep)
        values = None if values is None else values[keep.to_numpy()]
        if sp_i is not None:
            sp_i, sp_v = sp_i.take(keep), sp_v.take(keep)
    return {
        "ids": ids,
        "values": values,
        "sparse_indices": sp_i,
        "sparse_values": sp_v,
        "metadata": meta,
        "cols": MetaColumns.from_json(meta, len(meta)),
    }


def _array(a: pa.Array | pa.ChunkedArray) -> pa.Array:
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
