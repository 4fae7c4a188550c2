"""Analysis -> Markdown, in the template's customer-facing sections and order.

Every piece of text from the analysis is escaped (see ``escape``): a transcript is untrusted, and a
line such as ``<img src=x onerror=...>`` or ``# Heading`` must show as typed, not become markup.
"""

from __future__ import annotations

import re

from mcem.model import ROLE_TITLES, Analysis, Quote, RoleSummary, TalkTime
from mcem.render import common as c

__all__ = ["escape", "to_markdown"]

# Backslash escapes for every character CommonMark/GFM give meaning to inside a line. ``<`` above all:
# escaped, it can never open an HTML tag or an autolink.
_INLINE = re.compile(r"([\\`*_\[\]<>|~])")
# Entity and character references ("&lt;", "&#60;") would be decoded by a Markdown reader.
_ENTITY = re.compile(r"&(?=#?\w+;)")
# What would turn the start of a line into a heading, a list item or a thematic break.
_LINE_MARK = re.compile(r"^(?=[#+=-])")
_ORDERED = re.compile(r"^(\d+)(?=[.)])")


def escape(text: str) -> str:
    """Cleaned analysis text as literal Markdown: one line, no markup, no HTML."""
    text = _ENTITY.sub(r"\\&", _INLINE.sub(r"\\\1", c.clean(text)))
    return _ORDERED.sub(r"\1\\", _LINE_MARK.sub("\\\\", text))


def to_markdown(analysis: Analysis) -> str:
    blocks: list[str] = [
        f"# Interview Analysis – {escape(analysis.participant_name)}, {escape(analysis.company_name)}",
        f"**{c.COMPANY_BACKGROUND}**",
        *_paragraphs([analysis.company_background]),
        f"**{c.EXECUTIVE_SUMMARY}**",
        *_paragraphs(analysis.executive_summary),
        "---",
        *_interview_details(analysis),
        "---",
        *_flywheel(),
        "---",
        *_narrative(analysis),
        f"## {c.INSIGHTS}",
        *_paragraphs(analysis.insights),
        *_listed(c.RISKS_LABEL, [(r.text, r.quote) for r in analysis.risks]),
        "---",
        f"## {c.RECOMMENDATIONS}",
        "\n".join(
            f"{i}. **{escape(r.title)}** — {escape(r.narrative)}"
            for i, r in enumerate(analysis.recommendations, 1)
        ),
        *_listed(c.NEXT_STEPS_LABEL, [(c.next_step_text(s), s.quote) for s in analysis.next_steps]),
        *_listed(c.DECISIONS_LABEL, [(d.text, d.quote) for d in analysis.decisions]),
        "---",
        f"## {c.SUMMARY_TABLE}",
        _summary_table(analysis.summary_table),
        "---",
        *_additional(analysis),
        "---",
        f"*{escape(c.provenance(analysis))}*",
    ]
    return "\n\n".join(blocks) + "\n"


def _paragraphs(items: list[str]) -> list[str]:
    return [escape(p) for p in c.cleaned(items)] or [escape(c.NOT_RECORDED)]


def _listed(label: str, items: list[tuple[str, Quote]]) -> list[str]:
    """A bold label and its bullets; each item names who said it and when, without repeating the quote."""
    if not items:
        return []
    lines = [f"- {escape(c.as_sentence(text).rstrip('.'))} ({_attribution(q)})" for text, q in items]
    return [f"**{label}**", "\n".join(lines)]


def _interview_details(analysis: Analysis) -> list[str]:
    details = analysis.details
    bullets = [
        (c.DATE_LABEL, c.format_when(details.date_time)),
        (c.INTERVIEWER_LABEL, c.person_label(details.interviewer)),
        (c.PARTICIPANT_LABEL, c.person_label(details.participant)),
    ]
    out = [
        f"## {c.INTERVIEW_DETAILS}",
        "\n".join(f"- **{label}:** {escape(value)}" for label, value in bullets),
    ]
    if analysis.talk is not None:
        out += _talk(analysis.talk)
    return out


def _talk(talk: TalkTime) -> list[str]:
    """The Word draft's talk-time block without its chart: the flag first, then each side in words."""
    flag = c.listen_flag_text(talk)
    sides = "\n".join(f"- {escape(c.side_talk_text(talk, side))}" for side in talk.sides)
    notes = [escape(line) for line in (c.monologue_text(talk), c.talk_basis_note(talk)) if line]
    return [f"**{c.TALK_LABEL}**", *([f"**{escape(flag)}**"] if flag else []), sides, *notes]


def _flywheel() -> list[str]:
    lines = "\n".join(f"{i}. **{t}:** {d}" for i, (t, d) in enumerate(c.flywheel_lines(), 1))
    return [f"## {c.FLYWHEEL_OVERVIEW}", c.FLYWHEEL_INTRO, lines]


def _attribution(quote: Quote) -> str:
    # The time is ours, not transcript text: its brackets stay unescaped (no link can follow them).
    speaker, when = c.speaker_and_time(quote)
    return f"{escape(speaker)}, {when}" if when else escape(speaker)


def _blockquote(quote: Quote) -> str:
    return f"> {escape(c.quote_text(quote))} — {_attribution(quote)}"


def _narrative(analysis: Analysis) -> list[str]:
    blocks = [f"## {c.NARRATIVE}"]
    for i, stage in enumerate(analysis.stages, 1):
        blocks.append(f"### {c.stage_heading(i, stage)}")
        blocks += [escape(p) for p in c.stage_paragraphs(stage)]
        blocks += [_blockquote(q) for q in stage.quotes]
        blocks.append("---")
    return blocks


def _cell(text: str) -> str:
    # escape() has already made '|' literal and the text one line; an empty cell still needs a space.
    return escape(text) or " "


def _excerpt_cell(row: RoleSummary) -> str:
    insight = escape(row.insight)
    if row.excerpt is None:
        return insight or " "
    quoted = f"{escape(c.quote_text(row.excerpt))} ({_attribution(row.excerpt)})"
    return f"{quoted} — {insight}" if insight else quoted


def _summary_table(rows: list[RoleSummary]) -> str:
    lines = [
        "| " + " | ".join(c.TABLE_COLUMNS) + " |",
        "| " + " | ".join("---" for _ in c.TABLE_COLUMNS) + " |",
    ]
    for row in rows:
        cells = (f"**{ROLE_TITLES[row.role]}**", _excerpt_cell(row), _cell(c.actions_text(row.actions)))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _additional(analysis: Analysis) -> list[str]:
    feedback = analysis.additional_feedback
    sentiment = [
        f"- **{escape(c.sentiment_heading(s))}:** {escape(s.summary)}" for s in feedback.sentiment
    ] or [f"- {escape(c.NOT_RECORDED)}"]
    topics = [f"- {t}" for t in (escape(t) for t in c.cleaned(feedback.other_topics))] or [
        f"- {c.NO_OTHER_TOPICS}"
    ]
    return [
        f"## {c.ADDITIONAL}",
        f"**{c.MOOD_LABEL}:** {escape(feedback.overall_mood) or c.NOT_RECORDED}",
        f"**{c.SENTIMENT_LABEL}**",
        "\n".join(sentiment),
        f"**{c.TOPICS_LABEL}**",
        "\n".join(topics),
    ]
