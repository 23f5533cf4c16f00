"""The CLI's HTTP client: where the server is, the API key, and Pinecone's error bodies as readable messages."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import click
import httpx

DEFAULT_HOST = "http://127.0.0.1:5080"
# The data plane in the newest shape (imports carry validationResult); indexes in the flat 2025-10 shape, which
# names dimension, metric and vector type directly.
DATA_VERSION = "2026-07"
CONTROL_VERSION = "2025-10"


class Client:
    def __init__(self, host: str, api_key: str | None, timeout: float = 60.0) -> None:
        self.host = host if "://" in host else f"http://{host}"
        headers = {"Api-Key": api_key} if api_key else {}
        self._http = httpx.Client(base_url=self.host.rstrip("/"), headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        version = CONTROL_VERSION if path.startswith("/indexes") else DATA_VERSION
        try:
            response = self._http.request(method, path, json=json, params=params,
                                          headers={"X-Pinecone-Api-Version": version})
        except httpx.TransportError as exc:
            raise click.ClickException(f"cannot reach the Spruce server at {self.host}: {exc}") from None
        if response.status_code >= 400:
            raise click.ClickException(f"{method} {path}: HTTP {response.status_code}: {_error_message(response)}")
        return response.json() if response.content else None

    # -- paths ----------------------------------------------------------------------------------------------------

    @staticmethod
    def data(index: str, path: str) -> str:
        return f"/data/{quote(index, safe='')}/{path.lstrip('/')}"

    @staticmethod
    def imports(index: str, path: str = "") -> str:
        return Client.data(index, "bulk/imports" + (f"/{quote(path, safe='/')}" if path else ""))


def _error_message(response: httpx.Response) -> str:
    """Control-plane ``{"error": {"message"}}`` and data-plane ``{"message"}`` bodies, else the raw text."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        if body.get("message"):
            return str(body["message"])
    return response.text.strip()


def server_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds --host and --api-key to a client command and hands it a ``client`` instead."""

    @click.option("--host", envvar="SPRUCE_HOST", default=DEFAULT_HOST, show_default=True,
                  help="The server's URL (env SPRUCE_HOST).")
    @click.option("--api-key", envvar=["SPRUCE_API_KEY", "PINECONE_API_KEY"], default=None, show_envvar=False,
                  help="API key sent as Api-Key (env SPRUCE_API_KEY or PINECONE_API_KEY).")
    @functools.wraps(command)
    def wrapper(*args: Any, host: str, api_key: str | None, **kwargs: Any) -> Any:
        client = Client(host, api_key)
        try:
            return command(*args, client=client, **kwargs)
        finally:
            client.close()

    return wrapper


def index_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--index", "-i", "index", envvar="SPRUCE_INDEX", required=True,
                        help="The index (env SPRUCE_INDEX).")(command)


json_option = click.option("--json", "as_json", is_flag=True, help="Print the server's JSON instead of a table.")
