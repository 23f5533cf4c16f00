"""``spruce validate``: check an import source before importing it.

Runs here, with this machine's credentials, the very checks the server's import planner runs
(``spruce.imports.validate``): layout, every footer and schema, and the row checks on a sample. ``--remote`` asks
the server to do the same with its own credentials and storage integrations instead.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import click

from spruce.cli.client import Client, json_option, server_options
from spruce.cli.output import print_json
from spruce.config import load_settings
from spruce.errors import SpruceError

# Mirrors spruce.imports.validate, which is imported only when a local validation runs (it loads pyarrow).
DEFAULT_SAMPLE_ROWS = 1000
MAX_SAMPLE_ROWS = 1_000_000


def _as_uri(source: str) -> str:
    """A plain local path is accepted too: it becomes a file:// uri."""
    return source if "://" in source else Path(source).resolve().as_uri() + "/"


def _local_report(uri: str, integration_id: str | None, vector_type: str, dimension: int | None, sample_rows: int,
                  existing: dict[str, int]) -> dict[str, Any]:
    from spruce.imports.validate import validate_source
    from spruce.storage import open_source

    # The server confines file:// imports to its allowed directories; on your own machine any directory is yours.
    settings = dataclasses.replace(load_settings(), import_allowed_dirs=(Path("/"),))
    try:
        source = open_source(uri, integration_id, settings)
    except SpruceError as exc:
        raise click.ClickException(exc.message) from None
    report = validate_source(source, vector_type=vector_type, dimension=dimension, sample_rows=sample_rows,
                             existing=existing)
    return report.to_wire()


def _index_shape(client: Client, index: str) -> tuple[str, int | None, dict[str, int]]:
    described = client.request("GET", f"/indexes/{index}")
    stats = client.request("POST", Client.data(index, "describe_index_stats"), json={})
    existing = {ns: s.get("vectorCount", 0) for ns, s in (stats.get("namespaces") or {}).items()}
    return described.get("vector_type", "dense"), described.get("dimension"), existing


@click.command()
@click.argument("source")
@click.option("--index", "-i", default=None, help="Check against this index (its shape and existing namespaces).")
@click.option("--dimension", "-d", type=int, default=None, help="Without --index: the dense dimension to expect.")
@click.option("--vector-type", type=click.Choice(["dense", "sparse"]), default=None,
              help="Without --index: dense (default when --dimension is given) or sparse.")
@click.option("--sample-rows", type=click.IntRange(0, MAX_SAMPLE_ROWS), default=DEFAULT_SAMPLE_ROWS,
              show_default=True, help="Rows of each file to run the record checks on (0: footers only).")
@click.option("--integration-id", default=None, help="A storage integration (from SPRUCE_INTEGRATIONS[_FILE]).")
@click.option("--remote", is_flag=True, help="Let the server validate, with its credentials (needs --index).")
@json_option
@server_options
def validate(client: Client, source: str, index: str | None, dimension: int | None, vector_type: str | None,
             sample_rows: int, integration_id: str | None, remote: bool, as_json: bool) -> None:
    """Check the Parquet files under SOURCE (a uri or local directory) before importing them.

    Reads the listing, every file's footer and schema (no data) and the first --sample-rows rows of each file.
    Prints OK or BAD per file and a summary; exits 0 when every file is OK, 1 otherwise.
    """
    uri = _as_uri(source)
    if remote:
        if not index:
            raise click.UsageError("--remote needs --index")
        body: dict[str, Any] = {"uri": uri, "sampleRows": sample_rows}
        if integration_id:
            body["integrationId"] = integration_id
        report = client.request("POST", Client.imports(index, "validate"), json=body)
    elif index:
        shape, dim, existing = _index_shape(client, index)
        report = _local_report(uri, integration_id, shape, dim, sample_rows, existing)
    else:
        kind = vector_type or "dense"
        if kind == "dense" and dimension is None:
            raise click.UsageError("give --index NAME, or --dimension D (dense) or --vector-type sparse")
        report = _local_report(uri, integration_id, kind, dimension if kind == "dense" else None, sample_rows, {})
    if as_json:
        print_json(report)
    else:
        print_report(report)
    sys.exit(0 if report["valid"] else 1)


def print_report(report: dict[str, Any]) -> None:
    files = report["files"]
    if not files and report.get("error"):
        click.echo(f"BAD  {report['uri']}")
        click.echo(f"     {report['error']}")
    for f in files:
        if f["error"]:
            detail = f["error"]
        else:
            detail = f"{f['rows']:,} rows; sampled {f['sampledRows']:,}, {f['refusedRows']:,} refused"
        click.echo(f"{'OK ' if f['ok'] else 'BAD'}  {f['file']}  [{f['namespace'] or '__default__'}]  {detail}")
        for problem in f["problems"]:
            shown_id = "" if problem["id"] is None else f" id {problem['id'][:40]!r}"
            click.echo(f"       row {problem['row']}{shown_id}: {problem['reason']}")
    for ns in report.get("namespaces", []):
        if ns["error"]:
            click.echo(f"BAD  namespace {ns['namespace'] or '__default__'}: {ns['error']}")
    bad = sum(1 for f in files if not f["ok"])
    namespaces = len(report.get("namespaces", []))
    click.echo("")
    click.echo(f"{len(files)} files in {namespaces} namespaces, {report.get('totalRows', 0):,} rows: "
               f"{len(files) - bad} OK, {bad} BAD.")
    if report["valid"]:
        click.echo("Valid: the import should succeed.")
        return
    if report.get("error"):
        click.echo(f"The import would fail: {report['error']}")
    elif report.get("abortError"):
        click.echo("With --error-mode continue the refused records would be skipped; with abort the import would "
                   f"fail: {report['abortError']}")
