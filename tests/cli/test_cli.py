"""The real ``spruce`` command (subprocess) against a real server: output and exit codes."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from spruce.cli import main
from spruce.imports import validate as validate_impl
from tests.cli.helpers import RATE_LIMIT, api, file_uri, spruce, spruce_background, wait_for
from tests.imports.parquet_data import dense_table, rows_table, write
from tests.imports.test_runner import BAD_ROWS, mixed_rows
from tests.server import SpruceServer


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


@pytest.mark.parametrize("path", command_paths(main), ids=lambda p: " ".join(p) or "spruce")
def test_help_on_every_command(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")


def test_cli_defaults_mirror_the_validator() -> None:
    validate_cli = importlib.import_module("spruce.cli.validate")  # the package attribute is the command
    assert validate_cli.DEFAULT_SAMPLE_ROWS == validate_impl.DEFAULT_SAMPLE_ROWS
    assert validate_cli.MAX_SAMPLE_ROWS == validate_impl.MAX_SAMPLE_ROWS


def test_indexes_lifecycle(server: SpruceServer) -> None:
    created = spruce(server, "indexes", "create", "cli-life", "--dimension", "8", "--metric", "euclidean")
    assert created.returncode == 0, created.stderr
    assert f"Created index cli-life (dense 8-d, euclidean) at {server.url}/data/cli-life" in created.stdout

    listed = spruce(server, "indexes", "list")
    assert listed.returncode == 0
    assert re.search(r"^cli-life\s+dense 8-d\s+euclidean\s+disabled", listed.stdout, re.M)
    assert json.loads(spruce(server, "indexes", "list", "--json").stdout)[0]["name"]

    described = spruce(server, "indexes", "describe", "cli-life")
    assert described.returncode == 0
    assert re.search(r"^records\s+0$", described.stdout, re.M)

    again = spruce(server, "indexes", "create", "cli-life", "--dimension", "8")
    assert again.returncode == 1 and "HTTP 409" in again.stderr

    assert spruce(server, "indexes", "delete", "cli-life").returncode == 0
    missing = spruce(server, "indexes", "describe", "cli-life")
    assert missing.returncode == 1 and "HTTP 404" in missing.stderr and "cli-life" in missing.stderr


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    stopped = SpruceServer(tmp_path / "data")  # never started: its port is free
    result = spruce(stopped, "indexes", "list")
    assert result.returncode == 1
    assert f"cannot reach the Spruce server at {stopped.url}" in result.stderr


def test_import_with_skipped_records(server: SpruceServer, imports_dir: Path) -> None:
    write(rows_table(mixed_rows()), imports_dir / "ns" / "0.parquet")
    write(dense_table(50, prefix="d"), imports_dir / "__default__" / "0.parquet")
    assert spruce(server, "indexes", "create", "skips", "-d", "4").returncode == 0

    result = spruce(server, "import", "start", file_uri(imports_dir), "--index", "skips", "--wait")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Started import 1 into index skips" in result.stdout
    assert f"Import 1 Completed: 70 records imported, {len(BAD_ROWS)} skipped" in result.stdout
    assert "records/s" in result.stderr and "100%" in result.stderr  # the progress bar's last frame
    assert "spruce import errors 1 --index skips" in result.stderr

    errors = spruce(server, "import", "errors", "1", "--index", "skips")
    assert errors.returncode == 0
    skipped = len(BAD_ROWS)
    assert f"Import 1 (Completed): {skipped} records skipped, 70 imported; showing {skipped}" in errors.stdout
    assert f"{file_uri(imports_dir)}ns/0.parquet  7    wrongdim" in errors.stdout
    assert "Vector dimension 3 does not match the dimension of the index 4" in errors.stdout

    # The report, the 2026-07 validationResult counts and describe all agree.
    report = json.loads(spruce(server, "import", "errors", "1", "-i", "skips", "--json").stdout)
    described = json.loads(spruce(server, "import", "describe", "1", "-i", "skips", "--json").stdout)
    assert described["validationResult"] == {"importSuccesses": 70, "importErrors": len(BAD_ROWS)}
    assert report["importErrors"] == len(report["records"]) == len(BAD_ROWS)
    assert [r["row"] for r in report["records"]] == [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21]

    listed = spruce(server, "import", "list", "-i", "skips")
    assert re.search(rf"^1\s+Completed\s+100.0%\s+70\s+{len(BAD_ROWS)}\s+file://", listed.stdout, re.M)
    stats = spruce(server, "stats", "--index", "skips")
    assert re.search(r"^skips\s+\(all\)\s+70\s+Completed 1$", stats.stdout, re.M)
    assert re.search(r"^skips\s+__default__\s+50$", stats.stdout, re.M)
    assert re.search(r"^skips\s+ns\s+20$", stats.stdout, re.M)


def test_failing_import_exits_non_zero(server: SpruceServer, imports_dir: Path) -> None:
    rows = [{"id": f"g{i}", "values": [i, 1, 2, 3]} for i in range(5)]
    rows.insert(2, {"id": "nan", "values": [1, float("nan"), 3, 4]})
    write(rows_table(rows), imports_dir / "ns" / "0.parquet")
    assert spruce(server, "indexes", "create", "fails", "-d", "4").returncode == 0

    result = spruce(server, "import", "start", file_uri(imports_dir), "-i", "fails", "--error-mode", "abort", "--wait")

    assert result.returncode == 1, result.stdout + result.stderr
    assert "Import 1 Failed: 0 records imported, 0 skipped" in result.stdout
    assert f'Error: error reading record (file "{file_uri(imports_dir)}ns/0.parquet", row 2)' in result.stderr
    described = spruce(server, "import", "describe", "1", "-i", "fails")
    assert re.search(r"^status\s+Failed$", described.stdout, re.M)
    assert re.search(r"^error\s+error reading record", described.stdout, re.M)


def test_cancelled_import_exits_non_zero(server: SpruceServer, imports_dir: Path) -> None:
    rows = RATE_LIMIT * 5
    for f in range(4):
        write(dense_table(rows // 4, start=f * rows // 4), imports_dir / "ns" / f"{f}.parquet", row_group_size=2000)
    assert spruce(server, "indexes", "create", "cancels", "-d", "4").returncode == 0
    started = spruce(server, "import", "start", file_uri(imports_dir), "-i", "cancels")
    assert started.returncode == 0 and "Started import 1" in started.stdout

    watcher = spruce_background(server, "import", "watch", "1", "-i", "cancels")
    try:
        path = "/data/cancels/bulk/imports/1"
        wait_for(lambda: api(server, "GET", path).json()["recordsImported"] > 0)
        cancelled = spruce(server, "import", "cancel", "1", "-i", "cancels")
        assert cancelled.returncode == 0 and "Import 1: Cancelled" in cancelled.stdout
        out, err = watcher.communicate(timeout=30)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
    assert watcher.returncode == 3, out + err
    kept = api(server, "GET", path).json()["recordsImported"]
    assert 0 < kept < rows
    assert f"Import 1 Cancelled: {kept:,} records imported, 0 skipped" in out


def test_validate_command(server: SpruceServer, imports_dir: Path) -> None:
    good, bad = imports_dir / "good", imports_dir / "bad"
    write(dense_table(40), good / "ns" / "0.parquet")
    write(rows_table(mixed_rows()), bad / "ns" / "0.parquet")
    (bad / "other").mkdir()
    (bad / "other" / "0.parquet").write_bytes(b"not parquet")

    ok = spruce(server, "validate", str(good), "--dimension", "4")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.search(r"^OK\s+file://\S+/good/ns/0.parquet\s+\[ns\]\s+40 rows; sampled 40, 0 refused$", ok.stdout, re.M)
    assert "1 files in 1 namespaces, 40 rows: 1 OK, 0 BAD." in ok.stdout

    result = spruce(server, "validate", file_uri(bad), "--dimension", "4", "--sample-rows", "10")
    assert result.returncode == 1
    assert re.search(r"^BAD\s+\S+/bad/ns/0.parquet\s+\[ns\]\s+31 rows; sampled 10, 5 refused$", result.stdout, re.M)
    assert "row 7 id 'wrongdim': Vector dimension 3 does not match the dimension of the index 4" in result.stdout
    assert re.search(r"^BAD\s+\S+/bad/other/0.parquet\s+\[other\]\s+Parquet footer could not be parsed", result.stdout,
                     re.M)
    assert "The import would fail: Parquet footer could not be parsed" in result.stdout

    # Against an index, through the server: same verdicts.
    assert spruce(server, "indexes", "create", "checked", "-d", "4").returncode == 0
    remote = spruce(server, "validate", file_uri(bad), "--index", "checked", "--remote", "--json")
    local = spruce(server, "validate", file_uri(bad), "--index", "checked", "--json")
    assert remote.returncode == local.returncode == 1
    assert json.loads(remote.stdout) == json.loads(local.stdout)

    outside = spruce(server, "validate", file_uri(Path("/tmp")), "-i", "checked", "--remote")
    assert outside.returncode == 1 and "outside the directories this server may import from" in outside.stderr
    usage = spruce(server, "validate", str(good))
    assert usage.returncode == 2 and "--dimension" in usage.stderr


def test_watch_of_unknown_import(server: SpruceServer) -> None:
    assert spruce(server, "indexes", "create", "nowatch", "-d", "4").returncode == 0
    result = spruce(server, "import", "watch", "42", "-i", "nowatch")
    assert result.returncode == 1 and "HTTP 404" in result.stderr

