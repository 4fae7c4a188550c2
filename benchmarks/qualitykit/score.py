"""Scoring one rendered draft against its answer key. Pure functions of (key, rendered outputs).

Fields the Analysis model may not have yet (``meeting_kind``, ``current_stage``, ``next_steps``) are read
from ``model_dump()`` with ``dict.get``: a missing field scores as missed, it never crashes the run.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from benchmarks.qualitykit.key import AnswerKey, NextStep, Output, stage_matches
from benchmarks.qualitykit.outputs import Rendered

# The outputs a reader keeps as "the draft": facts count when either shows them.
DRAFT_OUTPUTS: tuple[Output, ...] = ("markdown", "docx")

_FOLD = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "‑": "-", "\u00a0": " "})
_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Statistics that belong in analysis.json, not in prose (issue 9: "(average tone +0.12)", "+0.21",
# "5 customer sentences", "The 0 strongest sentences are quoted below").
_NUMBER_WORD = r"(?:\d+|no|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a dozen)"
STAT_PATTERNS: dict[str, re.Pattern[str]] = {
    "tone score": re.compile(
        r"(?<![\w.])[+\-−]\d*[.,]\d+\b|\b(?:average |overall |mean )?(?:tone|sentiment|compound)"
        r"(?: score)?(?: of| is| was|:)? ?[+\-−]?\d*[.,]\d+",
        re.IGNORECASE,
    ),
    "sentence count": re.compile(
        rf"\b{_NUMBER_WORD}\s+(?:[\w-]+\s+){{0,2}}(?:sentences|utterances|statements|remarks|mentions|"
        r"turns|lines of dialogue)\b",
        re.IGNORECASE,
    ),
}
# What kind and stage read as when the Analysis model has no such field (yet): never right.
NO_FIELD = "(no such field)"
# Where prose lives in the model: everything but these (quotes are the transcript's words, not prose).
_NOT_PROSE = {"meta", "verification", "details", "confidential", "score", "stage"}


@dataclass
class SampleScore:
    name: str
    is_customer: bool
    facts_found: list[str] = field(default_factory=list)
    facts_missed: list[str] = field(default_factory=list)
    steps_total: int = 0
    steps_action_owner: int = 0
    steps_with_due: int = 0
    steps_missed: list[str] = field(default_factory=list)
    # Steps of the draft that answer no key step: noise ("Take that") or steps the key does not list.
    # Reported for reading, not scored: a key need not list every small commitment.
    steps_unmatched: list[str] = field(default_factory=list)
    forbidden_hits: list[tuple[str, Output, str]] = field(default_factory=list)
    kind_expected: str = ""
    kind_found: object = None
    stage_expected: object = None
    stage_found: object = None
    quotes_kept: int = 0
    quotes_dropped: int = 0
    repeated_quotes: int = 0
    stat_sentences: list[str] = field(default_factory=list)

    @property
    def kind_right(self) -> bool:
        return self.kind_found == self.kind_expected

    @property
    def stage_right(self) -> bool:
        from mcem.model import Stage

        if self.stage_found == NO_FIELD:
            return False
        expected = Stage(self.stage_expected) if self.stage_expected else None
        return stage_matches(expected, self.stage_found)

    @property
    def facts_total(self) -> int:
        return len(self.facts_found) + len(self.facts_missed)


def fold(text: str) -> str:
    """Case, quotes, dashes, spacing and Unicode forms made alike."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD).casefold()
    return " ".join(text.split())


def contains(text: str, alternative: str) -> bool:
    """``alternative`` in ``text``, case-insensitively, not glued to a letter or digit on either side."""
    hay, needle = fold(text), fold(alternative)
    if not needle:
        return False
    before = r"(?<![^\W_])" if needle[0].isalnum() else ""
    after = r"(?![^\W_])" if needle[-1].isalnum() else ""
    return re.search(before + re.escape(needle) + after, hay) is not None


def any_in(text: str, alternatives: list[str]) -> str | None:
    return next((a for a in alternatives if contains(text, a)), None)


