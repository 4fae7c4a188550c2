"""Word renderer: re-open the bytes with python-docx and check what a reader of the document sees
(styles, order, quotes, the table, properties), and that the package itself is well-formed.

The fixture is tests/fixtures/render/analysis.json (see tests/test_render_markdown.py).
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from xml.etree import ElementTree

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.shared import Pt

from mcem.model import ROLE_TITLES, Analysis, Quote
from mcem.parsing import load_transcript
from mcem.render import common
from mcem.render.docx import AUTHOR, to_docx
from mcem.render.markdown import to_markdown
from mcem.template import internal_sentences
from mcem.verify import normalise, verify
from tests.conftest import FIXTURES, ROOT

FIXTURE = FIXTURES / "render" / "analysis.json"
SAMPLE = ROOT / "samples" / "contoso-manufacturing-call.vtt"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# Characters XML 1.0 does not allow.
INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

HEADING_STYLES = {"Title": "#", "Heading 1": "##", "Heading 2": "###"}


def load() -> Analysis:
    return Analysis.model_validate_json(FIXTURE.read_text("utf-8"))


def open_docx(data: bytes) -> DocxDocument:
    return docx.Document(io.BytesIO(data))


@pytest.fixture(scope="module")
def rendered() -> bytes:
    return to_docx(load())


def _headings(document: DocxDocument) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in document.paragraphs if p.style.name in HEADING_STYLES]


def test_headings_use_word_styles_in_the_template_order(rendered: bytes) -> None:
    analysis = load()
    stages = [("Heading 2", f"{i}. {s.title}") for i, s in enumerate(analysis.stages, 1)]
    assert _headings(open_docx(rendered)) == [
        ("Title", analysis.title),
        ("Heading 1", "Company Background"),
        ("Heading 1", "Executive Summary"),
        ("Heading 1", "Interview Details"),
        ("Heading 1", "MCEM Sales Flywheel Overview"),
        ("Heading 1", "Narrative Feedback by MCEM Stage"),
        *stages,
        ("Heading 1", "Analysis & Insights"),
        ("Heading 1", "Recommendations"),
        ("Heading 1", "Summary Table"),
        ("Heading 1", "Additional Customer Feedback and Topics"),
    ]


def test_headings_match_the_markdown_rendering(rendered: bytes) -> None:
    """Same Analysis, same sections: the Word headings are the Markdown headings and bold labels."""
    markdown_headings = [
        line.lstrip("#* ").rstrip("*")
        for line in to_markdown(load()).splitlines()
        if line.startswith("#") or line in ("**Company Background**", "**Executive Summary**")
    ]
    assert [text for _, text in _headings(open_docx(rendered))] == markdown_headings


def test_quotes_use_the_quote_style_with_speaker_and_time(rendered: bytes) -> None:
    analysis = load()
    document = open_docx(rendered)
    quotes = [p for p in document.paragraphs if p.style.name == "Quote"]
    expected = [q for s in analysis.stages for q in s.quotes]
    assert len(quotes) == len(expected) == 15
    for paragraph, quote in zip(quotes, expected, strict=True):
        assert paragraph.text == f"“{quote.text}” — {common.attribution(quote)}"
        assert re.search(r" — [^,]+, \[\d\d:\d\d\]$", paragraph.text)
    assert quotes[0].text.endswith("— Helen Whitaker, [02:20]")


def test_quotes_sit_under_their_stage(rendered: bytes) -> None:
    document = open_docx(rendered)
    stage, seen = None, {}
    for p in document.paragraphs:
        if p.style.name == "Heading 2":
            stage = p.text
        elif p.style.name == "Quote":
            seen.setdefault(stage, []).append(p.text)
    assert list(seen) == [f"{i}. {s.title}" for i, s in enumerate(load().stages, 1)]
    assert all(len(v) == 3 for v in seen.values())


def test_summary_table_is_a_real_table_with_a_repeating_header(rendered: bytes) -> None:
    analysis = load()
    document = open_docx(rendered)
    assert len(document.tables) == 1
    table = document.tables[0]
    assert len(table.columns) == 3 and len(table.rows) == 8

    header = table.rows[0]
    assert [c.text for c in header.cells] == list(common.TABLE_COLUMNS)
    assert all(run.bold for c in header.cells for run in c.paragraphs[0].runs)
    flags = header._tr.trPr.findall(qn("w:tblHeader"))
    assert len(flags) == 1 and flags[0].get(qn("w:val")) == "true"
    assert not any(row._tr.trPr.findall(qn("w:tblHeader")) for row in table.rows[1:])
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows)

    assert [r.cells[0].text for r in table.rows[1:]] == list(ROLE_TITLES.values())
    for row, summary in zip(table.rows[1:], analysis.summary_table, strict=True):
        role, excerpt, actions = row.cells
        assert role.paragraphs[0].runs[0].bold
        assert summary.excerpt is not None
        assert (
            excerpt.paragraphs[0].text == f"“{summary.excerpt.text}” ({common.attribution(summary.excerpt)})"
        )
        assert excerpt.paragraphs[0].runs[0].italic
        assert excerpt.paragraphs[1].text == summary.insight
        assert [p.text for p in actions.paragraphs] == [common.as_sentence(a) for a in summary.actions]
        assert {p.style.name for p in actions.paragraphs} == {"List Bullet"}


def test_table_row_without_excerpt_shows_the_insight(rendered: bytes) -> None:
    analysis = load()
    row = analysis.summary_table[4].model_copy(update={"excerpt": None})
    table = [*analysis.summary_table[:4], row, *analysis.summary_table[5:]]
    document = open_docx(to_docx(analysis.model_copy(update={"summary_table": table})))
    assert document.tables[0].rows[5].cells[1].text == row.insight


def test_lists_are_numbered_from_one_each(rendered: bytes) -> None:
    document = open_docx(rendered)
    numbered = [p for p in document.paragraphs if p.style.name == "List Number"]
    assert len(numbered) == 5 + 4
    num_ids = [p._p.pPr.numPr.numId.val for p in numbered]
    assert len(set(num_ids[:5])) == 1 and len(set(num_ids[5:])) == 1 and num_ids[0] != num_ids[5]
    numbering = document.part.numbering_part.element
    for num_id in (num_ids[0], num_ids[5]):
        num = numbering.num_having_numId(num_id)
        assert num.findall(f"{qn('w:lvlOverride')}/{qn('w:startOverride')}")[0].get(qn("w:val")) == "1"
    assert numbered[0].text.startswith("Listen & Consult: ")
    assert numbered[5].runs[0].bold and numbered[5].runs[0].text == load().recommendations[0].title


def test_core_properties(rendered: bytes) -> None:
    analysis = load()
    props = open_docx(rendered).core_properties
    assert props.title == analysis.title
    assert props.subject == "Contoso Manufacturing – engagement review"
    assert props.author == AUTHOR and props.last_modified_by == AUTHOR
    assert "Contoso Manufacturing" in props.keywords and "MCEM" in props.keywords
    assert props.created == props.modified == analysis.meta.generated_at
    assert "Confidential" in props.comments


def test_header_and_footer_mark_it_confidential(rendered: bytes) -> None:
    section = open_docx(rendered).sections[0]
    assert section.header.paragraphs[0].text == common.CONFIDENTIAL
    assert section.footer.paragraphs[0].text.startswith(common.CONFIDENTIAL)
    assert 'w:instr="PAGE"' in section.footer._element.xml


def test_details_additional_feedback_and_provenance(rendered: bytes) -> None:
    texts = [p.text for p in open_docx(rendered).paragraphs]
    assert "Date & Time: Wednesday, 18 November 2026, 15:00 UTC" in texts
    assert (
        "Participant (Name & Role): Helen Whitaker, Chief Information Officer, Contoso Manufacturing" in texts
    )
    assert any(t.startswith("Litware — negative: ") for t in texts)  # no tone score in what people read
    assert any(t.startswith("Pending acquisition of Wingtip Components") for t in texts)
    assert texts[-1] == common.provenance(load())


def test_same_analysis_gives_the_same_bytes(rendered: bytes) -> None:
    assert to_docx(load()) == rendered
    with zipfile.ZipFile(io.BytesIO(rendered)) as package:
        assert {i.date_time for i in package.infolist()} == {(2026, 11, 18, 16, 5, 12)}


def test_package_is_well_formed(rendered: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(rendered)) as package:
        assert package.testzip() is None
        names = package.namelist()
        assert names[0] == "[Content_Types].xml"
        for part in ("_rels/.rels", "word/document.xml", "word/styles.xml", "docProps/core.xml"):
            assert part in names
        for name in names:
            if name.endswith((".xml", ".rels")):
                text = package.read(name).decode("utf-8")
                assert not INVALID_XML.search(text), name
                ElementTree.fromstring(text.encode("utf-8"))
        root = ElementTree.fromstring(package.read("word/document.xml"))
        assert root.tag == f"{{{W_NS}}}document"
        assert root.find(f"{{{W_NS}}}body/{{{W_NS}}}tbl") is not None


def test_control_characters_are_stripped_not_fatal() -> None:
    analysis = load()
    dirty = "Line\x00 with\x0b control\x1b chars\ufffe and\u202e tricks"
    stage = analysis.stages[0].model_copy(
        update={"paragraphs": [dirty], "quotes": [Quote(text=dirty, speaker="Eve\x07", start=3)]}
    )
    data = to_docx(
        analysis.model_copy(
            update={
                "company_name": "Acme\x01",
                "company_background": dirty,
                "stages": [stage, *analysis.stages[1:]],
            }
        )
    )
    document = open_docx(data)
    texts = [p.text for p in document.paragraphs]
    assert "Line with control chars and tricks" in texts
    assert "“Line with control chars and tricks” — Eve, [00:03]" in texts
    assert document.core_properties.title.endswith(", Acme")
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert not INVALID_XML.search(package.read("word/document.xml").decode("utf-8"))


def test_long_values_fit_the_core_property_limit() -> None:
    analysis = load().model_copy(update={"company_name": "Contoso " * 60})
    props = open_docx(to_docx(analysis)).core_properties
    assert len(props.title) <= 255 and props.title.endswith("…")


def test_naive_generation_time_is_taken_as_utc() -> None:
    analysis = load()
    meta = analysis.meta.model_copy(update={"generated_at": datetime(2026, 1, 2, 3, 4, 5)})
    props = open_docx(to_docx(analysis.model_copy(update={"meta": meta}))).core_properties
    assert props.created is not None and props.created.isoformat() == "2026-01-02T03:04:05+00:00"


def _document_text(document: DocxDocument) -> str:
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    parts += [document.core_properties.comments, document.core_properties.subject]
    return "\n".join(parts)


def test_verified_output_contains_nothing_from_the_internal_reference() -> None:
    analysis = load()
    leaks = [s for s in internal_sentences() if len(s.split()) >= 8][:3]
    row = analysis.summary_table[2].model_copy(update={"insight": leaks[0]})
    leaky = analysis.model_copy(
        update={
            "executive_summary": [*analysis.executive_summary, leaks[1]],
            "summary_table": [*analysis.summary_table[:2], row, *analysis.summary_table[3:]],
            "additional_feedback": analysis.additional_feedback.model_copy(
                update={"other_topics": [leaks[2], *analysis.additional_feedback.other_topics]}
            ),
        }
    )

    def leaked(document: DocxDocument) -> list[str]:
        flat = normalise(_document_text(document))
        return [s for s in internal_sentences() if normalise(s) in flat]

    assert len(leaked(open_docx(to_docx(leaky)))) >= 3, "the check must be able to see a leak"
    verified = verify(leaky, load_transcript(SAMPLE))
    document = open_docx(to_docx(verified))
    assert leaked(document) == []
    assert "MCEM Reference" not in _document_text(document)


# --- the page: the table fits it, the fonts are named -------------------------------------------


@pytest.mark.parametrize(("paper", "size"), [("letter", (12240, 15840)), ("a4", (11906, 16838))])
def test_summary_table_widths_add_up_to_the_text_width_of_the_page(paper: str, size: tuple[int, int]) -> None:
    analysis = load()
    analysis.confidential = [q for stage in analysis.stages for q in stage.quotes][:1]  # adds the box
    document = open_docx(to_docx(analysis, paper=paper))  # type: ignore[arg-type]
    section = document.sections[0]
    assert (section.page_width.twips, section.page_height.twips) == size  # Word's own Letter and A4
    text_width = section.page_width.twips - section.left_margin.twips - section.right_margin.twips
    assert 8900 < text_width < 9400
    assert sorted(len(t.columns) for t in document.tables) == [1, 3]
    grids = {}
    for table in document.tables:  # the summary table, and the private box when there is one
        tbl = table._tbl
        grid = [int(col.get(qn("w:w"))) for col in tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(grid) == text_width
        table_width = tbl.tblPr.find(qn("w:tblW"))
        assert (table_width.get(qn("w:type")), int(table_width.get(qn("w:w")))) == ("dxa", text_width)
        assert tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        for row in tbl.tr_lst:
            cells = [tc.tcPr.find(qn("w:tcW")) for tc in row.tc_lst]
            assert [c.get(qn("w:type")) for c in cells] == ["dxa"] * len(grid)
            assert [int(c.get(qn("w:w"))) for c in cells] == grid
        grids[len(grid)] = grid
    role, excerpt, actions = grids[3]
    assert role < actions < excerpt, "the excerpt column is the widest, the role column the narrowest"


def test_fonts_are_named_not_left_to_the_theme(rendered: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(rendered)) as package:
        styles = ElementTree.fromstring(package.read("word/styles.xml"))
    fonts = list(styles.iter(f"{{{W_NS}}}rFonts"))
    assert fonts
    for element in fonts:
        assert not [k for k in element.attrib if "theme" in k.lower()], element.attrib
        assert element.get(f"{{{W_NS}}}ascii") and element.get(f"{{{W_NS}}}hAnsi")
    document = open_docx(rendered)
    assert document.styles["Normal"].font.size == Pt(11)
    defaults = styles.find(f"{{{W_NS}}}docDefaults/{{{W_NS}}}rPrDefault/{{{W_NS}}}rPr/{{{W_NS}}}rFonts")
    assert defaults is not None and defaults.get(f"{{{W_NS}}}ascii") == "Cambria"
    heading = document.styles["Heading 1"].element.rPr.rFonts
    assert heading.get(qn("w:ascii")) == "Calibri"
