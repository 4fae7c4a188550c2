"""analyse -> verify: the only way an Analysis reaches a renderer."""

from __future__ import annotations

import asyncio

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
    # Fuzzy matching over a long meeting is CPU work; keep it off the event loop (the bot serves
    # other users meanwhile).
    return await asyncio.to_thread(verify, draft, transcript)
