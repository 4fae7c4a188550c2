"""Analysis -> Word (.docx) bytes: the template's sections with Word's built-in styles.

Title / Heading 1 / Heading 2 carry the structure (so Word's navigation pane and a table of contents
work), quotes use the built-in "Quote" style, and the summary table is a real table whose header row
repeats on every page. The same Analysis always gives the same bytes: dates come from
``meta.generated_at`` and the zip entries get fixed timestamps.

Nothing is left to the reader's defaults: the page (Letter or A4, 1" margins) and the fonts are
set explicitly, and each table's grid, cell widths and table width add up to exactly the text
width of the page, with a fixed layout, so Word and LibreOffice draw the same tables.
"""

from __future__ import annotations

import functools
import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from docx import Document
from docx.blkcntnr import BlockItemContainer
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Inches, Length, Mm, Pt, RGBColor, Twips
from docx.styles.styles import Styles
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from mcem.model import ROLE_TITLES, Analysis, Quote, RoleSummary, TalkTime
from mcem.render import common as c
from mcem.render.chart import COLOURS, talk_chart_png

__all__ = ["AUTHOR", "PAPERS", "Paper", "to_docx"]

AUTHOR = "MCEM Analyst"
BODY_FONT = "Cambria"  # the faces the default theme named; now written out, so no reader guesses
HEADING_FONT = "Calibri"
MARGIN = Inches(1)
# Role, excerpt and insight, actions: shares of the text width.
_COLUMN_SHARES = (3, 6, 4)
_HEADER_FILL = "D9E2F3"
_PRIVATE_FILL = "FCE4E4"
_PROPERTY_LIMIT = 255
_LINK_BLUE = RGBColor(0x05, 0x63, 0xC1)  # Word's own hyperlink colour


@dataclass(frozen=True)
class Paper:
    width: Length
    height: Length


PAPERS: dict[str, Paper] = {
    "letter": Paper(Inches(8.5), Inches(11)),
    "a4": Paper(Mm(210), Mm(297)),
}


def _paragraph(container: BlockItemContainer, text: str = "", style: str | None = None) -> Paragraph:
    """``container.add_paragraph(text, style)``, with the style's id looked up once per process."""
    paragraph = container.add_paragraph(text)
    if style is not None:
        _style(paragraph, style)
    return paragraph


def _heading(doc: DocxDocument, text: str, level: int) -> Paragraph:
    """``doc.add_heading(text, level)`` through ``_paragraph``."""
    return _paragraph(doc, text, "Title" if level == 0 else f"Heading {level}")


def _style(paragraph: Paragraph, style: str) -> None:
    # The XML python-docx's ``paragraph.style = name`` writes, without its lookup: it finds a style by
    # name by scanning every style of the document, then scans them all again for the default one —
    # half of the time a draft took to render (~90 styled paragraphs).
    paragraph._p.style = _style_id(style)


@functools.cache
def _style_id(name: str) -> str | None:
    """The id of a paragraph style of python-docx's default template, which every draft starts from
    (``Document()``); None for the default style, which python-docx writes as no style at all."""
    styles = _template_styles()
    style = styles[name]
    return None if style == styles.default(style.type) else style.style_id


@functools.cache
def _template_styles() -> Styles:
    return Document().styles


def to_docx(analysis: Analysis, *, paper: Literal["letter", "a4"] = "letter") -> bytes:
    doc = Document()
    _page(doc, PAPERS[paper])
    _fonts(doc)
    _core_properties(doc, analysis)
    _header_and_footer(doc)

    _heading(doc, c.clean(analysis.title), 0)
    recording = analysis.details.recording_url
    _private_box(doc, analysis.confidential, recording)
    _section(doc, c.COMPANY_BACKGROUND, [analysis.company_background])
    _section(doc, c.EXECUTIVE_SUMMARY, analysis.executive_summary)
    _interview_details(doc, analysis)
    _flywheel(doc)
    _narrative(doc, analysis, recording)
    _section(doc, c.INSIGHTS, analysis.insights)
    _listed(doc, c.RISKS_LABEL, [(r.text, r.quote) for r in analysis.risks], recording)
    _recommendations(doc, analysis)
    _listed(doc, c.NEXT_STEPS_LABEL, [(c.next_step_text(s), s.quote) for s in analysis.next_steps], recording)
    _listed(doc, c.DECISIONS_LABEL, [(d.text, d.quote) for d in analysis.decisions], recording)
    _heading(doc, c.SUMMARY_TABLE, 1)
    _summary_table(doc, analysis.summary_table, recording)
    _additional(doc, analysis)

    footnote = doc.add_paragraph()
    footnote.paragraph_format.space_before = Pt(18)
    run = footnote.add_run(c.provenance(analysis))
    run.italic = True
    run.font.size = Pt(9)
    run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)

    buffer = io.BytesIO()
    doc.save(buffer)
    return _stable_zip(buffer.getvalue(), analysis.meta.generated_at)


