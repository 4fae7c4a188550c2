"""Every failure the service can produce ends in one clear LLMError (or a retried success), never a hang."""

from __future__ import annotations

import time

import pytest

from mcem.errors import LLMError
from mcem.llm import LLMAnalyzer, llm_settings_from_env
from tests.stubs import openai_stub as stubs
from tests.support.llm import CALL, CONTEXT


async def _analyze(env: dict[str, str]):  # -> Analysis
    settings = llm_settings_from_env(env)
    assert settings is not None
    analyzer = LLMAnalyzer(settings)
    try:
        return await analyzer.analyze(CALL, CONTEXT)
    finally:
        await analyzer.aclose()


async def _failure(env: dict[str, str]) -> LLMError:
    with pytest.raises(LLMError) as caught:
        await _analyze(env)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message and "pilot" not in message
    return caught.value


async def test_429_waits_for_retry_after_then_succeeds(stub: stubs.OpenAIStub) -> None:
    stub.enqueue(stubs.rate_limited(retry_after=1))
    analysis = await _analyze(stubs.azure_env(stub, max_retries="2"))
    first, second = stub.received
    assert second.at - first.at >= 1.0
    assert analysis.meta.engine == "llm"


async def test_429_past_the_retry_cap_is_rate_limited(stub: stubs.OpenAIStub) -> None:
    stub.enqueue(*[stubs.rate_limited(retry_after=0.05)] * 5)
    error = await _failure(stubs.azure_env(stub, max_retries="2"))
    assert error.kind == "rate_limited" and len(stub.received) == 3


async def test_5xx_is_retried_then_reported_unavailable(stub: stubs.OpenAIStub) -> None:
    stub.enqueue(stubs.server_error(500), stubs.server_error(503))
    error = await _failure(stubs.azure_env(stub, max_retries="1"))
    assert error.kind == "unavailable" and "503" in str(error) and len(stub.received) == 2


async def test_one_503_is_absorbed_by_a_retry(stub: stubs.OpenAIStub) -> None:
    stub.enqueue(stubs.server_error(503))
    await _analyze(stubs.azure_env(stub, max_retries="1"))
    assert len(stub.received) == 2


async def test_timeout_is_reported_quickly(stub: stubs.OpenAIStub) -> None:
    stub.enqueue(stubs.slow(30), stubs.slow(30))
    started = time.monotonic()
    error = await _failure(stubs.azure_env(stub, timeout="1", max_retries="1"))
    assert error.kind == "timeout" and "MCEM_LLM_TIMEOUT" in str(error)
    assert time.monotonic() - started < 10  # two 1 s attempts plus one short backoff, never 30 s


async def test_prompt_content_filter(stub: stubs.OpenAIStub) -> None:
    stub.enqueue(stubs.filtered_prompt())
    error = await _failure(stubs.azure_env(stub))
    assert error.kind == "content_filter" and len(stub.received) == 1


async def test_completion_content_filter(stub: stubs.OpenAIStub) -> None:
    stub.enqueue(stubs.filtered_completion())
    error = await _failure(stubs.azure_env(stub))
    assert error.kind == "content_filter" and "content filter" in str(error)


async def test_refusal(stub: stubs.OpenAIStub) -> None:
    stub.enqueue(stubs.Reply(content=None, refusal="I can't help with that."))
    error = await _failure(stubs.azure_env(stub))
    assert error.kind == "content_filter" and error.raw_reply == "I can't help with that."


async def test_finish_reason_length_is_truncated_not_re_asked(stub: stubs.OpenAIStub) -> None:
    stub.enqueue(stubs.truncated())
    error = await _failure(stubs.azure_env(stub))
    assert error.kind == "truncated" and "MCEM_LLM_MAX_OUTPUT_TOKENS" in str(error)
    assert error.raw_reply and len(stub.received) == 1


async def test_wrong_key_is_an_auth_error_without_retries(stub: stubs.OpenAIStub) -> None:
    env = {**stubs.azure_env(stub, max_retries="3"), "AZURE_OPENAI_API_KEY": "wrong"}
    error = await _failure(env)
    assert error.kind == "auth" and "AZURE_OPENAI_API_KEY" in str(error) and "wrong" not in str(error)
    assert stub.received == [] and stub.refused == 1  # refused at the door, and not retried


async def test_unknown_deployment_path_is_a_config_error(stub: stubs.OpenAIStub) -> None:
    env = {
        "OPENAI_BASE_URL": f"{stub.azure_endpoint}/nowhere",
        "OPENAI_API_KEY": stub.api_key,
        "MCEM_MODEL": "m",
    }
    error = await _failure(env)
    assert error.kind == "config" and "MCEM_MODEL" in str(error)


async def test_nothing_listening_is_unavailable() -> None:
    env = {"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "OPENAI_API_KEY": "k", "MCEM_MODEL": "m",
           "MCEM_LLM_MAX_RETRIES": "0"}  # fmt: skip
    error = await _failure(env)
    assert error.kind == "unavailable" and "127.0.0.1:9" in str(error)


