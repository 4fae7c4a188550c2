"""Long meetings: split on turn boundaries, parallel evidence calls (bounded), one synthesis."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from mcem.context import MeetingContext
from mcem.errors import LLMError
from mcem.llm import LLMAnalyzer, llm_settings_from_env
from mcem.llm.chunking import EVIDENCE_SCHEMA_NAME, split
from mcem.llm.compact import CompactLine, compact
from mcem.llm.tokens import count_tokens
from mcem.parsing import load_transcript
from mcem.pipeline import analyze
from mcem.transcript import Transcript
from tests.conftest import ROOT
from tests.stubs import openai_stub as stubs
from tests.stubs.llm_replies import answer_for

CONTEXT = MeetingContext(internal_names=frozenset({"Priya Raman", "Daniel O'Neil", "Sofia Farías"}))


@pytest.fixture(scope="module")
def sample() -> Transcript:
    return load_transcript(ROOT / "samples" / "contoso-manufacturing-call.vtt")


@pytest.fixture
async def stub() -> AsyncIterator[stubs.OpenAIStub]:
    server = stubs.OpenAIStub(latency=0.2)
    await server.start()
    yield server
    await server.stop()
    assert server.violations == []


def _kind(body: dict[str, Any]) -> str:
    return body["response_format"]["json_schema"]["name"]


def test_split_keeps_whole_turns_in_order_and_balances_parts(sample: Transcript) -> None:
    lines = compact(sample, CONTEXT).lines
    parts = split(lines, 2000)
    assert tuple(line for part in parts for line in part) == lines
    sizes = [sum(count_tokens(line.render()) + 1 for line in part) for part in parts]
    assert len(parts) == 3  # 5.5k tokens at a 2k budget
    assert max(sizes) - min(sizes) < 400  # balanced, so the parallel calls end together
    assert split(lines, 10**6) == [lines]


def test_a_turn_longer_than_the_budget_is_never_cut() -> None:
    long = CompactLine("S1", "word " * 500)
    parts = split((CompactLine("S2", "hi"), long, CompactLine("S2", "bye")), 50)
    assert long in [line for part in parts for line in part]
    assert all(long not in part or len(part) <= 2 for part in parts)


async def _analyzer(stub: stubs.OpenAIStub, **tuning: str) -> LLMAnalyzer:
    settings = llm_settings_from_env(stubs.azure_env(stub, **tuning))
    assert settings is not None
    return LLMAnalyzer(settings)


async def test_map_reduce_reads_each_part_once_then_synthesises(
    stub: stubs.OpenAIStub, sample: Transcript
) -> None:
    stub.latency = 0.5  # answers overlap only if the parts are really sent together, even on a busy machine
    analyzer = await _analyzer(stub, chunk_tokens="2000", concurrency="4")
    steps: list[str] = []
    analysis = await analyze(sample, CONTEXT, analyzer, steps.append)
    await analyzer.aclose()
    kinds = [_kind(r.body) for r in stub.received]
    assert kinds == [EVIDENCE_SCHEMA_NAME] * 3 + ["mcem_interview_analysis"]
    assert stub.max_in_flight() == 3  # all parts at once
    sent = [r.user_text.split("<transcript>\n", 1)[1].split("\n</transcript>")[0] for r in stub.received[:3]]
    assert (
        "\n".join(sorted(sent, key=lambda s: compact(sample, CONTEXT).render().index(s)))
        == compact(sample, CONTEXT).render()
    )
    synthesis = stub.received[3].user_text
    assert "<evidence>" in synthesis and "<transcript>" not in synthesis
    assert steps[0] == "Reading the meeting in 3 parts" and "Writing the analysis" in steps
    assert analysis.verification.quotes_checked > 0 and analysis.verification.quotes_dropped == 0


async def test_concurrency_is_bounded(stub: stubs.OpenAIStub, sample: Transcript) -> None:
    stub.latency = 0.5  # long enough that a third request would overlap if the bound leaked
    analyzer = await _analyzer(stub, chunk_tokens="1000", concurrency="2")
    await analyzer.analyze(sample, CONTEXT)
    await analyzer.aclose()
    assert len(stub.received) == 7 and stub.max_in_flight() == 2


async def test_fabricated_evidence_quotes_never_reach_the_synthesis(
    stub: stubs.OpenAIStub, sample: Transcript
) -> None:
    fake = "We will sign for five thousand seats this quarter."

    def reply(body: dict[str, Any]) -> stubs.Reply:
        data = answer_for(body)
        if _kind(body) == EVIDENCE_SCHEMA_NAME:
            data["stages"][0]["quotes"].append({"text": fake, "speaker": "Helen Whitaker"})
            data["roles"][0]["quote"] = {"text": fake, "speaker": "S2"}
        return stubs.text(json.dumps(data))

    stub.default = reply
    analyzer = await _analyzer(stub, chunk_tokens="2000")
    await analyzer.analyze(sample, CONTEXT)
    await analyzer.aclose()
    synthesis = stub.received[-1].user_text
    assert fake not in synthesis
    assert '"speaker":"Helen Whitaker"' in synthesis  # real quotes kept, with full names


async def test_a_failing_part_fails_the_whole_quickly(stub: stubs.OpenAIStub, sample: Transcript) -> None:
    stub.latency = 0
    stub.enqueue(stubs.valid(), stubs.filtered_prompt(), stubs.slow(30))
    analyzer = await _analyzer(stub, chunk_tokens="2000", max_retries="0")
    started = time.monotonic()
    with pytest.raises(LLMError) as caught:
        await analyzer.analyze(sample, CONTEXT)
    await analyzer.aclose()
    assert caught.value.kind == "content_filter"
    assert time.monotonic() - started < 10  # the 30 s part was cancelled, not awaited
    assert not any(_kind(r.body) == "mcem_interview_analysis" for r in stub.received)
