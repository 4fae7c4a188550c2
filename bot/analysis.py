"""The analysis use case: find the meeting, fetch its transcript, analyse, save the .docx, record the run.

A job shows its progress on one card (``CardSink.show`` replaces the card in place) and ends with
the summary card or an error card built from the error's own title and advice (mcem/errors.py).
Nothing here knows about the Agents SDK or schedules anything: bot/runner.py runs jobs in the
background, the handlers and bot/notifications.py start them.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from bot.commands import AnalyzeLast, AnalyzeMatching
from bot.crm import failure_line
from bot.meeting_context import context_from_meeting
from bot.pool import WorkerDied
from bot.services import Services
from bot.state import AccountEntry, CrmLedger, CrmRecord, RunRecord
from bot.steps import Steps
from cards import DEFAULT_STEPS, VERB_ANALYZE, error_card, progress_card
from graph.documents import document_path
from graph.meeting_rules import GRACE, latest_transcript
from graph.refusals import TenantRefusal
from graph.service import GraphError, MeetingInfo, MeetingNotFound, StoredDocument, TranscriptRef
from mcem import telemetry
from mcem.account.sidecars import sidecar_name
from mcem.errors import AnalysisError, LLMError, TranscriptError, explain
from mcem.model import Analysis

__all__ = [
    "RETRY_VERB",
    "STEPS",
    "AnalysisJob",
    "CardSink",
    "MeetingById",
    "NotifiedTranscript",
    "Target",
    "failure_cause",
    "retry_data",
    "run_analysis",
    "target_from",
    "trigger_of",
]

log = logging.getLogger(__name__)

STEPS = DEFAULT_STEPS  # finding the meeting, fetching the transcript, analysing, saving the document
# The CRM's whole update (its retries after Retry-After included) may hold the summary card this long.
CRM_DEADLINE_S = 45.0
CRM_LEASE = timedelta(seconds=CRM_DEADLINE_S + 15)
RETRY_VERB = VERB_ANALYZE  # "Try again" is the meetings card's Analyze button with the same data


class CardSink(Protocol):
    async def show(self, card: dict[str, Any]) -> None:
        """Replace the job's card with this one."""
        ...


@dataclass(frozen=True)
class MeetingById:
    """A meeting picked on the meetings card (its Analyze button), a retry or a regeneration.

    ``organizer_id`` may be empty: a Teams meeting id names its organizer (graph/meetings.py)."""

    meeting_id: str
    organizer_id: str = ""


@dataclass(frozen=True)
class NotifiedTranscript:
    """A transcript Graph announced (bot/notifications.py): its meeting is known by id."""

    organizer_id: str
    meeting_id: str
    transcript_id: str


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
    grace: timedelta = GRACE,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    steps: Steps | None = None,
) -> Analysis | None:
    """Run one job to its end card. Returns the analysis, or None when an error card was shown.

    The run is recorded (``services.runs``) before the summary card shows, so that card's buttons
    (Regenerate, Email, Refresh) find it, in this process or another. ``steps`` runs the CPU-bound
    work (in worker processes when it has a pool; threads otherwise).
    """
    steps = steps or Steps()
    run_id = job.run_id or uuid.uuid4().hex[:12]
    labels: dict[str, telemetry.AttrValue] = {
        "mcem.trigger": trigger_of(job.target),
        "mcem.engine": services.analyzer.name,
    }
    started = time.perf_counter()
    with telemetry.span("analysis", **labels, **{"mcem.run.id": run_id}) as span:
        analysis = await _run(job, services, sink, run_id, grace=grace, now=now, steps=steps, span=span)
        outcome = "ok" if analysis is not None else "failed"
        span.set("mcem.outcome", outcome)
    telemetry.count("mcem.analyses", **labels, outcome=outcome)
    telemetry.observe("mcem.analysis.duration", time.perf_counter() - started, **labels, outcome=outcome)
    return analysis


