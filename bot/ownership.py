"""Work that only one bot instance of several may do at a time: keeping the Graph subscription.

``run_while_owner`` holds a lease in the shared store (``BotState.hold_lease``) and runs the work
only while it holds it: it renews the lease every third of its time, starts the work when the lease
is taken, cancels it as soon as a renewal fails (another instance took an expired lease, or the
store did not answer), and releases the lease when cancelled, so a surviving
instance takes over within a third of the lease time rather than a whole one. With one instance
(SQLite), the lease is taken at once and the work simply runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.state import BotState

__all__ = ["DEFAULT_LEASE", "instance_id", "run_while_owner"]

log = logging.getLogger(__name__)

# Long against clock skew between instances, short against how long a subscription goes unrenewed
# after its owner dies (Graph transcript subscriptions live about an hour; renewal is at half).
DEFAULT_LEASE = timedelta(minutes=2)


def instance_id() -> str:
    """Names this process in a lease: host, pid and a random part (pids repeat across containers)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def run_while_owner(
    state: BotState,
    name: str,
    work: Callable[[], Awaitable[None]],
    *,
    holder: str | None = None,
    ttl: timedelta = DEFAULT_LEASE,
) -> None:
    """Run ``work()`` while this instance holds lease ``name``; returns only when cancelled."""
    holder = holder or instance_id()
    period = ttl.total_seconds() / 3
    task: asyncio.Task[None] | None = None
    try:
        while True:
            try:
                # Bounded: a renewal still pending when the lease runs out could let a second
                # instance start while this one still works.
                held = await asyncio.wait_for(state.hold_lease(name, holder, ttl), period)
            except Exception as err:  # the store is shared and remote: keep trying, keep it short
                log.warning("lease %s not renewed (%s)", name, type(err).__name__)
                # Unconfirmed is not ours: stop now, and nobody else starts before the lease runs
                # out, so a store outage leaves a gap in the work, never two instances doing it.
                held = False
            if task is not None and task.done():
                if not task.cancelled() and task.exception() is not None:
                    log.error("%s stopped (%s); restarting", name, type(task.exception()).__name__)
                task = None
            if held and task is None:
                log.info("this instance now owns %s", name)
                task = asyncio.create_task(_call(work), name=f"owner-{name}")
            elif not held and task is not None:
                log.info("this instance no longer owns %s", name)
                await _stop(task)
                task = None
            await asyncio.sleep(period)
    finally:
        if task is not None:
            await _stop(task)
        with contextlib.suppress(Exception):
            await asyncio.shield(state.release_lease(name, holder))


async def _call(work: Callable[[], Awaitable[None]]) -> None:
    await work()


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
