"""Verification: every quote is the transcript's own words, and nothing internal leaks.

``verify(analysis, transcript)`` is pure and idempotent; it returns a new Analysis.

Quotes (stage quotes and summary-table excerpts). Both sides are normalised (NFKC, casefold,
curly quotes and dashes to ASCII, punctuation removed, whitespace collapsed) and the quote is
looked for inside single utterances:

* exact: the normalised quote occurs, on word boundaries, in a normalised utterance;
* else fuzzy: in utterances whose rapidfuzz ``partial_ratio`` with the quote is at least
  ``PREFILTER``, the best run of whole words (the quote's length +/- ``LENGTH_SLACK``) whose
  ``ratio`` with the quote is >= ``FUZZY_THRESHOLD``. 92 lets a 12-word quote differ by about one
  dropped or changed short word ("already", "gonna"/"going to"), while a sentence made up on the
  same topic scores far below it (typically 55-80). Whatever matched, the document then shows the
  transcript's words, never the quote's.

A found quote takes the transcript's own text for the matched span (widened to whole words,
keeping sentence-ending punctuation), the speaker who actually said it and that utterance's start
time. When the words are found under another speaker than the quote claimed, the attribution is
*corrected*, not dropped: the words are verbatim, and the document must show who said them. When
several utterances match, the claimed speaker's is preferred, then the earliest. A quote that is
not found is dropped (a table excerpt becomes None) and counted; it never survives as paraphrase.

Leak guard. Every text field is cut into sentences; a sentence that echoes the template's internal
MCEM reference is removed — exactly, lightly altered, reordered, embedded in a longer sentence or
disguised with look-alike letters and zero-width characters (the rule is mcem/leaks.py's). A field left
empty gets ``PLACEHOLDER``; list fields lose empty items but never their last one, so the
Analysis stays valid (recommendations keep their count, with the offending sentence removed).

Quotations in prose. Words in double quotation marks inside any text field (four words or more)
are a quote too: they are looked up the same way and shown in the transcript's wording; when the
transcript does not hold them, the whole sentence is removed and counted as a dropped quote.

Counts in ``analysis.verification`` add up across runs, so verifying twice changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from rapidfuzz import fuzz

from mcem.confidential import Secrets, secrets_of
from mcem.leaks import TYPOGRAPHY, is_internal, split_sentences
from mcem.links import has_link, recording_link, strip_links
from mcem.model import Analysis, Decision, Done, NextStep, Quote, Risk, Verification
from mcem.transcript import Transcript

FUZZY_THRESHOLD = 92.0
PREFILTER = 75.0
LENGTH_SLACK = 0.2
MIN_FUZZY_CHARS = 15
PLACEHOLDER = "Not discussed in this meeting."

_ASCII = str.maketrans(TYPOGRAPHY)


# ASCII letters and digits are exactly what str.isalnum accepts among ASCII characters, and these
# exactly what str.isspace accepts (the \x1c-\x1f separators included).
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")
_ASCII_SPACE = re.compile(r"[\t\n\x0b\x0c\r\x1c-\x1f ]")


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """The normalised text, and for each of its characters the index of the source character."""
    if text.isascii():
        return _normalise_ascii(text)
    out: list[str] = []
    origin: list[int] = []
    space = True
    ascii_only = text.isascii()
    for i, ch in enumerate(text):
        folded = ch.lower() if ascii_only else unicodedata.normalize("NFKC", ch).casefold().translate(_ASCII)
        for c in folded:
            if c.isspace():
                if not space:
                    out.append(" ")
                    origin.append(i)
                    space = True
            elif c.isalnum():
                out.append(c)
                origin.append(i)
                space = False
            # punctuation is dropped: "don't" and "dont" compare equal
    if out and out[-1] == " ":
        out.pop()
        origin.pop()
    return "".join(out), origin


def _normalise_ascii(text: str) -> tuple[str, list[int]]:
    """The same result for ASCII text, a word at a time instead of a character at a time (every
    transcript utterance goes through here): words keep their characters lower-cased, punctuation
    inside or between words is dropped, and whitespace between two words becomes one space that
    points at the first whitespace character after the earlier word."""
    out: list[str] = []
    origin: list[int] = []
    end = -1
    for word in _ASCII_WORD.finditer(text):
        start = word.start()
        if out and (gap := _ASCII_SPACE.search(text, end, start)) is not None:
            out.append(" ")
            origin.append(gap.start())
        out.append(word.group().lower())
        end = word.end()
        origin.extend(range(start, end))
    return "".join(out), origin


def normalise(text: str) -> str:
    return normalise_with_map(text)[0]


@dataclass(frozen=True)
class _Found:
    text: str
    speaker: str
    start: float
    utterance: int = -1


class _Index:
    def __init__(self, transcript: Transcript) -> None:
        self.utterances = transcript.utterances
        self.normal = [normalise_with_map(u.text) for u in self.utterances]

    def find(self, quote: Quote) -> _Found | None:
        needle = normalise(quote.text)
        if not needle:
            return None
        pattern = re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)")
        hits = []
        for i, (norm, _) in enumerate(self.normal):
            # A match holds the needle itself: the substring test skips the regex for almost every
            # utterance (each quote is looked for in all of them).
            m = pattern.search(norm) if needle in norm else None
            if m:
                hits.append((i, m.start(), m.end()))
        if not hits and len(needle) >= MIN_FUZZY_CHARS:
            hits = self._fuzzy(needle)
        if not hits:
            return None
        claimed = quote.speaker.casefold().strip()
        i, a, b = min(hits, key=lambda h: (self.utterances[h[0]].speaker.casefold() != claimed, h[0]))
        u = self.utterances[i]
        return _Found(self._span(i, a, b), u.speaker, self._time_at(i, a), i)

    def _fuzzy(self, needle: str) -> list[tuple[int, int, int]]:
        n = len(needle.split())
        slack = max(1, round(n * LENGTH_SLACK))
        best = 0.0
        hits: list[tuple[int, int, int]] = []
        for i, (norm, _) in enumerate(self.normal):
            if not fuzz.partial_ratio(needle, norm, score_cutoff=PREFILTER):
                continue
            bounds = [(m.start(), m.end()) for m in re.finditer(r"\S+", norm)]
            for length in range(max(1, n - slack), n + slack + 1):
                for first in range(len(bounds) - length + 1):
                    a, b = bounds[first][0], bounds[first + length - 1][1]
                    score = fuzz.ratio(needle, norm[a:b], score_cutoff=FUZZY_THRESHOLD)
                    if score > best:
                        best, hits = score, [(i, a, b)]
                    elif score and score == best:
                        hits.append((i, a, b))
        return hits

    def _time_at(self, i: int, a: int) -> float:
        """When the quote starts, interpolated by its offset in the utterance.

        Teams splits a long turn into parts of a few seconds each and the parser merges them,
        so a quote from the middle of a 40-second turn would otherwise show the turn's start.
        Speech runs at a near-constant rate, so the character offset is a good estimate.
        """
        u = self.utterances[i]
        text_len = len(self.normal[i][0])
        if text_len == 0 or u.end <= u.start:
            return u.start
        return round(u.start + (u.end - u.start) * a / text_len, 3)

    def _span(self, i: int, a: int, b: int) -> str:
        """The verbatim source text behind normalised [a, b), widened to whole words."""
        text = self.utterances[i].text
        origin = self.normal[i][1]
        begin, end = origin[a], origin[b - 1] + 1
        while begin > 0 and text[begin - 1].isalnum():
            begin -= 1
        while end < len(text) and (text[end].isalnum() or text[end] in "'’"):
            end += 1
        while end < len(text) and text[end] in ".!?…":
            end += 1
        return text[begin:end].strip()


# Words in double quotation marks inside prose, long enough to be a claim about what was said.
_PROSE_QUOTE = re.compile(r"[“\"]([^“”\"]{12,}?)[”\"]")
_MIN_PROSE_QUOTE_WORDS = 4


class _Misquote(Exception):
    pass


class _Guard:
    """Cleans prose: drops internal-reference echoes and sentences that misquote the transcript."""

    def __init__(self, index: _Index, secrets: Secrets | None = None) -> None:
        self.index = index
        self.secrets = secrets
        self.private_removed = 0
        self.removed = 0
        self.quotes_checked = 0
        self.quotes_dropped = 0

    def clean(self, text: str) -> str:
        if not text.strip():
            return text
        text = strip_links(text)  # model-written prose: a link in it can only be injected
        parts = split_sentences(text)
        kept = []
        for part in parts:
            if is_internal(part):
                self.removed += 1
                continue
            if self.secrets is not None and self.secrets.leaks(part):
                self.private_removed += 1
                continue
            checked = self._check_prose_quotes(part)
            if checked is not None:
                kept.append(checked)
        return " ".join(kept)

    def _check_prose_quotes(self, sentence: str) -> str | None:
        """The sentence with its quoted words in the transcript's wording, or None to drop it.

        A quotation inside a paragraph is a quote too: one the transcript does not hold takes
        its whole sentence with it, so no paraphrase of it survives.
        """

        def replace(m: re.Match[str]) -> str:
            words = m.group(1)
            if len(words.split()) < _MIN_PROSE_QUOTE_WORDS:
                return m.group(0)
            self.quotes_checked += 1
            found = self.index.find(Quote(text=words.strip(" ,.;:"), speaker=""))
            if found is None or has_link(found.text):
                raise _Misquote
            return f"“{found.text}”"

        try:
            return _PROSE_QUOTE.sub(replace, sentence)
        except _Misquote:
            self.quotes_dropped += 1
            return None

    def field(self, text: str) -> str:
        return self.clean(text) or PLACEHOLDER

    def items(self, texts: list[str]) -> list[str]:
        cleaned = [self.clean(t) for t in texts]
        kept = [t for t in cleaned if t.strip()]
        return kept or ([PLACEHOLDER] if texts else [])


def verify(analysis: Analysis, transcript: Transcript) -> Analysis:
    index = _Index(transcript)
    checked = dropped = 0

    def check(q: Quote) -> Quote | None:
        nonlocal checked, dropped
        checked += 1
        found = index.find(q)
        # A quote holding a link is the transcript's words, but no output may carry the link.
        if found is None or is_internal(found.text) or has_link(found.text):
            dropped += 1
            if found is not None:
                guard.removed += 1
            return None
        return Quote(text=found.text, speaker=found.speaker, start=found.start)

    # Private asides first: whatever repeats them is kept out of every other field below.
    flagged = [f for f in (index.find(q) for q in analysis.confidential) if f is not None]
    secrets = secrets_of(transcript, [(f.utterance, f.text) for f in flagged])
    guard = _Guard(index, secrets)

    def public(q: Quote | None) -> Quote | None:
        nonlocal checked
        # Private words are taken out before checking, so a second run counts the same checks.
        if q is None or secrets.leaks(q.text):
            guard.private_removed += q is not None
            return None
        found = check(q)
        if found is not None and secrets.leaks(found.text):
            checked -= 1
            guard.private_removed += 1
            return None
        return found

    stages = []
    for s in analysis.stages:
        quotes = [v for v in (public(q) for q in s.quotes) if v is not None]
        stages.append(s.model_copy(update={"paragraphs": guard.items(s.paragraphs), "quotes": quotes}))
    table = []
    for r in analysis.summary_table:
        table.append(
            r.model_copy(
                update={
                    "excerpt": public(r.excerpt),
                    "insight": guard.field(r.insight),
                    "actions": guard.items(r.actions),
                }
            )
        )
    recommendations = [
        r.model_copy(update={"title": guard.field(r.title), "narrative": guard.field(r.narrative)})
        for r in analysis.recommendations
    ]
    fb = analysis.additional_feedback
    sentiment = [
        c.model_copy(update={"summary": guard.field(c.summary)})
        for c in fb.sentiment
        if not secrets.leaks(c.company)
    ]
    feedback = fb.model_copy(
        update={
            "overall_mood": guard.field(fb.overall_mood),
            "sentiment": sentiment,
            "other_topics": [t for t in (guard.clean(t) for t in fb.other_topics) if t.strip()],
        }
    )
    details = analysis.details.model_copy(update={"subject": guard.clean(analysis.details.subject)})
    prior = analysis.verification
    meta = analysis.meta.model_copy(update={"note": guard.clean(analysis.meta.note)})
    update: dict[str, object] = {
        "company_background": guard.field(analysis.company_background),
        "executive_summary": guard.items(analysis.executive_summary),
        "insights": guard.items(analysis.insights),
        "stages": stages,
        "summary_table": table,
        "recommendations": recommendations,
        "additional_feedback": feedback,
        "details": details,
        "meta": meta,
        "next_steps": _records(analysis.next_steps, public, guard),
        "decisions": _records(analysis.decisions, public, guard),
        "done": _records(analysis.done, public, guard),
        "risks": _records(analysis.risks, public, guard),
        "confidential": _private(secrets, index),
    }
    _once(update)
    update["participant_name"] = _keep_or(analysis.participant_name, guard.clean, "the participant")
    update["company_name"] = _keep_or(analysis.company_name, guard.clean, "the customer")
    # Dropped quotes are gone from the input on a second run, so the running total of quotes ever
    # checked is what earlier runs dropped plus what is present now; this keeps verify idempotent.
    update["verification"] = Verification(
        quotes_checked=prior.quotes_dropped + checked + guard.quotes_checked,
        quotes_dropped=prior.quotes_dropped + dropped + guard.quotes_dropped,
        internal_sentences_removed=prior.internal_sentences_removed + guard.removed,
        private_removed=prior.private_removed + guard.private_removed,
    )
    # Validate the whole result once: a verifier must never hand on an invalid Analysis. Links go from
    # every text field on the way, names and roles included (mcem/links.py: no output carries one).
    data = _without_links(analysis.model_copy(update=update).model_dump())
    # The one link the analysis itself carries: the recording's address from Graph, kept only when
    # mcem/links.py accepts it as a recording (never from the transcript or a model).
    data["details"]["recording_url"] = recording_link(analysis.details.recording_url) or ""  # type: ignore[index]
    return Analysis.model_validate(data)


def _without_links(node: object) -> object:
    if isinstance(node, str):
        return strip_links(node)
    if isinstance(node, dict):
        return {key: _without_links(value) for key, value in node.items()}
    if isinstance(node, list | tuple):
        return [_without_links(value) for value in node]
    return node


R = TypeVar("R", NextStep, Decision, Done, Risk)


def _records(items: list[R], public: Callable[[Quote], Quote | None], guard: _Guard) -> list[R]:
    """Items whose quote is verbatim and public, with their prose cleaned; the rest are dropped."""
    kept: list[R] = []
    seen: set[str] = set()
    for item in items:
        quote = public(item.quote)
        if quote is None:
            continue
        if isinstance(item, NextStep | Done):
            action = guard.clean(item.action)
            if not action:
                continue
            update: dict[str, object] = {"action": action, "owner": guard.clean(item.owner)}
            if isinstance(item, NextStep):
                update["due"] = guard.clean(item.due) or None if item.due else None
        else:
            text = guard.clean(item.text)
            if not text:
                continue
            update = {"text": text}
        key = normalise(str(next(iter(update.values()))))
        if key in seen:
            continue
        seen.add(key)
        kept.append(item.model_copy(update={**update, "quote": quote}))
    return kept


def _sentences_whole_quotes(text: str) -> list[str]:
    """Sentences, but a quotation of several sentences stays in one piece with its lead-in."""
    out: list[str] = []
    for piece in split_sentences(text):
        if out and out[-1].count("“") > out[-1].count("”"):
            out[-1] += " " + piece
        else:
            out.append(piece)
    return out


class _Seen:
    """The quotations a reader has already met, in reading order: each may be shown only once."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def fresh(self, text: str) -> bool:
        key = normalise(text)
        if len(key.split()) < _MIN_PROSE_QUOTE_WORDS:
            return True
        return not any(key in k or k in key for k in self.keys)

    def take(self, text: str) -> None:
        key = normalise(text)
        if len(key.split()) >= _MIN_PROSE_QUOTE_WORDS:
            self.keys.append(key)

    def quote(self, q: Quote | None) -> Quote | None:
        if q is None or not self.fresh(q.text):
            return None
        self.take(q.text)
        return q

    def prose(self, text: str) -> str:
        kept = []
        for sentence in _sentences_whole_quotes(text):
            quoted = [m.group(1) for m in _PROSE_QUOTE.finditer(sentence)]
            if not all(self.fresh(q) for q in quoted):
                continue
            for q in quoted:
                self.take(q)
            kept.append(sentence)
        return " ".join(kept)


