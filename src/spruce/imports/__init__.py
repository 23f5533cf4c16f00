"""Bulk import: source layout, Parquet schema checks, vectorised record checks, and the job runner."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spruce.imports.runner import ImportRunner

__all__ = ["ImportRunner"]


def __getattr__(name: str) -> Any:
    # Lazy: the CLI imports light modules of this package (events, validate) without loading the engine.
    if name == "ImportRunner":
        from spruce.imports.runner import ImportRunner

        return ImportRunner
    raise AttributeError(name)
