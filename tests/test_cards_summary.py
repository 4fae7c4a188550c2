"""The summary card: content, order, actions, safety of the text, and validity for Teams."""

from __future__ import annotations

import copy
import json
import os
from enum import Enum
from typing import Any

import pytest

from cards import schema_errors, teams_findings
from cards.validate import iter_elements, visible_text
from mcem.leaks import leaks
from mcem.model import ROLE_TITLES, Analysis
from mcem.render.card import TRIM_NOTICE, card_bytes, summary_card
from mcem.render.card.summary import OFFLINE_NOTE, TABLE_HEADERS
from mcem.template import internal_sentences
from tests.conftest import FIXTURES

URL = "https://fabrikam.sharepoint.com/sites/accounts/Shared%20Documents/Fabrikam/analysis.docx"


@pytest.fixture
def analysis() -> Analysis:
    return Analysis.model_validate_json((FIXTURES / "cards" / "analysis.json").read_text("utf-8"))


def assert_valid(card: dict[str, Any], schema: dict[str, Any]) -> None:
    assert schema_errors(card, schema) == []
    assert teams_findings(card) == []


def table_of(card: dict[str, Any]) -> dict[str, Any]:
    tables = [e for e in iter_elements(card["body"]) if e["type"] == "Table"]
    assert len(tables) == 1
    return tables[0]


def cell_text(cell: dict[str, Any]) -> str:
    return "".join(visible_text({"body": cell["items"]}))


def actions_by_title(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["title"]: a for a in card.get("actions", [])}


def test_card_is_valid_adaptive_card_15_for_teams(analysis: Analysis, schema: dict[str, Any]) -> None:
    for url in (URL, None):
        card = summary_card(analysis, url, run_id="run-42")
        assert_valid(card, schema)
        assert card["type"] == "AdaptiveCard"
        assert card["version"] == "1.5"
        assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
        assert card["msteams"] == {"width": "Full"}


def test_card_is_a_plain_json_dict(analysis: Analysis) -> None:
    card = summary_card(analysis, URL)

    def plain(node: Any) -> bool:
        if isinstance(node, dict):
            return all(type(k) is str and plain(v) for k, v in node.items())
        if isinstance(node, list):
            return all(plain(v) for v in node)
        return not isinstance(node, Enum) and type(node) in (str, int, float, bool, type(None))

    assert type(card) is dict
    assert plain(card)
    assert json.loads(json.dumps(card)) == card


def test_header_shows_title_date_subject_and_engine_note(analysis: Analysis) -> None:
    card = summary_card(analysis, URL)
    texts = visible_text(card)
    assert texts[0] == "Interview Analysis – Dana Whitfield, Fabrikam Logistics"
    assert "{{DATE(2026-11-20T15:00:00Z, LONG)}} {{TIME(2026-11-20T15:00:00Z)}}" in texts
    assert any(
        "Fabrikam quarterly check-in: route planning on Azure" in t and OFFLINE_NOTE in t for t in texts
    )
    assert TRIM_NOTICE not in texts


def test_engine_note_for_llm_without_note(analysis: Analysis) -> None:
    analysis.meta.engine = "llm"
    analysis.meta.model = "gpt-4o"
    analysis.meta.note = ""
    texts = visible_text(summary_card(analysis, URL))
    assert any("Drafted with a language model (gpt-4o)" in t for t in texts)
    assert not any(OFFLINE_NOTE in t for t in texts)


def test_executive_summary_shows_first_two_paragraphs(analysis: Analysis) -> None:
    texts = visible_text(summary_card(analysis, URL))
    first, second, third = analysis.executive_summary
    assert first in texts and second in texts
    assert third not in texts
    assert texts.index("Executive summary") < texts.index(first) < texts.index(second)


def test_summary_table_has_header_and_seven_roles_in_order(analysis: Analysis) -> None:
    table = table_of(summary_card(analysis, URL))
    assert table["firstRowAsHeader"] is True
    assert len(table["columns"]) == 3
    rows = table["rows"]
    assert len(rows) == 8
    assert [cell_text(c) for c in rows[0]["cells"]] == list(TABLE_HEADERS)
    assert [cell_text(r["cells"][0]) for r in rows[1:]] == list(ROLE_TITLES.values())
    for row, summary in zip(rows[1:], analysis.summary_table, strict=True):
        middle = cell_text(row["cells"][1])
        assert summary.insight in middle
        for action in summary.actions:
            assert f"• {action}" in cell_text(row["cells"][2])


