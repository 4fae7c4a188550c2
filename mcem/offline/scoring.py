"""Sentence splitting and the transparent stage/role scoring of customer sentences.

A sentence's score for a stage is the sum of the weights of the distinct stage terms it contains
(``lexicon.stage_lexicon``). It is assigned to its best stage when that score reaches
``STAGE_THRESHOLD`` and it has at least ``MIN_WORDS`` words; ties go to the earlier stage. Role
scores add the role's own terms to a share of the stage scores (``ROLE_STAGE_AFFINITY``). Every
score keeps the list of terms that produced it, so tests (and curious readers) can see why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from mcem.model import Role, Stage
from mcem.offline.lexicon import ROLE_STAGE_AFFINITY, Term, role_lexicon, stage_lexicon, stems
from mcem.transcript import Utterance

STAGE_THRESHOLD = 2.0
_ORDER = {s: i for i, s in enumerate(Stage)}
MIN_WORDS = 5

_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")
# Pure hesitation sounds at the start of a sentence are trimmed off the span; words are kept.
_LEADING_FILLER = re.compile(r"^(?:(?:um+|uh+|erm+|er|hmm+|mm+|ah+)\b[\s,.…-]*)+", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    """A sentence as a character span of one utterance: ``text == utterance.text[begin:end]``."""

    utterance: int
    begin: int
    end: int
    text: str
    speaker: str
    start: float

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass(frozen=True)
class Hit:
    term: str
    weight: float
    source: str


@dataclass(frozen=True)
class Scored:
    sentence: Sentence
    stage_hits: dict[Stage, tuple[Hit, ...]]
    role_hits: dict[Role, tuple[Hit, ...]]
    stage_scores: dict[Stage, float]
    role_scores: dict[Role, float]
    stage: Stage | None

    def breakdown(self) -> dict[str, list[tuple[str, float, str]]]:
        """Per stage and role, the terms that scored: for tests and debugging, never for output."""
        out = {s.value: [(h.term, h.weight, h.source) for h in hits] for s, hits in self.stage_hits.items()}
        out.update(
            {r.value: [(h.term, h.weight, h.source) for h in hits] for r, hits in self.role_hits.items()}
        )
        return out


def split_sentences(index: int, utterance: Utterance) -> list[Sentence]:
    text = utterance.text
    out: list[Sentence] = []
    for m in _SENTENCE.finditer(text):
        begin, end = m.start(), m.end()
        chunk = text[begin:end]
        lead = len(chunk) - len(chunk.lstrip())
        begin += lead
        chunk = chunk.strip()
        filler = _LEADING_FILLER.match(chunk)
        if filler:
            begin += filler.end()
            chunk = chunk[filler.end() :]
        end = begin + len(chunk)
        if chunk and any(c.isalnum() for c in chunk):
            out.append(Sentence(index, begin, end, chunk, utterance.speaker, utterance.start))
    return out


_Group = Stage | Role
_Where = list[tuple[_Group, int]]


@cache
def _index() -> tuple[
    dict[str, _Where], dict[str, _Where], dict[str, _Where], dict[_Group, tuple[Term, ...]]
]:
    """Every stage and role term by the word that can match it: one pass over a sentence's words finds
    all hits, instead of every lexicon scanning every word (the offline engine's hottest loop)."""
    groups: dict[_Group, tuple[Term, ...]] = {**stage_lexicon(), **role_lexicon()}
    single: dict[str, _Where] = {}
    prefix: dict[str, _Where] = {}
    multi: dict[str, _Where] = {}
    for group, terms in groups.items():
        for pos, t in enumerate(terms):
            table = prefix if t.prefix else single if len(t.key) == 1 else multi
            table.setdefault(t.key[0], []).append((group, pos))
    return single, prefix, multi, groups


def score_text(text: str) -> tuple[dict[Stage, tuple[Hit, ...]], dict[Role, tuple[Hit, ...]]]:
    tokens = stems(text)
    token_set = frozenset(tokens)
    joined = f" {' '.join(tokens)} "
    single, prefix, multi, groups = _index()
    found: set[tuple[_Group, int]] = set()
    for tok in token_set:
        found.update(single.get(tok, ()))
        for n in range(1, len(tok) + 1):
            found.update(prefix.get(tok[:n], ()))
        for group, pos in multi.get(tok, ()):
            if f" {' '.join(groups[group][pos].key)} " in joined:
                found.add((group, pos))
    by_group: dict[_Group, list[int]] = {}
    for group, pos in found:
        by_group.setdefault(group, []).append(pos)

    def hits(group: _Group) -> tuple[Hit, ...]:
        terms = groups[group]
        return tuple(
            Hit(terms[p].display, terms[p].weight, terms[p].source) for p in sorted(by_group.get(group, ()))
        )

    return {s: hits(s) for s in Stage}, {r: hits(r) for r in Role}


def score_sentence(sentence: Sentence) -> Scored:
    stage_hits, role_hits = score_text(sentence.text)
    stage_scores = {s: round(sum(h.weight for h in hits), 3) for s, hits in stage_hits.items()}
    role_scores = {
        r: round(
            sum(h.weight for h in hits)
            + sum(share * stage_scores[s] for s, share in ROLE_STAGE_AFFINITY[r].items()),
            3,
        )
        for r, hits in role_hits.items()
    }
    best = max(Stage, key=lambda s: (stage_scores[s], -_ORDER[s]))
    assigned = best if stage_scores[best] >= STAGE_THRESHOLD and sentence.words >= MIN_WORDS else None
    return Scored(sentence, stage_hits, role_hits, stage_scores, role_scores, assigned)


def score_utterances(utterances: Sequence[Utterance], indices: Iterable[int]) -> list[Scored]:
    """Score every sentence of the given utterances (by index), in transcript order."""
    return [score_sentence(s) for i in indices for s in split_sentences(i, utterances[i])]
