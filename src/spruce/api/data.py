"""Data plane of one index, under its host path ``/data/{index}``: vectors, query, stats, namespaces."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.routing import Route

from spruce.api.errors import DATA_PLANE_PREFIX
from spruce.api.routing import Call, Reply, endpoint
from spruce.api.versions import UPDATE_BY_FILTER, uses_schema_shape
from spruce.api.wire import (
    CreateNamespaceRequest,
    DeleteRequest,
    FetchByMetadataRequest,
    QueryRequest,
    SparseIn,
    StatsRequest,
    UpdateRequest,
    UpsertRequest,
    decode,
)
from spruce.engine import Match, Record
from spruce.errors import InvalidArgument
from spruce.service.vectors import SparseInput, VectorInput, VectorService
from spruce.validation import MAX_REQUEST_BYTES

DEFAULT_NAMESPACE = "__default__"


def _vectors(call: Call) -> VectorService:
    return VectorService(call.services.indexes.store(call.path["index"]))


def _namespace(name: str | None) -> str:
    """``__default__`` (2026-07, import directories) and ``""`` both name the default namespace."""
    return "" if name in (None, DEFAULT_NAMESPACE) else name


def _wire_namespace(call: Call, name: str) -> str:
    return DEFAULT_NAMESPACE if name == "" and uses_schema_shape(call.version) else name


def _sparse(sparse: SparseIn | None) -> SparseInput | None:
    return SparseInput(sparse.indices, sparse.values) if sparse is not None else None


def _render_record(record: Record) -> dict[str, Any]:
    out: dict[str, Any] = {"id": record.id, "values": record.values.tolist() if record.values is not None else []}
    if record.sparse_indices is not None and len(record.sparse_indices):
        out["sparseValues"] = {"indices": record.sparse_indices.tolist(), "values": record.sparse_values.tolist()}
    if record.metadata is not None:
        out["metadata"] = msgspec.Raw(record.metadata)  # stored JSON, returned byte for byte
    return out


def _render_match(match: Match) -> dict[str, Any]:
    out = _render_record(match.record)
    out["id"] = match.id
    out["score"] = match.score
    return out


def _usage(units: int = 1) -> dict[str, int]:
    return {"readUnits": max(1, units)}


def upsert(call: Call) -> dict[str, Any]:
    """Upsert vectors."""
    if len(call.body) > MAX_REQUEST_BYTES:
        raise InvalidArgument(f"Request size {len(call.body)} bytes exceeds the maximum of {MAX_REQUEST_BYTES} bytes")
    req = decode(call.body, UpsertRequest)
    vectors = [VectorInput(v.id, v.values, _sparse(v.sparse_values), v.metadata) for v in req.vectors]
    return {"upsertedCount": _vectors(call).upsert(_namespace(req.namespace), vectors)}


def query(call: Call) -> dict[str, Any]:
    """Query by vector, id, sparse vector, or dense + sparse (hybrid)."""
    req = decode(call.body, QueryRequest)
    matches = _vectors(call).query(
        _namespace(req.namespace), top_k=req.top_k, vector=req.vector, sparse=_sparse(req.sparse_vector),
        record_id=req.id, flt=req.filter, include_values=req.include_values,
        include_metadata=req.include_metadata,
    )
    return {"matches": [_render_match(m) for m in matches], "namespace": req.namespace, "usage": _usage(5)}


def fetch(call: Call) -> dict[str, Any]:
    """Fetch vectors by id."""
    namespace = call.query.get("namespace", "")
    records = _vectors(call).fetch(_namespace(namespace), call.query.getlist("ids"))
    return {"vectors": {r.id: _render_record(r) for r in records}, "namespace": namespace,
            "usage": _usage(len(records) // 10)}


def list_ids(call: Call) -> dict[str, Any]:
    """List record ids in byte order, by prefix, with pagination."""
    namespace = call.query.get("namespace", "")
    ids, token = _vectors(call).list_ids(
        _namespace(namespace), call.query.get("prefix", ""), call.int_param("limit", 100),
        call.query.get("paginationToken") or None,
    )
    out: dict[str, Any] = {"vectors": [{"id": i} for i in ids], "namespace": namespace, "usage": _usage()}
    if token:
        out["pagination"] = {"next": token}
    return out


def delete(call: Call) -> dict[str, Any]:
    """Delete by ids, everything in a namespace, or by filter."""
    req = decode(call.body, DeleteRequest)
    _vectors(call).delete(_namespace(req.namespace), req.ids, req.delete_all, req.filter)
    return {}


def update(call: Call) -> dict[str, Any]:
    """Update one record by id, or (2025-10+) the metadata of every record matching a filter."""
    req = decode(call.body, UpdateRequest)
    if req.filter is not None and call.version < UPDATE_BY_FILTER:
        raise InvalidArgument(f"Update by filter needs API version {UPDATE_BY_FILTER} or later")
    matched = _vectors(call).update(
        _namespace(req.namespace), record_id=req.id, values=req.values, sparse=_sparse(req.sparse_values),
        set_metadata=req.set_metadata, flt=req.filter, dry_run=req.dry_run,
    )
    return {} if matched is None else {"matchedRecords": matched}


def describe_index_stats(call: Call) -> dict[str, Any]:
    """Record counts per namespace."""
    req = decode(call.body, StatsRequest)
    service = _vectors(call)
    counts = service.stats(req.filter)
    store = service.store
    out: dict[str, Any] = {
        "namespaces": {_wire_namespace(call, name): {"vectorCount": n} for name, n in sorted(counts.items())},
        "indexFullness": 0.0,
        "totalVectorCount": sum(counts.values()),
        "metric": store.metric,
        "vectorType": store.vector_type,
    }
    if store.dimension is not None:
        out["dimension"] = store.dimension
    return out


def fetch_by_metadata(call: Call) -> dict[str, Any]:
    """Fetch the records matching a filter, with pagination."""
    req = decode(call.body, FetchByMetadataRequest)
    records, token = _vectors(call).fetch_by_metadata(
        _namespace(req.namespace), req.filter, req.limit, req.pagination_token
    )
    out: dict[str, Any] = {"vectors": {r.id: _render_record(r) for r in records}, "namespace": req.namespace,
                           "usage": _usage(len(records) // 10)}
    if token:
        out["pagination"] = {"next": token}
    return out


def _render_namespace(call: Call, name: str, count: int) -> dict[str, Any]:
    # 2026-07 sends record_count as a string-encoded integer; older versions as a number.
    return {"name": _wire_namespace(call, name),
            "record_count": str(count) if uses_schema_shape(call.version) else count}


def list_namespaces(call: Call) -> dict[str, Any]:
    """List namespaces, by prefix, with pagination."""
    counts = _vectors(call).store.namespaces()
    prefix = call.query.get("prefix", "")
    limit = call.int_param("limit", 100)
    if not 1 <= limit <= 1000:
        raise InvalidArgument(f"limit must be between 1 and 1000, got {limit}")
    after = call.query.get("paginationToken") or ""
    names = sorted(n for n in counts if _wire_namespace(call, n).startswith(prefix))
    remaining = [n for n in names if n > after] if after else names
    page = remaining[:limit]
    out: dict[str, Any] = {"namespaces": [_render_namespace(call, n, counts[n]) for n in page],
                           "total_count": len(names)}
    if len(remaining) > limit:
        out["pagination"] = {"next": page[-1]}
    return out


def create_namespace(call: Call) -> Reply:
    """Create an empty namespace (2025-10+)."""
    req = decode(call.body, CreateNamespaceRequest)
    name = req.name
    if name == DEFAULT_NAMESPACE:
        raise InvalidArgument(f"{DEFAULT_NAMESPACE} is reserved for the default namespace")
    _vectors(call).create_namespace(name)
    return Reply(201, _render_namespace(call, name, 0))


def describe_namespace(call: Call) -> dict[str, Any]:
    """Describe a namespace."""
    name = _namespace(call.path["namespace"])
    return _render_namespace(call, name, _vectors(call).namespace_count(name))


def delete_namespace(call: Call) -> Reply:
    """Delete a namespace and every record in it."""
    _vectors(call).delete_namespace(_namespace(call.path["namespace"]))
    return Reply(202, {})


_BASE = DATA_PLANE_PREFIX + "{index}"

routes = [
    Route(f"{_BASE}/vectors/upsert", endpoint(upsert), methods=["POST"]),
    Route(f"{_BASE}/query", endpoint(query), methods=["POST"]),
    Route(f"{_BASE}/vectors/fetch", endpoint(fetch), methods=["GET"]),
    Route(f"{_BASE}/vectors/list", endpoint(list_ids), methods=["GET"]),
    Route(f"{_BASE}/vectors/delete", endpoint(delete), methods=["POST"]),
    Route(f"{_BASE}/vectors/update", endpoint(update), methods=["POST"]),
    Route(f"{_BASE}/vectors/fetch_by_metadata", endpoint(fetch_by_metadata), methods=["POST"]),
    Route(f"{_BASE}/describe_index_stats", endpoint(describe_index_stats), methods=["POST", "GET"]),
    Route(f"{_BASE}/namespaces", endpoint(list_namespaces), methods=["GET"]),
    Route(f"{_BASE}/namespaces", endpoint(create_namespace), methods=["POST"]),
    Route(f"{_BASE}/namespaces/{{namespace:path}}", endpoint(describe_namespace), methods=["GET"]),
    Route(f"{_BASE}/namespaces/{{namespace:path}}", endpoint(delete_namespace), methods=["DELETE"]),
]
