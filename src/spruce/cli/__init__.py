"""The ``spruce`` command: ``serve`` runs the server; every other command is a client of a running server."""

from __future__ import annotations

import click

from spruce.cli.imports import import_group
from spruce.cli.indexes import indexes_group
from spruce.cli.serve import serve
from spruce.cli.stats import stats
from spruce.cli.validate import validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="spruce")
def main() -> None:
    """Spruce: a self-hosted vector database that speaks Pinecone's API.

    Client commands reach the server at --host (env SPRUCE_HOST, default http://127.0.0.1:5080) with the API key
    from --api-key (env SPRUCE_API_KEY or PINECONE_API_KEY).
    """


main.add_command(serve)
main.add_command(indexes_group)
main.add_command(import_group)
main.add_command(stats)
main.add_command(validate)

__all__ = ["main"]
