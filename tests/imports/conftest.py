"""Fixtures for the import tests: local Parquet writers, the emulators, and a catalog+engine+runner stack."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from spruce.catalog import Catalog, ImportJob
from spruce.config import Settings
from tests.emulators import azure_emulator, gcs_emulator, s3_emulator

__all__ = ["azure_emulator", "gcs_emulator", "s3_emulator"]

try:
    from spruce.engine import Engine
    from spruce.imports import ImportRunner
except ImportError as exc:  # the engine is built in parallel; runner tests wait for it
    Engine = ImportRunner = None  # type: ignore[assignment,misc]
    ENGINE_MISSING = f"spruce.engine is not importable yet: {exc}"
else:
    ENGINE_MISSING = ""


@pytest.fixture
def source_dir(tmp_path: Path) -> Path:
    """The one directory file:// imports may read in these tests."""
    path = tmp_path / "imports"
    path.mkdir()
    return path


@pytest.fixture
def settings(tmp_path: Path, source_dir: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", import_allowed_dirs=(source_dir,), import_workers=2)


@dataclass
class Stack:
    """Catalog + engine + runner over one data dir; ``reopen()`` simulates a server restart."""

    settings: Settings
    catalog: Catalog
    engine: Engine
    runner: ImportRunner
    runner_options: dict[str, object]

    def create_index(
        self, name: str = "idx", dimension: int | None = 4, metric: str = "cosine", vector_type: str = "dense"
    ) -> None:
        self.engine.create_index(name, dimension, metric, vector_type)

    def start_import(
        self, uri: str, error_mode: str = "continue", index: str = "idx", integration_id: str | None = None
    ) -> ImportJob:
        job = self.catalog.create_import(index, uri, integration_id, error_mode)
        self.runner.submit(job)
        return job

    def wait(self, job: ImportJob, timeout: float = 60.0) -> ImportJob:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = self.catalog.get_import(job.index_name, job.id)
            if current.finished:
                return current
            time.sleep(0.02)
        raise AssertionError(f"import {job.id} did not finish: {self.catalog.get_import(job.index_name, job.id)}")

    def run(self, uri: str, error_mode: str = "continue", index: str = "idx") -> ImportJob:
        return self.wait(self.start_import(uri, error_mode, index))

    def namespaces(self, index: str = "idx") -> dict[str, int]:
        return self.engine.open_index(index).namespaces()

    def close(self) -> None:
        self.runner.stop()
        self.engine.close()
        self.catalog.close()

    def reopen(self, **runner_options: object) -> Stack:
        self.close()
        return open_stack(self.settings, **(runner_options or self.runner_options))


def open_stack(settings: Settings, **runner_options: object) -> Stack:
    """``runner_options`` go to ImportRunner; ``env`` (the server's environment) defaults to empty."""
    catalog = Catalog(settings.catalog_path)
    engine = Engine(str(settings.index_root), background=False)
    options = {"env": {}, **runner_options}
    runner = ImportRunner(catalog, engine, settings, **options)  # type: ignore[arg-type]
    runner.start()
    return Stack(settings, catalog, engine, runner, dict(runner_options))


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    if ENGINE_MISSING:
        pytest.skip(ENGINE_MISSING)
    s = open_stack(settings, yield_seconds=0.0)
    try:
        yield s
    finally:
        s.close()
