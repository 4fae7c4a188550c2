"""The parsed transcript: who said what, and when.

Every input layout (Teams WebVTT, Teams .docx, ``Name: text``, JSON) is read into
this one shape; nothing downstream knows which layout it came from.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Utterance(BaseModel):
    """One speaker's turn, with the parts Teams split it into merged back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    speaker: str = Field(min_length=1)
    start: float = Field(ge=0, description="seconds from the start of the meeting")
    end: float = Field(ge=0, description="seconds from the start of the meeting")
    text: str = Field(min_length=1)


class Transcript(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    utterances: tuple[Utterance, ...]
    source: str = Field(default="", description="file name or meeting id, for messages only")
    skipped: tuple[str, ...] = Field(
        default=(),
        description="one line per cue left out because its time could not be read (never its text)",
    )

    @property
    def speakers(self) -> list[str]:
        """Distinct speakers in order of first appearance."""
        seen: dict[str, None] = {}
        for u in self.utterances:
            seen.setdefault(u.speaker, None)
        return list(seen)

    @property
    def duration(self) -> float:
        return max((u.end for u in self.utterances), default=0.0)

    @property
    def word_count(self) -> int:
        return sum(len(u.text.split()) for u in self.utterances)


def format_timestamp(seconds: float) -> str:
    """``[h:]mm:ss`` as people read meeting times."""
    total = int(seconds)
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
