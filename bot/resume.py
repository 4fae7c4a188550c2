"""An analysis started from Teams is never silently lost: recorded under a lease, resumed or closed.

Before it runs, an interactive analysis is recorded (who asked, for what, the card that shows it,
and the conversation reference and routing claims that reach that card) under a lease that the
running instance renews. When it ends, the record goes. If the process stops part-way:

- SIGTERM (a restart, a scale-in): the clean-up waits up to ``MCEM_SHUTDOWN_GRACE_SECONDS`` for
  running analyses to end; each one still running is cancelled, its card says "Interrupted" with
  Try again, and its record goes.
- SIGKILL, a crash, a lost machine: the record stays and its lease lapses. The sweep (at start-up
  and every half lease, on every instance) takes each lapsed one over exactly once (the store's
  lease) and runs the analysis again on the same card, which ends with the summary or an error card.

So the user's card always ends in a result or an error card, never a spinner. Automatic analyses
have their own record, the transcript claim (bot/notifications.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, Protocol

from microsoft_agents.activity import ConversationReference
from microsoft_agents.hosting.core import ChannelAdapter
from microsoft_agents.hosting.core.app.proactive import Conversation

from bot.auth import ChannelPolicy, service_url_refusal
from bot.state import BotState
from cards import error_card


class Runner(Protocol):
    """What the sweep needs of bot/runner.py's JobRunner (named here, so neither imports the other twice)."""

    leases: RunLeases | None

    def is_running(self, run_id: str) -> bool: ...

    def start(self, job: Any, sink: Any, active: ActiveRun | None = None) -> Any: ...


__all__ = ["ActiveRun", "RunLeases", "interrupted_card", "reachable", "resume_lapsed", "sweep_forever"]

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(minutes=2)


@dataclass(frozen=True)
class ActiveRun:
    """What it takes to run an analysis again on its card, from another process."""

    run_id: str
    user_id: str
    target: dict[str, Any]  # the card's Try-again data: {"meeting_id", ...} or {"command": ...}
    reference: dict[str, Any]  # the conversation reference, by alias
    claims: dict[str, str]  # the turn's routing claims (never a token)
    card_id: str  # the activity id of the card the analysis updates

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ActiveRun:
        data = json.loads(text)
        return cls(
            run_id=str(data["run_id"]),
            user_id=str(data["user_id"]),
            target=dict(data["target"]),
            reference=dict(data["reference"]),
            claims={str(k): str(v) for k, v in dict(data["claims"]).items()},
            card_id=str(data["card_id"]),
        )

    def conversation(self) -> tuple[ConversationReference, Any]:
        """The reference and the claims identity for a proactive turn into the card's conversation."""
        reference = ConversationReference.model_validate(self.reference)
        return reference, Conversation.identity_from_claims(self.claims)


def interrupted_card(verb: str, target: dict[str, Any]) -> dict[str, Any]:
    return error_card(
        "Analysis interrupted",
        "The app restarted while it was working on this analysis, and it could not finish in time.",
        "Select Try again to run it again.",
        retry_verb=verb,
        retry_data=target,
    )


class RunLeases:
    """The records and leases of one bot instance's interactive analyses (``holder``: this instance)."""

    def __init__(self, state: BotState, *, ttl: timedelta = DEFAULT_LEASE, holder: str | None = None) -> None:
        self.state = state
        self.ttl = ttl
        self.holder = holder or uuid.uuid4().hex

    async def begin(self, run: ActiveRun) -> None:
        # The lease first: a sweep that saw the record before its lease could take it over.
        await self.state.hold_lease(_lease(run.run_id), self.holder, self.ttl)
        await self.state.save_active_run(run.run_id, run.to_json())

    async def renew(self, run_id: str) -> bool:
        """False when another instance holds the run now: this one must stop working on it."""
        return await self.state.hold_lease(_lease(run_id), self.holder, self.ttl)

    async def end(self, run_id: str) -> None:
        await self.state.drop_active_run(run_id)
        await self.state.release_lease(_lease(run_id), self.holder)

    async def lapsed(self, mine: Callable[[str], bool]) -> list[ActiveRun]:
        """The recorded runs no live instance holds, each now held by this one (taken exactly once)."""
        taken = []
        for run_id, payload in await self.state.active_runs():
            if mine(run_id):
                continue  # running here
            if not await self.state.hold_lease(_lease(run_id), self.holder, self.ttl):
                continue  # another instance is running it, or took it over first
            try:
                taken.append(ActiveRun.from_json(payload))
            except (ValueError, KeyError, TypeError):
                log.warning("dropped an unreadable record of an interrupted analysis")
                await self.end(run_id)
        return taken


def reachable(run: ActiveRun, policy: ChannelPolicy) -> bool:
    """Whether the run's card may be updated: its serviceUrl is still one the channel may name."""
    return service_url_refusal(str(run.reference.get("serviceUrl") or ""), policy) is None


def _lease(run_id: str) -> str:
    return f"run:{run_id}"


async def resume_lapsed(runner: Runner, adapter: ChannelAdapter, policy: ChannelPolicy) -> int:
    """Run every lapsed analysis again on its own card; how many were taken over."""
    from bot.analysis import AnalysisJob, target_from
    from bot.teams import ConversationCard

    leases = runner.leases
    if leases is None:
        return 0
    taken = await leases.lapsed(runner.is_running)
    for run in taken:
        target = target_from(run.target)
        if target is None or not reachable(run, policy):
            # Nowhere safe to show it, or nothing to run: the record goes, the log says why.
            log.warning("an interrupted analysis cannot be resumed (its card or its request is unusable)")
            await leases.end(run.run_id)
            continue
        reference, identity = run.conversation()
        sink = ConversationCard(adapter, identity, reference, run.card_id)
        log.info("analysis %s was interrupted; resuming it on its card", run.run_id)
        runner.start(AnalysisJob(user_id=run.user_id, target=target, run_id=run.run_id), sink, run)
    return len(taken)


async def sweep_forever(runner: Runner, adapter: ChannelAdapter, policy: ChannelPolicy) -> None:
    """``resume_lapsed`` at start-up and every half lease, until cancelled."""
    every = max((runner.leases.ttl if runner.leases else DEFAULT_LEASE).total_seconds() / 2, 0.5)
    while True:
        try:
            await resume_lapsed(runner, adapter, policy)
        except Exception as err:
            log.warning(
                "the sweep for interrupted analyses failed (%s); next round later", type(err).__name__
            )
        await asyncio.sleep(every)
