"""Pieces every layout reader shares: clock times, text and name clean-up, and the
final step from raw turns to a validated :class:`~mcem.transcript.Transcript`."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from mcem.errors import TranscriptError
from mcem.transcript import Transcript, Utterance

UNKNOWN_SPEAKER = "Unknown speaker"

# Teams ends a meeting after 30 hours; people speak ~130 words a minute, so 30 hours is ~235,000
# words. More is not one meeting, and would only cost analysis time (and LLM tokens) for nothing.
MAX_WORDS = 300_000
_TOO_LONG = (
    f"the transcript has more than {MAX_WORDS:,} words, more than the 30 hours a Teams meeting can last "
    "— check that this is one meeting's transcript"
)

# Teams writes "UNKNOWN SPEAKER" when it could not attribute speech; other tools say "Unknown".
_UNKNOWN_NAMES = frozenset({"unknown speaker", "unknown", "unknown participant"})

# Hours and fraction digits are bounded: a 309-digit hour overflows float(), a 4,301-digit one int().
_CLOCK = re.compile(r"(-)?(?:(\d{1,7}):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,9}))?")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|<\d[\d:.,]*>")
# Characters that are not whitespace to str.split() but still break verbatim quote matching.
_INVISIBLE = str.maketrans("", "", "\u200b\u200c\u200d\u2060\ufeff")


@dataclass(slots=True)
class Turn:
    """A speaker turn while a reader is still collecting it; ``end=None`` means "until the next turn"."""

    speaker: str | None
    start: float
    end: float | None
    parts: list[str] = field(default_factory=list)


def parse_clock(text: str, *, fraction: Literal["millis", "decimal"] = "decimal") -> float | None:
    """Seconds for ``[h:]m:s[.f]``, or None when ``text`` is not a clock time.

    ``fraction="millis"`` reads the digits after the point as whole milliseconds. Teams'
    older transcripts write milliseconds without zero padding (``0:0:6.90 --> 0:0:6.500`` is
    6.090 s to 6.500 s), and for standard three-digit WebVTT times both readings agree.
    Negative times (Graph: transcription began while the call was already running) become 0.
    A seconds field of 60 (``00:11:60.000``, written by some converters) is the next minute.
    """
    m = _CLOCK.fullmatch(text.strip())
    if m is None:
        return None
    negative, hours, minutes, seconds, frac = m.groups()
    mins, secs = int(minutes), int(seconds)
    if secs > 60 or (hours is not None and mins >= 60):
        return None
    value = int(hours or 0) * 3600 + mins * 60 + secs
    if frac:
        if fraction == "millis" and len(frac) <= 3:
            value += int(frac) / 1000
        else:
            value += float("0." + frac)
    return 0.0 if negative else float(value)


def strip_markup(raw: str) -> str:
    """Markup removed and whitespace collapsed; entities left as they are."""
    if "<" in raw:
        raw = _TAG.sub("", raw)
    return " ".join(raw.translate(_INVISIBLE).split())


def clean_text(raw: str) -> str:
    """Markup removed, entities decoded, whitespace collapsed to single spaces."""
    text = strip_markup(raw)
    if "&" in text:
        text = " ".join(html.unescape(text).split())
    return text


@lru_cache(maxsize=1024)  # a meeting has a handful of names, repeated on every cue
def clean_speaker(raw: str) -> str:
    """A display name: entities decoded, whitespace collapsed, unknown variants unified."""
    name = clean_text(raw)
    if not name or name.casefold() in _UNKNOWN_NAMES:
        return UNKNOWN_SPEAKER
    return name


def finish(turns: list[Turn], source: str, skipped: tuple[str, ...] = ()) -> Transcript:
    """Validated transcript from collected turns.

    Empty turns are dropped; a turn without a speaker becomes :data:`UNKNOWN_SPEAKER`;
    a missing end is the next turn's start (never before its own start).
    """
    utterances: list[Utterance] = []
    count = len(turns)
    words = 0
    for index, turn in enumerate(turns):
        text = clean_text(" ".join(turn.parts))
        if not text:
            continue
        words += text.count(" ") + 1
        if words > MAX_WORDS:
            raise TranscriptError(source, _TOO_LONG)
        start = max(turn.start, 0.0)
        end = turn.end
        if end is None:
            end = turns[index + 1].start if index + 1 < count else start
        end = max(end, start)
        utterances.append(Utterance(speaker=turn.speaker or UNKNOWN_SPEAKER, start=start, end=end, text=text))
    if not utterances:
        raise TranscriptError(
            source,
            "the transcript has no spoken text — check that transcription was on and download it again",
        )
    return Transcript(utterances=tuple(utterances), source=source, skipped=skipped)
