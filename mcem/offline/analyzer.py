"""The offline analyzer: a deterministic MCEM draft without a language model or network.

All work is CPU-bound and fast (a one-hour call takes a few tens of milliseconds, see
``benchmarks/offline_speed.py``); it still runs in a worker thread so a long transcript never
stalls the event loop of the bot.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from mcem.analyzer import Progress
from mcem.context import MeetingContext
from mcem.errors import LanguageError
from mcem.language import is_english, transcript_language
from mcem.model import (
    AdditionalFeedback,
    Analysis,
    AnalysisMeta,
    Decision,
    Done,
    InterviewDetails,
    NextStep,
    Person,
    Quote,
    Risk,
    Side,
    Stage,
)
from mcem.offline import recommend, roles, summary, writer
from mcem.offline.findings import Findings, gather
from mcem.offline.people import guess_roles
from mcem.offline.scoring import Sentence
from mcem.transcript import Transcript
from mcem.verify import once

NOTE = (
    "Offline draft made without a language model: sections are assembled from keyword scoring "
    "and verbatim customer sentences."
)


class OfflineAnalyzer:
    name = "offline"

    def __init__(self, now: datetime | None = None, language: str = "") -> None:
        # A fixed clock makes whole documents comparable in tests; otherwise generated_at is "now".
        self._now = now
        self.language = language  # MCEM_OUTPUT_LANGUAGE: only English can be honoured offline

    async def analyze(
        self, transcript: Transcript, context: MeetingContext, progress: Progress | None = None
    ) -> Analysis:
        if progress:
            progress("Scoring stages and roles")
        return await asyncio.to_thread(self.analyze_sync, transcript, context)

    def analyze_sync(self, transcript: Transcript, context: MeetingContext) -> Analysis:
        check_language(transcript, context.language or self.language)
        return build(gather(transcript, context), self._now or datetime.now(UTC))


def check_language(transcript: Transcript, requested: str) -> None:
    """LanguageError unless both the transcript and the requested output are English."""
    if requested and not is_english(requested):
        raise LanguageError(
            f"the offline analyzer writes English only, not {requested}: analyse with the language "
            "model (--engine llm) for that, or leave the output language unset"
        )
    found = transcript_language(transcript)
    if found is not None and not is_english(found):
        name = transcript.source or "the transcript"
        raise LanguageError(
            f"{name} is in {found} and the offline analyzer reads English only: analyse it with the "
            "language model (--engine llm, with a model configured), which writes in the transcript's "
            "language or the one --language names"
        )


def build(f: Findings, now: datetime) -> Analysis:
    recs = recommend.recommendations(f)
    sentiments = [writer.microsoft_sentiment(f)]
    sentiments += [
        writer.company_sentiment(name, t, f.mentions.get(name), competitor=name in f.competitors)
        for name, t in f.others.items()
    ]
    note = NOTE + (f" {f.people.assumption}" if f.people.assumption else "")
    return once(
        Analysis(
            participant_name=f.participant or "the participant",
            # "Interview Analysis – Ken O'Brien, the customer" names nobody: say what is known instead.
            company_name=f.company or ("company not named" if f.engagement else "not a customer meeting"),
            company_background=summary.background(f),
            executive_summary=summary.executive_summary(f, recs),
            details=_details(f),
            stages=[writer.stage_feedback(f, s) for s in Stage],
            insights=summary.insights(f),
            recommendations=recs,
            summary_table=roles.role_rows(f),
            additional_feedback=AdditionalFeedback(
                overall_mood=writer.mood(f), sentiment=sentiments, other_topics=writer.topics(f)
            ),
            meta=AnalysisMeta(engine="offline", generated_at=now, source=f.transcript.source, note=note),
            meeting_kind="customer_engagement" if f.engagement else "not_customer_engagement",
            current_stage=f.current_stage,
            next_steps=[
                NextStep(action=s.action, owner=s.owner, due=s.due, quote=_quote(s.sentence))
                for s in f.records.steps
            ],
            decisions=[Decision(text=d.text, quote=_quote(d.sentence)) for d in f.records.decisions],
            done=[Done(action=d.action, owner=d.owner, quote=_quote(d.sentence)) for d in f.records.done],
            risks=[Risk(text=writer.risk_text(r), quote=_quote(r.sentence)) for r in writer.top_risks(f)]
            if f.engagement
            else [],
        )
    )


def _quote(s: Sentence) -> Quote:
    return Quote(text=s.text, speaker=s.speaker, start=s.start)


def _details(f: Findings) -> InterviewDetails:
    said = guess_roles(f.transcript)

    def person(name: str, side: Side) -> Person | None:
        if not name:
            return None
        known = f.context.person(name)
        role = known.role if known and known.role else said.get(name, "")
        return Person(name=name, role=role, side=known.side if known else side)

    attendees = list(f.context.people) or [
        Person(name=s, role=said.get(s, ""), side=f.people.sides.get(s, Side.unknown))
        for s in f.transcript.speakers
    ]
    return InterviewDetails(
        date_time=f.context.start,
        interviewer=person(f.interviewer, Side.internal),
        participant=person(f.participant, Side.customer),
        subject=f.context.subject,
        attendees=attendees,
        recording_url=f.context.recording_url,
    )
