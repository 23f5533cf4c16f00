"""The edge over real HTTP: auth, error bodies, malformed input, OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.server import SpruceServer


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpruceServer]:
    server = SpruceServer(tmp_path_factory.mktemp("keyed") / "data", env={"SPRUCE_API_KEYS": "alpha,beta"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_api_keys_are_enforced_on_both_planes(keyed: SpruceServer) -> None:
    missing = httpx.get(f"{keyed.url}/indexes")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "UNAUTHENTICATED"
    wrong = httpx.post(f"{keyed.url}/data/x/query", headers={"Api-Key": "gamma"}, json={"topK": 1})
    assert wrong.status_code == 401
    assert wrong.json()["code"] == 16
    assert httpx.get(f"{keyed.url}/indexes", headers={"Api-Key": "beta"}).status_code == 200
    assert httpx.get(f"{keyed.url}/openapi.json").status_code == 200


def test_any_key_is_accepted_when_none_configured(shared_spruce: SpruceServer) -> None:
    assert httpx.get(f"{shared_spruce.url}/indexes", headers={"Api-Key": "whatever"}).status_code == 200
    assert httpx.get(f"{shared_spruce.url}/indexes").status_code == 200


@pytest.mark.parametrize("body", [
    b"{", b"[]", b'{"name": 5}', b'{"name": "ok", "dimension": -1, "spec": {"serverless": {}}}',
    b'{"name": "Bad_Name", "dimension": 3, "spec": {"serverless": {}}}',
])
def test_bad_control_plane_bodies_get_400_in_control_shape(shared_spruce: SpruceServer, body: bytes) -> None:
    response = httpx.post(f"{shared_spruce.url}/indexes", content=body,
                          headers={"Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "INVALID_ARGUMENT"
    assert httpx.get(f"{shared_spruce.url}/indexes").json() == {"indexes": []}


def test_data_plane_errors_use_grpc_shape(shared_spruce: SpruceServer) -> None:
    missing = httpx.post(f"{shared_spruce.url}/data/nope/query", json={"topK": 1, "vector": [1.0]})
    assert missing.status_code == 404
    assert missing.json()["code"] == 5
    httpx.post(f"{shared_spruce.url}/indexes", json={"name": "edge", "dimension": 2, "spec": {"serverless": {}}})
    for body in (b"{", b'{"topK": "ten", "vector": [1, 2]}', b'{"topK": 0, "vector": [1, 2]}',
                 b'{"topK": 5, "vector": [1, 2, 3]}', b'{"topK": 5, "vector": [1, 2], "filter": {"a": {"$bad": 1}}}'):
        response = httpx.post(f"{shared_spruce.url}/data/edge/query", content=body)
        assert response.status_code == 400, (body, response.text)
        assert response.json()["code"] == 3
    bad_upsert = httpx.post(f"{shared_spruce.url}/data/edge/vectors/upsert",
                            json={"vectors": [{"id": "a", "values": [1, 2]}, {"id": "b", "values": [1]}]})
    assert bad_upsert.status_code == 400
    stats = httpx.post(f"{shared_spruce.url}/data/edge/describe_index_stats", json={}).json()
    assert stats["totalVectorCount"] == 0  # the rejected batch wrote nothing


def test_openapi_lists_every_route(shared_spruce: SpruceServer) -> None:
    spec = httpx.get(f"{shared_spruce.url}/openapi.json").json()
    assert "/indexes" in spec["paths"]
    assert "post" in spec["paths"]["/data/{index}/bulk/imports"]
    assert "requestBody" in spec["paths"]["/data/{index}/query"]["post"]
    assert httpx.get(f"{shared_spruce.url}/docs").status_code == 200


def test_refuses_public_bind_without_keys(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "spruce", "serve", "--host", "0.0.0.0", "--port", "1",
                             "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "--allow-insecure" in result.stderr
