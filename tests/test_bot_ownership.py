"""Only the lease's holder does the owner's work; when it stops, another instance takes over —
two "instances" sharing Azure Table Storage (Azurite), and one on SQLite."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from bot.ownership import run_while_owner
from bot.state import BotState, open_state
from tests.support.azurite import OpenAzure, azurite_fixture, new_prefix, open_azure_fixture  # noqa: F401

TTL = timedelta(seconds=0.6)


class Work:
    """Records which instance works when; fails if two ever work at once."""

    def __init__(self) -> None:
        self.running: set[str] = set()
        self.started: list[str] = []
        self.overlap = False
        self.changed = asyncio.Event()  # set on every start and stop

    def for_instance(self, name: str, *, crash_first: bool = False) -> Callable[[], Awaitable[None]]:
        async def work() -> None:
            self.overlap = self.overlap or bool(self.running)
            self.running.add(name)
            self.started.append(name)
            self.changed.set()
            try:
                if crash_first and self.started.count(name) == 1:
                    raise ValueError("boom")
                await asyncio.Event().wait()
            finally:
                self.running.discard(name)
                self.changed.set()

        return work

    async def until(self, check: Callable[[], object], within: float = 5.0) -> None:
        async with asyncio.timeout(within):
            while not check():
                self.changed.clear()
                await self.changed.wait()


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


@pytest.mark.parametrize("how", ["shuts down", "loses its store"])
async def test_one_of_two_instances_works_and_the_other_takes_over_when_it_stops(
    open_azure: OpenAzure, how: str
) -> None:
    prefix = new_prefix()
    states: dict[str, BotState] = {"a": await open_azure(prefix), "b": await open_azure(prefix)}
    work = Work()
    tasks = {
        name: asyncio.create_task(
            run_while_owner(state, "subscription", work.for_instance(name), holder=name, ttl=TTL)
        )
        for name, state in states.items()
    }
    try:
        await work.until(lambda: work.running)
        await asyncio.sleep(TTL.total_seconds() * 2)  # several renewals: the owner stays the owner
        [owner] = work.running
        assert work.started == [owner]
        other = "b" if owner == "a" else "a"

        if how == "shuts down":
            await stop(tasks.pop(owner))  # and releases its lease: taken over at the next renewal
        else:
            await states[owner].close()  # renewals fail: it stops; the other waits for the expiry
        await work.until(lambda: work.running == {other}, within=TTL.total_seconds() * 3)
        assert work.started == [owner, other] and not work.overlap
    finally:
        for task in tasks.values():
            await stop(task)
    assert work.running == set()


async def test_a_crashed_owner_is_started_again_and_the_lease_is_released_at_the_end() -> None:
    state = await open_state(":memory:")
    work = Work()
    task = asyncio.create_task(
        run_while_owner(state, "subscription", work.for_instance("a", crash_first=True), holder="a", ttl=TTL)
    )
    try:
        await work.until(lambda: work.started == ["a", "a"] and work.running == {"a"})
        assert await state.hold_lease("subscription", "b", TTL) is False  # still a's
    finally:
        await stop(task)
    assert await state.hold_lease("subscription", "b", TTL) is True  # released at shutdown
    await state.close()
