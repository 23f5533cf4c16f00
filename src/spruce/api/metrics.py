"""``/metrics`` in Prometheus text format: imports, data-plane latency, storage shape, process memory.

Request latency is measured by a pure ASGI middleware (a dict lookup and two clock reads per request, no objects
on the hot path beyond prometheus-client's own). Everything else is read at scrape time from the catalog, the
import runner and the engine, so nothing has to be kept in step with the truth: the numbers are the API's numbers.
The registry belongs to the app, not the process, so several apps (tests) never share counters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spruce.api.errors import DATA_PLANE_PREFIX

if TYPE_CHECKING:
    from spruce.api.app import Services

# Data-plane paths (after /data/<index>/) whose latency is recorded, by operation label.
OPERATIONS = {
    "query": "query",
    "vectors/upsert": "upsert",
    "vectors/fetch": "fetch",
    "vectors/fetch_by_metadata": "fetch_by_metadata",
    "vectors/update": "update",
    "vectors/delete": "delete",
    "vectors/list": "list",
    "describe_index_stats": "describe_index_stats",
}
# Sub-millisecond buckets: an exact-scan query or a small upsert on this engine takes about a millisecond.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def operation_of(path: str) -> str | None:
    if not path.startswith(DATA_PLANE_PREFIX):
        return None
    return OPERATIONS.get(path[len(DATA_PLANE_PREFIX) :].partition("/")[2])


class Metrics:
    """The app's registry and its instruments."""

    def __init__(self, services: Callable[[], Services | None]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        latency = Histogram(
            "spruce_request_duration_seconds", "Data-plane request latency, from request to last response byte.",
            ["operation"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        requests = Counter(
            "spruce_requests", "Data-plane requests by operation and HTTP status class.",
            ["operation", "status"], registry=self.registry,
        )
        # Children bound once: the middleware does no label lookups per request.
        self.latency = {op: latency.labels(op) for op in set(OPERATIONS.values())}
        self.requests = {(op, f"{c}xx"): requests.labels(op, f"{c}xx") for op in self.latency for c in (2, 4, 5)}
        ProcessCollector(registry=self.registry)  # process_resident_memory_bytes, cpu seconds, open fds
        self.registry.register(StateCollector(services))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class LatencyMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        operation = operation_of(scope["path"]) if scope["type"] == "http" else None
        if operation is None:
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            self.metrics.latency[operation].observe(time.perf_counter() - started)
            counter = self.metrics.requests.get((operation, f"{status // 100}xx"))
            if counter is not None:
                counter.inc()


class StateCollector(Collector):
    """Gauges read at scrape time: imports from the catalog and runner, index shape from the engine."""

    def __init__(self, services: Callable[[], Services | None]) -> None:
        self._services = services

    def describe(self) -> list[Metric]:
        return []  # no fixed description: the families depend on the server's state

    def collect(self) -> Iterator[Metric]:
        services = self._services()
        if services is None:  # scraped before start-up finished
            return
        jobs = GaugeMetricFamily("spruce_imports", "Import jobs by index and status.", labels=["index", "status"])
        imported = GaugeMetricFamily("spruce_import_records_imported",
                                     "Records imported by all imports of an index.", labels=["index"])
        skipped = GaugeMetricFamily("spruce_import_records_skipped",
                                    "Records skipped by all imports of an index.", labels=["index"])
        per_index: dict[str, tuple[int, int]] = {}
        for totals in services.catalog.import_totals():
            jobs.add_metric([totals.index_name, totals.status], totals.jobs)
            done, refused = per_index.get(totals.index_name, (0, 0))
            per_index[totals.index_name] = (done + totals.records_imported, refused + totals.records_skipped)
        for name, (done, refused) in per_index.items():
            imported.add_metric([name], done)
            skipped.add_metric([name], refused)
        yield from (jobs, imported, skipped)

        rates = GaugeMetricFamily("spruce_import_rows_per_second",
                                  "Rows read per second by each running import (last few seconds).",
                                  labels=["index", "import_id"])
        for (name, import_id), rate in services.runner.rates().items():
            rates.add_metric([name, import_id], rate)
        yield rates
        yield from _index_families(services)


def _index_families(services: Services) -> Iterator[Metric]:
    vectors = GaugeMetricFamily("spruce_index_vectors", "Live records per index.", labels=["index"])
    namespaces = GaugeMetricFamily("spruce_index_namespaces", "Namespaces per index.", labels=["index"])
    segments = GaugeMetricFamily("spruce_index_segments", "Sealed segments per index (memtable not included).",
                                 labels=["index"])
    wal = GaugeMetricFamily("spruce_index_wal_bytes", "Write-ahead log bytes not yet sealed into segments.",
                            labels=["index"])
    memtable = GaugeMetricFamily("spruce_index_memtable_rows", "Rows in memtables (not yet in a segment).",
                                 labels=["index"])
    unindexed = GaugeMetricFamily(
        "spruce_index_unindexed_rows",
        "Rows answered by exact scan because their ANN index is not built yet (0 = fully indexed).",
        labels=["index"],
    )
    for record in services.catalog.list_indexes():
        try:
            store = services.engine.open_index(record.name)
        except KeyError:
            continue  # dropped between the two reads
        counts = store.namespaces()
        stats = [ns.stats() for ns in store.all_namespaces()]
        vectors.add_metric([record.name], sum(counts.values()))
        namespaces.add_metric([record.name], len(counts))
        segments.add_metric([record.name], sum(s.segments for s in stats))
        wal.add_metric([record.name], sum(s.wal_bytes for s in stats))
        memtable.add_metric([record.name], sum(s.memtable_rows for s in stats))
        unindexed.add_metric([record.name], sum(s.unindexed_rows for s in stats))
    yield from (vectors, namespaces, segments, wal, memtable, unindexed)


def metrics_route(metrics: Metrics) -> Route:
    async def metrics_endpoint(_request: Request) -> Response:
        # Scrapes read the catalog and the engine: off the event loop, like every other handler.
        return Response(await run_in_threadpool(metrics.render), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", metrics_endpoint, methods=["GET"])