def test_excerpt_is_quoted_with_speaker_and_time_then_insight(analysis: Analysis) -> None:
    rows = table_of(summary_card(analysis, URL))["rows"]
    ae = rows[1]["cells"][1]["items"]
    quote_runs = ae[0]["inlines"]
    assert quote_runs[0]["text"] == (
        "“We need to see it working on real Rotterdam data before January, or the budget goes elsewhere.”"
    )
    assert quote_runs[0]["italic"] is True
    assert quote_runs[1]["text"] == " — Dana Whitfield (15:05)"
    assert ae[1]["inlines"][0]["text"] == analysis.summary_table[0].insight
    csa = cell_text(rows[4]["cells"][1])
    assert csa.startswith("“The nightly export is where it breaks, every single week.” — Marcus Lee (03:32)")
    partner = rows[5]["cells"][1]["items"]  # no excerpt: the insight alone, no empty quote marks
    assert len(partner) == 1 and "“" not in cell_text(rows[5]["cells"][1])


def test_recommendations_are_numbered_with_bold_titles(analysis: Analysis) -> None:
    body = summary_card(analysis, URL)["body"]
    recs = [
        e
        for e in body
        if e["type"] == "RichTextBlock" and e["inlines"][0]["text"][:2] in {"1.", "2.", "3.", "4."}
    ]
    assert len(recs) == len(analysis.recommendations) == 4
    for i, (block, rec) in enumerate(zip(recs, analysis.recommendations, strict=True), 1):
        assert block["inlines"][0] == {"type": "TextRun", "text": f"{i}. {rec.title}", "weight": "bolder"}
        assert block["inlines"][1]["text"] == f" — {rec.narrative}"


def test_verification_line_and_quiet_stages(analysis: Analysis) -> None:
    texts = visible_text(summary_card(analysis, URL))
    assert "12 quotes verified against the transcript; 1 dropped" in texts
    assert "Not discussed on this call: Realize Value" in texts
    analysis.verification.quotes_checked = 0
    analysis.verification.quotes_dropped = 0
    assert "Quotes have not been checked against the transcript yet" in visible_text(
        summary_card(analysis, URL)
    )


def test_open_url_button_present_only_with_a_url(analysis: Analysis) -> None:
    with_url = actions_by_title(summary_card(analysis, URL))
    assert with_url["Open the full document"]["type"] == "Action.OpenUrl"
    assert with_url["Open the full document"]["url"] == URL
    without = summary_card(analysis, None)
    assert not [e for e in iter_elements(without) if e["type"] == "Action.OpenUrl"]
    assert "Open the full document" not in actions_by_title(without)
    assert "Refresh from the document" not in actions_by_title(without)  # nothing to refresh from


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "file:///etc/passwd", "not a url"])
def test_document_url_must_be_http(analysis: Analysis, bad: str) -> None:
    with pytest.raises(ValueError, match="http"):
        summary_card(analysis, bad)


def test_execute_actions_carry_verbs_and_run_id(analysis: Analysis) -> None:
    card = summary_card(analysis, URL, run_id="run-42")
    actions = actions_by_title(card)
    email = actions["Email to internal attendees"]
    assert (email["type"], email["verb"]) == ("Action.Execute", "email")
    assert email["data"] == {"run_id": "run-42", "document_url": URL}
    regen = actions["Regenerate"]
    assert (regen["type"], regen["verb"], regen["data"]) == (
        "Action.Execute",
        "regenerate",
        {"run_id": "run-42"},
    )
    refresh = actions["Refresh from the document"]
    assert (refresh["type"], refresh["verb"], refresh["data"]) == (
        "Action.Execute",
        "refresh",
        {"run_id": "run-42"},
    )
    feedback = actions["Feedback"]
    assert feedback["type"] == "Action.ShowCard"
    form = feedback["card"]
    inputs = {e["id"]: e for e in form["body"]}
    assert inputs["rating"]["type"] == "Input.ChoiceSet" and inputs["rating"]["isRequired"] is True
    assert [c["value"] for c in inputs["rating"]["choices"]] == ["useful", "partly", "not_useful"]
    assert inputs["comment"]["type"] == "Input.Text"
    (send,) = form["actions"]
    assert (send["type"], send["verb"], send["data"]) == ("Action.Execute", "feedback", {"run_id": "run-42"})


