"""Word (.docx) -> Analysis: the inverse of mcem/render/docx.py, for drafts people edited in SharePoint.

It reads what the renderer writes — the Title, the Heading 1 sections, the Heading 2 stages, the
"Quote" paragraphs, the numbered recommendations and the summary table — as a person may have left
it in Word: paragraphs reworded, added or removed, table cells edited, recommendations deleted or
added (3 to 5 must remain). Text is taken as Word shows it, so run splits and formatting do not matter.

``base`` is the analysis the draft was made from. Where the document still says exactly what the
renderer wrote for a base value, the base value is kept (with what Word cannot show: quote times to
the fraction of a second, a recommendation's stages, sentiment scores, provenance); where a person
changed it, the document wins. Without a base, everything is read from the document alone.
The summary table and the closing feedback section are read in mcem/render/docx_table_reader.py.

The draft comes from SharePoint, where anyone with edit rights can replace it, so it is untrusted
input: the archive is inflated under :data:`ARCHIVE_LIMITS` (mcem/archive.py) before python-docx
sees it, the body may hold at most :data:`MAX_BLOCKS` paragraphs and tables (a draft has ~100), and
reading stops after :data:`READ_SECONDS`.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta, timezone

import docx
from docx.document import Document as DocxDocument
from docx.table import Table
from docx.text.paragraph import Paragraph

from mcem.archive import ArchiveLimits, ArchiveRefused, repack_bounded
from mcem.deadline import Deadline
from mcem.errors import DraftError
from mcem.model import (
    STAGE_TITLES,
    Analysis,
    AnalysisMeta,
    InterviewDetails,
    Person,
    Quote,
    Recommendation,
    Side,
    Stage,
    StageFeedback,
    Verification,
)
from mcem.render import common as c
from mcem.render.docx_extras_reader import read_extras, split_extras
from mcem.render.docx_table_reader import (
    Block,
    labelled,
    paragraphs_of,
    read_additional,
    read_table,
    speaker_and_start,
    style_of,
    text_of,
)

__all__ = ["DraftError", "analysis_from_docx"]

# Pictures people paste into a draft are already compressed (ratio ~1); its XML is a few hundred KB.
ARCHIVE_LIMITS = ArchiveLimits(max_total=50 * 1024 * 1024)
MAX_BLOCKS = 5_000
READ_SECONDS = 15.0

TITLE_PREFIX = "Interview Analysis"
_REQUIRED = (c.EXECUTIVE_SUMMARY, c.NARRATIVE, c.INSIGHTS, c.RECOMMENDATIONS, c.SUMMARY_TABLE)
_QUOTE = re.compile(r"^[“\"](?P<text>.+)[”\"]\s+—\s+(?P<who>.+)$")
_STAGE_HEADING = re.compile(r"^\s*\d+\s*[.)]\s*")
_DATE = re.compile(
    r"^\w+, (?P<date>\d{1,2} \w+ \d{4}), (?P<time>\d{2}:\d{2})(?: UTC(?P<off>[+-]\d{2}:\d{2})?)?$"
)

_CHECKS = re.compile(
    r"Quotes checked against the transcript: (\d+), dropped as not found: (\d+), "
    r"internal reference text removed: (\d+)"
)
_MODEL = re.compile(r"by the language model (\S+) on ")


def analysis_from_docx(data: bytes, base: Analysis | None = None) -> Analysis:
    """Read a draft (bytes of a .docx) back into an Analysis; DraftError says what is wrong."""
    doc = _open(data)
    deadline = Deadline(
        READ_SECONDS,
        lambda: DraftError(
            f"The draft took longer than {READ_SECONDS:.0f} s to read: it is far larger than an analysis; "
            "restore an earlier version in SharePoint and refresh again."
        ),
    )
    title, sections = _sections(doc, deadline)
    missing = [h for h in _REQUIRED if h not in sections]
    if title is None or missing:
        raise DraftError(
            "This is not an MCEM Interview Analysis draft (no "
            + ("title" if title is None else f"“{missing[0]}” section")
            + "): refresh works only on the Word document the bot saved."
        )
    participant, company = _names(title, base)
    insights, below_insights = split_extras(sections[c.INSIGHTS])
    recs, below_recs = split_extras(sections[c.RECOMMENDATIONS])
    extras = {**below_insights, **below_recs}
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
            insights=_paragraph_list(insights, c.INSIGHTS, base.insights if base else None),
            recommendations=_recommendations(recs, base),
            summary_table=read_table(sections[c.SUMMARY_TABLE], base),
            additional_feedback=read_additional(sections.get(c.ADDITIONAL, []), base),
            **read_extras(extras, base),
            talk=base.talk if base else None,  # measured from the transcript: no edit changes it
            verification=base.verification if base else _verification(_footnote(sections)),
            meta=base.meta if base else _meta(doc, _footnote(sections)),
        )
    except ValueError as err:  # pydantic's ValidationError is a ValueError
        raise DraftError(f"The edited draft cannot be read back: {str(err).splitlines()[0]}.") from None


# -- structure ----------------------------------------------------------------------------------


def _open(data: bytes) -> DocxDocument:
    try:
        packed = repack_bounded(data, ARCHIVE_LIMITS)
    except ArchiveRefused as err:
        raise DraftError(f"The draft {err}: refresh works only on the .docx draft the bot saved.") from None
    try:
        doc = docx.Document(io.BytesIO(packed))
    except Exception as err:  # python-docx raises many types (KeyError, ValueError, lxml errors) on bad parts
        raise DraftError(
            f"This file is not a Word document ({type(err).__name__}): refresh works only on the .docx draft."
        ) from None
    body = doc.element.body
    if body is None:
        raise DraftError("The draft has no body (no text at all): restore an earlier version in SharePoint.")
    if len(body) > MAX_BLOCKS:
        raise DraftError(
            f"The draft has more than {MAX_BLOCKS:,} paragraphs, far more than an analysis: restore an "
            "earlier version in SharePoint and refresh again."
        )
    return doc


def _sections(doc: DocxDocument, deadline: Deadline) -> tuple[str | None, dict[str, list[Block]]]:
    """The title, and the blocks under each known Heading 1 (unknown sections are skipped)."""
    known = {h.casefold(): h for h in (*_REQUIRED, c.COMPANY_BACKGROUND, c.INTERVIEW_DETAILS, c.ADDITIONAL)}
    title: str | None = None
    sections: dict[str, list[Block]] = {}
    current: list[Block] | None = None
    for block in deadline.paced(doc.iter_inner_content(), every=64):
        if isinstance(block, Table):
            if current is not None:
                current.append(block)
            continue
        style, text = style_of(block), text_of(block)
        if style == "Title" and title is None and text.startswith(TITLE_PREFIX):
            title = text
        elif style == "Heading 1":
            name = known.get(text.casefold())
            current = sections.setdefault(name, []) if name else None
        elif current is not None and text:
            current.append(block)
    return title, sections


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
    read = " ".join(text_of(p) for p in paragraphs_of(blocks))
    if base is not None and (c.clean(base.company_background) or c.NOT_RECORDED) == read:
        return base.company_background
    return "" if read == c.NOT_RECORDED else read


def _paragraph_list(blocks: list[Block], section: str, base: list[str] | None) -> list[str]:
    read = [text_of(p) for p in paragraphs_of(blocks)]
    if base is not None and (c.cleaned(base) or [c.NOT_RECORDED]) == read:
        return base
    read = [r for r in read if r != c.NOT_RECORDED]
    if not read:
        raise DraftError(f"The “{section}” section is empty: write at least one paragraph and refresh again.")
    return read


def _details(blocks: list[Block], doc: DocxDocument, base: Analysis | None) -> InterviewDetails:
    old = base.details if base else InterviewDetails(subject=_subject(doc))
    when = labelled(blocks, c.DATE_LABEL)
    date_time = old.date_time if when is None or c.format_when(old.date_time) == when else _parse_when(when)
    return old.model_copy(
        update={
            "date_time": date_time,
            "interviewer": _person(labelled(blocks, c.INTERVIEWER_LABEL), old.interviewer),
            "participant": _person(labelled(blocks, c.PARTICIPANT_LABEL), old.participant),
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
        if isinstance(block, Paragraph) and style_of(block) == "Heading 2":
            stage = by_title.get(_STAGE_HEADING.sub("", text_of(block)).casefold())
            current = found.setdefault(stage.value, []) if stage else None
        elif isinstance(block, Paragraph) and current is not None:
            current.append(block)
    olds = {s.stage: s for s in base.stages} if base else {}
    return [_stage(stage, found.get(stage.value), olds.get(stage)) for stage in STAGE_TITLES]


def _stage(stage: Stage, paragraphs: list[Paragraph] | None, old: StageFeedback | None) -> StageFeedback:
    if paragraphs is None:  # the stage's heading was deleted: nothing to read
        return old or StageFeedback(stage=stage, discussed=False, paragraphs=[c.STAGE_NOT_DISCUSSED])
    prose = [text_of(p) for p in paragraphs if style_of(p) != "Quote"]
    old_quotes = {f"{c.quote_text(q)} — {c.attribution(q)}": q for q in (old.quotes if old else [])}
    quotes = [
        old_quotes.get(t) or _quote(t) for t in (text_of(p) for p in paragraphs if style_of(p) == "Quote")
    ]
    if old is not None and c.stage_paragraphs(old) == prose:
        return old if quotes == old.quotes else old.model_copy(update={"quotes": quotes})
    discussed = bool(quotes) or prose not in ([], [c.STAGE_NOT_DISCUSSED])
    return StageFeedback(
        stage=stage, discussed=discussed, paragraphs=prose or [c.STAGE_NOT_DISCUSSED], quotes=quotes
    )


def _quote(text: str) -> Quote:
    match = _QUOTE.match(text)
    if match is None:
        return Quote(text=text.strip('“”"'), speaker="Unknown speaker")
    speaker, start = speaker_and_start(match["who"])
    return Quote(text=match["text"].strip(), speaker=speaker or "Unknown speaker", start=start)


def _recommendations(blocks: list[Block], base: Analysis | None) -> list[Recommendation]:
    olds = base.recommendations if base else []
    rendered = {f"{c.clean(r.title)} — {c.clean(r.narrative)}": r for r in olds}
    by_title = {c.clean(r.title).casefold(): r for r in olds}
    recs: list[Recommendation] = []
    for paragraph in paragraphs_of(blocks):
        text = text_of(paragraph)
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
    text = text_of(paragraph)
    title = c.clean(bold)
    if title and text.startswith(title):
        narrative = text[len(title) :].lstrip(" —–-:")
    else:
        head, _, tail = re.sub(r"\s[—–]\s", " — ", text, count=1).partition(" — ")
        title, narrative = head.strip(), tail.strip()
    return title or text, narrative or title or text


def _footnote(sections: dict[str, list[Block]]) -> str:
    """The renderer's italic provenance line at the foot of the document."""
    return " ".join(
        text_of(p) for p in paragraphs_of(sections.get(c.ADDITIONAL, [])) if p.runs and p.runs[0].italic
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
