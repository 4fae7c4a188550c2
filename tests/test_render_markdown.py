"""Markdown renderer: the template's customer-facing sections, in order, with nothing injectable.

Golden file: tests/fixtures/render/analysis.md is the rendering of tests/fixtures/render/analysis.json
(a hand-written analysis of samples/contoso-manufacturing-call.vtt). After an intended change to the
output, regenerate it and review the diff:

    MCEM_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_render_markdown.py -q
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from markdown_it import MarkdownIt

from mcem.model import ROLE_TITLES, Analysis, Quote, Stage
from mcem.parsing import load_transcript
from mcem.render import common
from mcem.render.markdown import escape, to_markdown
from mcem.template import customer_part, internal_sentences
from mcem.verify import normalise, verify
from tests.conftest import FIXTURES, ROOT

FIXTURE = FIXTURES / "render" / "analysis.json"
GOLDEN = FIXTURES / "render" / "analysis.md"
SAMPLE = ROOT / "samples" / "contoso-manufacturing-call.vtt"

HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) &lt;b&gt;"


def load() -> Analysis:
    return Analysis.model_validate_json(FIXTURE.read_text("utf-8"))


def html_of(markdown: str) -> str:
    # The CommonMark preset passes raw HTML through, as GitHub-style renderers do: the worst case.
    return MarkdownIt("commonmark").enable("table").render(markdown)


def _template_headings() -> list[str]:
    """The customer part's heading lines plus its two bold labels, normalised like our output."""
    lines = []
    for raw in customer_part().splitlines():
        line = " ".join(raw.replace("\u202f", " ").replace("\\", "").split())
        if line.startswith("#") or line in ("**Company Background**", "**Executive Summary**"):
            lines.append(line)
    return lines


def _our_headings(markdown: str) -> list[str]:
    return [
        line
        for line in markdown.splitlines()
        if line.startswith("#") or line in ("**Company Background**", "**Executive Summary**")
    ]


def test_matches_golden_file() -> None:
    rendered = to_markdown(load())
    if os.environ.get("MCEM_UPDATE_GOLDEN"):
        GOLDEN.write_text(rendered, "utf-8")
    assert rendered == GOLDEN.read_text("utf-8")


def test_headings_are_the_templates_customer_headings_in_order() -> None:
    analysis = load()
    expected = _template_headings()
    expected[0] = f"# Interview Analysis – {analysis.participant_name}, {analysis.company_name}"
    assert _our_headings(to_markdown(analysis)) == expected
    assert expected[-1] == "## Additional Customer Feedback and Topics"


def test_flywheel_overview_reproduces_the_templates_five_lines() -> None:
    def norm(text: str) -> str:
        return " ".join(text.replace("\u2011", "-").replace("\u202f", " ").split())

    template_lines = [norm(x) for x in customer_part().splitlines() if re.match(r"\d\. \*\*", x)][:5]
    markdown = to_markdown(load())
    section = markdown.split("## MCEM Sales Flywheel Overview")[1].split("---")[0]
    assert [norm(x) for x in section.splitlines() if re.match(r"\d\. ", x)] == template_lines
    assert norm(common.FLYWHEEL_INTRO) in norm(customer_part())


def test_interview_details_bullets() -> None:
    markdown = to_markdown(load())
    assert "- **Date & Time:** Wednesday, 18 November 2026, 15:00 UTC" in markdown
    assert "- **Interviewer (Name & Role):** Priya Raman, Account Executive, Microsoft" in markdown
    assert "- **Participant (Name & Role):** Helen Whitaker, Chief Information Officer, Contoso" in markdown


def test_missing_details_say_not_recorded() -> None:
    analysis = load()
    details = analysis.details.model_copy(update={"date_time": None, "interviewer": None})
    markdown = to_markdown(analysis.model_copy(update={"details": details}))
    assert "- **Date & Time:** Not recorded" in markdown
    assert "- **Interviewer (Name & Role):** Not recorded" in markdown


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2026, 3, 2, 9, 5, tzinfo=UTC), "Monday, 2 March 2026, 09:05 UTC"),
        (
            datetime(2026, 3, 2, 9, 5, tzinfo=timezone(timedelta(hours=-5))),
            "Monday, 2 March 2026, 09:05 UTC-05:00",
        ),
        (datetime(2026, 3, 2, 9, 5, tzinfo=timezone(timedelta(hours=5, minutes=30))), "UTC+05:30"),
        (datetime(2026, 3, 2, 9, 5), "Monday, 2 March 2026, 09:05"),
    ],
)
def test_dates_read_naturally(value: datetime, text: str) -> None:
    assert common.format_when(value).endswith(text)


