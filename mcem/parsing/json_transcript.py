"""JSON transcripts: a list of ``{speaker|name, text|content, start?, end?}`` objects.

The list may also sit under ``"utterances"`` or ``"transcript"`` in an object. Times are
seconds (number or numeric string) or clock strings ``[hh:]mm:ss[.fff]`` (decimal fraction).
An item without text is skipped; an item without a speaker is ``Unknown speaker``; but a
file in which no item names a speaker is refused like any transcript without speakers.
"""

from __future__ import annotations

import json
import math
from typing import Any

from mcem.deadline import Deadline
from mcem.errors import TranscriptError
from mcem.parsing.common import Turn, clean_speaker, finish, parse_clock
from mcem.transcript import Transcript

_SPEAKER_KEYS = ("speaker", "name", "speakerName", "speaker_name")
_TEXT_KEYS = ("text", "content")
_START_KEYS = ("start", "startTime", "start_time")
_END_KEYS = ("end", "endTime", "end_time")
_WRAPPERS = ("utterances", "transcript")

SHAPE_HINT = 'expected a list of {"speaker": ..., "text": ...} objects (or {"utterances": [...]})'


def _integer(digits: str) -> int | float:
    # int() refuses more than 4,300 digits with a ValueError that json.loads lets through; a time
    # that long is nonsense anyway, so it becomes float (inf past 308 digits) and is refused below.
    return int(digits) if len(digits) <= 18 else float(digits)


def _loads(text: str) -> Any:
    return json.loads(text, parse_int=_integer)


def try_json(text: str) -> Any | None:
    """The decoded value, or None when ``text`` is not JSON at all."""
    try:
        return _loads(text)
    except (json.JSONDecodeError, RecursionError):
        return None


def read_json_text(text: str, source: str, *, deadline: Deadline | None = None) -> Transcript:
    try:
        value = _loads(text)
    except json.JSONDecodeError as err:
        raise TranscriptError(
            source, f"is not valid JSON (line {err.lineno}, column {err.colno}) — {SHAPE_HINT}"
        ) from None
    except RecursionError:
        raise TranscriptError(source, f"the JSON is nested too deeply — {SHAPE_HINT}") from None
    return read_json_value(value, source, deadline=deadline)


def read_json_value(value: Any, source: str, *, deadline: Deadline | None = None) -> Transcript:
    items = _items(value)
    if items is None:
        raise TranscriptError(source, f"the JSON is not a transcript — {SHAPE_HINT}")
    turns: list[Turn] = []
    named = False
    for number, item in enumerate(deadline.paced(items) if deadline else items, start=1):
        if not isinstance(item, dict):
            raise TranscriptError(source, f"item {number} is not an object — {SHAPE_HINT}")
        text = _first(item, _TEXT_KEYS)
        if text is None:
            continue
        if not isinstance(text, str):
            raise TranscriptError(source, f"item {number} has text that is not a string — {SHAPE_HINT}")
        speaker = _first(item, _SPEAKER_KEYS)
        if speaker is not None and not isinstance(speaker, str):
            raise TranscriptError(source, f"item {number} has a speaker that is not a string — {SHAPE_HINT}")
        named = named or bool(speaker and speaker.strip())
        start = _seconds(_first(item, _START_KEYS), number, source)
        end = _seconds(_first(item, _END_KEYS), number, source)
        turns.append(Turn(clean_speaker(speaker) if speaker else None, start or 0.0, end, [text]))
    if not turns:
        raise TranscriptError(source, f"the JSON has no items with text — {SHAPE_HINT}")
    if not named:
        raise TranscriptError(source, f'no speaker names found — give each item a "speaker"; {SHAPE_HINT}')
    return finish(turns, source)


def _items(value: Any) -> list[Any] | None:
    if isinstance(value, dict):
        for key in _WRAPPERS:
            if isinstance(value.get(key), list):
                return value[key]
        return None
    return value if isinstance(value, list) else None


def _first(item: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        if item.get(key) is not None:
            return item[key]
    return None


def _seconds(value: Any, number: int, source: str) -> float | None:
    if value is None:
        return None
    seconds: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = parse_clock(value)
        if seconds is None:
            try:
                seconds = float(value)
            except ValueError:
                seconds = None
    if seconds is None or not math.isfinite(seconds):
        raise TranscriptError(
            source,
            f'item {number} has an unreadable time {str(value)[:20]!r} — use seconds or "hh:mm:ss.mmm"',
        )
    return max(seconds, 0.0)
