"""The background analysis: find the meeting, fetch its transcript, analyse, save the .docx.

A job shows its progress on one card (``CardSink.show`` replaces the card in place) and ends
with the summary card or an error card that says what happened and what to do. Handlers start
jobs through ``JobRunner`` and return at once; nothing here knows about the Agents SDK.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast

from bot.background import BackgroundTasks
from bot.commands import AnalyzeLast, AnalyzeMatching
from bot.meeting_context import context_from_meeting
from bot.pool import WorkerDied, WorkerPool
from bot.services import Services
from bot.state import BotState, RunRecord
from bot.steps import Steps
from cards import DEFAULT_STEPS, VERB_ANALYZE, error_card, progress_card
from graph.documents import document_path
from graph.service import (
    GraphError,
    MeetingInfo,
    MeetingNotFound,
    StoredDocument,
    TranscriptNotReady,
    TranscriptRef,
    TranscriptUnavailable,
)
from mcem.errors import AnalysisError, TranscriptError, explain
from mcem.model import Analysis

__all__ = [
    "STEPS",
    "AnalysisJob",
    "CardSink",
    "JobRunner",
    "MeetingById",
    "MeetingLookup",
    "NotifiedTranscript",
    "run_analysis",
]

log = logging.getLogger(__name__)

STEPS = DEFAULT_STEPS  # finding the meeting, fetching the transcript, analysing, saving the document
REMEMBERED_RUNS = 1000
RETRY_VERB = VERB_ANALYZE  # "Try again" is the meetings card's Analyze button with the same data


class CardSink(Protocol):
    async def show(self, card: dict[str, Any]) -> None:
        """Replace the job's card with this one."""
        ...


@dataclass(frozen=True)
class MeetingById:
    """A meeting picked on the meetings card (its Analyze button) or a retry."""

    meeting_id: str


@dataclass(frozen=True)
class NotifiedTranscript:
    """A transcript Graph announced (bot/notifications.py): its meeting is known by id."""

    organizer_id: str
    meeting_id: str
    transcript_id: str


class MeetingLookup(Protocol):
    """What GraphMeetings adds to MeetingSource: one meeting by its ids, if the user took part."""

    async def meeting(self, user_id: str, organizer_id: str, meeting_id: str) -> MeetingInfo: ...


Target = AnalyzeLast | AnalyzeMatching | MeetingById | NotifiedTranscript


@dataclass(frozen=True)
class AnalysisJob:
    user_id: str  # Entra object id of the requester: Graph checks they organised or attended
    target: Target
    run_id: str = ""


