"""Spruce vs LanceDB, Chroma, Milvus Lite, faiss and the physical limit, on the same data, in one run.

    python bench/run_compare.py [--small] [--n N] [--dim D] [--queries Q] [--systems limit,spruce,lancedb,...]

Needs the bench extra (``pip install -e '.[bench]'``). Data, queries and ground truth are cached under
bench/data/ by parameters; the table is printed and written to bench/results/ as Markdown and JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare import dataset, report
from compare import truth as truthmod
from compare.orchestrate import run_system
from compare.params import RESULTS_DIR, Params
from compare.runners import SYSTEMS

_ALIASES = {"milvus_lite": "milvus", "chromadb": "chroma", "lance": "lancedb", "physical": "limit"}


def _spruce_revision() -> str:
    """The commit Spruce ran from (an editable install runs the working tree; say if src/ differed from it)."""
    root = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=root, capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes in src/" if dirty else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="N=100,000 and 200 queries: a few minutes")
    ap.add_argument("--n", type=int, help="vectors (default 1,000,000; 100,000 with --small)")
    ap.add_argument("--dim", type=int, default=768)
    ap.add_argument("--queries", type=int, help="held-out queries per filter case (default 500; 200 with --small)")
    ap.add_argument("--systems", default=",".join(SYSTEMS), help=f"comma list of {', '.join(SYSTEMS)}")
    ap.add_argument("--timeout", type=float, help="seconds per system (default 900 small, 3600 full)")
    ap.add_argument("--keep", action="store_true", help="keep each system's store under bench/data/runs/")
    ap.add_argument("--out", help="results file stem (default compare-<N>-<date>)")
    a = ap.parse_args()

    n = a.n or (100_000 if a.small else 1_000_000)
    params = Params(n=n, dim=a.dim, nq=a.queries or (200 if a.small else 500))
    systems = [_ALIASES.get(s.strip(), s.strip()) for s in a.systems.split(",") if s.strip()]
    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        ap.error(f"unknown systems {unknown}; choose from {SYSTEMS}")
    timeout = a.timeout or (900.0 if n <= 200_000 else 3600.0)

    revision = _spruce_revision()
    t0 = time.perf_counter()
    print(f"dataset {params.key} -> {params.data_dir}", flush=True)
    dataset.ensure(params)
    truth = truthmod.load(params)
    print(f"  ready in {time.perf_counter() - t0:.0f}s; selectivity "
          + ", ".join(f"{k} {v:.4f}" for k, v in truth.selectivity.items()), flush=True)

    results = {}
    for system in systems:
        print(f"running {system} (timeout {timeout:.0f}s) ...", flush=True)
        r = run_system(system, params, timeout, keep=a.keep)
        results[system] = r
        print(f"  {r.get('status')} in {r['elapsed_s']:.0f}s, peak RSS {r['peak_rss_mb']:.0f} MB"
              + (f": {r.get('error')}" if r.get("status") != "ok" else ""), flush=True)

    now = dt.datetime.now(dt.UTC)
    meta = {"date": now.strftime("%Y-%m-%d %H:%M UTC"), "machine": report.machine(),
            "command": "python " + shlex.join(["bench/run_compare.py", *sys.argv[1:]]),
            "selectivity": truth.selectivity, "spruce_revision": revision}
    stem = a.out or f"compare-{n}-{now.strftime('%Y%m%d-%H%M')}"
    md, js = report.write(params, results, meta, RESULTS_DIR, stem)
    print()
    print(md.read_text())
    print(f"wrote {md} and {js}")


if __name__ == "__main__":
    main()
