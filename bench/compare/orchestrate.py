"""Runs each system in its own subprocess, one at a time, under a time limit, and gathers the results."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from typing import Any

from compare.params import BENCH_DIR, Params
from compare.rss import TreeRss


def run_system(system: str, params: Params, timeout: float, keep: bool = False) -> dict[str, Any]:
    workdir = params.data_dir.parent / "runs" / params.key / system
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    out = workdir / "result.json"
    log = workdir / "worker.log"
    env = {**os.environ, "PYTHONPATH": str(BENCH_DIR)}
    cmd = [sys.executable, "-m", "compare.worker", "--system", system, "--params", params.to_json(),
           "--workdir", str(workdir), "--out", str(out)]
    t0 = time.perf_counter()
    # The machine may be shared (other jobs on the same cores): record how busy it was, so numbers can be judged.
    load_before = os.getloadavg()[0]
    with log.open("wb") as lf:
        # A new session so that on timeout the whole group (worker + its server/engine children) can be stopped.
        proc = subprocess.Popen(cmd, stdout=lf, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        rss = TreeRss(proc.pid)
        try:
            proc.wait(timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
            _stop_group(proc)
        peak = rss.stop()
    result: dict[str, Any]
    if timed_out:
        result = {"status": "timed out", "error": f"timed out after {timeout:.0f}s"}
    elif out.exists():
        result = json.loads(out.read_text())
    else:
        tail = log.read_text(errors="replace")[-800:]
        result = {"status": "failed", "error": f"worker exited {proc.returncode}: {tail}"}
    result["peak_rss_mb"] = peak / 2**20
    result["elapsed_s"] = time.perf_counter() - t0
    result["loadavg_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    result["log"] = log.read_text(errors="replace")[-2000:]
    if not keep:
        # Stores are several GB at 1M; the numbers are what we keep.
        for child in workdir.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
    return result


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the worker's process group (only processes this harness started)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
