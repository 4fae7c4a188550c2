"""Word (.docx) -> Analysis: the inverse of mcem/render/docx.py, for drafts people edited in SharePoint.

It reads what the renderer writes — the Title, the Heading 1 sections, the Heading 2 stages, the
"Quote" paragraphs, the numbered recommendations and the summary table — as a person may have left
it in Word: paragraphs reworded, added or removed, table cells edited, recommendations deleted or
added (3 to 5 must remain). Text is taken as Word shows it, so run splits and formatting do not matter.

``base`` is the analysis the draft was made from. Where the document still says exactly what the
renderer wrote for a base value, the base value is kept (with what Word cannot show: quote times to
the fraction of a second, a recommendation's stages, sentiment scores, provenance); where a person
changed it, the document wins. Without a base, everything is read from the document alone.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import cast

import docx
from docx.document import Document as DocxDocument
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from mcem.errors import MCEMError
from mcem.model import (
    ROLE_TITLES,
    STAGE_TITLES,
    AdditionalFeedback,
    Analysis,
    AnalysisMeta,
    CompanySentiment,
    InterviewDetails,
    Person,
    Quote,
    Recommendation,
    Role,
    RoleSummary,
    SentimentLabel,
    Side,
    Stage,
    StageFeedback,
    Verification,
)
from mcem.render import common as c

__all__ = ["DraftError", "analysis_from_docx"]

TITLE_PREFIX = "Interview Analysis"
_REQUIRED = (c.EXECUTIVE_SUMMARY, c.NARRATIVE, c.INSIGHTS, c.RECOMMENDATIONS, c.SUMMARY_TABLE)
_QUOTE = re.compile(r"^[“\"](?P<text>.+)[”\"]\s+—\s+(?P<who>.+)$")
_EXCERPT = re.compile(r"^[“\"](?P<text>.+)[”\"]\s+\((?P<who>[^()]+)\)$")
_WHEN = re.compile(r"^(?P<speaker>.*?),?\s*\[(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{2})\]$")
_SENTIMENT = re.compile(
    r"^(?P<company>.+?) — (?P<label>positive|neutral|negative|mixed|not mentioned)"
    r"(?: \((?P<score>[+-]?\d+(?:\.\d+)?)\))?:\s*(?P<summary>.*)$"
)
_STAGE_HEADING = re.compile(r"^\s*\d+\s*[.)]\s*")
_DATE = re.compile(
    r"^\w+, (?P<date>\d{1,2} \w+ \d{4}), (?P<time>\d{2}:\d{2})(?: UTC(?P<off>[+-]\d{2}:\d{2})?)?$"
)

_CHECKS = re.compile(
    r"Quotes checked against the transcript: (\d+), dropped as not found: (\d+), "
    r"internal reference text removed: (\d+)"
)
_MODEL = re.compile(r"by the language model (\S+) on ")

Block = Paragraph | Table


class DraftError(MCEMError):
    """The document is not an MCEM draft, or an edit left it without something the analysis needs."""


def analysis_from_docx(data: bytes, base: Analysis | None = None) -> Analysis:
    """Read a draft (bytes of a .docx) back into an Analysis; DraftError says what is wrong."""
    doc = _open(data)
    title, sections = _sections(doc)
    missing = [h for h in _REQUIRED if h not in sections]
    if title is None or missing:
        raise DraftError(
            "This is not an MCEM Interview Analysis draft (no "
            + ("title" if title is None else f"“{missing[0]}” section")
            + "): refresh works only on the Word document the bot saved."
        )
    participant, company = _names(title, base)
    try:
        return Analysis(
            participant_name=participant,
            company_name=company,
            company_background=_background(sections.get(c.COMPANY_BACKGROUND, []), base),
            executive_summary=_paragraph_list(
                sections[c.EXECUTIVE_SUMMARY], c.EXECUTIVE_SUMMARY, base.executive_summary if base else None
            ),
            details=_details(sections.get(c.INTERVIEW_DETAILS, []), doc, base),
            stages=_stages(sections[c.NARRATIVE], base),
            insights=_paragraph_list(sections[c.INSIGHTS], c.INSIGHTS, base.insights if base else None),
            recommendations=_recommendations(sections[c.RECOMMENDATIONS], base),
            summary_table=_table(sections[c.SUMMARY_TABLE], base),
            additional_feedback=_additional(sections.get(c.ADDITIONAL, []), base),
            verification=base.verification if base else _verification(_footnote(sections)),
            meta=base.meta if base else _meta(doc, _footnote(sections)),
        )
    except ValueError as err:  # pydantic's ValidationError is a ValueError
        raise DraftError(f"The edited draft cannot be read back: {str(err).splitlines()[0]}.") from None


# -- structure ----------------------------------------------------------------------------------


def _open(data: bytes) -> DocxDocument:
    try:
        return docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as err:
        raise DraftError(
            f"This file is not a Word document ({type(err).__name__}): refresh works only on the .docx draft."
        ) from None


def _text(block: Paragraph) -> str:
    return c.clean(block.text)


def _style(block: Paragraph) -> str:
    return block.style.name if block.style is not None else ""


def _sections(doc: DocxDocument) -> tuple[str | None, dict[str, list[Block]]]:
    """The title, and the blocks under each known Heading 1 (unknown sections are skipped)."""
    known = {h.casefold(): h for h in (*_REQUIRED, c.COMPANY_BACKGROUND, c.INTERVIEW_DETAILS, c.ADDITIONAL)}
    title: str | None = None
    sections: dict[str, list[Block]] = {}
    current: list[Block] | None = None
    for block in doc.iter_inner_content():
        if isinstance(block, Table):
            if current is not None:
                current.append(block)
            continue
        style, text = _style(block), _text(block)
        if style == "Title" and title is None and text.startswith(TITLE_PREFIX):
            title = text
        elif style == "Heading 1":
            name = known.get(text.casefold())
            current = sections.setdefault(name, []) if name else None
        elif current is not None and text:
            current.append(block)
    return title, sections


def _paragraphs(blocks: list[Block]) -> list[Paragraph]:
    return [b for b in blocks if isinstance(b, Paragraph) and _text(b)]


def _keep(base_value: object, rendered: object, read: object) -> bool:
    """True when the document still shows exactly what the renderer made of the base value."""
    return base_value is not None and rendered == read


# -- sections -----------------------------------------------------------------------------------


def _names(title: str, base: Analysis | None) -> tuple[str, str]:
    if base is not None and c.clean(base.title) == title:
        return base.participant_name, base.company_name
    rest = title.removeprefix(TITLE_PREFIX).strip(" –-:")
    participant, comma, company = rest.partition(", ")
    if not comma or not participant.strip() or not company.strip():
        raise DraftError(
            "The title must read “Interview Analysis – <participant>, <company>”; fix it and refresh again."
        )
    return participant.strip(), company.strip()


def _background(blocks: list[Block], base: Analysis | None) -> str:
    read = " ".join(_text(p) for p in _paragraphs(blocks))
    if base is not None and (c.clean(base.company_background) or c.NOT_RECORDED) == read:
        return base.company_background
    return "" if read == c.NOT_RECORDED else read


def _paragraph_list(blocks: list[Block], section: str, base: list[str] | None) -> list[str]:
    read = [_text(p) for p in _paragraphs(blocks)]
    if base is not None and (c.cleaned(base) or [c.NOT_RECORDED]) == read:
        return base
    read = [r for r in read if r != c.NOT_RECORDED]
    if not read:
        raise DraftError(f"The “{section}” section is empty: write at least one paragraph and refresh again.")
    return read


def _labelled(blocks: list[Block], label: str) -> str | None:
    for p in _paragraphs(blocks):
        text = _text(p)
        if text.startswith(label + ":"):
            return text[len(label) + 1 :].strip()
    return None


def _details(blocks: list[Block], doc: DocxDocument, base: Analysis | None) -> InterviewDetails:
    old = base.details if base else InterviewDetails(subject=_subject(doc))
    when = _labelled(blocks, c.DATE_LABEL)
    date_time = old.date_time if when is None or c.format_when(old.date_time) == when else _parse_when(when)
    return old.model_copy(
        update={
            "date_time": date_time,
            "interviewer": _person(_labelled(blocks, c.INTERVIEWER_LABEL), old.interviewer),
            "participant": _person(_labelled(blocks, c.PARTICIPANT_LABEL), old.participant),
        }
    )


def _subject(doc: DocxDocument) -> str:
    subject = c.clean(doc.core_properties.subject or "")
    return "" if subject == "MCEM Interview Analysis" else subject


def _parse_when(text: str) -> datetime | None:
    match = _DATE.match(text)
    if match is None:
        return None
    try:
        moment = datetime.strptime(f"{match['date']} {match['time']}", "%d %B %Y %H:%M")
    except ValueError:
        return None
    if match["off"]:
        sign = 1 if match["off"][0] == "+" else -1
        hours, minutes = (int(x) for x in match["off"][1:].split(":"))
        return moment.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))
    return moment.replace(tzinfo=UTC) if "UTC" in text else moment


def _person(read: str | None, old: Person | None) -> Person | None:
    if read is None or c.person_label(old) == read:
        return old
    if read == c.NOT_RECORDED:
        return None
    name, _, role = read.partition(", ")
    side = old.side if old is not None and c.clean(old.name) == name else Side.unknown
    return Person(name=name, role=role, side=side)


def _stages(blocks: list[Block], base: Analysis | None) -> list[StageFeedback]:
    by_title = {title.casefold(): stage for stage, title in STAGE_TITLES.items()}
    found: dict[str, list[Paragraph]] = {}
    current: list[Paragraph] | None = None
    for block in blocks:
        if isinstance(block, Paragraph) and _style(block) == "Heading 2":
            stage = by_title.get(_STAGE_HEADING.sub("", _text(block)).casefold())
            current = found.setdefault(stage.value, []) if stage else None
        elif isinstance(block, Paragraph) and current is not None:
            current.append(block)
    olds = {s.stage: s for s in base.stages} if base else {}
    return [_stage(stage, found.get(stage.value), olds.get(stage)) for stage in STAGE_TITLES]


def _stage(stage: Stage, paragraphs: list[Paragraph] | None, old: StageFeedback | None) -> StageFeedback:
    if paragraphs is None:  # the stage's heading was deleted: nothing to read
        return old or StageFeedback(stage=stage, discussed=False, paragraphs=[c.STAGE_NOT_DISCUSSED])
    prose = [_text(p) for p in paragraphs if _style(p) != "Quote"]
    old_quotes = {f"{c.quote_text(q)} — {c.attribution(q)}": q for q in (old.quotes if old else [])}
    quotes = [old_quotes.get(t) or _quote(t) for t in (_text(p) for p in paragraphs if _style(p) == "Quote")]
    if old is not None and c.stage_paragraphs(old) == prose:
        return old if quotes == old.quotes else old.model_copy(update={"quotes": quotes})
    discussed = bool(quotes) or prose not in ([], [c.STAGE_NOT_DISCUSSED])
    return StageFeedback(
        stage=stage, discussed=discussed, paragraphs=prose or [c.STAGE_NOT_DISCUSSED], quotes=quotes
    )


def _speaker_and_start(who: str) -> tuple[str, float | None]:
    match = _WHEN.match(who.strip())
    if match is None:
        return who.strip(), None
    seconds = int(match["h"] or 0) * 3600 + int(match["m"]) * 60 + int(match["s"])
    return match["speaker"].strip(), float(seconds)


def _quote(text: str) -> Quote:
    match = _QUOTE.match(text)
    if match is None:
        return Quote(text=text.strip('“”"'), speaker="Unknown speaker")
    speaker, start = _speaker_and_start(match["who"])
    return Quote(text=match["text"].strip(), speaker=speaker or "Unknown speaker", start=start)


def _recommendations(blocks: list[Block], base: Analysis | None) -> list[Recommendation]:
    olds = base.recommendations if base else []
    rendered = {f"{c.clean(r.title)} — {c.clean(r.narrative)}": r for r in olds}
    by_title = {c.clean(r.title).casefold(): r for r in olds}
    recs: list[Recommendation] = []
    for paragraph in _paragraphs(blocks):
        text = _text(paragraph)
        if text in rendered:
            recs.append(rendered[text])
            continue
        title, narrative = _title_and_narrative(paragraph)
        old = by_title.get(title.casefold())
        recs.append(Recommendation(title=title, narrative=narrative, stages=old.stages if old else []))
    if not 3 <= len(recs) <= 5:
        raise DraftError(
            f"The draft lists {len(recs)} recommendations; keep 3 to 5 in “{c.RECOMMENDATIONS}” "
            "and refresh again."
        )
    return recs


def _title_and_narrative(paragraph: Paragraph) -> tuple[str, str]:
    """The bold lead-in is the title; without one, the text before the first dash."""
    bold = ""
    for run in paragraph.runs:
        if not run.bold:
            break
        bold += run.text
    text = _text(paragraph)
    title = c.clean(bold)
    if title and text.startswith(title):
        narrative = text[len(title) :].lstrip(" —–-:")
    else:
        head, _, tail = re.sub(r"\s[—–]\s", " — ", text, count=1).partition(" — ")
        title, narrative = head.strip(), tail.strip()
    return title or text, narrative or title or text


def _table(blocks: list[Block], base: Analysis | None) -> list[RoleSummary]:
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
                speaker, start = _speaker_and_start(found["who"])
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


def _additional(blocks: list[Block], base: Analysis | None) -> AdditionalFeedback:
    old = base.additional_feedback if base else None
    mood = _labelled(blocks, c.MOOD_LABEL)
    if old is not None and (mood is None or (c.clean(old.overall_mood) or c.NOT_RECORDED) == mood):
        mood = old.overall_mood
    elif mood in (None, c.NOT_RECORDED):
        mood = ""
    sentiment_lines: list[str] = []
    topics: list[str] = []
    into: list[str] | None = None
    for p in _paragraphs(blocks):
        text = _text(p)
        if text == c.SENTIMENT_LABEL:
            into = sentiment_lines
        elif text == c.TOPICS_LABEL:
            into = topics
        elif into is not None and _style(p) == "List Bullet":
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


def _footnote(sections: dict[str, list[Block]]) -> str:
    """The renderer's italic provenance line at the foot of the document."""
    return " ".join(
        _text(p) for p in _paragraphs(sections.get(c.ADDITIONAL, [])) if p.runs and p.runs[0].italic
    )


def _verification(footnote: str) -> Verification:
    """The counts the provenance line states: the checks happened when the draft was made."""
    found = _CHECKS.search(footnote)
    if found is None:
        return Verification()
    checked, dropped, removed = (int(n) for n in found.groups())
    return Verification(quotes_checked=checked, quotes_dropped=dropped, internal_sentences_removed=removed)


def _meta(doc: DocxDocument, footnote: str) -> AnalysisMeta:
    engine = "offline" if "offline analyzer" in footnote else "llm"
    model = _MODEL.search(footnote)
    created = doc.core_properties.created or datetime.now(UTC)
    created = created if created.tzinfo else created.replace(tzinfo=UTC)
    return AnalysisMeta(
        engine=engine,
        model=model.group(1) if model and engine == "llm" else "",
        generated_at=created,
        note="read back from the edited Word draft",
    )
