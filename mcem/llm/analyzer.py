"""LLMAnalyzer: the transcript in compact form -> one structured call (or map -> reduce) -> Analysis.

The Analysis it returns is unverified, as the Analyzer protocol says: mcem.pipeline.analyze runs
the verifier, which drops quotes not in the transcript, fixes speaker and time, and strips any
sentence of the internal MCEM reference.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import openai

from mcem.analyzer import Progress
from mcem.context import MeetingContext
from mcem.language import output_language
from mcem.llm.calls import CallStats, LLMCall, Message
from mcem.llm.chunking import map_reduce
from mcem.llm.client import TokenProvider, make_client
from mcem.llm.compact import CompactTranscript, compact, context_block
from mcem.llm.prompts import fill, load, prompt_version, system_prompt
from mcem.llm.retry import Deadline, deadline_error
from mcem.llm.schema import ANALYSIS_SCHEMA_NAME, analysis_schema
from mcem.llm.settings import LLMSettings
from mcem.llm.tokens import count_tokens
from mcem.model import Analysis, AnalysisMeta, Person, Side
from mcem.transcript import Transcript


class LLMAnalyzer:
    name = "llm"

    def __init__(
        self,
        settings: LLMSettings,
        *,
        client: openai.AsyncOpenAI | None = None,
        token_provider: TokenProvider | None = None,
        language: str = "",
    ) -> None:
        self.settings = settings
        self.language = language  # MCEM_OUTPUT_LANGUAGE; a MeetingContext.language wins over it
        self._client = client
        self._owns_client = client is None
        self._token_provider = token_provider
        self.last_stats = CallStats()

    @property
    def client(self) -> openai.AsyncOpenAI:
        if self._client is None:
            self._client = make_client(self.settings, token_provider=self._token_provider)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._owns_client:
            await self._client.close()
            provider = getattr(self._client, "_azure_ad_token_provider", None)
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()
            self._client = None

    async def analyze(
        self, transcript: Transcript, context: MeetingContext, progress: Progress | None = None
    ) -> Analysis:
        """The analysis, or LLMError; never longer than MCEM_LLM_DEADLINE, every retry included."""
        deadline = Deadline(self.settings.deadline)
        try:
            # Retries already stop short of the deadline; this also bounds the local work and a
            # reply that trickles in slower than the per-read timeout would notice.
            async with asyncio.timeout(self.settings.deadline):
                return await self._analyze(transcript, context, progress, deadline)
        except TimeoutError:
            raise deadline_error(self.settings) from None

    async def _analyze(
        self,
        transcript: Transcript,
        context: MeetingContext,
        progress: Progress | None,
        deadline: Deadline,
    ) -> Analysis:
        report = progress or (lambda _step: None)
        stats = self.last_stats = CallStats()
        view = await asyncio.to_thread(compact, transcript, context)
        rendered = view.render()
        stats.transcript_tokens = await asyncio.to_thread(count_tokens, rendered)
        meeting = context_block(context, transcript)
        language = await asyncio.to_thread(output_language, context.language or self.language, transcript)

        def parse(data: dict[str, Any]) -> Analysis:
            return to_analysis(data, view, transcript, context, self.settings)

        call = LLMCall(self.client, self.settings, stats, deadline)
        if stats.transcript_tokens > self.settings.chunk_tokens:
            return await map_reduce(call, view, meeting, parse, report, language)

        report("Asking the language model")
        messages: list[Message] = [
            {"role": "system", "content": system_prompt("analysis_system", language)},
            {
                "role": "user",
                "content": fill(
                    load("analysis_user"),
                    {"meeting_context": meeting, "speaker_legend": view.legend, "transcript": rendered},
                ),
            },
        ]
        return await call.ask(
            messages, schema_name=ANALYSIS_SCHEMA_NAME, schema=analysis_schema(), parse=parse
        )


def to_analysis(
    data: dict[str, Any],
    view: CompactTranscript,
    transcript: Transcript,
    context: MeetingContext,
    settings: LLMSettings,
) -> Analysis:
    """The model's projection plus what code knows better: names, sides, time, attendees, meta."""
    data = dict(data)
    for stage in data.get("stages") or []:
        for quote in stage.get("quotes") or []:
            quote["speaker"] = view.full_name(str(quote.get("speaker", "")))
    for row in data.get("summary_table") or []:
        if isinstance(row.get("excerpt"), dict):
            row["excerpt"]["speaker"] = view.full_name(str(row["excerpt"].get("speaker", "")))
    for key in ("next_steps", "decisions", "risks"):
        for item in data.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("quote"), dict):
                item["quote"]["speaker"] = view.full_name(str(item["quote"].get("speaker", "")))
            if key == "next_steps" and isinstance(item, dict) and item.get("owner"):
                item["owner"] = view.full_name(str(item["owner"]))
    for quote in data.get("confidential") or []:
        if isinstance(quote, dict):
            quote["speaker"] = view.full_name(str(quote.get("speaker", "")))
    if data.get("meeting_kind") == "not_customer_engagement":
        data["current_stage"] = None  # no engagement, no stage: whatever the model said
    if context.company:
        data["company_name"] = context.company
    if context.participant:
        data["participant_name"] = context.participant
    details = dict(data.get("details") or {})
    given = {"interviewer": context.interviewer, "participant": context.participant}
    for key, side in (("interviewer", Side.internal), ("participant", Side.customer)):
        person = details.get(key)
        if given[key]:
            # The calendar knows better than the model who led the call and who was interviewed.
            role = ""
            if isinstance(person, dict) and view.full_name(str(person.get("name", ""))) == given[key]:
                role = str(person.get("role", ""))
            person = {"name": given[key], "role": role}
        if isinstance(person, dict) and person.get("name"):
            name = view.full_name(str(person["name"]))
            known, listed = context.side_of(name), context.person(name)
            role = listed.role if listed and listed.role else str(person.get("role", ""))
            details[key] = {"name": name, "role": role, "side": known if known is not Side.unknown else side}
    details["date_time"] = context.start
    details["attendees"] = list(context.people) or [
        Person(name=s, side=context.side_of(s)) for s in transcript.speakers
    ]
    details["recording_url"] = context.recording_url
    data["details"] = details
    data.pop("verification", None)
    data["meta"] = AnalysisMeta(
        engine="llm",
        model=settings.display_model,
        prompt_version=prompt_version(),
        generated_at=datetime.now(UTC),
        source=transcript.source,
    )
    return Analysis.model_validate(data)
