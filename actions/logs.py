"""Structured logs of our own code in Rasa and the action server: one JSON object per line.

Every line of a user's turn carries the same `request_id`: the channel gives the message its id
(the caller's X-Request-ID, or a new one), Rasa hands it to the actions as the message's
`message_id`, and the actions send it to the portal as X-Request-ID, which logs it too. So one
turn can be followed through the three processes. No token, password or code is ever logged,
and URLs are logged without their query string (a search may hold a name or a BSN).
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timezone
from typing import Any

# Fields a call may add with `extra=`: named here so that nothing else slips into a line.
FIELDS = ("request_id", "conversation_id", "channel", "method", "path", "status", "duration_ms", "outcome")


class JsonFormatter(logging.Formatter):
    """`{"at", "level", "logger", "message", <FIELDS present>}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= {name: getattr(record, name) for name in FIELDS if hasattr(record, name)}
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def json_logger(name: str) -> logging.Logger:
    """A logger of ours writing JSON lines to stderr, whatever Rasa does with the root logger."""
    logger = logging.getLogger(name)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def json_for_every_log_line() -> None:
    """Rasa's and rasa_sdk's own lines as JSON lines too, from the moment our code is loaded.

    `rasa run` and `rasa run actions` install coloredlogs on the root logger after reading any
    --logging-config-file, so a logging configuration cannot reach them; this gives the handlers
    they installed our formatter, and routes Python warnings through logging, in the process that
    calls it (the Rasa server through bot/channels, the action server through actions/).
    """
    for handler in logging.getLogger().handlers:
        handler.setFormatter(JsonFormatter())
    logging.captureWarnings(True)


def new_request_id(given: str | None = None) -> str:
    """The caller's request id when it is a sane one, else a new one."""
    if given and len(given) <= 64 and all(c.isalnum() or c in "-_." for c in given):
        return given
    return uuid.uuid4().hex[:16]


# httpx logs every request's full URL at INFO (query strings included); ours are logged without.
logging.getLogger("httpx").setLevel(logging.WARNING)
