"""The LLM analyzer: Azure OpenAI or any OpenAI-compatible server, strict structured output.

``LLMAnalyzer`` is imported on first use: it pulls in ``openai`` and ``bpe_openai`` (about two
seconds), which the offline analyzer, ``mcem --version`` and the settings check never need.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcem.llm.settings import LLMSettings, llm_settings_from_env, not_configured_message

if TYPE_CHECKING:
    from mcem.llm.analyzer import LLMAnalyzer

__all__ = ["LLMAnalyzer", "LLMSettings", "llm_settings_from_env", "not_configured_message"]


def __getattr__(name: str) -> Any:
    if name == "LLMAnalyzer":
        from mcem.llm.analyzer import LLMAnalyzer

        return LLMAnalyzer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
