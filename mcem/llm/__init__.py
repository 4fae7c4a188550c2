"""The LLM analyzer: Azure OpenAI or any OpenAI-compatible server, strict structured output."""

from mcem.llm.analyzer import LLMAnalyzer
from mcem.llm.settings import LLMSettings, llm_settings_from_env, not_configured_message

__all__ = ["LLMAnalyzer", "LLMSettings", "llm_settings_from_env", "not_configured_message"]
