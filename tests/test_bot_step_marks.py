"""Next steps marked done from the email card (bot/step_marks.py), in the bot's real SQLite state."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.state import open_state
from bot.step_marks import StepMarks, done_notes

AT = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)


async def test_marks_are_kept_per_run_and_step_and_the_first_mark_stays() -> None:
    state = await open_state(":memory:")
    try:
        marks = StepMarks(state)
        await marks.mark("run-1", 2, "Sofia Farías", AT)
        await marks.mark("run-1", 2, "Daniel O'Neil", AT.replace(hour=15))  # later: Sofia's stays
        await marks.mark("run-2", 0, "Daniel O'Neil", AT)
        found = await marks.marks("run-1", 3)
        assert [(m.index, m.by, m.at) for m in found] == [(2, "Sofia Farías", AT)]
        assert await marks.marks("run-1", 2) == []  # steps beyond the draft's count are not read
        assert done_notes(found) == {2: "done — Sofia Farías, 3 Dec 2026"}
    finally:
        await state.close()


async def test_two_people_ticking_different_steps_at_once_both_count() -> None:
    state = await open_state(":memory:")
    try:
        marks = StepMarks(state)
        await asyncio.gather(marks.mark("r", 0, "Sofia Farías", AT), marks.mark("r", 1, "Daniel O'Neil", AT))
        assert [m.by for m in await marks.marks("r", 2)] == ["Sofia Farías", "Daniel O'Neil"]
    finally:
        await state.close()


async def test_a_damaged_record_shows_the_step_as_open() -> None:
    state = await open_state(":memory:")
    try:
        await state.put_setting("step-done:r:0", "not json")
        assert await StepMarks(state).marks("r", 1) == []
    finally:
        await state.close()
