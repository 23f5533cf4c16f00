"""Version shaping of the index object and parsing of create bodies (pure functions of the edge)."""

from __future__ import annotations

import msgspec
import pytest

from spruce.api.errors import error_body
from spruce.api.index_wire import parse_create, render_index
from spruce.errors import AlreadyExists, InvalidArgument, NotFound, Unauthenticated

HOST = "http://127.0.0.1:5080/data/x"


def test_legacy_create_round_trips_to_both_shapes() -> None:
    body = msgspec.json.encode({"name": "x", "dimension": 8, "metric": "euclidean",
                                "spec": {"serverless": {"cloud": "gcp", "region": "eu-west1"}}, "tags": {"a": "b"}})
    index = parse_create(body, "2025-04")
    legacy = render_index(index, "2025-10", HOST)
    assert legacy == {
        "name": "x", "dimension": 8, "metric": "euclidean", "host": HOST,
        "spec": {"serverless": {"cloud": "gcp", "region": "eu-west1",
                                "read_capacity": {"mode": "OnDemand", "status": {"state": "Ready"}}}},
        "status": {"ready": True, "state": "Ready"}, "vector_type": "dense",
        "deletion_protection": "disabled", "tags": {"a": "b"},
    }
    modern = render_index(index, "2026-07", HOST)
    assert modern["schema"] == {"fields": {"_values": {"type": "dense_vector", "dimension": 8, "metric": "euclidean"}}}
    assert modern["deployment"] == {"deployment_type": "managed", "cloud": "gcp", "region": "eu-west1"}
    assert "dimension" not in modern and "spec" not in modern


def test_2026_schema_create_reads_vector_fields() -> None:
    body = msgspec.json.encode({"name": "y", "schema": {"fields": {
        "_sparse_values": {"type": "sparse_vector"}, "genre": {"type": "string", "filterable": True}}}})
    index = parse_create(body, "2026-07")
    assert (index.dimension, index.metric, index.vector_type) == (None, "dotproduct", "sparse")
    legacy = render_index(index, "2025-04", HOST)
    assert legacy["vector_type"] == "sparse" and "dimension" not in legacy


@pytest.mark.parametrize(("version", "body", "message"), [
    ("2025-04", {"name": "x", "spec": {"serverless": {}}}, "Dimension is required"),
    ("2025-04", {"name": "x", "dimension": "8", "spec": {"serverless": {}}}, "Expected `int | null`, got `str`"),
    ("2025-04", {"name": "x", "dimension": 8, "spec": {"pod": {}}}, "serverless"),
    ("2025-04", {"name": "x", "vector_type": "sparse", "dimension": 3, "spec": {"serverless": {}}}, "dimension"),
    ("2026-07", {"name": "x", "schema": {"fields": {"g": {"type": "string"}}}}, "dense_vector or sparse_vector"),
    ("2026-07", {"name": "x", "schema": {"fields": {"v": {"type": "dense_vector", "metric": "cosine"}}}},
     "dimension must be an integer"),
])
def test_bad_create_bodies_are_invalid_arguments(version: str, body: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        parse_create(msgspec.json.encode(body), version)


def test_malformed_json_is_invalid_argument() -> None:
    with pytest.raises(InvalidArgument, match="Invalid request body"):
        parse_create(b"{not json", "2025-04")


def test_error_bodies_in_each_plane_shape() -> None:
    assert msgspec.json.decode(error_body(NotFound("Resource x not found"), data_plane=False)) == {
        "error": {"code": "NOT_FOUND", "message": "Resource x not found"}, "status": 404}
    assert msgspec.json.decode(error_body(AlreadyExists("taken"), data_plane=False))["status"] == 409
    assert msgspec.json.decode(error_body(InvalidArgument("bad dim"), data_plane=True)) == {
        "code": 3, "message": "bad dim", "details": []}
    assert msgspec.json.decode(error_body(Unauthenticated("no key"), data_plane=True))["code"] == 16
