"""Errors users can act on. Each message says what is wrong and what to do.

    MCEMError
     ├── TranscriptError      the input file cannot be read as a transcript
     ├── ConfigError          a setting is missing or wrong
     ├── DraftError           a Word draft cannot be read back (not ours, or edited past reading)
     └── AnalysisError        an analyzer could not produce a valid analysis
          ├── LLMError        the language model failed (rate limit, refusal, auth, timeout, ...)
          └── LanguageError   the offline analyzer was given a language it cannot read or write

Messages are one line, safe to show: never a transcript excerpt, never a token.
"""

from __future__ import annotations


class MCEMError(Exception):
    """Base class; ``str(err)`` is the user-facing one-line message."""


class TranscriptError(MCEMError):
    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")

    def __reduce__(self) -> tuple[type[TranscriptError], tuple[str, str]]:
        # Rebuilt from both parts when it crosses from a worker process (bot/pool.py).
        return (type(self), (self.source, self.problem))


class ConfigError(MCEMError):
    pass


class DraftError(MCEMError):
    """A Word draft cannot be read back: not one of ours, or an edit removed what the analysis needs."""


class AnalysisError(MCEMError):
    pass


class LLMError(AnalysisError):
    def __init__(self, message: str, *, kind: str = "error", raw_reply: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        # Kept for diagnosis (written to a private file by the caller), never shown to users.
        self.raw_reply = raw_reply


class LanguageError(AnalysisError):
    """The offline analyzer reads and writes English only; the message says what to use instead."""
