"""Running the real CLI in a subprocess against a test server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.server import SpruceServer

RATE_LIMIT = 8000  # rows/s per import in the CLI tests' server: the big source below takes ~5 s


def cli_env(server: SpruceServer) -> dict[str, str]:
    return {**os.environ, "SPRUCE_HOST": server.url, "COLUMNS": "160"}


def spruce(server: SpruceServer, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "spruce", *args], env=cli_env(server), capture_output=True,
                          text=True, timeout=timeout)


def spruce_background(server: SpruceServer, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "spruce", *args], env=cli_env(server), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def api(server: SpruceServer, method: str, path: str, version: str = "2026-07", **kwargs: object) -> httpx.Response:
    headers = {"X-Pinecone-Api-Version": version}
    return httpx.request(method, server.url + path, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def file_uri(path: Path) -> str:
    return path.as_uri() + "/"
