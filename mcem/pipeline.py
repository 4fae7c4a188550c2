"""analyse -> verify -> measure the talk time: the only way an Analysis reaches a renderer."""

from __future__ import annotations

import asyncio

from mcem import telemetry
from mcem.analyzer import Analyzer, Progress
from mcem.context import MeetingContext
from mcem.model import Analysis
from mcem.talk import with_talk
from mcem.transcript import Transcript
from mcem.verify import verify


async def analyze(
    transcript: Transcript,
    context: MeetingContext,
    analyzer: Analyzer,
    progress: Progress | None = None,
) -> Analysis:
    with telemetry.step("analyse", **{"mcem.engine": analyzer.name}):
        draft = await analyzer.analyze(transcript, context, progress)
    if progress:
        progress("Verifying quotes")
    with telemetry.step("verify") as span:
        # Fuzzy matching over a long meeting is CPU work; keep it off the event loop (the bot serves
        # other users meanwhile).
        analysis = await asyncio.to_thread(finish, draft, transcript)
        verified(span, analysis)
    return analysis


def finish(draft: Analysis, transcript: Transcript) -> Analysis:
    """What every analyzer's draft goes through before any renderer sees it (the bot's worker
    processes call this too): quotes checked, then the talk time measured on the verified sides."""
    return with_talk(verify(draft, transcript), transcript)


def verified(span: telemetry.SpanHandle, analysis: Analysis) -> None:
    """What verification did, as counts on its span."""
    checks = analysis.verification
    span.set("mcem.quotes.checked", checks.quotes_checked)
    span.set("mcem.quotes.dropped", checks.quotes_dropped)
    span.set("mcem.internal.removed", checks.internal_sentences_removed)
