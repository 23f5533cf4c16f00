"""A RowSet is an immutable, positional block of records: a sealed segment or a memtable snapshot.

Search, filtering and fetching work on RowSets only, so the planner treats both the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from spruce.engine.metacols import MetaColumns
from spruce.engine.records import Record

if TYPE_CHECKING:
    from spruce.engine.ann import Ann


@dataclass(slots=True)
class Sparse:
    """CSR rows; ``by_dim`` is the same data sorted by dimension (an inverted index) for query scoring."""

    indptr: np.ndarray  # int64 (n+1)
    indices: np.ndarray  # uint32
    values: np.ndarray  # float32
    _by_dim: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def by_dim(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self._by_dim is None:
            order = np.argsort(self.indices, kind="stable")
            rows = np.repeat(np.arange(len(self.indptr) - 1), np.diff(self.indptr))
            self._by_dim = (self.indices[order], rows[order], self.values[order])
        return self._by_dim

    def scores(self, n: int, q_idx: np.ndarray, q_val: np.ndarray) -> np.ndarray:
        """Sparse dot product of the query with every row (float32 (n,))."""
        dims, rows, vals = self.by_dim()
        lo = np.searchsorted(dims, q_idx, "left")
        hi = np.searchsorted(dims, q_idx, "right")
        counts = hi - lo
        total = int(counts.sum())
        if total == 0:
            return np.zeros(n, dtype=np.float32)
        # Positions of every posting hit by the query, without a Python loop over query terms.
        starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
        pos = starts + np.arange(total)
        weights = vals[pos] * np.repeat(q_val, counts)
        return np.bincount(rows[pos], weights=weights, minlength=n).astype(np.float32)


class RowSet:
    def __init__(
        self,
        *,
        no: int,
        ids: list[str],
        vectors: np.ndarray | None,
        norms: np.ndarray | None,
        sparse: Sparse | Callable[[], Sparse | None] | None,
        metadata: Callable[[int], bytes | None],
        cols: MetaColumns | Callable[[], MetaColumns],
    ) -> None:
        self.no = no
        self.n = len(ids)
        self.ids = ids
        self.vectors = vectors
        self.norms = norms
        self._sparse = sparse
        self._metadata = metadata
        self._cols = cols
        self.ann: Ann | None = None
        # Arrow columns of a sealed segment (merges copy rows from these); None for memtable snapshots.
        self.raw_ids: pa.Array | None = None
        self.raw_metadata: pa.Array | None = None
        self.raw_sparse: tuple[pa.Array, pa.Array] | None = None
        self._sorted: tuple[list[str], np.ndarray] | None = None
        self._created = time.monotonic()

    def age(self) -> float:
        """Seconds since this RowSet was made (opened, for segments loaded at start)."""
        return time.monotonic() - self._created

    @property
    def sparse(self) -> Sparse | None:
        if callable(self._sparse):
            self._sparse = self._sparse()
        return self._sparse

    @property
    def cols(self) -> MetaColumns:
        if callable(self._cols):
            self._cols = self._cols()
        return self._cols

    def metadata(self, row: int) -> bytes | None:
        return self._metadata(row)

    def record(self, row: int, values: bool = True, metadata: bool = True) -> Record:
        rec = Record(self.ids[row])
        if values:
            if self.vectors is not None:
                rec.values = np.array(self.vectors[row], dtype=np.float32)
            sp = self.sparse
            if sp is not None:
                a, b = sp.indptr[row], sp.indptr[row + 1]
                if b > a:
                    rec.sparse_indices = sp.indices[a:b].copy()
                    rec.sparse_values = sp.values[a:b].copy()
        if metadata:
            rec.metadata = self._metadata(row)
        return rec

    def sorted_ids(self) -> tuple[list[str], np.ndarray]:
        """Ids in byte order (Python str order is code-point order, which is UTF-8 byte order) and their rows."""
        if self._sorted is None:
            order = sorted(range(self.n), key=self.ids.__getitem__)
            self._sorted = ([self.ids[i] for i in order], np.asarray(order, dtype=np.int64))
        return self._sorted
