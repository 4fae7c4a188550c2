"""analyse -> verify: the only way an Analysis reaches a renderer."""

from __future__ import annotations

from mcem.analyzer import Analyzer, Progress
from mcem.context import MeetingContext
from mcem.model import Analysis
from mcem.transcript import Transcript
from mcem.verify import verify


async def analyze(
    transcript: Transcript,
    context: MeetingContext,
    analyzer: Analyzer,
    progress: Progress | None = None,
) -> Analysis:
    draft = await analyzer.analyze(transcript, context, progress)
    if progress:
        progress("Verifying quotes")
    return verify(draft, transcript)
