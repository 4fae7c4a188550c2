"""What is known about a meeting besides its transcript.

The CLI fills it from flags (``--company``, ``--participant``, ``--internal``); the Teams bot
fills it from Microsoft Graph (subject, time, organizer, attendees split by the tenant's domains).
Analyzers use it to tell the customer's voice from the account team's.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from mcem.model import Person, Side


class MeetingContext(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str = ""
    subject_trusted: bool = Field(
        default=True,
        description="False when someone outside the tenant wrote the subject (a customer-organised "
        "meeting): the LLM then gets it as delimited, untrusted text, like the transcript",
    )
    start: datetime | None = None
    company: str = Field(default="", description="the customer's company; guessed when blank")
    participant: str = Field(default="", description="the main customer voice; guessed when blank")
    interviewer: str = Field(default="", description="who led the call for Microsoft; guessed when blank")
    people: tuple[Person, ...] = Field(default=(), description="attendees with side and role, when known")
    internal_names: frozenset[str] = Field(
        default=frozenset(), description="speakers on the Microsoft side (case-insensitive match)"
    )
    recording_url: str = Field(
        default="",
        description="the meeting recording's web address (Graph); quotes link to their moment in it",
    )
    language: str = Field(
        default="",
        description="the language to write the analysis in ('German'); blank: the analyzer's default "
        "(the transcript's language for the LLM engine, English offline)",
    )

    def side_of(self, speaker: str) -> Side:
        """Internal, customer or unknown for a transcript speaker name."""
        key = _norm(speaker)
        if any(_norm(n) == key for n in self.internal_names):
            return Side.internal
        for p in self.people:
            if _norm(p.name) == key:
                return p.side
        if self.internal_names or any(p.side is Side.internal for p in self.people):
            # Once the internal side is named, everyone else spoke for the customer.
            return Side.customer
        return Side.unknown

    def person(self, speaker: str) -> Person | None:
        key = _norm(speaker)
        return next((p for p in self.people if _norm(p.name) == key), None)


def _norm(name: str) -> str:
    return " ".join(name.casefold().split())
