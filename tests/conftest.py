from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

# Registered as a plugin below; tests.server imports it first, so ask for assertion rewriting up front.
pytest.register_assert_rewrite("tests.emulators")

from tests.server import SpruceServer  # noqa: E402

pytest_plugins = ["tests.emulators"]


@pytest.fixture
def spruce(tmp_path: Path) -> Iterator[SpruceServer]:
    """A fresh server with its own data dir, stopped after the test."""
    server = SpruceServer(tmp_path / "data").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shared_spruce(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpruceServer]:
    """One server for a whole module of tests that do not restart it."""
    server = SpruceServer(tmp_path_factory.mktemp("spruce") / "data").start()
    try:
        yield server
    finally:
        server.stop()
