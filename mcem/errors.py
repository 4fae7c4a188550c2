"""Errors users can act on. Each carries what happened (its message), a title and what to do.

    class                    title                              advice (what to do)
    MCEMError                Something went wrong               try again; else tell the app owner
     ├── TranscriptError     The transcript could not be read   a Teams transcript file (.vtt, ...)
     ├── ConfigError         A setting is missing or wrong      fix the setting the message names
     ├── DraftError          The draft could not be read back   restore what the message names in Word
     ├── AnalysisError       Analysis failed                    (as MCEMError)
     │    ├── LLMError       The language model failed          try again; else check the model settings
     │    └── LanguageError  This meeting is not in English     analyse it with a language model
     └── graph.service.GraphError and its kinds, bot.drafts.DraftProblem: their own, the same way

Every surface renders an error from these three parts and nothing else (``explain``): the CLI as
lines on stderr, the bot as an error card. An exception that is not an MCEMError is a bug: its
text may quote a transcript, so ``explain`` shows only a generic message for it.

Messages are one line, safe to show: never a transcript excerpt, never a token.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "UNEXPECTED",
    "AnalysisError",
    "ConfigError",
    "DraftError",
    "Explanation",
    "LLMError",
    "LanguageError",
    "MCEMError",
    "TranscriptError",
    "explain",
]


class MCEMError(Exception):
    """Base class; ``str(err)`` is the user-facing one-line message."""

    title = "Something went wrong"
    advice = "Try again; if it keeps happening, tell the app owner the time of this message."
    retry = True  # worth trying again as it is

    def headline(self) -> str:
        """What happened, as a surface that shows the advice beside it says it."""
        return str(self)


class TranscriptError(MCEMError):
    title = "The transcript could not be read"
    advice = "Use a Teams transcript: WebVTT (.vtt), a Teams .docx, 'Name: text' lines or JSON."
    retry = False

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")

    def __reduce__(self) -> tuple[type[TranscriptError], tuple[str, str]]:
        # Rebuilt from both parts when it crosses from a worker process (bot/pool.py).
        return (type(self), (self.source, self.problem))


class ConfigError(MCEMError):
    title = "A setting is missing or wrong"
    advice = "Fix the setting the message names (.env.example lists them all) and start again."
    retry = False


class DraftError(MCEMError):
    """A Word draft cannot be read back: not one of ours, or an edit removed what the analysis needs."""

    title = "The draft could not be read back"
    advice = "Open the document in Word, restore what the message names, save, and try again."
    retry = False


class AnalysisError(MCEMError):
    title = "Analysis failed"


class LLMError(AnalysisError):
    title = "The language model failed"
    advice = "Try again; if it fails again, the language model's settings need a look (.env.example)."

    def __init__(self, message: str, *, kind: str = "error", raw_reply: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        # Kept for diagnosis (written to a private file by the caller), never shown to users.
        self.raw_reply = raw_reply


class LanguageError(AnalysisError):
    """The offline analyzer reads and writes English only; the message says what to use instead."""

    title = "This meeting is not in English"
    advice = (
        "Ask the app owner to configure a language model (AZURE_OPENAI_ENDPOINT and "
        "AZURE_OPENAI_DEPLOYMENT): it analyses meetings in any language."
    )
    retry = False

    def headline(self) -> str:
        # The message's remedy names CLI options; a surface that shows the advice keeps the fact.
        return str(self).split(": ", 1)[0] + "."


@dataclass(frozen=True)
class Explanation:
    title: str
    message: str  # what happened
    advice: str  # what to do
    retry: bool  # worth trying again as it is


UNEXPECTED = Explanation(
    title=MCEMError.title,
    message="Something went wrong on my side.",
    advice=MCEMError.advice,
    retry=True,
)


def explain(err: BaseException) -> Explanation:
    """What every surface shows for ``err``: its title, message and advice (generic for a bug)."""
    if not isinstance(err, MCEMError):
        return UNEXPECTED
    return Explanation(
        title=err.title, message=err.headline() or err.title, advice=err.advice, retry=err.retry
    )
