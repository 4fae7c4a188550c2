"""The error card: friendly text, what to do, optional retry."""

from __future__ import annotations

from typing import Any

import pytest

from cards import error_card, schema_errors, teams_findings
from cards.validate import iter_elements, visible_text
from mcem.errors import TranscriptError


def test_error_card_shows_title_message_and_what_to_do(schema: dict[str, Any]) -> None:
    err = TranscriptError("call_notes_v2.vtt", "no speaker names found")
    card = error_card(
        "I could not read the transcript", str(err), "Upload the Teams .vtt file and try again."
    )
    assert schema_errors(card, schema) == []
    assert teams_findings(card) == []
    texts = visible_text(card)
    assert texts[:4] == [
        "I could not read the transcript",
        "call_notes_v2.vtt: no speaker names found",
        "What to do",
        "Upload the Teams .vtt file and try again.",
    ]
    assert "actions" not in card
    # underscores in file names would turn italic in a TextBlock; the message sits in a TextRun
    runs = [e["text"] for e in iter_elements(card) if e["type"] == "TextRun"]
    assert "call_notes_v2.vtt: no speaker names found" in runs


def test_retry_button_carries_verb_and_data(schema: dict[str, Any]) -> None:
    card = error_card(
        "Timed out",
        "The analysis took too long.",
        "Try again in a minute.",
        retry_verb="regenerate",
        retry_data={"run_id": "run-7"},
    )
    assert schema_errors(card, schema) == []
    (action,) = card["actions"]
    assert action == {
        "title": "Try again",
        "mode": "primary",
        "type": "Action.Execute",
        "verb": "regenerate",
        "data": {"run_id": "run-7"},
    }


def test_retry_without_data_sends_an_empty_object() -> None:
    (action,) = error_card("t", "m", "w", retry_verb="analyze")["actions"]
    assert (action["verb"], action["data"]) == ("analyze", {})


def test_retry_data_without_verb_is_refused() -> None:
    with pytest.raises(ValueError, match="retry_verb"):
        error_card("t", "m", "w", retry_data={"x": 1})


def test_runaway_message_is_capped() -> None:
    card = error_card("t", "x " * 5000, "w")
    assert max(len(t) for t in visible_text(card)) <= 1000
