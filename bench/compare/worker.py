"""Runs one system in this (fresh) process and writes its result as JSON: ``python -m compare.worker ...``.

A process per system keeps their memory apart (peak RSS is sampled over this process's tree by the orchestrator)
and means a crash or a hang in one peer cannot take the others down.
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import time
import traceback
from pathlib import Path

from compare.params import Params

MODULES = {
    "limit": "compare.runners.limit",
    "spruce": "compare.runners.spruce",
    "lancedb": "compare.runners.lancedb_peer",
    "chroma": "compare.runners.chroma_peer",
    "milvus": "compare.runners.milvus_peer",
    "faiss": "compare.runners.faiss_hnsw",
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--system", required=True, choices=sorted(MODULES))
    ap.add_argument("--params", required=True)
    ap.add_argument("--workdir", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    a = ap.parse_args()
    params = Params.from_json(a.params)
    t0 = time.perf_counter()
    try:
        result = importlib.import_module(MODULES[a.system]).run(params, a.workdir)
        result["status"] = "ok"
    except Exception as exc:
        result = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:500],
                  "traceback": traceback.format_exc()[-3000:]}
    result["wall_s"] = time.perf_counter() - t0
    # ru_maxrss is KiB on Linux; children = the largest reaped child (Spruce's server, Milvus Lite's process).
    result["maxrss_self_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["maxrss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    a.out.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
