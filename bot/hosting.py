"""The Agents SDK's aiohttp adapter, answering the channel as soon as an activity is accepted.

The SDK's ``CloudAdapter.process`` parses and checks the activity (JSON, the Activity schema, type
and conversation, the service URL against the token), runs the whole turn, and only then answers
the POST: 202 for a message, the invoke response's body for an invoke. A turn lists the members
and posts the progress card to the connector, so under load every POST waited for its own turn
and for the turns queued before it on the one event loop (p99 291 ms at 50 in flight).

``AcceptingAdapter`` keeps every SDK step and changes one thing: an activity whose answer carries
no body (a message, an event, a conversationUpdate: the SDK answers them 202 with nothing) runs
its turn as a tracked background task, and the POST is answered 202 at once. Authentication has
happened before (the JWT middleware and bot/auth.py run ahead of the adapter), so nothing
unverified ever gets a turn. Invokes, ``expectReplies`` and streamed deliveries return what the
turn produced, so they still run inside the request.

The background turns are bounded (``max_turns`` at once; beyond that a POST waits for a slot, so a
flood slows the channel down instead of piling up tasks), drained on shutdown and never fail
silently: an error is logged by its type only, never its text (it may quote the user's message).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from microsoft_agents.activity import Activity, ActivityTypes, DeliveryModes, InvokeResponse
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import ClaimsIdentity, Connections, TurnContext

from bot.background import BackgroundTasks

__all__ = ["MAX_TURNS", "AcceptingAdapter", "answers_in_response"]

log = logging.getLogger(__name__)

# Turns running beside their answered POSTs. A turn posts a card or two and starts a job (the
# analysis itself is the runner's, bounded by MCEM_MAX_JOBS), so hundreds fit; the bound is there
# so that a flood of messages waits at the door instead of growing the task set without end.
MAX_TURNS = 256
# Delivery modes whose replies travel in the HTTP answer: their turn must finish before it.
_IN_RESPONSE = frozenset({DeliveryModes.expect_replies, DeliveryModes.stream})

Turn = Callable[[TurnContext], Awaitable]


def answers_in_response(activity: Activity) -> bool:
    """Whether the channel waits for this activity's turn: an invoke's body, or the replies themselves."""
    return activity.type == ActivityTypes.invoke or activity.delivery_mode in _IN_RESPONSE


class AcceptingAdapter(CloudAdapter):
    def __init__(self, *, connection_manager: Connections, max_turns: int = MAX_TURNS) -> None:
        super().__init__(connection_manager=connection_manager)
        # The SDK's default prints the traceback to stdout and sends the exception's text to the
        # user; both may quote the message or a token. Reached only when AgentApplication's own
        # error handler (bot/app.py) failed too, so there is nobody left to tell but the log.
        self.on_turn_error = _log_turn_error
        self._turns = BackgroundTasks()
        self._slots = asyncio.Semaphore(max_turns)

    async def process_activity(
        self, claims_identity: ClaimsIdentity, activity: Activity, callback: Turn
    ) -> InvokeResponse | None:
        """Called by the SDK's ``process_request`` once the activity is parsed and checked; returning
        None makes it answer 202 Accepted (what it answers a message after its turn anyway)."""
        if answers_in_response(activity):
            return await super().process_activity(claims_identity, activity, callback)
        await self._slots.acquire()
        self._turns.start(self._turn(claims_identity, activity, callback), name=f"turn-{activity.type}")
        return None

    async def _turn(self, claims_identity: ClaimsIdentity, activity: Activity, callback: Turn) -> None:
        try:
            await super().process_activity(claims_identity, activity, callback)
        except Exception as err:
            # The turn's own errors went to AgentApplication's error handler; this is what escaped it
            # (the connector unreachable, a refused token). The type only: the text may quote the user.
            log.error("%s turn failed after it was accepted: %s", _safe(activity.type), type(err).__name__)
        finally:
            self._slots.release()

    @property
    def turns(self) -> int:
        """Turns running now (after their POST was answered)."""
        return len(self._turns)

    async def wait_idle(self) -> None:
        """Until every accepted turn has ended (tests; shutdown)."""
        await self._turns.wait_idle()

    async def aclose(self, grace_s: float = 0.0) -> None:
        """Let accepted turns end for up to ``grace_s`` seconds, then cancel the rest."""
        if grace_s > 0 and len(self._turns):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._turns.wait_idle()), grace_s)
        if len(self._turns):
            log.warning("%d accepted turns cancelled at shutdown", len(self._turns))
        await self._turns.aclose()


async def _log_turn_error(context: TurnContext, error: Exception) -> None:
    kind = context.activity.type if context.activity is not None else None
    log.error("%s turn failed: %s", _safe(kind), type(error).__name__)


def _safe(text: object) -> str:
    """An activity type for the log: short, one line, whatever the caller sent."""
    return "".join(c for c in str(text or "?")[:40] if c.isprintable())
