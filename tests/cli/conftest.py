"""CLI tests: the real ``spruce`` command in a subprocess against a real server; the in-process import stack
(tests/imports) for the validator-vs-importer agreement."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.helpers import RATE_LIMIT
from tests.imports.conftest import settings, source_dir, stack
from tests.server import SpruceServer

__all__ = ["settings", "source_dir", "stack"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SpruceServer]:
    """One server for the module, with imports paced so a cancel can catch one running."""
    data = tmp_path_factory.mktemp("spruce-cli") / "data"
    (data / "imports").mkdir(parents=True)
    instance = SpruceServer(data, env={"SPRUCE_IMPORT_MAX_ROWS_PER_SECOND": str(RATE_LIMIT)}).start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def imports_dir(server: SpruceServer, request: pytest.FixtureRequest) -> Path:
    """A fresh directory the server may import from."""
    path = server.data_dir / "imports" / request.node.name.replace("[", "_").replace("]", "")
    path.mkdir(parents=True)
    return path
