"""Bulk import jobs of one index: accept, describe, list, cancel. The work itself runs in ``spruce.imports``."""

from __future__ import annotations

from typing import Protocol

from spruce.catalog import Catalog, ImportJob
from spruce.config import Settings
from spruce.errors import InvalidArgument
from spruce.storage.sources import validate_import_request

ERROR_MODES = ("continue", "abort")
MAX_LIST_LIMIT = 100


class JobRunner(Protocol):
    def submit(self, job: ImportJob) -> None: ...
    def cancel(self, index_name: str, import_id: str) -> ImportJob: ...


class ImportService:
    def __init__(self, catalog: Catalog, runner: JobRunner, settings: Settings) -> None:
        self._catalog = catalog
        self._runner = runner
        self._settings = settings

    def start(self, index_name: str, uri: str, integration_id: str | None, error_mode: str) -> ImportJob:
        """Validates at once (bad input is a 400, not a failed job) and queues a Pending job."""
        if error_mode.lower() not in ERROR_MODES:
            raise InvalidArgument(f"Invalid errorMode.onError {error_mode!r}: must be one of continue, abort")
        validate_import_request(uri, integration_id, self._settings)
        job = self._catalog.create_import(index_name, uri, integration_id, error_mode.lower())
        self._runner.submit(job)
        return job

    def describe(self, index_name: str, import_id: str) -> ImportJob:
        return self._catalog.get_import(index_name, import_id)

    def list(self, index_name: str, limit: int, token: str | None) -> tuple[list[ImportJob], str | None]:
        """One page of jobs in id order and the token of the next page, None on the last page."""
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise InvalidArgument(f"limit must be between 1 and {MAX_LIST_LIMIT}, got {limit}")
        if token is not None and not token.isdigit():
            raise InvalidArgument(f"Invalid paginationToken {token!r}")
        page = self._catalog.list_imports(index_name, limit + 1, token)
        if len(page) > limit:
            return page[:limit], page[limit - 1].id
        return page, None

    def cancel(self, index_name: str, import_id: str) -> ImportJob:
        self._catalog.get_import(index_name, import_id)  # NotFound for an unknown id
        return self._runner.cancel(index_name, import_id)
