"""Embedding-like data written as Parquet in Pinecone's import schema, with exact ground truth, cached by parameters.

Why not uniform random vectors: in 768 dimensions they are all nearly orthogonal, so "nearest neighbours" carry no
structure and every ANN index looks either perfect or hopeless. Real embeddings live near a low-dimensional manifold
with clusters; we imitate that with clustered rank-``rank`` latents through one fixed random projection, plus
isotropic noise (~20 % of the energy), then L2-normalise (cosine = inner product everywhere below).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from compare.filters import CASES, mask
from compare.params import K, Params
from compare.truth import TopK

_CHUNK = 25_000
_CATEGORIES = np.array([f"cat_{i}" for i in range(10)])
_TAGS = [f"tag_{i}" for i in range(20)]

SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("values", pa.list_(pa.float32()), nullable=False),
    pa.field("metadata", pa.string()),
])


@dataclass
class Generator:
    """Deterministic source of vectors: the same params give the same data, chunk by chunk."""

    params: Params

    def __post_init__(self) -> None:
        p = self.params
        rng = np.random.default_rng(p.seed)
        self.projection = (rng.standard_normal((p.rank, p.dim)) / np.sqrt(p.rank)).astype(np.float32)
        self.centers = rng.standard_normal((1000, p.rank)).astype(np.float32)
        # A decaying spectrum: a few latent directions dominate, as in real embedding models.
        self.scale = (1.0 / np.sqrt(1.0 + np.arange(p.rank) / 8.0)).astype(np.float32)

    def vectors(self, rng: np.random.Generator, n: int) -> np.ndarray:
        p = self.params
        z = self.centers[rng.integers(0, len(self.centers), n)] + 0.7 * rng.standard_normal((n, p.rank), np.float32)
        x = (z * self.scale) @ self.projection
        # Per-dimension signal variance is mean(scale^2) * (1 + 0.7^2); noise gets a quarter of that.
        noise_sd = np.sqrt(0.25 * float(np.mean(self.scale**2)) * 1.49)
        x += noise_sd * rng.standard_normal((n, p.dim), np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        return x.astype(np.float32, copy=False)


def _metadata(rng: np.random.Generator, start: int, n: int) -> tuple[dict[str, np.ndarray], list[str]]:
    """Typed columns (for exact filter masks) and the JSON strings Pinecone's schema carries."""
    cat = _CATEGORIES[rng.integers(0, 10, n)]
    bucket = rng.integers(0, 1000, n).astype(np.int64)
    in_stock = rng.random(n) < 0.5
    price = np.round(rng.gamma(2.0, 20.0, n), 2)
    ntags = rng.integers(1, 4, n)
    tag_ids = rng.integers(0, len(_TAGS), (n, 3))
    docs = []
    for i in range(n):
        tags = ",".join(f'"{_TAGS[t]}"' for t in tag_ids[i, : ntags[i]])
        docs.append(
            f'{{"title":"doc {start + i}","category":"{cat[i]}","bucket":{bucket[i]},'
            f'"price":{price[i]},"in_stock":{"true" if in_stock[i] else "false"},"tags":[{tags}]}}'
        )
    return {"category": cat, "bucket": bucket, "in_stock": in_stock}, docs


def _record_batch(ids: list[str], x: np.ndarray, docs: list[str]) -> pa.RecordBatch:
    offsets = pa.array(np.arange(0, x.size + 1, x.shape[1], dtype=np.int32))
    values = pa.ListArray.from_arrays(offsets, pa.array(x.reshape(-1)))
    return pa.RecordBatch.from_arrays([pa.array(ids, pa.string()), values, pa.array(docs, pa.string())],
                                      schema=SCHEMA)


def _chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(size, total - start)


def ensure(params: Params, log: bool = True) -> Params:
    """Generate (or reuse) the dataset, queries and ground truth for ``params``."""
    done = params.data_dir / "DONE"
    if done.exists():
        return params
    t0 = time.perf_counter()
    tmp = params.data_dir.with_name(params.data_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "import" / "__default__").mkdir(parents=True)
    gen = Generator(params)
    queries = gen.vectors(np.random.default_rng([params.seed, 1_000_000]), params.nq)
    tops = {c.name: TopK(params.nq, K) for c in CASES}
    counts = dict.fromkeys(tops, 0)
    per_file = -(-params.n // params.files)
    row_group = -(-per_file // params.row_groups)
    for f in range(params.files):
        lo, hi = f * per_file, min(params.n, (f + 1) * per_file)
        path = tmp / "import" / "__default__" / f"part-{f:04d}.parquet"
        with pq.ParquetWriter(path, SCHEMA, compression="snappy") as writer:
            for start, n in _chunks(hi - lo, _CHUNK):
                rng = np.random.default_rng([params.seed, f, start])
                first = lo + start
                x = gen.vectors(rng, n)
                cols, docs = _metadata(rng, first, n)
                writer.write_batch(_record_batch([f"v{i}" for i in range(first, first + n)], x, docs),
                                   row_group_size=row_group)
                scores = queries @ x.T
                for case in CASES:
                    m = mask(case.pinecone, cols)
                    counts[case.name] += int(m.sum())
                    tops[case.name].push(scores, np.arange(first, first + n), m)
        if log:
            print(f"  wrote {path.name} ({hi - lo} rows) {time.perf_counter() - t0:.0f}s", flush=True)
    np.savez(
        tmp / "truth.npz",
        queries=queries,
        **{f"ids_{name}": t.ids for name, t in tops.items()},
        **{f"sel_{name}": np.array(counts[name] / params.n) for name in tops},
    )
    (tmp / "params.json").write_text(params.to_json())
    (tmp / "DONE").write_text(f"{time.perf_counter() - t0:.1f}s\n")
    shutil.rmtree(params.data_dir, ignore_errors=True)
    tmp.rename(params.data_dir)
    return params
