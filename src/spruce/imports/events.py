"""Import lifecycle events as log records: one line per event, with its fields attached for structured output.

The message reads well as plain text; the fields (``record.spruce_event``) are what ``--log-format json`` writes,
so log pipelines can filter on ``event`` and ``import_id`` without parsing prose.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("spruce.imports.events")

EVENT_ATTRIBUTE = "spruce_event"


def import_event(event: str, index_name: str, import_id: str, message: str, level: int = logging.INFO,
                 **fields: Any) -> None:
    """Logs ``import.<event>`` for one job; ``fields`` are JSON-friendly values (counts, uri, error)."""
    payload = {"event": f"import.{event}", "index": index_name, "import_id": import_id, **fields}
    log.log(level, "import %s of index %s %s", import_id, index_name, message, extra={EVENT_ATTRIBUTE: payload})
