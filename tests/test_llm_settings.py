from __future__ import annotations

import pytest

from mcem.errors import ConfigError
from mcem.llm import llm_settings_from_env, not_configured_message
from mcem.llm.client import LazyEntraTokenProvider, make_client
from mcem.llm.settings import DEFAULT_AZURE_API_VERSION

AZURE = {"AZURE_OPENAI_ENDPOINT": "https://contoso.openai.azure.com/", "AZURE_OPENAI_DEPLOYMENT": "gpt-4o"}


def test_nothing_configured_is_none() -> None:
    assert llm_settings_from_env({}) is None
    assert llm_settings_from_env({"UNRELATED": "1", "AZURE_OPENAI_ENDPOINT": "  "}) is None


def test_azure_with_entra_id_when_no_key() -> None:
    s = llm_settings_from_env(AZURE)
    assert s is not None
    assert (s.provider, s.model, s.endpoint) == ("azure", "gpt-4o", "https://contoso.openai.azure.com")
    assert s.api_version == DEFAULT_AZURE_API_VERSION
    assert s.uses_entra_id


def test_azure_key_and_version_and_tuning() -> None:
    s = llm_settings_from_env(
        {
            **AZURE,
            "AZURE_OPENAI_API_KEY": "secret-key",
            "AZURE_OPENAI_API_VERSION": "2025-01-01",
            "MCEM_LLM_TIMEOUT": "2.5",
            "MCEM_LLM_MAX_RETRIES": "0",
            "MCEM_LLM_CHUNK_TOKENS": "9000",
        }
    )
    assert s is not None and not s.uses_entra_id
    assert (s.api_version, s.timeout, s.max_retries, s.chunk_tokens) == ("2025-01-01", 2.5, 0, 9000)
    assert "secret-key" not in repr(s)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com"}, "AZURE_OPENAI_DEPLOYMENT"),
        ({"AZURE_OPENAI_DEPLOYMENT": "gpt-4o"}, "AZURE_OPENAI_ENDPOINT"),
        ({**AZURE, "AZURE_OPENAI_ENDPOINT": "contoso"}, "AZURE_OPENAI_ENDPOINT"),
        ({"OPENAI_BASE_URL": "http://localhost:11434/v1"}, "MCEM_MODEL"),
        ({"MCEM_MODEL": "llama3"}, "OPENAI_BASE_URL"),
        ({**AZURE, "MCEM_LLM_TIMEOUT": "soon"}, "MCEM_LLM_TIMEOUT"),
        ({**AZURE, "MCEM_LLM_CONCURRENCY": "0"}, "MCEM_LLM_CONCURRENCY"),
    ],
)
def test_partial_configuration_says_what_to_set(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError) as caught:
        llm_settings_from_env(env)
    message = str(caught.value)
    assert names in message and "\n" not in message


def test_openai_compatible_server() -> None:
    s = llm_settings_from_env({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1/", "MCEM_MODEL": "llama3.1"})
    assert s is not None
    assert (s.provider, s.base_url, s.model) == ("openai", "http://127.0.0.1:11434/v1", "llama3.1")
    assert s.api_key  # local servers ignore it, the client still needs one


def test_not_configured_message_is_one_line_naming_the_variables() -> None:
    line = not_configured_message()
    assert "\n" not in line
    for name in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_DEPLOYMENT", "OPENAI_API_KEY", "MCEM_MODEL"):
        assert name in line


async def test_entra_id_client_builds_no_credential_until_first_request() -> None:
    settings = llm_settings_from_env(AZURE)
    assert settings is not None
    client = make_client(settings)
    provider = client._azure_ad_token_provider  # type: ignore[attr-defined]
    assert isinstance(provider, LazyEntraTokenProvider)
    assert provider._credential is None
    await client.close()


def test_env_example_lists_every_llm_variable() -> None:
    from tests.conftest import ROOT

    text = (ROOT / ".env.example").read_text("utf-8")
    for name in (
        "AZURE_OPENAI_ENDPOINT",
        "AZURE_OPENAI_DEPLOYMENT",
        "AZURE_OPENAI_API_VERSION",
        "AZURE_OPENAI_API_KEY",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "MCEM_MODEL",
        "MCEM_LLM_TIMEOUT",
        "MCEM_LLM_MAX_RETRIES",
        "MCEM_LLM_MAX_OUTPUT_TOKENS",
        "MCEM_LLM_CHUNK_TOKENS",
        "MCEM_LLM_CONCURRENCY",
        "MCEM_LLM_TEMPERATURE",
        "MCEM_LLM_DEADLINE",
        "MCEM_LLM_REASONING",
        "MCEM_LLM_TOKEN_PARAMETER",
    ):
        assert f"{name}=" in text, name


def test_reasoning_on_azure_needs_a_version_that_serves_reasoning_models() -> None:
    with pytest.raises(ConfigError) as caught:
        llm_settings_from_env({**AZURE, "MCEM_LLM_REASONING": "on"})
    assert "AZURE_OPENAI_API_VERSION=2024-12-01-preview" in str(caught.value) and "2024-10-21" in str(
        caught.value
    )
    for version in ("2024-12-01-preview", "2025-04-01-preview", "preview"):
        s = llm_settings_from_env({**AZURE, "MCEM_LLM_REASONING": "on", "AZURE_OPENAI_API_VERSION": version})
        assert s is not None and s.reasoning and s.token_parameter == "max_completion_tokens"


def test_reasoning_and_token_parameter_defaults_and_conflicts() -> None:
    plain = llm_settings_from_env(AZURE)
    assert plain is not None and (plain.reasoning, plain.token_parameter) == (False, "max_tokens")
    local = llm_settings_from_env({"OPENAI_API_KEY": "k", "MCEM_LLM_REASONING": "on"})
    assert local is not None and local.reasoning and local.token_parameter == "max_completion_tokens"
    bad = {
        "MCEM_LLM_REASONING": "maybe",
        "MCEM_LLM_TOKEN_PARAMETER": "max_output_tokens",
    }
    for name, value in bad.items():
        with pytest.raises(ConfigError, match=name):
            llm_settings_from_env({"OPENAI_API_KEY": "k", name: value})
    with pytest.raises(ConfigError, match="reject max_tokens"):
        llm_settings_from_env(
            {"OPENAI_API_KEY": "k", "MCEM_LLM_REASONING": "on", "MCEM_LLM_TOKEN_PARAMETER": "max_tokens"}
        )


def test_deadline_default_and_bounds() -> None:
    s = llm_settings_from_env({"OPENAI_API_KEY": "k"})
    assert s is not None and s.deadline == 300
    s = llm_settings_from_env({"OPENAI_API_KEY": "k", "MCEM_LLM_DEADLINE": "45"})
    assert s is not None and s.deadline == 45
    with pytest.raises(ConfigError, match="MCEM_LLM_DEADLINE must be at least"):
        llm_settings_from_env({"OPENAI_API_KEY": "k", "MCEM_LLM_DEADLINE": "0"})
