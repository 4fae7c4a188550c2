"""The background analysis job: the cards it shows, what it stores, what it tells the user on failure."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta
from typing import Any

import pytest

from bot.analysis import AnalysisJob, MeetingById, run_analysis
from bot.commands import AnalyzeLast, AnalyzeMatching
from bot.runner import JobRunner
from bot.services import Services
from mcem.errors import LLMError
from mcem.model import Analysis, Side
from tests.fixtures.bot.fakes import (
    NOW,
    USER_ID,
    CardLog,
    FakeAnalyzer,
    FakeDocuments,
    FakeMeetings,
    meeting,
)
from tests.support.cards import actions, texts


def make(meetings: FakeMeetings | None = None, analyzer: FakeAnalyzer | None = None) -> Services:
    return Services(
        meetings=meetings or FakeMeetings(), documents=FakeDocuments(), analyzer=analyzer or FakeAnalyzer()
    )


async def run(services: Services, target: Any = None) -> tuple[CardLog, Any]:
    sink = CardLog()
    job = AnalysisJob(user_id=USER_ID, target=target or AnalyzeLast(), run_id="run-1")
    result = await run_analysis(job, services, sink, now=lambda: NOW)
    return sink, result


async def test_last_meeting_goes_through_every_step_to_the_summary() -> None:
    services = make()
    sink, analysis = await run(services)

    assert analysis is not None
    progress, summary = sink.cards[:-1], sink.cards[-1]
    assert [texts(c).count("✓") for c in progress] == [1, 2, 3]  # steps done, one more each time
    assert all("Contoso pilot review" in texts(c) for c in progress)
    assert "Interview Analysis – Priya Raman, Contoso" in texts(summary)
    open_url = actions(summary)[0]
    assert open_url["type"] == "Action.OpenUrl"
    assert open_url["url"].endswith("/Contoso/2026-11-25 Contoso pilot review.docx")
    regenerate = next(a for a in actions(summary) if a.get("verb") == "regenerate")
    assert regenerate["data"] == {"run_id": "run-1"}


async def test_the_document_is_a_word_file_in_the_customer_folder_with_its_sidecar() -> None:
    services = make()
    analysis = (await run(services))[1]
    [(folder, filename, content), (beside, sidecar, data)] = services.documents.uploads  # type: ignore[attr-defined]
    assert (folder, filename) == ("Contoso", "2026-11-25 Contoso pilot review.docx")
    assert content[:2] == b"PK" and b"word/document.xml" in content
    # The analysis as JSON beside its draft: what the account history is built from.
    assert (beside, sidecar) == ("Contoso", "2026-11-25 Contoso pilot review.analysis.json")
    assert Analysis.model_validate_json(data) == analysis


async def test_the_analyzer_gets_the_parsed_transcript_and_the_meeting_context() -> None:
    analyzer = FakeAnalyzer()
    meetings = FakeMeetings()
    await run(make(meetings, analyzer))

    [(transcript, context)] = analyzer.seen
    assert transcript.speakers == ["Megan Bowen", "Priya Raman"]
    assert context.subject == "Contoso pilot review"
    assert context.company == "Contoso"
    assert context.participant == "Priya Raman"
    assert context.interviewer == "Megan Bowen"
    assert context.side_of("Priya Raman") is Side.customer
    assert context.internal_names == {"Megan Bowen", "Alex Wilber"}
    # Graph is always asked on behalf of the requester, never another user.
    assert {call[1] for call in meetings.calls} == {USER_ID}


async def test_subject_words_and_date_are_passed_to_the_search() -> None:
    meetings = FakeMeetings()
    await run(make(meetings), AnalyzeMatching(words="pilot", on=date(2026, 11, 25)))
    assert meetings.calls[0] == ("recent_meetings", USER_ID, 1, "pilot", date(2026, 11, 25))


async def test_a_meeting_picked_on_the_card_is_the_one_analysed() -> None:
    other = meeting("m-2", "Fabrikam discovery")
    meetings = FakeMeetings(meetings=[meeting(), other], transcript_ids={"m-1": ["t-1"], "m-2": ["t-9"]})
    analyzer = FakeAnalyzer()
    await run(make(meetings, analyzer), MeetingById("m-2"))
    assert analyzer.seen[0][1].subject == "Fabrikam discovery"
    assert ("transcript_vtt", USER_ID, "t-9") in meetings.calls


async def test_no_matching_meeting() -> None:
    services = make()
    sink, result = await run(services, AnalyzeMatching(words="Northwind"))
    assert result is None
    assert len(sink.cards) == 1  # straight to the error card
    card = texts(sink.cards[0])
    assert "No meeting found" in card and "Northwind" in card and "meetings" in card
    assert actions(sink.cards[0]) == []
    assert services.documents.uploads == []  # type: ignore[attr-defined]


async def test_transcript_not_ready_offers_a_retry_with_the_same_request() -> None:
    recent = meeting(ended=NOW - timedelta(minutes=10))
    sink, _ = await run(make(FakeMeetings(meetings=[recent], transcript_ids={})))
    card = sink.cards[-1]
    assert "Transcript not ready yet" in texts(card) and "Try again in a few minutes" in texts(card)
    [retry] = actions(card)
    assert retry["verb"] == "analyze" and retry["data"] == {"command": "last"}


async def test_transcription_off_says_so_and_offers_no_retry() -> None:
    old = meeting(ended=NOW - timedelta(days=3))
    sink, _ = await run(make(FakeMeetings(meetings=[old], transcript_ids={})))
    card = sink.cards[-1]
    assert "No transcript for this meeting" in texts(card) and "transcription" in texts(card).lower()
    assert actions(card) == []


async def test_no_access() -> None:
    sink, _ = await run(make(FakeMeetings(denied={"m-1"})))
    assert "No access to this meeting" in texts(sink.cards[-1])
    assert "organised or attended" in texts(sink.cards[-1])


async def test_analysis_failure_shows_the_safe_message_and_a_retry() -> None:
    analyzer = FakeAnalyzer(result=LLMError("The language model did not answer in time.", kind="timeout"))
    sink, _ = await run(make(analyzer=analyzer), MeetingById("m-1"))
    card = sink.cards[-1]
    assert "The language model failed" in texts(card) and "did not answer in time" in texts(card)
    assert "Contoso pilot review" in texts(card)
    assert actions(card)[0]["data"] == {"meeting_id": "m-1"}


async def test_an_unexpected_error_shows_nothing_of_its_text_and_logs_only_its_type(
    caplog: pytest.LogCaptureFixture,
) -> None:
    analyzer = FakeAnalyzer(result=RuntimeError("Priya said the budget is 2 million"))
    with caplog.at_level(logging.DEBUG):
        sink, _ = await run(make(analyzer=analyzer))
    assert "Something went wrong" in texts(sink.cards[-1])
    assert "budget" not in texts(sink.cards[-1])
    assert "budget" not in caplog.text and "RuntimeError" in caplog.text
    assert "fakes.py" in caplog.text  # where it happened, for whoever reads the log


async def test_the_transcript_never_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        await run(make())
    assert "licensing cost" not in caplog.text and "plant managers" not in caplog.text


async def test_runner_runs_jobs_in_the_background_and_cancels_them_at_close() -> None:
    meetings = FakeMeetings(delay=30)
    runner = JobRunner(make(meetings), max_jobs=1)
    sink = CardLog()
    task = runner.start(AnalysisJob(user_id=USER_ID, target=AnalyzeLast(), run_id="r"), sink)
    await asyncio.sleep(0.05)
    assert runner.running == 1 and not task.done()
    await runner.aclose()
    assert task.cancelled() and runner.running == 0
    assert sink.cards == []


async def test_runner_limits_how_many_jobs_run_at_once() -> None:
    meetings = FakeMeetings(delay=0.2)
    runner = JobRunner(make(meetings), max_jobs=1)
    sinks = [CardLog(), CardLog()]
    tasks = [
        runner.start(AnalysisJob(user_id=USER_ID, target=AnalyzeLast(), run_id=str(i)), s)
        for i, s in enumerate(sinks)
    ]
    await asyncio.sleep(0.3)
    assert len(sinks[0].cards) >= 1 and sinks[1].cards == []  # the second waits for a slot
    await asyncio.gather(*tasks)
    assert all("Interview Analysis" in texts(s.cards[-1]) for s in sinks)
