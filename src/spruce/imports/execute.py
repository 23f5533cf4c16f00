"""Running one import: stream each namespace's files, check rows, commit batches with checkpoints.

Memory stays bounded: files are read one Arrow record batch at a time (about ``batch_bytes`` of vectors),
and accepted rows are buffered only until the next commit. One import uses one core at most — pyarrow's
own thread pool is off — so queries keep the other cores.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from spruce.catalog import Catalog, ImportJob, SkippedRecord, utc_now
from spruce.engine import BulkBatch, IndexStore
from spruce.errors import ImportFailure
from spruce.imports import checkpoint as ckpt
from spruce.imports.plan import ImportPlan, NamespacePlan
from spruce.imports.records import CheckedBatch, GoodRows, check_batch, explain_row, readable_id
from spruce.imports.schema import open_parquet

log = logging.getLogger(__name__)

DEFAULT_BATCH_BYTES = 32 * 1024 * 1024
COMMIT_INTERVAL_SECONDS = 2.0  # a slow source still shows progress (and keeps a recent checkpoint)
SKIPPED_REPORT_LIMIT = 100  # skipped records kept per import, with their reasons; the count covers them all
RATE_WINDOW_SECONDS = 10.0  # rows/s is measured over this much recent progress


class Interrupted(Exception):
    """The import must stop now: ``cancelled`` by a user, or the server is shutting down (resume later)."""

    def __init__(self, cancelled: bool) -> None:
        super().__init__("cancelled" if cancelled else "stopping")
        self.cancelled = cancelled


def all_skipped(namespace: str) -> str:
    return f"No vectors added, all rows were skipped for namespace: {namespace or '__default__'}"


def record_error(path: str, row: int, reason: str) -> str:
    return f'error reading record (file "{path}", row {row}): {reason}'


@dataclass(slots=True)
class _Counts:
    imported: int = 0
    skipped: int = 0
    replaced: int = 0

    @property
    def processed(self) -> int:
        return self.imported + self.skipped + self.replaced


@dataclass(slots=True)
class _Pending:
    """Accepted rows read but not yet committed, and the counts that go with them."""

    pieces: list[GoodRows] = field(default_factory=list)
    rows: int = 0
    skipped: int = 0
    since: float = field(default_factory=time.monotonic)

    def add(self, rows: GoodRows | None, skipped: int) -> None:
        if rows is not None:
            self.pieces.append(rows)
            self.rows += len(rows)
        self.skipped += skipped


class ImportExecution:
    """One run of one job against its plan. ``interrupt()`` is polled between batches."""

    def __init__(
        self,
        job: ImportJob,
        plan: ImportPlan,
        index: IndexStore,
        catalog: Catalog,
        interrupt: Callable[[], Interrupted | None],
        *,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        yield_seconds: float = 0.0,
        max_rows_per_second: int = 0,
    ) -> None:
        self.job, self.plan, self.index, self.catalog = job, plan, index, catalog
        self._interrupt = interrupt
        self._yield = yield_seconds
        self._key = ckpt.checkpoint_key(job.id)
        self._abort = job.error_mode == "abort"
        self._sparse_index = index.vector_type == "sparse"
        self._dimension = index.dimension
        # Rows per read batch: about batch_bytes of dense vectors; sparse rows are assumed small.
        row_bytes = (self._dimension or 64) * 4 + 128
        self._batch_rows = max(256, min(200_000, batch_bytes // row_bytes))
        # An operator's rate limit (0 = none) paces rows read. Reads then come in quarter-second batches so the
        # pace is smooth and a cancel is seen at once; commits still follow batch_rows / COMMIT_INTERVAL_SECONDS,
        # so a slow import does not litter the namespace with tiny segments.
        self._rate = max(0, max_rows_per_second)
        self._read_rows = min(self._batch_rows, max(1, self._rate // 4)) if self._rate else self._batch_rows
        self._paced_rows, self._paced_since = 0, time.monotonic()
        self._counts = {n.namespace: _resumed_counts(n) for n in plan.namespaces}
        self._touched = {n.namespace for n in plan.namespaces if n.resume is not None}
        self._reported = catalog.count_skipped_records(job.index_name, job.id)  # a resumed run keeps its report
        self._progress: deque[tuple[float, int]] = deque()  # (time, rows processed) over the rate window

    # -- progress --------------------------------------------------------------------------------------------------

    def _totals(self) -> _Counts:
        total = _Counts()
        for c in self._counts.values():
            total.imported += c.imported
            total.skipped += c.skipped
            total.replaced += c.replaced
        return total

    @property
    def rows_per_second(self) -> float:
        """Rows read (imported or skipped) per second over the last few seconds."""
        if len(self._progress) < 2:
            return 0.0
        (t0, p0), (t1, p1) = self._progress[0], self._progress[-1]
        return (p1 - p0) / (t1 - t0) if t1 > t0 else 0.0

    def _note_progress(self, processed: int) -> None:
        now = time.monotonic()
        self._progress.append((now, processed))
        while len(self._progress) > 2 and now - self._progress[0][0] > RATE_WINDOW_SECONDS:
            self._progress.popleft()

    def report_progress(self) -> None:
        totals, rows = self._totals(), self.plan.total_rows
        self._note_progress(totals.processed)
        percent = 100.0 if rows == 0 else min(100.0, totals.processed * 100.0 / rows)
        self.catalog.update_import(
            self.job.index_name,
            self.job.id,
            percent_complete=round(percent, 2),
            records_imported=totals.imported,
            records_skipped=totals.skipped,
            total_rows=rows,
        )

    def durable_records(self) -> int:
        """Records of this import now queryable. Rows counts overstate it when ids repeat across batches
        (the later row replaced the earlier one), so the engine's live counts cap it."""
        written = self._totals().imported
        live = self.index.namespaces()
        return min(written, sum(live.get(ns, 0) for ns in self._touched))

    def finish(self, status: str, error: str | None = None) -> None:
        totals = self._totals()
        changes: dict[str, object] = {
            "status": status,
            "finished_at": utc_now(),
            "records_imported": self.durable_records(),
            "records_skipped": totals.skipped,
            "error": error,
        }
        if status == "Completed":
            changes["percent_complete"] = 100.0
        self.catalog.update_import(self.job.index_name, self.job.id, **changes)

    # -- the work ----------------------------------------------------------------------------------------------

    def run(self) -> None:
        """Imports every namespace; raises ImportFailure or Interrupted, returns when everything is in."""
        self.report_progress()
        for namespace in self.plan.namespaces:
            self._import_namespace(namespace)

    def _import_namespace(self, plan: NamespacePlan) -> None:
        start = plan.resume
        first_file = start.file if start else 0
        if first_file >= len(plan.files):
            self._require_rows(plan)
            return
        pending = _Pending()
        position = (first_file, start.row if start else 0)
        for file_no in range(first_file, len(plan.files)):
            skip = position[1] if file_no == first_file else 0
            for file_row, batch in self._batches(plan, file_no, skip):
                checked = check_batch(
                    batch,
                    plan.files[file_no].plan,
                    dimension=self._dimension,
                    sparse_index=self._sparse_index,
                    explain=self._abort,
                )
                if checked.first_bad is not None:
                    row, reason = checked.first_bad
                    self._commit(plan, pending, position)
                    raise ImportFailure(record_error(plan.shown_paths[file_no], file_row + row, reason))
                if checked.bad:
                    self._report_skipped(plan.shown_paths[file_no], file_row, batch, checked)
                pending.add(checked.rows, checked.bad)
                position = (file_no, file_row + batch.num_rows)
                if pending.rows >= self._batch_rows or time.monotonic() - pending.since >= COMMIT_INTERVAL_SECONDS:
                    pending = self._commit(plan, pending, position)
                self._pause(batch.num_rows)
            position = (file_no + 1, 0)
        self._commit(plan, pending, position, force=True)
        self._require_rows(plan)

    def _report_skipped(self, shown_path: str, file_row: int, batch: pa.RecordBatch, checked: CheckedBatch) -> None:
        """Keeps the first skipped records of the import, explained. Only these few rows cost Python work."""
        room = SKIPPED_REPORT_LIMIT - self._reported
        if room <= 0:
            return
        records = [
            SkippedRecord(shown_path, file_row + row, readable_id(batch, row),
                          explain_row(batch, row, code, self._dimension))
            for row, code in checked.refused(room)
        ]
        self._reported = self.catalog.add_skipped_records(
            self.job.index_name, self.job.id, records, SKIPPED_REPORT_LIMIT
        )

    def _require_rows(self, plan: NamespacePlan) -> None:
        if self._counts[plan.namespace].imported == 0:
            raise ImportFailure(all_skipped(plan.namespace))

    def _batches(self, plan: NamespacePlan, file_no: int, skip: int) -> Iterator[tuple[int, pa.RecordBatch]]:
        """(row number in the file, record batch) from row ``skip`` on, skipping whole row groups cheaply."""
        footer = plan.files[file_no]
        if skip >= footer.num_rows:
            return
        groups: list[int] = []
        first_row = 0  # the first row of the first group read
        for g, rows in enumerate(footer.row_group_rows):
            if groups or first_row + rows > skip:
                groups.append(g)
            else:
                first_row += rows
        parquet = open_parquet(self.plan.source.filesystem, footer.path)
        try:
            row = first_row
            batches = parquet.iter_batches(
                batch_size=self._read_rows, row_groups=groups, columns=footer.plan.columns, use_threads=False
            )
            for batch in batches:
                if row + batch.num_rows <= skip:
                    row += batch.num_rows
                    continue
                if row < skip:
                    batch, row = batch.slice(skip - row), skip
                yield row, batch
                row += batch.num_rows
        except OSError as exc:
            raise ImportFailure(f'error reading file "{plan.shown_paths[file_no]}": {exc}') from None
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ImportFailure(f'error reading file "{plan.shown_paths[file_no]}": {exc}') from None
        finally:
            parquet.close()

    def _pause(self, rows: int = 0) -> None:
        stop = self._interrupt()
        if stop is not None:
            raise stop
        if self._rate:
            self._paced_rows += rows
            ahead = self._paced_since + self._paced_rows / self._rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        if self._yield:
            time.sleep(self._yield)  # hands the GIL and a core to queries between batches

    def _commit(
        self, plan: NamespacePlan, pending: _Pending, position: tuple[int, int], *, force: bool = False
    ) -> _Pending:
        """Writes the pending rows and the checkpoint after ``position`` in one engine commit."""
        counts = self._counts[plan.namespace]
        if not pending.rows and (not force or plan.namespace not in self._touched):
            # Nothing to write: a namespace this import has not written to yet stays nonexistent (all-skipped
            # namespaces must leave the index unchanged); skipped rows are counted in memory until the next
            # write carries them into a checkpoint.
            counts.skipped += pending.skipped
            if pending.skipped:
                self.report_progress()
            return _Pending()
        rows = _merge(pending.pieces)
        replaced = 0
        if rows is not None:
            rows, replaced = _keep_last(rows)
        file_no, file_row = position
        after = _Counts(
            counts.imported + (len(rows) if rows else 0), counts.skipped + pending.skipped, counts.replaced + replaced
        )
        checkpoint = ckpt.Checkpoint(
            file=file_no,
            path=plan.files[file_no].path if file_no < len(plan.files) else "",
            row=file_row,
            imported=after.imported,
            skipped=after.skipped,
            replaced=after.replaced,
        )
        store = self.index.create_namespace(plan.namespace)
        store.bulk_write(self._bulk_batch(rows), self._key, ckpt.encode(checkpoint))
        self._touched.add(plan.namespace)
        self._counts[plan.namespace] = after
        self.report_progress()
        return _Pending()

    def _bulk_batch(self, rows: GoodRows | None) -> BulkBatch:
        if rows is None:
            values = np.empty((0, self._dimension), np.float32) if self._dimension is not None else None
            return BulkBatch(pa.array([], pa.string()), values, None, None, None)
        return BulkBatch(rows.ids, rows.values, rows.sparse_indices, rows.sparse_values, rows.metadata)


