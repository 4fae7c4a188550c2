"""Reading a Word draft back, part two: the summary table and the closing "Additional Customer
Feedback and Topics" section, plus the small text helpers both parts of the reader share.

See mcem/render/docx_reader.py for the rules: text as Word shows it, base values kept wherever the
document still says what the renderer wrote for them, edits win, DraftError for what cannot be read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import cast

from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from mcem.errors import DraftError
from mcem.model import (
    ROLE_TITLES,
    AdditionalFeedback,
    Analysis,
    CompanySentiment,
    Quote,
    Role,
    RoleSummary,
    SentimentLabel,
)
from mcem.render import common as c

__all__ = [
    "Block",
    "labelled",
    "paragraphs_of",
    "read_additional",
    "read_table",
    "speaker_and_start",
    "style_of",
    "text_of",
]

_EXCERPT = re.compile(r"^[“\"](?P<text>.+)[”\"]\s+\((?P<who>[^()]+)\)$")
_WHEN = re.compile(r"^(?P<speaker>.*?),?\s*\[(?:(?P<h>\d{1,7}):)?(?P<m>\d{1,2}):(?P<s>\d{2})\]$")
_SENTIMENT = re.compile(
    r"^(?P<company>.+?) — (?P<label>positive|neutral|negative|mixed|not mentioned)"
    r"(?: \((?P<score>[+-]?\d+(?:\.\d+)?)\))?:\s*(?P<summary>.*)$"
)

Block = Paragraph | Table


def text_of(block: Paragraph) -> str:
    return c.clean(block.text)


def style_of(block: Paragraph) -> str:
    return block.style.name if block.style is not None else ""


def paragraphs_of(blocks: list[Block]) -> list[Paragraph]:
    return [b for b in blocks if isinstance(b, Paragraph) and text_of(b)]


def labelled(blocks: list[Block], label: str) -> str | None:
    for p in paragraphs_of(blocks):
        text = text_of(p)
        if text.startswith(label + ":"):
            return text[len(label) + 1 :].strip()
    return None


def speaker_and_start(who: str) -> tuple[str, float | None]:
    match = _WHEN.match(who.strip())
    if match is None:
        return who.strip(), None
    seconds = int(match["h"] or 0) * 3600 + int(match["m"]) * 60 + int(match["s"])
    return match["speaker"].strip(), float(seconds)


def read_table(blocks: list[Block], base: Analysis | None) -> list[RoleSummary]:
    tables = [b for b in blocks if isinstance(b, Table)]
    header = [c.clean(cell.text) for cell in tables[0].rows[0].cells] if tables else []
    if not tables or header != list(c.TABLE_COLUMNS):
        raise DraftError(
            "The summary table is missing or its columns were changed; restore it and refresh again."
        )
    rows = tables[0].rows[1:]
    roles = [c.clean(row.cells[0].text) for row in rows]
    if roles != list(ROLE_TITLES.values()):
        raise DraftError(
            "The summary table must keep its seven role rows in the template's order; "
            "restore them and refresh again."
        )
    olds = {r.role: r for r in base.summary_table} if base else {}
    return [_role_row(role, row.cells, olds.get(role)) for role, row in zip(ROLE_TITLES, rows, strict=True)]


def _role_row(role: Role, cells: Sequence[_Cell], old: RoleSummary | None) -> RoleSummary:
    middle = [t for t in (c.clean(p.text) for p in cells[1].paragraphs) if t]
    actions = [t for t in (c.clean(p.text) for p in cells[2].paragraphs) if t]
    excerpt, insight = old.excerpt if old else None, old.insight if old else ""
    if old is None or middle != _rendered_middle(old):
        found = _EXCERPT.match(middle[0]) if middle else None
        if found:
            same = old is not None and old.excerpt is not None and _rendered_middle(old)[0] == middle[0]
            if not same:
                speaker, start = speaker_and_start(found["who"])
                excerpt = Quote(text=found["text"], speaker=speaker or "Unknown speaker", start=start)
            insight = " ".join(middle[1:])
        else:
            excerpt, insight = None, " ".join(middle)
    if old is None or actions != [c.as_sentence(a) for a in c.cleaned(old.actions)]:
        if not actions:
            raise DraftError(
                f"“{ROLE_TITLES[role]}” has no proposed action in the summary table; "
                "add one and refresh again."
            )
    else:
        actions = old.actions
    return RoleSummary(role=role, excerpt=excerpt, insight=insight, actions=actions)


def _rendered_middle(row: RoleSummary) -> list[str]:
    if row.excerpt is None:
        return [t for t in [c.clean(row.insight)] if t]
    first = f"{c.quote_text(row.excerpt)} ({c.attribution(row.excerpt)})"
    return [first, *[t for t in [c.clean(row.insight)] if t]]


def read_additional(blocks: list[Block], base: Analysis | None) -> AdditionalFeedback:
    old = base.additional_feedback if base else None
    mood = labelled(blocks, c.MOOD_LABEL)
    if old is not None and (mood is None or (c.clean(old.overall_mood) or c.NOT_RECORDED) == mood):
        mood = old.overall_mood
    elif mood in (None, c.NOT_RECORDED):
        mood = ""
    sentiment_lines: list[str] = []
    topics: list[str] = []
    into: list[str] | None = None
    for p in paragraphs_of(blocks):
        text = text_of(p)
        if text == c.SENTIMENT_LABEL:
            into = sentiment_lines
        elif text == c.TOPICS_LABEL:
            into = topics
        elif into is not None and style_of(p) == "List Bullet":
            into.append(text)
        else:
            into = None  # the provenance footnote, or a paragraph a person added: not a list item
    olds = {f"{c.sentiment_heading(s)}: {c.clean(s.summary)}": s for s in (old.sentiment if old else [])}
    sentiment = [olds.get(line) or _sentiment(line) for line in sentiment_lines if line != c.NOT_RECORDED]
    if old is not None and (c.cleaned(old.other_topics) or [c.NO_OTHER_TOPICS]) == topics:
        topics = old.other_topics
    topics = [t for t in topics if t != c.NO_OTHER_TOPICS]
    return AdditionalFeedback(overall_mood=mood or "", sentiment=sentiment, other_topics=topics)


def _sentiment(line: str) -> CompanySentiment:
    match = _SENTIMENT.match(line)
    if match is None:
        raise DraftError(
            f"A sentiment line must read “Company — positive, neutral, negative, mixed or not mentioned: "
            f"summary”; fix “{line[:60]}” and refresh again."
        )
    score = float(match["score"]) if match["score"] else None
    if score is not None and not -1 <= score <= 1:
        score = None
    return CompanySentiment(
        company=match["company"],
        label=cast(SentimentLabel, match["label"]),
        score=score,
        summary=match["summary"],
    )
