"""The stand-in itself: it must refuse what the real service refuses, per the published spec."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.stubs import openai_spec
from tests.stubs import openai_stub as stubs

GOOD = {"messages": [{"role": "user", "content": "hi"}], "temperature": 0.2}


@pytest.fixture
async def stub() -> AsyncIterator[stubs.OpenAIStub]:
    server = stubs.OpenAIStub(default=lambda _b: stubs.text('{"ok": true}'))
    await server.start()
    yield server
    await server.stop()


async def _post(url: str, body: object, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as session, session.post(url, json=body, headers=headers) as response:
        return response.status, await response.json()


def _azure(stub: stubs.OpenAIStub, query: str = "?api-version=2024-10-21") -> str:
    return f"{stub.azure_endpoint}/openai/deployments/d/chat/completions{query}"


async def test_a_conforming_request_gets_a_conforming_completion(stub: stubs.OpenAIStub) -> None:
    status, body = await _post(_azure(stub), GOOD, {"api-key": stubs.API_KEY})
    assert status == 200 and stub.violations == []
    assert openai_spec.problems(body, "createChatCompletionResponse") == []
    assert body["choices"][0]["message"]["content"] == '{"ok": true}'  # type: ignore[index]


async def test_missing_api_version_is_refused(stub: stubs.OpenAIStub) -> None:
    status, body = await _post(_azure(stub, ""), GOOD, {"api-key": stubs.API_KEY})
    assert status == 400 and "api-version" in body["error"]["message"]  # type: ignore[index]
    assert stub.received == []


@pytest.mark.parametrize(
    "bad",
    [
        {"messages": []},
        {"messages": [{"role": "narrator", "content": "x"}]},
        {"messages": [{"role": "user", "content": "x"}], "temperature": 7},
        {**GOOD, "response_format": {"type": "json_schema", "json_schema": {"schema": {}}}},
    ],
    ids=["no-messages", "bad-role", "temperature-range", "schema-without-name"],
)
async def test_bodies_outside_the_spec_are_refused_and_recorded(stub: stubs.OpenAIStub, bad: dict) -> None:
    status, _ = await _post(_azure(stub), bad, {"api-key": stubs.API_KEY})
    assert status == 400 and stub.violations and stub.received == []


async def test_credentials_are_checked_on_both_paths(stub: stubs.OpenAIStub) -> None:
    assert (await _post(_azure(stub), GOOD, {"api-key": "nope"}))[0] == 401
    assert (await _post(_azure(stub), GOOD, {"Authorization": f"Bearer {stubs.BEARER_TOKEN}"}))[0] == 200
    v1 = f"{stub.openai_base_url}/chat/completions"
    assert (await _post(v1, {**GOOD, "model": "m"}, {"Authorization": "Bearer nope"}))[0] == 401
    assert (await _post(v1, {**GOOD, "model": "m"}, {"Authorization": f"Bearer {stubs.API_KEY}"}))[0] == 200
    assert stub.refused == 2


def test_spec_quirks_are_handled_as_notes_md_says() -> None:
    # json_schema without "type" (what the official client sends) is valid once the quirk is dropped.
    body = {**GOOD, "response_format": {"type": "json_schema", "json_schema": {"name": "n", "schema": {}}}}
    assert openai_spec.problems(body, "createChatCompletionRequest") == []
    # nullable: true admits null.
    assert openai_spec.problems({**GOOD, "temperature": None}, "createChatCompletionRequest") == []
    assert openai_spec.required_query_parameters() == ["api-version"]
    assert set(openai_spec.auth_headers()) == {"api-key", "Authorization"}


EXPECTED_KIND = {
    "valid": None,
    "fabricated-quote": None,  # the analyzer returns it; verification drops the quote
    "internal-echo": None,  # likewise; verification strips the sentences
    "invalid-json": "invalid_output",
    "rate-limited": "rate_limited",
    "server-error": "unavailable",
    "timeout": "timeout",
    "content-filter": "content_filter",
    "refusal": "content_filter",
    "length": "truncated",
}


@pytest.mark.parametrize("script", sorted(stubs.SCRIPTS))
async def test_every_demo_script_drives_the_real_client_to_its_outcome(script: str) -> None:
    from mcem.context import MeetingContext
    from mcem.errors import LLMError
    from mcem.llm import LLMAnalyzer, llm_settings_from_env
    from mcem.transcript import Transcript, Utterance

    transcript = Transcript(
        utterances=(
            Utterance(speaker="Ann Lee", start=0, end=4, text="We need the pilot live before March."),
        )
    )
    server = stubs.OpenAIStub(default=stubs.SCRIPTS[script])
    await server.start()
    settings = llm_settings_from_env(stubs.azure_env(server, timeout="1", max_retries="0"))
    assert settings is not None
    analyzer = LLMAnalyzer(settings)
    try:
        if EXPECTED_KIND[script] is None:
            analysis = await analyzer.analyze(transcript, MeetingContext())
            assert analysis.meta.engine == "llm"
        else:
            with pytest.raises(LLMError) as caught:
                await analyzer.analyze(transcript, MeetingContext())
            assert caught.value.kind == EXPECTED_KIND[script]
    finally:
        await analyzer.aclose()
        await server.stop()
    assert server.violations == []
