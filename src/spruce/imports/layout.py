"""Source layout: one recursive listing of the prefix, mapped to namespaces.

Each directory directly under the prefix is a namespace (``__default__`` is the default namespace ""); every
``*.parquet`` file below it, at any depth, belongs to it. Other files (``.log``, ``_SUCCESS``) are ignored.
We list recursively once, because GCS does not report implicit directories in a shallow listing and one
recursive listing is also the fewest round trips on every object store.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow.fs as pafs

from spruce.errors import ImportFailure
from spruce.storage import Source

DEFAULT_NAMESPACE_DIR = "__default__"
PARQUET_SUFFIX = ".parquet"

NO_NAMESPACE = (
    "No namespace detected. Each file should be nested under a subdirectory named after its namespace "
    f"(use {DEFAULT_NAMESPACE_DIR} for the default namespace), e.g. <uri>/my-namespace/0.parquet"
)
FILE_AS_PREFIX = (
    "It looks like you specified a complete path to a parquet file as the URI prefix. The URI should be the "
    "directory that contains one subdirectory per namespace, each holding parquet files."
)


def no_parquet_found(uri: str) -> str:
    return f'No Parquet files found under "{uri}"'


@dataclass(frozen=True, slots=True)
class NamespaceFiles:
    """The Parquet files of one namespace, in a deterministic (byte-sorted) order."""

    namespace: str  # "" is the default namespace
    directory: str  # the sub-directory's name, as it appears in storage
    paths: tuple[str, ...]  # filesystem paths, sorted


def namespace_for_directory(directory: str) -> str:
    return "" if directory == DEFAULT_NAMESPACE_DIR else directory


def discover(source: Source) -> list[NamespaceFiles]:
    """Lists the source and groups its Parquet files by namespace, namespaces sorted by directory name.

    Raises ImportFailure for a uri naming a file, Parquet files directly under the prefix, no Parquet at all,
    or a listing error (missing bucket, denied access, unreachable endpoint).
    """
    fs, base, uri = source.filesystem, source.base_path.rstrip("/"), source.location.uri
    try:
        if fs.get_file_info(base).type == pafs.FileType.File:
            raise ImportFailure(FILE_AS_PREFIX)
        listing = fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
    except OSError as exc:
        raise ImportFailure(f'Could not list "{uri}": {exc}') from None

    by_directory: dict[str, list[str]] = {}
    loose_files = False
    for info in listing:
        if info.type != pafs.FileType.File or not info.base_name.lower().endswith(PARQUET_SUFFIX):
            continue
        relative = info.path[len(base) + 1 :] if base else info.path
        directory, sep, _ = relative.partition("/")
        if not sep:
            loose_files = True
            continue
        by_directory.setdefault(directory, []).append(info.path)
    if loose_files:
        raise ImportFailure(NO_NAMESPACE)
    if not by_directory:
        raise ImportFailure(no_parquet_found(uri))
    return [
        NamespaceFiles(namespace_for_directory(d), d, tuple(sorted(paths))) for d, paths in sorted(by_directory.items())
    ]


def display_path(source: Source, path: str) -> str:
    """A file's location as the user wrote it: the import uri followed by the path below the prefix."""
    base = source.base_path.rstrip("/")
    relative = path[len(base) + 1 :] if base and path.startswith(base + "/") else path
    return f"{source.location.uri.rstrip('/')}/{relative}"
