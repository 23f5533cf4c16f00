"""The results table: Markdown for people, JSON for machines, both under bench/results/."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from compare.filters import CASES
from compare.params import Params

LABELS = {"limit": "physical limit", "spruce": "Spruce", "lancedb": "LanceDB", "chroma": "Chroma",
          "milvus": "Milvus Lite", "faiss": "faiss HNSW"}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 2**20
    except OSError:
        mem = 0.0
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GB RAM, {platform.system()} {platform.release()}"


def _num(v: float | None, fmt: str = ".1f") -> str:
    return "n/a" if v is None else format(v, fmt)


def _case_cell(r: dict[str, Any], case: str) -> str:
    c = r.get("cases", {}).get(case)
    if c is None:
        return r.get("status", "n/a")
    if "error" in c:
        return f"cannot: {c['error'][:60]}"
    return f"{c['p50_ms']:.2f} / {c['p99_ms']:.2f} ms · R {c['recall']:.3f}"


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}x"


def _metric(r: dict[str, Any], key: str) -> float | None:
    return r.get(key) if r.get("status") == "ok" else None


def _case_metric(r: dict[str, Any], case: str, key: str) -> float | None:
    c = r.get("cases", {}).get(case) if r.get("status") == "ok" else None
    return c.get(key) if c and "error" not in c else None


def markdown(params: Params, results: dict[str, dict[str, Any]], meta: dict[str, Any]) -> str:
    names = [c.name for c in CASES]
    sel = meta.get("selectivity", {})
    lines = [
        f"## Spruce vs peers — N={params.n:,}, D={params.dim}, {params.nq} queries, top-10, cosine",
        "",
        f"- date: {meta['date']}",
        f"- machine: {meta['machine']}",
        f"- command: `{meta['command']}`",
        f"- Spruce revision: {meta.get('spruce_revision', 'unknown')}",
        "- measured selectivity: " + ", ".join(f"{k} → {v * 100:.2f} %" for k, v in sel.items()),
        "- cells: query latency p50 / p99 (one query at a time, client-side) · R = recall@10 vs exact numpy",
        "",
        "| system | load s | ANN-ready s | peak RSS MB | " + " | ".join(names) + " |",
        "|---|---:|---:|---:|" + "---|" * len(names),
    ]
    for sys_, r in results.items():
        status = r.get("status")
        row = [LABELS.get(sys_, sys_),
               _num(_metric(r, "load_s")) if status == "ok" else f"**{status}**",
               _num(_metric(r, "ann_ready_s")),
               _num(r.get("peak_rss_mb"), ".0f")]
        row += [_case_cell(r, n) if status == "ok" else (r.get("error") or "")[:80] for n in names]
        lines.append("| " + " | ".join(row) + " |")
    sp = results.get("spruce")
    if sp and sp.get("status") == "ok":
        lines += ["", "### Ratios Spruce / other (below 1x = Spruce is faster/smaller)", "",
                  "| vs | load | ANN-ready | peak RSS | " + " | ".join(f"{n} p50 / p99" for n in names) + " |",
                  "|---|---:|---:|---:|" + "---:|" * len(names)]
        for sys_, r in results.items():
            if sys_ == "spruce":
                continue
            row = [LABELS.get(sys_, sys_),
                   _ratio(_metric(sp, "load_s"), _metric(r, "load_s")),
                   _ratio(_metric(sp, "ann_ready_s"), _metric(r, "ann_ready_s")),
                   _ratio(sp.get("peak_rss_mb"), r.get("peak_rss_mb") if r.get("status") == "ok" else None)]
            row += [f"{_ratio(_case_metric(sp, n, 'p50_ms'), _case_metric(r, n, 'p50_ms'))} / "
                    f"{_ratio(_case_metric(sp, n, 'p99_ms'), _case_metric(r, n, 'p99_ms'))}" for n in names]
            lines.append("| " + " | ".join(row) + " |")
    lines += ["", "### How each system was run", ""]
    for sys_, r in results.items():
        detail = r.get("index", "")
        notes = "; ".join(r.get("notes", []))
        err = r.get("error", "") if r.get("status") != "ok" else ""
        busy = r.get("loadavg_1m")
        busy_s = f" Machine load avg (1 min) before/after: {busy[0]}/{busy[1]}." if busy else ""
        lines.append(f"- **{LABELS.get(sys_, sys_)}** ({r.get('status')}): {detail}. {notes}.{busy_s} {err}".rstrip())
    return "\n".join(lines) + "\n"


def write(params: Params, results: dict[str, dict[str, Any]], meta: dict[str, Any], out_dir: Path,
          stem: str) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    md = out_dir / f"{stem}.md"
    js = out_dir / f"{stem}.json"
    md.write_text(markdown(params, results, meta))
    slim = {k: {kk: vv for kk, vv in v.items() if kk not in ("log", "traceback", "probes")} | (
        {"probes": v["probes"]} if "probes" in v else {}) for k, v in results.items()}
    js.write_text(json.dumps({"params": json.loads(params.to_json()), "meta": meta, "results": slim}, indent=1,
                             default=str))
    return md, js
