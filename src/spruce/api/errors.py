"""Typed errors → HTTP responses, in the body shape of the plane that raised them.

Control plane (``/indexes``): ``{"error": {"code": "NOT_FOUND", "message": …}, "status": 404}``.
Data plane (index hosts): ``{"code": 5, "message": …, "details": []}`` with ``code`` the gRPC status number.
"""

from __future__ import annotations

import logging

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from spruce.errors import SpruceError

log = logging.getLogger("spruce.api")

DATA_PLANE_PREFIX = "/data/"


def is_data_plane(path: str) -> bool:
    return path.startswith(DATA_PLANE_PREFIX)


def error_body(error: SpruceError, data_plane: bool) -> bytes:
    if data_plane:
        return msgspec.json.encode({"code": error.grpc_code, "message": error.message, "details": []})
    return msgspec.json.encode(
        {"error": {"code": error.code, "message": error.message}, "status": error.http_status}
    )


def error_response(error: SpruceError, path: str) -> Response:
    return Response(error_body(error, is_data_plane(path)), status_code=error.http_status,
                    media_type="application/json")


async def handle_spruce_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SpruceError)
    return error_response(exc, request.url.path)


async def handle_unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(SpruceError("Internal error"), request.url.path)
