"""Control plane: ``/indexes``."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from spruce.api.errors import DATA_PLANE_PREFIX
from spruce.api.index_wire import parse_configure, parse_create, render_index
from spruce.api.routing import Call, Reply, endpoint
from spruce.catalog import IndexRecord


def index_host(call: Call, name: str) -> str:
    """Carries its scheme (SDK 8+ prepend ``https://`` to a bare host) and a path, so every index shares a port."""
    return f"{call.services.settings.public_url}{DATA_PLANE_PREFIX}{name}"


def _render(call: Call, index: IndexRecord) -> dict[str, Any]:
    return render_index(index, call.version, index_host(call, index.name))


def list_indexes(call: Call) -> dict[str, Any]:
    """List indexes."""
    return {"indexes": [_render(call, index) for index in call.services.indexes.list()]}


def create_index(call: Call) -> Reply:
    """Create an index."""
    index = call.services.indexes.create(parse_create(call.body, call.version))
    return Reply(201, _render(call, index))


def describe_index(call: Call) -> dict[str, Any]:
    """Describe an index."""
    return _render(call, call.services.indexes.describe(call.path["name"]))


def configure_index(call: Call) -> Reply:
    """Configure an index: deletion protection, tags, metadata fields."""
    change = parse_configure(call.body)
    index = call.services.indexes.configure(
        call.path["name"], deletion_protection=change.deletion_protection, tags=change.tags,
        fields=change.schema.fields if change.schema else None,
    )
    return Reply(202, _render(call, index))


def delete_index(call: Call) -> Reply:
    """Delete an index."""
    call.services.indexes.delete(call.path["name"])
    return Reply(202)


routes = [
    Route("/indexes", endpoint(list_indexes), methods=["GET"]),
    Route("/indexes", endpoint(create_index), methods=["POST"]),
    Route("/indexes/{name}", endpoint(describe_index), methods=["GET"]),
    Route("/indexes/{name}", endpoint(configure_index), methods=["PATCH"]),
    Route("/indexes/{name}", endpoint(delete_index), methods=["DELETE"]),
]
