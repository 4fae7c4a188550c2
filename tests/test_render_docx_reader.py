"""Word draft -> Analysis: the round trip through mcem/render/docx.py, and drafts edited the way a
person edits them in Word (with python-docx doing the editing here)."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.text.paragraph import Paragraph

from mcem.model import Analysis, Role
from mcem.render import common
from mcem.render.docx import to_docx
from mcem.render.docx_reader import DraftError, analysis_from_docx
from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "render" / "analysis.json"


def load() -> Analysis:
    return Analysis.model_validate_json(FIXTURE.read_text("utf-8"))


@pytest.fixture
def analysis() -> Analysis:
    return load()


def edited(analysis: Analysis, edit: Callable[[DocxDocument], None]) -> bytes:
    document = docx.Document(io.BytesIO(to_docx(analysis)))
    edit(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def section(document: DocxDocument, heading: str) -> list[Paragraph]:
    """The paragraphs under a Heading 1, up to the next one."""
    found: list[Paragraph] = []
    inside = False
    for p in document.paragraphs:
        if p.style is not None and p.style.name == "Heading 1":
            inside = p.text == heading
        elif inside and p.text.strip():
            found.append(p)
    return found


def content(a: Analysis) -> dict:
    """What a person can see and edit in Word: no provenance, no stage tags, quote times to the second,
    no sentiment scores (the draft shows the label in words; the score stays in analysis.json)."""
    dump = a.model_dump(mode="json", exclude={"meta", "verification"})
    for item in dump["additional_feedback"]["sentiment"]:
        item["score"] = None
    for stage in dump["stages"]:
        for q in stage["quotes"]:
            q["start"] = int(q["start"]) if q["start"] is not None else None
    for row in dump["summary_table"]:
        row["actions"] = [common.as_sentence(a) for a in row["actions"]]  # Word shows them as sentences
        if row["excerpt"] and row["excerpt"]["start"] is not None:
            row["excerpt"]["start"] = int(row["excerpt"]["start"])
    for rec in dump["recommendations"]:
        rec.pop("stages")
    for who in ("interviewer", "participant"):
        if dump["details"][who]:
            dump["details"][who].pop("side")
    dump["details"].pop("attendees")
    return dump


def test_round_trip_with_its_base_gives_the_same_analysis(analysis: Analysis) -> None:
    assert analysis_from_docx(to_docx(analysis), base=analysis) == analysis


def test_round_trip_without_a_base_keeps_every_content_field(analysis: Analysis) -> None:
    back = analysis_from_docx(to_docx(analysis))
    assert content(back) == content(analysis)
    assert back.meta.engine == analysis.meta.engine and back.meta.generated_at == analysis.meta.generated_at
    assert back.meta.model == analysis.meta.model and "edited Word draft" in back.meta.note
    assert back.verification == analysis.verification  # as the provenance line states it


def test_a_changed_paragraph_an_edited_cell_and_a_deleted_recommendation(analysis: Analysis) -> None:
    def edit(document: DocxDocument) -> None:
        section(document, common.EXECUTIVE_SUMMARY)[0].text = "Megan rewrote this: the pilot <worked>."
        table = document.tables[0]
        csam = table.rows[2].cells[2]  # header, AE, CSAM
        csam.paragraphs[0].text = "Book the training review with Helen"
        for extra in csam.paragraphs[1:]:
            extra._p.getparent().remove(extra._p)
        table.rows[1].cells[1].paragraphs[-1].text = "Cost clarity is what the CFO needs first."
        doomed = section(document, common.RECOMMENDATIONS)[1]
        doomed._p.getparent().remove(doomed._p)

    back = analysis_from_docx(edited(analysis, edit), base=analysis)
    assert back.executive_summary[0] == "Megan rewrote this: the pilot <worked>."
    assert back.executive_summary[1:] == analysis.executive_summary[1:]
    csam = next(r for r in back.summary_table if r.role is Role.csam)
    assert csam.actions == ["Book the training review with Helen"]
    ae = back.summary_table[0]
    assert ae.insight == "Cost clarity is what the CFO needs first."
    assert ae.excerpt == analysis.summary_table[0].excerpt  # the quote itself was not touched
    assert [r.title for r in back.recommendations] == [
        r.title for i, r in enumerate(analysis.recommendations) if i != 1
    ]
    assert back.recommendations[0] == analysis.recommendations[0]  # stages kept where nothing changed
    untouched = ("stages", "insights", "additional_feedback", "details", "meta", "company_background")
    assert all(getattr(back, f) == getattr(analysis, f) for f in untouched)


def test_an_added_recommendation_and_an_edited_one(analysis: Analysis) -> None:
    analysis.recommendations = analysis.recommendations[:3]

    def edit(document: DocxDocument) -> None:
        recs = section(document, common.RECOMMENDATIONS)
        added = copy.deepcopy(recs[-1]._p)
        recs[-1]._p.addnext(added)
        new = Paragraph(added, recs[-1]._parent)
        new.text = ""
        new.add_run("Invite Adatum to the steering group").bold = True
        new.add_run(" — so that the managed service is planned with the customer.")
        recs[0].runs[-1].text = " — Bring the licensing specialist this week."

    back = analysis_from_docx(edited(analysis, edit), base=analysis)
    assert len(back.recommendations) == 4
    assert back.recommendations[3].title == "Invite Adatum to the steering group"
    assert back.recommendations[3].narrative == "so that the managed service is planned with the customer."
    first = back.recommendations[0]
    assert first.title == analysis.recommendations[0].title
    assert first.narrative == "Bring the licensing specialist this week."
    assert first.stages == analysis.recommendations[0].stages  # same title: same stages


def test_an_edited_quote_takes_its_new_words_and_time(analysis: Analysis) -> None:
    def edit(document: DocxDocument) -> None:
        quote = next(p for p in document.paragraphs if p.style is not None and p.style.name == "Quote")
        quote.text = "“We need one place to see everything.” — Helen Whitaker, [1:02:03]"

    back = analysis_from_docx(edited(analysis, edit), base=analysis)
    first = back.stages[0].quotes[0]
    assert (first.text, first.speaker, first.start) == (
        "We need one place to see everything.",
        "Helen Whitaker",
        3723.0,
    )
    assert back.stages[0].quotes[1:] == analysis.stages[0].quotes[1:]
    assert back.stages[0].paragraphs == analysis.stages[0].paragraphs  # the prose was not touched
    assert back.stages[1:] == analysis.stages[1:]


def test_too_few_recommendations_after_editing_is_a_clear_error(analysis: Analysis) -> None:
    def edit(document: DocxDocument) -> None:
        for p in section(document, common.RECOMMENDATIONS)[2:]:
            p._p.getparent().remove(p._p)

    with pytest.raises(DraftError, match="lists 2 recommendations; keep 3 to 5"):
        analysis_from_docx(edited(analysis, edit), base=analysis)


def test_a_deleted_table_row_is_a_clear_error(analysis: Analysis) -> None:
    def edit(document: DocxDocument) -> None:
        row = document.tables[0].rows[4]
        row._tr.getparent().remove(row._tr)

    with pytest.raises(DraftError, match="seven role rows"):
        analysis_from_docx(edited(analysis, edit), base=analysis)


def test_an_emptied_executive_summary_is_a_clear_error(analysis: Analysis) -> None:
    def edit(document: DocxDocument) -> None:
        for p in section(document, common.EXECUTIVE_SUMMARY):
            p.text = ""

    with pytest.raises(DraftError, match=r"Executive Summary.+empty"):
        analysis_from_docx(edited(analysis, edit))


@pytest.mark.parametrize("name", ["memo.docx", "not_a_zip.docx", "not_word.docx"])
def test_a_document_that_is_not_one_of_ours_is_refused(name: str) -> None:
    data = (FIXTURES / "transcripts" / name).read_bytes()
    with pytest.raises(DraftError, match=r"not .*(draft|Word document)"):
        analysis_from_docx(data)
