"""Index lifecycle: validate, record in the catalog, create or drop the index's storage."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any, Protocol

from spruce.catalog import Catalog, IndexRecord
from spruce.errors import Forbidden, InvalidArgument, NotFound

if TYPE_CHECKING:
    from spruce.engine import Engine, IndexStore

_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_TAG_KEY = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_METRICS = ("cosine", "euclidean", "dotproduct")
MAX_DIMENSION = 20_000


class ImportCanceller(Protocol):
    def forget_index(self, index_name: str) -> None: ...


def validate_index(index: IndexRecord) -> None:
    if not index.name or len(index.name) > 45 or not _NAME.match(index.name):
        raise InvalidArgument(
            f"Invalid index name {index.name!r}: name must be 1-45 characters, consist of lower case alphanumeric "
            "characters or '-', and start and end with an alphanumeric character"
        )
    if index.metric not in _METRICS:
        raise InvalidArgument(f"Invalid metric {index.metric!r}: must be one of {', '.join(_METRICS)}")
    if index.vector_type == "dense" and not (1 <= (index.dimension or 0) <= MAX_DIMENSION):
        raise InvalidArgument(f"Invalid dimension {index.dimension}: must be between 1 and {MAX_DIMENSION}")
    if index.vector_type == "sparse" and index.metric != "dotproduct":
        raise InvalidArgument("Sparse vector indexes must use the metric dotproduct")
    validate_deletion_protection(index.deletion_protection)
    validate_tags(index.tags)


def validate_deletion_protection(value: str) -> None:
    if value not in ("enabled", "disabled"):
        raise InvalidArgument(f"deletion_protection must be 'enabled' or 'disabled', got {value!r}")


def validate_tags(tags: dict[str, str]) -> None:
    if len(tags) > 20:
        raise InvalidArgument("An index may have at most 20 tags")
    for key, value in tags.items():
        if not _TAG_KEY.match(key):
            raise InvalidArgument(f"Invalid tag key {key!r}: 1-80 alphanumeric characters, '_' or '-'")
        if not isinstance(value, str) or len(value) > 120:
            raise InvalidArgument(f"Invalid value for tag {key!r}: a string of at most 120 characters")


class IndexService:
    def __init__(self, catalog: Catalog, engine: Engine, imports: ImportCanceller) -> None:
        self._catalog = catalog
        self._engine = engine
        self._imports = imports

    def reconcile(self) -> None:
        """After a crash between the catalog and the engine, make storage match the catalog."""
        for index in self._catalog.list_indexes():
            try:
                self._engine.open_index(index.name)
            except KeyError:
                self._engine.create_index(index.name, index.dimension, index.metric, index.vector_type)

    def create(self, index: IndexRecord) -> IndexRecord:
        if not index.name:
            # 2026-07 lets a create omit the name; the server picks one.
            index.name = f"index-{secrets.token_hex(4)}"
        validate_index(index)
        self._catalog.create_index(index)
        try:
            self._engine.create_index(index.name, index.dimension, index.metric, index.vector_type)
        except BaseException:
            self._catalog.delete_index(index.name)
            raise
        return index

    def describe(self, name: str) -> IndexRecord:
        return self._catalog.get_index(name)

    def list(self) -> list[IndexRecord]:
        return self._catalog.list_indexes()

    def configure(self, name: str, *, deletion_protection: str | None, tags: dict[str, str] | None,
                  fields: dict[str, dict[str, Any]] | None) -> IndexRecord:
        index = self._catalog.get_index(name)
        if deletion_protection is not None:
            validate_deletion_protection(deletion_protection)
            index.deletion_protection = deletion_protection
        if tags is not None:
            # Pinecone merges tags; an empty value removes a tag.
            merged = {**index.tags, **tags}
            index.tags = {k: v for k, v in merged.items() if v != ""}
            validate_tags(index.tags)
        if fields:
            for field_name, spec in fields.items():
                old = index.schema_fields.get(field_name)
                if spec.get("type") in ("dense_vector", "sparse_vector") and old != spec:
                    raise InvalidArgument(f'Field "{field_name}": vector fields cannot be changed')
            index.schema_fields = {**index.schema_fields, **fields}
        self._catalog.update_index(index)
        return index

    def delete(self, name: str) -> None:
        index = self._catalog.get_index(name)
        if index.deletion_protection == "enabled":
            raise Forbidden(
                f"Deletion protection is enabled for index '{name}'. Disable deletion protection before retrying."
            )
        self._imports.forget_index(name)
        self._catalog.delete_index(name)
        self._engine.drop_index(name)

    def store(self, name: str) -> IndexStore:
        """The storage of an existing index, for the data plane."""
        self._catalog.get_index(name)  # NotFound in Pinecone's words if the catalog has no such index
        try:
            return self._engine.open_index(name)
        except KeyError:
            raise NotFound(f"Resource {name} not found") from None
