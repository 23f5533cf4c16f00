"""Brute-force reference models used by the engine tests: pure Python filters, numpy scoring."""

from __future__ import annotations

import operator
import random
from typing import Any

import numpy as np

_RANGE = {"$gt": operator.gt, "$gte": operator.ge, "$lt": operator.lt, "$lte": operator.le}


def _num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _eq(val: object, x: object) -> bool:
    if isinstance(val, list):
        return isinstance(x, str) and x in val
    if isinstance(val, bool) or isinstance(x, bool):
        return isinstance(val, bool) and isinstance(x, bool) and val == x
    if _num(val) and _num(x):
        return float(val) == float(x)  # type: ignore[arg-type]
    return isinstance(val, str) and isinstance(x, str) and val == x


def matches(flt: dict[str, Any], md: dict[str, Any] | None) -> bool:
    md = md or {}
    for key, v in flt.items():
        if key == "$and":
            if not all(matches(c, md) for c in v):
                return False
        elif key == "$or":
            if not any(matches(c, md) for c in v):
                return False
        else:
            ops = v if isinstance(v, dict) else {"$eq": v}
            for op, arg in ops.items():
                if not _cond(md, key, op, arg):
                    return False
    return True


def _cond(md: dict[str, Any], key: str, op: str, arg: Any) -> bool:
    present = key in md
    val = md.get(key)
    if op == "$eq":
        return present and _eq(val, arg)
    if op == "$ne":
        return not (present and _eq(val, arg))
    if op == "$in":
        return present and any(_eq(val, a) for a in arg)
    if op == "$nin":
        return not (present and any(_eq(val, a) for a in arg))
    if op == "$exists":
        return present == arg
    return present and _num(val) and _RANGE[op](val, arg)


GENRES = ["comedy", "drama", "horror", "sci-fi", "ünïcode", ""]


def random_metadata(rng: random.Random) -> dict[str, Any] | None:
    if rng.random() < 0.1:
        return None
    md: dict[str, Any] = {}
    if rng.random() < 0.8:
        r = rng.random()
        md["genre"] = rng.choice(GENRES) if r < 0.7 else (rng.sample(GENRES, rng.randint(0, 3)) if r < 0.9 else 7)
    if rng.random() < 0.8:
        md["year"] = rng.randint(1990, 2020) if rng.random() < 0.8 else rng.randint(1990, 2020) + 0.5
    if rng.random() < 0.6:
        md["flag"] = rng.random() < 0.5
    if rng.random() < 0.5:
        md["tags"] = rng.sample(["a", "b", "c", "d"], rng.randint(0, 3))
    if rng.random() < 0.3:
        md["mixed"] = rng.choice(["x", 1, True, ["x"], 2.5, "y"])
    return md


def _rand_value(rng: random.Random) -> Any:
    return rng.choice([*GENRES, "a", "b", "x", 1, 2.5, 2005, True, False])


def random_filter(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    r = rng.random()
    if depth < 2 and r < 0.2:
        return {rng.choice(["$and", "$or"]): [random_filter(rng, depth + 1) for _ in range(rng.randint(1, 3))]}
    key = rng.choice(["genre", "year", "flag", "tags", "mixed", "missing"])
    op = rng.choice(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "implicit", "multi"])
    if op == "implicit":
        return {key: _rand_value(rng)}
    if op in ("$gt", "$gte", "$lt", "$lte"):
        return {key: {op: rng.choice([1995, 2005.5, 2010, 0, 2.5])}}
    if op in ("$in", "$nin"):
        return {key: {op: [_rand_value(rng) for _ in range(rng.randint(1, 4))]}}
    if op == "$exists":
        return {key: {op: rng.random() < 0.5}}
    if op == "multi":
        return {key: {"$gte": rng.randint(1990, 2005), "$lt": rng.randint(2000, 2021)}, "flag": rng.random() < 0.5}
    return {key: {op: _rand_value(rng)}}


def scores(metric: str, mat: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Reference dense scores in float64."""
    m = mat.astype(np.float64)
    qq = q.astype(np.float64)
    if metric == "cosine":
        norms = np.linalg.norm(m, axis=1) * np.linalg.norm(qq)
        return np.where(norms > 0, (m @ qq) / np.where(norms > 0, norms, 1), 0.0)
    if metric == "euclidean":
        return ((m - qq) ** 2).sum(axis=1)
    return m @ qq


def sparse_dot(idx: np.ndarray | None, val: np.ndarray | None, q: dict[int, float]) -> float:
    if idx is None or val is None:
        return 0.0
    return float(sum(float(v) * q.get(int(i), 0.0) for i, v in zip(idx, val, strict=True)))
