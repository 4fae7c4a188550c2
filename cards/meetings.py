"""The meeting picker: recent meetings, each with an "Analyze" button when it has a transcript."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from adaptive_cards import types
from adaptive_cards.card import ActionExecute, ActionSet, Column, ColumnSet, Container
from pydantic import BaseModel, ConfigDict, Field

from mcem.links import strip_links
from mcem.render.card.elements import label, literal, local_datetime, new_card, run, shorten, to_dict

VERB_ANALYZE = "analyze"
DEFAULT_MAX_ROWS = 15  # a picker longer than this is a scroll, not a choice


class MeetingRow(BaseModel):
    """One meeting as the picker shows it; the bot fills it from Graph."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meeting_id: str = Field(min_length=1)
    subject: str
    start: datetime
    organizer: str
    has_transcript: bool


def meetings_card(rows: Sequence[MeetingRow], *, max_rows: int = DEFAULT_MAX_ROWS) -> dict[str, Any]:
    if not rows:
        return _empty_card()
    shown = list(rows)[:max_rows]
    builder = new_card(full_width=False).fallback_text("Your recent meetings")
    builder.add_item(
        label("Your recent meetings", size=types.FontSize.MEDIUM, weight=types.FontWeight.BOLDER)
    )
    builder.add_item(
        label("Pick one to analyse. Meetings without a transcript cannot be analysed.", is_subtle=True)
    )
    builder.add_items([_row(r) for r in shown])
    if len(rows) > len(shown):
        more = len(rows) - len(shown)
        builder.add_item(
            label(f"{more} older meeting{'s' if more != 1 else ''} not shown. Try: analyze <subject words>.")
        )
    return to_dict(builder.create())


def _row(row: MeetingRow) -> Container:
    details = [
        # Whoever organised the meeting wrote its subject; a link in it must not become clickable here.
        literal(
            run(shorten(strip_links(row.subject), 200) or "(no subject)", weight=types.FontWeight.BOLDER)
        ),
        label(local_datetime(row.start), is_subtle=True, spacing=types.Spacing.NONE),
        literal(run(f"Organizer: {shorten(row.organizer, 120)}", is_subtle=True), spacing=types.Spacing.NONE),
    ]
    if row.has_transcript:
        side: Any = ActionSet(
            actions=[ActionExecute(title="Analyze", verb=VERB_ANALYZE, data={"meeting_id": row.meeting_id})]
        )
    else:
        side = label("no transcript", is_subtle=True, size=types.FontSize.SMALL)
    return Container(
        separator=True,
        items=[
            ColumnSet(
                columns=[
                    Column(width="stretch", items=details),
                    Column(
                        width="auto", items=[side], vertical_content_alignment=types.VerticalAlignment.CENTER
                    ),
                ]
            )
        ],
    )


def _empty_card() -> dict[str, Any]:
    builder = new_card(full_width=False).fallback_text("No recent meetings with transcripts")
    builder.add_item(
        label(
            "No recent meetings with transcripts", size=types.FontSize.MEDIUM, weight=types.FontWeight.BOLDER
        )
    )
    builder.add_item(
        label(
            "I found no meeting from the last few days that you organised or attended with a transcript. "
            "Turn on transcription in your next customer call, and I can analyse it "
            "a few minutes after it ends."
        )
    )
    return to_dict(builder.create())
