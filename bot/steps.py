"""The CPU-bound steps of an analysis job and of the summary card's Refresh and Email, in the worker
pool (bot/pool.py) when the bot has one.

With a pool, the offline path crosses to a worker once (parse, analyse, verify, render the .docx)
and the summary card once more; an analyzer that calls a model parses in a worker, awaits the
model here (I/O, not CPU) and verifies and renders in a worker. Without a pool (``MCEM_WORKERS=0``,
or tests that build the runner themselves) the same steps run in threads of this process.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from bot import work
from bot.pool import WorkerPool
from mcem import pipeline, telemetry
from mcem.analyzer import Analyzer
from mcem.context import MeetingContext
from mcem.crm import CrmUpdate, crm_update
from mcem.model import Analysis
from mcem.offline import OfflineAnalyzer
from mcem.parsing import parse_transcript
from mcem.render.card import summary_card
from mcem.render.docx import to_docx
from mcem.transcript import Transcript

__all__ = ["Drafted", "Steps"]

VTT = "text/vtt"


@dataclass(frozen=True)
class Drafted:
    analysis: Analysis  # verified
    docx: bytes
    skipped: int = 0  # transcript cues the parser could not read and left out
    duration: float = 0.0  # seconds of meeting the transcript covers


class Steps:
    def __init__(self, pool: WorkerPool | None = None) -> None:
        self.pool = pool

    async def draft(
        self, content: bytes, source: str, context: MeetingContext, analyzer: Analyzer
    ) -> Drafted:
        """A transcript's bytes -> the verified analysis and its Word document.

        Raises TranscriptError, AnalysisError, or WorkerDied when a worker process ended mid-step.
        """
        pool = self.pool
        if pool is None:
            with telemetry.step("parse"):
                transcript = await asyncio.to_thread(parse_transcript, content, source, content_type=VTT)
            analysis = await pipeline.analyze(transcript, context, analyzer)
            with telemetry.step("render", **{"mcem.format": "docx"}):
                docx = await asyncio.to_thread(to_docx, analysis)
            return Drafted(analysis, docx, len(transcript.skipped), transcript.duration)
        # The worker times its steps; their spans join this trace under a span for the trip.
        if isinstance(analyzer, OfflineAnalyzer):
            with telemetry.span("worker", **{"mcem.worker.call": "analyse_offline"}):
                made = await pool.run(
                    work.analyse_offline, content, source, VTT, context.model_dump_json(), analyzer.language
                )
                telemetry.replay(made.spans)
        else:
            with telemetry.span("worker", **{"mcem.worker.call": "parse"}):
                parsed = await pool.run(work.parse, content, source, VTT)
                telemetry.replay(parsed.spans)
            transcript_json = parsed.transcript_json
            with telemetry.step("analyse", **{"mcem.engine": analyzer.name}):
                unverified = await analyzer.analyze(Transcript.model_validate_json(transcript_json), context)
            with telemetry.span("worker", **{"mcem.worker.call": "verify_and_render"}):
                made = await pool.run(work.verify_and_render, unverified.model_dump_json(), transcript_json)
                telemetry.replay(made.spans)
        analysis = Analysis.model_validate_json(made.analysis_json)
        return Drafted(analysis, made.docx, made.skipped, made.duration)

    async def summary_card(
        self, analysis: Analysis, web_url: str | None, run_id: str, notes: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        with telemetry.step("render", **{"mcem.format": "card"}):
            if self.pool is None:
                return await asyncio.to_thread(summary_card, analysis, web_url, run_id=run_id, notes=notes)
            return await self.pool.run(work.render_card, analysis.model_dump_json(), web_url, run_id, notes)

    async def crm_update(
        self, analysis: Analysis, web_url: str | None, owner_emails: dict[str, str]
    ) -> CrmUpdate:
        """The CRM update (mcem/crm.py) of a finished analysis, off the event loop."""
        if self.pool is None:
            return await asyncio.to_thread(crm_update, analysis, web_url, owner_emails=owner_emails)
        update: CrmUpdate = await self.pool.run(
            work.crm_update_of, analysis.model_dump_json(), web_url, owner_emails
        )
        return update

    async def read_document(self, document: bytes, base: Analysis | None = None) -> Analysis:
        """A draft's .docx as people edited it -> the Analysis (raises DraftError, which crosses intact);
        ``base``: the analysis it was written from, for what the document does not show."""
        base_json = base.model_dump_json() if base is not None else None
        if self.pool is None:
            read = await asyncio.to_thread(work.read_document, document, base_json)
            return Analysis.model_validate_json(read)
        return Analysis.model_validate_json(await self.pool.run(work.read_document, document, base_json))

    async def email_html(self, analysis: Analysis, web_url: str, outlook: dict[str, Any] | None) -> str:
        """The summary email's HTML body (with the Outlook card when ``outlook`` gives its arguments)."""
        if self.pool is None:
            return await asyncio.to_thread(work.email_html, analysis.model_dump_json(), web_url, outlook)
        html: str = await self.pool.run(work.email_html, analysis.model_dump_json(), web_url, outlook)
        return html