def _resumed_counts(plan: NamespacePlan) -> _Counts:
    r = plan.resume
    return _Counts(r.imported, r.skipped, r.replaced) if r is not None else _Counts()


def _merge(pieces: list[GoodRows]) -> GoodRows | None:
    if not pieces:
        return None
    if len(pieces) == 1:
        return pieces[0]
    values = [p.values for p in pieces]
    return GoodRows(
        ids=pa.concat_arrays([p.ids for p in pieces]),
        values=np.concatenate(values) if values[0] is not None else None,
        sparse_indices=_concat_optional([p.sparse_indices for p in pieces], [len(p) for p in pieces]),
        sparse_values=_concat_optional([p.sparse_values for p in pieces], [len(p) for p in pieces]),
        metadata=_concat_optional([p.metadata for p in pieces], [len(p) for p in pieces]),
    )


def _concat_optional(arrays: list[pa.Array | None], lengths: list[int]) -> pa.Array | None:
    """Concatenates a column some pieces lack (files of one namespace may differ): missing rows are null."""
    present = next((a for a in arrays if a is not None), None)
    if present is None:
        return None
    filled = [a if a is not None else pa.nulls(n, present.type) for a, n in zip(arrays, lengths, strict=True)]
    return filled[0] if len(filled) == 1 else pa.concat_arrays(filled)


def _keep_last(rows: GoodRows) -> tuple[GoodRows, int]:
    """Drops all but the last row of each repeated id: within one import the last row wins."""
    if pc.count_distinct(rows.ids).as_py() == len(rows.ids):
        return rows, 0
    codes = rows.ids.dictionary_encode().indices.to_numpy(zero_copy_only=False)
    reversed_first = np.unique(codes[::-1], return_index=True)[1]
    keep = np.sort(len(codes) - 1 - reversed_first)
    take = pa.array(keep)
    kept = GoodRows(
        rows.ids.take(take),
        rows.values[keep] if rows.values is not None else None,
        rows.sparse_indices.take(take) if rows.sparse_indices is not None else None,
        rows.sparse_values.take(take) if rows.sparse_values is not None else None,
        rows.metadata.take(take) if rows.metadata is not None else None,
    )
    return kept, len(codes) - len(keep)
