"""Log lines that user-supplied text cannot forge.

Run ids from card buttons, display names, meeting subjects and file names reach log messages. A
newline in one would start a new line that reads like a record of its own ("INFO bot.analysis: run ...
emailed"), so every record's message is written on one line: line breaks and other control
characters become visible escapes (``\\n``, ``\\x1b``). Tracebacks the formatter appends stay as
they are: they are ours, not the user's.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

__all__ = ["OneLineFormatter", "configure_logging", "one_line"]

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


def configure_logging(level: str, stream: TextIO | None = None) -> None:
    """The root logger at ``level``, writing one-line records to ``stream`` (stderr by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(OneLineFormatter(FORMAT))
    logging.basicConfig(level=level, handlers=[handler])
