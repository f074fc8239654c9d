"""The portal's logs: one JSON object per line, each with the request id of the request it belongs to.

The request id comes from the caller's X-Request-ID (the assistant's actions send the id of the
user's message, so one chat turn can be followed from Rasa through the actions into the portal) or
is made here. Paths are logged without their query string; tokens, passwords and codes never.
"""

from __future__ import annotations

import json
import logging
import os
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# The request being served by this task (set by the access-log middleware in main.py).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
FIELDS = ("method", "path", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """`{"at", "level", "logger", "pid", "request_id", "message", ...}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": os.getpid(),
            "request_id": getattr(record, "request_id", None) or request_id.get(),
            "message": record.getMessage(),
        }
        line |= {name: getattr(record, name) for name in FIELDS if hasattr(record, name)}
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
