"""The worker pool: real analyses in other processes, errors that keep their type, and a worker
killed mid-step failing only its own call (a job: its error card) while the pool carries on with a
fresh process."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from io import BytesIO

import pytest
from docx import Document

from bot import work
from bot.analysis import AnalysisJob
from bot.commands import AnalyzeLast
from bot.pool import WorkerDied, WorkerPool
from bot.runner import JobRunner
from bot.services import Services
from bot.steps import Steps
from mcem.context import MeetingContext
from mcem.errors import DraftError, TranscriptError
from mcem.model import Analysis
from mcem.offline import OfflineAnalyzer
from mcem.parsing import parse_transcript
from mcem.pipeline import finish
from tests.conftest import ROOT
from tests.fixtures.bot.fakes import USER_ID, CardLog, FakeDocuments, FakeMeetings
from tests.support.cards import actions, texts

SAMPLE = next((ROOT / "samples").glob("*.vtt"))
CONTEXT = MeetingContext(subject="Contoso Manufacturing – engagement review", internal_names=frozenset())


@pytest.fixture
async def pool() -> AsyncIterator[WorkerPool]:
    workers = WorkerPool(2)
    try:
        yield workers
    finally:
        await workers.aclose()


async def test_an_offline_analysis_in_a_worker_matches_one_in_this_process(pool: WorkerPool) -> None:
    content = SAMPLE.read_bytes()
    draft = await pool.run(work.analyse_offline, content, SAMPLE.name, "text/vtt", CONTEXT.model_dump_json())

    there = Analysis.model_validate_json(draft.analysis_json)
    transcript = parse_transcript(content, SAMPLE.name, content_type="text/vtt")
    here = finish(OfflineAnalyzer().analyze_sync(transcript, CONTEXT), transcript)
    ignore = {"meta": {"generated_at"}}
    assert there.model_dump(exclude=ignore) == here.model_dump(exclude=ignore)
    assert there.verification.quotes_checked > 0
    paragraphs = Document(BytesIO(draft.docx)).paragraphs
    headings = [p.text for p in paragraphs if p.style.name.startswith("Heading")]
    assert any("Executive Summary" in h for h in headings)


async def test_a_card_and_a_document_read_back_come_from_a_worker(pool: WorkerPool) -> None:
    content = SAMPLE.read_bytes()
    draft = await pool.run(work.analyse_offline, content, SAMPLE.name, "text/vtt", CONTEXT.model_dump_json())
    card = await pool.run(work.render_card, draft.analysis_json, "https://example.test/doc", "run-1")
    assert card["type"] == "AdaptiveCard"
    assert "https://example.test/doc" in str(card)
    read = Analysis.model_validate_json(await pool.run(work.read_document, draft.docx, draft.analysis_json))
    assert read.recommendations == Analysis.model_validate_json(draft.analysis_json).recommendations


async def test_refresh_and_email_read_and_render_the_draft_in_a_worker_as_threads_would(
    pool: WorkerPool,
) -> None:
    content = SAMPLE.read_bytes()
    draft = await pool.run(work.analyse_offline, content, SAMPLE.name, "text/vtt", CONTEXT.model_dump_json())
    url = "https://example.test/doc"
    pooled, threaded = Steps(pool), Steps(None)
    analysis = await pooled.read_document(draft.docx)
    assert analysis == await threaded.read_document(draft.docx)
    written = Analysis.model_validate_json(draft.analysis_json)
    assert [r.title for r in analysis.recommendations] == [r.title for r in written.recommendations]
    outlook = {"originator": "provider-1", "run_id": "run-1", "user_ids": ["8:orgid:u-1"], "done": {}}
    for embedded in (None, outlook):
        html = await pooled.email_html(analysis, url, embedded)
        assert html == await threaded.email_html(analysis, url, embedded) and url in html
    assert "provider-1" in await pooled.email_html(analysis, url, outlook)
    # A document that is no draft of ours keeps its error type across the trip (the card explains it).
    with pytest.raises(DraftError):
        await pooled.read_document(b"PK not a docx")


async def test_a_bad_transcript_raises_transcript_error_here(pool: WorkerPool) -> None:
    before = sorted(await pool.start())
    with pytest.raises(TranscriptError) as caught:
        await pool.run(work.parse, b"\x00\x01 not a transcript", "meeting-1", "text/vtt")
    assert caught.value.source == "meeting-1"
    await pool.settle()
    assert sorted(pool.pids) == before  # an error in the step is no reason to replace the worker


async def test_a_killed_worker_fails_only_its_own_call_and_is_replaced(pool: WorkerPool) -> None:
    before = set(await pool.start())
    assert len(before) == 2
    victim = asyncio.create_task(pool.run(time.sleep, 30))
    bystander = asyncio.create_task(pool.run(time.sleep, 1.0))
    assert await bystander is None  # its worker was not disturbed
    [doomed] = pool.busy_pids  # only the victim's call is still running
    assert doomed in before
    os.kill(doomed, signal.SIGKILL)

    with pytest.raises(WorkerDied):
        await asyncio.wait_for(victim, 10)
    await pool.settle()
    after = set(pool.pids)
    assert len(after) == 2 and doomed not in after  # a new process took its place
    assert pool.busy_pids == []
    # ...and it works: both workers answer.
    assert await asyncio.gather(pool.run(abs, -3), pool.run(abs, -4)) == [3, 4]


async def test_workers_do_not_load_the_bot_graph_or_llm_stacks(pool: WorkerPool) -> None:
    await pool.start()
    loaded = await pool.run(eval, "sorted(__import__('sys').modules)")
    heavy = [m for m in loaded if m.split(".")[0] in {"msgraph", "microsoft_agents", "openai", "aiohttp"}]
    assert heavy == []
    assert "bot.handlers" not in loaded and "mcem.offline" in loaded


async def test_a_job_whose_worker_is_killed_gets_an_error_card_and_the_next_job_works() -> None:
    # The bundled sample call: its analysis takes long enough in a worker to be caught in the act.
    meetings = FakeMeetings(vtt=SAMPLE.read_text(encoding="utf-8"))
    services = Services(meetings=meetings, documents=FakeDocuments(), analyzer=OfflineAnalyzer())
    pool = WorkerPool(2)
    runner = JobRunner(services, pool=pool)
    try:
        await pool.start()
        sink = CardLog()
        job = runner.start(AnalysisJob(user_id=USER_ID, target=AnalyzeLast(), run_id="run-1"), sink)
        async with asyncio.timeout(30):
            # The pool has no event to wait on (it is not its business): look every 2 ms.
            while not pool.busy_pids:  # noqa: ASYNC110 - until the job's analysis is in a worker
                await asyncio.sleep(0.002)
        [doomed] = pool.busy_pids
        os.kill(doomed, signal.SIGKILL)

        assert await job is None
        await pool.settle()
        card = texts(sink.cards[-1])
        assert "Analysis stopped" in card and "stopped before it finished" in card
        assert [a["verb"] for a in actions(sink.cards[-1])] == ["analyze"]  # Try again
        assert doomed not in pool.pids and len(pool.pids) == 2

        again = CardLog()
        second = AnalysisJob(user_id=USER_ID, target=AnalyzeLast(), run_id="run-2")
        analysis = await runner.start(second, again)
        assert analysis is not None and analysis.meta.engine == "offline"
        assert any(a.get("verb") == "regenerate" for a in actions(again.cards[-1]))  # the summary card
    finally:
        await runner.aclose()
    assert pool.pids == []  # the runner closed its pool
