"""Next steps marked done from the summary email's card ("Next steps done"), and how the card says so.

The marks are a record kind of the bot's state (``stepsdone`` in bot/state.py): per run and step
index, who marked it and when, first mark kept. Why the bot's state and not the account history:
the account memory of issue 13 keeps what the calls themselves show (a later call's quote closes a
step); a tick in an email is a person's say-so about one draft, kept beside that draft's run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from bot.state import StepDone

__all__ = ["StepMarks", "done_notes"]


class StepMarks(Protocol):
    """The part of the bot's state the email card's buttons use (bot/state.py implements it)."""

    async def mark_step_done(self, run_id: str, index: int, by: str, at: datetime) -> bool: ...

    async def steps_done(self, run_id: str) -> list[StepDone]: ...


def done_notes(marks: list[StepDone], count: int) -> dict[int, str]:
    """Beside each done step among the draft's ``count``: 'done — Sofia Farías, 3 Dec 2026'."""
    return {
        m.index: f"done — {m.by}, {m.at.astimezone(UTC):%-d %b %Y}" for m in marks if 0 <= m.index < count
    }