async def run_analysis(
    job: AnalysisJob,
    services: Services,
    sink: CardSink,
    *,
    grace: timedelta = timedelta(minutes=60),
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    found: Callable[[MeetingInfo], None] | None = None,
    saved: Callable[[MeetingInfo, StoredDocument], Awaitable[None]] | None = None,
    steps: Steps | None = None,
) -> Analysis | None:
    """Run one job to its end card. Returns the analysis, or None when an error card was shown.

    ``found`` hears which meeting the job settled on; ``saved`` hears where its document went,
    before the summary card shows (so "Regenerate" on that card can name the meeting again).
    ``steps`` runs the CPU-bound work (in worker processes when it has a pool; threads otherwise).
    """
    steps = steps or Steps()
    run_id = job.run_id or uuid.uuid4().hex[:12]
    subject: str | None = None
    step = 0
    try:
        meeting = await _find_meeting(job, services)
        subject = meeting.subject
        if found:
            found(meeting)
        step = 1
        await sink.show(progress_card(STEPS, step, subject=subject))
        if isinstance(job.target, NotifiedTranscript):
            target = job.target
            ref = TranscriptRef(
                transcript_id=target.transcript_id,
                meeting_id=target.meeting_id,
                organizer_id=target.organizer_id,
            )
        else:
            ref = await _latest_transcript(job.user_id, meeting, services, grace=grace, now=now())
        content = (await services.meetings.transcript_vtt(job.user_id, ref)).encode("utf-8")
        step = 2
        await sink.show(progress_card(STEPS, step, subject=subject))
        drafted = await steps.draft(
            content, meeting.subject or meeting.meeting_id, context_from_meeting(meeting), services.analyzer
        )
        del content  # the transcript lives only as long as this job needs it
        if drafted.skipped:
            log.warning("analysis %s: %d unreadable cue(s) left out", run_id, drafted.skipped)
        analysis = drafted.analysis
        step = 3
        await sink.show(progress_card(STEPS, step, subject=subject))
        folder, filename = document_path(analysis.company_name, meeting.start, meeting.subject)
        stored = await services.documents.upload(folder, filename, drafted.docx)
        if saved:
            await saved(meeting, stored)
        card = await steps.summary_card(analysis, stored.web_url, run_id)
    except Exception as err:
        log.warning("analysis %s stopped at step %d: %s", run_id, step, type(err).__name__)
        if not isinstance(err, (GraphError, TranscriptError, AnalysisError, WorkerDied)):
            # Unexpected: log where it happened, never its message (it may quote the transcript).
            where = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
            place = f"{where.filename}:{where.lineno} in {where.name}" if where else "unknown place"
            log.error("analysis %s: unexpected %s at %s", run_id, type(err).__qualname__, place)
        await _show_failure(sink, job, step, subject, err)
        return None
    log.info("analysis %s done: %s", run_id, stored.item_id)
    await sink.show(card)
    return analysis


async def _find_meeting(job: AnalysisJob, services: Services) -> MeetingInfo:
    target = job.target
    if isinstance(target, NotifiedTranscript):
        lookup = services.meetings
        if not hasattr(lookup, "meeting"):
            raise MeetingNotFound("This deployment cannot look up a meeting by its id.")
        return await cast(MeetingLookup, lookup).meeting(job.user_id, target.organizer_id, target.meeting_id)
    if isinstance(target, AnalyzeLast):
        found = await services.meetings.recent_meetings(job.user_id, limit=1)
        if not found:
            raise MeetingNotFound("I found no recent online meeting that you organised or attended.")
        return found[0]
    if isinstance(target, AnalyzeMatching):
        found = await services.meetings.recent_meetings(
            job.user_id, limit=1, query=target.words or None, on=target.on
        )
        if not found:
            raise MeetingNotFound(
                f"I found no recent meeting {_describe(target)} that you organised or attended."
            )
        return found[0]
    found = await services.meetings.recent_meetings(job.user_id, limit=50)
    for meeting in found:
        if meeting.meeting_id == target.meeting_id:
            return meeting
    raise MeetingNotFound("That meeting is no longer among your recent meetings.")


async def _latest_transcript(
    user_id: str, meeting: MeetingInfo, services: Services, *, grace: timedelta, now: datetime
) -> TranscriptRef:
    refs = await services.meetings.transcripts(user_id, meeting)
    if refs:
        epoch = datetime.min.replace(tzinfo=UTC)
        return max(refs, key=lambda r: r.created or epoch)
    if now - meeting.end < grace:
        raise TranscriptNotReady(
            f"“{meeting.subject}” ended recently and Teams has not published its transcript yet."
        )
    raise TranscriptUnavailable(
        f"“{meeting.subject}” has no transcript: transcription was off during the meeting."
    )


def _describe(target: AnalyzeMatching) -> str:
    parts = []
    if target.words:
        parts.append(f"matching “{target.words}”")
    if target.on:
        parts.append(f"on {target.on:%d %B %Y}")
    return " ".join(parts)


async def _show_failure(
    sink: CardSink, job: AnalysisJob, step: int, subject: str | None, err: Exception
) -> None:
    retry = _retry_data(job) if (why := explain(err)).retry else None
    message = why.message
    if subject and subject not in message:
        message = f"{message} (meeting: {subject})"
    await sink.show(
        error_card(why.title, message, why.advice, retry_verb=RETRY_VERB if retry else None, retry_data=retry)
    )


