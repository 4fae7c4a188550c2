"""Customer sentences the prose leans on: self-descriptions, stated goals, stakes, threads across stages.

Everything here picks whole customer sentences (never rewrites them), so the writer can quote them
in quotation marks and verification finds every quotation verbatim. ``said`` is the one way prose
quotes a sentence; ``quotable`` keeps quotations short and free of characters that would confuse
the verifier's sentence and quotation matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from mcem.model import Stage
from mcem.offline.figures import figures_in
from mcem.offline.findings import Findings
from mcem.offline.lexicon import SILENT, words
from mcem.offline.scoring import Scored, Sentence
from mcem.offline.sentiment import STRONG, compound, is_conditional

PROSE_MAX_WORDS = 34
_MIN_WORDS = 6

_SIZE_NOUNS = words(
    """plants sites factories stores shops branches offices countries employees staff people users
    customers technicians engineers locations regions hospitals clinics depots warehouses markets
    schools members subscribers vehicles trucks machines lines facilities mills stations"""
)
_OWN = re.compile(r"\b(?:we|we're|we've|our|us)\b", re.IGNORECASE)
_SELF = re.compile(r"\b(?:we run|we operate|we have|we are a|we're a|we employ|we serve|we sell)\b", re.I)
_GOAL = re.compile(
    r"\b(?:goals?|priorit(?:y|ies)|mandate|objectives?|strateg(?:y|ic)|cares? about most"
    r"|the board wants|we want to|we need to|by the end of)\b",
    re.IGNORECASE,
)
_STAKES = re.compile(
    r"\b(?:risk|worth|costs? us|lose|losing|revenue|penalt(?:y|ies)|fail|largest controllable)\b",
    re.IGNORECASE,
)
_MONEY = re.compile(r"\b(?:dollars?|euros?|pounds?|million|billion)\b|[$€£]", re.IGNORECASE)

# Industry from the company's name, else from what the customer talks about (three distinct cues).
_NAME_INDUSTRY = {
    "manufacturing": "manufacturing",
    "industries": "industrial",
    "logistics": "logistics",
    "bank": "banking",
    "insurance": "insurance",
    "pharmaceuticals": "pharmaceuticals",
    "motors": "automotive",
    "airlines": "aviation",
    "energy": "energy",
    "retail": "retail",
    "foods": "food",
}
_TALK_INDUSTRY = {
    "manufacturing": words("plant plants factory factories shop-floor machines press line lines production"),
    "logistics": words("depot depots warehouse warehouses fleet drivers shipments routing deliveries"),
    "healthcare": words("hospital hospitals patients clinic clinics clinicians nurses"),
    "retail": words("store stores shoppers checkout merchandise"),
    "financial services": words("bank branches loans deposits underwriting"),
    "education": words("students schools campus teachers curriculum"),
}


# VADER alone reads "clear success criteria" or "most importantly" as praise; calling a remark
# praise needs one of these words too, and no "if ... would" wish around it.
PRAISE = re.compile(
    r"\b(?:good|great|excellent|quick|fast|helpful|impress\w*|lov(?:e|ed|es)|better|best|valuable|happy"
    r"|pleased|trust\w*|works? well|worth it|steady|smooth|fantastic|brilliant|appreciate\w*)\b",
    re.IGNORECASE,
)


def quotable(text: str, max_words: int = PROSE_MAX_WORDS) -> bool:
    n = len(text.split())
    return _MIN_WORDS <= n <= max_words and not any(c in text for c in '"“”')


def said(sentence: Sentence) -> str:
    """A sentence in quotation marks, exactly as the transcript has it."""
    return f"“{sentence.text}”"


def _pick(candidates: Iterable[tuple[float, Scored]]) -> list[Scored]:
    ranked = sorted(candidates, key=lambda c: (-c[0], c[1].sentence.utterance, c[1].sentence.begin))
    return [sc for _, sc in ranked]


def self_descriptions(f: Findings, limit: int = 2) -> list[Scored]:
    """Sentences in which the customer sizes up their own organisation ("we run six plants")."""
    found: list[tuple[float, Scored]] = []
    for sc in f.scored:
        text = sc.sentence.text
        if not quotable(text) or not _OWN.search(text):
            continue
        sized = [x for x in figures_in(text) if x.split()[-1].casefold() in _SIZE_NOUNS]
        if sized:
            found.append((len(sized) + (2.0 if _SELF.search(text) else 0.0) - sc.sentence.start / 3600, sc))
    out: list[Scored] = []
    for sc in _pick(found):
        if len(out) < limit and all(o.sentence.speaker != sc.sentence.speaker for o in out):
            out.append(sc)
    return sorted(out, key=lambda sc: sc.sentence.start)


def stated_goal(f: Findings, avoid: Iterable[Scored] = ()) -> Scored | None:
    """The customer's clearest statement of what they are trying to achieve."""
    taken = {(a.sentence.utterance, a.sentence.begin) for a in avoid}
    found = []
    for sc in f.scored:
        text = sc.sentence.text
        if (sc.sentence.utterance, sc.sentence.begin) in taken or not quotable(text):
            continue
        cues = len(_GOAL.findall(text))
        if cues:
            value = 2.0 * cues + sc.stage_scores[Stage.listen_consult] + 0.5 * bool(figures_in(text))
            found.append((value, sc))
    best = _pick(found)
    return best[0] if best else None


