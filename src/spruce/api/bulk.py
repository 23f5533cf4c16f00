"""Bulk import under the index host: ``/data/{index}/bulk/imports``."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from spruce.api.errors import DATA_PLANE_PREFIX
from spruce.api.routing import Call, endpoint
from spruce.api.versions import uses_schema_shape
from spruce.api.wire import StartImportRequest, decode
from spruce.catalog import ImportJob
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


_BASE = DATA_PLANE_PREFIX + "{index}/bulk/imports"

routes = [
    Route(_BASE, endpoint(start_import), methods=["POST"]),
    Route(_BASE, endpoint(list_imports), methods=["GET"]),
    Route(_BASE + "/{id}", endpoint(describe_import), methods=["GET"]),
    Route(_BASE + "/{id}", endpoint(cancel_import), methods=["DELETE"]),
]
