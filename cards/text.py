"""Text helpers for cards: shortening with an ellipsis, and a last guard against internal text.

Verification already removes the template's internal "MCEM Reference for LLM" sentences from an
Analysis; the card checks again because a card is the one output that leaves for a chat, and a
sentence that slipped through an older or hand-edited analysis.json must still never show.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from mcem.template import internal_sentences

ELLIPSIS = "…"
# A sentence ends at . ! or ? possibly followed by closing markup or quotes ("**", "”", ")").
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][*_\"”’)])|(?<=[.!?][*_\"”’)]{2}))\s+")


def shorten(text: str, limit: int | None) -> str:
    """At most ``limit`` characters, cut at a word boundary when one is near, ending in "…"."""
    text = " ".join(text.split())
    if limit is None or len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if text[limit - 1] != " " and space >= limit // 2:  # do not end in half a word
        cut = cut[:space]
    return cut.rstrip(" ,;:-—") + ELLIPSIS


def _normal(text: str) -> str:
    # Same idea as mcem.template's cleaning: compare words, not markup, case or typography.
    text = unicodedata.normalize("NFKC", text).replace("\\", "")
    text = re.sub(r"[*_>#`]", " ", text)
    return " ".join(text.split()).casefold()


@cache
def _internal() -> tuple[str, ...]:
    return tuple(_normal(s) for s in internal_sentences())


def leaks_internal(text: str) -> bool:
    norm = _normal(text)
    return any(piece in norm for piece in _internal())


def scrub_internal(text: str) -> str:
    """Drop every sentence that carries internal reference text; keep the rest as written."""
    if not leaks_internal(text):
        return text
    kept = [s for s in _SENTENCE_END.split(text) if not leaks_internal(s)]
    result = " ".join(kept)
    # A piece spanning a sentence break survives the split; fall back to dropping everything.
    return "" if leaks_internal(result) else result
