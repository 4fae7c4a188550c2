"""WebVTT as Microsoft Teams writes it (Graph ``$format=text/vtt`` and Download > .vtt).

A hand-written reader because the details that matter here are the ones generic caption
libraries drop: ``<v Name>`` voice spans that wrap over several lines or never close, and
Teams cue ids ``<guid>/<n>-<part>`` that split one utterance into parts.

Rules:
- Parts ``G/N-0``, ``G/N-1``, ... of one utterance ``G/N`` become one utterance: the first
  part's speaker and start, the last part's end, the texts joined with a space. They are
  merged even when another speaker's cue sits between them (overlapping speech).
- A part without a voice span takes the speaker of its utterance; a cue that has neither a
  voice span nor a known utterance id gets ``Unknown speaker``.
- Cues without Teams ids (older Teams files, other tools) stay separate utterances, even when
  the same person speaks twice in a row: each cue keeps its own timestamp for quotes.
- NOTE, STYLE and REGION blocks, cue settings and markup other than voice spans are ignored;
  HTML entities are decoded in names and text.
- A text block without a timing line after a cue (a stray blank line inside a cue) is kept
  as the continuation of that cue rather than dropped.
- Captions with no voice span anywhere are accepted only when most cues start with
  ``Name:`` (Zoom and some recorders write speakers that way); otherwise the file has no
  speakers and is refused.
- Teams is not the only author: a cue whose time line cannot be read is left out (with its
  text) and named in ``Transcript.skipped``, as long as at least 90% of the cues can be read;
  below that the file is damaged and refused. ``00:11:60.000`` reads as ``00:12:00.000``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mcem.deadline import Deadline
from mcem.errors import TranscriptError
from mcem.parsing.common import Turn, clean_speaker, finish, parse_clock, strip_markup
from mcem.parsing.plain import split_name_prefix
from mcem.transcript import Transcript

_BLANK_LINES = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
# Character classes stop at "<" so that a run of unclosed tags cannot make matching quadratic.
_VOICE = re.compile(r"<v(?:\.[^\s<>]*)?(?:\s([^<>]*))?>", re.IGNORECASE)
_TEAMS_ID = re.compile(r"(.+/\d+)-\d+")
_SKIPPED_BLOCKS = re.compile(r"(?:NOTE|STYLE|REGION)(?:\s|$)")

# At least this share of cues must have readable times, or the whole file is refused.
READABLE_SHARE = 0.9

NO_SPEAKERS = (
    "no speaker names found — export the transcript from Teams with speaker attribution (Download > .vtt)"
)


def looks_like_vtt(text: str) -> bool:
    """True for a WebVTT header, or headerless cues that carry voice spans."""
    first = text.lstrip("\ufeff \t\r\n")[:6]
    return first == "WEBVTT" or ("-->" in text and _VOICE.search(text) is not None)


def read_vtt(text: str, source: str, *, deadline: Deadline | None = None) -> Transcript:
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    turns: list[Turn] = []
    groups: dict[str, Turn] = {}
    voiced = False
    cues = 0
    unreadable: list[tuple[int, int, str]] = []  # cue number, file line, the time line
    skipping = False  # the last cue was left out: a stray text block after it goes with it
    blocks = _blocks(text)
    for number, (first_line, block) in enumerate(deadline.paced(blocks) if deadline else blocks):
        lines = block.split("\n")
        head = lines[0].strip()
        if number == 0 and head.startswith("WEBVTT"):
            lines = lines[1:]  # header text and metadata; a cue may follow without a blank line
            first_line += 1
        elif _SKIPPED_BLOCKS.match(head):
            continue
        arrow = next((i for i, line in enumerate(lines) if "-->" in line), None)
        if arrow is None:
            if turns and number > 0 and not skipping and any(line.strip() for line in lines):
                turns[-1].parts.append(" ".join(lines))
            continue
        cues += 1
        timing = _timing(lines[arrow])
        skipping = timing is None
        if timing is None:
            unreadable.append((cues, first_line + arrow, lines[arrow].strip()[:40]))
            continue
        start, end = timing
        cue_id = lines[arrow - 1].strip() if arrow else ""
        segments = _segments(" ".join(lines[arrow + 1 :]))
        voiced = voiced or any(speaker is not None for speaker, _ in segments)
        _add_cue(turns, groups, cue_id, start, end, segments)
    if cues == 0:
        raise TranscriptError(
            source,
            "the WebVTT file has no cues — the meeting transcript is empty; "
            "check that transcription was on and download it again",
        )
    if cues - len(unreadable) < READABLE_SHARE * cues:
        cue, line, shown = unreadable[0]
        raise TranscriptError(
            source,
            f"cue {cue} (line {line}) has an unreadable time line ({shown!r}); {len(unreadable)} of {cues} "
            "cues cannot be read, too many to skip — the file is damaged; download the transcript again",
        )
    if not voiced and not _apply_name_prefixes(turns):
        raise TranscriptError(source, NO_SPEAKERS)
    notes = tuple(f"cue {c} (line {n}) skipped: its time line {t!r} cannot be read" for c, n, t in unreadable)
    return finish(turns, source, notes)


def _blocks(text: str) -> Iterator[tuple[int, str]]:
    """The blank-line separated blocks, each with the file line number it starts on."""
    body = text.lstrip("\n")
    line = 1 + len(text) - len(body)
    body = body.rstrip("\n")
    start = 0
    for gap in _BLANK_LINES.finditer(body):
        yield line, body[start : gap.start()]
        line += body.count("\n", start, gap.end())
        start = gap.end()
    yield line, body[start:]


def _timing(line: str) -> tuple[float, float] | None:
    left, _, right = line.partition("-->")
    right_fields = right.split()
    start = parse_clock(left, fraction="millis")
    end = parse_clock(right_fields[0], fraction="millis") if right_fields else None
    if start is None or end is None:
        return None
    return start, end


def _segments(payload: str) -> list[tuple[str | None, str]]:
    """(speaker, raw text) pieces of one cue; speaker None where no voice span applies."""
    matches = list(_VOICE.finditer(payload))
    if not matches:
        return [(None, payload)]
    segments: list[tuple[str | None, str]] = []
    for index, match in enumerate(matches):
        stop = matches[index + 1].start() if index + 1 < len(matches) else len(payload)
        segments.append((clean_speaker(match.group(1) or ""), payload[match.end() : stop]))
    lead = payload[: matches[0].start()]
    if lead.strip():
        speaker, body = segments[0]
        segments[0] = (speaker, lead + " " + body)
    return segments


def _add_cue(
    turns: list[Turn],
    groups: dict[str, Turn],
    cue_id: str,
    start: float,
    end: float,
    segments: list[tuple[str | None, str]],
) -> None:
    match = _TEAMS_ID.fullmatch(cue_id)
    key = match.group(1) if match else None
    speaker, body = segments[0]
    turn = groups.get(key) if key else None
    # A part naming a different speaker than its utterance cannot be the same utterance.
    if turn is not None and (speaker is None or turn.speaker in (None, speaker)):
        turn.parts.append(body)
        turn.end = end
        turn.speaker = turn.speaker or speaker
    else:
        turn = Turn(speaker, start, end, [body])
        turns.append(turn)
        if key:
            groups[key] = turn
    for speaker, body in segments[1:]:
        turns.append(Turn(speaker, start, end, [body]))


def _apply_name_prefixes(turns: list[Turn]) -> bool:
    """Take speakers from ``Name: text`` cue text when most cues are written that way."""
    texts = [strip_markup(" ".join(turn.parts)) for turn in turns]
    found = [split_name_prefix(text) for text in texts]
    spoken = sum(1 for text in texts if text)
    named = sum(1 for item in found if item is not None)
    if named == 0 or named * 2 < spoken:
        return False
    current: str | None = None
    for turn, item in zip(turns, found, strict=True):
        if item is not None:
            name, rest = item
            current = clean_speaker(name)
            turn.parts = [rest]
        turn.speaker = current
    return True
