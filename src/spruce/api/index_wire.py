"""The control-plane index object on the wire, in both shapes.

Up to 2025-10 an index is ``{name, dimension, metric, spec: {serverless: …}, vector_type, …}``; from 2026-07 it is
``{name, schema: {fields: …}, deployment: {deployment_type, cloud, region}, …}``. Both decode into an
``IndexRecord`` and render back from one; nothing past this module knows there are two.
"""

from __future__ import annotations

from typing import Any

import msgspec

from spruce.api.versions import READ_CAPACITY_IN_SPEC, uses_schema_shape
from spruce.api.wire import decode
from spruce.catalog import IndexRecord
from spruce.errors import InvalidArgument

DENSE_FIELD = "_values"
SPARSE_FIELD = "_sparse_values"
_METADATA_FIELD_TYPES = frozenset({"string", "string_list", "boolean", "integer", "float"})


class ServerlessSpec(msgspec.Struct, forbid_unknown_fields=False):
    cloud: str = "aws"
    region: str = "us-east-1"


class LegacySpec(msgspec.Struct, forbid_unknown_fields=False):
    serverless: ServerlessSpec | None = None
    pod: dict[str, Any] | None = None
    byoc: dict[str, Any] | None = None


class LegacyCreate(msgspec.Struct, forbid_unknown_fields=False):
    name: str
    spec: LegacySpec
    dimension: int | None = None
    metric: str | None = None
    vector_type: str = "dense"
    deletion_protection: str = "disabled"
    tags: dict[str, str] | None = None


class Schema(msgspec.Struct, forbid_unknown_fields=False):
    fields: dict[str, dict[str, Any]]


class Deployment(msgspec.Struct, forbid_unknown_fields=False):
    deployment_type: str = "managed"
    cloud: str = "aws"
    region: str = "us-east-1"


class SchemaCreate(msgspec.Struct, forbid_unknown_fields=False):
    schema: Schema
    name: str | None = None
    deployment: Deployment | None = None
    deletion_protection: str = "disabled"
    tags: dict[str, str] | None = None


class Configure(msgspec.Struct, forbid_unknown_fields=False):
    deletion_protection: str | None = None
    tags: dict[str, str] | None = None
    schema: Schema | None = None


def _legacy_fields(dimension: int | None, metric: str, vector_type: str) -> dict[str, Any]:
    if vector_type == "sparse":
        return {SPARSE_FIELD: {"type": "sparse_vector"}}
    return {DENSE_FIELD: {"type": "dense_vector", "dimension": dimension, "metric": metric}}


def _vector_config(fields: dict[str, dict[str, Any]]) -> tuple[int | None, str, str]:
    """(dimension, metric, vector_type) declared by a 2026-07 schema; metadata fields are only checked."""
    dense = [(name, f) for name, f in fields.items() if f.get("type") == "dense_vector"]
    sparse = [(name, f) for name, f in fields.items() if f.get("type") == "sparse_vector"]
    for name, spec in fields.items():
        kind = spec.get("type")
        if kind in ("dense_vector", "sparse_vector") or kind in _METADATA_FIELD_TYPES:
            continue
        if kind == "semantic_text" or "embed" in spec or "sparse_embed" in spec:
            raise InvalidArgument(f'Field "{name}": integrated embedding is not supported by this server')
        raise InvalidArgument(f'Field "{name}" has unsupported type {kind!r}')
    if len(dense) > 1 or len(sparse) > 1:
        raise InvalidArgument("A schema may declare at most one dense_vector and one sparse_vector field")
    if not dense and not sparse:
        raise InvalidArgument("schema.fields must declare a dense_vector or sparse_vector field")
    if not dense:
        return None, "dotproduct", "sparse"
    spec = dense[0][1]
    dimension = spec.get("dimension")
    if not isinstance(dimension, int) or isinstance(dimension, bool):
        raise InvalidArgument(f'Field "{dense[0][0]}": dimension must be an integer')
    metric = str(spec.get("metric") or "cosine").lower()
    if sparse and metric != "dotproduct":
        raise InvalidArgument("A hybrid (dense + sparse) index requires metric dotproduct")
    return dimension, metric, "dense"


def parse_create(body: bytes, version: str) -> IndexRecord:
    if uses_schema_shape(version):
        req = decode(body, SchemaCreate)
        dimension, metric, vector_type = _vector_config(req.schema.fields)
        deployment = req.deployment or Deployment()
        if deployment.deployment_type != "managed":
            raise InvalidArgument(f"deployment_type {deployment.deployment_type!r} is not supported; use managed")
        return IndexRecord(
            name=req.name if req.name is not None else "", dimension=dimension, metric=metric,
            vector_type=vector_type, cloud=deployment.cloud, region=deployment.region,
            deletion_protection=req.deletion_protection, tags=req.tags or {}, schema_fields=req.schema.fields,
        )
    req = decode(body, LegacyCreate)
    if req.spec.serverless is None:
        raise InvalidArgument("Only serverless indexes are supported: spec must be {\"serverless\": {...}}")
    vector_type = req.vector_type.lower()
    if vector_type not in ("dense", "sparse"):
        raise InvalidArgument(f"vector_type must be dense or sparse, got {req.vector_type!r}")
    if vector_type == "sparse":
        if req.dimension is not None:
            raise InvalidArgument("Sparse vector indexes must not have a dimension")
        if req.metric is not None and req.metric.lower() != "dotproduct":
            raise InvalidArgument("Sparse vector indexes must use the metric dotproduct")
        metric = "dotproduct"
    else:
        if req.dimension is None:
            raise InvalidArgument("Dimension is required for dense vector indexes")
        metric = (req.metric or "cosine").lower()
    return IndexRecord(
        name=req.name, dimension=req.dimension, metric=metric, vector_type=vector_type,
        cloud=req.spec.serverless.cloud, region=req.spec.serverless.region,
        deletion_protection=req.deletion_protection, tags=req.tags or {},
        schema_fields=_legacy_fields(req.dimension, metric, vector_type),
    )


def parse_configure(body: bytes) -> Configure:
    return decode(body, Configure) if body.strip() else Configure()


# Serverless read capacity: on-demand, always ready. Required in the 2025-10 serverless spec.
READ_CAPACITY = {"mode": "OnDemand", "status": {"state": "Ready"}}


def render_index(index: IndexRecord, version: str, host: str) -> dict[str, Any]:
    status = {"ready": True, "state": "Ready"}
    if uses_schema_shape(version):
        shaped: dict[str, Any] = {
            "name": index.name,
            "status": status,
            "schema": {"fields": index.schema_fields},
            "deployment": {"deployment_type": "managed", "cloud": index.cloud, "region": index.region},
            "read_capacity": READ_CAPACITY,
            "deletion_protection": index.deletion_protection,
            "host": host,
            "tags": index.tags or None,
        }
        return {k: v for k, v in shaped.items() if v is not None}
    shaped = {
        "name": index.name,
        "metric": index.metric,
        "host": host,
        "spec": {"serverless": {"cloud": index.cloud, "region": index.region}},
        "deletion_protection": index.deletion_protection,
        "status": status,
        "vector_type": index.vector_type,
        "tags": index.tags or None,
    }
    if version >= READ_CAPACITY_IN_SPEC:
        shaped["spec"]["serverless"]["read_capacity"] = READ_CAPACITY
    if index.dimension is not None:
        shaped["dimension"] = index.dimension
    return {k: v for k, v in shaped.items() if v is not None}
