"""Footers and column checks: accepted layouts and every documented schema failure."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pytest

from spruce.errors import ImportFailure
from spruce.imports.schema import FOOTER_UNREADABLE, check_schema, read_footer, read_footers
from tests.imports.parquet_data import dense_table, write

F32, F64 = pa.float32(), pa.float64()
SPARSE = pa.struct([("indices", pa.list_(pa.uint32())), ("values", pa.list_(F32))])


def schema(**columns: pa.DataType) -> pa.Schema:
    return pa.schema(list(columns.items()))


@pytest.mark.parametrize(
    "values",
    [pa.list_(F32), pa.list_(F64), pa.large_list(F32), pa.list_(F32, 4)],
    ids=["list<float>", "list<double>", "large_list", "fixed_size_list"],
)
def test_dense_value_layouts_accepted(values: pa.DataType) -> None:
    plan = check_schema(schema(id=pa.string(), values=values, metadata=pa.large_string()), "dense")
    assert plan.columns == ["id", "values", "metadata"]


@pytest.mark.parametrize("index_type", [pa.uint32(), pa.int32(), pa.int64(), pa.uint64()])
def test_sparse_index_widths_accepted(index_type: pa.DataType) -> None:
    sparse = pa.struct([("values", pa.list_(F64)), ("indices", pa.large_list(index_type))])
    plan = check_schema(schema(id=pa.large_string(), sparse_values=sparse), "sparse")
    assert (plan.values, plan.sparse, plan.metadata) == (False, True, False)


def test_hybrid_is_dense_with_sparse_values() -> None:
    plan = check_schema(schema(id=pa.string(), values=pa.list_(F32), sparse_values=SPARSE), "dense")
    assert plan.columns == ["id", "values", "sparse_values"]


@pytest.mark.parametrize(
    ("columns", "vector_type", "message"),
    [
        (dict(id=pa.string(), values=pa.list_(F32), extra=pa.int64()), "dense", 'Unsupported column "extra"'),
        (dict(id=pa.string(), values=pa.list_(F32), sparse_values=SPARSE), "sparse", 'Unsupported column "values"'),
        (dict(id=pa.string(), metadata=pa.string()), "dense", 'Missing required column "values"'),
        (dict(values=pa.list_(F32)), "dense", 'Missing required column "id"'),
        (dict(id=pa.string()), "sparse", 'Missing required column "sparse_values"'),
        (
            dict(id=pa.int64(), values=pa.list_(F32)),
            "dense",
            'The expected data type for column "id" is "string", but got "int64"',
        ),
        (
            dict(id=pa.string(), values=pa.list_(pa.int32())),
            "dense",
            'The expected data type for column "values" is "list<float>", but got "list<int32>"',
        ),
        (
            dict(id=pa.string(), values=pa.string()),
            "dense",
            'The expected data type for column "values" is "list<float>", but got "string"',
        ),
        (
            dict(id=pa.string(), values=pa.list_(F32), metadata=pa.struct([("a", pa.int64())])),
            "dense",
            'The expected data type for column "metadata" is "string", but got "struct<a: int64>"',
        ),
        (
            dict(id=pa.string(), sparse_values=pa.struct([("indices", pa.list_(pa.uint32()))])),
            "sparse",
            'The expected data type for column "sparse_values" is '
            '"struct<indices: list<uint32>, values: list<float>>", but got "struct<indices: list<uint32>>"',
        ),
        (
            dict(id=pa.string(), sparse_values=pa.struct([("indices", pa.list_(F32)), ("values", pa.list_(F32))])),
            "sparse",
            'The expected data type for column "sparse_values" is '
            '"struct<indices: list<uint32>, values: list<float>>", but got "struct<indices: list<float>, '
            'values: list<float>>"',
        ),
    ],
)
def test_schema_errors(columns: dict[str, pa.DataType], vector_type: str, message: str) -> None:
    with pytest.raises(ImportFailure) as err:
        check_schema(schema(**columns), vector_type)
    assert err.value.message == message


def test_footer_gives_rows_and_row_groups(tmp_path: Path) -> None:
    path = write(dense_table(25), tmp_path / "a.parquet", row_group_size=10)
    footer = read_footer(pafs.LocalFileSystem(), path, "dense")
    assert footer.num_rows == 25
    assert footer.row_group_rows == (10, 10, 5)


@pytest.mark.parametrize("content", [b"", b"PAR1", b"id,values\n1,2\n", b"PAR1" + b"\0" * 100 + b"PAR1"])
def test_unreadable_footers(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.parquet"
    path.write_bytes(content)
    with pytest.raises(ImportFailure) as err:
        read_footer(pafs.LocalFileSystem(), str(path), "dense")
    assert err.value.message == FOOTER_UNREADABLE


def test_truncated_file(tmp_path: Path) -> None:
    good = Path(write(dense_table(50), tmp_path / "good.parquet"))
    truncated = tmp_path / "truncated.parquet"
    truncated.write_bytes(good.read_bytes()[:-20])
    with pytest.raises(ImportFailure) as err:
        read_footer(pafs.LocalFileSystem(), str(truncated), "dense")
    assert err.value.message == FOOTER_UNREADABLE


def test_first_bad_file_in_order_decides(tmp_path: Path) -> None:
    a = write(dense_table(3), tmp_path / "a.parquet")
    b = write(pa.table({"id": ["x"], "vals": [[1.0]]}), tmp_path / "b.parquet")
    (tmp_path / "c.parquet").write_bytes(b"junk")
    with pytest.raises(ImportFailure) as err:
        read_footers(pafs.LocalFileSystem(), [a, b, str(tmp_path / "c.parquet")], "dense")
    assert err.value.message == 'Unsupported column "vals"'
