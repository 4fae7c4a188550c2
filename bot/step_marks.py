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

__all__ = ["StepMarks", "done_notes", "history_marks"]


class StepMarks(Protocol):
    """The part of the bot's state the email card's buttons use (bot/state.py implements it)."""

    async def mark_step_done(
        self, run_id: str, index: int, by: str, at: datetime, via: str = "outlook"
    ) -> bool: ...

    async def steps_done(self, run_id: str) -> list[StepDone]: ...


def done_notes(marks: list[StepDone], count: int) -> dict[int, str]:
    """Beside each done step among the draft's ``count``: 'done — Sofia Farías, 3 Dec 2026'."""
    return {
        m.index: f"done — {m.by}, {m.at.astimezone(UTC):%-d %b %Y}" for m in marks if 0 <= m.index < count
    }


def history_marks(marks: list[StepDone]) -> list[StepMark]:
    """The run's marks as the account history takes them (a mark from an unknown card is left out)."""
    return [
        StepMark(step=m.index, by=m.by, at=m.at, via=m.via)  # type: ignore[arg-type]
        for m in marks
        if m.index >= 0 and m.via in ("outlook", "teams")
    ]
