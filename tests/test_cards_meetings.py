"""The meeting picker: an Analyze button per meeting with a transcript."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from cards import MeetingRow, meetings_card, schema_errors, teams_findings
from cards.validate import iter_elements, visible_text

ROWS = [
    MeetingRow(
        meeting_id="MSo1N2Y5ZGFjYy0",
        subject="Fabrikam quarterly check-in",
        start=datetime(2026, 11, 20, 15, 0, tzinfo=UTC),
        organizer="Sam Patel",
        has_transcript=True,
    ),
    MeetingRow(
        meeting_id="MSo1N2Y5ZGFjYy1",
        subject="Internal prep_call *draft*",
        start=datetime(2026, 11, 19, 9, 30, tzinfo=timezone(timedelta(hours=1))),
        organizer="Priya Raman",
        has_transcript=False,
    ),
    MeetingRow(
        meeting_id="MSo1N2Y5ZGFjYy2",
        subject="Contoso kickoff",
        start=datetime(2026, 11, 18, 13, 0),
        organizer="Sam Patel",
        has_transcript=True,
    ),
]


def row_containers(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in card["body"] if e["type"] == "Container"]


def test_each_meeting_is_listed_in_order(schema: dict[str, Any]) -> None:
    card = meetings_card(ROWS)
    assert schema_errors(card, schema) == []
    assert teams_findings(card) == []
    containers = row_containers(card)
    assert len(containers) == 3
    for container, row in zip(containers, ROWS, strict=True):
        texts = visible_text(container)
        assert texts[0] == row.subject
        assert f"Organizer: {row.organizer}" in texts


def test_analyze_button_only_for_meetings_with_a_transcript() -> None:
    card = meetings_card(ROWS)
    buttons = [e for e in iter_elements(card) if e["type"] == "Action.Execute"]
    assert [(b["title"], b["verb"], b["data"]) for b in buttons] == [
        ("Analyze", "analyze", {"meeting_id": "MSo1N2Y5ZGFjYy0"}),
        ("Analyze", "analyze", {"meeting_id": "MSo1N2Y5ZGFjYy2"}),
    ]
    second = row_containers(card)[1]
    assert "no transcript" in visible_text(second)
    assert not [e for e in iter_elements(second) if e["type"].startswith("Action.")]


def test_start_times_localise_in_the_client_and_are_utc_on_the_wire() -> None:
    texts = visible_text(meetings_card(ROWS))
    assert "{{DATE(2026-11-20T15:00:00Z, SHORT)}} {{TIME(2026-11-20T15:00:00Z)}}" in texts
    assert "{{DATE(2026-11-19T08:30:00Z, SHORT)}} {{TIME(2026-11-19T08:30:00Z)}}" in texts  # +01:00 -> UTC
    assert "{{DATE(2026-11-18T13:00:00Z, SHORT)}} {{TIME(2026-11-18T13:00:00Z)}}" in texts  # naive = UTC


def test_subject_is_literal_text() -> None:
    card = meetings_card(ROWS)
    runs = [e["text"] for e in iter_elements(card) if e["type"] == "TextRun"]
    assert "Internal prep_call *draft*" in runs


def test_empty_list_gives_a_friendly_card(schema: dict[str, Any]) -> None:
    card = meetings_card([])
    assert schema_errors(card, schema) == []
    assert teams_findings(card) == []
    texts = visible_text(card)
    assert texts[0] == "No recent meetings with transcripts"
    assert any("transcription" in t for t in texts)
    assert not [e for e in iter_elements(card) if e["type"].startswith("Action.")]


def test_long_lists_are_capped_with_a_hint() -> None:
    many = [ROWS[0].model_copy(update={"meeting_id": f"m{i}"}) for i in range(20)]
    card = meetings_card(many, max_rows=5)
    assert len(row_containers(card)) == 5
    assert any(t.startswith("15 older meetings not shown") for t in visible_text(card))


def test_meeting_row_is_frozen_and_strict() -> None:
    with pytest.raises(ValidationError):
        ROWS[0].subject = "changed"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        MeetingRow(meeting_id="", subject="s", start=datetime.now(UTC), organizer="o", has_transcript=True)
    with pytest.raises(ValidationError):
        MeetingRow.model_validate(
            {
                "meeting_id": "m",
                "subject": "s",
                "start": "2026-11-20T15:00:00Z",
                "organizer": "o",
                "has_transcript": True,
                "extra": 1,
            }
        )
