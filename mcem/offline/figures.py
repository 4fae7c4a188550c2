"""Figures the customer named: a number together with what it counts ("six plants", "eleven days").

A number alone ("two thousand") or a number before a word that is not a thing counted ("three of",
"three success" cut from "three success criteria") tells a reader nothing, so a figure is kept
only with its noun: a known unit or a plural noun, optionally after one modifier ("two pilot
lines", "three success criteria"). Quarters and fiscal years ("Q3", "FY26") are kept as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mcem.offline.lexicon import is_stopword, words

_NUMBER_WORDS = (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred "
    "thousand million billion dozen"
)
_NUM_WORD = "(?:" + "|".join(_NUMBER_WORDS.split()) + ")"
_NUMBER = (
    rf"(?:\d[\d,]*(?:\.\d+)?|(?:an? )?{_NUM_WORD}(?:(?:[ -]|,? and ){_NUM_WORD})*"
    rf"(?: and a half| point \w+)?)"
)
_FIGURE = re.compile(
    rf"\b(?:(?P<period>Q[1-4]|FY ?\d{{2,4}})|(?P<number>{_NUMBER})(?P<pct> ?%| percent)?"
    rf"(?P<rest>(?: [A-Za-z][\w-]*){{0,2}}))(?![\w-])",
    re.IGNORECASE,
)
# Things counted that do not end in "s", and units that read well in the singular.
_UNITS = words(
    """people staff criteria personnel hour day week month year minute second shift line
    plant site user person dollar euro pound percent kilometre mile tonne ton unit"""
)
# Words ending in "s" that are not counted things, and counted things that say nothing.
_NOT_UNITS = words(
    """is was has does this thus always sometimes perhaps across less unless plus its his us yes
    whereas things thing ways more others times of different main key big small success
    things stuff bits lots twenties thirties forties fifties sixties seventies eighties
    nineties hundreds thousands millions"""
)
_NOT_MODIFIERS = words("of the a an and or to in on at by for with from as than that which who our their")


def _unit(word: str) -> bool:
    w = word.casefold()
    if w in _NOT_UNITS or not w.isalpha():
        return False
    if w in _UNITS or (w.endswith("s") and w[:-1] in _UNITS):
        return True
    return len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "ous"))


# "one word in seven", "one in twenty", "3 out of 4": a rate said as words.
_RATIO = re.compile(
    rf"\b(?:(?:one|1) (?:\w+ )?in (?:every )?|(?:{_NUM_WORD}|\d+) out of )(?:{_NUM_WORD}|\d+)\b(?! of)",
    re.IGNORECASE,
)


def figures_in(text: str) -> list[str]:
    """Every figure in a sentence, as written there, in order."""
    found: list[str] = [m.group(0) for m in _RATIO.finditer(text)]
    for m in _FIGURE.finditer(text):
        if m.group("period"):
            found.append(m.group("period"))
            continue
        number = m.group("number")
        if number.casefold() in ("one", "a", "an"):
            continue  # "one of them", "one version of the truth": rarely a figure
        if re.fullmatch(r"(?:19|20)\d\d", number) and not m.group("pct"):
            continue  # a year
        head = number + (m.group("pct") or "")
        rest = m.group("rest").split()
        if m.group("pct"):
            found.append(head)
            continue
        if rest and _unit(rest[0]):
            found.append(f"{head} {rest[0]}")
        elif (
            len(rest) == 2
            and _unit(rest[1])
            and rest[0].islower()
            and rest[0] not in _NOT_MODIFIERS
            and not is_stopword(rest[0])
            and rest[0].isalpha()
        ):
            found.append(f"{head} {rest[0]} {rest[1]}")
    return found


def figures(texts: Iterable[str], limit: int = 4, seen: set[str] | None = None) -> list[str]:
    """Distinct figures across sentences, first mention first; ``seen`` (casefolded) are skipped."""
    out: list[str] = []
    skip = seen or set()
    for text in texts:
        for fig in figures_in(text):
            key = fig.casefold()
            if key in skip or any(key == o.casefold() for o in out):
                continue
            out.append(fig)
    return out[:limit]
