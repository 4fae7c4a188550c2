"""The account brief's three renderers: card (Adaptive Card 1.5, Teams size), Word and Markdown."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from docx import Document

from cards import schema_errors, teams_findings
from mcem.account import CallSource, account_history
from mcem.model import Quote
from mcem.render.account_docx import account_docx
from mcem.render.account_markdown import account_markdown
from mcem.render.card import DEFAULT_MAX_BYTES, card_bytes
from mcem.render.card.account import OPEN_BRIEF, account_card
from tests.support.accounts import contoso_analyses, contoso_sources
from tests.support.cards import texts

BRIEF_URL = "http://127.0.0.1:9/sites/AccountTeam/Shared%20Documents/Contoso/Account%20brief.docx"


@pytest.fixture(scope="module")
def history():  # type: ignore[no-untyped-def]
    return account_history("Contoso", contoso_sources())


def _docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_the_card_is_a_valid_teams_card_with_the_strip_and_the_closing_quote(
    history,
    schema: dict[str, Any],  # type: ignore[no-untyped-def]
) -> None:
    card = account_card(history, BRIEF_URL)
    assert schema_errors(card, schema) == []
    assert teams_findings(card) == []
    text = texts(card)
    for strip in ("●○○○○ Listen & Consult", "●●○○○ Inspire & Design", "●●●○○ Empower & Achieve"):
        assert strip in text
    assert "“I sent the Sentinel cost estimate with the E5 breakdown to Anika on the thirteenth.”" in text
    assert "○ Arrange the CISO briefing for your CFO — Alex Wilber" in text
    assert "Competitive risk: the customer side rates Google well (20 Oct, 10 Nov, 1 Dec)" in text
    google = next(part for part in text.split(" | ") if part.startswith("• Google (competitor)"))
    assert "rated well, a threat (20 Oct)" in google and "negative" not in google
    [button] = card["actions"]
    assert (button["type"], button["title"], button["url"]) == ("Action.OpenUrl", OPEN_BRIEF, BRIEF_URL)


def test_twenty_calls_still_fit_in_one_teams_message(schema: dict[str, Any]) -> None:
    calls = []
    for k in range(20):
        a = contoso_analyses()[k % 3]
        when = a.details.date_time + timedelta(days=7 * (k // 3) * 3)  # type: ignore[operator]
        calls.append(
            CallSource(a.model_copy(update={"details": a.details.model_copy(update={"date_time": when})}))
        )
    card = account_card(account_history("Contoso", calls), BRIEF_URL)
    assert card_bytes(card) <= DEFAULT_MAX_BYTES
    assert schema_errors(card, schema) == []
    assert "Trimmed to fit Teams" in texts(card)


def test_the_word_brief_has_the_calls_table_and_everything_the_card_has(history) -> None:  # type: ignore[no-untyped-def]
    data = account_docx(history)
    doc = Document(io.BytesIO(data))
    assert doc.paragraphs[0].style.name == "Title" and doc.paragraphs[0].text == "Account brief – Contoso"
    [table] = doc.tables
    assert [c.text for c in table.rows[0].cells] == [
        "Date",
        "Call",
        "Customer",
        "L&C",
        "I&D",
        "E&A",
        "RV",
        "M&O",
    ]
    # The stage strip: the cell of the stage reached is marked, the ones before it shaded too.
    marks = [[c.text for c in row.cells[3:]] for row in table.rows[1:]]
    assert marks == [["●", "", "", "", ""], ["", "●", "", "", ""], ["", "", "●", "", ""]]
    shaded = [[bool(c._tc.xpath("./w:tcPr/w:shd")) for c in row.cells[3:]] for row in table.rows[1:]]
    assert shaded == [
        [True, False, False, False, False],
        [True, True, False, False, False],
        [True, True, True, False, False],
    ]
    text = _docx_text(data)
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == ["Calls", "What moved since the previous call", "Next steps still open"]
    assert "I sent the Sentinel cost estimate with the E5 breakdown" in text
    assert account_docx(history) == data  # same history, same bytes


def test_nothing_said_in_confidence_reaches_any_output(history) -> None:  # type: ignore[no-untyped-def]
    outputs = [
        texts(account_card(history, None)),
        account_markdown(history),
        _docx_text(account_docx(history)),
    ]
    for output in outputs:
        assert "Leipzig" not in output
        assert "MCEM Reference" not in output


def test_markdown_shows_a_customers_markup_as_typed() -> None:
    a = contoso_analyses()[0]
    hostile = a.model_copy(
        update={
            "details": a.details.model_copy(update={"subject": "<img src=x onerror=alert(1)> # Q3 *plan*"})
        }
    )
    md = account_markdown(account_history("Contoso", [CallSource(hostile)]))
    assert not re.search(r"(?<!\\)<img", md) and "\\<img src=x onerror=alert(1)\\>" in md
    assert "\\*plan\\*" in md


def test_a_card_link_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        account_card(account_history("Contoso", contoso_sources()), "javascript:alert(1)")


def test_evidence_keeps_speaker_and_time(history) -> None:  # type: ignore[no-untyped-def]
    md = account_markdown(history)
    line = next(x for x in md.splitlines() if "I sent the Sentinel cost estimate" in x)
    quote = next(s.evidence for s in history.closed if s.evidence and "cost estimate" in s.evidence.text)
    assert isinstance(quote, Quote) and quote.start is not None
    assert "— Lynne Robbins, 10 Nov \\[00:" in line


def test_a_card_for_fewer_than_every_call_says_whose_calls_it_holds(history, schema: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    card = account_card(history, None, partial=True)
    assert schema_errors(card, schema) == []
    assert "Built from the calls you organised or attended." in texts(card)
    assert "Built from the calls you organised" not in texts(account_card(history, BRIEF_URL))