def score(name: str, key: AnswerKey, rendered: Rendered) -> SampleScore:
    dump = rendered.dump
    result = SampleScore(name=name, is_customer=key.is_customer)
    draft = "\n".join(rendered.texts[o] for o in DRAFT_OUTPUTS)
    for fact in key.facts:
        (result.facts_found if any_in(draft, fact.any_of) else result.facts_missed).append(fact.id)
    _score_steps(result, key.next_steps, dump.get("next_steps"))
    for item in key.forbidden:
        for output in item.outputs:
            hit = any_in(rendered.texts[output], item.any_of)
            if hit is not None:
                result.forbidden_hits.append((item.id, output, hit))
    result.kind_expected, result.kind_found = key.meeting_kind, dump.get("meeting_kind", NO_FIELD)
    result.stage_expected = key.current_stage.value if key.current_stage else None
    result.stage_found = dump.get("current_stage", NO_FIELD)
    checks = dump.get("verification") or {}
    result.quotes_dropped = int(checks.get("quotes_dropped", 0))
    result.quotes_kept = int(checks.get("quotes_checked", 0)) - result.quotes_dropped
    result.repeated_quotes = repeated_quotes(dump, rendered.texts["markdown"])
    result.stat_sentences = stat_sentences(dump)
    return result


def _score_steps(result: SampleScore, expected: list[NextStep], found: object) -> None:
    steps = [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []
    result.steps_total = len(expected)
    used: set[int] = set()
    for step in expected:
        candidates = [
            i
            for i, s in enumerate(steps)
            if i not in used
            and any_in(_text(s.get("action")), step.action)
            and any_in(_text(s.get("owner")), step.owner)
        ]
        if not candidates:
            result.steps_missed.append(step.id)
            continue
        dated = [i for i in candidates if due_matches(step, steps[i].get("due"))]
        used.add((dated or candidates)[0])
        result.steps_action_owner += 1
        result.steps_with_due += bool(dated)
    result.steps_unmatched = [_text(s.get("action")) for i, s in enumerate(steps) if i not in used]


def due_matches(step: NextStep, due: object) -> bool:
    said = _text(due).strip()
    for alternative in step.due_alternatives:
        if alternative is None and not said:
            return True
        if alternative is not None and said and contains(said, alternative):
            return True
    return False


def repeated_quotes(dump: dict[str, Any], markdown: str) -> int:
    """How many extra times a quoted sentence is shown in the Markdown draft (block quotes, table
    excerpts and quotations inside prose alike): what a reader sees twice, whatever field holds it."""
    words = " " + " ".join(_WORDS.findall(fold(markdown))) + " "
    seen: Counter[str] = Counter()
    for text in {_quote_key(q) for q in _quotes(dump)}:
        if len(text.split()) >= 3:
            seen[text] = words.count(" " + text + " ")
    return sum(n - 1 for n in seen.values() if n > 1)


def _quote_key(text: str) -> str:
    return " ".join(_WORDS.findall(fold(text)))


def _quotes(value: object) -> Iterator[str]:
    """The text of every quote-shaped object (text + speaker) anywhere in the dump."""
    if isinstance(value, dict):
        if isinstance(value.get("text"), str) and "speaker" in value:
            yield value["text"]
            return
        for v in value.values():
            yield from _quotes(v)
    elif isinstance(value, list):
        for v in value:
            yield from _quotes(v)


def stat_sentences(dump: dict[str, Any]) -> list[str]:
    found = []
    for text in _prose(dump):
        for sentence in _SENTENCE_END.split(text):
            if any(p.search(sentence) for p in STAT_PATTERNS.values()):
                found.append(sentence.strip())
    return found


def _prose(value: object, key: str = "") -> Iterator[str]:
    if key in _NOT_PROSE:
        return
    if isinstance(value, dict):
        if isinstance(value.get("text"), str) and "speaker" in value:
            return  # a quote: the transcript's words
        for k, v in value.items():
            yield from _prose(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _prose(v, key)
    elif isinstance(value, str) and key not in {"company", "label", "role", "stage", "engine"}:
        yield value


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(_text(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return str(value)
