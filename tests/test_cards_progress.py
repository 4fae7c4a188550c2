"""The progress card: one marker per step, updated in place by the bot."""

from __future__ import annotations

from typing import Any

import pytest

from cards import DEFAULT_STEPS, progress_card, schema_errors, teams_findings
from cards.validate import iter_elements, visible_text


def step_lines(card: dict[str, Any]) -> list[tuple[str, str]]:
    """(marker, step text) for each step row, in order."""
    out = []
    for row in (e for e in card["body"] if e["type"] == "ColumnSet"):
        marker_col, text_col = row["columns"]
        out.append((marker_col["items"][0]["text"], "".join(visible_text({"body": text_col["items"]}))))
    return out


def test_default_steps_are_the_four_pipeline_steps() -> None:
    assert DEFAULT_STEPS == (
        "Finding the meeting",
        "Fetching the transcript",
        "Analysing",
        "Saving the document",
    )


@pytest.mark.parametrize("current", range(len(DEFAULT_STEPS) + 1))
def test_markers_follow_the_current_step(schema: dict[str, Any], current: int) -> None:
    card = progress_card(DEFAULT_STEPS, current, subject="Fabrikam check-in")
    assert schema_errors(card, schema) == []
    assert teams_findings(card) == []
    lines = step_lines(card)
    assert [text.split(" — ")[0] for _, text in lines] == list(DEFAULT_STEPS)
    for index, (marker, text) in enumerate(lines):
        if index < current:
            assert (marker, text.endswith(" — done")) == ("✓", True)
        elif index == current:
            assert (marker, text.endswith(" — in progress")) == ("…", True)
        else:
            assert (marker, text.endswith(" — waiting")) == ("○", True)
    title = card["body"][0]["text"]
    assert title == ("Analysis ready" if current == len(DEFAULT_STEPS) else "Working on your analysis")
    assert "Fabrikam check-in" in visible_text(card)


def test_failed_step_is_marked_and_later_steps_wait() -> None:
    card = progress_card(DEFAULT_STEPS, 1, failed=True)
    assert [m for m, _ in step_lines(card)] == ["✓", "✗", "○", "○"]
    failed_marker = card["body"][2]["columns"][0]["items"][0]
    assert failed_marker["color"] == "attention"
    assert card["body"][0]["text"] == "Analysis stopped"


def test_subject_is_literal_text_and_optional() -> None:
    card = progress_card(["Only step"], 0, subject="Q3 *roadmap* _review_")
    runs = [e["text"] for e in iter_elements(card) if e["type"] == "TextRun"]
    assert "Q3 *roadmap* _review_" in runs
    assert not any(
        "roadmap" in t for t in visible_text({"body": [b for b in card["body"] if b["type"] == "TextBlock"]})
    )
    assert "Only step" in "".join(visible_text(progress_card(["Only step"], 0)))


@pytest.mark.parametrize(
    ("steps", "current", "failed", "message"),
    [
        ([], 0, False, "at least one step"),
        (["a", "b"], 3, False, "between 0 and 2"),
        (["a", "b"], -1, False, "between 0 and 2"),
        (["a", "b"], 2, True, "failed needs the index"),
    ],
)
def test_bad_arguments_are_refused(steps: list[str], current: int, failed: bool, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        progress_card(steps, current, failed=failed)