def _page(doc: DocxDocument, paper: Paper) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = paper.width, paper.height
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = MARGIN


def _text_width(doc: DocxDocument) -> int:
    """The width between the margins in twips (the unit of a table grid), as the section says."""
    section = doc.sections[0]
    return Emu(section.page_width - section.left_margin - section.right_margin).twips


def _fonts(doc: DocxDocument) -> None:
    """Every theme font reference becomes a named font, and the body size is stated."""
    styles = doc.styles.element
    for fonts in styles.iter(qn("w:rFonts")):
        theme = fonts.get(qn("w:asciiTheme")) or ""
        if not theme and fonts.get(qn("w:ascii")):
            continue  # already a named font (the template's code styles)
        face = HEADING_FONT if theme.startswith("major") else BODY_FONT
        for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            fonts.attrib.pop(qn(f"w:{attr}"), None)
        for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
            fonts.set(qn(f"w:{attr}"), face)
    doc.styles["Normal"].font.size = Pt(11)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _fit(text: str) -> str:
    """Core properties hold at most 255 characters."""
    text = c.clean(text)
    return text if len(text) <= _PROPERTY_LIMIT else text[: _PROPERTY_LIMIT - 1].rstrip() + "…"


def _core_properties(doc: DocxDocument, analysis: Analysis) -> None:
    meta = analysis.meta
    props = doc.core_properties
    props.title = _fit(analysis.title)
    props.subject = _fit(analysis.details.subject or "MCEM Interview Analysis")
    props.author = AUTHOR
    props.last_modified_by = AUTHOR
    props.category = "MCEM Interview Analysis"
    props.keywords = _fit(
        "; ".join(["MCEM", "interview analysis", analysis.company_name, analysis.participant_name])
    )
    engine = f"{meta.engine} analyzer" + (f", model {meta.model}" if meta.model else "")
    props.comments = _fit(f"Draft generated by {AUTHOR} ({engine}). {c.CONFIDENTIAL}.")
    props.created = props.modified = _utc(analysis.meta.generated_at)
    props.revision = 1


def _header_and_footer(doc: DocxDocument) -> None:
    section = doc.sections[0]
    header = section.header.paragraphs[0]
    header.text = c.CONFIDENTIAL
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer = section.footer.paragraphs[0]
    footer.add_run(f"{c.CONFIDENTIAL} · page ")
    _page_number_field(footer)
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _page_number_field(paragraph: Paragraph) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def _section(doc: DocxDocument, heading: str, paragraphs: list[str]) -> None:
    _heading(doc, heading, 1)
    for text in c.cleaned(paragraphs) or [c.NOT_RECORDED]:
        doc.add_paragraph(text)


def _labelled(paragraph: Paragraph, label: str, value: str) -> Paragraph:
    paragraph.add_run(f"{label}: ").bold = True
    paragraph.add_run(value)
    return paragraph


def _interview_details(doc: DocxDocument, analysis: Analysis) -> None:
    details = analysis.details
    _heading(doc, c.INTERVIEW_DETAILS, 1)
    for label, value in (
        (c.DATE_LABEL, c.format_when(details.date_time)),
        (c.INTERVIEWER_LABEL, c.person_label(details.interviewer)),
        (c.PARTICIPANT_LABEL, c.person_label(details.participant)),
    ):
        _labelled(_paragraph(doc, style="List Bullet"), label, value)
    if analysis.talk is not None:
        _talk(doc, analysis.talk)


_CHART_WIDTH = Inches(4)
_FLAG_RED = RGBColor(0x9C, 0x00, 0x06)


def _talk(doc: DocxDocument, talk: TalkTime) -> None:
    """Who spoke how much, under the interview details: the flag first (it is the point), the chart,
    then each side in words with its colour key, so the figures survive without the picture."""
    doc.add_paragraph().add_run(c.TALK_LABEL).bold = True
    flag = c.listen_flag_text(talk)
    if flag:
        run = doc.add_paragraph().add_run(flag)
        run.bold = True
        run.font.color.rgb = _FLAG_RED
    doc.add_picture(io.BytesIO(talk_chart_png(talk)), width=_CHART_WIDTH)
    picture = doc.paragraphs[-1]
    # Alt text: what the chart shows, for screen readers and for Word's accessibility checker.
    for doc_pr in picture._p.iter(qn("wp:docPr")):
        doc_pr.set("descr", "; ".join(c.side_talk_text(talk, s) for s in talk.sides))
    for side in talk.sides:
        # Plain paragraphs: the coloured square is the bullet, and python-docx looks a named style
        # up by scanning every style, which would cost more than the whole chart.
        paragraph = doc.add_paragraph()
        key = paragraph.add_run("■ ")
        key.font.color.rgb = RGBColor(*COLOURS[side.side])
        paragraph.add_run(c.side_talk_text(talk, side))
    for line in (c.monologue_text(talk), c.talk_basis_note(talk)):
        if line:
            doc.add_paragraph(line)


