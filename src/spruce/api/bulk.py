"""Bulk import under the index host: ``/data/{index}/bulk/imports``."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.routing import Route

from spruce.api.errors import DATA_PLANE_PREFIX
from spruce.api.routing import Call, endpoint
from spruce.api.versions import uses_schema_shape
from spruce.api.wire import StartImportRequest, decode
from spruce.catalog import ImportJob
from spruce.errors import InvalidArgument
from spruce.imports.execute import SKIPPED_REPORT_LIMIT
from spruce.imports.validate import DEFAULT_SAMPLE_ROWS, validate_import
from spruce.service.imports import MAX_LIST_LIMIT


def _index(call: Call) -> str:
    return call.services.indexes.describe(call.path["index"]).name  # NotFound for an unknown index


def render_import(job: ImportJob, version: str) -> dict[str, Any]:
    # SDK 9/10 cannot decode an import without id, uri, status, createdAt; counts are always sent.
    out: dict[str, Any] = {
        "id": job.id,
        "uri": job.uri,
        "status": job.status,
        "createdAt": job.created_at,
        "percentComplete": round(job.percent_complete, 2),
        "recordsImported": job.records_imported,
    }
    if job.finished_at:
        out["finishedAt"] = job.finished_at
    if job.error:
        out["error"] = job.error
    if uses_schema_shape(version):
        out["validationResult"] = {"importSuccesses": job.records_imported, "importErrors": job.records_skipped}
    return out


def start_import(call: Call) -> dict[str, str]:
    """Start an import; it runs in the server and this returns at once."""
    req = decode(call.body, StartImportRequest)
    mode = req.error_mode.on_error if req.error_mode else "continue"  # the seed: continue is the default
    job = call.services.imports.start(_index(call), req.uri, req.integration_id, mode)
    return {"id": job.id}


def describe_import(call: Call) -> dict[str, Any]:
    """Describe an import."""
    return render_import(call.services.imports.describe(_index(call), call.path["id"]), call.version)


def list_imports(call: Call) -> dict[str, Any]:
    """List imports, oldest first; ``pagination`` is left out on the last page."""
    jobs, token = call.services.imports.list(
        _index(call), call.int_param("limit", MAX_LIST_LIMIT), call.query.get("paginationToken") or None
    )
    out: dict[str, Any] = {"data": [render_import(job, call.version) for job in jobs]}
    if token:
        out["pagination"] = {"next": token}
    return out


def cancel_import(call: Call) -> dict[str, Any]:
    """Cancel a Pending or InProgress import; records already imported stay."""
    call.services.imports.cancel(_index(call), call.path["id"])
    return {}


# -- Spruce extensions (not in Pinecone's API) -------------------------------------------------------------------


class ValidateImportRequest(msgspec.Struct, rename="camel", forbid_unknown_fields=False):
    uri: str
    integration_id: str | None = None
    sample_rows: int = DEFAULT_SAMPLE_ROWS


def validate_import_source(call: Call) -> dict[str, Any]:
    """Check an import source without importing: layout, every footer and schema, a sample of rows."""
    req = decode(call.body, ValidateImportRequest)
    index = call.services.indexes.store(call.path["index"])
    return validate_import(req.uri, req.integration_id, index, call.services.settings,
                           sample_rows=req.sample_rows).to_wire()


def import_errors(call: Call) -> dict[str, Any]:
    """The first skipped records of an import (file, row, id, reason); importErrors counts them all."""
    limit = call.int_param("limit", SKIPPED_REPORT_LIMIT)
    if not 1 <= limit <= SKIPPED_REPORT_LIMIT:
        raise InvalidArgument(f"limit must be between 1 and {SKIPPED_REPORT_LIMIT}, got {limit}")
    job = call.services.imports.describe(_index(call), call.path["id"])
    records = call.services.catalog.skipped_records(job.index_name, job.id, limit)
    return {
        "id": job.id,
        "status": job.status,
        "importSuccesses": job.records_imported,
        "importErrors": job.records_skipped,
        "reportLimit": SKIPPED_REPORT_LIMIT,
        "records": [{"file": r.file, "row": r.row, "id": r.id, "reason": r.reason} for r in records],
    }


_BASE = DATA_PLANE_PREFIX + "{index}/bulk/imports"

routes = [
    Route(_BASE + "/validate", endpoint(validate_import_source), methods=["POST"]),
    Route(_BASE + "/{id}/errors", endpoint(import_errors), methods=["GET"]),
    Route(_BASE, endpoint(start_import), methods=["POST"]),
    Route(_BASE, endpoint(list_imports), methods=["GET"]),
    Route(_BASE + "/{id}", endpoint(describe_import), methods=["GET"]),
    Route(_BASE + "/{id}", endpoint(cancel_import), methods=["DELETE"]),
]
