"""``/metrics`` parses with Prometheus' own text parser, and its numbers are the API's numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cli.helpers import api, file_uri, wait_for
from tests.imports.parquet_data import dense_table, rows_table, write
from tests.imports.test_runner import mixed_rows
from tests.server import SpruceServer

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(server: SpruceServer) -> Samples:
    response = api(server, "GET", "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def create_index(server: SpruceServer, name: str) -> None:
    body = {"name": name, "dimension": 4, "metric": "cosine", "spec": {"serverless": {"cloud": "aws", "region": "x"}}}
    assert api(server, "POST", "/indexes", json=body, version="2025-10").status_code == 201


def run_import(server: SpruceServer, index: str, source: Path, mode: str = "continue") -> dict[str, object]:
    body = {"uri": file_uri(source), "errorMode": {"onError": mode}}
    import_id = api(server, "POST", f"/data/{index}/bulk/imports", json=body).json()["id"]
    path = f"/data/{index}/bulk/imports/{import_id}"
    wait_for(lambda: api(server, "GET", path).json()["status"] in ("Completed", "Failed"))
    return api(server, "GET", path).json()


def test_metrics_match_the_api(spruce: SpruceServer) -> None:
    imports = spruce.data_dir / "imports"
    write(rows_table(mixed_rows()), imports / "mixed" / "ns" / "0.parquet")
    write(dense_table(300), imports / "plain" / "big" / "0.parquet")
    write(rows_table([{"id": None, "values": [1, 2, 3, 4]}]), imports / "broken" / "b" / "0.parquet")
    create_index(spruce, "m1")
    create_index(spruce, "m2")
    assert run_import(spruce, "m1", imports / "mixed")["status"] == "Completed"
    assert run_import(spruce, "m1", imports / "plain")["status"] == "Completed"
    assert run_import(spruce, "m2", imports / "broken")["status"] == "Failed"

    vectors = [{"id": f"u{i}", "values": [i, 1, 0, 0]} for i in range(10)]
    for _ in range(3):
        assert api(spruce, "POST", "/data/m2/vectors/upsert", json={"vectors": vectors}).status_code == 200
    for _ in range(5):
        assert api(spruce, "POST", "/data/m1/query", json={"topK": 3, "vector": [1, 0, 0, 0], "namespace": "big"}
                   ).status_code == 200
    assert api(spruce, "POST", "/data/m1/query", json={"topK": 0, "vector": [1, 0, 0, 0]}).status_code == 400

    samples = scrape(spruce)

    for index in ("m1", "m2"):
        jobs = api(spruce, "GET", f"/data/{index}/bulk/imports").json()["data"]
        by_status: dict[str, int] = {}
        for job in jobs:
            by_status[job["status"]] = by_status.get(job["status"], 0) + 1
        for status, count in by_status.items():
            assert value(samples, "spruce_imports", index=index, status=status) == count
        assert value(samples, "spruce_import_records_imported", index=index) == sum(j["recordsImported"] for j in jobs)
        assert value(samples, "spruce_import_records_skipped", index=index) == sum(
            j["validationResult"]["importErrors"] for j in jobs
        )
        stats = api(spruce, "POST", f"/data/{index}/describe_index_stats", json={}).json()
        assert value(samples, "spruce_index_vectors", index=index) == stats["totalVectorCount"]
        assert value(samples, "spruce_index_namespaces", index=index) == len(stats["namespaces"])

    assert value(samples, "spruce_index_segments", index="m1") >= 1  # imports write sealed segments
    assert value(samples, "spruce_index_segments", index="m2") == 0  # upserts wait in the WAL + memtable
    assert value(samples, "spruce_index_memtable_rows", index="m2") == 10  # three upserts of the same ten ids
    assert value(samples, "spruce_index_wal_bytes", index="m2") > 0
    assert value(samples, "spruce_index_unindexed_rows", index="m2") == 10
    assert value(samples, "spruce_index_memtable_rows", index="m1") == 0  # imports write segments directly
    assert value(samples, "spruce_request_duration_seconds_count", operation="query") == 6
    assert value(samples, "spruce_request_duration_seconds_count", operation="upsert") == 3
    assert value(samples, "spruce_request_duration_seconds_bucket", operation="upsert", le="+Inf") == 3
    assert value(samples, "spruce_requests_total", operation="query", status="2xx") == 5
    assert value(samples, "spruce_requests_total", operation="query", status="4xx") == 1
    assert value(samples, "spruce_request_duration_seconds_sum", operation="query") > 0
    assert value(samples, "process_resident_memory_bytes") > 10 * 2**20
    assert not [k for k in samples if k[0] == "spruce_import_rows_per_second"]  # nothing runs now


@pytest.mark.parametrize("keys", ["secret"])
def test_metrics_need_the_api_key_but_console_does_not(tmp_path: Path, keys: str) -> None:
    server = SpruceServer(tmp_path / "data", env={"SPRUCE_API_KEYS": keys}).start()
    try:
        assert api(server, "GET", "/metrics").status_code == 401
        assert api(server, "GET", "/console").status_code == 200
    finally:
        server.stop()