def trigger_of(target: Target) -> str:
    """What started an analysis, as a telemetry label."""
    if isinstance(target, NotifiedTranscript):
        return "notification"
    if isinstance(target, MeetingById):
        return "meeting"  # the meetings card, Try again, Regenerate
    return "last" if isinstance(target, AnalyzeLast) else "matching"


def failure_cause(err: BaseException) -> str:
    """A failure's cause as a label: the refusal or model failure kind, else the error's type.
    Never its message (it may quote the transcript or name a meeting)."""
    if isinstance(err, TenantRefusal):
        return f"refusal.{err.refusal.kind}"
    if isinstance(err, LLMError):
        return f"llm.{err.kind}"
    return type(err).__name__


async def _run(
    job: AnalysisJob,
    services: Services,
    sink: CardSink,
    run_id: str,
    *,
    grace: timedelta,
    now: Callable[[], datetime],
    steps: Steps,
    span: telemetry.SpanHandle,
) -> Analysis | None:
    subject: str | None = None
    step = 0
    try:
        with telemetry.step("find meeting"):
            meeting = await _find_meeting(job, services)
        subject = meeting.subject
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
            with telemetry.step("find transcript"):
                refs = await services.meetings.transcripts(job.user_id, meeting)
                ref = latest_transcript(refs, meeting, now=now(), grace=grace)
        # Bytes until the parser, which decodes them once (and says so when it cannot).
        with telemetry.step("fetch transcript"):
            content = await services.meetings.transcript_vtt(job.user_id, ref)
        # After the transcript: its fetch checked that this user may see the meeting.
        with telemetry.step("find recording"):
            recording = await services.meetings.recording_url(job.user_id, ref)
        step = 2
        await sink.show(progress_card(STEPS, step, subject=subject))
        context = context_from_meeting(meeting).model_copy(update={"recording_url": recording or ""})
        drafted = await steps.draft(
            content, meeting.subject or meeting.meeting_id, context, services.analyzer
        )
        del content  # the transcript lives only as long as this job needs it
        if drafted.skipped:
            log.warning("analysis %s: %d unreadable cue(s) left out", run_id, drafted.skipped)
        analysis = drafted.analysis
        step = 3
        await sink.show(progress_card(STEPS, step, subject=subject))
        folder, filename = document_path(analysis.company_name, meeting.start, meeting.subject)
        with telemetry.step("upload", **{"mcem.bytes": len(drafted.docx)}):
            stored = await services.documents.upload(folder, filename, drafted.docx)
            sidecar = await _keep_sidecar(services, run_id, folder, stored, analysis)
        await _record(services, job, run_id, meeting, stored)
        if sidecar is not None:
            await _record_account(services, run_id, folder, meeting, stored, sidecar)
        crm_line = await _update_crm(services, steps, run_id, meeting, stored, analysis)
        card = await steps.summary_card(analysis, stored.web_url, run_id, (crm_line,) if crm_line else ())
    except Exception as err:
        log.warning("analysis %s stopped at step %d: %s", run_id, step, type(err).__name__)
        cause = failure_cause(err)
        span.set("mcem.failure.cause", cause)
        telemetry.count("mcem.analysis.failures", cause=cause, **{"mcem.step.index": step})
        if not isinstance(err, (GraphError, TranscriptError, AnalysisError, WorkerDied)):
            # Unexpected: log where it happened, never its message (it may quote the transcript).
            where = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
            place = f"{where.filename}:{where.lineno} in {where.name}" if where else "unknown place"
            log.error("analysis %s: unexpected %s at %s", run_id, type(err).__qualname__, place)
        await _show_failure(sink, job, subject, err)
        return None
    log.info("analysis %s done: %s", run_id, stored.item_id)
    await sink.show(card)
    return analysis


