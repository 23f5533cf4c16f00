from __future__ import annotations

import json
import random

import msgspec
import numpy as np
import pyarrow as pa
import pytest
from engine_ref import matches, random_filter, random_metadata

from spruce.engine.filters import evaluate, parse_filter
from spruce.engine.metacols import MetaColumns, _from_arrow_json
from spruce.errors import InvalidArgument


@pytest.mark.parametrize(
    "bad",
    [
        [],
        "x",
        {"$foo": 1},
        {"genre": {"$regex": "a"}},
        {"genre": {"$gt": "comedy"}},
        {"year": {"$lt": True}},
        {"genre": {"$in": []}},
        {"genre": {"$in": "comedy"}},
        {"genre": {"$nin": [1, {"a": 1}]}},
        {"genre": {"$in": list(range(10_001))}},
        {"genre": {"$exists": 1}},
        {"genre": None},
        {"genre": ["a", "b"]},
        {"genre": {"nested": {"x": 1}}},
        {"genre": {}},
        {"$and": {}},
        {"$and": []},
        {"$or": [1]},
        {"genre": {"$eq": {"a": 1}}},
        {"genre": {"$eq": ["a"]}},
    ],
)
def test_invalid_filters_raise(bad: object) -> None:
    with pytest.raises(InvalidArgument):
        parse_filter(bad)


def test_valid_shapes() -> None:
    parse_filter({})
    parse_filter({"genre": "comedy", "year": 2000})
    parse_filter({"year": {"$gte": 1, "$lt": 5.5}})
    parse_filter({"$or": [{"a": True}, {"b": {"$in": ["x", 1]}}]})


def _columns(docs: list, roundtrip: bool) -> MetaColumns:
    cols = MetaColumns.from_dicts(docs)
    return MetaColumns.from_arrow(cols.to_arrow()) if roundtrip else cols


@pytest.mark.parametrize("roundtrip", [False, True])
def test_random_filters_match_reference(roundtrip: bool) -> None:
    rng = random.Random(7)
    docs = [random_metadata(rng) for _ in range(400)]
    cols = _columns(docs, roundtrip)
    # Also through the JSON text path used by segments.
    cols_json = MetaColumns.from_json([None if d is None else msgspec.json.encode(d) for d in docs], len(docs))
    for _ in range(600):
        f = random_filter(rng)
        expected = np.array([matches(f, d) for d in docs])
        got = evaluate(parse_filter(f), cols)
        assert (got == expected).all(), f
        assert (evaluate(parse_filter(f), cols_json) == expected).all(), f


def test_arrow_json_path_matches_reference() -> None:
    """One kind per key (the common case) is typed by Arrow's JSON reader; it must filter like the Python path,
    including rows without metadata, empty strings and pretty-printed (multi-line) objects."""
    rng = random.Random(11)
    docs = []
    for _ in range(400):
        md = random_metadata(rng)
        if md is not None:
            md.pop("mixed", None)
            if not isinstance(md.get("genre", ""), str):
                md["genre"] = "drama"
        docs.append(md)
    raw: list[bytes | None] = [None if d is None else json.dumps(d, indent=2).encode() for d in docs]
    raw[3] = b""
    docs[3] = None
    arrow = pa.array(raw, pa.binary()).cast(pa.string())
    assert _from_arrow_json(arrow) is not None  # the vectorised path, not the fallback
    cols = MetaColumns.from_json(arrow, len(docs))
    for _ in range(600):
        f = random_filter(rng)
        expected = np.array([matches(f, d) for d in docs])
        assert (evaluate(parse_filter(f), cols) == expected).all(), f


def test_list_semantics() -> None:
    docs = [{"tags": ["a", "b"]}, {"tags": ["c"]}, {"tags": []}, {}, {"tags": "a"}]
    cols = MetaColumns.from_dicts(docs)

    def ev(f: dict) -> list[bool]:
        return evaluate(parse_filter(f), cols).tolist()

    assert ev({"tags": "a"}) == [True, False, False, False, True]
    assert ev({"tags": {"$ne": "a"}}) == [False, True, True, True, False]
    assert ev({"tags": {"$in": ["c", "b"]}}) == [True, True, False, False, False]
    assert ev({"tags": {"$nin": ["a"]}}) == [False, True, True, True, False]
    assert ev({"tags": {"$exists": True}}) == [True, True, True, False, True]
