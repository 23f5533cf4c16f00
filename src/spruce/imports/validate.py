"""Checking an import source before importing it: the import's own planning checks, per file, plus a row sample.

Nothing here has checks of its own. Layout comes from ``layout.discover``, footers and schemas from
``schema.inspect_footers`` (what ``plan_import`` stops at), namespace clashes from ``plan.namespace_exists`` and
rows from ``records.check_batch`` with the reasons of ``records.explain_row`` (what the import skips or aborts
on). So a file the validator calls OK is one the import accepts, and a BAD one fails or loses rows in the import,
with the same words.

Only footers and the first ``sample_rows`` rows of each file are read: on object stores that is a few range
requests per file, never a whole file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from spruce.config import Settings
from spruce.errors import ImportFailure, InvalidArgument
from spruce.imports.execute import all_skipped, record_error
from spruce.imports.layout import discover, display_path
from spruce.imports.plan import IndexView, namespace_exists
from spruce.imports.records import check_batch, explain_row, readable_id
from spruce.imports.schema import FileFooter, inspect_footers, open_parquet
from spruce.storage import Source, open_source, validate_import_request

DEFAULT_SAMPLE_ROWS = 1000
MAX_SAMPLE_ROWS = 1_000_000
PROBLEMS_PER_FILE = 5  # refused rows explained per file; the count covers them all


@dataclass(frozen=True, slots=True)
class RowProblem:
    row: int
    id: str | None
    reason: str


@dataclass(slots=True)
class FileVerdict:
    file: str  # as the user knows it: uri + path below the prefix
    namespace: str
    rows: int | None = None  # from the footer; None when the footer is refused
    error: str | None = None  # why the import would fail on this file before reading any data
    sampled: int = 0
    refused: int = 0  # sampled rows the import would skip (continue) or fail on (abort)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and self.refused == 0


@dataclass(slots=True)
class ValidationReport:
    uri: str
    error: str | None = None  # a layout problem: nothing under the uri can be imported
    files: list[FileVerdict] = field(default_factory=list)
    clashes: dict[str, str] = field(default_factory=dict)  # namespaces the import refuses: they hold records
    all_refused: dict[str, str] = field(default_factory=dict)  # namespaces whose every row is refused

    def namespace_error(self, namespace: str) -> str | None:
        return self.clashes.get(namespace) or self.all_refused.get(namespace)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.clashes and not self.all_refused and all(f.ok for f in self.files)

    def failure(self, error_mode: str = "continue") -> str | None:
        """The error the import would fail with, met in the import's order (as far as the sample shows):
        layout, namespaces that already exist, refused footers, then rows — the first refused row under
        ``abort``, a namespace with every row refused under ``continue``."""
        if self.error:
            return self.error
        if self.clashes:
            return next(iter(self.clashes.values()))
        refused_footer = next((f.error for f in self.files if f.error), None)
        if refused_footer:
            return refused_footer
        for f in self.files:
            if error_mode == "abort" and f.problems:
                return record_error(f.file, f.problems[0].row, f.problems[0].reason)
            if error_mode != "abort" and f.namespace in self.all_refused:
                return self.all_refused[f.namespace]
        return None

    def to_wire(self) -> dict[str, Any]:
        namespaces = sorted({f.namespace for f in self.files})
        return {
            "uri": self.uri,
            "valid": self.ok,
            "error": self.failure("continue"),
            "abortError": self.failure("abort"),
            "files": [
                {
                    "file": f.file,
                    "namespace": f.namespace,
                    "ok": f.ok,
                    "rows": f.rows,
                    "error": f.error,
                    "sampledRows": f.sampled,
                    "refusedRows": f.refused,
                    "problems": [{"row": p.row, "id": p.id, "reason": p.reason} for p in f.problems],
                }
                for f in self.files
            ],
            "namespaces": [
                {
                    "namespace": ns,
                    "rows": sum(f.rows or 0 for f in self.files if f.namespace == ns),
                    "error": self.namespace_error(ns),
                }
                for ns in namespaces
            ],
            "totalRows": sum(f.rows or 0 for f in self.files),
        }


def validate_source(
    source: Source,
    *,
    vector_type: str,
    dimension: int | None,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    existing: Mapping[str, int] | None = None,
) -> ValidationReport:
    """Every check the import makes before moving data, per file, then the row checks on a sample of each file.

    ``existing`` (namespace -> record count) flags namespaces the import would refuse because they hold records.
    """
    report = ValidationReport(source.location.uri)
    try:
        layout = discover(source)
    except ImportFailure as failure:
        report.error = failure.message
        return report
    existing = existing or {}
    for group in layout:
        if existing.get(group.namespace, 0) > 0:
            report.clashes[group.namespace] = namespace_exists(group.namespace)

    paths = [p for group in layout for p in group.paths]
    outcomes = iter(inspect_footers(source.filesystem, paths, vector_type))
    for group in layout:
        verdicts = []
        for path in group.paths:
            outcome = next(outcomes)
            verdict = FileVerdict(display_path(source, path), group.namespace)
            if isinstance(outcome, ImportFailure):
                verdict.error = outcome.message
            else:
                verdict.rows = outcome.num_rows
                _sample(source, outcome, verdict, dimension, vector_type == "sparse", sample_rows)
            verdicts.append(verdict)
        report.files += verdicts
        # The import fails a namespace whose every row is refused; the sample proves it only when it is complete.
        whole = all(v.error is None and v.rows is not None and v.sampled == v.rows for v in verdicts)
        if whole and verdicts and all(v.refused == v.sampled for v in verdicts):
            report.all_refused[group.namespace] = all_skipped(group.namespace)
    return report


def _sample(
    source: Source, footer: FileFooter, verdict: FileVerdict, dimension: int | None, sparse: bool, limit: int
) -> None:
    """Runs the import's row checks over the first ``limit`` rows of a file."""
    if limit <= 0 or footer.num_rows == 0:
        return
    try:
        parquet = open_parquet(source.filesystem, footer.path)
    except ImportFailure as failure:
        verdict.error = failure.message
        return
    try:
        batches = parquet.iter_batches(
            batch_size=min(limit, 65_536), columns=footer.plan.columns, use_threads=False
        )
        for batch in batches:
            if verdict.sampled >= limit:
                break
            if verdict.sampled + batch.num_rows > limit:
                batch = batch.slice(0, limit - verdict.sampled)
            checked = check_batch(batch, footer.plan, dimension=dimension, sparse_index=sparse, explain=False)
            room = PROBLEMS_PER_FILE - len(verdict.problems)
            for row, code in checked.refused(room):
                reason = explain_row(batch, row, code, dimension)
                verdict.problems.append(RowProblem(verdict.sampled + row, readable_id(batch, row), reason))
            verdict.sampled += batch.num_rows
            verdict.refused += checked.bad
    except (OSError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        verdict.error = f'error reading file "{verdict.file}": {exc}'
    finally:
        parquet.close()


def validate_import(
    uri: str,
    integration_id: str | None,
    index: IndexView,
    settings: Settings,
    *,
    sample_rows: int = DEFAULT_SAMPLE_ROWS,
    env: Mapping[str, str] | None = None,
) -> ValidationReport:
    """The server's validation of an import into ``index``: the request checks of ``POST /bulk/imports``, then
    ``validate_source`` with the index's shape and its current namespaces."""
    if not 0 <= sample_rows <= MAX_SAMPLE_ROWS:
        raise InvalidArgument(f"sampleRows must be between 0 and {MAX_SAMPLE_ROWS}, got {sample_rows}")
    validate_import_request(uri, integration_id, settings, env)
    source = open_source(uri, integration_id, settings, env)
    return validate_source(
        source, vector_type=index.vector_type, dimension=index.dimension, sample_rows=sample_rows,
        existing=index.namespaces(),
    )
