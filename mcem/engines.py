"""Which analyzer runs: one rule for the CLI and the bot.

The language model when one is configured (mcem/llm/settings.py reads the environment), else the
offline analyzer. ``engine`` ("offline" or "llm", the CLI's --engine) overrides the choice; asking
for the model without its settings is a ConfigError naming what to set, never a silent fallback.
"""

from __future__ import annotations

from collections.abc import Mapping

from mcem.analyzer import Analyzer
from mcem.errors import ConfigError
from mcem.llm import llm_settings_from_env, not_configured_message
from mcem.offline import OfflineAnalyzer

__all__ = ["ENGINES", "analyzer_from_env"]

ENGINES = ("offline", "llm")


def analyzer_from_env(environ: Mapping[str, str], engine: str | None = None) -> Analyzer:
    if engine not in (None, *ENGINES):
        raise ConfigError(f"engine {engine!r} is not one of: {', '.join(ENGINES)}.")
    settings = llm_settings_from_env(environ) if engine != "offline" else None
    if engine == "llm" and settings is None:
        raise ConfigError(f"--engine llm needs a model. {not_configured_message()}")
    # MCEM_OUTPUT_LANGUAGE: what to write in, unless a meeting's context names a language itself.
    language = environ.get("MCEM_OUTPUT_LANGUAGE", "").strip()
    if settings is not None:
        # Only now: openai and bpe_openai take seconds to import, and offline runs never need them.
        from mcem.llm.analyzer import LLMAnalyzer

        return LLMAnalyzer(settings, language=language)
    return OfflineAnalyzer(language=language)
