"""Request bodies on the wire (data plane camelCase), decoded by msgspec in one C pass."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from spruce.errors import InvalidArgument


class SparseIn(msgspec.Struct, forbid_unknown_fields=False):
    indices: list[int]
    values: list[float]


class VectorIn(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    id: str
    values: list[float] | None = None
    sparse_values: SparseIn | None = None
    metadata: dict[str, Any] | None = None


class UpsertRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    vectors: list[VectorIn]
    namespace: str = ""


class QueryRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    top_k: int
    namespace: str = ""
    vector: list[float] | None = None
    sparse_vector: SparseIn | None = None
    id: str | None = None
    filter: dict[str, Any] | None = None
    include_values: bool = False
    include_metadata: bool = False


class DeleteRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    ids: list[str] | None = None
    delete_all: bool = False
    filter: dict[str, Any] | None = None
    namespace: str = ""


class UpdateRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    id: str | None = None
    values: list[float] | None = None
    sparse_values: SparseIn | None = None
    set_metadata: dict[str, Any] | None = None
    filter: dict[str, Any] | None = None
    dry_run: bool = False
    namespace: str = ""


class StatsRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    filter: dict[str, Any] | None = None


class FetchByMetadataRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    filter: dict[str, Any] | None = None
    limit: int = 100
    pagination_token: str | None = None
    namespace: str = ""


class CreateNamespaceRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    name: str
    schema: dict[str, Any] | None = None


class ErrorModeIn(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    on_error: str = "continue"


class StartImportRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    uri: str
    integration_id: str | None = None
    error_mode: ErrorModeIn | None = None


T = TypeVar("T")


def decode(body: bytes, type_: type[T]) -> T:
    """Malformed JSON, wrong types and missing fields all become 400 with msgspec's path-naming message."""
    try:
        return msgspec.json.decode(body or b"{}", type=type_)
    except msgspec.DecodeError as exc:
        raise InvalidArgument(f"Invalid request body: {exc}") from None
