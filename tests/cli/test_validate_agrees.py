"""The validator and the importer agree on the whole bad-input corpus of the import tests: same verdict per
file, same error in the same words, and the refused rows the validator explains are the import's skipped records."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from spruce.config import Settings
from spruce.imports.execute import SKIPPED_REPORT_LIMIT
from spruce.imports.validate import ValidationReport, validate_source
from spruce.storage import open_source
from tests.imports.conftest import Stack
from tests.imports.parquet_data import dense_table, rows_table, uri, write
from tests.imports.test_runner import BAD_ROWS, BEFORE_DATA_CASES, mixed_rows, write_layout


def validate(settings: Settings, directory: Path, stack: Stack | None = None, index: str = "idx") -> ValidationReport:
    existing = stack.namespaces(index) if stack is not None else None
    source = open_source(uri(directory), None, settings, {})
    return validate_source(source, vector_type="dense", dimension=4, existing=existing)


@pytest.mark.parametrize(("layout", "error"), BEFORE_DATA_CASES)
def test_before_data_cases(stack: Stack, settings: Settings, source_dir: Path, layout: dict[str, str],
                           error: str) -> None:
    whole = source_dir / "whole"
    write_layout(whole, layout)
    report = validate(settings, whole)
    stack.create_index()
    job = stack.run(uri(whole))

    assert job.status == "Failed" and not report.ok
    assert report.failure("continue") == report.failure("abort") == job.error == error.format(uri=uri(whole))

    # Per file: the validator's verdict is what importing that file alone does.
    verdicts = {f.file: f for f in report.files}
    for n, (name, kind) in enumerate(sorted(layout.items())):
        if not name.endswith(".parquet") or "/" not in name:
            continue  # a layout-level case: no per-file verdict, the report's error covers it
        alone = source_dir / f"alone-{n}"
        target = alone / name
        target.parent.mkdir(parents=True)
        shutil.copy(whole / name, target)
        stack.create_index(f"alone-{n}")
        single = stack.run(uri(alone), index=f"alone-{n}")
        verdict = verdicts[f"{uri(whole)}{name}"]
        assert verdict.ok == (single.status == "Completed") == (kind == "good"), (name, single.error)
        if not verdict.ok:
            assert single.error == verdict.error


def test_bad_rows_continue_mode_matches_the_skipped_report(stack: Stack, settings: Settings,
                                                            source_dir: Path) -> None:
    write(rows_table(mixed_rows()), source_dir / "ns" / "0.parquet")
    report = validate(settings, source_dir)
    stack.create_index()
    job = stack.run(uri(source_dir), "continue")

    [verdict] = report.files
    assert job.status == "Completed" and not verdict.ok
    assert verdict.refused == job.records_skipped == len(BAD_ROWS)
    assert verdict.sampled == job.records_imported + job.records_skipped
    kept = stack.catalog.skipped_records("idx", job.id, SKIPPED_REPORT_LIMIT)
    assert len(kept) == job.records_skipped  # under the limit every skipped record is kept
    assert [(p.row, p.id, p.reason) for p in verdict.problems] == [(k.row, k.id, k.reason) for k in kept[:5]]
    assert {k.file for k in kept} == {verdict.file}


@pytest.mark.parametrize("bad_no", range(len(BAD_ROWS)))
def test_bad_row_abort_mode_same_error(stack: Stack, settings: Settings, source_dir: Path, bad_no: int) -> None:
    rows = [{"id": f"g{i}", "values": [i, 1, 2, 3]} for i in range(5)]
    rows.insert(3, BAD_ROWS[bad_no])
    write(rows_table(rows), source_dir / "ns" / "0.parquet")
    report = validate(settings, source_dir)
    stack.create_index()
    job = stack.run(uri(source_dir), "abort")
    assert job.status == "Failed" and not report.ok
    assert report.failure("abort") == job.error


def test_all_rows_refused(stack: Stack, settings: Settings, source_dir: Path) -> None:
    write(rows_table([{"id": None, "values": [1, 2, 3, 4]}, {"id": "a", "values": [1]}]), source_dir / "ns/0.parquet")
    report = validate(settings, source_dir)
    stack.create_index()
    job = stack.run(uri(source_dir))
    assert job.status == "Failed" and report.failure("continue") == job.error


def test_existing_namespace(stack: Stack, settings: Settings, source_dir: Path) -> None:
    write(dense_table(3), source_dir / "a" / "0.parquet")
    stack.create_index()
    assert stack.run(uri(source_dir)).status == "Completed"
    report = validate(settings, source_dir, stack)
    again = stack.run(uri(source_dir))
    assert again.status == "Failed" and report.failure() == again.error
    assert [f.ok for f in report.files] == [True]  # the files are fine; the namespace is taken


def test_good_source_is_valid(stack: Stack, settings: Settings, source_dir: Path) -> None:
    write(dense_table(30), source_dir / "a" / "0.parquet", row_group_size=7)
    write(dense_table(5, prefix="d"), source_dir / "__default__" / "0.parquet")
    report = validate(settings, source_dir)
    stack.create_index()
    assert report.ok and report.failure() is None
    assert stack.run(uri(source_dir)).status == "Completed"