def test_quotes_are_blockquotes_with_speaker_and_time() -> None:
    analysis = load()
    markdown = to_markdown(analysis)
    blockquotes = [line for line in markdown.splitlines() if line.startswith("> ")]
    assert len(blockquotes) == sum(len(s.quotes) for s in analysis.stages) == 15
    for line in blockquotes:
        assert re.fullmatch(r"> “[^“”]+” — [^,]+, \[\d\d:\d\d\]", line), line
    first = "> “Our biggest problem is that we cannot see the whole operation in one place.”"
    assert f"{first} — Helen Whitaker, [02:20]" in blockquotes


def test_quote_without_a_time_shows_the_speaker_only() -> None:
    analysis = load()
    stage = analysis.stages[0].model_copy(update={"quotes": [Quote(text="We need it live.", speaker="Ana")]})
    markdown = to_markdown(analysis.model_copy(update={"stages": [stage, *analysis.stages[1:]]}))
    assert "> “We need it live.” — Ana\n" in markdown


def test_stage_without_content_says_so_plainly() -> None:
    analysis = load()
    silent = analysis.stages[2].model_copy(update={"discussed": False, "paragraphs": [], "quotes": []})
    stages = [*analysis.stages[:2], silent, *analysis.stages[3:]]
    markdown = to_markdown(analysis.model_copy(update={"stages": stages}))
    section = markdown.split("### 3. Empower & Achieve")[1].split("### 4.")[0]
    assert common.STAGE_NOT_DISCUSSED in section
    assert "> " not in section


def test_recommendations_are_numbered_with_bold_titles() -> None:
    analysis = load()
    section = to_markdown(analysis).split("## Recommendations")[1].split("---")[0]
    items = [line for line in section.splitlines() if line.strip()]
    assert items == [f"{i}. **{r.title}** — {r.narrative}" for i, r in enumerate(analysis.recommendations, 1)]


def test_summary_table_has_template_columns_and_seven_roles_in_order() -> None:
    analysis = load()
    html = html_of(to_markdown(analysis))
    table = html.split("<table>")[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
    assert len(rows) == 8
    header = re.findall(r"<th>(.*?)</th>", rows[0])
    assert header == ["Team Member Role", "Key Customer Excerpts &amp; Insights", "Proposed Actions"]
    template_roles = re.findall(r"^\| \*\*(.+?)\*\*", customer_part(), flags=re.M)
    first_cells = [re.findall(r"<td>(.*?)</td>", r, flags=re.S)[0] for r in rows[1:]]
    assert first_cells == [f"<strong>{t}</strong>" for t in ROLE_TITLES.values()]
    assert list(ROLE_TITLES.values()) == template_roles
    for row, summary in zip(rows[1:], analysis.summary_table, strict=True):
        cells = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
        assert len(cells) == 3
        assert summary.excerpt is not None and summary.excerpt.speaker in cells[1]
        assert all(a.split()[0] in cells[2] for a in summary.actions)


def test_additional_feedback_lists_each_company_and_topic() -> None:
    analysis = load()
    section = to_markdown(analysis).split("## Additional Customer Feedback and Topics")[1]
    assert "**Overall mood:** Cautiously optimistic" in section
    for item in analysis.additional_feedback.sentiment:
        assert f"- **{item.company} — {item.label}:** {item.summary}" in section  # the score stays in JSON
    for topic in analysis.additional_feedback.other_topics:
        assert f"- {topic}" in section


def test_provenance_line_ends_the_document() -> None:
    last = to_markdown(load()).rstrip("\n").splitlines()[-1]
    assert last.startswith("*Draft for the account team to review and edit.") and last.endswith("*")
    for fragment in ("gpt-4.1", "18 November 2026, 16:05 UTC", "analysis-v1", ": 21", ": 1", ": 0"):
        assert fragment in last


def _hostile_analysis() -> Analysis:
    analysis = load()
    stage = analysis.stages[0].model_copy(
        update={
            "paragraphs": ["# Not a heading", "1. not a list", f"Text {HOSTILE} \x00\x1b end"],
            "quotes": [Quote(text=f"quoted {HOSTILE}", speaker="<b>Eve</b>", start=61)],
        }
    )
    row = analysis.summary_table[0].model_copy(
        update={"insight": "a | b\nsecond line", "actions": ["x | y", "- z\n| w"]}
    )
    return analysis.model_copy(
        update={
            "company_name": "Evil <i>Corp</i>",
            "company_background": HOSTILE,
            "stages": [stage, *analysis.stages[1:]],
            "summary_table": [row, *analysis.summary_table[1:]],
        }
    )


def test_transcript_text_cannot_inject_html_or_markdown() -> None:
    markdown = to_markdown(_hostile_analysis())
    html = html_of(markdown)
    for tag in ("<script", "<img", "<a ", "<i>", "<b>", "<h1>Not"):
        assert tag not in html, tag
    assert html.count("<h1>") == 1
    assert html.count("<ol>") == 2, "only the flywheel and recommendation lists are lists"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, "the text itself is kept, shown literally"
    assert "&amp;lt;b&amp;gt;" in html, "an entity in the text shows as typed, not decoded"
    assert "\x00" not in markdown and "\x1b" not in markdown
    assert "<h1>Interview Analysis – Helen Whitaker, Evil &lt;i&gt;Corp&lt;/i&gt;</h1>" in html


def test_pipes_and_newlines_stay_inside_their_table_cell() -> None:
    html = html_of(to_markdown(_hostile_analysis()))
    table = html.split("<table>")[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
    assert len(rows) == 8
    cells = re.findall(r"<td>(.*?)</td>", rows[1], flags=re.S)
    assert len(cells) == 3
    assert "a | b second line" in cells[1]
    assert cells[2] == "x | y. - z | w."


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("# title", "\\# title"),
        ("- item", "\\- item"),
        ("12. item", "12\\. item"),
        ("a *b* _c_ `d`", "a \\*b\\* \\_c\\_ \\`d\\`"),
        ("P&L and &amp;", "P&L and \\&amp;"),
        ("line\nbreak\u202eevil", "line breakevil"),
    ],
)
def test_escape(text: str, escaped: str) -> None:
    assert escape(text) == escaped


