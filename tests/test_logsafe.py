"""Log records on one line each: escaped text, or one JSON object per line in production, with the
trace and span ids of the analysis when telemetry is on."""

from __future__ import annotations

import io
import json
import logging
import sys
from pathlib import Path

from mcem import telemetry
from mcem.logsafe import JsonLineFormatter, OneLineFormatter
from tests.support.otel import Caught, otel
from tests.support.processes import run_bot

__all__ = ["otel"]  # the fixture, imported for pytest

FORGED = "run abc done\nINFO bot.analysis: run xyz emailed to everyone\x1b[2J"


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("bot.analysis", logging.WARNING, __file__, 1, message, args, None)


def test_a_json_line_keeps_the_escaping_and_is_one_object() -> None:
    line = JsonLineFormatter().format(_record("analysis %s stopped", FORGED))
    assert "\n" not in line
    record = json.loads(line)
    assert record["level"] == "WARNING" and record["logger"] == "bot.analysis"
    assert (
        record["message"]
        == "analysis run abc done\\nINFO bot.analysis: run xyz emailed to everyone\\x1b[2J stopped"
    )
    assert record["time"].endswith("+00:00")
    assert "trace_id" not in record  # telemetry off: no ids to give


def test_the_text_and_json_formats_escape_alike() -> None:
    text = OneLineFormatter("%(message)s").format(_record(FORGED))
    assert json.loads(JsonLineFormatter().format(_record(FORGED)))["message"] == text


def test_a_record_inside_an_analysis_carries_its_trace_and_span(otel: Caught) -> None:
    with telemetry.span("analysis"):
        line = json.loads(JsonLineFormatter().format(_record("analysis run-1 done")))
    [span] = otel.spans
    assert line["trace_id"] == f"{span.context.trace_id:032x}"
    assert line["span_id"] == f"{span.context.span_id:016x}"


def test_our_traceback_goes_in_its_own_field() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonLineFormatter().format(record)
    assert "\n" not in line and "RuntimeError" in json.loads(line)["exception"]


def test_the_bot_logs_json_lines_when_asked(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run_bot(
        MCEM_LOG_FORMAT="json",
        MCEM_STATE_PATH=str(blocker / "state.sqlite3"),
        MCEM_GRAPH_BASE_URL="http://127.0.0.1:9/v1.0",
        MCEM_SHAREPOINT_DRIVE_ID="b!drive",
    )
    assert result.returncode == 2
    *logged, last = result.stderr.strip().splitlines()
    assert last.startswith("mcem bot: MCEM_STATE_PATH=")  # the one line for people, as before
    assert logged and all(json.loads(line)["level"] for line in logged)  # the SDK's start-up lines too


def test_an_unknown_log_format_is_one_line() -> None:
    result = run_bot(MCEM_LOG_FORMAT="yaml")
    assert result.returncode == 2
    assert result.stderr.strip() == "mcem bot: MCEM_LOG_FORMAT=yaml is not one of text, json."


def test_configure_logging_writes_json_to_the_stream() -> None:
    from mcem.logsafe import configure_logging

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers = []
    stream = io.StringIO()
    try:
        configure_logging("INFO", stream, style="json")
        logging.getLogger("bot.test").info("hello %s", "world")
    finally:
        root.handlers, level = saved
        root.setLevel(level)
    assert json.loads(stream.getvalue())["message"] == "hello world"
