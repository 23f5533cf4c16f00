"""Server logging: the plain text format, or one JSON object per line for log pipelines."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from spruce.imports.events import EVENT_ATTRIBUTE

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", ...event fields}``; exceptions as ``exc_info`` text."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, EVENT_ATTRIBUTE, None) or {})
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(level: str, log_format: str) -> dict[str, Any]:
    """Sets up the root logger; returns the keyword arguments uvicorn.run needs to go along with it."""
    if log_format == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=level.upper(), handlers=[handler])
        return {"log_config": None}  # uvicorn's own loggers then propagate to the JSON handler
    logging.basicConfig(level=level.upper(), format=TEXT_FORMAT)
    return {}