def _numbered(doc: DocxDocument, count: int) -> list[Paragraph]:
    """``count`` "List Number" paragraphs whose numbering starts again at 1.

    All paragraphs of that style share one list, so a second list would go on from 6; a new
    numbering instance with a start override gives each list its own 1, 2, 3.
    """
    paragraphs = [_paragraph(doc, style="List Number") for _ in range(count)]
    numbering = doc.part.numbering_part.element
    style_num_id = doc.styles["List Number"].element.pPr.numPr.numId.val
    abstract_id = numbering.num_having_numId(style_num_id).abstractNumId.val
    num = numbering.add_num(abstract_id)
    num.add_lvlOverride(ilvl=0).add_startOverride(1)
    for paragraph in paragraphs:
        num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_ilvl().val = 0
        num_pr.get_or_add_numId().val = num.numId
    return paragraphs


def _flywheel(doc: DocxDocument) -> None:
    _heading(doc, c.FLYWHEEL_OVERVIEW, 1)
    doc.add_paragraph(c.FLYWHEEL_INTRO)
    lines = c.flywheel_lines()
    for paragraph, (title, description) in zip(_numbered(doc, len(lines)), lines, strict=True):
        _labelled(paragraph, title, description)


def _attribution(
    paragraph: Paragraph, quote: Quote, recording: str, before: str, after: str = ""
) -> list[Run]:
    """'<before>Speaker, [12:34]<after>', the time a link to that moment of the recording when there
    is one. The words are exactly c.attribution's, so the refresh reader matches them as before."""
    speaker, when = c.speaker_and_time(quote)
    if when is None:
        return [paragraph.add_run(f"{before}{speaker}{after}")]
    runs = [paragraph.add_run(f"{before}{speaker}, ")]
    url = c.moment_link(quote, recording)
    if url is None:
        runs.append(paragraph.add_run(when))
    else:
        runs.append(_hyperlink(paragraph, when, url))
    if after:
        runs.append(paragraph.add_run(after))
    return runs


def _hyperlink(paragraph: Paragraph, text: str, url: str) -> Run:
    """An external hyperlink run (python-docx has no public call for one), blue and underlined."""
    r_id = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    paragraph._p.append(link)
    run = Run(OxmlElement("w:r"), paragraph)
    link.append(run._r)
    run.text = text
    run.font.color.rgb = _LINK_BLUE
    run.font.underline = True
    return run


def _quote(doc: DocxDocument, quote: Quote, recording: str) -> None:
    paragraph = _paragraph(doc, style="Quote")
    paragraph.add_run(c.quote_text(quote))
    for run in _attribution(paragraph, quote, recording, " — "):
        run.italic = False


def _narrative(doc: DocxDocument, analysis: Analysis, recording: str) -> None:
    _heading(doc, c.NARRATIVE, 1)
    for i, stage in enumerate(analysis.stages, 1):
        _heading(doc, c.stage_heading(i, stage), 2)
        for text in c.stage_paragraphs(stage):
            doc.add_paragraph(text)
        for quote in stage.quotes:
            _quote(doc, quote, recording)


def _recommendations(doc: DocxDocument, analysis: Analysis) -> None:
    _heading(doc, c.RECOMMENDATIONS, 1)
    recs = analysis.recommendations
    for paragraph, rec in zip(_numbered(doc, len(recs)), recs, strict=True):
        paragraph.add_run(c.clean(rec.title)).bold = True
        paragraph.add_run(f" — {c.clean(rec.narrative)}")


def _listed(doc: DocxDocument, label: str, items: list[tuple[str, Quote]], recording: str) -> None:
    """A bold label and bullets naming who said it and when (the quote itself is shown elsewhere)."""
    if not items:
        return
    doc.add_paragraph().add_run(label).bold = True
    for text, quote in items:
        paragraph = _paragraph(doc, style="List Bullet")
        paragraph.add_run(c.as_sentence(text).rstrip("."))
        for who in _attribution(paragraph, quote, recording, " (", ")"):
            if who.font.color.rgb != _LINK_BLUE:
                who.font.color.rgb = RGBColor(0x59, 0x59, 0x59)


