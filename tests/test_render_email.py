"""Email renderer: parse the HTML with html.parser and check what an Outlook reader sees — the seven
roles in order, the link to the draft, escaped transcript text, inline styles only, nothing internal."""

from __future__ import annotations

import os
from html.parser import HTMLParser

import pytest

from mcem.model import ROLE_TITLES, Analysis, Quote
from mcem.render import common
from mcem.render.email import OPEN_DOCUMENT, email_subject, to_email_html
from mcem.template import internal_sentences
from tests.conftest import FIXTURES

FIXTURE = FIXTURES / "render" / "analysis.json"
GOLDEN = FIXTURES / "render" / "email.golden.html"
URL = "https://contoso.sharepoint.com/sites/AccountTeam/Shared%20Documents/Contoso/draft.docx?web=1&x=2"


class Page(HTMLParser):
    """The parts of an HTML document these tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.links: list[tuple[str, str]] = []
        self.first_cells: list[str] = []
        self._stack: list[str] = []
        self._cell: int = -1
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self._cell = -1
        if tag in ("td", "th"):
            self._cell += 1
            if tag == "td" and self._cell == 0 and "tbody" in self._stack:
                self.first_cells.append("")
        if tag == "a":
            self._href = dict(attrs).get("href") or ""
            self.links.append((self._href, ""))
        if tag not in ("br", "meta", "img", "hr"):  # void elements have no end tag
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._href = None
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._href is not None:
            href, text = self.links[-1]
            self.links[-1] = (href, text + data)
        if "tbody" in self._stack and "td" in self._stack and self._cell == 0 and self.first_cells:
            self.first_cells[-1] += data

    @property
    def all_text(self) -> str:
        return " ".join("".join(self.text).split())


def load() -> Analysis:
    return Analysis.model_validate_json(FIXTURE.read_text("utf-8"))


def parse(markup: str) -> Page:
    page = Page()
    page.feed(markup)
    page.close()
    return page


@pytest.fixture
def analysis() -> Analysis:
    return load()


def test_the_seven_roles_in_template_order(analysis: Analysis) -> None:
    page = parse(to_email_html(analysis, URL))
    assert page.first_cells == list(ROLE_TITLES.values())


def test_a_prominent_link_to_the_draft(analysis: Analysis) -> None:
    page = parse(to_email_html(analysis, URL))
    drafts = [text for href, text in page.links if href == URL]  # the parser unescapes &amp; back
    assert drafts and all(text == OPEN_DOCUMENT for text in drafts)
    assert {href for href, _ in page.links} == {URL}  # no other link: nothing to click away to
    # The button's colour on the cell (Outlook ignores it on links), white text on it.
    cells = [attrs for tag, attrs in page.tags if tag == "td" and attrs.get("bgcolor")]
    links = [attrs for tag, attrs in page.tags if tag == "a"]
    assert len(cells) == len(links) == 2 and all("color:#ffffff" in (a["style"] or "") for a in links)


def test_summary_recommendations_and_confidentiality_are_there(analysis: Analysis) -> None:
    text = parse(to_email_html(analysis, URL)).all_text
    for paragraph in analysis.executive_summary:
        assert common.clean(paragraph) in text
    for rec in analysis.recommendations:
        assert common.clean(rec.title) in text and common.clean(rec.narrative) in text
    assert text.count(common.CONFIDENTIAL) >= 2  # at the top and at the foot
    headings = (common.EXECUTIVE_SUMMARY, common.SUMMARY_TABLE, common.RECOMMENDATIONS)
    positions = [text.find(h) for h in headings]
    assert positions == sorted(positions) and positions[0] >= 0


def test_transcript_text_cannot_become_markup(analysis: Analysis) -> None:
    hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
    row = analysis.summary_table[0]
    analysis.summary_table[0] = row.model_copy(
        update={"excerpt": Quote(text=hostile, speaker="Eve <b>", start=12.0), "insight": hostile}
    )
    analysis.executive_summary[0] = hostile
    analysis.recommendations[0] = analysis.recommendations[0].model_copy(update={"title": "<i>x</i>"})
    markup = to_email_html(analysis, URL)
    page = parse(markup)
    assert not {tag for tag, _ in page.tags} & {"script", "img", "b", "i"}
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert 'alert("x")' in page.all_text and "Eve <b>" in page.all_text  # shown as typed


def test_link_and_attributes_cannot_be_broken_out_of(analysis: Analysis) -> None:
    url = 'https://example.sharepoint.com/a"onmouseover="alert(1)'
    page = parse(to_email_html(analysis, url))
    attrs = next(a for t, a in page.tags if t == "a")
    assert "onmouseover" not in attrs and attrs["href"] == url
    with pytest.raises(ValueError, match="http"):
        to_email_html(analysis, "javascript:alert(1)")


def test_inline_css_only_as_outlook_needs(analysis: Analysis) -> None:
    page = parse(to_email_html(analysis, URL))
    names = {tag for tag, _ in page.tags}
    assert not names & {"style", "link", "script"}
    assert all("class" not in attrs for _, attrs in page.tags)
    assert any(tag == "table" for tag, _ in page.tags)


def test_never_the_templates_internal_reference(analysis: Analysis) -> None:
    internal = [s for s in internal_sentences() if len(s) > 40 and s.endswith(".")][:2]
    analysis.executive_summary[0] = f"The pilot went well. {internal[0]} Budget follows in Q3."
    analysis.recommendations[1] = analysis.recommendations[1].model_copy(update={"narrative": internal[1]})
    text = parse(to_email_html(analysis, URL)).all_text
    assert "The pilot went well." in text and "Budget follows in Q3." in text
    for sentence in (*internal, "MCEM Reference for LLM"):
        assert sentence not in text


def test_subject_is_one_short_line(analysis: Analysis) -> None:
    subject = email_subject(analysis)
    assert subject.startswith(common.clean(analysis.title))
    long = analysis.model_copy(update={"company_name": "Contoso\n" + "x" * 400})
    assert "\n" not in email_subject(long) and len(email_subject(long)) <= 200


def test_matches_golden_email(analysis: Analysis) -> None:
    """The whole body for the fixture; after a wanted change run with UPDATE_GOLDEN=1 and review the diff."""
    markup = to_email_html(analysis, URL)
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(markup, "utf-8")
    assert markup == GOLDEN.read_text("utf-8"), f"{GOLDEN.name} differs (UPDATE_GOLDEN=1 to accept)"
