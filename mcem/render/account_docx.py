"""AccountHistory -> ``Account brief.docx``: the account's calls on one page an account manager keeps.

Same page, fonts and styles as the call drafts (mcem/render/docx.py). The calls table carries the
stage strip as five narrow shaded cells per call, so the movement through MCEM reads at a glance
in Word, on paper and in SharePoint's preview alike.
"""

from __future__ import annotations

import io
from typing import Literal

from docx import Document
from docx.document import Document as DocxDocument
from docx.shared import Pt, RGBColor
from docx.text.paragraph import Paragraph

from mcem.account.history import AccountHistory
from mcem.model import Stage
from mcem.render import account_text as t
from mcem.render import common as c
from mcem.render.docx import PAPERS, _fit_to_page, _fonts, _page, _row_flags, _shade, _stable_zip, _text_width

__all__ = ["account_docx"]

_REACHED_FILL = "2F5597"
_HEADER_FILL = "D9E2F3"
_STAGE_ABBREVIATIONS = {
    Stage.listen_consult: "L&C",
    Stage.inspire_design: "I&D",
    Stage.empower_achieve: "E&A",
    Stage.realize_value: "RV",
    Stage.manage_optimize: "M&O",
}
# Date, call, customer, then the five stage cells.
_SHARES = (5, 10, 9, 2, 2, 2, 2, 2)


class _Styles:
    """Paragraph styles looked up once: python-docx scans every style on each lookup by name, which
    made a 20-call brief spend most of its time finding "List Bullet" again."""

    def __init__(self, doc: DocxDocument) -> None:
        self._doc = doc
        self._ids: dict[str, str] = {}

    def add(self, text: str = "", style: str = "Normal") -> Paragraph:
        if style not in self._ids:
            self._ids[style] = self._doc.styles[style].style_id
        paragraph = self._doc.add_paragraph(text)
        if style != "Normal":  # the default style is written as no style at all
            paragraph._p.style = self._ids[style]
        return paragraph

    def heading(self, text: str, level: int) -> Paragraph:
        return self.add(text, "Title" if level == 0 else f"Heading {level}")


def account_docx(history: AccountHistory, *, paper: Literal["letter", "a4"] = "letter") -> bytes:
    doc = Document()
    styles = _Styles(doc)
    _page(doc, PAPERS[paper])
    _fonts(doc)
    props = doc.core_properties
    props.title = t.title(history)[:255]
    props.author = "MCEM Analyst"
    props.created = props.modified = history.as_of
    styles.heading(c.clean(t.title(history)), 0)
    styles.add(t.headline(history))

    styles.heading(t.CALLS, 1)
    _calls_table(doc, history)
    key = styles.add(t.STAGE_KEY)
    key.runs[0].font.size = Pt(9)

    moved = [call for call in history.calls[1:] if call.moved]
    if moved:
        styles.heading(t.MOVED, 1)
        for call in moved:
            p = styles.add(style="List Bullet")
            p.add_run(f"{t.call_date(call)}: ").bold = True
            p.add_run(" ".join(c.clean(m) for m in call.moved))

    styles.heading(t.OPEN, 1)
    for step in history.open:
        styles.add(t.step_line(step, history), "List Bullet")
        _mark(styles, t.mark_line(step, history))
    if not history.open:
        styles.add(t.NOTHING_OPEN)

    styles.heading(t.DONE, 1)
    for step in history.closed:
        styles.add(t.step_line(step, history), "List Bullet")
        if step.evidence is not None and step.done_in is not None:
            styles.add(t.evidence_line(step.evidence, history, step.done_in), "Quote")
        _mark(styles, t.mark_line(step, history))
    if not history.closed:
        styles.add(t.NOTHING_DONE)

    styles.heading(t.RISKS, 1)
    for risk in history.recurring_risks:
        p = styles.add(style="List Bullet")
        p.add_run(c.clean(risk.text) + " ")
        p.add_run(f"({t.risk_calls(risk.calls, history)})").italic = True
    if not history.recurring_risks:
        styles.add(t.NO_RECURRING)
    others = [r for r in history.risks if not r.recurring]
    if others:
        styles.heading(t.OTHER_RISKS, 2)
        for risk in others:
            styles.add(f"{c.clean(risk.text)} ({t.risk_calls(risk.calls, history)})", style="List Bullet")

    if history.sentiment:
        styles.heading(t.SENTIMENT, 1)
        for track in history.sentiment:
            styles.add(t.sentiment_line(track, history), "List Bullet")

    footnote = styles.add()
    footnote.paragraph_format.space_before = Pt(18)
    run = footnote.add_run(t.FOOTNOTE)
    run.italic = True
    run.font.size = Pt(9)
    run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)

    buffer = io.BytesIO()
    doc.save(buffer)
    return _stable_zip(buffer.getvalue(), history.as_of)


def _mark(styles: _Styles, line: str | None) -> None:
    """A person's mark, under the step and set apart from the calls' words (which are quotes)."""
    if line:
        p = styles.add(style="List Bullet 2")
        p.add_run("✓ " + line).italic = True


def _calls_table(doc: DocxDocument, history: AccountHistory) -> None:
    stages = list(Stage)
    table = doc.add_table(rows=1 + len(history.calls), cols=3 + len(stages))
    table.style = "Table Grid"
    table.autofit = False
    _row_flags(table)
    headers = [*t.CALL_COLUMNS[:3], *(_STAGE_ABBREVIATIONS[s] for s in stages)]
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
        _shade(cell, _HEADER_FILL)
    for row, call in zip(table.rows[1:], history.calls, strict=True):
        date, subject, customer, *strip = row.cells
        date.paragraphs[0].add_run(t.call_date(call))
        subject.paragraphs[0].add_run(call.subject or "—")
        customer.paragraphs[0].add_run(t.customer_text(call))
        reached = stages.index(call.stage) if call.stage is not None else -1
        for k, cell in enumerate(strip):
            if k <= reached:
                _shade(cell, _REACHED_FILL)
            if k == reached:
                # The stage reached is named in words too: colour alone is lost in grey print.
                mark = cell.paragraphs[0].add_run("●")
                mark.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    _fit_to_page(table, _text_width(doc), _SHARES)