def test_fixture_quotes_are_verbatim_from_the_sample() -> None:
    analysis = load()
    verified = verify(analysis, load_transcript(SAMPLE))
    # every quote is verbatim; a quote the fixture shows twice is shown once
    assert len(analysis.quotes()) == 22
    assert len(verified.quotes()) == len({q.text for q in verified.quotes()})
    assert verified.verification.quotes_dropped == analysis.verification.quotes_dropped


def _leaky() -> Analysis:
    """The fixture with template-internal reference sentences planted in several text fields."""
    analysis = load()
    leaks = [s for s in internal_sentences() if len(s.split()) >= 8][:4]
    stage = analysis.stages[1].model_copy(update={"paragraphs": [*analysis.stages[1].paragraphs, leaks[1]]})
    rec = analysis.recommendations[0].model_copy(update={"narrative": f"Act now. {leaks[2]}"})
    return analysis.model_copy(
        update={
            "company_background": f"{analysis.company_background} {leaks[0]}",
            "stages": [analysis.stages[0], stage, *analysis.stages[2:]],
            "recommendations": [rec, *analysis.recommendations[1:]],
            "insights": [*analysis.insights, leaks[3]],
        }
    )


def _leaked(text: str) -> list[str]:
    flat = normalise(text)
    return [s for s in internal_sentences() if normalise(s) in flat]


def test_verified_output_contains_nothing_from_the_internal_reference() -> None:
    leaky = _leaky()
    assert len(_leaked(to_markdown(leaky))) >= 4, "the check must be able to see a leak"

    verified = verify(leaky, load_transcript(SAMPLE))
    assert verified.verification.internal_sentences_removed >= 4
    markdown = to_markdown(verified)
    assert _leaked(markdown) == []
    assert "MCEM Reference" not in markdown
    assert "Stage Roles & Responsibilities" not in markdown


def test_renderer_is_pure() -> None:
    analysis = load()
    before = analysis.model_dump_json()
    assert to_markdown(analysis) == to_markdown(analysis)
    assert analysis.model_dump_json() == before
    assert [s.stage for s in analysis.stages] == list(Stage)


def test_output_is_text_with_one_trailing_newline() -> None:
    markdown = to_markdown(load())
    assert markdown.endswith("\n") and not markdown.endswith("\n\n")
    assert "\u202f" not in markdown and "\r" not in markdown
