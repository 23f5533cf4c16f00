"""Helpers for SDK tests that import: a local import source inside the server's allowed directory, and the
seed's polling loop with a deadline."""

from __future__ import annotations

import time

import pyarrow.fs as pafs
from pinecone.models.imports import ImportModel

from tests.server import SpruceServer

TERMINAL = ("Completed", "Failed", "Cancelled")


def wait_for_import(index, import_id: str, timeout: float = 120) -> ImportModel:  # type: ignore[no-untyped-def]
    """The seed's polling loop, with a shorter sleep and a deadline."""
    deadline = time.monotonic() + timeout
    import_op = index.describe_import(import_id)
    while import_op.status not in TERMINAL:
        assert time.monotonic() < deadline, f"import {import_id} still {import_op.status}"
        time.sleep(0.2)
        import_op = index.describe_import(import_id)
    return import_op


def local_source(server: SpruceServer, name: str) -> tuple[pafs.FileSystem, str, str]:
    """(filesystem, base path, file:// uri) of a fresh directory under the data dir's ``imports/``."""
    root = server.data_dir / "imports" / name
    root.mkdir(parents=True)
    return pafs.LocalFileSystem(), str(root), f"file://{root}/"
