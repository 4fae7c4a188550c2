"""The internal-reference guard: no output carries the template's internal MCEM reference.

One rule, used by every surface: verification (mcem/verify.py) removes the echoing sentences from
an Analysis, and the renderers whose text leaves the bot's hands (the summary card, the email)
apply it again, because an older or hand-edited analysis may still hold one.

Text is compared in its folded form (``fold``): NFKC; invisible format characters (zero-width
space and joiners, soft hyphen, bidi marks: Unicode category Cf) removed; Cyrillic and Greek
letters that look like Latin ones folded to them; case folded; curly quotes and dashes to ASCII;
punctuation and Markdown markup dropped; whitespace collapsed. So "MСEM" with a Cyrillic "С",
or a sentence with zero-width spaces inside its words, compares equal to the plain text.

A sentence (``split_sentences``) is internal (``is_internal``) when it echoes a piece of the
reference (``mcem.template.internal_sentences`` and its headings): verbatim inside a longer
sentence, lightly altered (rapidfuzz ``ratio`` >= 85), a long piece of one inside the other
(``partial_ratio`` >= 90), or the same words reordered (80 % of the piece's words). Headings count
only where the heading itself occurs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz

from mcem.template import internal_reference, internal_sentences

__all__ = ["TYPOGRAPHY", "fold", "is_internal", "leaks", "scrub", "split_sentences"]

# A sentence ends at . ! or ? possibly followed by closing markup or quotes ("**", "”", ")").
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][*_\"”’)])|(?<=[.!?][*_\"”’)]{2}))\s+")

# Curly quotes, dashes and the ellipsis as ASCII (verification folds quotes with the same table).
TYPOGRAPHY = {"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"', "„": '"', "…": "."}
TYPOGRAPHY |= dict.fromkeys("‐‑‒–—―", "-")
# Letters of other scripts drawn like Latin ones (the confusables a reader cannot tell apart),
# written as escapes so the table reads unambiguously.
_CYRILLIC = "\u0410\u0412\u0415\u0405\u0406\u0408\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0423"
_CYRILLIC += "\u0430\u0435\u0456\u0458\u043e\u0440\u0441\u0455\u0445\u0443\u0501\u04bb\u051b\u051d"
_GREEK = "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7"
_GREEK += "\u03b1\u03b9\u03bf\u03bd\u03c1\u03c4\u03c5\u03c7\u03ba"
_LOOK_ALIKES = dict(
    zip(_CYRILLIC + _GREEK, "ABESIJKMHOPCTXYaeijopcsxydhqwABEZHIKMNOPTYXaiovptuxk", strict=True)
)
_FOLD = str.maketrans(TYPOGRAPHY | _LOOK_ALIKES)


def fold(text: str) -> str:
    """The form texts are compared in: see the module docstring."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf").translate(_FOLD)
    text = text.casefold()
    # Punctuation goes without a trace, so "don't" and "dont" (or "MC.EM" and "MCEM") compare equal.
    if text.isascii():  # every sentence of every draft comes here: a table, not a loop
        return " ".join(text.translate(_ASCII_KEEP).split())
    kept = "".join(ch if ch.isalnum() else " " if ch.isspace() else "" for ch in text)
    return " ".join(kept.split())


# The ASCII characters as the loop above treats them: letters and digits kept, whitespace a space,
# the rest dropped.
_ASCII_KEEP = str.maketrans(
    {chr(i): chr(i) if chr(i).isalnum() else " " if chr(i).isspace() else None for i in range(128)}
)


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


@dataclass(frozen=True)
class _Piece:
    text: str  # folded
    words: frozenset[str]
    length: int  # in words
    heading: re.Pattern[str] | None  # pieces under 6 words: the heading itself, as a whole phrase


@cache
def _pieces() -> tuple[_Piece, ...]:
    """Folded once, with what every comparison needs, compiled once: verification checks every
    sentence of every draft against all of them."""
    pieces = [fold(s) for s in internal_sentences()]
    pieces += [fold(h.lstrip("#")) for h in internal_reference().splitlines() if h.startswith("#")]
    pieces += [fold("Internal — Do Not Include"), fold("MCEM Reference for LLM")]
    return tuple(_piece(p) for p in dict.fromkeys(pieces) if p)


@dataclass(frozen=True)
class _Lookup:
    """The pieces arranged for ``is_internal``: the headings as one pattern, and for each word the
    other pieces holding it (their places in ``_pieces()``), so that a sentence is compared only with
    the pieces it shares words with."""

    headings: re.Pattern[str] | None
    by_word: dict[str, tuple[int, ...]]


@cache
def _lookup() -> _Lookup:
    pieces = _pieces()
    headings = "|".join(re.escape(p.text) for p in pieces if p.heading is not None)
    # One alternation finds a heading wherever one of the per-heading patterns would.
    pattern = re.compile(r"(?<!\w)(?:" + headings + r")(?!\w)") if headings else None
    by_word: dict[str, list[int]] = {}
    for i, piece in enumerate(pieces):
        if piece.heading is None:
            for word in piece.words:
                by_word.setdefault(word, []).append(i)
    return _Lookup(pattern, {word: tuple(found) for word, found in by_word.items()})


def _piece(text: str) -> _Piece:
    length = len(text.split())
    heading = re.compile(r"(?<!\w)" + re.escape(text) + r"(?!\w)") if length < 6 else None
    return _Piece(text, frozenset(text.split()), length, heading)


def is_internal(sentence: str) -> bool:
    s = fold(sentence)
    if not s:
        return False
    split = s.split()
    words = frozenset(split)
    n = len(split)
    lookup = _lookup()
    # headings: only an occurrence of the heading itself counts
    if lookup.headings is not None and lookup.headings.search(s):
        return True
    common: dict[int, int] = {}
    for word in words:
        for i in lookup.by_word.get(word, ()):
            common[i] = common.get(i, 0) + 1
    pieces = _pieces()
    for i, shared in common.items():
        piece = pieces[i]
        ref, ref_words, m = piece.text, piece.words, piece.length
        if shared < 3:
            continue  # none of the tests below can pass with fewer words in common
        if ref in s:  # echoed verbatim inside a longer sentence
            return True
        if fuzz.ratio(s, ref) >= 85:  # the same sentence, lightly altered
            return True
        if min(n, m) >= 6 and fuzz.partial_ratio(s, ref) >= 90:  # a long piece of one inside the other
            return True
        if shared >= 6 and shared >= 0.8 * len(ref_words):  # the same words, reordered
            return True
    return False


def _spans_a_piece(text: str) -> bool:
    folded = fold(text)
    return any(len(piece.words) >= 6 and piece.text in folded for piece in _pieces())


def leaks(text: str) -> bool:
    """True when any sentence of ``text`` is internal, or a piece runs across its sentences."""
    return any(is_internal(s) for s in split_sentences(text)) or _spans_a_piece(text)


def scrub(text: str) -> str:
    """``text`` without its internal sentences, the rest as written ("" when nothing can be kept)."""
    sentences = split_sentences(text)
    kept = [s for s in sentences if not is_internal(s)]
    if len(kept) == len(sentences) and not _spans_a_piece(text):
        return text
    result = " ".join(kept)
    # A piece spanning a sentence break survives the split: then nothing of the text is kept.
    return "" if _spans_a_piece(result) else result
