"""Exact top-k, merged chunk by chunk so the ground truth never needs all vectors in memory at once."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from compare.params import Params


@dataclass
class TopK:
    nq: int
    k: int
    scores: np.ndarray = field(init=False)
    ids: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.scores = np.full((self.nq, self.k), -np.inf, dtype=np.float32)
        self.ids = np.full((self.nq, self.k), -1, dtype=np.int64)

    def push(self, scores: np.ndarray, rows: np.ndarray, keep: np.ndarray) -> None:
        """Merge one chunk: ``scores`` is (nq, chunk), ``rows`` the chunk's row numbers, ``keep`` its filter mask."""
        if not keep.any():
            return
        s = scores[:, keep]
        r = rows[keep]
        both_s = np.concatenate([self.scores, s], axis=1)
        both_r = np.concatenate([self.ids, np.broadcast_to(r, s.shape)], axis=1)
        kk = min(self.k, both_s.shape[1] - 1)
        part = np.argpartition(-both_s, kk, axis=1)[:, : self.k]
        ps = np.take_along_axis(both_s, part, axis=1)
        order = np.argsort(-ps, axis=1)
        self.scores = np.take_along_axis(ps, order, axis=1)
        self.ids = np.take_along_axis(np.take_along_axis(both_r, part, axis=1), order, axis=1)


@dataclass(frozen=True)
class Truth:
    queries: np.ndarray
    ids: dict[str, np.ndarray]  # case -> (nq, k) row numbers; id string is f"v{row}"
    selectivity: dict[str, float]


def load(params: Params) -> Truth:
    z = np.load(params.truth_path)
    ids = {k[4:]: z[k] for k in z.files if k.startswith("ids_")}
    sel = {k[4:]: float(z[k]) for k in z.files if k.startswith("sel_")}
    return Truth(queries=z["queries"], ids=ids, selectivity=sel)


def recall(found: list[list[int]], truth: np.ndarray) -> float:
    """Mean recall@k; a case with fewer than k matching rows is scored against the rows that exist."""
    total = 0.0
    for got, want in zip(found, truth, strict=True):
        w = {int(i) for i in want if i >= 0}
        total += len(w.intersection(got[: len(want)])) / len(w) if w else 1.0
    return total / len(found)