def once(analysis: Analysis) -> Analysis:
    """The analysis with every quotation shown once (what ``verify`` does last); analyzers call it too,
    so what they hand over already survives verification unchanged."""
    fields = ("company_background", "executive_summary", "stages", "insights", "risks", "recommendations",
              "decisions", "summary_table", "additional_feedback")  # fmt: skip
    update: dict[str, object] = {k: getattr(analysis, k) for k in fields}
    _once(update)
    return analysis.model_copy(update=update)


def _once(update: dict[str, object]) -> None:
    """No quotation twice: a later repeat is removed (a block quote or excerpt, or the prose sentence
    that carries it), walking the fields in the order the draft shows them."""
    seen = _Seen()

    def items(texts: list[str]) -> list[str]:
        out = [t for t in (seen.prose(t) for t in texts) if t]
        return out or ([PLACEHOLDER] if texts else [])

    update["company_background"] = seen.prose(str(update["company_background"])) or PLACEHOLDER
    update["executive_summary"] = items(update["executive_summary"])  # type: ignore[arg-type]
    stages = []
    for s in update["stages"]:  # type: ignore[attr-defined]
        paragraphs = items(s.paragraphs)
        quotes = [q for q in (seen.quote(q) for q in s.quotes) if q is not None]
        stages.append(s.model_copy(update={"paragraphs": paragraphs, "quotes": quotes}))
    update["stages"] = stages
    update["insights"] = items(update["insights"])  # type: ignore[arg-type]
    # A risk whose sentence was quoted above keeps its plain words; only the repeat goes.
    update["risks"] = [
        r.model_copy(update={"text": seen.prose(r.text) or r.text.split(": “")[0]})
        for r in update["risks"]  # type: ignore[attr-defined]
    ]
    update["recommendations"] = [
        r.model_copy(update={"narrative": seen.prose(r.narrative) or r.title})
        for r in update["recommendations"]  # type: ignore[attr-defined]
    ]
    update["decisions"] = [
        d.model_copy(update={"text": t})
        for d in update["decisions"]  # type: ignore[attr-defined]
        if (t := seen.prose(d.text))
    ]
    table = []
    for r in update["summary_table"]:  # type: ignore[attr-defined]
        table.append(
            r.model_copy(update={"excerpt": seen.quote(r.excerpt), "insight": seen.prose(r.insight)})
        )
    update["summary_table"] = table
    fb = update["additional_feedback"]
    update["additional_feedback"] = fb.model_copy(  # type: ignore[attr-defined]
        update={
            "sentiment": [
                c.model_copy(update={"summary": seen.prose(c.summary) or PLACEHOLDER})
                for c in fb.sentiment  # type: ignore[attr-defined]
            ],
            "other_topics": [t for t in (seen.prose(t) for t in fb.other_topics) if t],  # type: ignore[attr-defined]
        }
    )


def _private(secrets: Secrets, index: _Index) -> list[Quote]:
    out = []
    for a in secrets.asides:
        found = index.find(Quote(text=a.text, speaker=a.speaker))
        start = found.start if found is not None else a.start
        out.append(Quote(text=a.text, speaker=a.speaker, start=start))
    return out


def _keep_or(value: str, clean: Callable[[str], str], fallback: str) -> str:
    return clean(value) or fallback
