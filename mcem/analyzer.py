"""The one interface every analyzer implements (offline, LLM, and test fakes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from mcem.context import MeetingContext
from mcem.model import Analysis
from mcem.transcript import Transcript

# Called with short, user-facing step descriptions ("Scoring stages", "Calling the model 2/5").
Progress = Callable[[str], None]


class Analyzer(Protocol):
    name: str  # "offline" or "llm"

    async def analyze(
        self, transcript: Transcript, context: MeetingContext, progress: Progress | None = None
    ) -> Analysis:
        """Return an unverified Analysis; callers run ``mcem.pipeline.analyze`` to verify it."""
        ...
