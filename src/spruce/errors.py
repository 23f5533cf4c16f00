"""Every error Spruce raises on purpose.

Each class carries its HTTP status and its gRPC status number; only the HTTP edge (``spruce.api.errors``)
turns them into response bodies, in the control-plane or data-plane shape.
"""

from __future__ import annotations


class SpruceError(Exception):
    """Base of all expected errors. Unexpected ones surface as 500 INTERNAL."""

    http_status = 500
    grpc_code = 13
    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(SpruceError):
    http_status = 400
    grpc_code = 3
    code = "INVALID_ARGUMENT"


class NotFound(SpruceError):
    http_status = 404
    grpc_code = 5
    code = "NOT_FOUND"


class AlreadyExists(SpruceError):
    http_status = 409
    grpc_code = 6
    code = "ALREADY_EXISTS"


class Forbidden(SpruceError):
    http_status = 403
    grpc_code = 7
    code = "FORBIDDEN"


class Unauthenticated(SpruceError):
    http_status = 401
    grpc_code = 16
    code = "UNAUTHENTICATED"


class PayloadTooLarge(SpruceError):
    http_status = 413
    grpc_code = 3
    code = "INVALID_ARGUMENT"


class Unprocessable(SpruceError):
    http_status = 422
    grpc_code = 3
    code = "UNPROCESSABLE_ENTITY"


class ImportFailure(SpruceError):
    """An import cannot go on; its message becomes the job's ``error``. Never reaches HTTP."""

    http_status = 400
    grpc_code = 9
    code = "FAILED_PRECONDITION"
