"""The memtable: recent small writes, append-only rows, scanned exactly. Mutated only under the namespace locks."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from spruce.engine.metacols import MetaColumns
from spruce.engine.records import Record
from spruce.engine.rowset import RowSet, Sparse

MEMTABLE_NO = -1


class Memtable:
    def __init__(self, dim: int | None) -> None:
        self.dim = dim
        self.ids: list[str] = []
        self.rows: dict[str, int] = {}  # live id -> row
        self.sp_idx: list[np.ndarray | None] = []
        self.sp_val: list[np.ndarray | None] = []
        self.meta: list[bytes | None] = []
        self.docs: list[dict[str, object] | None] = []
        cap = 256
        self.vectors = np.zeros((cap, dim), np.float32) if dim else None
        self.norms = np.zeros(cap, np.float32)
        self.deleted = np.zeros(cap, bool)
        self.nbytes = 0
        self._snap: tuple[RowSet, np.ndarray | None] | None = None
        self._deleted_shared = False  # a snapshot holds self.deleted: copy before the next write to it

    def __len__(self) -> int:
        return len(self.rows)

    def _grow(self) -> None:
        cap = len(self.deleted) * 2
        # New arrays, never resized in place: snapshots keep views of the old ones.
        if self.vectors is not None:
            v = np.zeros((cap, self.vectors.shape[1]), np.float32)
            v[: len(self.ids)] = self.vectors[: len(self.ids)]
            self.vectors = v
        for name in ("norms", "deleted"):
            old = getattr(self, name)
            new = np.zeros(cap, old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def put(self, rec: Record, doc: dict[str, object] | None) -> None:
        self.remove(rec.id)
        row = len(self.ids)
        if row == len(self.deleted):
            self._grow()
        self.ids.append(rec.id)
        self.rows[rec.id] = row
        if self.vectors is not None and rec.values is not None:
            self.vectors[row] = rec.values
            self.norms[row] = np.linalg.norm(rec.values)
            self.nbytes += rec.values.nbytes
        self.sp_idx.append(rec.sparse_indices)
        self.sp_val.append(rec.sparse_values)
        self.meta.append(rec.metadata)
        self.docs.append(doc)
        self.nbytes += len(rec.id) + (len(rec.metadata) if rec.metadata else 0)
        if rec.sparse_indices is not None:
            self.nbytes += 8 * len(rec.sparse_indices)
        self._snap = None

    def remove(self, id: str) -> bool:
        row = self.rows.pop(id, None)
        if row is None:
            return False
        if self._deleted_shared:  # copy-on-write: a published snapshot keeps its own deletion mask
            self.deleted = self.deleted.copy()
            self._deleted_shared = False
        self.deleted[row] = True
        self._snap = None
        return True

    def snapshot(self) -> tuple[RowSet, np.ndarray | None]:
        if self._snap is None:
            n = len(self.ids)
            ids = self.ids[:n]
            sp_idx, sp_val, meta, docs = self.sp_idx[:n], self.sp_val[:n], self.meta[:n], self.docs[:n]
            rs = RowSet(
                no=MEMTABLE_NO,
                ids=ids,
                vectors=None if self.vectors is None else self.vectors[:n],
                norms=self.norms[:n],
                sparse=lambda: _sparse(sp_idx, sp_val),
                metadata=meta.__getitem__,
                cols=lambda: MetaColumns.from_dicts(docs),
            )
            deleted = self.deleted[:n]
            self._deleted_shared = True
            self._snap = (rs, deleted if deleted.any() else None)
        return self._snap

    def live_columns(self) -> dict[str, object]:
        """Live rows as columns for sealing into a segment."""
        rows = np.fromiter(sorted(self.rows.values()), dtype=np.int64, count=len(self.rows))
        idx = [self.sp_idx[r] for r in rows]
        val = [self.sp_val[r] for r in rows]
        has_sparse = any(i is not None for i in idx)
        return {
            "ids": pa.array([self.ids[r] for r in rows], pa.string()),
            "values": None if self.vectors is None else self.vectors[rows],
            "norms": None if self.vectors is None else self.norms[rows],
            "sparse_indices": pa.array([None if i is None else i.tolist() for i in idx], pa.list_(pa.uint32()))
            if has_sparse
            else None,
            "sparse_values": pa.array([None if v is None else v.tolist() for v in val], pa.list_(pa.float32()))
            if has_sparse
            else None,
            "metadata": pa.array([self.meta[r] for r in rows], pa.binary()).cast(pa.string()),
            "cols": MetaColumns.from_dicts([self.docs[r] for r in rows]),
        }


def _sparse(idx: list[np.ndarray | None], val: list[np.ndarray | None]) -> Sparse | None:
    if all(i is None for i in idx):
        return None
    lengths = np.array([0 if i is None else len(i) for i in idx], dtype=np.int64)
    indptr = np.zeros(len(idx) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    parts_i = [i for i in idx if i is not None]
    parts_v = [v for v in val if v is not None]
    indices = np.concatenate(parts_i).astype(np.uint32) if parts_i else np.zeros(0, np.uint32)
    values = np.concatenate(parts_v).astype(np.float32) if parts_v else np.zeros(0, np.float32)
    return Sparse(indptr, indices, values)
