"""Topics outside the MCEM stages: runs of substantive customer talk that scored for no stage.

Consecutive customer sentences without stage evidence form a run (cut at ``_RUN_MAX`` sentences).
Each run is named by its most distinctive words: frequent in the run, rare in the rest of the
customer's talk (tf x idf), with names and acronyms counted double. The strongest runs are kept
and reported in meeting order.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from mcem.offline.lexicon import is_stopword, stem, words
from mcem.offline.people import join_names
from mcem.offline.scoring import Scored

_MIN_WORDS = 8
_RUN_MAX = 4
_LEAD_MAX_WORDS = 40
_TOKEN = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:['’-][^\W\d_]+)*")

WEAK = words(
    """that's there's it's what's they're we're you're we've i've don't didn't doesn't isn't can't
    won't wouldn't couldn't shouldn't would could should maybe actually probably basically
    something anything everything nothing somebody anyone someone everyone because though although
    still even much many make made want wanted need needs needed take said says saying look looking
    good great sure yeah okay also just really quite pretty little always never sometimes where
    when which while whether these those them then than have been being into onto from with
    first second third team teams time times week weeks days years year people point part work
    working answer answers within percent number numbers today going come came back place same
    other every each three four five twenty thirty hundred thousand right next last thank thanks
    question questions things stuff bits whole around already another whatever start started might
    must worked one two six seven eight nine ten let's we'll i'll you'll that'll got get gets give
    given tell told talk talked talking said asked ask lot lots able way ways kind sort chief officer
    information director head manager president senior title role called keep find"""
)
_NOT_NAMES = words(
    """I I'm I've I'd I'll The This That And But So Yes No Okay Well We Our It If In On At For To
    Monday Tuesday Wednesday Thursday Friday January February March April May June July August
    September October November December Microsoft"""
)


@dataclass(frozen=True)
class Topic:
    start: float
    speaker: str  # who said most of it
    keywords: list[str]
    remarks: int
    weight: float
    lead: str = ""  # the run's most telling sentence, verbatim: what the reader quotes back
    label: str = ""  # a readable name: multi-word names kept whole ("EU Cyber Resilience Act")


def side_topics(scored: list[Scored], speakers: list[str], limit: int = 5) -> list[Topic]:
    speaker_words = {w for s in speakers for w in s.split()}
    runs: list[list[Scored]] = [[]]
    for sc in scored:
        if sc.stage is not None:
            runs.append([])
        elif sc.sentence.words >= _MIN_WORDS:
            if len(runs[-1]) >= _RUN_MAX:
                runs.append([])
            runs[-1].append(sc)
    runs = [r for r in runs if len(r) >= 2]
    if not runs:
        return []
    tokens = [
        [_key(t) for t in _TOKEN.findall(sc.sentence.text) if _usable(t, speaker_words)] for sc in scored
    ]
    df: Counter[str] = Counter(k for ts in tokens for k in set(ts))
    total = len(scored)
    surface: dict[str, Counter[str]] = {}
    out: list[Topic] = []
    for run in runs:
        tf: Counter[str] = Counter()
        for sc in run:
            for m in _TOKEN.finditer(sc.sentence.text):
                raw = m.group(0)
                if not _usable(raw, speaker_words):
                    continue
                k = _key(raw)
                # A capital at the start of a sentence says nothing; mid-sentence it marks a name.
                name = m.start() > 0 and _is_name(raw)
                tf[k] += 2.0 if name else 1.0
                surface.setdefault(k, Counter())[raw if name else raw.casefold()] += 1
        scores = {k: n * math.log((1 + total) / (1 + df[k])) for k, n in tf.items() if n >= 1}
        best = sorted(scores, key=lambda k: (-scores[k], k))[:3]
        if not best or scores[best[0]] <= 0:
            continue
        who = Counter(sc.sentence.speaker for sc in run).most_common(1)[0][0]
        keywords = [surface[k].most_common(1)[0][0] for k in best]
        weight = sum(scores[k] for k in best)
        lead = _lead_sentence(run, {k: scores[k] for k in best})
        label = _label(run, keywords)
        out.append(Topic(run[0].sentence.start, who, keywords, len(run), round(weight, 3), lead, label))
    strongest = sorted(out, key=lambda t: (-t.weight, t.start))[:limit]
    return sorted(strongest, key=lambda t: t.start)


def _lead_sentence(run: list[Scored], key_scores: dict[str, float]) -> str:
    """The sentence that carries most of the run's distinctive words; a quotable length wins ties."""

    def score(sc: Scored) -> tuple[float, int]:
        keys = {_key(t) for t in _TOKEN.findall(sc.sentence.text)}
        quotable = 0 if sc.sentence.words <= _LEAD_MAX_WORDS else 1
        return (-sum(v for k, v in key_scores.items() if k in keys), quotable)

    best = min(run, key=score)
    return best.sentence.text if best.sentence.words <= _LEAD_MAX_WORDS else ""


# A name of several capitalised words (or acronyms) in a row: "EU Data Boundary", "OPC UA".
_NAME_RUN = re.compile(r"[A-Z][\w&'’-]*(?:\s+(?:of\s+)?[A-Z][\w&'’-]*)*")


def _label(run: list[Scored], keywords: list[str]) -> str:
    """The run's keywords as a reader would name them: each name widened to the whole name it sits in."""
    names: list[str] = []
    for sc in run:
        for m in _NAME_RUN.finditer(sc.sentence.text):
            parts = m.group(0).split()
            while parts and parts[0] in _NOT_NAMES:
                parts.pop(0)
            if parts:
                names.append(" ".join(parts))
    pieces: list[str] = []
    for k in keywords:
        if not _is_name(k):
            continue
        holding = [n for n in names if k in n.split()]
        piece = max(holding, key=lambda n: (len(n.split()), n), default=k)
        if not any(piece in p for p in pieces):
            pieces = [p for p in pieces if p not in piece] + [piece]
    if not pieces:
        return ""  # "Zero and after" names nothing: the line then leads with who raised it
    text = join_names(pieces[:3])
    return text[:1].upper() + text[1:]


def _key(raw: str) -> str:
    return stem(raw.casefold().strip("'’-"))


def _usable(raw: str, speaker_words: set[str]) -> bool:
    w = raw.casefold().strip("'’-")
    if len(w) < 2 or (len(w) < 4 and not raw.isupper()) or "'" in w or "’" in w:
        return False
    return not (is_stopword(w) or w in WEAK or raw in speaker_words or raw in _NOT_NAMES)


def _is_name(raw: str) -> bool:
    return raw[:1].isupper() and raw not in _NOT_NAMES
