"""Index lifecycle through the official SDK 10 (API 2026-07) against a real server process."""

from __future__ import annotations

import pytest
from pinecone import Pinecone, ServerlessSpec
from pinecone.errors import ConflictError, ForbiddenError, NotFoundError, PineconeError

from tests.server import SpruceServer


@pytest.fixture
def pc(spruce: SpruceServer) -> Pinecone:
    return Pinecone(api_key="any-key", host=spruce.url)


def test_controller_host_env_points_the_sdk_at_spruce(spruce: SpruceServer,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINECONE_CONTROLLER_HOST", spruce.url)
    pc = Pinecone(api_key="k")
    assert list(pc.list_indexes()) == []
    pc.create_index("env-index", dimension=4, metric="cosine", spec=ServerlessSpec(cloud="aws", region="us-east-1"))
    assert [i.name for i in pc.list_indexes()] == ["env-index"]


def test_create_describe_list_configure_delete(pc: Pinecone, spruce: SpruceServer) -> None:
    created = pc.create_index(
        "product-search", dimension=8, metric="dotproduct", spec=ServerlessSpec(cloud="aws", region="us-west-2"),
        tags={"team": "search"},
    )
    assert created.name == "product-search"
    assert created.status.ready
    assert created.host.startswith(spruce.url)

    described = pc.describe_index("product-search")
    field = described.schema.fields["_values"]
    assert (field.dimension, field.metric) == (8, "dotproduct")
    assert described.deployment.cloud == "aws"
    assert described.deployment.region == "us-west-2"
    assert described.tags == {"team": "search"}
    assert described.deletion_protection == "disabled"
    assert pc.has_index("product-search")
    assert not pc.has_index("nope")

    pc.create_index("sparse-one", vector_type="sparse", spec=ServerlessSpec(cloud="aws", region="us-east-1"))
    assert sorted(i.name for i in pc.list_indexes()) == ["product-search", "sparse-one"]
    assert "_sparse_values" in pc.describe_index("sparse-one").schema.fields

    pc.configure_index("product-search", deletion_protection="enabled", tags={"env": "test"})
    configured = pc.describe_index("product-search")
    assert configured.deletion_protection == "enabled"
    assert configured.tags == {"team": "search", "env": "test"}

    with pytest.raises(ForbiddenError):
        pc.delete_index("product-search")
    pc.configure_index("product-search", deletion_protection="disabled")
    pc.delete_index("product-search")
    with pytest.raises(NotFoundError):
        pc.describe_index("product-search")
    assert [i.name for i in pc.list_indexes()] == ["sparse-one"]


def test_create_with_2026_schema_and_metadata_fields(pc: Pinecone) -> None:
    pc.indexes.create(
        name="typed",
        schema={"fields": {"embedding": {"type": "dense_vector", "dimension": 3, "metric": "euclidean"},
                           "genre": {"type": "string", "filterable": True}}},
        deployment={"deployment_type": "managed", "cloud": "gcp", "region": "us-central1"},
    )
    described = pc.describe_index("typed")
    assert described.schema.fields["embedding"].metric == "euclidean"
    assert described.deployment.cloud == "gcp"
    assert pc.index("typed").describe_index_stats().dimension == 3


def test_duplicate_missing_and_invalid(pc: Pinecone) -> None:
    spec = ServerlessSpec(cloud="aws", region="us-east-1")
    pc.create_index("dup", dimension=4, spec=spec)
    with pytest.raises(ConflictError):
        pc.create_index("dup", dimension=4, spec=spec)
    with pytest.raises(NotFoundError):
        pc.delete_index("missing")
    with pytest.raises(NotFoundError):
        pc.configure_index("missing", deletion_protection="enabled")
    with pytest.raises(PineconeError):  # dimension out of range: 400 from the server
        pc.create_index("too-wide", dimension=20_001, spec=spec)
    assert [i.name for i in pc.list_indexes()] == ["dup"]


def test_indexes_survive_a_restart(pc: Pinecone, spruce: SpruceServer) -> None:
    spec = ServerlessSpec(cloud="aws", region="us-east-1")
    pc.create_index("keep-me", dimension=16, metric="euclidean", spec=spec, deletion_protection="enabled")
    pc.create_index("keep-me-too", vector_type="sparse", spec=spec)
    spruce.restart()
    after = Pinecone(api_key="any-key", host=spruce.url)
    assert sorted(i.name for i in after.list_indexes()) == ["keep-me", "keep-me-too"]
    kept = after.describe_index("keep-me")
    assert kept.schema.fields["_values"].dimension == 16
    assert kept.deletion_protection == "enabled"
