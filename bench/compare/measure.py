"""The query loop shared by every system: one query at a time, latency per query, recall@10 per filter case."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from compare.filters import CASES, FilterCase
from compare.params import K
from compare.truth import Truth, recall

Search = Callable[[np.ndarray, FilterCase], list[int]]  # -> row numbers, best first
_WARMUP = 10


def row_of(id_: str) -> int:
    return int(id_[1:])  # ids are "v<row>"


def run_cases(search: Search, truth: Truth, cases: tuple[FilterCase, ...] = CASES) -> dict[str, dict[str, Any]]:
    """Per case: p50/p99 latency in ms and recall@10, or the error the system raised (the table shows it)."""
    out: dict[str, dict[str, Any]] = {}
    for case in cases:
        try:
            out[case.name] = _one_case(search, truth, case)
        except Exception as exc:  # a peer that cannot answer a case must show up in the table, not vanish
            out[case.name] = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    return out


def _one_case(search: Search, truth: Truth, case: FilterCase) -> dict[str, Any]:
    for q in truth.queries[:_WARMUP]:
        search(q, case)
    lat: list[float] = []
    found: list[list[int]] = []
    for q in truth.queries:
        t0 = time.perf_counter()
        rows = search(q, case)
        lat.append(time.perf_counter() - t0)
        found.append(rows[:K])
    ms = np.array(lat) * 1000
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "recall": recall(found, truth.ids[case.name]),
        "n_queries": len(lat),
    }


def probe(search: Search, truth: Truth, n: int) -> tuple[float, float]:
    """(recall, p50 ms) over the first ``n`` queries unfiltered: the readiness signal while an index builds."""
    case = CASES[0]
    lat: list[float] = []
    found: list[list[int]] = []
    for q in truth.queries[:n]:
        t0 = time.perf_counter()
        found.append(search(q, case)[:K])
        lat.append(time.perf_counter() - t0)
    return recall(found, truth.ids[case.name][:n]), float(np.median(lat) * 1000)
