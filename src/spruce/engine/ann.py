"""Approximate nearest-neighbour index of one sealed segment: faiss IVF-Flat (k-means lists, exact distances).

Why IVF and not HNSW, measured on this 2-core box (bench/engine_bench.py data: clustered embedding-like 768-d):
  100k vectors, load avg ~4.4:  HNSW M16 efC40 build 30.8 s (3.2k/s), ef 96 recall 0.983 at 0.36 ms;
                                HNSW-SQ8 M16 efC40 28.0 s, recall 0.974 (vectors 4x smaller, build no faster);
                                HNSW efC24 21.3 s but recall 0.935; IVF-Flat 632 lists (2 sqrt n, 10 k-means
                                iterations on 40k rows) train + add 7.7 s (13k/s), nprobe 8 recall 0.993 at 0.38 ms.
  The build is what an import waits for before queries are fast (HNSW at 200k: 60-100 s, 10-40x the raw scan),
  so the 4x cheaper build decides it. Filters suit IVF too: a bitmap selector only skips rows inside the probed
  lists, so recall is kept by probing more lists as the filter gets selective (the planner's nprobe grows with
  1/selectivity) instead of an HNSW walk that loses its way among excluded nodes.
  Caveat (measured earlier): on isotropic, unclustered data IVF degrades more than HNSW (nprobe 64: recall 0.53);
  real embeddings are clustered, and the planner's exact scans still cover selective filters.
Index files are memory-mapped on load (IO_FLAG_MMAP_IFC: a 200k index costs ~8 MB of heap, not 600 MB).
"""

from __future__ import annotations

import threading

import faiss
import numpy as np

from spruce.storage.datadir import DataDir

_CHUNK = 8_192  # close() waits at most one chunk of an index build (after training)
# k-means on 24 rows per list for 6 iterations: 200k x 768 build 7.3 s vs 13.7 s with faiss's usual 48+ rows and
# 10 iterations, at the same recall (0.998 at nprobe 8, 0.999 at 16); lists need not be good, only consistent.
_TRAIN_PER_LIST = 24
_KMEANS_ITERS = 6


def n_lists(n: int) -> int:
    """2 sqrt(n) lists: ~450 rows per list at 200k, so nprobe 16 scans ~3.5% of a segment."""
    return max(1, min(4096, int(2 * np.sqrt(n))))


class Ann:
    """IVF over one segment. Cosine: inner product of unit vectors. Euclidean: L2 (faiss returns squared).

    Dot product: raw inner products make k-means lists that favour long vectors, so vectors get one extra
    coordinate sqrt(M^2 - |x|^2) (M = largest norm) and the index is L2 on those: |x' - q'|^2 = M^2 + |q|^2 - 2 x.q,
    the same order as x.q (the classic MIPS-to-NN reduction).
    """

    def __init__(self, index: faiss.Index, metric: str, max_norm: float = 0.0) -> None:
        self.index = index
        self.metric = metric
        self.max_norm = max_norm

    @classmethod
    def build(
        cls, vectors: np.ndarray, norms: np.ndarray, metric: str, stop: threading.Event | None = None
    ) -> Ann | None:
        """Train on a sample, then add in chunks so a shutdown request is honoured within one chunk; None if
        stopped."""
        n, dim = vectors.shape
        max_norm = float(norms.max()) if metric == "dotproduct" and n else 0.0
        nlist = n_lists(n)
        if metric == "cosine":
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
            index.cp.spherical = True
        else:
            d = dim + (metric == "dotproduct")
            index = faiss.IndexIVFFlat(faiss.IndexFlatL2(d), d, nlist, faiss.METRIC_L2)
        index.cp.niter = _KMEANS_ITERS
        index.cp.max_points_per_centroid = _TRAIN_PER_LIST
        index.cp.min_points_per_centroid = 1  # a deliberate sample size, not a mistake to warn about
        sample = np.sort(np.random.default_rng(0).choice(n, min(n, _TRAIN_PER_LIST * nlist), replace=False))
        index.train(_prepared(vectors[sample], norms[sample], metric, max_norm))
        # Assign every row first and size each list exactly, then add with the assignments: appending chunk by
        # chunk grew the lists geometrically (0.92 GB of heap for 200k x 768's 0.6 GB of vectors).
        lists = np.empty(n, np.int64)
        for start in range(0, n, _CHUNK):
            if stop is not None and stop.is_set():
                return None
            end = min(n, start + _CHUNK)
            chunk = _prepared(vectors[start:end], norms[start:end], metric, max_norm)
            lists[start:end] = index.quantizer.assign(chunk, 1)[:, 0]
        invlists = faiss.downcast_InvertedLists(index.invlists)
        for no, count in enumerate(np.bincount(lists, minlength=nlist).tolist()):
            invlists.resize(no, count)  # allocates exactly...
            invlists.resize(no, 0)  # ...and std::vector keeps that capacity when shrunk
        for start in range(0, n, _CHUNK):
            if stop is not None and stop.is_set():
                return None
            end = min(n, start + _CHUNK)
            chunk = _prepared(vectors[start:end], norms[start:end], metric, max_norm)
            index.add_core(end - start, faiss.swig_ptr(chunk), None, faiss.swig_ptr(lists[start:end]))
        return cls(index, metric, max_norm)

    def search(
        self, query: np.ndarray, k: int, nprobe: int, bitmap: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) best first; ``bitmap`` is a little-endian packed mask of admissible rows."""
        params = faiss.SearchParametersIVF()
        params.nprobe = max(1, min(nprobe, self.index.nlist))
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
        # Memory-map the inverted lists instead of copying them: restart in ~0.1 s instead of ~3 s for 200k x 768,
        # and the vectors live in the page cache. Safe because index files are immutable once written.
        return cls(faiss.read_index(path, faiss.IO_FLAG_MMAP_IFC), metric, max_norm)


def _prepared(x: np.ndarray, norms: np.ndarray, metric: str, max_norm: float) -> np.ndarray:
    """Rows as the index sees them: unit length (cosine), with the MIPS coordinate (dot product), or as they are."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    if metric == "cosine":
        safe = np.where(norms > 0, norms, 1.0).astype(np.float32)
        return x / safe[:, None]
    if metric == "dotproduct":
        extra = np.sqrt(np.maximum(max_norm**2 - norms.astype(np.float64) ** 2, 0.0)).astype(np.float32)
        return np.hstack([x, extra[:, None]])
    return x
