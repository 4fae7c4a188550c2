"""Is this the same work, the same owner, the same risk? Plain word matching, no language model.

A next step is said one way ("Send the completed security questionnaire by Friday") and reported
done another ("I sent the completed questionnaire to Anika last Thursday"): tense, dates and small
words differ, the things named do not. So both are reduced to their content words (lower case, a
crude stem, no dates or glue words), and two actions are the same work when most of the shorter
one's content words are in the other. Owners match when they share a name, or one of them names
nobody (a report often says "we").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

__all__ = ["MatchIndex", "compatible_owner", "content_words", "same_risk"]

# Words that say when, how or to whom, never what: they must not make two actions look alike.
_GLUE_WORDS = """
a an the and or but to of for in on at by with
from into onto over about after before until this that these those it its
our your their my his her we you they i he she them us
me is are was were be been being have has had do does did
done will would shall should can could may might must not no yes so
then than also just already now finally again back up out off all any
some every each other more most very really monday tuesday wednesday thursday friday saturday
sunday january february march april may june july august september october november december week
weeks month months day days today tomorrow yesterday next last first second third end
early late mid new call meeting time please there here what which who when
where how one two three
"""
_GLUE = frozenset(_GLUE_WORDS.split())
# Irregular past forms a report uses for the verb a step was written with.
_IRREGULAR = {
    "sent": "send", "ran": "run", "held": "hold", "wrote": "write", "written": "write", "brought": "bring",
    "built": "build", "shown": "show", "took": "take", "taken": "take", "gave": "give", "given": "give",
    "made": "make", "met": "meet", "set": "set", "put": "put", "got": "get", "went": "go", "told": "tell",
    "found": "find", "kept": "keep", "led": "lead",
}  # fmt: skip
_WORD = re.compile(r"[a-z][a-z'-]+")


_ORDINAL = re.compile(
    r"(?:first|second|third|fifth|ninth|twelfth|\w+teenth|\w+tieth|\w*(?:four|six|seven|eigh|ten)th)$"
)


def _stem(word: str) -> str:
    word = _IRREGULAR.get(word, word)
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=4096)
def content_words(text: str) -> frozenset[str]:
    """The words that say what: "Sent the security questionnaire back" -> {send, security, questionnaire}."""
    words = _WORD.findall(text.casefold().replace("’", "'"))
    return frozenset(_stem(w) for w in words if w not in _GLUE and len(w) > 2 and not _ORDINAL.match(w))


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


class MatchIndex:
    """The actions one later call reports done, ready to be matched against earlier next steps."""

    # Most of the shorter action's content words, and at least two of them ("send" alone is no match);
    # a long step reported briefly shares less of its words, so three shared need only half.
    THRESHOLD = 0.6
    MIN_SHARED = 2
    LOOSE = (3, 0.5)

    def __init__(self, actions: Sequence[str]) -> None:
        self._words = [content_words(a) for a in actions]

    def matches(self, action: str) -> list[int]:
        """Indexes of the reported actions that are this work, best first."""
        want = content_words(action)
        scored = [
            (_overlap(want, have), k)
            for k, have in enumerate(self._words)
            if len(want & have) >= self.MIN_SHARED
        ]
        shared = {k: len(want & have) for k, have in enumerate(self._words)}
        return [
            k
            for score, k in sorted(scored, reverse=True)
            if score >= self.THRESHOLD or (shared[k] >= self.LOOSE[0] and score >= self.LOOSE[1])
        ]

    @classmethod
    def similar(cls, a: str, b: str) -> bool:
        return bool(cls([b]).matches(a))


def _names(owner: str) -> frozenset[str]:
    # "Microsoft (Lynne Robbins)" -> {microsoft, lynne, robbins}; "the customer" names nobody.
    return frozenset(
        w for w in _WORD.findall(owner.casefold()) if w not in {"the", "customer", "team", "and"}
    )


def compatible_owner(step_owner: str, done_owner: str) -> bool:
    """The same owner, or one side of the match names nobody."""
    a, b = _names(step_owner), _names(done_owner)
    return not a or not b or bool(a & b)


def same_risk(a: str, b: str) -> bool:
    """Two risks are one when they are of the same kind and name the same thing.

    Risk texts often lead with their kind ("Competitive risk: the customer rates Google well", "A worry
    to answer: “...”"): the kind must agree, and the rest must share most of its content words, so two
    different worries are not one recurring worry merely because both are worries.
    """
    kind_a, _, body_a = a.partition(":") if ":" in a.split("“")[0] else ("", "", a)
    kind_b, _, body_b = b.partition(":") if ":" in b.split("“")[0] else ("", "", b)
    if content_words(kind_a) != content_words(kind_b):
        return False
    wa, wb = content_words(body_a), content_words(body_b)
    return len(wa & wb) >= 2 and _overlap(wa, wb) >= 0.5