def test_without_run_id_data_is_an_empty_object(analysis: Analysis) -> None:
    actions = actions_by_title(summary_card(analysis, None))
    assert actions["Regenerate"]["data"] == {}
    assert actions["Email to internal attendees"]["data"] == {}


def test_every_text_block_wraps(analysis: Analysis) -> None:
    card = summary_card(analysis, URL)
    blocks = [e for e in iter_elements(card) if e["type"] == "TextBlock"]
    assert blocks and all(b.get("wrap") is True for b in blocks)


def _internal_hits(card: dict[str, Any]) -> list[str]:
    return [t for t in visible_text(card) if leaks(t)]


def test_no_internal_reference_text_in_the_card(analysis: Analysis) -> None:
    card = summary_card(analysis, URL)
    blob = " ".join(visible_text(card)).casefold()
    assert _internal_hits(card) == []
    for sentence in internal_sentences():
        assert sentence.casefold() not in blob


def test_internal_text_that_slipped_into_an_analysis_is_removed(analysis: Analysis) -> None:
    sentences = [s for s in internal_sentences() if s.endswith(".")]
    leak_a, leak_b = sentences[0], sentences[len(sentences) // 2]
    assert leaks(leak_a) and leaks(leak_b)  # the check itself can fail
    analysis.executive_summary[0] = f"Dana was clear about the goal. **{leak_a}** That was all."
    analysis.summary_table[0].insight = leak_b
    analysis.recommendations[0].narrative = f"Agree the scope. {leak_a}"
    card = summary_card(analysis, URL)
    assert _internal_hits(card) == []
    texts = visible_text(card)
    assert "Dana was clear about the goal. That was all." in texts
    assert " — Agree the scope." in texts
    ae_cell = table_of(card)["rows"][1]["cells"][1]["items"]  # the quote stays, the leaked insight goes
    assert len(ae_cell) == 1 and ae_cell[0]["inlines"][0]["text"].startswith("“We need to see it")


SPECIAL = (
    'He said **not bold** and _not italic_ — "quoted" 🚚 <script>alert(1)</script> [x](http://e) & \\ end'
)


def test_special_characters_survive_as_literal_text(analysis: Analysis, schema: dict[str, Any]) -> None:
    analysis.executive_summary[0] = SPECIAL
    analysis.summary_table[2].insight = SPECIAL
    analysis.summary_table[2].excerpt.text = SPECIAL  # type: ignore[union-attr]
    analysis.recommendations[1].narrative = SPECIAL
    card = summary_card(analysis, URL)
    assert_valid(card, schema)
    runs = [e["text"] for e in iter_elements(card) if e["type"] == "TextRun"]
    # Everything stays literal except the link, which keeps its text and loses its target (mcem/links.py).
    shown = SPECIAL.replace("[x](http://e)", "x")
    assert shown in runs
    assert f"“{shown}”" in runs
    assert f" — {shown}" in runs
    assert not any("http://e" in r for r in runs)
    # TextBlocks parse markdown; customer words must never be put in one.
    blocks = [e["text"] for e in iter_elements(card) if e["type"] == "TextBlock"]
    assert not any("not bold" in b for b in blocks)
    assert json.loads(json.dumps(card, ensure_ascii=False)) == card


def test_builder_does_not_mutate_the_analysis(analysis: Analysis) -> None:
    before = copy.deepcopy(analysis.model_dump())
    summary_card(analysis, URL, max_bytes=12_000)
    assert analysis.model_dump() == before


def test_matches_golden_card(analysis: Analysis) -> None:
    """The whole card for the fixture; after a wanted change run with UPDATE_GOLDEN=1 and review the diff."""
    golden = FIXTURES / "cards" / "summary.golden.json"
    card = summary_card(analysis, URL, run_id="run-42")
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", "utf-8")
    assert card == json.loads(golden.read_text("utf-8")), f"{golden.name} differs (UPDATE_GOLDEN=1 to accept)"
    assert card_bytes(card) < 28_000
