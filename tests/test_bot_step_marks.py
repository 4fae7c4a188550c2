"""Next steps marked done from the email card: the ``stepsdone`` record kind, on both state backends
(SQLite, and Azure Table Storage on Azurite), across a reopen and between two instances."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.state import StepDone
from bot.step_marks import done_notes, history_marks
from tests.support.azurite import azurite_fixture  # noqa: F401 - the fixture
from tests.support.stores import Storage, storage_fixture  # noqa: F401 - the fixture

AT = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)


async def test_marks_are_kept_per_run_and_step_and_the_first_mark_stays(storage: Storage) -> None:
    state = await storage.open_state()
    assert await state.mark_step_done("run-1", 2, "Sofia Farías", AT) is True
    assert await state.mark_step_done("run-1", 2, "Daniel O'Neil", AT.replace(hour=15)) is False
    assert await state.mark_step_done("run-2", 0, "Daniel O'Neil", AT) is True
    reopened = await storage.open_state()  # a restart, or the other instance
    found = await reopened.steps_done("run-1")
    assert found == [StepDone(2, "Sofia Farías", AT)]
    assert done_notes(found, [0, 1, 2]) == {2: "done — Sofia Farías, 3 Dec 2026"}
    assert done_notes(found, [0, 1]) == {}  # a step the draft no longer has is not shown
    assert done_notes(found, [0, 2]) == {1: "done — Sofia Farías, 3 Dec 2026"}  # line 2 was deleted in Word


async def test_racing_ticks_from_two_instances_count_once_each_and_come_back_in_order(
    storage: Storage,
) -> None:
    one, two = await storage.open_state(), await storage.open_state()
    ticks = [one.mark_step_done("r", 11, "Sofia", AT), two.mark_step_done("r", 1, "Daniel", AT)]
    ticks += [one.mark_step_done("r", 0, "Sofia", AT), two.mark_step_done("r", 0, "Daniel", AT)]
    won = await asyncio.gather(*ticks)
    assert won[:2] == [True, True] and sorted(won[2:]) == [False, True]  # one of the two on step 0
    assert [m.index for m in await one.steps_done("r")] == [0, 1, 11]


async def test_a_mark_keeps_the_card_it_was_made_on_and_older_marks_read_as_outlooks(
    storage: Storage,
) -> None:
    state = await storage.open_state()
    assert await state.mark_step_done("run-3", 1, "Isaiah Langer", AT, "teams") is True
    # A record written before ``via`` was kept: only Outlook's card could mark then.
    older = {"run_id": "run-3", "index": 4, "by": "Sofia Farías", "at": AT.isoformat()}
    assert await state.records.insert("stepsdone", "run-3", older, row="0004") is True
    found = await (await storage.open_state()).steps_done("run-3")
    assert found == [StepDone(1, "Isaiah Langer", AT, "teams"), StepDone(4, "Sofia Farías", AT, "outlook")]
    marks = history_marks([*found, StepDone(5, "Someone", AT, "fax")])  # an unknown card is no mark
    assert [(m.step, m.by, m.at, m.via) for m in marks] == [
        (1, "Isaiah Langer", AT, "teams"),
        (4, "Sofia Farías", AT, "outlook"),
    ]
