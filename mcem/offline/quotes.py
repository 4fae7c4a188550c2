"""Choosing the customer's own sentences to quote.

A quote is always a character span of one utterance (a whole sentence, or for run-on speech a
clause run cut at commas), so verification finds it verbatim. Candidates outside
``MIN_WORDS``..``MAX_WORDS`` words or heavy with hesitation are skipped; the rest are ranked by
``quality``: stage evidence, figures, names, strong sentiment, and a comfortable length.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from itertools import pairwise

from rapidfuzz import fuzz

from mcem.model import Role, Stage
from mcem.offline.scoring import Scored, Sentence, score_sentence
from mcem.offline.sentiment import compound

MIN_WORDS = 6
MAX_WORDS = 40
PER_STAGE = 3
_CLAUSE_TARGET = 12

_FILLERS = frozenset(("um", "umm", "uh", "uhh", "erm", "er", "hmm", "mm", "mmm", "ah"))
_FILLER_PHRASES = re.compile(r"\b(?:you know|i mean|sort of|kind of)\b", re.IGNORECASE)
_NUMBER = re.compile(
    r"\d|\b(?:two|three|four|five|six|seven|eight|nine|ten|twelve|twenty|thirty|fifty|hundred|thousand"
    r"|million|billion|percent|half|double|triple|twice|quarter)\b",
    re.IGNORECASE,
)
_CLAUSE_BREAK = re.compile(r"[,;:]\s+|\s+[-–—]\s+")


def quality(sentence: Sentence, stage_score: float) -> float | None:
    """How good a quote this span makes, or None when it should not be quoted at all."""
    words = sentence.text.split()
    n = len(words)
    if n < MIN_WORDS or n > MAX_WORDS:
        return None
    fillers = sum(1 for w in words if w.strip(",.?!…").casefold() in _FILLERS)
    fillers += len(_FILLER_PHRASES.findall(sentence.text))
    if fillers / n > 0.12:
        return None
    lowered = [w.casefold() for w in words]
    repeats = sum(1 for a, b in pairwise(lowered) if a == b)
    value = stage_score - 0.6 * fillers - 0.8 * repeats
    if _NUMBER.search(sentence.text):
        value += 1.5
    names = sum(1 for w in words[1:] if w[:1].isupper() and w not in ("I", "I'm", "I've", "I'd", "I'll"))
    value += 0.5 * min(names, 3)
    strength = abs(compound(sentence.text))
    value += 1.0 if strength >= 0.5 else 0.5 if strength >= 0.3 else 0.0
    if 10 <= n <= 30:
        value += 0.5
    return round(value, 3)


def spans(scored: Scored) -> list[Scored]:
    """The sentence itself, or for a run-on sentence its clause runs (each re-scored)."""
    s = scored.sentence
    if s.words <= MAX_WORDS:
        return [scored]
    out: list[Scored] = []
    begin = 0
    for m in [*_CLAUSE_BREAK.finditer(s.text), None]:
        end = m.start() if m else len(s.text)
        chunk = s.text[begin:end]
        if m is not None and len(chunk.split()) < _CLAUSE_TARGET:
            continue
        chunk = chunk.strip()
        if chunk:
            offset = s.text.index(chunk, begin)
            part = replace(s, begin=s.begin + offset, end=s.begin + offset + len(chunk), text=chunk)
            out.append(score_sentence(part))
        begin = m.end() if m else len(s.text)
    return out


def pick_stage_quotes(scored: Iterable[Scored], stage: Stage, limit: int = PER_STAGE) -> list[Scored]:
    """The best distinct spans for a stage, in transcript order, varied across speakers."""
    ranked: list[tuple[float, Scored]] = []
    for sc in scored:
        if sc.stage is not stage:
            continue
        for part in spans(sc):
            q = quality(part.sentence, part.stage_scores[stage])
            if q is not None and part.stage_scores[stage] > 0:
                ranked.append((q, part))
    ranked.sort(key=lambda qp: (-qp[0], qp[1].sentence.utterance, qp[1].sentence.begin))
    chosen: list[Scored] = []
    speakers: dict[str, int] = {}
    # Two passes: first at most one quote per speaker, then fill up with the best remaining.
    for max_per_speaker in (1, limit):
        for _, part in ranked:
            if len(chosen) >= limit:
                break
            if part in chosen or speakers.get(part.sentence.speaker, 0) >= max_per_speaker:
                continue
            if any(_similar(part.sentence, c.sentence) for c in chosen):
                continue
            chosen.append(part)
            speakers[part.sentence.speaker] = speakers.get(part.sentence.speaker, 0) + 1
    return sorted(chosen, key=lambda p: (p.sentence.utterance, p.sentence.begin))


def pick_role_excerpt(scored: Sequence[Scored], role: Role, taken: set[tuple[int, int]]) -> Scored | None:
    """The quotable sentence that speaks most to a role; prefers one no other role has used."""
    best: tuple[float, int, Scored] | None = None
    for order, sc in enumerate(scored):
        for part in spans(sc):
            own = sum(h.weight for h in part.role_hits[role])
            if own <= 0 or part.role_scores[role] < 2.0:
                continue
            q = quality(part.sentence, max(part.stage_scores.values()))
            if q is None:
                continue
            key = (part.sentence.utterance, part.sentence.begin)
            value = part.role_scores[role] + 0.3 * q - (3.0 if key in taken else 0.0)
            if best is None or value > best[0]:
                best = (value, order, part)
    return best[2] if best else None


def _similar(a: Sentence, b: Sentence) -> bool:
    return fuzz.token_set_ratio(a.text, b.text) >= 80