def _retry_data(job: AnalysisJob) -> dict[str, Any] | None:
    target = job.target
    if isinstance(target, (MeetingById, NotifiedTranscript)):
        return {"meeting_id": target.meeting_id}
    if isinstance(target, AnalyzeLast):
        return {"command": "last"}
    return {"command": "match", "words": target.words, "on": target.on.isoformat() if target.on else ""}


class JobRunner:
    """Runs jobs as background tasks, a few at a time, and cancels the rest at shutdown."""

    def __init__(
        self,
        services: Services,
        *,
        max_jobs: int = 4,
        grace: timedelta = timedelta(minutes=60),
        state: BotState | None = None,
        pool: WorkerPool | None = None,
    ):
        self._services = services
        # The CPU-bound steps go to the pool's worker processes; the runner closes it.
        self._steps = Steps(pool)
        # With a store, finished runs survive a restart; without one they live in _runs only.
        self._state = state
        self._slots = asyncio.Semaphore(max_jobs)
        self._grace = grace
        self._tasks = BackgroundTasks()
        # run id -> (requester, meeting id), newest last; what "Regenerate" on a summary card needs.
        self._runs: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def start(self, job: AnalysisJob, sink: CardSink) -> asyncio.Task[Analysis | None]:
        return self._tasks.start(self._run(job, sink), name=f"analysis-{job.run_id}")

    async def _run(self, job: AnalysisJob, sink: CardSink) -> Analysis | None:
        async with self._slots:
            try:
                return await run_analysis(
                    job,
                    self._services,
                    sink,
                    grace=self._grace,
                    found=lambda m: self._remember(job, m),
                    saved=lambda m, doc: self._record(job, m, doc),
                    steps=self._steps,
                )
            except asyncio.CancelledError:
                raise
            except Exception as err:  # the sink itself failed: nobody left to tell but the log
                log.error("analysis %s could not update its card: %s", job.run_id, type(err).__name__)
                return None

    async def meeting_of(self, run_id: str, user_id: str) -> str | None:
        """The meeting a finished run analysed, if it was run for this user (here or, with a store,
        by an earlier process)."""
        if self._state is not None and run_id:
            record = await self._state.run(run_id)
            if record is not None:
                return record.meeting_id if record.requester_id == user_id else None
        user_and_meeting = self._runs.get(run_id)
        if user_and_meeting is None or user_and_meeting[0] != user_id:
            return None
        return user_and_meeting[1]

    def _remember(self, job: AnalysisJob, meeting: MeetingInfo) -> None:
        self._runs[job.run_id] = (job.user_id, meeting.meeting_id)
        while len(self._runs) > REMEMBERED_RUNS:
            self._runs.popitem(last=False)

    async def _record(self, job: AnalysisJob, meeting: MeetingInfo, doc: StoredDocument) -> None:
        if self._state is None:
            return
        record = RunRecord(
            run_id=job.run_id,
            meeting_id=meeting.meeting_id,
            organizer_id=meeting.organizer.user_id,
            requester_id=job.user_id,
            item_id=doc.item_id,
            web_url=doc.web_url,
            created=datetime.now(UTC),
        )
        try:
            await self._state.record_run(record)
        except Exception as err:  # the analysis is done and stored: losing "Regenerate" is not fatal
            log.error("analysis %s: could not record the run (%s)", job.run_id, type(err).__name__)

    @property
    def state(self) -> BotState | None:
        """Where finished runs are recorded (what the card's Email and Refresh look up)."""
        return self._state

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def wait_idle(self) -> None:
        """Until every job started so far has ended (tests, graceful shutdown)."""
        await self._tasks.wait_idle()

    @property
    def pool(self) -> WorkerPool | None:
        return self._steps.pool

    async def aclose(self) -> None:
        await self._tasks.aclose()
        if self._steps.pool is not None:
            await self._steps.pool.aclose()
