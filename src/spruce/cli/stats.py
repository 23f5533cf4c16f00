"""``spruce stats``: records per namespace of every index, and its imports by status."""

from __future__ import annotations

from collections import Counter

import click

from spruce.cli.client import Client, json_option, server_options
from spruce.cli.imports import all_imports
from spruce.cli.output import print_json, print_table


@click.command()
@click.option("--index", "-i", "only", default=None, help="Only this index.")
@json_option
@server_options
def stats(client: Client, only: str | None, as_json: bool) -> None:
    """Records per namespace of each index, and imports by status."""
    names = [only] if only else [i["name"] for i in client.request("GET", "/indexes")["indexes"]]
    report = {}
    for name in names:
        index_stats = client.request("POST", Client.data(name, "describe_index_stats"), json={})
        statuses = Counter(job["status"] for job in all_imports(client, name))
        report[name] = {"totalVectorCount": index_stats.get("totalVectorCount", 0),
                        "namespaces": {ns: s.get("vectorCount", 0)
                                       for ns, s in sorted((index_stats.get("namespaces") or {}).items())},
                        "imports": dict(sorted(statuses.items()))}
    if as_json:
        print_json(report)
        return
    rows = []
    for name, entry in report.items():
        imports = ", ".join(f"{status} {n}" for status, n in entry["imports"].items()) or "-"
        rows.append((name, "(all)", entry["totalVectorCount"], imports))
        rows += [(name, ns or "__default__", count, "") for ns, count in entry["namespaces"].items()]
    print_table(["INDEX", "NAMESPACE", "RECORDS", "IMPORTS"], rows)
