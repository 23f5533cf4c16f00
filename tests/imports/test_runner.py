"""The runner end to end on local files with the real engine and catalog: success, every failure as
documented, cancel, resume after a restart."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from spruce.catalog import Catalog
from spruce.imports.layout import FILE_AS_PREFIX, NO_NAMESPACE
from spruce.imports.schema import FOOTER_UNREADABLE
from tests.imports.conftest import Stack, open_stack
from tests.imports.parquet_data import dense_table, rows_table, sparse_table, uri, write


def fetch_ids(stack: Stack, namespace: str, index: str = "idx") -> list[str]:
    ns = stack.engine.open_index(index).namespace(namespace)
    assert ns is not None
    ids: list[str] = []
    token: str | None = None
    while True:
        page, token = ns.list_ids("", 1000, token)
        ids += page
        if token is None:
            return ids


def test_dense_import_completes(stack: Stack, source_dir: Path) -> None:
    stack.create_index()
    write(dense_table(30), source_dir / "alpha" / "0.parquet", row_group_size=7)
    write(dense_table(20, start=30), source_dir / "alpha" / "1.parquet")
    write(dense_table(5, prefix="d"), source_dir / "__default__" / "0.parquet")

    job = stack.run(uri(source_dir))

    assert job.status == "Completed", job.error
    assert (job.records_imported, job.records_skipped, job.total_rows) == (55, 0, 55)
    assert job.percent_complete == 100.0
    assert job.finished_at is not None and job.error is None
    assert stack.namespaces() == {"alpha": 50, "": 5}
    ns = stack.engine.open_index("idx").namespace("alpha")
    record = ns.fetch(["v31"])[0]
    np.testing.assert_allclose(record.values, dense_table(20, start=30)["values"][1].as_py(), rtol=1e-6)
    assert json.loads(record.metadata) == {"n": 31, "tag": "t1"}
    assert ns.query(top_k=3, vector=record.values)[0].id == "v31"


def test_sparse_import(stack: Stack, source_dir: Path) -> None:
    stack.create_index("sp", None, "dotproduct", "sparse")
    write(sparse_table(12), source_dir / "ns" / "0.parquet")
    job = stack.run(uri(source_dir), index="sp")
    assert job.status == "Completed", job.error
    assert job.records_imported == 12
    ns = stack.engine.open_index("sp").namespace("ns")
    got = ns.fetch(["s3"])[0]
    assert got.sparse_indices.tolist() == [3, 4, 10]


def test_hybrid_import(stack: Stack, source_dir: Path) -> None:
    stack.create_index("hy", 4, "dotproduct", "dense")
    table = dense_table(6, metadata=False).append_column("sparse_values", sparse_table(6)["sparse_values"])
    write(table, source_dir / "ns" / "0.parquet")
    job = stack.run(uri(source_dir), index="hy")
    assert job.status == "Completed", job.error
    got = stack.engine.open_index("hy").namespace("ns").fetch(["v2"])[0]
    assert got.sparse_indices.tolist() == [2, 3, 9]


# The bad-input corpus of files that fail an import before any data moves: layout (relative path -> kind of
# file, see write_layout) and the import's error. Shared with the validator's agreement test (tests/cli).
BEFORE_DATA_CASES = [
    ({"loose.parquet": "good"}, NO_NAMESPACE),
    ({"ns/notes.txt": "text"}, 'No Parquet files found under "{uri}"'),
    ({"ns/0.parquet": "good", "ns/1.parquet": "empty"}, FOOTER_UNREADABLE),
    ({"ns/0.parquet": "good", "ns/1.parquet": "text"}, FOOTER_UNREADABLE),
    ({"ns/0.parquet": "good", "ns/1.parquet": "truncated"}, FOOTER_UNREADABLE),
    ({"a/0.parquet": "good", "b/0.parquet": "extra-column"}, 'Unsupported column "extra"'),
    ({"a/0.parquet": "good", "b/0.parquet": "no-values"}, 'Missing required column "values"'),
    (
        {"a/0.parquet": "good", "b/0.parquet": "int-values"},
        'The expected data type for column "values" is "list<float>", but got "list<int64>"',
    ),
]


def write_layout(source_dir: Path, layout: dict[str, str]) -> None:
    """Writes each file of a BEFORE_DATA_CASES layout: good 4-d Parquet, or one kind of broken file."""
    good = dense_table(5)
    for name, kind in layout.items():
        path = source_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "good":
            write(good, path)
        elif kind == "empty":
            path.write_bytes(b"")
        elif kind == "text":
            path.write_text("id,values\n")
        elif kind == "truncated":
            data = Path(write(good, path)).read_bytes()
            path.write_bytes(data[: len(data) // 2])
        elif kind == "extra-column":
            write(good.append_column("extra", pa.array(range(5))), path)
        elif kind == "no-values":
            write(good.drop_columns(["values"]), path)
        elif kind == "int-values":
            write(pa.table({"id": ["a"], "values": [[1, 2, 3, 4]]}), path)
        else:
            path.write_text(kind)


@pytest.mark.parametrize(("layout", "error"), BEFORE_DATA_CASES)
def test_failures_before_any_data(stack: Stack, source_dir: Path, layout: dict[str, str], error: str) -> None:
    stack.create_index()
    write_layout(source_dir, layout)

    job = stack.run(uri(source_dir))

    assert job.status == "Failed"
    assert job.error == error.format(uri=uri(source_dir))
    assert job.finished_at is not None
    assert stack.namespaces() == {}  # nothing written, not even to the namespaces before the bad file


def test_uri_naming_a_file(stack: Stack, source_dir: Path) -> None:
    stack.create_index()
    path = Path(write(dense_table(3), source_dir / "ns" / "0.parquet"))
    job = stack.run(path.as_uri())
    assert (job.status, job.error) == ("Failed", FILE_AS_PREFIX)


def test_existing_namespace_refused(stack: Stack, source_dir: Path) -> None:
    stack.create_index()
    write(dense_table(3), source_dir / "a" / "0.parquet")
    write(dense_table(3, prefix="b"), source_dir / "b" / "0.parquet")
    assert stack.run(uri(source_dir / "sub")).status == "Failed"  # nothing there
    first = stack.run(uri(source_dir))
    assert first.status == "Completed"
    second = stack.run(uri(source_dir))
    assert second.status == "Failed"
    assert second.error == 'The namespace "a" already exists. Imports are only allowed into nonexistent namespaces.'
    assert stack.namespaces() == {"a": 3, "b": 3}


BAD_ROWS = [
    {"id": None, "values": [1, 2, 3, 4]},
    {"id": "", "values": [1, 2, 3, 4]},
    {"id": "x" * 600, "values": [1, 2, 3, 4]},
    {"id": "wrongdim", "values": [1, 2, 3]},
    {"id": "nan", "values": [1, float("nan"), 3, 4]},
    {"id": "inf", "values": [1, float("-inf"), 3, 4]},
    {"id": "nullvalues", "values": None},
    {"id": "meta-list", "values": [1, 2, 3, 4], "metadata": "[1]"},
    {"id": "meta-bad", "values": [1, 2, 3, 4], "metadata": "{oops"},
    {"id": "meta-nested", "values": [1, 2, 3, 4], "metadata": '{"a": {"b": 1}}'},
    {"id": "meta-big", "values": [1, 2, 3, 4], "metadata": json.dumps({"k": "x" * 41_000})},
]


def mixed_rows() -> list[dict[str, object]]:
    good = [{"id": f"g{i}", "values": [i, 1, 2, 3], "metadata": '{"ok": 1}'} for i in range(20)]
    rows: list[dict[str, object]] = []
    for i, bad in enumerate(BAD_ROWS):
        rows += [good[i], bad]
    return rows + good[len(BAD_ROWS) :]


def test_bad_rows_skipped_in_continue_mode(stack: Stack, source_dir: Path) -> None:
    stack.create_index()
    write(rows_table(mixed_rows()), source_dir / "ns" / "0.parquet")
    job = stack.run(uri(source_dir), "continue")
    assert job.status == "Completed", job.error
    assert (job.records_imported, job.records_skipped) == (20, len(BAD_ROWS))
    assert sorted(fetch_ids(stack, "ns")) == sorted(f"g{i}" for i in range(20))


@pytest.mark.parametrize("bad_no", range(len(BAD_ROWS)))
def test_bad_row_fails_abort_mode(stack: Stack, source_dir: Path, bad_no: int) -> None:
    stack.create_index()
    rows = [{"id": f"g{i}", "values": [i, 1, 2, 3]} for i in range(5)]
    rows.insert(3, BAD_ROWS[bad_no])
    write(rows_table(rows), source_dir / "ns" / "0.parquet")
    job = stack.run(uri(source_dir), "abort")
    assert job.status == "Failed"
    assert job.error is not None
    assert job.error.startswith(f'error reading record (file "{uri(source_dir)}ns/0.parquet", row 3): ')
    assert stack.namespaces() == {}


def test_all_rows_skipped_fails_and_leaves_index_unchanged(stack: Stack, source_dir: Path) -> None:
    stack.create_index()
    write(rows_table([{"id": None, "values": [1, 2, 3, 4]}, {"id": "a", "values": [1]}]), source_dir / "ns/0.parquet")
    job = stack.run(uri(source_dir))
    assert (job.status, job.error) == ("Failed", "No vectors added, all rows were skipped for namespace: ns")
    assert job.records_skipped == 2
    assert stack.namespaces() == {}


def test_duplicate_ids_last_wins(stack: Stack, source_dir: Path) -> None:
    stack.create_index()
    rows = [
        {"id": "a", "values": [1, 0, 0, 0]},
        {"id": "b", "values": [0, 1, 0, 0]},
        {"id": "a", "values": [0, 0, 1, 0]},
    ]
    write(rows_table(rows), source_dir / "ns" / "0.parquet")
    write(rows_table([{"id": "b", "values": [0, 0, 0, 1]}]), source_dir / "ns" / "1.parquet")
    job = stack.run(uri(source_dir))
    assert job.status == "Completed", job.error
    assert job.records_imported == 2  # what is queryable, not the 4 rows read
    ns = stack.engine.open_index("idx").namespace("ns")
    got = {r.id: r.values.tolist() for r in ns.fetch(["a", "b"])}
    assert got == {"a": [0, 0, 1, 0], "b": [0, 0, 0, 1]}


def big_source(source_dir: Path, files: int = 4, rows: int = 3000) -> int:
    for f in range(files):
        write(dense_table(rows, start=f * rows), source_dir / "ns" / f"{f:02d}.parquet", row_group_size=500)
    return files * rows


def slow_options() -> dict[str, object]:
    # 256-row batches (the minimum) with a pause after each: the import takes a few seconds.
    return {"batch_bytes": 1, "yield_seconds": 0.03}


def wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_cancel_running_import_keeps_imported_records(settings, source_dir: Path) -> None:  # type: ignore[no-untyped-def]
    total = big_source(source_dir)
    stack = open_stack(settings, **slow_options())
    try:
        stack.create_index()
        job = stack.start_import(uri(source_dir))
        wait_for(lambda: stack.catalog.get_import("idx", job.id).records_imported >= 512)
        started = time.monotonic()
        cancelled = stack.runner.cancel("idx", job.id)
        assert time.monotonic() - started < 3
        assert cancelled.status == "Cancelled"
        final = stack.wait(job)
        assert final.status == "Cancelled" and final.finished_at is not None
        kept = stack.namespaces()["ns"]
        assert 0 < kept < total
        assert final.records_imported == kept
        assert stack.runner.cancel("idx", job.id).status == "Cancelled"  # idempotent
    finally:
        stack.close()


def test_cancel_pending_import(stack: Stack, source_dir: Path) -> None:
    stack.create_index()
    stack.runner.stop()  # nothing runs: the job stays Pending
    write(dense_table(3), source_dir / "ns" / "0.parquet")
    job = stack.start_import(uri(source_dir))
    cancelled = stack.runner.cancel("idx", job.id)
    assert cancelled.status == "Cancelled" and cancelled.finished_at is not None


def test_resume_after_restart_is_exact(settings, source_dir: Path) -> None:  # type: ignore[no-untyped-def]
    total = big_source(source_dir)
    write(dense_table(700, prefix="o"), source_dir / "other" / "0.parquet")
    total += 700
    stack = open_stack(settings, **slow_options())
    try:
        stack.create_index()
        job = stack.start_import(uri(source_dir))
        wait_for(lambda: stack.catalog.get_import("idx", job.id).records_imported >= 1000)
        stack.close()  # a restart mid-import: workers stop after their batch, the job stays InProgress
        catalog = Catalog(settings.catalog_path)
        interrupted = catalog.get_import("idx", job.id)
        catalog.close()
        assert interrupted.status == "InProgress" and interrupted.records_imported < total
        stack = open_stack(settings, yield_seconds=0.0)
        final = stack.wait(job)
        assert final.status == "Completed", final.error
        assert final.records_imported == total and final.records_skipped == 0
        assert final.percent_complete == 100.0
        ids = fetch_ids(stack, "ns")
        assert len(ids) == len(set(ids)) == total - 700
        assert stack.namespaces() == {"ns": total - 700, "other": 700}
    finally:
        stack.close()


def test_forget_index_stops_its_imports(settings, source_dir: Path) -> None:  # type: ignore[no-untyped-def]
    big_source(source_dir)
    stack = open_stack(settings, **slow_options())
    try:
        stack.create_index()
        job = stack.start_import(uri(source_dir))
        wait_for(lambda: stack.catalog.get_import("idx", job.id).records_imported > 0)
        started = time.monotonic()
        stack.runner.forget_index("idx")
        assert time.monotonic() - started < 5
        stack.engine.drop_index("idx")
        stack.catalog.delete_index("idx")
    finally:
        stack.close()


def test_percent_complete_is_honest(settings, source_dir: Path) -> None:  # type: ignore[no-untyped-def]
    total = big_source(source_dir, files=2)
    stack = open_stack(settings, **slow_options())
    try:
        stack.create_index()
        job = stack.start_import(uri(source_dir))
        wait_for(lambda: stack.catalog.get_import("idx", job.id).records_imported >= 1000)
        mid = stack.catalog.get_import("idx", job.id)
        assert mid.status == "InProgress"
        assert mid.total_rows == total
        assert 0 < mid.percent_complete < 100
        assert mid.percent_complete == pytest.approx(mid.records_imported * 100 / total, abs=100 * 512 / total)
        assert stack.wait(job).percent_complete == 100.0
    finally:
        stack.close()