async def _find_meeting(job: AnalysisJob, services: Services) -> MeetingInfo:
    target = job.target
    if isinstance(target, (MeetingById, NotifiedTranscript)):
        return await services.meetings.meeting(job.user_id, target.organizer_id, target.meeting_id)
    found = await services.meetings.recent_meetings(
        job.user_id,
        limit=1,
        query=(target.words or None) if isinstance(target, AnalyzeMatching) else None,
        on=target.on if isinstance(target, AnalyzeMatching) else None,
    )
    if found:
        return found[0]
    if isinstance(target, AnalyzeMatching):
        raise MeetingNotFound(
            f"I found no recent meeting {_describe(target)} that you organised or attended."
        )
    raise MeetingNotFound("I found no recent online meeting that you organised or attended.")


async def _keep_sidecar(
    services: Services, run_id: str, folder: str, draft: StoredDocument, analysis: Analysis
) -> StoredDocument | None:
    """The analysis as JSON beside its draft: the source of the account's history (mcem/account).

    Named after the draft as stored ("… 1.docx" -> "… 1.analysis.json"), so a renamed draft keeps its
    pair. Losing it costs the call its place in the account history, not the analysis: logged, not shown.
    """
    try:
        return await services.documents.upload(
            folder, sidecar_name(draft.name), analysis.model_dump_json(indent=2).encode("utf-8")
        )
    except GraphError as err:
        log.error("analysis %s: the sidecar could not be saved (%s)", run_id, type(err).__name__)
        return None


async def _record(
    services: Services, job: AnalysisJob, run_id: str, meeting: MeetingInfo, doc: StoredDocument
) -> None:
    if services.runs is None:
        return
    record = RunRecord(
        run_id=run_id,
        meeting_id=meeting.meeting_id,
        organizer_id=meeting.organizer.user_id,
        requester_id=job.user_id,
        item_id=doc.item_id,
        web_url=doc.web_url,
        created=datetime.now(UTC),
    )
    try:
        await services.runs.record_run(record)
    except Exception as err:  # the analysis is done and stored: losing its buttons is not fatal
        log.error("analysis %s: could not record the run (%s)", run_id, type(err).__name__)


async def _record_account(
    services: Services,
    run_id: str,
    folder: str,
    meeting: MeetingInfo,
    draft: StoredDocument,
    sidecar: StoredDocument,
) -> None:
    """Company -> analyses, with who may see the call: its organizer and internal attendees."""
    if services.accounts is None:
        return
    attendees = tuple(dict.fromkeys(a.user_id for a in meeting.internal_people() if a.user_id))
    entry = AccountEntry(
        company=folder,
        run_id=run_id,
        meeting_id=meeting.meeting_id,
        subject=meeting.subject,
        start=meeting.start,
        organizer_id=meeting.organizer.user_id,
        attendee_ids=attendees,
        draft_item_id=draft.item_id,
        draft_url=draft.web_url,
        sidecar_item_id=sidecar.item_id,
        created=datetime.now(UTC),
    )
    try:
        await services.accounts.record_account_entry(entry)
    except Exception as err:  # the analysis is done: only the account history misses this call
        log.error("analysis %s: could not record it for the account (%s)", run_id, type(err).__name__)


