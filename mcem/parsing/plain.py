"""Line-based transcripts: plain text, and the text of Teams .docx transcripts.

Three layouts, chosen by which one most lines follow:

``arrow``  (older Teams .docx, also pasted as text) — a time line, the speaker, the text::

    0:0:0.0 --> 0:0:5.320
    Jane Doe
    Hi everyone.

``header`` (newer Teams .docx and the Teams transcript pane copied) — a line with the name,
two or more spaces or a tab, and the start time, then the text lines::

    Jane Doe   0:03
    Hi everyone.

``colon``  — ``Name: text`` lines, optionally after ``[00:01:02]`` or ``00:01:02``; lines
without a name continue the previous turn. Names must look like names (at most six words,
each capitalised or a particle such as "van"), common header words (Date, Subject, ...) are
not speakers, and at least two lines and a fifth of all lines must be speaker lines — so an
essay with a "Conclusion: ..." line is not taken for a transcript.

Times: a turn without an end time ends where the next one starts. Text without any times
(``Name: text`` only) gets 0.0 for every start and end: quotes then carry no meaningful time,
which is better than an invented one. Lines before the first speaker (title, date,
duration) and Teams' "X started/stopped transcription" events are not speech and are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from mcem.deadline import Deadline
from mcem.errors import TranscriptError
from mcem.parsing.common import Turn, clean_speaker, finish, parse_clock
from mcem.transcript import Transcript

# Lines are stripped, and only short ones can be layout lines: the patterns stay linear-time
# on hostile input (a 20 MB line of spaces must not backtrack for minutes).
_MAX_MARKER_LINE = 300
_TIME = r"-?\d{1,2}(?::\d{1,2}){1,2}(?:[.,]\d+)?"
_ARROW = re.compile(rf"({_TIME})\s*-->\s*({_TIME})(?:\s.*)?")
_HEADER = re.compile(r"(\S(?:.*\S)?)(?:\t|  )[ \t]*(\d{1,2}(?::\d{2}){1,2})")
_COLON_PREFIX = re.compile(
    r"(?:[\[(]?(\d{1,2}(?::\d{2}){1,2}(?:[.,]\d+)?)[\])]?\s*(?:[-–—]\s*)?)?"
    r"([^\W\d_][^:\[\]<>{}]{0,59}?) ?:(?:\s|$)"
)
_EVENT = re.compile(r"(\S.*) (?:started|stopped|paused|resumed) transcription", re.IGNORECASE)

_NOT_NAMES = frozenset(
    {
        *("note", "notes", "date", "time", "subject", "title", "attendees", "participants"),
        *("location", "duration", "agenda", "meeting", "transcript", "recording", "summary"),
        *("re", "fw", "fwd", "from", "to", "cc", "bcc", "warning", "error", "example"),
        *("question", "answer", "topic", "details", "description", "status", "owner"),
        *("action items", "next steps", "meeting notes", "key points"),
    }
)
_PARTICLES = frozenset(
    {"van", "von", "de", "da", "del", "della", "der", "den", "di", "du", "la", "le", "bin", "al"}
    | {"ibn", "y", "e", "dos", "das", "st."}
)
_NOT_IN_NAMES = set('?!";=*#|/\\')

NOT_A_TRANSCRIPT = (
    "no speaker turns found — this does not look like a meeting transcript; use a Teams "
    'transcript (.vtt or .docx), "Name: text" lines, or JSON [{"speaker": ..., "text": ...}]'
)


def read_lines(
    lines: Sequence[str],
    source: str,
    *,
    not_found: str = NOT_A_TRANSCRIPT,
    deadline: Deadline | None = None,
) -> Transcript:
    paced = deadline.paced if deadline else iter
    arrows = sum(1 for line in paced(lines) if _arrow_times(line) is not None)
    headers = sum(1 for line in paced(lines) if _header(line) is not None)
    colons = sum(1 for line in paced(lines) if _colon(line) is not None)
    spoken = sum(1 for line in lines if line.strip())
    readers: list[tuple[int, Callable[[Sequence[str], str], list[Turn]]]] = []
    if arrows:
        readers.append((arrows, _read_arrow))
    if headers:
        readers.append((headers, _read_header))
    if colons >= 2 and colons * 5 >= spoken:
        readers.append((colons, _read_colon))
    if not readers:
        raise TranscriptError(source, not_found)
    # max() keeps the first of equal counts: arrow, then header, then colon.
    _, reader = max(readers, key=lambda item: item[0])
    turns = reader(lines, source)
    if deadline:
        deadline.check()
    return finish(turns, source)


def split_name_prefix(text: str) -> tuple[str, str] | None:
    """``("Jane Doe", "hello")`` for ``"Jane Doe: hello"``; None when there is no name prefix."""
    found = _colon(text)
    if found is None or found[0] is not None or not found[2]:
        return None
    return found[1], found[2]


def _arrow_times(line: str) -> tuple[float, float] | None:
    line = line.strip()
    match = _ARROW.fullmatch(line) if len(line) <= _MAX_MARKER_LINE else None
    if match is None:
        return None
    start = parse_clock(match.group(1), fraction="millis")
    end = parse_clock(match.group(2), fraction="millis")
    return None if start is None or end is None else (start, end)


def _header(line: str) -> tuple[str, float] | None:
    line = line.strip()
    match = _HEADER.fullmatch(line) if len(line) <= _MAX_MARKER_LINE else None
    if match is None:
        return None
    name, clock = match.groups()
    seconds = parse_clock(clock)
    if seconds is None or len(name.split()) > 8 or "-->" in name or name[-1] in ".?!,;:":
        return None
    return name, seconds


def _colon(line: str) -> tuple[float | None, str, str] | None:
    """(start or None, name, text) for a ``Name: text`` line whose name looks like a name."""
    line = line.strip()
    match = _COLON_PREFIX.match(line[:_MAX_MARKER_LINE])
    if match is None:
        return None
    clock, name = match.groups()
    text = line[match.end() :].strip()
    if not _looks_like_name(name):
        return None
    start = parse_clock(clock) if clock else None
    return start, name.strip(), text or ""


def _looks_like_name(name: str) -> bool:
    words = name.split()
    if not 1 <= len(words) <= 6 or name.casefold() in _NOT_NAMES:
        return False
    if any(char in _NOT_IN_NAMES for char in name):
        return False
    for position, word in enumerate(words):
        first = word[0]
        # Scripts without letter case (Chinese, Japanese, Arabic, ...) count as capitalised.
        capitalised = (
            (first.isalpha() and not first.islower()) or first == "(" or word.casefold() in _PARTICLES
        )
        if not capitalised and not (position and first.isdigit()):  # digits allowed: "Speaker 2"
            return False
    return True


def _read_arrow(lines: Sequence[str], source: str) -> list[Turn]:
    turns: list[Turn] = []
    expecting_speaker = False
    for line in lines:
        times = _arrow_times(line)
        if times is not None:
            turns.append(Turn(None, times[0], times[1]))
            expecting_speaker = True
        elif not turns or not line.strip():
            continue
        elif expecting_speaker and _plausible_speaker_line(line):
            turns[-1].speaker = clean_speaker(line)
            expecting_speaker = False
        else:
            turns[-1].parts.append(line)
            expecting_speaker = False
    if not any(turn.speaker for turn in turns):
        raise TranscriptError(
            source,
            "no speaker names found — export the transcript from Teams with speaker attribution",
        )
    return turns


def _plausible_speaker_line(line: str) -> bool:
    text = line.strip()
    return len(text.split()) <= 8 and text[-1] not in ".?!,;:。？！、"


def _read_header(lines: Sequence[str], source: str) -> list[Turn]:
    turns: list[Turn] = []
    found = [_header(line) for line in lines]
    speakers = {clean_speaker(item[0]) for item in found if item is not None}
    for line, header in zip(lines, found, strict=True):
        if header is not None:
            turns.append(Turn(clean_speaker(header[0]), header[1], None))
        elif turns and not _is_event(line, speakers):
            turns[-1].parts.append(line)
    return turns


def _is_event(line: str, speakers: set[str]) -> bool:
    line = line.strip()
    match = _EVENT.fullmatch(line) if len(line) <= _MAX_MARKER_LINE else None
    return match is not None and clean_speaker(match.group(1)) in speakers


def _read_colon(lines: Sequence[str], source: str) -> list[Turn]:
    turns: list[Turn] = []
    last_start = 0.0
    for line in lines:
        found = _colon(line)
        if found is not None:
            start, name, text = found
            last_start = start if start is not None else last_start
            turns.append(Turn(clean_speaker(name), last_start, None, [text]))
        elif turns:
            turns[-1].parts.append(line)
    return turns