def stakes(f: Findings) -> Scored | None:
    """A sentence that puts a price on failure or delay ("we risk losing ... forty million dollars")."""
    found = [
        (1.0 + bool(_MONEY.search(sc.sentence.text)) - compound(sc.sentence.text), sc)
        for sc in f.scored
        if quotable(sc.sentence.text) and _STAKES.search(sc.sentence.text) and _MONEY.search(sc.sentence.text)
    ]
    best = _pick(found)
    return best[0] if best else None


def industry(f: Findings) -> tuple[str, str]:
    """(industry, where it comes from), or ("", "") when the call does not show it."""
    for word in f.company.casefold().split()[1:]:
        if word in _NAME_INDUSTRY:
            return _NAME_INDUSTRY[word], "the company's name"
    tokens = {w.casefold().strip(".,;:!?") for sc in f.scored for w in sc.sentence.text.split()}
    best = max(_TALK_INDUSTRY, key=lambda k: (len(_TALK_INDUSTRY[k] & tokens), k))
    cues = sorted(_TALK_INDUSTRY[best] & tokens)
    return (best, "talk of " + ", ".join(cues[:3])) if len(cues) >= 3 else ("", "")


def strongest(sentences: Iterable[Sentence], positive: bool, name: str = "") -> Sentence | None:
    """The most clearly positive (or negative) quotable sentence, or None when none is strong.

    A sentence that names the company outright (not only one of its products) is preferred.
    """
    best: tuple[float, Sentence] | None = None
    for s in sentences:
        v = compound(s.text) * (1 if positive else -1)
        if v < STRONG or not quotable(s.text, 30):
            continue
        if positive and (not PRAISE.search(s.text) or is_conditional(s.text)):
            continue
        v += 0.5 if name and name.split()[0] in s.text else 0.0
        if best is None or v > best[0]:
            best = (v, s)
    return best[1] if best else None


def concern_of(f: Findings, stage: Stage, avoid: Iterable[Sentence] = ()) -> Scored | None:
    """The stage's strongest quotable concern, other than the sentences in ``avoid``."""
    skip = set(avoid)
    found = [sc for sc in f.concerns(stage) if quotable(sc.sentence.text) and sc.sentence not in skip]
    # A concern that names a figure ("seventy percent weekly active") tells the reader more.
    return min(
        found,
        key=lambda sc: (
            compound(sc.sentence.text) - 0.15 * bool(figures_in(sc.sentence.text)),
            sc.sentence.start,
        ),
        default=None,
    )


def fact_of(f: Findings, stage: Stage) -> Scored | None:
    """The stage's most concrete quote: its first picked quote that names a figure, else its first."""
    picked = [sc for sc in f.quotes[stage] if quotable(sc.sentence.text)]
    with_figures = [sc for sc in picked if figures_in(sc.sentence.text)]
    return (with_figures or picked or [None])[0]


@dataclass(frozen=True)
class Thread:
    """A subject the customer came back to in different stages, minutes apart."""

    key: str
    first: Scored
    last: Scored
    stages: tuple[Stage, ...]
    weight: float


_NAME = re.compile(r"(?<!^)(?<![.!?] )\b(?:[A-Z]{2,}|[A-Z][a-z]{2,})\b")
_NOT_THREADS = words(
    """I I'm The This That And But So Yes No Okay Well We Our It If In On At For To Today Microsoft
    January February March April May June July August September October November December"""
)


# Lexicon terms that mark a stage well but say nothing as the subject of a thread.
_VAGUE = frozenset(("next year", "users", "support", "feedback", "need", "concern", "solution", "measure"))


def threads(f: Findings, limit: int = 2, gap: float = 300.0) -> list[Thread]:
    skip = {w for s in f.transcript.speakers for w in s.split()} | set(f.company.split()) | _NOT_THREADS
    seen: dict[str, list[Scored]] = {}
    for sc in f.scored:
        if sc.stage is None:
            continue
        keys = {
            h.term
            for hits in sc.stage_hits.values()
            for h in hits
            if h.term not in SILENT and h.term not in _VAGUE and h.source == "lexicon"
        }
        keys |= {m.group(0) for m in _NAME.finditer(sc.sentence.text)} - skip
        for k in keys:
            seen.setdefault(k, []).append(sc)
    out: list[Thread] = []
    for key, found in seen.items():
        stages = tuple(dict.fromkeys(sc.stage for sc in found if sc.stage is not None))
        if len(stages) < 2 or found[-1].sentence.start - found[0].sentence.start < gap:
            continue
        concerns = sum(1 for sc in found if compound(sc.sentence.text) <= -STRONG)
        weight = len(found) + 2 * concerns + (1.5 if key[:1].isupper() else 0.0)
        later = [sc for sc in found[1:] if sc.stage is not found[0].stage and quotable(sc.sentence.text)]
        if later:
            out.append(Thread(key, found[0], later[-1], stages, weight))
    out.sort(key=lambda t: (-t.weight, t.first.sentence.start, t.key))
    kept: list[Thread] = []
    for t in out:
        if all(t.last is not k.last for k in kept):
            kept.append(t)
    return kept[:limit]
