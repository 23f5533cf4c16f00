"""``--log-format json`` (SPRUCE_LOG_FORMAT=json): one JSON object per line, one line per import lifecycle event."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.helpers import api, file_uri, wait_for
from tests.imports.parquet_data import rows_table, write
from tests.imports.test_runner import BAD_ROWS, mixed_rows
from tests.server import SpruceServer


def test_import_lifecycle_events_as_json(tmp_path: Path) -> None:
    server = SpruceServer(tmp_path / "data", env={"SPRUCE_LOG_FORMAT": "json"}).start()
    try:
        source = server.data_dir / "imports" / "src"
        write(rows_table(mixed_rows()), source / "ns" / "0.parquet")
        spec = {"serverless": {"cloud": "aws", "region": "us-east-1"}}
        body = {"name": "logged", "dimension": 4, "metric": "cosine", "spec": spec}
        assert api(server, "POST", "/indexes", json=body, version="2025-10").status_code == 201
        assert api(server, "POST", "/data/logged/bulk/imports", json={"uri": file_uri(source)}).status_code == 200
        wait_for(lambda: api(server, "GET", "/data/logged/bulk/imports/1").json()["status"] == "Completed")
    finally:
        server.stop()

    lines = [json.loads(line) for line in server.log().splitlines() if line.strip()]  # every line is JSON
    events = [line for line in lines if line.get("event", "").startswith("import.")]
    assert [e["event"] for e in events] == ["import.queued", "import.started", "import.planned", "import.completed"]
    assert all(e["index"] == "logged" and e["import_id"] == "1" for e in events)
    done = events[-1]
    assert (done["records_imported"], done["records_skipped"], done["status"]) == (20, len(BAD_ROWS), "Completed")
    assert done["message"].startswith("import 1 of index logged completed: 20 imported, 11 skipped in ")
    assert events[2]["total_rows"] == 20 + len(BAD_ROWS)
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # the server's own lines are JSON too