async def test_entra_id_refused_names_the_role(stub: stubs.OpenAIStub) -> None:
    env = stubs.azure_env(stub)
    del env["AZURE_OPENAI_API_KEY"]
    settings = llm_settings_from_env(env)
    assert settings is not None
    analyzer = LLMAnalyzer(settings, token_provider=lambda: "expired-token")
    with pytest.raises(LLMError) as caught:
        await analyzer.analyze(CALL, CONTEXT)
    await analyzer.aclose()
    assert caught.value.kind == "auth" and "Cognitive Services OpenAI User" in str(caught.value)
    assert "expired-token" not in str(caught.value)


async def test_a_rejected_parameter_shows_the_service_reason(stub: stubs.OpenAIStub) -> None:
    reason = "Unsupported parameter: 'max_tokens' is not supported with this model."
    stub.enqueue(stubs.Reply(status=400, error_code="unsupported_parameter", message=reason))
    error = await _failure(stubs.azure_env(stub))
    assert error.kind == "config" and "Unsupported parameter: 'max_tokens'" in str(error)
    assert len(stub.received) == 1


class _NoSignIn:
    """An azure-identity async credential with nobody signed in."""

    async def get_token(self, *scopes: str, **kwargs: object) -> object:
        from azure.core.exceptions import ClientAuthenticationError

        raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

    async def close(self) -> None:
        self.closed = True


async def test_no_entra_sign_in_is_an_auth_error_not_a_traceback(stub: stubs.OpenAIStub) -> None:
    from mcem.llm.client import LazyEntraTokenProvider

    env = stubs.azure_env(stub)
    del env["AZURE_OPENAI_API_KEY"]
    settings = llm_settings_from_env(env)
    assert settings is not None
    credential = _NoSignIn()
    provider = LazyEntraTokenProvider(credential_factory=lambda: credential)
    analyzer = LLMAnalyzer(settings, token_provider=provider)
    error = None
    try:
        await analyzer.analyze(CALL, CONTEXT)
    except LLMError as exc:
        error = exc
    await provider.aclose()
    await analyzer.aclose()
    assert error is not None and error.kind == "auth" and "az login" in str(error)
    assert stub.received == [] and stub.refused == 0  # nothing was sent without a token
    assert credential.closed


# -- reasoning models (o-series, gpt-5): max_completion_tokens, no temperature --------------------

NEW_API = "2024-12-01-preview"


async def test_reasoning_sends_max_completion_tokens_and_no_temperature(stub: stubs.OpenAIStub) -> None:
    stub.reasoning = True
    env = {**stubs.azure_env(stub, reasoning="on", max_output_tokens="20000"),
           "AZURE_OPENAI_API_VERSION": NEW_API}  # fmt: skip
    analysis = await _analyze(env)
    (sent,) = stub.received
    assert sent.body["max_completion_tokens"] == 20000
    assert "max_tokens" not in sent.body and "temperature" not in sent.body
    assert sent.query["api-version"] == NEW_API and analysis.meta.engine == "llm"
    # The fixture also asserts the body met the published 2024-10-21 request schema.


async def test_max_completion_tokens_is_in_the_ga_spec_for_other_models(stub: stubs.OpenAIStub) -> None:
    # The 2024-10-21 spec defines max_completion_tokens; a non-reasoning model keeps its temperature.
    await _analyze(stubs.azure_env(stub, token_parameter="max_completion_tokens", temperature="0.3"))
    (sent,) = stub.received
    assert sent.query["api-version"] == "2024-10-21"
    assert sent.body["max_completion_tokens"] == 8000 and sent.body["temperature"] == 0.3
    assert "max_tokens" not in sent.body


async def test_max_tokens_refused_by_a_reasoning_model_names_the_setting(stub: stubs.OpenAIStub) -> None:
    stub.reasoning = True
    error = await _failure({**stubs.azure_env(stub, max_retries="3"), "AZURE_OPENAI_API_VERSION": NEW_API})
    assert error.kind == "config" and "MCEM_LLM_REASONING=on" in str(error) and "'max_tokens'" in str(error)
    assert "AZURE_OPENAI_API_VERSION" not in str(error)  # the version was already new enough
    assert len(stub.received) == 1  # a 400 is final, never retried


async def test_temperature_refused_on_the_openai_path_names_the_setting(stub: stubs.OpenAIStub) -> None:
    stub.reasoning = True
    env = {"OPENAI_BASE_URL": stub.openai_base_url, "OPENAI_API_KEY": stub.api_key, "MCEM_MODEL": "o3-mini",
           "MCEM_LLM_TOKEN_PARAMETER": "max_completion_tokens"}  # fmt: skip
    error = await _failure(env)
    assert error.kind == "config" and "'temperature'" in str(error) and "MCEM_LLM_REASONING=on" in str(error)


async def test_reasoning_model_on_the_ga_version_names_the_version_needed(stub: stubs.OpenAIStub) -> None:
    stub.reasoning = True
    error = await _failure(stubs.azure_env(stub))  # default 2024-10-21, max_tokens
    assert error.kind == "config" and NEW_API in str(error)
