"""Restart safety of bulk imports, through the official SDK against a real server process.

A server killed with SIGKILL mid-import resumes the import from its last checkpoint on restart: no record lost
or duplicated, ``recordsImported`` exact. Job history survives a restart. The import rate limit
(``SPRUCE_IMPORT_MAX_ROWS_PER_SECOND``) is what makes "mid-import" deterministic: the import cannot finish
before the test has seen a commit and pulled the plug.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from pinecone import Pinecone, ServerlessSpec
from pinecone.models.imports import ImportModel

from tests.parquet_data import Dataset, write_dense_dataset
from tests.sdk.importing import local_source, wait_for_import
from tests.server import SpruceServer

DIM = 16
SPEC = ServerlessSpec(cloud="aws", region="us-east-1")
RATE = 4000  # rows/s: the first commit lands ~2 s in (the executor commits every 2 s when reads are slow)
LIMIT = "SPRUCE_IMPORT_MAX_ROWS_PER_SECOND"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SpruceServer]:
    server = SpruceServer(tmp_path / "data", env={LIMIT: str(RATE)}).start()
    try:
        yield server
    finally:
        server.stop()


def _until(what: str, check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _crash_and_restart(server: SpruceServer, *, rate: int | None) -> None:
    """SIGKILL (no shutdown hooks run), then start on the same data dir and port with the given rate limit."""
    server.kill()
    if rate is None:
        server.env.pop(LIMIT, None)
    else:
        server.env[LIMIT] = str(rate)
    server.start()


def _listed_ids(index, namespace: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [v.id for page in index.list(namespace=namespace, limit=100) for v in page.vectors]


def _check_exactly_once(index, data: Dataset) -> None:  # type: ignore[no-untyped-def]
    """Every written id is listed exactly once, stats agree, a sample fetches back intact, and queries match
    brute force."""
    rng = np.random.default_rng(11)
    stats = index.describe_index_stats()
    for namespace, ids in data.ids.items():
        listed = _listed_ids(index, namespace)
        assert len(listed) == len(set(listed)), "an id is listed twice: a batch was written twice"
        assert sorted(listed) == sorted(ids)
        assert stats.namespaces[namespace or "__default__"].vector_count == len(ids)

        vectors = data.vectors[namespace]
        sample = rng.choice(len(ids), 25, replace=False)
        fetched = index.fetch(ids=[ids[i] for i in sample], namespace=namespace).vectors
        assert len(fetched) == len(sample)
        for i in sample:
            assert np.allclose(fetched[ids[i]].values, vectors[i])
            assert fetched[ids[i]].metadata == data.metadata[namespace][i]

        # ANN may serve these (segments past the index threshold), so overall recall, not per-query equality;
        # a stored vector must still find itself first.
        hits = 0
        for i in sample[:10]:
            query = vectors[i] + rng.normal(scale=0.05, size=DIM).astype(np.float32)
            truth = {ids[j] for j in np.argsort(((vectors - query) ** 2).sum(axis=1))[:10]}
            matches = index.query(vector=query.tolist(), top_k=10, namespace=namespace).matches
            assert matches[0].id == ids[i]
            hits += len(truth & {m.id for m in matches})
        assert hits / 100 >= 0.95


def test_kill_mid_import_resumes_exactly_once(server: SpruceServer) -> None:
    pc = Pinecone(api_key="key", host=server.url)
    pc.create_index("crash", dimension=DIM, metric="euclidean", spec=SPEC)
    fs, base, uri = local_source(server, "crash")
    # Several files and row groups per namespace, so the checkpoints land mid-file, and a second namespace
    # that the first crash never reaches.
    data = write_dense_dataset(fs, base, {"": 24_000, "reviews": 8_000}, DIM, files_per_namespace=3,
                               row_group_size=1_500, seed=3)
    index = pc.index("crash")
    import_id = index.start_import(uri=uri).id

    _until("a first commit", lambda: (index.describe_import(import_id).records_imported or 0) > 0)
    before_first = index.describe_import(import_id).records_imported
    assert before_first < data.total  # the rate limit keeps it surely mid-way
    _crash_and_restart(server, rate=RATE)

    # Resumed (a restart from scratch would fail: "namespace already exists"), and progressing past the
    # first crash's checkpoint; crash once more while still paced.
    _until("progress after the restart", lambda: index.describe_import(import_id).records_imported > before_first)
    before_second = index.describe_import(import_id).records_imported
    assert before_second < data.total
    _crash_and_restart(server, rate=None)

    done = wait_for_import(index, import_id, timeout=60)
    assert done.status == "Completed", done.error
    assert done.records_imported == data.total
    assert done.percent_complete == 100.0
    assert done.finished_at is not None
    _check_exactly_once(index, data)


def _history(index) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    listed: list[ImportModel] = list(index.list_imports())
    return [imp.to_dict() for imp in listed]


def test_job_history_survives_restart(server: SpruceServer) -> None:
    pc = Pinecone(api_key="key", host=server.url)
    pc.create_index("history", dimension=DIM, metric="euclidean", spec=SPEC)
    index = pc.index("history")
    fs, base, small_uri = local_source(server, "history-small")
    write_dense_dataset(fs, base, {"small": 300}, DIM)
    fs, base, big_uri = local_source(server, "history-big")
    write_dense_dataset(fs, base, {"big": 40_000}, DIM, files_per_namespace=2, row_group_size=2_000)

    completed = index.start_import(uri=small_uri).id
    assert wait_for_import(index, completed).status == "Completed"
    failed = index.start_import(uri=small_uri).id  # "small" is now taken
    assert wait_for_import(index, failed).status == "Failed"
    cancelled = index.start_import(uri=big_uri).id  # 10 s at the rate limit: surely running when cancelled
    _until("a first commit", lambda: (index.describe_import(cancelled).records_imported or 0) > 0)
    index.cancel_import(cancelled)
    assert wait_for_import(index, cancelled, timeout=10).status == "Cancelled"
    before = _history(index)
    assert [h["status"] for h in before] == ["Completed", "Failed", "Cancelled"]

    # Both a crash and a clean restart keep every job, field for field, and start none of them again.
    _crash_and_restart(server, rate=RATE)
    assert _history(index) == before
    server.restart()
    assert _history(index) == before
    for job in before:
        assert index.describe_import(str(job["id"])).to_dict() == job
    time.sleep(0.5)  # a finished job wrongly resumed would now be moving its namespace's count
    stats = index.describe_index_stats()
    assert stats.namespaces["small"].vector_count == 300
    assert stats.namespaces["big"].vector_count == before[2]["records_imported"]


def test_rate_limit_paces_an_import(server: SpruceServer) -> None:
    pc = Pinecone(api_key="key", host=server.url)
    pc.create_index("paced", dimension=DIM, metric="euclidean", spec=SPEC)
    fs, base, uri = local_source(server, "paced")
    rows = 10_000  # 2.5 s at 4000 rows/s; unlimited it takes well under a second
    write_dense_dataset(fs, base, {"": rows}, DIM, files_per_namespace=2, row_group_size=1_000)
    index = pc.index("paced")
    started = time.monotonic()
    import_id = index.start_import(uri=uri).id
    done = wait_for_import(index, import_id, timeout=30)
    elapsed = time.monotonic() - started
    assert done.status == "Completed", done.error
    assert done.records_imported == rows
    assert elapsed >= rows / RATE * 0.9
