"""Logging for `run`: text or one JSON object per line, to standard error or a rotating file.

Document-level lines carry `extra={"document": …, "device": …, "state": …, "outcome": …}`; the JSON
format puts those in their own keys. httpx/httpcore lines are kept at WARNING (the KRA client logs each
call once, at DEBUG), and huey's tracebacks for task errors the connector has already classified and
recorded are cut to one line unless the level is DEBUG.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from pathlib import Path

FIELDS = ("document", "device", "state", "outcome", "source")
MAX_BYTES = 10 * 1024 * 1024
BACKUPS = 5
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: getattr(record, key) for key in FIELDS if getattr(record, key, None) is not None})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class OneLineTaskErrors(logging.Filter):
    """huey logs every failing task with a traceback; the connector already recorded why. Keep one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            record.msg = f"{record.getMessage()}: {type(error).__name__}: {error}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
        return True


def configure(level: str, log_format: str = "text", log_file: Path | None = None) -> logging.Handler:
    """Replace the root handlers; returns the new handler."""
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8"
        )
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(quiet, logging.WARNING))
    huey = logging.getLogger("huey")
    if level != "DEBUG" and not any(isinstance(f, OneLineTaskErrors) for f in huey.filters):
        huey.addFilter(OneLineTaskErrors())
    return handler
