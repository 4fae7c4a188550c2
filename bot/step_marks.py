"""Next steps marked done from the summary email's card ("Next steps done"), and how the card says so.

The marks are a record kind of the bot's state (``stepsdone`` in bot/state.py): per run and step
index, who marked it and when, first mark kept. They are kept beside the run, not in its sidecar:
the sidecar is what the call showed, a tick is a person's say-so afterwards. The account history
(bot/account.py) reads them for the calls the requester may see and shows each beside its step
(``StepMark``, mcem/account), next to what later calls say about it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from bot.state import StepDone
from mcem.account import StepMark
from mcem.model import Analysis

__all__ = ["StepMarks", "done_notes", "history_marks", "step_places"]


class StepMarks(Protocol):
    """The part of the bot's state the email card's buttons use (bot/state.py implements it)."""

    async def mark_step_done(
        self, run_id: str, index: int, by: str, at: datetime, via: str = "outlook"
    ) -> bool: ...

    async def steps_done(self, run_id: str) -> list[StepDone]: ...


def step_places(analysis: Analysis, base: Analysis | None) -> list[int]:
    """For each next step of the draft as read back, its index among the analysis.json's (``base``),
    which is what a mark names; -1 for one that is not there.

    Someone may delete a step's line in Word: the steps after it move up in the draft but keep their
    verified quotes (mcem/render/docx_extras_reader.py), so the quote finds their place, and a tick
    on the draft's third line still marks the step the account history shows third in that call.
    """
    if base is None:
        return list(range(len(analysis.next_steps)))
    free = list(range(len(base.next_steps)))
    places: list[int] = []
    for step in analysis.next_steps:
        place = next((j for j in free if base.next_steps[j].quote == step.quote), -1)
        if place >= 0:
            free.remove(place)
        places.append(place)
    return places


def done_notes(marks: list[StepDone], places: list[int]) -> dict[int, str]:
    """Beside each done step of the draft ('done — Sofia Farías, 3 Dec 2026'); ``places``: each of its
    steps' index in the analysis.json (``step_places``)."""
    by_place = {m.index: m for m in marks}
    return {
        i: f"done — {m.by}, {m.at.astimezone(UTC):%-d %b %Y}"
        for i, place in enumerate(places)
        if place >= 0 and (m := by_place.get(place)) is not None
    }


def history_marks(marks: list[StepDone]) -> list[StepMark]:
    """The run's marks as the account history takes them (a mark from an unknown card is left out)."""
    return [
        StepMark(step=m.index, by=m.by, at=m.at, via=m.via)  # type: ignore[arg-type]
        for m in marks
        if m.index >= 0 and m.via in ("outlook", "teams")
    ]
