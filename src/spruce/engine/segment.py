"""Sealed segments: one Arrow IPC file of records plus one of typed metadata columns, both immutable.

Record file columns: id (string), values (fixed_size_list<float32>[dim], dense indexes only), norm (float32),
sparse_indices (list<uint32>), sparse_values (list<float32>), metadata (string, raw JSON).
Files are memory-mapped on load, so vectors live in the page cache rather than the heap.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from spruce.engine.metacols import MetaColumns
from spruce.engine.rowset import RowSet, Sparse
from spruce.storage.datadir import DataDir


def seg_key(ns_dir: str, no: int, suffix: str = "arrow") -> str:
    return f"{ns_dir}/seg-{no:08d}.{suffix}"


def _write_ipc(dd: DataDir, key: str, table: pa.Table) -> None:
    def produce(path: str) -> None:
        with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table, max_chunksize=max(table.num_rows, 1))

    # The directory entry is made durable once for both files, by the caller's sync_dir before its manifest commit.
    dd.write_atomic_with(key, produce, sync_dir=False)


def _read_ipc(dd: DataDir, key: str) -> pa.Table:
    return pa.ipc.open_file(dd.read_buffer(key)).read_all()


def norms_of(values: np.ndarray) -> np.ndarray:
    # einsum: no n x d temporary of squares. np.linalg.norm took 1.8 s (and 600 MB) of a 200k x 768 import.
    return np.sqrt(np.einsum("ij,ij->i", values, values)).astype(np.float32, copy=False)


def write_segment(
    dd: DataDir,
    ns_dir: str,
    no: int,
    *,
    ids: pa.Array,
    values: np.ndarray | None,
    sparse_indices: pa.Array | None,
    sparse_values: pa.Array | None,
    metadata: pa.Array,
    cols: MetaColumns,
    norms: np.ndarray | None = None,
) -> None:
    """Write both files durably (``norms``: of ``values``, when the caller has them already).

    Not visible until a manifest names the segment: the directory is synced once for both files here, and the
    manifest commit that follows is the commit point.
    """
    n = len(ids)
    arrays: dict[str, pa.Array] = {"id": ids.cast(pa.string())}
    if values is not None:
        values = np.ascontiguousarray(values, dtype=np.float32)
        dim = values.shape[1]
        arrays["values"] = pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), dim)
        arrays["norm"] = pa.array(norms_of(values) if norms is None else np.asarray(norms, np.float32))
    if sparse_indices is None:
        sparse_indices = pa.nulls(n, pa.list_(pa.uint32()))
        sparse_values = pa.nulls(n, pa.list_(pa.float32()))
    assert sparse_values is not None
    arrays["sparse_indices"] = sparse_indices.cast(pa.list_(pa.uint32()))
    arrays["sparse_values"] = sparse_values.cast(pa.list_(pa.float32()))
    arrays["metadata"] = metadata.cast(pa.string())
    _write_ipc(dd, seg_key(ns_dir, no), pa.table(arrays))
    _write_ipc(dd, seg_key(ns_dir, no, "cols.arrow"), cols.to_arrow())
    dd.sync_dir(ns_dir)


def _one_chunk(col: pa.ChunkedArray) -> pa.Array:
    return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()


def load_segment(dd: DataDir, ns_dir: str, no: int, cols: MetaColumns | None = None) -> RowSet:
    """Open a sealed segment memory-mapped; ``cols``: its filter columns when the writer still has them (reading
    them back rebuilt the same dictionaries in Python)."""
    table = _read_ipc(dd, seg_key(ns_dir, no))
    n = table.num_rows
    raw_ids = _one_chunk(table.column("id"))
    ids = raw_ids.to_pylist() if n else []
    vectors = norms = None
    if "values" in table.column_names:
        fsl = _one_chunk(table.column("values"))
        dim = fsl.type.list_size
        vectors = fsl.values.to_numpy(zero_copy_only=True).reshape(n, dim) if n else np.zeros((0, dim), np.float32)
        norms = _one_chunk(table.column("norm")).to_numpy(zero_copy_only=True) if n else np.zeros(0, np.float32)
    sp_i = _one_chunk(table.column("sparse_indices"))
    sp_v = _one_chunk(table.column("sparse_values"))
    meta = _one_chunk(table.column("metadata"))

    def sparse() -> Sparse | None:
        return sparse_from_arrow(sp_i, sp_v)

    def metadata(row: int) -> bytes | None:
        s = meta[row]
        return s.as_buffer().to_pybytes() if s.is_valid else None

    def read_cols() -> MetaColumns:
        return MetaColumns.from_arrow(_read_ipc(dd, seg_key(ns_dir, no, "cols.arrow")))

    rs = RowSet(no=no, ids=ids, vectors=vectors, norms=norms, sparse=sparse, metadata=metadata, cols=cols or read_cols)
    rs.cols  # noqa: B018  (load filter columns now, not on the first query)
    rs.raw_ids = raw_ids
    rs.raw_metadata = meta
    rs.raw_sparse = (sp_i, sp_v)
    return rs


def sparse_from_arrow(sp_i: pa.Array, sp_v: pa.Array) -> Sparse | None:
    if sp_i.null_count == len(sp_i):
        return None
    lengths = pc.list_value_length(sp_i).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    indptr = np.zeros(len(sp_i) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    indices = sp_i.flatten().to_numpy(zero_copy_only=False).astype(np.uint32, copy=False)
    values = sp_v.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return Sparse(indptr, indices, values)


def remove_segment_files(dd: DataDir, ns_dir: str, no: int) -> None:
    for suffix in ("arrow", "cols.arrow", "faiss"):
        dd.remove(seg_key(ns_dir, no, suffix))
