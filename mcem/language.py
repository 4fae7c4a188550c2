"""Which language a transcript is in, and which language the analysis is written in.

The LLM engine writes in the language asked for (``--language`` / ``MCEM_OUTPUT_LANGUAGE``) or else in
the transcript's own; the offline engine reads and writes English only and says so rather than write
nonsense about a German call. Detection uses lingua (its models ship in the wheel: no download, about
10 ms to import) on the first few thousand characters, which is plenty to tell languages apart.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

    from mcem.transcript import Transcript

ENGLISH = "English"
_SAMPLE_CHARS = 4000
_MIN_WORDS = 20  # fewer words than this say too little to judge


# The commonest English words: in English talk they are about half of all words, in other languages a few
# percent. Above the threshold the text is English without loading any model (lingua takes about a
# second to load its models, which an English meeting, the usual case, never needs).
def _listed(text: str) -> tuple[str, ...]:
    """A word list written as one whitespace-separated string."""
    return tuple(text.split())


_ENGLISH_WORDS = frozenset(
    _listed(
        """the a an and or but of to in on at for with is are was were be been it this that these those i you
    he she we they my your our their me us them not no yes so if then there here what which who when
    where how do does did have has had will would can could should just about from as by all some"""
    )
)
_ENGLISH_SHARE = 0.25
# Languages people hold business meetings in; fewer models load faster than all 75.
_LANGUAGES = _listed(
    "ENGLISH GERMAN FRENCH SPANISH PORTUGUESE ITALIAN DUTCH POLISH SWEDISH DANISH BOKMAL FINNISH CZECH "
    "SLOVAK TURKISH RUSSIAN UKRAINIAN JAPANESE CHINESE KOREAN ARABIC HINDI HEBREW GREEK HUNGARIAN ROMANIAN "
    "INDONESIAN MALAY VIETNAMESE THAI CROATIAN SERBIAN BULGARIAN CATALAN ESTONIAN LATVIAN LITHUANIAN "
    "SLOVENE IRISH WELSH AFRIKAANS TAGALOG"
)


@cache
def _detector() -> LanguageDetector:
    from lingua import Language, LanguageDetectorBuilder

    languages = [getattr(Language, name) for name in _LANGUAGES if hasattr(Language, name)]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def english_share(text: str) -> float:
    words = [w.strip(".,;:!?\"'()").casefold() for w in text.split()]
    words = [w for w in words if w]
    return sum(w in _ENGLISH_WORDS for w in words) / len(words) if words else 0.0


def language_of(text: str) -> str | None:
    """The language's English name ("German"), or None when the text is too short or unclear."""
    if len(text.split()) < _MIN_WORDS:
        return None
    sample = text[:_SAMPLE_CHARS]
    if english_share(sample) >= _ENGLISH_SHARE:
        return ENGLISH
    found = _detector().detect_language_of(sample)
    return found.name.title() if found is not None else None


def transcript_language(transcript: Transcript) -> str | None:
    sample: list[str] = []
    size = 0
    for u in transcript.utterances:
        sample.append(u.text)
        size += len(u.text) + 1
        if size >= _SAMPLE_CHARS:
            break
    return language_of(" ".join(sample))


def is_english(name: str) -> bool:
    return name.strip().casefold() in ("english", "en", "en-us", "en-gb", "eng")


def output_language(requested: str, transcript: Transcript) -> str:
    """What the LLM engine writes in: the language asked for, else the transcript's, else English."""
    return requested.strip() or transcript_language(transcript) or ENGLISH
