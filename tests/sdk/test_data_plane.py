"""The data plane through the official SDK 10 (API 2026-07), checked against brute force computed here."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from pinecone import Pinecone, ServerlessSpec
from pinecone.errors import NotFoundError, PineconeError

from tests.server import SpruceServer

DIM = 16
N = 300
SPEC = ServerlessSpec(cloud="aws", region="us-east-1")
GENRES = ["comedy", "drama", "horror", "news"]


def _metadata(i: int) -> dict[str, object]:
    return {"genre": GENRES[i % 4], "year": 1990 + i % 30, "tags": [f"t{i % 5}", f"t{i % 7}"], "flag": i % 3 == 0}


@pytest.fixture(scope="module")
def pc(shared_spruce: SpruceServer) -> Pinecone:
    return Pinecone(api_key="k", host=shared_spruce.url)


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return np.random.default_rng(42).normal(size=(N, DIM)).astype(np.float32)


@pytest.fixture(scope="module", params=["cosine", "dotproduct", "euclidean"])
def loaded(request: pytest.FixtureRequest, pc: Pinecone, data: np.ndarray) -> Iterator[tuple[str, object]]:
    metric = request.param
    name = f"dp-{metric}"
    pc.create_index(name, dimension=DIM, metric=metric, spec=SPEC)
    index = pc.index(name)
    for start in range(0, N, 100):
        index.upsert(vectors=[(f"id-{i:04d}", data[i].tolist(), _metadata(i)) for i in range(start, start + 100)],
                     namespace="books")
    yield metric, index
    pc.delete_index(name)


def _brute_force(data: np.ndarray, query: np.ndarray, metric: str, mask: np.ndarray, k: int) -> list[str]:
    if metric == "cosine":
        scores = (data / np.linalg.norm(data, axis=1, keepdims=True)) @ (query / np.linalg.norm(query))
    elif metric == "dotproduct":
        scores = data @ query
    else:
        scores = -((data - query) ** 2).sum(axis=1)
    scores = np.where(mask, scores, -np.inf)
    order = np.argsort(-scores, kind="stable")[:k]
    return [f"id-{i:04d}" for i in order if mask[i]]


FILTERS = [
    ({}, lambda m: True),
    ({"genre": "comedy"}, lambda m: m["genre"] == "comedy"),
    ({"genre": {"$ne": "comedy"}}, lambda m: m["genre"] != "comedy"),
    ({"year": {"$gte": 2010}}, lambda m: m["year"] >= 2010),
    ({"year": {"$lt": 1995}, "flag": True}, lambda m: m["year"] < 1995 and m["flag"]),
    ({"genre": {"$in": ["drama", "news"]}}, lambda m: m["genre"] in ("drama", "news")),
    ({"genre": {"$nin": ["drama", "news"]}}, lambda m: m["genre"] not in ("drama", "news")),
    ({"tags": "t3"}, lambda m: "t3" in m["tags"]),
    ({"$or": [{"genre": "horror"}, {"year": {"$gt": 2017}}]}, lambda m: m["genre"] == "horror" or m["year"] > 2017),
    ({"missing": {"$exists": False}}, lambda m: True),
    ({"year": {"$exists": True}, "$and": [{"year": {"$lte": 2000}}, {"flag": False}]},
     lambda m: m["year"] <= 2000 and not m["flag"]),
]


@pytest.mark.parametrize(("flt", "predicate"), FILTERS)
def test_query_matches_brute_force(loaded: tuple[str, object], data: np.ndarray, flt: dict, predicate) -> None:
    metric, index = loaded
    rng = np.random.default_rng(len(str(flt)))
    mask = np.array([predicate(_metadata(i)) for i in range(N)])
    for _ in range(3):
        query = rng.normal(size=DIM).astype(np.float32)
        result = index.query(vector=query.tolist(), top_k=10, namespace="books", filter=flt or None)
        assert [m.id for m in result.matches] == _brute_force(data, query, metric, mask, 10)
        scores = [m.score for m in result.matches]
        assert scores == sorted(scores, reverse=metric != "euclidean")


def test_query_by_id_includes_values_and_metadata(loaded: tuple[str, object], data: np.ndarray) -> None:
    metric, index = loaded
    result = index.query(id="id-0007", top_k=3, namespace="books", include_values=True, include_metadata=True)
    expected = _brute_force(data, data[7], metric, np.ones(N, dtype=bool), 3)
    assert [m.id for m in result.matches] == expected
    first = int(expected[0].removeprefix("id-"))
    assert np.allclose(result.matches[0].values, data[first], atol=1e-6)
    assert result.matches[0].metadata == _metadata(first)
    assert result.namespace == "books"


def test_fetch_list_update_delete_stats(pc: Pinecone, data: np.ndarray) -> None:
    pc.create_index("crud", dimension=DIM, metric="cosine", spec=SPEC)
    index = pc.index("crud")
    ids = [f"doc-{i:03d}" for i in range(250)]
    for start in range(0, 250, 125):
        index.upsert(vectors=[{"id": ids[i], "values": data[i].tolist(), "metadata": _metadata(i)}
                              for i in range(start, start + 125)])
    assert index.describe_index_stats().total_vector_count == 250

    fetched = index.fetch(ids=["doc-001", "doc-002", "nope"])
    assert sorted(fetched.vectors) == ["doc-001", "doc-002"]
    assert fetched.vectors["doc-002"].metadata == _metadata(2)

    page = index.list_paginated(prefix="doc-1", limit=40)
    assert [v.id for v in page.vectors] == [f"doc-1{i:02d}" for i in range(40)]
    second = index.list_paginated(prefix="doc-1", limit=40, pagination_token=page.pagination.next)
    assert [v.id for v in second.vectors] == [f"doc-1{i:02d}" for i in range(40, 80)]
    assert [v.id for page in index.list(prefix="doc-2", limit=30) for v in page.vectors] == [
        f"doc-2{i:02d}" for i in range(50)]

    index.upsert(vectors=[{"id": "doc-001", "values": data[100].tolist(), "metadata": {"genre": "new"}}])
    again = index.fetch(ids=["doc-001"]).vectors["doc-001"]
    assert np.allclose(again.values, data[100]) and again.metadata == {"genre": "new"}

    index.update(id="doc-002", set_metadata={"year": 3000, "extra": "yes"})
    updated = index.fetch(ids=["doc-002"]).vectors["doc-002"].metadata
    assert updated == {**_metadata(2), "year": 3000, "extra": "yes"}
    with pytest.raises(NotFoundError):
        index.update(id="never-was", set_metadata={"a": 1})

    horror = sum(1 for i in range(250) if _metadata(i)["genre"] == "horror")
    dry = index.update(filter={"genre": "horror"}, set_metadata={"scary": True}, dry_run=True)
    assert dry.matched_records == horror
    assert index.fetch_by_metadata(filter={"scary": True}).vectors == {}
    index.update(filter={"genre": "horror"}, set_metadata={"scary": True})
    scary = index.fetch_by_metadata(filter={"scary": True}, limit=1000)
    assert len(scary.vectors) == horror

    index.delete(ids=["doc-003", "doc-004"])
    index.delete(filter={"genre": "news"})
    news = sum(1 for i in range(250) if _metadata(i)["genre"] == "news" and i not in (1, 3, 4))
    stats = index.describe_index_stats()
    assert stats.total_vector_count == 250 - 2 - news
    assert stats.dimension == DIM

    index.delete(delete_all=True)
    assert index.describe_index_stats().total_vector_count == 0


def test_namespaces(pc: Pinecone) -> None:
    pc.create_index("spaces", dimension=2, spec=SPEC)
    index = pc.index("spaces")
    index.upsert(vectors=[("a", [1.0, 0.0]), ("b", [0.0, 1.0])], namespace="one")
    index.upsert(vectors=[("c", [1.0, 1.0])])
    index.create_namespace(name="empty")
    with pytest.raises(PineconeError):
        index.create_namespace(name="empty")
    listed = {ns.name: int(ns.record_count) for page in index.list_namespaces() for ns in page.namespaces}
    assert listed == {"one": 2, "__default__": 1, "empty": 0}
    assert int(index.describe_namespace(namespace="one").record_count) == 2
    stats = index.describe_index_stats()
    assert stats.namespaces["one"].vector_count == 2
    index.delete_namespace(namespace="one")
    with pytest.raises(NotFoundError):
        index.describe_namespace(namespace="one")
    assert index.query(vector=[1.0, 0.0], top_k=5, namespace="one").matches == []


def test_sparse_and_hybrid(pc: Pinecone) -> None:
    pc.create_index("sparse-dp", vector_type="sparse", spec=SPEC)
    sparse = pc.index("sparse-dp")
    rng = np.random.default_rng(3)
    rows = []
    for _ in range(60):
        idx = np.sort(rng.choice(1000, size=8, replace=False))
        rows.append((idx, rng.random(8).astype(np.float32)))
    sparse.upsert(vectors=[{"id": f"s{i}", "sparse_values": {"indices": idx.tolist(), "values": v.tolist()}}
                           for i, (idx, v) in enumerate(rows)])
    q_idx = np.unique(np.concatenate([rows[5][0][:4], rows[9][0][:4]]))
    q_val = np.ones(len(q_idx), dtype=np.float32)
    dense_q = np.zeros(1000, dtype=np.float32)
    dense_q[q_idx] = q_val
    scores = np.array([float(dense_q[idx] @ v) for idx, v in rows])
    result = sparse.query(sparse_vector={"indices": q_idx.tolist(), "values": q_val.tolist()}, top_k=5)
    got = [(m.id, round(m.score, 5)) for m in result.matches]
    positive = [i for i in np.argsort(-scores, kind="stable") if scores[i] > 0][:5]
    assert [g[0] for g in got] == [f"s{i}" for i in positive]

    pc.create_index("hybrid", dimension=4, metric="dotproduct", spec=SPEC)
    hybrid = pc.index("hybrid")
    dense = rng.normal(size=(20, 4)).astype(np.float32)
    hybrid.upsert(vectors=[{"id": f"h{i}", "values": dense[i].tolist(),
                            "sparse_values": {"indices": [i, 100], "values": [1.0, 0.5]}} for i in range(20)])
    q = rng.normal(size=4).astype(np.float32)
    result = hybrid.query(vector=q.tolist(), sparse_vector={"indices": [3, 100], "values": [2.0, 1.0]}, top_k=20)
    expected = dense @ q + 0.5 + np.array([2.0 if i == 3 else 0.0 for i in range(20)])
    assert [m.id for m in result.matches] == [f"h{i}" for i in np.argsort(-expected, kind="stable")]


def test_rejected_upsert_changes_nothing(pc: Pinecone) -> None:
    pc.create_index("strict", dimension=3, spec=SPEC)
    index = pc.index("strict")
    bad_batches = [
        [("ok", [1.0, 2.0, 3.0]), ("short", [1.0, 2.0])],
        [("ok", [1.0, 2.0, 3.0]), {"id": "meta", "values": [1.0, 2.0, 3.0], "metadata": {"nested": {"a": 1}}}],
        [("x" * 513, [1.0, 2.0, 3.0])],
    ]
    for batch in bad_batches:
        with pytest.raises(PineconeError):
            index.upsert(vectors=batch)
    assert index.describe_index_stats().total_vector_count == 0
    with pytest.raises(PineconeError):
        index.query(vector=[1.0, 2.0, 3.0], top_k=10_001)
    with pytest.raises(PineconeError):
        index.query(vector=[1.0, 2.0, 3.0], top_k=3, filter={"year": {"$gt": "1990"}})


def test_data_survives_restart(spruce: SpruceServer) -> None:
    pc = Pinecone(api_key="k", host=spruce.url)
    pc.create_index("durable", dimension=4, spec=SPEC)
    index = pc.index("durable")
    index.upsert(vectors=[(f"r{i}", [float(i), 1.0, 0.0, 0.0], {"i": i}) for i in range(40)])
    index.delete(ids=["r5"])
    spruce.restart()
    index = Pinecone(api_key="k", host=spruce.url).index("durable")
    assert index.describe_index_stats().total_vector_count == 39
    assert index.fetch(ids=["r7"]).vectors["r7"].metadata == {"i": 7}
    assert index.fetch(ids=["r5"]).vectors == {}
