"""Reading a Teams WebVTT sample file directly (not with the product's parser), cue by cue, with
the structural checks a well-formed Teams file passes."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

_ID = re.compile(r"^(?P<guid>[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})/(?P<n>\d+)-(?P<part>\d+)$")
_TIMING = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d{3}) --> (\d\d):(\d\d):(\d\d)\.(\d{3})$")
_VOICE = re.compile(r"^<v (?P<name>[^>]+)>(?P<text>.+)</v>$", re.S)


@dataclass(frozen=True)
class Cue:
    n: int
    part: int
    start: float
    end: float
    speaker: str
    text: str
    wrapped: bool


def _seconds(groups: tuple[str, ...]) -> float:
    h, m, s, ms = (int(g) for g in groups)
    return h * 3600 + m * 60 + s + ms / 1000


def read_cues(path: Path) -> list[Cue]:
    raw = path.read_text("utf-8")
    assert raw.startswith("WEBVTT\n\n"), "a Teams transcript starts with the WEBVTT header and a blank line"
    cues: list[Cue] = []
    for block in raw[len("WEBVTT\n\n") :].strip("\n").split("\n\n"):
        lines = block.split("\n")
        ident, timing, body = lines[0], lines[1], "\n".join(lines[2:])
        id_match, time_match, voice = _ID.match(ident), _TIMING.match(timing), _VOICE.match(body)
        assert id_match, f"bad cue id {ident!r}"
        assert time_match, f"bad timing line {timing!r}"
        assert voice, f"cue {ident} has no <v Name>...</v> span"
        text = voice.group("text")
        assert "<" not in text and ">" not in text, f"cue {ident} has markup inside the voice span"
        cues.append(
            Cue(
                n=int(id_match.group("n")),
                part=int(id_match.group("part")),
                start=_seconds(time_match.groups()[:4]),
                end=_seconds(time_match.groups()[4:]),
                speaker=html.unescape(voice.group("name")),
                text=html.unescape(" ".join(text.split())),
                wrapped="\n" in text,
            )
        )
    return cues
