"""``spruce import start|describe|list|cancel|watch|errors``: bulk imports of one index."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import click

from spruce.cli.client import Client, index_option, json_option, server_options
from spruce.cli.output import print_fields, print_json, print_table
from spruce.cli.watch import EXIT_STATUS, skipped_of, watch_import

EXIT_HELP = "Exit status: 0 Completed, 1 Failed, 3 Cancelled."


@click.group("import")
def import_group() -> None:
    """Start, follow and inspect bulk imports from Parquet (s3://, gs://, https://<account>.blob…, file://)."""


def _finish(client: Client, index: str, import_id: str) -> None:
    try:
        code = watch_import(client, index, import_id)
    except KeyboardInterrupt:
        click.echo(f"\nStopped watching; import {import_id} goes on in the server. "
                   f"Resume with: spruce import watch {import_id} --index {index}", err=True)
        sys.exit(130)
    sys.exit(code)


@import_group.command("start", epilog=f"With --wait: {EXIT_HELP}")
@click.argument("uri")
@index_option
@click.option("--error-mode", type=click.Choice(["continue", "abort"]), default="continue", show_default=True,
              help="continue: skip bad records (see `spruce import errors`); abort: fail at the first one.")
@click.option("--integration-id", default=None, help="A storage integration configured on the server.")
@click.option("--wait", is_flag=True, help="Follow the import with a progress bar until it ends.")
@server_options
def start(client: Client, uri: str, index: str, error_mode: str, integration_id: str | None, wait: bool) -> None:
    """Start importing the Parquet files under URI into an index; prints the import id."""
    body: dict[str, Any] = {"uri": uri, "errorMode": {"onError": error_mode}}
    if integration_id:
        body["integrationId"] = integration_id
    import_id = client.request("POST", Client.imports(index), json=body)["id"]
    click.echo(f"Started import {import_id} into index {index}")
    if wait:
        _finish(client, index, import_id)


@import_group.command("watch", epilog=EXIT_HELP)
@click.argument("import_id")
@index_option
@server_options
def watch(client: Client, import_id: str, index: str) -> None:
    """Follow an import with a live progress bar (records/s, percent, ETA, skipped) until it ends."""
    _finish(client, index, import_id)


@import_group.command("describe")
@click.argument("import_id")
@index_option
@json_option
@server_options
def describe(client: Client, import_id: str, index: str, as_json: bool) -> None:
    """Describe an import."""
    job = client.request("GET", Client.imports(index, import_id))
    if as_json:
        print_json(job)
        return
    print_fields([
        ("id", job["id"]),
        ("status", job["status"]),
        ("uri", job["uri"]),
        ("progress", f"{job.get('percentComplete', 0):.2f}%"),
        ("imported", job.get("recordsImported", 0)),
        ("skipped", skipped_of(job)),
        ("created", job.get("createdAt")),
        ("finished", job.get("finishedAt")),
        ("error", job.get("error")),
    ])


def all_imports(client: Client, index: str) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        params = {"limit": 100, **({"paginationToken": token} if token else {})}
        page = client.request("GET", Client.imports(index), params=params)
        yield from page.get("data", [])
        token = (page.get("pagination") or {}).get("next")
        if not token:
            return


@import_group.command("list")
@index_option
@json_option
@server_options
def list_imports(client: Client, index: str, as_json: bool) -> None:
    """List the imports of an index, oldest first."""
    jobs = list(all_imports(client, index))
    if as_json:
        print_json(jobs)
        return
    rows = [(j["id"], j["status"], f"{j.get('percentComplete', 0):.1f}%", j.get("recordsImported", 0),
             skipped_of(j), j["uri"]) for j in jobs]
    print_table(["ID", "STATUS", "PROGRESS", "IMPORTED", "SKIPPED", "URI"], rows)


@import_group.command("cancel")
@click.argument("import_id")
@index_option
@server_options
def cancel(client: Client, import_id: str, index: str) -> None:
    """Cancel a pending or running import; records already imported stay."""
    client.request("DELETE", Client.imports(index, import_id))
    job = client.request("GET", Client.imports(index, import_id))
    click.echo(f"Import {import_id}: {job['status']} ({job.get('recordsImported', 0):,} records imported)")


@import_group.command("errors")
@click.argument("import_id")
@index_option
@click.option("--limit", type=click.IntRange(1, 100), default=100, show_default=True)
@json_option
@server_options
def errors(client: Client, import_id: str, index: str, limit: int, as_json: bool) -> None:
    """Show the skipped records of an import (the first 100 are kept): file, row, id, reason."""
    report = client.request("GET", Client.imports(index, f"{import_id}/errors"), params={"limit": limit})
    if as_json:
        print_json(report)
        return
    records = report["records"]
    click.echo(f"Import {report['id']} ({report['status']}): {report['importErrors']:,} records skipped, "
               f"{report['importSuccesses']:,} imported; showing {len(records)}")
    if records:
        print_table(["FILE", "ROW", "ID", "REASON"],
                    [(r["file"], r["row"], _short(r["id"]), r["reason"]) for r in records])


def _short(record_id: str | None, width: int = 40) -> str:
    if record_id is None:
        return "-"
    return record_id if len(record_id) <= width else record_id[: width - 1] + "…"


__all__ = ["EXIT_STATUS", "import_group"]
