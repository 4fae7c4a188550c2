"""MCEM_LLM_DEADLINE bounds one whole analysis over HTTP: Retry-After waits, retries and slow replies."""

from __future__ import annotations

import time

import pytest

from mcem.errors import LLMError
from mcem.llm import LLMAnalyzer, llm_settings_from_env
from tests.stubs import openai_stub as stubs
from tests.support.llm import CALL, CONTEXT


async def _run(env: dict[str, str]) -> tuple[LLMError | None, float]:
    settings = llm_settings_from_env(env)
    assert settings is not None
    analyzer = LLMAnalyzer(settings)
    started = time.monotonic()
    try:
        await analyzer.analyze(CALL, CONTEXT)
    except LLMError as exc:
        return exc, time.monotonic() - started
    finally:
        await analyzer.aclose()
    return None, time.monotonic() - started


async def test_a_retry_after_past_the_deadline_stops_at_once(stub: stubs.OpenAIStub) -> None:
    stub.enqueue(stubs.rate_limited(retry_after=30))
    error, took = await _run(stubs.azure_env(stub, deadline="1.5", max_retries="5"))
    assert error is not None and error.kind == "timeout"
    assert "MCEM_LLM_DEADLINE=1.5 s" in str(error) and "asked to wait 30 s" in str(error)
    assert len(stub.received) == 1 and took < 1.0  # neither 30 s nor the rest of the deadline


async def test_repeated_429s_end_at_the_deadline_not_after_every_retry(stub: stubs.OpenAIStub) -> None:
    stub.enqueue(*[stubs.rate_limited(retry_after=0.4)] * 20)
    error, took = await _run(stubs.azure_env(stub, deadline="1.5", max_retries="20"))
    assert error is not None and error.kind == "timeout" and "MCEM_LLM_DEADLINE" in str(error)
    assert 3 <= len(stub.received) <= 4  # it honoured each 0.4 s wait while time was left
    assert 1.0 <= took < 1.6
    gaps = [b.at - a.at for a, b in zip(stub.received, stub.received[1:], strict=False)]
    assert min(gaps) >= 0.4


async def test_a_slow_reply_is_cut_at_the_deadline(stub: stubs.OpenAIStub) -> None:
    stub.enqueue(stubs.slow(30))
    error, took = await _run(stubs.azure_env(stub, deadline="1", max_retries="3"))  # MCEM_LLM_TIMEOUT 120
    assert error is not None and error.kind == "timeout" and "MCEM_LLM_DEADLINE=1 s" in str(error)
    assert took < 1.5 and len(stub.received) == 1


async def test_retry_after_ms_is_preferred_to_the_coarser_seconds(stub: stubs.OpenAIStub) -> None:
    stub.enqueue(
        stubs.Reply(status=429, error_code="429", headers={"retry-after-ms": "300", "Retry-After": "30"})
    )
    error, took = await _run(stubs.azure_env(stub, deadline="5", max_retries="1"))
    assert error is None and len(stub.received) == 2
    gap = stub.received[1].at - stub.received[0].at
    assert 0.3 <= gap < 1.0 and took < 2


async def test_a_server_that_says_do_not_retry_is_not_retried(stub: stubs.OpenAIStub) -> None:
    stub.enqueue(
        stubs.Reply(status=503, error_code="InternalServerError", headers={"x-should-retry": "false"})
    )
    error, _took = await _run(stubs.azure_env(stub, max_retries="3"))
    assert error is not None and error.kind == "unavailable" and len(stub.received) == 1


async def test_the_deadline_covers_every_part_of_a_long_meeting(stub: stubs.OpenAIStub) -> None:
    from mcem.context import MeetingContext
    from mcem.transcript import Transcript, Utterance

    words = "we need the pilot in ten stores before the board meets in spring and the budget is set"
    long_call = Transcript(
        utterances=tuple(
            Utterance(
                speaker=("Jordan Blake", "Maria Lopez")[i % 2],
                start=i * 10,
                end=i * 10 + 9,
                text=f"{words} {i}",
            )
            for i in range(120)
        )
    )
    settings = llm_settings_from_env(
        stubs.azure_env(stub, deadline="1.5", chunk_tokens="500", concurrency="1", max_retries="0")
    )
    assert settings is not None
    stub.latency = 0.6  # each part answers in 0.6 s: the parts together overrun 1.5 s
    analyzer = LLMAnalyzer(settings)
    started = time.monotonic()
    with pytest.raises(LLMError) as caught:
        await analyzer.analyze(long_call, MeetingContext(internal_names=frozenset({"Jordan Blake"})))
    await analyzer.aclose()
    assert caught.value.kind == "timeout" and time.monotonic() - started < 2.0
    assert 2 <= len(stub.received) <= 3
