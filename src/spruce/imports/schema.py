"""Parquet footers and column checks: everything learned before any data is read.

Footers give row totals (so ``percentComplete`` is honest from the first batch) and the Arrow schema, which is
checked against the index so a wrong file fails the import before any data of it is written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from spruce.errors import ImportFailure

FOOTER_UNREADABLE = "Parquet footer could not be parsed. Are you sure this is valid parquet?"

ID, VALUES, SPARSE, METADATA = "id", "values", "sparse_values", "metadata"
EXPECTED_TYPE = {
    ID: "string",
    VALUES: "list<float>",
    SPARSE: "struct<indices: list<uint32>, values: list<float>>",
    METADATA: "string",
}

# Footers of remote files are fetched concurrently: each costs a round trip or two and almost no CPU.
FOOTER_READERS = 8


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    """Which optional columns a file has; ``id`` is always there."""

    values: bool
    sparse: bool
    metadata: bool

    @property
    def columns(self) -> list[str]:
        present = (VALUES, self.values), (SPARSE, self.sparse), (METADATA, self.metadata)
        return [ID, *(name for name, has in present if has)]


@dataclass(frozen=True, slots=True)
class FileFooter:
    path: str
    num_rows: int
    row_group_rows: tuple[int, ...]
    plan: ColumnPlan


def type_name(t: pa.DataType) -> str:
    """Arrow types in the short, Parquet-like spelling our error messages use (``list<float>``)."""
    if pa.types.is_float32(t):
        return "float"
    if pa.types.is_float64(t):
        return "double"
    if pa.types.is_fixed_size_list(t):
        return f"fixed_size_list<{type_name(t.value_type)}, {t.list_size}>"
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t):
        return f"list<{type_name(t.value_type)}>"
    if pa.types.is_struct(t):
        return "struct<" + ", ".join(f"{f.name}: {type_name(f.type)}" for f in t) + ">"
    if pa.types.is_large_string(t):
        return "string"
    return str(t)


def _is_list_of(t: pa.DataType, element_ok: Callable[[pa.DataType], bool]) -> bool:
    listy = pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t)
    return listy and element_ok(t.value_type)


def _is_float(t: pa.DataType) -> bool:
    # float64 is accepted and narrowed to float32 while reading; values that overflow become non-finite rows.
    return pa.types.is_float32(t) or pa.types.is_float64(t)


def _type_ok(column: str, t: pa.DataType) -> bool:
    if column in (ID, METADATA):
        return pa.types.is_string(t) or pa.types.is_large_string(t)
    if column == VALUES:
        return _is_list_of(t, _is_float)
    if not pa.types.is_struct(t) or {f.name for f in t} != {"indices", "values"} or t.num_fields != 2:
        return False
    # Any integer width is accepted for indices; rows whose values do not fit uint32 are refused one by one.
    return _is_list_of(t.field("indices").type, pa.types.is_integer) and _is_list_of(t.field("values").type, _is_float)


def check_schema(schema: pa.Schema, vector_type: str) -> ColumnPlan:
    """Checks a file's columns against a ``dense`` (optionally hybrid) or ``sparse`` index."""
    required = [ID, SPARSE] if vector_type == "sparse" else [ID, VALUES]
    allowed = [*required, METADATA] if vector_type == "sparse" else [*required, SPARSE, METADATA]
    for name in schema.names:
        if name not in allowed:
            raise ImportFailure(f'Unsupported column "{name}"')
    for name in required:
        if name not in schema.names:
            raise ImportFailure(f'Missing required column "{name}"')
    for field in schema:
        if not _type_ok(field.name, field.type):
            raise ImportFailure(
                f'The expected data type for column "{field.name}" is "{EXPECTED_TYPE[field.name]}", '
                f'but got "{type_name(field.type)}"'
            )
    names = set(schema.names)
    return ColumnPlan(values=VALUES in names, sparse=SPARSE in names, metadata=METADATA in names)


def open_parquet(fs: pafs.FileSystem, path: str) -> pq.ParquetFile:
    """Opens a file and parses its footer. Unparseable footers (empty, truncated, not Parquet) are the
    documented failure; I/O errors keep their own message so a flaky network is not blamed on the file."""
    try:
        handle = fs.open_input_file(path)
    except OSError as exc:
        raise ImportFailure(f'Could not open "{path}": {exc}') from None
    try:
        # pre_buffer coalesces the column-chunk reads of a row group: fewer round trips on object stores.
        return pq.ParquetFile(handle, pre_buffer=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, OSError):
        handle.close()
        raise ImportFailure(FOOTER_UNREADABLE) from None


def read_footer(fs: pafs.FileSystem, path: str, vector_type: str) -> FileFooter:
    parquet = open_parquet(fs, path)
    try:
        metadata = parquet.metadata
        plan = check_schema(parquet.schema_arrow, vector_type)
        row_groups = tuple(metadata.row_group(i).num_rows for i in range(metadata.num_row_groups))
        return FileFooter(path, metadata.num_rows, row_groups, plan)
    finally:
        parquet.close()


def _footer_or_failure(fs: pafs.FileSystem, path: str, vector_type: str) -> FileFooter | ImportFailure:
    try:
        return read_footer(fs, path, vector_type)
    except ImportFailure as failure:
        return failure


def inspect_footers(fs: pafs.FileSystem, paths: Sequence[str], vector_type: str) -> list[FileFooter | ImportFailure]:
    """Every file's footer, or why it is refused, in ``paths`` order.

    The validator lists every verdict; the import planner (``read_footers``) stops at the first refusal. Both see
    the same checks because both come through here.
    """
    if isinstance(fs, pafs.LocalFileSystem) or len(paths) <= 1:
        return [_footer_or_failure(fs, p, vector_type) for p in paths]
    with ThreadPoolExecutor(FOOTER_READERS, thread_name_prefix="spruce-footer") as pool:
        return list(pool.map(lambda p: _footer_or_failure(fs, p, vector_type), paths))


def read_footers(fs: pafs.FileSystem, paths: Sequence[str], vector_type: str) -> list[FileFooter]:
    """Footers in ``paths`` order; the first failing file (in that order) decides the error."""
    footers = []
    for outcome in inspect_footers(fs, paths, vector_type):
        if isinstance(outcome, ImportFailure):
            raise outcome
        footers.append(outcome)
    return footers
