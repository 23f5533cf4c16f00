"""The import job runner: a bounded pool of worker threads, the job state machine, cancel and resume.

Status: Pending → InProgress → Completed | Failed | Cancelled, with ``finished_at`` on every terminal status.
Jobs a previous process left Pending or InProgress are resumed by ``start()`` from their checkpoints.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from spruce.catalog import Catalog, ImportJob, utc_now
from spruce.config import Settings
from spruce.engine import Engine
from spruce.errors import ImportFailure, NotFound, SpruceError
from spruce.imports.events import import_event
from spruce.imports.execute import DEFAULT_BATCH_BYTES, ImportExecution, Interrupted
from spruce.imports.plan import ImportPlan, namespace_exists, plan_import

log = logging.getLogger(__name__)

JobKey = tuple[str, str]  # (index name, import id)


@dataclass(slots=True)
class _Running:
    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    namespaces: frozenset[str] = frozenset()
    execution: ImportExecution | None = None  # once planned: progress and rate for /metrics


class ImportRunner:
    """Runs import jobs in ``settings.import_workers`` threads.

    ``yield_seconds`` is slept between batches so imports leave CPU (and the GIL) to queries; thread
    priorities are not an option (``os.nice`` is process-wide).
    """

    def __init__(
        self,
        catalog: Catalog,
        engine: Engine,
        settings: Settings,
        *,
        env: Mapping[str, str] | None = None,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        yield_seconds: float = 0.002,
    ) -> None:
        self._catalog, self._engine, self._settings, self._env = catalog, engine, settings, env
        self._batch_bytes, self._yield = batch_bytes, yield_seconds
        self._queue: queue.Queue[JobKey | None] = queue.Queue()
        self._lock = threading.Lock()
        self._queued: set[JobKey] = set()
        self._running: dict[JobKey, _Running] = {}
        self._forgotten: set[str] = set()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- lifecycle -----------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Starts the workers and queues the jobs a previous run left unfinished, oldest first."""
        if self._threads:
            return
        self._stopping.clear()
        for n in range(max(1, self._settings.import_workers)):
            thread = threading.Thread(target=self._work, name=f"spruce-import-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        for job in self._catalog.unfinished_imports():
            self.submit(job)

    def stop(self, timeout: float = 30.0) -> None:
        """Stops the workers after their current batch. Running jobs stay InProgress and resume on next start."""
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    # -- requests from the service layer ---------------------------------------------------------------------------

    def submit(self, job: ImportJob) -> None:
        key = (job.index_name, job.id)
        with self._lock:
            if key in self._queued or key in self._running:
                return
            self._forgotten.discard(job.index_name)  # an index re-created under an old name imports again
            self._queued.add(key)
        self._queue.put(key)
        import_event("queued", job.index_name, job.id, f"queued ({job.status}): {job.uri}", uri=job.uri,
                     error_mode=job.error_mode, status=job.status)

    def rates(self) -> dict[JobKey, float]:
        """Rows per second of each running import, over its last few seconds."""
        with self._lock:
            running = [(key, r.execution) for key, r in self._running.items()]
        return {key: execution.rows_per_second for key, execution in running if execution is not None}

    def cancel(self, index_name: str, import_id: str, wait: float = 2.0) -> ImportJob:
        """Requests cancellation. A Pending job is Cancelled at once; a running one stops after its current
        batch (we wait up to ``wait`` seconds for that). Records already imported stay."""
        job = self._catalog.request_cancel(index_name, import_id)
        if job.finished and job.status != "Cancelled":
            return job  # cancelling a finished import has no effect
        with self._lock:
            running = self._running.get((index_name, import_id))
        if running is not None:
            running.cancel.set()
            running.done.wait(wait)
        return self._catalog.get_import(index_name, import_id)

    def forget_index(self, name: str, timeout: float = 30.0) -> None:
        """Stops every job of an index being dropped, and waits (up to ``timeout``) until none touches it."""
        with self._lock:
            self._forgotten.add(name)
            running = [r for (index, _), r in self._running.items() if index == name]
        for r in running:
            r.cancel.set()
        for r in running:
            r.done.wait(timeout)

    # -- workers ---------------------------------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            key = self._queue.get()
            if key is None or self._stopping.is_set():
                return
            running = _Running()
            with self._lock:
                self._queued.discard(key)
                if key[0] in self._forgotten:
                    continue
                self._running[key] = running
            try:
                self._run(key, running)
            except Exception:  # a bug must not kill the worker; the job is failed by _run
                log.exception("import %s of index %s crashed the worker", key[1], key[0])
            finally:
                with self._lock:
                    self._running.pop(key, None)
                running.done.set()

    def _run(self, key: JobKey, running: _Running) -> None:
        index_name, import_id = key
        try:
            job = self._catalog.get_import(index_name, import_id)
        except NotFound:
            return  # the index was dropped meanwhile
        if job.finished:
            return
        if job.status == "Pending":
            self._catalog.update_import(index_name, import_id, status="InProgress")
            job.status = "InProgress"
        execution: ImportExecution | None = None
        started = time.monotonic()
        import_event("started", index_name, import_id, f"started: {job.uri}", uri=job.uri)

        def interrupt() -> Interrupted | None:
            if self._stopping.is_set():
                return Interrupted(cancelled=False)
            if running.cancel.is_set() or self._cancel_requested(key):
                return Interrupted(cancelled=True)
            return None

        try:
            # request_cancel may have raced our InProgress update: it always sets the flag, so look once more.
            stop = interrupt()
            if stop is not None:
                raise stop
            try:
                index = self._engine.open_index(index_name)
            except KeyError:
                raise ImportFailure(f"Index {index_name} not found") from None
            plan = plan_import(import_id, job.uri, job.integration_id, index, self._settings, self._env)
            self._claim(key, running, plan)
            import_event("planned", index_name, import_id,
                         f"planned: {plan.total_rows} rows in {sum(len(n.files) for n in plan.namespaces)} files, "
                         f"{len(plan.namespaces)} namespaces", total_rows=plan.total_rows,
                         files=sum(len(n.files) for n in plan.namespaces), namespaces=len(plan.namespaces),
                         resumed=any(n.resume is not None for n in plan.namespaces))
            execution = ImportExecution(
                job,
                plan,
                index,
                self._catalog,
                interrupt,
                batch_bytes=self._batch_bytes,
                yield_seconds=self._yield,
                max_rows_per_second=self._settings.import_max_rows_per_second,
            )
            running.execution = execution
            execution.run()
            execution.finish("Completed")
            self._ended(key, "completed", started)
        except Interrupted as stop:
            if stop.cancelled:
                self._end(key, execution, "Cancelled")
                self._ended(key, "cancelled", started)
            else:  # shutting down — the job stays InProgress and resumes from its checkpoints on next start
                import_event("interrupted", index_name, import_id, "interrupted by shutdown; resumes on next start")
        except SpruceError as exc:
            self._end(key, execution, "Failed", exc.message)
            self._ended(key, "failed", started)
        except Exception as exc:
            log.exception("import %s of index %s failed unexpectedly", import_id, index_name)
            self._end(key, execution, "Failed", f"Internal error: {exc}")
            self._ended(key, "failed", started)

    def _ended(self, key: JobKey, event: str, started: float) -> None:
        """The one line a finished import leaves in the log, with its final counts."""
        if key[0] in self._forgotten:
            return
        try:
            job = self._catalog.get_import(*key)
        except NotFound:
            return
        seconds = round(time.monotonic() - started, 3)
        detail = f"{job.records_imported} imported, {job.records_skipped} skipped in {seconds}s"
        if job.error:
            detail += f": {job.error}"
        import_event(event, *key, f"{event}: {detail}", level=logging.WARNING if event == "failed" else logging.INFO,
                     status=job.status, records_imported=job.records_imported, records_skipped=job.records_skipped,
                     total_rows=job.total_rows, seconds=seconds, error=job.error)

    def _end(self, key: JobKey, execution: ImportExecution | None, status: str, error: str | None = None) -> None:
        if key[0] in self._forgotten:
            return  # the index and its jobs are gone
        if execution is not None:
            execution.finish(status, error)
        else:
            self._catalog.update_import(*key, status=status, finished_at=utc_now(), error=error)

    def _cancel_requested(self, key: JobKey) -> bool:
        try:
            return self._catalog.get_import(*key).cancel_requested
        except NotFound:
            return True  # deleted with its index

    def _claim(self, key: JobKey, running: _Running, plan: ImportPlan) -> None:
        """Two imports of one index must not fill the same namespace at the same time."""
        wanted = frozenset(n.namespace for n in plan.namespaces)
        with self._lock:
            for other_key, other in self._running.items():
                if other_key != key and other_key[0] == key[0] and wanted & other.namespaces:
                    raise ImportFailure(namespace_exists(sorted(wanted & other.namespaces)[0]))
            running.namespaces = wanted