async def _update_crm(
    services: Services,
    steps: Steps,
    run_id: str,
    meeting: MeetingInfo,
    draft: StoredDocument,
    analysis: Analysis,
) -> str:
    """The note and tasks in the CRM when one is configured; the card's line about it ('' when off).

    Never fails the analysis: the draft is saved and the card is due, so a CRM failure is one line.
    """
    if services.crm is None:
        return ""
    key = f"{meeting.organizer.user_id}/{meeting.meeting_id}"
    owners = {a.name: a.email for a in meeting.internal_people() if a.email and a.name}
    ledger = services.crm_records
    lease = f"crm:{key}"
    held = False
    try:
        with telemetry.step("crm"):
            update = await steps.crm_update(analysis, draft.web_url or None, owners)  # in the worker pool
            async with asyncio.timeout(CRM_DEADLINE_S):
                held = ledger is None or await _take(ledger, lease, run_id)
                previous = await ledger.crm_record(key) if ledger is not None else None
                outcome = await services.crm.push(update, previous, run_id)
                if outcome.record is not None and ledger is not None:
                    await _keep_crm_record(ledger, key, outcome.record, run_id)
    except TimeoutError:
        log.warning("analysis %s: the CRM did not answer within %ss", run_id, CRM_DEADLINE_S)
        telemetry.count("mcem.crm.updates", outcome="timeout")
        return failure_line("Dataverse did not answer in time; Regenerate later to send it.")
    except Exception as err:  # the analysis is done: the CRM misses it, the card says so
        log.error("analysis %s: CRM update failed (%s)", run_id, type(err).__name__)
        telemetry.count("mcem.crm.updates", outcome="error")
        return failure_line("something went wrong on the way; the log has the details.")
    finally:
        if held and ledger is not None:
            await _release(ledger, lease, run_id)
    log.info("analysis %s: CRM %s", run_id, "updated" if outcome.ok else "not updated")
    telemetry.count("mcem.crm.updates", outcome="ok" if outcome.ok else "not_updated")
    return outcome.line


async def _take(ledger: CrmLedger, lease: str, run_id: str) -> bool:
    """Wait for the meeting's CRM lease: another analysis of the same meeting may be writing its rows
    (within the caller's deadline; the lease outlives a crashed holder by CRM_LEASE only)."""
    while True:  # polled: the holder may be another instance, which no in-process event can hear
        if await ledger.hold_lease(lease, run_id, CRM_LEASE):
            return True
        await asyncio.sleep(0.2)


async def _release(ledger: CrmLedger, lease: str, run_id: str) -> None:
    try:
        await ledger.release_lease(lease, run_id)
    except Exception as err:  # it lapses by itself after CRM_LEASE
        log.warning("analysis %s: CRM lease not released (%s)", run_id, type(err).__name__)


async def _keep_crm_record(ledger: CrmLedger, key: str, record: CrmRecord, run_id: str) -> None:
    try:
        await ledger.save_crm_record(key, record)
    except Exception as err:  # sent, but a re-run may add its rows again: say so in the log
        log.error("analysis %s: what the CRM got was not recorded (%s)", run_id, type(err).__name__)


def _describe(target: AnalyzeMatching) -> str:
    parts = []
    if target.words:
        parts.append(f"matching “{target.words}”")
    if target.on:
        parts.append(f"on {target.on:%d %B %Y}")
    return " ".join(parts)


async def _show_failure(sink: CardSink, job: AnalysisJob, subject: str | None, err: Exception) -> None:
    why = explain(err)
    retry = retry_data(job) if why.retry else None
    message = why.message
    if subject and subject not in message:
        message = f"{message} (meeting: {subject})"
    await sink.show(
        error_card(why.title, message, why.advice, retry_verb=RETRY_VERB if retry else None, retry_data=retry)
    )


def retry_data(job: AnalysisJob) -> dict[str, Any]:
    """The Try-again data of an error card for this job (``target_from`` reads it back)."""
    target = job.target
    if isinstance(target, (MeetingById, NotifiedTranscript)):
        data = {"meeting_id": target.meeting_id}
        return data | ({"organizer_id": target.organizer_id} if target.organizer_id else {})
    if isinstance(target, AnalyzeLast):
        return {"command": "last"}
    return {"command": "match", "words": target.words, "on": target.on.isoformat() if target.on else ""}


def target_from(data: dict[str, Any]) -> Target | None:
    """The target a card's Analyze or Try-again data names; None when it names none."""
    if data.get("meeting_id"):
        return MeetingById(str(data["meeting_id"]), str(data.get("organizer_id") or ""))
    if data.get("command") == "last":
        return AnalyzeLast()
    if data.get("command") == "match":
        on = data.get("on") or None
        try:
            day = date.fromisoformat(on) if on else None
        except (TypeError, ValueError):
            return None
        return AnalyzeMatching(words=str(data.get("words") or ""), on=day)
    return None
