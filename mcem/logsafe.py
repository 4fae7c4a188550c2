"""Log lines that user-supplied text cannot forge.

Run ids from card buttons, display names, meeting subjects and file names reach log messages. A
newline in one would start a new line that reads like a record of its own ("INFO bot.analysis: run ...
emailed"), so every record's message is written on one line: line breaks and other control
characters become visible escapes (``\\n``, ``\\x1b``). Tracebacks the formatter appends stay as
they are: they are ours, not the user's.

In production (``MCEM_LOG_FORMAT=json``: the container image and deploy/main.bicep set it) each record
is one JSON object per line, with the same escaped message, for Log Analytics to query by field;
when telemetry is on, each carries the trace and span ids of the analysis it was logged in.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TextIO

from mcem import telemetry

__all__ = ["FORMATS", "JsonLineFormatter", "OneLineFormatter", "configure_logging", "one_line"]

FORMATS = ("text", "json")

FORMAT = "%(levelname)s %(name)s: %(message)s"
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_ESCAPES.update({0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def one_line(text: str) -> str:
    return text.translate(_ESCAPES)


class OneLineFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)
        return super().formatMessage(record)


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message (escaped as above), the trace ids
    when there are any, and our own traceback under ``exception``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": one_line(record.getMessage()),
        }
        ids = telemetry.current_ids()
        if ids is not None:
            line["trace_id"], line["span_id"] = ids
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str, stream: TextIO | None = None, *, style: str = "text") -> None:
    """The root logger at ``level``, writing one-line records to ``stream`` (stderr by default):
    ``style`` "text" for people, "json" for a log store."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLineFormatter() if style == "json" else OneLineFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        # azure-core logs every request's URL and headers at INFO: twenty lines per state read, with
        # table keys (conversation and meeting ids) in the URLs. A debugging matter, not an INFO one.
        logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)
