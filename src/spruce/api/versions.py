"""API versions: which wire shape a request gets, chosen by the ``X-Pinecone-Api-Version`` header."""

from __future__ import annotations

from starlette.requests import Request

OLDEST = "2025-04"
SCHEMA_SHAPE = "2026-07"  # from here on the index object has `schema`/`deployment` instead of `dimension`/`spec`
UPDATE_BY_FILTER = "2025-10"
READ_CAPACITY_IN_SPEC = "2025-10"


def api_version(request: Request) -> str:
    """The requested version; with no header, the oldest we support (as Pinecone does).
    Versions are ``YYYY-MM`` strings, so they order as strings."""
    return request.headers.get("x-pinecone-api-version", OLDEST).strip() or OLDEST


def uses_schema_shape(version: str) -> bool:
    return version >= SCHEMA_SHAPE
