"""``/console``: one static page (HTML + a little JS, no build step) that reads the server's own JSON endpoints.

The page holds no data, so it is served without an API key; the requests it makes send the key the user types
in (kept in the tab's sessionStorage), exactly like any other client.
"""

from __future__ import annotations

from importlib import resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

CONSOLE_PATH = "/console"


def _page() -> str:
    return resources.files("spruce.api").joinpath("static/console.html").read_text(encoding="utf-8")


def console_route() -> Route:
    page = _page()  # read once: the file ships inside the package

    async def console(_request: Request) -> Response:
        return HTMLResponse(page, headers={"Cache-Control": "no-cache"})

    return Route(CONSOLE_PATH, console, methods=["GET"])
