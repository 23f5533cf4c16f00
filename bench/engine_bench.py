"""Storage-engine benchmark: bulk write, ANN build, filtered/unfiltered query latency and recall, restart, RSS.

    python bench/engine_bench.py [--n 200000] [--dim 768] [--queries 200] [--compare-ivf]

Data is "embedding-like": a rank-64 latent times a random projection plus noise, L2-normalised. Metadata fields
select 50%, 10%, 1% and 0.1% of the rows independently of the vectors.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from spruce.engine import BulkBatch, Engine, parse_filter

SELECTIVITY = {"100%": None, "50%": {"p50": "yes"}, "10%": {"p10": 0}, "1%": {"p1": 0}, "0.1%": {"p01": 0}}


class Embeddings:
    """Clustered low-rank latent (decaying spectrum) times a random projection, plus 5% noise, unit length.

    An isotropic Gaussian latent would make every point nearly equidistant (no ANN index reaches 0.95 there:
    IVF nprobe 64 gave 0.53); real embeddings are clustered with a decaying spectrum, which this mimics.
    """

    def __init__(self, rng: np.random.Generator, dim: int, rank: int, clusters: int = 256) -> None:
        self.rng, self.dim = rng, dim
        self.spectrum = (np.arange(rank) + 1.0) ** -0.25
        self.proj = rng.standard_normal((rank, dim), dtype=np.float32)
        self.centroids = rng.standard_normal((clusters, rank)) * self.spectrum

    def sample(self, n: int) -> np.ndarray:
        out = np.empty((n, self.dim), np.float32)
        for s in range(0, n, 50_000):  # bounded temporaries
            m = min(50_000, n - s)
            lat = self.centroids[self.rng.integers(0, len(self.centroids), m)]
            lat = lat + self.rng.standard_normal(lat.shape) * self.spectrum
            x = lat.astype(np.float32) @ self.proj
            scale = 0.05 * np.linalg.norm(x, axis=1, keepdims=True) / np.sqrt(self.dim)
            x += scale * self.rng.standard_normal((m, self.dim), dtype=np.float32)
            out[s : s + m] = x / np.linalg.norm(x, axis=1, keepdims=True)
        return out


def metadata(rng: np.random.Generator, n: int) -> tuple[list[str], dict[str, np.ndarray]]:
    cols = {
        "p50": rng.random(n) < 0.5,
        "p10": rng.integers(0, 10, n),
        "p1": rng.integers(0, 100, n),
        "p01": rng.integers(0, 1000, n),
    }
    genres = np.array(["comedy", "drama", "horror", "news"])[rng.integers(0, 4, n)]
    docs = [
        f'{{"p50": "{"yes" if a else "no"}", "p10": {b}, "p1": {c}, "p01": {d}, "genre": "{g}"}}'
        for a, b, c, d, g in zip(cols["p50"], cols["p10"], cols["p1"], cols["p01"], genres, strict=True)
    ]
    masks = {
        "100%": np.ones(n, bool),
        "50%": cols["p50"],
        "10%": cols["p10"] == 0,
        "1%": cols["p1"] == 0,
        "0.1%": cols["p01"] == 0,
    }
    return docs, masks


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def open_only(root: str, dim: int) -> None:
    """Child process: time restart-to-ready (open + first query) and report RSS."""
    t0 = time.perf_counter()
    e = Engine(root, background=False)
    ns = e.open_index("bench").namespace("")
    assert ns is not None
    ns.query(top_k=10, vector=np.ones(dim, np.float32))
    ready = time.perf_counter() - t0
    n = ns.count()
    print(json.dumps({"ready_s": ready, "rss_mb": rss_mb(), "n": n}))
    e.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--dim", type=int, default=768)
    ap.add_argument("--rank", type=int, default=64)
    ap.add_argument("--batch", type=int, default=50_000, help="rows per bulk_write call")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--root", default=None)
    ap.add_argument("--compare-ivf", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="query an existing --root built by an earlier run")
    ap.add_argument("--open-only", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.open_only:
        open_only(args.open_only, args.dim)
        return

    rng = np.random.default_rng(0)
    gen = Embeddings(rng, args.dim, args.rank)
    x = gen.sample(args.n)
    queries = gen.sample(args.queries)
    docs, masks = metadata(rng, args.n)
    root = args.root or tempfile.mkdtemp(prefix="spruce-bench-")
    rows: list[tuple[str, str]] = []
    if args.reuse:
        e = Engine(root, background=False)
        ns = e.open_index("bench").namespace("")
        assert ns is not None and ns.count() == args.n
    else:
        shutil.rmtree(root, ignore_errors=True)
        e = Engine(root, background=False)
        ns = e.create_index("bench", args.dim, "cosine", "dense").create_namespace("")
        ids = [f"doc-{i:08d}" for i in range(args.n)]
        t0 = time.perf_counter()
        for s in range(0, args.n, args.batch):
            sl = slice(s, s + args.batch)
            batch = BulkBatch(pa.array(ids[sl]), x[sl], None, None, pa.array(docs[sl], pa.string()))
            ns.bulk_write(batch, "bench", str(s).encode())
        t_bulk = time.perf_counter() - t0
        rows.append(("bulk write (fsync'd, incl. metadata columns)", f"{t_bulk:.1f} s ({args.n / t_bulk:,.0f} rows/s)"))
        t0 = time.perf_counter()
        e.optimize()
        t_build = time.perf_counter() - t0
        segs = [(rs.n, rs.ann is not None) for rs, _ in ns.segments_view()]
        rows.append(("merge + ANN build (IVF-Flat)", f"{t_build:.1f} s, segments {segs}"))

    all_sims = x @ queries.T  # exact cosine similarities (data and queries are unit length)
    for label, flt_doc in SELECTIVITY.items():
        mask = masks[label]
        flt = None if flt_doc is None else parse_filter(flt_doc)
        sub = np.flatnonzero(mask)
        sims = all_sims[sub]  # (rows, queries)
        top = np.argpartition(-sims, min(10, len(sub)) - 1, axis=0)[:10]
        exact = [set(sub[top[:, j]].tolist()) for j in range(len(queries))]
        lat, recall = [], []
        for _ in range(2):  # warm-up pass, then the measured pass
            lat, recall = [], []
            for q, ex in zip(queries, exact, strict=True):
                t0 = time.perf_counter()
                res = ns.query(top_k=10, vector=q, flt=flt)
                lat.append((time.perf_counter() - t0) * 1000)
                got = {int(m.id[4:]) for m in res}
                recall.append(len(got & ex) / max(1, min(10, len(ex))))
        p50, p99 = np.percentile(lat, [50, 99])
        rows.append(
            (
                f"query top-10, filter {label} ({mask.sum():,} rows)",
                f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, recall@10 {np.mean(recall):.3f}",
            )
        )
    e.close()

    out = subprocess.run(
        [sys.executable, __file__, "--open-only", root, "--dim", str(args.dim)],
        capture_output=True,
        text=True,
        check=True,
    )
    info = json.loads(out.stdout.strip().splitlines()[-1])
    rows.append(("restart to ready (open + first query)", f"{info['ready_s']:.2f} s"))
    rows.append(
        ("RSS after restart", f"{info['rss_mb']:.0f} MB ({info['rss_mb'] / args.n * 1e6 / 1024:.2f} GB per million)")
    )
    disk = sum(f.stat().st_size for f in Path(root).rglob("*") if f.is_file())
    rows.append(("data dir size", f"{disk / 2**20:.0f} MB"))

    if args.compare_ivf:
        rows += compare_ivf(x, queries)

    width = max(len(r[0]) for r in rows)
    load = os.getloadavg()[0]
    print(f"\nSpruce engine benchmark: n={args.n:,} dim={args.dim} cosine, {os.cpu_count()} cores, load avg {load:.1f}")
    print(f"{'measure'.ljust(width)} | result")
    print(f"{'-' * width}-|-{'-' * 60}")
    for k, v in rows:
        print(f"{k.ljust(width)} | {v}")
    if not args.root:
        shutil.rmtree(root, ignore_errors=True)


def compare_ivf(x: np.ndarray, queries: np.ndarray) -> list[tuple[str, str]]:
    """IVF-Flat at several nprobe on the same data, outside the engine (tunes config.nprobe)."""
    import faiss

    out = []
    nlist = int(4 * np.sqrt(len(x)))
    t0 = time.perf_counter()
    quant = faiss.IndexFlatIP(x.shape[1])
    ivf = faiss.IndexIVFFlat(quant, x.shape[1], nlist, faiss.METRIC_INNER_PRODUCT)
    ivf.train(x[np.random.default_rng(1).choice(len(x), min(len(x), 50 * nlist), replace=False)])
    ivf.add(x)
    out.append((f"IVF-Flat nlist={nlist} train + add", f"{time.perf_counter() - t0:.1f} s"))
    exact = [set(np.argsort(-(x @ q))[:10].tolist()) for q in queries]
    for nprobe in (8, 16, 32, 64):
        ivf.nprobe = nprobe
        lat, rec = [], []
        for q, ex in zip(queries, exact, strict=True):
            t0 = time.perf_counter()
            _, lab = ivf.search(q[None], 10)
            lat.append((time.perf_counter() - t0) * 1000)
            rec.append(len(set(lab[0].tolist()) & ex) / 10)
        out.append(
            (f"IVF-Flat nprobe={nprobe} unfiltered", f"p50 {np.median(lat):.2f} ms, recall@10 {np.mean(rec):.3f}")
        )
    return out


if __name__ == "__main__":
    main()
