"""Planning an import: list, read every footer, check every schema and namespace — before any data moves."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from spruce.config import Settings
from spruce.errors import ImportFailure
from spruce.imports import checkpoint as ckpt
from spruce.imports.layout import NamespaceFiles, discover, display_path
from spruce.imports.schema import FileFooter, read_footers
from spruce.storage import Source, open_source


class _Namespace(Protocol):
    def checkpoint(self, checkpoint_key: str) -> bytes | None: ...


class IndexView(Protocol):
    """The part of the engine's IndexStore planning reads."""

    dimension: int | None
    vector_type: str

    def namespaces(self) -> dict[str, int]: ...
    def namespace(self, name: str) -> _Namespace | None: ...


def namespace_exists(namespace: str) -> str:
    shown = namespace or "__default__"
    return f'The namespace "{shown}" already exists. Imports are only allowed into nonexistent namespaces.'


@dataclass(slots=True)
class NamespacePlan:
    namespace: str
    files: list[FileFooter]
    shown_paths: list[str]  # the files as the user knows them (uri + relative path), for error messages
    total_rows: int
    resume: ckpt.Checkpoint | None  # where a previous run of this import stopped in this namespace

    def rows_before(self, file: int) -> int:
        return sum(f.num_rows for f in self.files[:file])


@dataclass(slots=True)
class ImportPlan:
    source: Source
    namespaces: list[NamespacePlan]

    @property
    def total_rows(self) -> int:
        return sum(n.total_rows for n in self.namespaces)


def plan_import(
    import_id: str,
    uri: str,
    integration_id: str | None,
    index: IndexView,
    settings: Settings,
    env: Mapping[str, str] | None = None,
) -> ImportPlan:
    """Lists the source, reads and checks every footer, and finds each namespace's resume point.

    A namespace that already holds records fails the import — unless this very import wrote them (its
    checkpoint is there): that is a restart resuming, not a clash.
    """
    source = open_source(uri, integration_id, settings, env)
    layout = discover(source)
    key = ckpt.checkpoint_key(import_id)
    existing = index.namespaces()
    resumes: dict[str, ckpt.Checkpoint | None] = {}
    for group in layout:
        store = index.namespace(group.namespace) if group.namespace in existing else None
        raw = store.checkpoint(key) if store is not None else None
        if raw is None and existing.get(group.namespace, 0) > 0:
            raise ImportFailure(namespace_exists(group.namespace))
        resumes[group.namespace] = ckpt.decode(raw) if raw is not None else None

    all_paths = [p for group in layout for p in group.paths]
    footers = iter(read_footers(source.filesystem, all_paths, index.vector_type))
    plans = []
    for group in layout:
        files = [next(footers) for _ in group.paths]
        plans.append(_namespace_plan(source, group, files, resumes[group.namespace]))
    return ImportPlan(source, plans)


def _namespace_plan(
    source: Source, group: NamespaceFiles, files: list[FileFooter], resume: ckpt.Checkpoint | None
) -> NamespacePlan:
    if resume is not None and resume.file < len(files) and files[resume.file].path != resume.path:
        raise ImportFailure(
            f'The files under "{source.location.uri}" changed since this import started; it cannot resume. '
            "Start a new import into a new namespace."
        )
    return NamespacePlan(
        namespace=group.namespace,
        files=files,
        shown_paths=[display_path(source, f.path) for f in files],
        total_rows=sum(f.num_rows for f in files),
        resume=resume,
    )
