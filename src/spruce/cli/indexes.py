"""``spruce indexes list|create|describe|delete``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import click

from spruce.cli.client import Client, json_option, server_options
from spruce.cli.output import print_fields, print_json, print_table


@click.group("indexes")
def indexes_group() -> None:
    """Create, list, describe and delete indexes."""


def _shape(index: dict[str, Any]) -> str:
    if index.get("vector_type") == "sparse":
        return "sparse"
    return f"dense {index.get('dimension')}-d"


@indexes_group.command("list")
@json_option
@server_options
def list_indexes(client: Client, as_json: bool) -> None:
    """List indexes."""
    indexes = client.request("GET", "/indexes")["indexes"]
    if as_json:
        print_json(indexes)
        return
    rows = [(i["name"], _shape(i), i.get("metric"), i.get("deletion_protection"), i.get("host")) for i in indexes]
    print_table(["NAME", "VECTORS", "METRIC", "PROTECTION", "HOST"], rows)


@indexes_group.command("create")
@click.argument("name")
@click.option("--dimension", "-d", type=int, default=None, help="Dimension of a dense index.")
@click.option("--metric", type=click.Choice(["cosine", "euclidean", "dotproduct"]), default=None,
              help="Similarity metric (default cosine; dotproduct for sparse).")
@click.option("--vector-type", type=click.Choice(["dense", "sparse"]), default="dense", show_default=True)
@click.option("--deletion-protection", is_flag=True, help="Refuse deletes until it is turned off.")
@json_option
@server_options
def create_index(client: Client, name: str, dimension: int | None, metric: str | None, vector_type: str,
                 deletion_protection: bool, as_json: bool) -> None:
    """Create an index NAME."""
    if vector_type == "dense" and dimension is None:
        raise click.UsageError("a dense index needs --dimension")
    body: dict[str, Any] = {
        "name": name,
        "metric": metric or ("dotproduct" if vector_type == "sparse" else "cosine"),
        "vector_type": vector_type,
        "spec": {"serverless": {"cloud": "aws", "region": "us-east-1"}},
        "deletion_protection": "enabled" if deletion_protection else "disabled",
    }
    if dimension is not None:
        body["dimension"] = dimension
    index = client.request("POST", "/indexes", json=body)
    if as_json:
        print_json(index)
    else:
        click.echo(f"Created index {index['name']} ({_shape(index)}, {index.get('metric')}) at {index.get('host')}")


@indexes_group.command("describe")
@click.argument("name")
@json_option
@server_options
def describe_index(client: Client, name: str, as_json: bool) -> None:
    """Describe index NAME, with its namespaces and record counts."""
    index = client.request("GET", f"/indexes/{quote(name, safe='')}")
    stats = client.request("POST", Client.data(name, "describe_index_stats"), json={})
    if as_json:
        print_json({"index": index, "stats": stats})
        return
    print_fields([
        ("name", index["name"]),
        ("vectors", _shape(index)),
        ("metric", index.get("metric")),
        ("host", index.get("host")),
        ("deletion protection", index.get("deletion_protection")),
        ("tags", ", ".join(f"{k}={v}" for k, v in (index.get("tags") or {}).items()) or None),
        ("records", stats.get("totalVectorCount", 0)),
    ])
    namespaces = sorted((stats.get("namespaces") or {}).items())
    if namespaces:
        click.echo("")
        print_table(["NAMESPACE", "RECORDS"], [(ns or "__default__", s.get("vectorCount", 0)) for ns, s in namespaces])


@indexes_group.command("delete")
@click.argument("name")
@server_options
def delete_index(client: Client, name: str) -> None:
    """Delete index NAME and everything in it."""
    client.request("DELETE", f"/indexes/{quote(name, safe='')}")
    click.echo(f"Deleted index {name}")
