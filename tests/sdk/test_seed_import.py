"""The seed document's bulk-import snippets, nearly verbatim, with the official SDK 10 against a real server
reading from real storage servers (moto S3, fake-gcs-server, Azurite) and local disk."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow.fs as pafs
import pytest
from pinecone import Pinecone, ServerlessSpec
from pinecone.errors import NotFoundError, PineconeError
from pinecone.models.imports.error_mode import ImportErrorMode

from tests.emulators import AZURITE_ACCOUNT, Emulator
from tests.parquet_data import Dataset, dense_table, write_dense_dataset
from tests.sdk.importing import local_source, wait_for_import
from tests.server import SpruceServer

DIM = 8
SPEC = ServerlessSpec(cloud="aws", region="us-east-1")
PACED_ROWS_PER_SECOND = 2_000


@pytest.fixture(scope="module")
def import_server(tmp_path_factory: pytest.TempPathFactory, s3_emulator: Emulator, gcs_emulator: Emulator,
                  azure_emulator: Emulator) -> Iterator[SpruceServer]:
    data_dir = tmp_path_factory.mktemp("seed") / "data"
    env = {**s3_emulator.env, **gcs_emulator.env, **azure_emulator.env}
    server = SpruceServer(data_dir, env=env).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def paced_server(tmp_path: Path) -> Iterator[SpruceServer]:
    """A server whose imports are rate-limited, so one is surely still running when a test acts on it."""
    env = {"SPRUCE_IMPORT_MAX_ROWS_PER_SECOND": str(PACED_ROWS_PER_SECOND)}
    server = SpruceServer(tmp_path / "data", env=env).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def pc(import_server: SpruceServer) -> Pinecone:
    return Pinecone(api_key="your-api-key", host=import_server.url)


_counter = iter(range(10_000))


@pytest.fixture
def index_name(pc: Pinecone) -> str:
    name = f"product-search-{next(_counter)}"
    pc.create_index(name, dimension=DIM, metric="euclidean", spec=SPEC)
    return name


def _source(kind: str, server: SpruceServer, emulators: dict[str, Emulator], name: str
            ) -> tuple[pafs.FileSystem, str, str]:
    """(filesystem to upload with, base path, import uri) for a fresh prefix in the given store."""
    if kind == "file":
        return local_source(server, name)
    fs = emulators[kind].filesystem
    bucket = f"seed-{kind}-{name}"
    fs.create_dir(bucket)
    uri = {
        "s3": f"s3://{bucket}/embeddings/",
        "gcs": f"gs://{bucket}/embeddings/",
        "azure": f"https://{AZURITE_ACCOUNT}.blob.core.windows.net/{bucket}/embeddings/",
    }[kind]
    return fs, f"{bucket}/embeddings", uri


def _check_records(index, data: Dataset) -> None:  # type: ignore[no-untyped-def]
    stats = index.describe_index_stats()
    for namespace, ids in data.ids.items():
        wire = namespace or "__default__"
        assert stats.namespaces[wire].vector_count == len(ids)
        vectors = data.vectors[namespace]
        query = vectors[3] + 0.01
        expected = [ids[i] for i in np.argsort(((vectors - query) ** 2).sum(axis=1))[:5]]
        result = index.query(vector=query.tolist(), top_k=5, namespace=namespace)
        assert [m.id for m in result.matches] == expected
        fetched = index.fetch(ids=[ids[0], ids[-1]], namespace=namespace).vectors
        assert np.allclose(fetched[ids[-1]].values, vectors[-1])
        assert fetched[ids[0]].metadata == data.metadata[namespace][0]


@pytest.mark.parametrize("kind", ["s3", "gcs", "azure", "file"])
def test_seed_flow_end_to_end(kind: str, pc: Pinecone, index_name: str, import_server: SpruceServer,
                              s3_emulator: Emulator, gcs_emulator: Emulator, azure_emulator: Emulator,
                              capsys: pytest.CaptureFixture[str]) -> None:
    emulators = {"s3": s3_emulator, "gcs": gcs_emulator, "azure": azure_emulator}
    fs, base, uri = _source(kind, import_server, emulators, index_name)
    data = write_dense_dataset(fs, base, {"": 300, "reviews": 120}, DIM, files_per_namespace=3, seed=1)
    fs.create_dir(f"{base}/logs")
    with fs.open_output_stream(f"{base}/reviews/_SUCCESS") as out:  # not Parquet: ignored
        out.write(b"")

    index = pc.index(index_name)
    response = index.start_import(uri=uri)
    import_id = response.id
    print(import_id)  # e.g. "1"
    assert import_id == "1"

    import_op = wait_for_import(index, import_id)
    if import_op.status == "Completed":
        print(f"Imported {import_op.records_imported} records")
    assert import_op.status == "Completed", import_op.error
    assert import_op.records_imported == data.total
    assert import_op.percent_complete == 100.0
    assert import_op.finished_at is not None
    assert capsys.readouterr().out.splitlines() == ["1", f"Imported {data.total} records"]
    _check_records(index, data)


def test_abort_mode_fails_at_first_bad_record(pc: Pinecone, index_name: str, import_server: SpruceServer) -> None:
    fs, base, uri = local_source(import_server, index_name)
    fs.create_dir(f"{base}/__default__")
    vectors = np.ones((5, DIM), dtype=np.float32)
    vectors[2, 0] = np.nan
    with fs.open_output_stream(f"{base}/__default__/a.parquet") as out:
        import pyarrow.parquet as pq
        pq.write_table(dense_table([f"r{i}" for i in range(5)], vectors, [None] * 5), out)
    index = pc.index(index_name)

    response = index.start_import(uri=uri, error_mode="abort")
    failed = wait_for_import(index, response.id)
    assert failed.status == "Failed"
    assert "row 2" in failed.error and "a.parquet" in failed.error
    assert failed.finished_at is not None

    response = index.start_import(uri=uri, error_mode=ImportErrorMode.ABORT)
    assert wait_for_import(index, response.id).status == "Failed"

    # The seed's default is continue: the bad row is skipped, the rest imported.
    response = index.start_import(uri=uri)
    done = wait_for_import(index, response.id)
    assert done.status == "Completed", done.error
    assert done.records_imported == 4
    assert sorted(index.fetch(ids=[f"r{i}" for i in range(5)]).vectors) == ["r0", "r1", "r3", "r4"]


def test_list_imports_pages_and_limit(pc: Pinecone, index_name: str, import_server: SpruceServer) -> None:
    fs, base, uri = local_source(import_server, index_name)
    write_dense_dataset(fs, base, {"only": 3}, DIM)
    index = pc.index(index_name)
    started = [index.start_import(uri=uri).id for _ in range(105)]
    assert started == [str(i) for i in range(1, 106)]
    for import_id in started[-3:]:
        wait_for_import(index, import_id)

    seen = []
    for imp in index.list_imports():
        print(imp.id, imp.status, imp.percent_complete)
        seen.append(imp.id)
    assert seen == started

    limited = [imp.id for imp in index.list_imports(limit=20)]
    assert limited == started
    page = index.list_imports_paginated(limit=20)
    assert len(page) == 20 and page.pagination is not None
    last = index.list_imports_paginated(limit=20, pagination_token="100")
    assert [imp.id for imp in last] == ["101", "102", "103", "104", "105"] and last.pagination is None
    statuses = {imp.status for imp in index.list_imports()}
    # The first import of "only" wins; every later one finds the namespace taken.
    assert statuses <= {"Completed", "Failed", "Pending", "InProgress"}


def test_cancel_running_import_keeps_imported_records(paced_server: SpruceServer) -> None:
    pc = Pinecone(api_key="your-api-key", host=paced_server.url)
    pc.create_index("cancel-me", dimension=256, spec=SPEC)
    fs, base, uri = local_source(paced_server, "cancel-me")
    # 10 s at the server's rate limit; the first commit lands ~2 s in, and we cancel right after it.
    total = 20_000
    write_dense_dataset(fs, base, {"big": total}, 256, files_per_namespace=4, row_group_size=1000, seed=5)
    index = pc.index("cancel-me")
    import_id = index.start_import(uri=uri).id
    deadline = time.monotonic() + 60
    while index.describe_import(import_id).records_imported == 0:
        assert time.monotonic() < deadline
        time.sleep(0.02)

    index.cancel_import(import_id)
    cancelled = wait_for_import(index, import_id, timeout=10)
    assert cancelled.status == "Cancelled"
    assert cancelled.finished_at is not None
    imported = cancelled.records_imported
    assert 0 < imported < total
    assert index.describe_index_stats().namespaces["big"].vector_count == imported
    listed = sum(len(page.vectors) for page in index.list(namespace="big"))
    assert listed == imported

    index.cancel_import(import_id)  # cancelling a finished import changes nothing
    assert index.describe_import(import_id).status == "Cancelled"
    time.sleep(0.5)
    assert index.describe_index_stats().namespaces["big"].vector_count == imported


def test_bad_requests_are_refused_at_once(pc: Pinecone, index_name: str) -> None:
    index = pc.index(index_name)
    for uri in ("", "ftp://host/dir/", "file:///etc/"):
        with pytest.raises(PineconeError):
            index.start_import(uri=uri)
    with pytest.raises(PineconeError):
        index.start_import(uri="s3://bucket/dir/", integration_id="no-such-integration")
    with pytest.raises(NotFoundError):
        index.describe_import("999")
    assert list(index.list_imports()) == []
