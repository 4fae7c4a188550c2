"""The help card lists every command the bot understands."""

from __future__ import annotations

from typing import Any

from cards import help_card, schema_errors, teams_findings


def test_help_card_lists_the_commands(schema: dict[str, Any]) -> None:
    card = help_card()
    assert schema_errors(card, schema) == []
    assert teams_findings(card) == []
    commands = [e["inlines"] for e in card["body"] if e["type"] == "RichTextBlock"]
    assert [c[0]["text"] for c in commands] == [
        "analyze last meeting",
        "analyze <subject words or a date>",
        "meetings",
        "refresh",
        "account <company>",
        "help",
    ]
    assert all(c[0]["weight"] == "bolder" and c[1]["text"].startswith(" — ") for c in commands)
    assert all(b.get("wrap") is True for b in card["body"] if b["type"] == "TextBlock")
