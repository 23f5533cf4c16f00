"""Layout: namespaces from sub-directories, and the three layout failures, on local disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from spruce.config import Settings
from spruce.errors import ImportFailure
from spruce.imports.layout import FILE_AS_PREFIX, NO_NAMESPACE, discover, display_path, no_parquet_found
from spruce.storage import open_source
from tests.imports.parquet_data import dense_table, uri, write


def _discover(path: Path, settings: Settings):  # type: ignore[no-untyped-def]
    return discover(open_source(uri(path) if path.is_dir() or not path.exists() else path.as_uri(), None, settings))


def test_namespaces_from_subdirectories(source_dir: Path, settings: Settings) -> None:
    t = dense_table(3)
    write(t, source_dir / "b" / "2.parquet")
    write(t, source_dir / "b" / "10.parquet")
    write(t, source_dir / "__default__" / "x.parquet")
    write(t, source_dir / "a" / "deeper" / "0.parquet")  # nested files belong to their top directory
    (source_dir / "a" / ".log").write_text("ignored")
    (source_dir / "b" / "_SUCCESS").write_text("")
    (source_dir / "README.txt").write_text("not parquet: ignored even at the top")

    layout = _discover(source_dir, settings)

    assert [(n.namespace, n.directory) for n in layout] == [("", "__default__"), ("a", "a"), ("b", "b")]
    assert [Path(p).name for p in layout[2].paths] == ["10.parquet", "2.parquet"]  # byte order, deterministic
    assert layout[1].paths == (str(source_dir / "a" / "deeper" / "0.parquet"),)


def test_files_directly_under_prefix_fail(source_dir: Path, settings: Settings) -> None:
    write(dense_table(2), source_dir / "ns" / "0.parquet")
    write(dense_table(2), source_dir / "loose.parquet")
    with pytest.raises(ImportFailure) as err:
        _discover(source_dir, settings)
    assert err.value.message == NO_NAMESPACE
    assert err.value.message.startswith("No namespace detected. Each file should be nested under a subdirectory")


def test_uri_naming_a_file_fails(source_dir: Path, settings: Settings) -> None:
    path = Path(write(dense_table(2), source_dir / "ns" / "0.parquet"))
    with pytest.raises(ImportFailure) as err:
        discover(open_source(path.as_uri(), None, settings))
    assert err.value.message == FILE_AS_PREFIX
    assert err.value.message.startswith(
        "It looks like you specified a complete path to a parquet file as the URI prefix"
    )


@pytest.mark.parametrize("setup", ["empty", "missing", "only-other-files"])
def test_no_parquet_found(source_dir: Path, settings: Settings, setup: str) -> None:
    target = source_dir / "data"
    if setup != "missing":
        target.mkdir()
    if setup == "only-other-files":
        (target / "ns").mkdir()
        (target / "ns" / "notes.csv").write_text("a,b")
    with pytest.raises(ImportFailure) as err:
        _discover(target, settings)
    assert err.value.message == no_parquet_found(uri(target))
    assert err.value.message == f'No Parquet files found under "{uri(target)}"'


def test_display_path_is_uri_plus_relative_path(source_dir: Path, settings: Settings) -> None:
    write(dense_table(2), source_dir / "ns" / "0.parquet")
    source = open_source(uri(source_dir), None, settings)
    assert display_path(source, str(source_dir / "ns" / "0.parquet")) == uri(source_dir) + "ns/0.parquet"
