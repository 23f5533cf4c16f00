"""Bulk import: source layout, Parquet schema checks, vectorised record checks, and the job runner."""

from spruce.imports.runner import ImportRunner

__all__ = ["ImportRunner"]
