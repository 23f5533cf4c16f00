"""Upsert throughput through HTTP with the official SDK, and query latency right after, against a real server.

    python bench/upsert_bench.py [--n 200000] [--dim 768] [--clients 2] [--batch 100]

Each client is its own process (the SDK is synchronous; threads in one process would share its GIL), sending
batches of ``--batch`` vectors with metadata. Every upsert is acknowledged only after the server fsync'd its
write-ahead log, so this measures durable writes. Then: query p50/p99 through the SDK (exact scan of the
not-yet-indexed rows and HNSW on sealed segments), recall@10 against numpy brute force, and restart-to-ready.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import shutil
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare.dataset import Generator
from compare.params import Params
from compare.server import SpruceServer


def _vectors(n: int, dim: int) -> np.ndarray:
    return Generator(Params(n=n, dim=dim)).vectors(np.random.default_rng(11), n)


def _client(url: str, dim: int, n: int, lo: int, hi: int, batch: int, out: mp.Queue) -> None:
    from pinecone import Pinecone

    index = Pinecone(api_key="bench", host=url).index("upsert-bench")
    x = _vectors(n, dim)
    latencies = []
    before = resource.getrusage(resource.RUSAGE_SELF)
    for start in range(lo, hi, batch):
        rows = range(start, min(start + batch, hi))
        vectors = [{"id": f"v{i}", "values": x[i].tolist(), "metadata": {"bucket": i % 1000, "even": i % 2 == 0}}
                   for i in rows]
        t0 = time.perf_counter()
        index.upsert(vectors=vectors)
        latencies.append(time.perf_counter() - t0)
    after = resource.getrusage(resource.RUSAGE_SELF)  # the upsert loop only, not the data generation
    out.put((latencies, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))


def _queries(index, x: np.ndarray, nq: int, flt: dict | None, mask: np.ndarray) -> tuple[float, float, float]:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    queries = x[rng.integers(0, len(x), nq)] + 0.05 * rng.standard_normal((nq, x.shape[1])).astype(np.float32)
    times, recalls = [], []
    candidates = np.flatnonzero(mask)
    for q in queries:
        t0 = time.perf_counter()
        result = index.query(vector=q.tolist(), top_k=10, filter=flt)
        times.append(time.perf_counter() - t0)
        scores = x[candidates] @ (q / np.linalg.norm(q))
        truth = {f"v{candidates[i]}" for i in np.argsort(-scores)[:10]}
        recalls.append(len(truth & {m.id for m in result.matches}) / len(truth))
    return float(np.percentile(times, 50) * 1e3), float(np.percentile(times, 99) * 1e3), float(np.mean(recalls))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--dim", type=int, default=768)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()

    from pinecone import Pinecone, ServerlessSpec

    work = Path(tempfile.mkdtemp(prefix="spruce-upsert-bench-"))
    server = SpruceServer(work / "data", work, work / "server.log")
    rows: list[tuple[str, str]] = []
    try:  # every step appends a row as soon as it is measured, so a failure still prints what was seen
        pc = Pinecone(api_key="bench", host=server.url)
        pc.create_index("upsert-bench", dimension=args.dim, metric="cosine",
                        spec=ServerlessSpec(cloud="aws", region="us-east-1"))
        bounds = np.linspace(0, args.n, args.clients + 1).astype(int)
        out: mp.Queue = mp.Queue()
        procs = [mp.Process(target=_client, args=(server.url, args.dim, args.n, lo, hi, args.batch, out))
                 for lo, hi in pairwise(bounds)]
        server_process = psutil.Process(server.proc.pid)
        cpu0 = server_process.cpu_times()
        t0 = time.perf_counter()
        for p in procs:
            p.start()
        results = [out.get() for _ in procs]
        for p in procs:
            p.join()
        elapsed = time.perf_counter() - t0
        cpu1 = server_process.cpu_times()
        latencies = [lat for lats, _ in results for lat in lats]
        batches = args.n / args.batch
        server_cpu = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / batches * 1e3
        client_cpu = sum(cpu for _, cpu in results) / batches * 1e3
        rows.append(("upsert throughput", f"{args.n / elapsed:,.0f} vectors/s ({args.clients} clients, "
                                          f"batches of {args.batch}, {elapsed:.1f} s)"))
        rows.append(("CPU per batch: server / clients", f"{server_cpu:.1f} ms / {client_cpu:.1f} ms "
                                                        "(includes the server's background merges)"))
        rows.append(("upsert batch latency p50 / p99",
                     f"{np.percentile(latencies, 50) * 1e3:.1f} / {np.percentile(latencies, 99) * 1e3:.1f} ms"))

        index = pc.index("upsert-bench")
        assert index.describe_index_stats().total_vector_count == args.n
        x = _vectors(args.n, args.dim)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        ids = np.arange(args.n)
        cases = {"unfiltered": (None, np.ones(args.n, bool)),
                 "10 %": ({"bucket": {"$lt": 100}}, ids % 1000 < 100),
                 "1 %": ({"bucket": {"$lt": 10}}, ids % 1000 < 10),
                 "0.1 %": ({"bucket": 7}, ids % 1000 == 7)}
        for label, (flt, mask) in cases.items():
            p50, p99, recall = _queries(index, x, args.queries, flt, mask)
            rows.append((f"query {label} right after upserts", f"p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
                                                               f"recall@10 {recall:.3f}"))
        time.sleep(1)
        t0 = time.perf_counter()
        server.stop()
        server = SpruceServer(work / "data", work, work / "server.log")
        Pinecone(api_key="bench", host=server.url).index("upsert-bench").query(vector=x[0].tolist(), top_k=10)
        rows.append(("restart to first answer", f"{time.perf_counter() - t0:.2f} s"))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
        _print(rows, args)


def _print(rows: list[tuple[str, str]], args: argparse.Namespace) -> None:
    width = max(len(k) for k, _ in rows)
    print(f"\nSpruce over HTTP with the official SDK — n={args.n:,}, dim={args.dim}\n")
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print(f"\n(python bench/upsert_bench.py --n {args.n} --dim {args.dim} --clients {args.clients} "
          f"--batch {args.batch})")


if __name__ == "__main__":
    main()