def _private_box(doc: DocxDocument, quotes: list[Quote], recording: str) -> None:
    """The confidential asides in one shaded, bordered cell the author cannot miss, before any section."""
    if not quotes:
        return
    box = doc.add_table(rows=1, cols=1)
    box.style = "Table Grid"
    box.autofit = False
    _fit_to_page(box, _text_width(doc), (1,))
    cell = box.rows[0].cells[0]
    _shade(cell, _PRIVATE_FILL)
    head = cell.paragraphs[0].add_run(c.PRIVATE_LABEL)
    head.bold = True
    head.font.color.rgb = RGBColor(0x9C, 0x00, 0x06)
    cell.add_paragraph(c.PRIVATE_NOTE).runs[0].italic = True
    for quote in quotes:
        paragraph = cell.add_paragraph()
        paragraph.add_run(c.quote_text(quote))
        _attribution(paragraph, quote, recording, " — ")
    doc.add_paragraph()


def _row_flags(table: Table) -> None:
    """Keep each row on one page, and repeat the header row at the top of every page."""
    for i, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        for name in ("w:cantSplit", "w:tblHeader") if i == 0 else ("w:cantSplit",):
            flag = OxmlElement(name)
            flag.set(qn("w:val"), "true")
            tr_pr.append(flag)


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _excerpt_cell(cell: _Cell, row: RoleSummary, recording: str) -> None:
    first = cell.paragraphs[0]
    if row.excerpt is not None:
        first.add_run(c.quote_text(row.excerpt)).italic = True
        _attribution(first, row.excerpt, recording, " (", ")")
        insight = c.clean(row.insight)
        if insight:
            cell.add_paragraph(insight)
    else:
        first.add_run(c.clean(row.insight))


def _actions_cell(cell: _Cell, actions: list[str]) -> None:
    items = [c.as_sentence(a) for a in c.cleaned(actions)]
    if not items:
        return
    cell.paragraphs[0].text = items[0]
    _style(cell.paragraphs[0], "List Bullet")
    for item in items[1:]:
        _paragraph(cell, item, "List Bullet")


def _summary_table(doc: DocxDocument, rows: list[RoleSummary], recording: str) -> None:
    table = doc.add_table(rows=1 + len(rows), cols=len(c.TABLE_COLUMNS))
    table.style = "Table Grid"
    table.autofit = False
    _row_flags(table)
    for cell, title in zip(table.rows[0].cells, c.TABLE_COLUMNS, strict=True):
        cell.paragraphs[0].add_run(title).bold = True
        _shade(cell, _HEADER_FILL)
    for table_row, row in zip(table.rows[1:], rows, strict=True):
        role, excerpt, actions = table_row.cells
        role.paragraphs[0].add_run(ROLE_TITLES[row.role]).bold = True
        _excerpt_cell(excerpt, row, recording)
        _actions_cell(actions, row.actions)
    _fit_to_page(table, _text_width(doc), _COLUMN_SHARES)


def _fit_to_page(table: Table, total: int, shares: tuple[int, ...]) -> None:
    """Grid, cell widths and table width all add up to the text width (``total`` twips), split in
    ``shares``; the fixed layout (``autofit = False``) makes readers use them, not the content."""
    widths = [total * part // sum(shares) for part in shares[:-1]]
    widths.append(total - sum(widths))
    table_width = table._tbl.tblPr.find(qn("w:tblW"))  # python-docx writes one ("auto")
    table_width.set(qn("w:type"), "dxa")
    table_width.set(qn("w:w"), str(total))
    for grid, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
        grid.w = Twips(width)
    for table_row in table.rows:
        for cell, width in zip(table_row.cells, widths, strict=True):
            cell.width = Twips(width)


def _additional(doc: DocxDocument, analysis: Analysis) -> None:
    feedback = analysis.additional_feedback
    _heading(doc, c.ADDITIONAL, 1)
    _labelled(doc.add_paragraph(), c.MOOD_LABEL, c.clean(feedback.overall_mood) or c.NOT_RECORDED)
    doc.add_paragraph().add_run(c.SENTIMENT_LABEL).bold = True
    for item in feedback.sentiment:
        _labelled(_paragraph(doc, style="List Bullet"), c.sentiment_heading(item), c.clean(item.summary))
    if not feedback.sentiment:
        _paragraph(doc, c.NOT_RECORDED, "List Bullet")
    doc.add_paragraph().add_run(c.TOPICS_LABEL).bold = True
    for topic in c.cleaned(feedback.other_topics) or [c.NO_OTHER_TOPICS]:
        _paragraph(doc, topic, "List Bullet")


def _stable_zip(data: bytes, generated_at: datetime) -> bytes:
    """Re-pack with the generation time on every entry, so identical input gives identical bytes."""
    stamp = _utc(generated_at)
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()
