"""A two-line call and its context: the smallest input the LLM analyzer's tests send."""

from __future__ import annotations

from mcem.context import MeetingContext
from mcem.transcript import Transcript, Utterance

CALL = Transcript(
    utterances=(
        Utterance(speaker="Jordan Blake", start=0, end=5, text="What matters most to you this year?"),
        Utterance(
            speaker="Maria Lopez", start=6, end=14, text="We want a pilot in ten stores before we commit."
        ),
    )
)
CONTEXT = MeetingContext(internal_names=frozenset({"Jordan Blake"}))
