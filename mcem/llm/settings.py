"""LLM settings, read once from the environment into a frozen object.

Two ways to reach a model:
- Azure OpenAI: ``AZURE_OPENAI_ENDPOINT`` + ``AZURE_OPENAI_DEPLOYMENT`` (+ ``AZURE_OPENAI_API_VERSION``),
  with ``AZURE_OPENAI_API_KEY`` or, when no key is set, Microsoft Entra ID (DefaultAzureCredential).
- OpenAI or any OpenAI-compatible server (Ollama, vLLM, LM Studio): ``OPENAI_API_KEY`` and/or
  ``OPENAI_BASE_URL`` with ``MCEM_MODEL``.

Tuning knobs keep the SDK's names where it has them and an ``MCEM_LLM_`` prefix otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mcem.config import on_off
from mcem.errors import ConfigError

# The newest generally-available data-plane version; also the one tests/specs describes.
DEFAULT_AZURE_API_VERSION = "2024-10-21"
DEFAULT_OPENAI_MODEL = "gpt-4o"
# Azure serves reasoning models (o1, o3-mini, ...) with structured outputs from this version on;
# ``max_completion_tokens`` itself is already in 2024-10-21, but those deployments are not.
REASONING_MIN_AZURE_API_VERSION = "2024-12-01-preview"
TokenParameter = Literal["max_tokens", "max_completion_tokens"]
ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"


@dataclass(frozen=True)
class LLMSettings:
    provider: Literal["azure", "openai"]
    model: str  # Azure: the deployment name; OpenAI-compatible: the model name
    endpoint: str = ""  # Azure resource endpoint
    api_version: str = DEFAULT_AZURE_API_VERSION
    base_url: str = ""  # OpenAI-compatible server; "" means api.openai.com
    api_key: str = field(default="", repr=False)  # never printed
    timeout: float = 120.0  # seconds per request
    max_retries: int = 3  # for 429 / 5xx / timeouts; the SDK honours Retry-After
    max_output_tokens: int = 8000
    chunk_tokens: int = 24000  # transcript tokens above which the meeting is split
    concurrency: int = 4  # parallel chunk calls
    temperature: float = 0.2  # not sent to reasoning models, which accept only their default
    deadline: float = 300.0  # seconds for one whole analysis, every call and retry included
    reasoning: bool = False  # o-series / gpt-5: max_completion_tokens, no temperature
    token_parameter: TokenParameter = "max_tokens"
    managed_identity_client_id: str = ""  # Entra ID as this user-assigned identity (mcem/azure_auth.py)

    @property
    def uses_entra_id(self) -> bool:
        return self.provider == "azure" and not self.api_key

    @property
    def display_model(self) -> str:
        return f"azure:{self.model}" if self.provider == "azure" else self.model


_WHAT_TO_SET = (
    "set AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_DEPLOYMENT (key in AZURE_OPENAI_API_KEY, or sign in "
    "for Entra ID), or OPENAI_API_KEY / OPENAI_BASE_URL with MCEM_MODEL"
)


def llm_settings_from_env(environ: Mapping[str, str]) -> LLMSettings | None:
    """Settings from ``environ``; None when no LLM is configured; ConfigError when half-configured."""

    def get(name: str) -> str:
        return environ.get(name, "").strip()

    endpoint, deployment = get("AZURE_OPENAI_ENDPOINT"), get("AZURE_OPENAI_DEPLOYMENT")
    openai_key, base_url, model = get("OPENAI_API_KEY"), get("OPENAI_BASE_URL"), get("MCEM_MODEL")
    tuning: dict[str, Any] = {**_tuning(get), **_model_family(get)}

    if endpoint or deployment:
        if not endpoint:
            raise ConfigError("AZURE_OPENAI_DEPLOYMENT is set but AZURE_OPENAI_ENDPOINT is not: set both.")
        if not deployment:
            raise ConfigError(
                "AZURE_OPENAI_ENDPOINT is set but AZURE_OPENAI_DEPLOYMENT is not: set it to your "
                "model deployment name."
            )
        if not endpoint.startswith(("https://", "http://")):
            raise ConfigError(
                f"AZURE_OPENAI_ENDPOINT must be a URL like https://NAME.openai.azure.com, not {endpoint!r}."
            )
        api_version = get("AZURE_OPENAI_API_VERSION") or DEFAULT_AZURE_API_VERSION
        if tuning.get("reasoning") and not serves_reasoning(api_version):
            raise ConfigError(
                f"MCEM_LLM_REASONING=on needs AZURE_OPENAI_API_VERSION={REASONING_MIN_AZURE_API_VERSION} "
                f"or later (Azure serves reasoning models with structured outputs from there), not "
                f"{api_version}: set it."
            )
        return LLMSettings(
            provider="azure",
            model=deployment,
            endpoint=endpoint.rstrip("/"),
            api_version=api_version,
            api_key=get("AZURE_OPENAI_API_KEY"),
            managed_identity_client_id=get("MCEM_MANAGED_IDENTITY_CLIENT_ID"),
            **tuning,
        )
    if openai_key or base_url:
        if base_url and not base_url.startswith(("https://", "http://")):
            raise ConfigError(
                f"OPENAI_BASE_URL must be a URL like http://localhost:11434/v1, not {base_url!r}."
            )
        if base_url and not model:
            raise ConfigError(
                "OPENAI_BASE_URL is set but MCEM_MODEL is not: set it to the model the server runs."
            )
        # Local servers (Ollama, vLLM, LM Studio) ignore the key but the client needs one.
        return LLMSettings(
            provider="openai",
            model=model or DEFAULT_OPENAI_MODEL,
            base_url=base_url.rstrip("/"),
            api_key=openai_key or "not-needed",
            **tuning,
        )
    if model:
        raise ConfigError(f"MCEM_MODEL is set but no endpoint: {_WHAT_TO_SET}.")
    return None


def not_configured_message() -> str:
    """The one line the CLI prints for ``--engine llm`` without configuration."""
    return f"No language model configured: {_WHAT_TO_SET}."


def _tuning(get: Callable[[str], str]) -> dict[str, float | int]:
    out: dict[str, float | int] = {}
    specs: dict[str, tuple[str, type, float]] = {
        "timeout": ("MCEM_LLM_TIMEOUT", float, 1.0),
        "max_retries": ("MCEM_LLM_MAX_RETRIES", int, 0),
        "max_output_tokens": ("MCEM_LLM_MAX_OUTPUT_TOKENS", int, 256),
        "chunk_tokens": ("MCEM_LLM_CHUNK_TOKENS", int, 500),
        "concurrency": ("MCEM_LLM_CONCURRENCY", int, 1),
        "temperature": ("MCEM_LLM_TEMPERATURE", float, 0.0),
        "deadline": ("MCEM_LLM_DEADLINE", float, 0.5),
    }
    for key, (name, kind, minimum) in specs.items():
        raw = get(name)
        if not raw:
            continue
        try:
            value = kind(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, not {raw!r}.") from None
        if value < minimum:
            raise ConfigError(f"{name} must be at least {minimum:g}, not {raw}.")
        out[key] = value
    return out


def _model_family(get: Callable[[str], str]) -> dict[str, Any]:
    """MCEM_LLM_REASONING and MCEM_LLM_TOKEN_PARAMETER: what the model accepts for its output limit."""
    reasoning = on_off("MCEM_LLM_REASONING", get("MCEM_LLM_REASONING"))
    parameter = get("MCEM_LLM_TOKEN_PARAMETER") or ("max_completion_tokens" if reasoning else "max_tokens")
    if parameter not in ("max_tokens", "max_completion_tokens"):
        raise ConfigError(
            f"MCEM_LLM_TOKEN_PARAMETER must be max_tokens or max_completion_tokens, not {parameter!r}."
        )
    if reasoning and parameter == "max_tokens":
        raise ConfigError(
            "MCEM_LLM_REASONING=on with MCEM_LLM_TOKEN_PARAMETER=max_tokens: reasoning models reject "
            "max_tokens; remove MCEM_LLM_TOKEN_PARAMETER."
        )
    return {"reasoning": reasoning, "token_parameter": parameter}


def serves_reasoning(api_version: str) -> bool:
    """Dated versions before 2024-12-01 lack reasoning models; undated ones ("preview") are newer."""
    date = api_version[:10]
    if len(date) != 10 or not date.replace("-", "").isdigit():
        return True
    return date >= REASONING_MIN_AZURE_API_VERSION[:10]
