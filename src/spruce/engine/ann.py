"""Approximate nearest-neighbour index of one sealed segment: faiss HNSW M16 (flat storage).

Measured with bench/engine_bench.py on this 2-core box (200k x 768, clustered embedding-like data, load avg 5-9
from other jobs, so absolute times are pessimistic):
  HNSW M16 efC40: build 140 s; top-10 p50 0.66 ms at recall 0.973 (ef 96); with IDSelectorBitmap at 10%
    selectivity 1.7 ms at recall 0.989 (ef grown by the planner); restart 0.2 s (index file memory-mapped).
  IVF-Flat nlist 1788: train + add 105 s; nprobe 8 0.79 ms at recall 0.993, nprobe 16 1.2 ms.
  On isotropic (unclustered) data IVF collapsed (nprobe 64: 6 ms, recall 0.53) while HNSW degraded less.
IVF would be a fair choice on well-clustered data; HNSW is kept because it needs no training (small segments
and skewed data give k-means nothing to stand on), its recall does not hinge on cluster quality, and an
ARCHITECTURE.md run measured the same ordering. Builds run in the background on sealed segments while exact
scans keep queries correct; selective filters, where a walk with a selector loses recall, go to exact scans.
"""

from __future__ import annotations

import threading

import faiss
import numpy as np

from spruce.storage.datadir import DataDir

_CHUNK = 8_192  # close() waits at most one chunk of an index build


class Ann:
    """HNSW over one segment. Cosine: inner product of unit vectors. Euclidean: L2 (faiss returns squared).

    Dot product: HNSW on raw inner products walks a non-metric graph and lost recall in tests (0.90 at 10%
    selectivity), so vectors get one extra coordinate sqrt(M^2 - |x|^2) (M = largest norm) and the walk is L2 on
    those: |x' - q'|^2 = M^2 + |q|^2 - 2 x.q, the same order as x.q (the classic MIPS-to-NN reduction).
    """

    def __init__(self, index: faiss.Index, metric: str, max_norm: float = 0.0) -> None:
        self.index = index
        self.metric = metric
        self.max_norm = max_norm

    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        norms: np.ndarray,
        metric: str,
        m: int,
        ef_construction: int,
        stop: threading.Event | None = None,
    ) -> Ann | None:
        """Build in chunks so a shutdown request is honoured within one chunk; None if stopped."""
        dim = vectors.shape[1]
        max_norm = float(norms.max()) if metric == "dotproduct" and len(norms) else 0.0
        if metric == "cosine":
            index = faiss.IndexHNSWFlat(dim, m, faiss.METRIC_INNER_PRODUCT)
        else:
            index = faiss.IndexHNSWFlat(dim + (metric == "dotproduct"), m, faiss.METRIC_L2)
        index.hnsw.efConstruction = ef_construction
        for start in range(0, len(vectors), _CHUNK):
            if stop is not None and stop.is_set():
                return None
            chunk = np.ascontiguousarray(vectors[start : start + _CHUNK], dtype=np.float32)
            if metric == "cosine":
                chunk = _normalized(chunk, norms[start : start + _CHUNK])
            elif metric == "dotproduct":
                n2 = norms[start : start + _CHUNK].astype(np.float64) ** 2
                extra = np.sqrt(np.maximum(max_norm**2 - n2, 0.0)).astype(np.float32)
                chunk = np.hstack([chunk, extra[:, None]])
            index.add(chunk)
        return cls(index, metric, max_norm)

    def search(self, query: np.ndarray, k: int, ef: int, bitmap: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) best first; ``bitmap`` is a little-endian packed mask of admissible rows."""
        params = faiss.SearchParametersHNSW()
        params.efSearch = max(ef, k)
        if bitmap is not None:
            params.sel = faiss.IDSelectorBitmap(self.index.ntotal, faiss.swig_ptr(bitmap))
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        if self.metric == "dotproduct":
            q = np.hstack([q, np.zeros((1, 1), np.float32)])
        dist, labels = self.index.search(q, k, params=params)
        keep = labels[0] >= 0
        rows, scores = labels[0][keep], dist[0][keep]
        if self.metric == "dotproduct":  # approximate; the planner rescores these rows exactly
            scores = (self.max_norm**2 + float(query @ query) - scores) / 2
        return rows, scores

    def write(self, path: str) -> None:
        # Straight to the file: serialize_index + tobytes held two extra copies of the index (~1.3 GB at 200k x 768).
        faiss.write_index(self.index, path)

    @classmethod
    def load(cls, dd: DataDir, key: str, metric: str, norms: np.ndarray) -> Ann:
        max_norm = float(norms.max()) if metric == "dotproduct" and len(norms) else 0.0
        path = dd.local_path(key)
        if path is None:
            return cls(faiss.deserialize_index(np.frombuffer(dd.read_bytes(key), dtype=np.uint8)), metric, max_norm)
        # Memory-map the vectors instead of copying them: restart in ~0.1 s instead of ~3 s for 200k x 768,
        # and the vectors live in the page cache. Safe because index files are immutable once written.
        return cls(faiss.read_index(path, faiss.IO_FLAG_MMAP_IFC), metric, max_norm)


def _normalized(x: np.ndarray, norms: np.ndarray) -> np.ndarray:
    safe = np.where(norms > 0, norms, 1.0).astype(np.float32)
    return x / safe[:, None]
