"""Following an import to its end: a live progress bar, then one summary line and an exit status.

The bar goes to stderr (stdout stays a clean summary for scripts). Records/s is measured here from the rows the
server reports processed (imported + skipped), over the last few polls, so it reflects the import's current pace.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from spruce.cli.client import Client

POLL_SECONDS = 0.5
RATE_WINDOW_SECONDS = 5.0
EXIT_STATUS = {"Completed": 0, "Failed": 1, "Cancelled": 3}


def skipped_of(job: dict[str, Any]) -> int:
    return int((job.get("validationResult") or {}).get("importErrors", 0))


class _Rate:
    def __init__(self) -> None:
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, processed: int) -> float:
        now = time.monotonic()
        self._samples.append((now, processed))
        while len(self._samples) > 2 and now - self._samples[0][0] > RATE_WINDOW_SECONDS:
            self._samples.popleft()
        (t0, p0), (t1, p1) = self._samples[0], self._samples[-1]
        return (p1 - p0) / (t1 - t0) if t1 > t0 else 0.0


def watch_import(client: Client, index: str, import_id: str) -> int:
    """Polls until the import finishes; returns the exit status for its final state."""
    console = Console(stderr=True)
    rate = _Rate()
    started = time.monotonic()
    columns = (
        TextColumn("import {task.fields[import_id]} [{task.fields[status]}]"),
        BarColumn(bar_width=24),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]:,.0f} records/s"),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[imported]:,} imported, {task.fields[skipped]:,} skipped"),
    )
    with Progress(*columns, console=console, transient=False, refresh_per_second=4) as progress:
        task = progress.add_task("import", total=100.0, import_id=import_id, status="Pending", rate=0.0,
                                 imported=0, skipped=0)
        while True:
            job = client.request("GET", Client.imports(index, import_id))
            skipped = skipped_of(job)
            progress.update(task, completed=float(job.get("percentComplete", 0.0)), status=job["status"],
                            rate=rate.add(job.get("recordsImported", 0) + skipped),
                            imported=job.get("recordsImported", 0), skipped=skipped)
            if job["status"] in EXIT_STATUS:
                break
            time.sleep(POLL_SECONDS)
    elapsed = time.monotonic() - started
    summary = (f"Import {job['id']} {job['status']}: {job.get('recordsImported', 0):,} records imported, "
               f"{skipped:,} skipped ({elapsed:.1f}s)")
    click.echo(summary)
    if job.get("error"):
        click.echo(f"Error: {job['error']}", err=True)
    if skipped:
        click.echo(f"See the skipped records: spruce import errors {job['id']} --index {index}", err=True)
    sys.stdout.flush()
    return EXIT_STATUS[job["status"]]
