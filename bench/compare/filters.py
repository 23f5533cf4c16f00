"""The filter cases every system answers, written once in Pinecone's filter language and translated per system.

Selectivities come from the generated metadata (see dataset.py): ``category`` is uniform over 10 values,
``bucket`` uniform over 0..999 and ``in_stock`` a fair coin, so the cases select ~10 %, ~1 % and ~0.1 %.
They deliberately mix a string equality, a numeric range AND a boolean, and a numeric equality.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

Filter = dict[str, Any]


@dataclass(frozen=True)
class FilterCase:
    name: str
    pinecone: Filter | None


CASES: tuple[FilterCase, ...] = (
    FilterCase("unfiltered", None),
    FilterCase("10%", {"category": {"$eq": "cat_3"}}),
    FilterCase("1%", {"$and": [{"bucket": {"$lt": 20}}, {"in_stock": {"$eq": True}}]}),
    FilterCase("0.1%", {"bucket": {"$eq": 421}}),
)

_NUMPY_OPS = {
    "$eq": np.equal, "$ne": np.not_equal, "$lt": np.less, "$lte": np.less_equal,
    "$gt": np.greater, "$gte": np.greater_equal,
}
_SQL_OPS = {"$eq": "=", "$ne": "!=", "$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">="}
_MILVUS_OPS = {**_SQL_OPS, "$eq": "=="}


def _clauses(flt: Filter) -> list[tuple[str, str, Any]]:
    """Flatten an ``$and`` of single-field comparisons into (field, op, value); all the cases need."""
    if "$and" in flt:
        return [c for sub in flt["$and"] for c in _clauses(sub)]
    ((field, cond),) = flt.items()
    if not isinstance(cond, dict):
        cond = {"$eq": cond}
    return [(field, op, value) for op, value in cond.items()]


def mask(flt: Filter | None, columns: dict[str, np.ndarray]) -> np.ndarray:
    """Rows that match, evaluated exactly with numpy: the ground truth every system is scored against."""
    n = len(next(iter(columns.values())))
    out = np.ones(n, dtype=bool)
    for field, op, value in _clauses(flt) if flt else []:
        out &= _NUMPY_OPS[op](columns[field], value)
    return out


def _literal(value: Any, quote: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"{quote}{value}{quote}"
    return repr(value)


def to_sql(flt: Filter | None) -> str | None:
    """LanceDB's SQL ``where``."""
    if not flt:
        return None
    return " AND ".join(f"({f} {_SQL_OPS[op]} {_literal(v, chr(39))})" for f, op, v in _clauses(flt))


def to_milvus(flt: Filter | None) -> str:
    """Milvus boolean expression ('' = no filter)."""
    if not flt:
        return ""
    return " and ".join(f"({f} {_MILVUS_OPS[op]} {_literal(v, chr(34))})" for f, op, v in _clauses(flt))


def to_chroma(flt: Filter | None) -> Filter | None:
    """Chroma's ``where`` uses the same operators; an ``$and`` needs two or more parts, as here."""
    return json.loads(json.dumps(flt)) if flt else None
