"""``Api-Key`` authentication as pure ASGI middleware (no per-request object allocation on the hot path)."""

from __future__ import annotations

import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

from spruce.api.errors import error_body, is_data_plane
from spruce.errors import Unauthenticated

# Pages that describe the server rather than touch data: readable without a key.
PUBLIC_PATHS = frozenset({"/openapi.json", "/docs", "/healthz", "/console"})


class ApiKeyMiddleware:
    """With keys configured, every other request needs one of them in ``Api-Key``; with none, any key passes."""

    def __init__(self, app: ASGIApp, keys: frozenset[str]) -> None:
        self.app = app
        self.keys = tuple(k.encode() for k in keys)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.keys or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        presented = next((v for k, v in scope["headers"] if k == b"api-key"), None)
        if presented is not None and any(hmac.compare_digest(presented, key) for key in self.keys):
            await self.app(scope, receive, send)
            return
        reason = "Invalid API key" if presented is not None else "No API key provided. Set the Api-Key header."
        body = error_body(Unauthenticated(reason), is_data_plane(scope["path"]))
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
