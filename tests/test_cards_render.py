"""Render every card with the real Adaptive Cards JavaScript renderer (npm ``adaptivecards``, the
library Teams web and the Agents Playground build on) in headless Chromium, and read what a user sees.

Schema checks say a card is well-formed; this says the renderer understands it: no parse warnings,
DATE()/TIME() localised, the table drawn with its rows, customer text shown literally.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright

from cards import DEFAULT_STEPS, MeetingRow, error_card, help_card, meetings_card, progress_card
from mcem.model import ROLE_TITLES, Analysis
from mcem.render.card import summary_card
from tests.conftest import FIXTURES, ROOT
from tests.support.browser import CHROMIUM_FLAGS, require_chromium

RENDERER = ROOT / "node_modules" / "adaptivecards" / "dist" / "adaptivecards.min.js"
URL = "https://fabrikam.sharepoint.com/sites/accounts/analysis.docx"

RENDER_JS = """(card) => {
  const host = document.getElementById("host");
  host.innerHTML = "";
  const ac = new AdaptiveCards.AdaptiveCard();
  const ctx = new AdaptiveCards.SerializationContext();
  ac.parse(card, ctx);
  const events = [];
  for (let i = 0; i < ctx.eventCount; i++) events.push(ctx.getEventAt(i).message);
  for (const e of ac.validateProperties().validationEvents) events.push(e.message);
  const el = ac.render();
  host.appendChild(el);
  return {
    events,
    text: el.innerText,
    rows: [...el.querySelectorAll("[role=row]")].map(r => r.innerText),
    buttons: [...el.querySelectorAll("button")].map(b => b.innerText.trim()),
    scripts: el.querySelectorAll("script").length,
  };
}"""


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    if not RENDERER.is_file():
        pytest.fail(f"{RENDERER} is missing: run `make node` (npm devDependency adaptivecards)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.set_content('<html><body><div id="host"></div></body></html>')
        page.add_script_tag(content=RENDERER.read_text("utf-8"))
        yield page
        browser.close()


def render(page: Page, card: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(RENDER_JS, card)
    assert result["events"] == [], result["events"]
    assert "{{" not in result["text"]  # every DATE()/TIME() was understood and localised
    return result


@pytest.fixture
def analysis() -> Analysis:
    return Analysis.model_validate_json((FIXTURES / "cards" / "analysis.json").read_text("utf-8"))


def test_summary_card_renders_table_and_actions(page: Page, analysis: Analysis) -> None:
    out = render(page, summary_card(analysis, URL, run_id="r"))
    assert out["text"].startswith("Interview Analysis – Dana Whitfield, Fabrikam Logistics\n")
    assert "2026" in out["text"].splitlines()[1]  # the localised meeting date
    assert len(out["rows"]) == 8
    assert out["rows"][0].split("\n")[0] == "Role"
    assert [r.split("\n")[0] for r in out["rows"][1:]] == list(ROLE_TITLES.values())
    assert out["buttons"] == [
        "Open the full document",
        "Email to internal attendees",
        "Regenerate",
        "Refresh from the document",
        "Feedback",
    ]


def test_customer_text_is_shown_literally(page: Page, analysis: Analysis) -> None:
    special = 'He said **not bold** and _not italic_ <script>alert("x")</script> 🚚 [x](http://e)'
    analysis.executive_summary[0] = special
    analysis.summary_table[0].insight = special
    out = render(page, summary_card(analysis, URL))
    # Literal, except the link: its text stays, its target goes (mcem/links.py).
    assert out["text"].count(special.replace("[x](http://e)", "x")) == 2
    assert "http://e" not in out["text"]
    assert out["scripts"] == 0


def test_trimmed_card_still_renders_every_row(page: Page, analysis: Analysis) -> None:
    data = analysis.model_dump(mode="json")
    for row in data["summary_table"]:
        row["insight"] = "word " * 3000
    out = render(page, summary_card(Analysis.model_validate(data), URL))
    assert "Trimmed to fit Teams — see the full document for everything." in out["text"]
    assert len(out["rows"]) == 8
    assert "Open the full document" in out["buttons"]


def test_other_cards_render(page: Page) -> None:
    progress = render(page, progress_card(DEFAULT_STEPS, 2, subject="Fabrikam check-in"))
    assert "✓\nFinding the meeting — done" in progress["text"]
    assert "…\nAnalysing — in progress" in progress["text"]

    error = render(page, error_card("Timed out", "It took too long.", "Try again.", retry_verb="analyze"))
    assert error["buttons"] == ["Try again"]

    rows = [
        MeetingRow(
            meeting_id="m1",
            subject="Fabrikam",
            start=datetime(2026, 11, 20, 15, tzinfo=UTC),
            organizer="Sam Patel",
            has_transcript=True,
        ),
        MeetingRow(
            meeting_id="m2",
            subject="Prep",
            start=datetime(2026, 11, 19, 9, tzinfo=UTC),
            organizer="Sam Patel",
            has_transcript=False,
        ),
    ]
    picker = render(page, meetings_card(rows))
    assert picker["buttons"] == ["Analyze"]
    assert "no transcript" in picker["text"]
    assert "No recent meetings with transcripts" in render(page, meetings_card([]))["text"]

    assert "analyze <subject words or a date>" in render(page, help_card())["text"]


def test_renderer_reports_problems(page: Page) -> None:
    """The harness itself can fail: an unknown element is reported, not silently dropped."""
    result = page.evaluate(RENDER_JS, {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Fancy"}]})
    assert result["events"]
    assert json.dumps(result)  # plain data back from the page
