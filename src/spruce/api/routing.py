"""How an HTTP request becomes a call into the services: body read on the event loop, work in a thread.

Handlers are plain synchronous functions of a ``Call``; the engine's numpy and faiss work releases the GIL, so the
thread pool lets queries and writes overlap while the event loop stays free.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from spruce.api.versions import api_version
from spruce.errors import InvalidArgument

if TYPE_CHECKING:
    from spruce.api.app import Services

_encoder = msgspec.json.Encoder()


@dataclass(slots=True)
class Call:
    services: Services
    path: dict[str, Any]
    query: QueryParams
    body: bytes
    version: str

    def int_param(self, name: str, default: int) -> int:
        raw = self.query.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise InvalidArgument(f"Query parameter {name} must be an integer, got {raw!r}") from None


@dataclass(slots=True)
class Reply:
    """A non-default status, or no body at all (``content`` None)."""

    status: int
    content: Any = None


Handler = Callable[[Call], Any]


def endpoint(handler: Handler, status: int = 200) -> Callable[[Request], Awaitable[Response]]:
    async def asgi_endpoint(request: Request) -> Response:
        call = Call(services=request.app.state.services, path=request.path_params, query=request.query_params,
                    body=await request.body(), version=api_version(request))
        result = await run_in_threadpool(handler, call)
        code = status
        if isinstance(result, Reply):
            code, result = result.status, result.content
            if result is None:
                return Response(status_code=code)
        return Response(_encoder.encode(result), status_code=code, media_type="application/json")

    asgi_endpoint.__name__ = handler.__name__
    asgi_endpoint.__doc__ = handler.__doc__
    return asgi_endpoint
