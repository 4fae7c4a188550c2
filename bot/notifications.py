"""Journey 2, automatic after the call: Graph's transcript notifications -> an analysis delivered to
the meeting organizer's personal chat with the bot, once per transcript.

``POST /api/notifications`` answers Graph's validation handshake (the token echoed as text/plain)
and takes change notifications: each item must carry the configured ``clientState`` and an
allow-listed tenant, or it is dropped (logged without details). Accepted items are answered 202 at
once and handled in the background: the transcript id is claimed in the store, the organizer's
personal chat is looked up (none yet: recorded as undeliverable, nothing fetched), the ``analyze``
command's own job runs (bot/analysis.py) and its last card is posted there.

The claim is a lease ("processing", renewed while the work runs). A repeat of a finished
transcript is ignored: once it has a final status it is never analysed again. One whose handler
died mid-way (crash, restart, lost instance) stops being renewed; after ``lease`` it is taken over,
exactly once across instances, by a repeated notification or by the sweep that runs at start-up
and every few minutes. So nothing is lost, and a card may come twice only if an instance died
between posting it and recording that it did.

``SubscriptionKeeper`` creates the Graph subscription once the bot listens, renews it at half its
lifetime, and acts on lifecycle notifications (reauthorize, removed) sent to the same URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from microsoft_agents.hosting.core import ChannelAdapter

from bot.analysis import AnalysisJob, NotifiedTranscript
from bot.auth import policy_of, service_url_refusal
from bot.background import BackgroundTasks
from bot.catchup import WATCHED_SINCE
from bot.proactive import deliver_to_personal_chat
from bot.runner import JobRunner
from bot.settings import BotSettings
from bot.state import BotState
from bot.teams import card_activity
from graph.refusals import TenantRefusal
from graph.subscriptions import TranscriptSubscription, organizer_of_meeting_id, parse_transcript_path

__all__ = ["NOTIFICATIONS", "Announced", "SubscriptionKeeper", "TranscriptNotifications"]

log = logging.getLogger(__name__)

MAX_TOKEN = 1024
INTRO = "The transcript of your meeting is ready, so I analysed it for you."
SUBSCRIPTION_KEY = "graph_transcript_subscription_id"
# Longer than one analysis takes (the LLM's own deadline is 5 minutes), far longer than the clock
# skew between instances; a live handler renews it every third of it.
LEASE = timedelta(minutes=15)
SWEEP_EVERY_S = 300.0


@dataclass(frozen=True)
class Announced:
    organizer_id: str
    meeting_id: str
    transcript_id: str


class LastCard:
    """A CardSink that keeps only the job's last card: an unprompted message shows the result,
    not the steps."""

    def __init__(self) -> None:
        self.card: dict[str, Any] | None = None

    async def show(self, card: dict[str, Any]) -> None:
        self.card = card


class TranscriptNotifications:
    """The /api/notifications endpoint and the background work it starts."""

    def __init__(
        self,
        settings: BotSettings,
        state: BotState,
        runner: JobRunner,
        adapter: ChannelAdapter,
        keeper: SubscriptionKeeper | None = None,
        *,
        writes: BackgroundTasks | None = None,
        lease: timedelta = LEASE,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.lease = lease
        self.clock = clock or (lambda: datetime.now(UTC))  # tests move it past a lease
        self._settings = settings
        self._state = state
        self._runner = runner
        self._adapter = adapter
        self._keeper = keeper
        self._tasks = BackgroundTasks()
        # The turns' state writes still running (bot/proactive.py): a chat just said must be seen.
        self._writes = writes
        # Called with a reason when Graph says it dropped notifications (bot/catchup.py's trigger).
        self.on_missed: Callable[[str], None] | None = None

    async def handle(self, request: web.Request) -> web.Response:
        token = request.query.get("validationToken")
        if token is not None:
            # The token is echoed as Graph requires; nosniff stops a browser from reading a crafted
            # token as HTML or script (the request comes from anyone who knows the URL).
            nosniff = {"X-Content-Type-Options": "nosniff"}
            if not token or len(token) > MAX_TOKEN:
                return web.Response(
                    status=400, text="bad validationToken", content_type="text/plain", headers=nosniff
                )
            return web.Response(text=token, content_type="text/plain", headers=nosniff)
        try:
            body = await request.json()
        except ValueError:
            return web.Response(status=400, text="the body is not JSON", content_type="text/plain")
        items = body.get("value") if isinstance(body, dict) else None
        if not isinstance(items, list):
            return web.Response(status=400, text="no value array", content_type="text/plain")
        accepted = refused = 0
        for item in items:
            if not isinstance(item, dict) or not self._trusted(item):
                refused += 1
                continue
            accepted += 1
            self._dispatch(item)
        if refused:
            # Nothing about the item: a forged notification should teach its sender nothing.
            log.warning("dropped %d change notification(s): wrong clientState or tenant", refused)
        return web.Response(status=202 if accepted or not refused else 403)

    def _trusted(self, item: dict[str, Any]) -> bool:
        given = str(item.get("clientState") or "")
        expected = self._settings.notification_client_state
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return False
        allowed = self._settings.allowed_tenants
        return not allowed or str(item.get("tenantId") or "").lower() in allowed

    def _dispatch(self, item: dict[str, Any]) -> None:
        lifecycle = str(item.get("lifecycleEvent") or "")
        if lifecycle:
            log.info("subscription lifecycle event: %s", lifecycle[:40])
            if lifecycle == "missed":
                # Graph could not deliver some notifications: ask it what was added meanwhile.
                if self.on_missed is not None:
                    self.on_missed("missed notifications")
                return
            if self._keeper is not None:
                self._keeper.wake(lifecycle)
            return
        if str(item.get("changeType") or "") != "created":
            return
        path = parse_transcript_path(str(item.get("resource") or ""))
        organizer = organizer_of_meeting_id(path.meeting_id) if path else None
        if path is None or organizer is None:
            log.warning("a transcript notification named no meeting this bot can read; ignored")
            return
        self.announce(organizer, path.meeting_id, path.transcript_id)

    def announce(self, organizer_id: str, meeting_id: str, transcript_id: str) -> None:
        """A transcript notified, or found some other way (the meeting-end event in RSC mode,
        bot/meeting_chats.py; the catch-up, bot/catchup.py): claimed, analysed and delivered, and
        the claim lets exactly one of them analyse it."""
        announced = Announced(organizer_id, meeting_id, transcript_id)
        self._tasks.start(self._process(announced), name=f"transcript-{transcript_id[:12]}")

    async def _process(self, announced: Announced) -> None:
        tid = announced.transcript_id
        try:
            if not await self._take(announced):
                log.info("transcript notification repeated; already handled or in hand")
                return
        except Exception as err:
            log.error("automatic analysis not started: the store failed (%s)", type(err).__name__)
            return
        renewing = asyncio.create_task(self._renew(tid), name=f"lease-{tid[:12]}")
        status = "failed"
        try:
            status = await self._analyse_and_deliver(announced)
        except Exception as err:  # background work: the log is the only place left to say it
            log.error("automatic analysis failed: %s", type(err).__name__)
        finally:
            # Cancelled (shutdown): the lease is left to lapse, so the next start-up sweep redoes it.
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._state.set_transcript_status(tid, status)

    async def _take(self, announced: Announced) -> bool:
        state, tid = self._state, announced.transcript_id
        if await state.claim_transcript(tid, announced.meeting_id, announced.organizer_id):
            return True
        now = self.clock()
        if not await state.retake_transcript(tid, now - self.lease, now):
            return False
        log.warning("taking over an automatic analysis that stopped mid-way (its lease lapsed)")
        return True

    async def _renew(self, transcript_id: str) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            with contextlib.suppress(Exception):  # a missed renewal is retried at the next one
                await self._state.set_transcript_status(transcript_id, "processing")

    async def _analyse_and_deliver(self, announced: Announced) -> str:
        """The work for one taken transcript; returns its final status."""
        state = self._state
        tid = announced.transcript_id
        if self._writes is not None:
            await self._writes.wait_idle()
        chat = await state.personal_chat(announced.organizer_id)
        if chat is None:
            log.warning("automatic analysis not delivered: the organizer has not chatted with the bot yet")
            return "no_personal_chat"
        allowed = self._settings.allowed_tenants
        if allowed and chat.tenant_id not in allowed:
            log.warning("automatic analysis not delivered: the organizer's tenant is not on the allow-list")
            return "tenant_not_allowed"
        # A chat stored before serviceUrls were checked could name any host: never post there.
        if service_url_refusal(chat.reference.get("serviceUrl"), policy_of(self._settings)):
            log.warning(
                "automatic analysis not delivered: the organizer's stored chat is not on a channel host"
            )
            return "service_url_refused"
        run_id = uuid.uuid4().hex[:12]
        target = NotifiedTranscript(announced.organizer_id, announced.meeting_id, tid)
        sink = LastCard()
        analysis = await self._runner.start(AnalysisJob(announced.organizer_id, target, run_id), sink)
        if sink.card is None:
            return "failed"
        activity = card_activity(sink.card)
        activity.text = INTRO if analysis is not None else None
        outcome = await deliver_to_personal_chat(self._adapter, chat, activity)
        log.info("automatic analysis %s: %s", run_id, outcome)
        return outcome if analysis is not None else f"{outcome}_error_card"

    async def sweep(self) -> int:
        """Start the work again for every transcript whose lease lapsed; how many there were."""
        now = self.clock()
        lapsed = await self._state.unfinished_transcripts(now - self.lease)
        for tid, meeting_id, organizer_id in lapsed:
            self._tasks.start(
                self._process(Announced(organizer_id, meeting_id, tid)), name=f"retake-{tid[:12]}"
            )
        return len(lapsed)

    async def sweep_forever(self, every_s: float = SWEEP_EVERY_S) -> None:
        """``sweep`` at start-up and then every ``every_s`` seconds, until cancelled."""
        while True:
            try:
                if found := await self.sweep():
                    log.warning("%d automatic analysis(es) stopped mid-way; starting them again", found)
            except Exception as err:
                log.warning(
                    "the sweep for unfinished analyses failed (%s); next round later", type(err).__name__
                )
            await asyncio.sleep(every_s)

    async def wait_idle(self) -> None:
        """Until every notification taken so far is handled (tests, graceful shutdown)."""
        await self._tasks.wait_idle()

    async def aclose(self) -> None:
        await self._tasks.aclose()


class SubscriptionKeeper:
    """Keeps one transcript subscription alive; its id is kept in the store across restarts."""

    def __init__(
        self,
        subscription: TranscriptSubscription,
        state: BotState,
        *,
        retry_s: float = 15.0,
        refused_retry_s: float = 300.0,
        on_gap: Callable[[str], None] | None = None,
    ):
        self.subscription = subscription
        self._state = state
        # Graph keeps a subscription's clientState: after the secret changes, a stored id would
        # bring notifications the bot must refuse, so the id is stored per secret (as a digest).
        digest = hashlib.sha256(subscription.client_state.encode()).hexdigest()[:16]
        self.setting_key = f"{SUBSCRIPTION_KEY}:{digest}"
        self._retry_s = retry_s
        # A tenant setting changes when an admin acts, not in seconds: ask again less often.
        self.refused_retry_s = refused_retry_s
        self._wake = asyncio.Event()
        self._recreate = False
        self.subscription_id: str | None = None
        self.ready = asyncio.Event()  # set after the first successful create or renew
        # Called with a reason when notifications may have been lost: the subscription could not be
        # renewed for a while, or had to be made anew (bot/catchup.py's trigger).
        self.on_gap = on_gap

    def wake(self, lifecycle_event: str) -> None:
        if lifecycle_event == "subscriptionRemoved":
            self._recreate = True
        if lifecycle_event in ("subscriptionRemoved", "reauthorizationRequired"):
            self._wake.set()

    async def run(self) -> None:
        known = await self._state.get_setting(self.setting_key)
        failed = False
        while True:
            # Cleared before the work, not after: a lifecycle event arriving during a renewal
            # must wake the next round rather than be lost.
            self._wake.clear()
            recreate, self._recreate = self._recreate, False
            try:
                sub = await self.subscription.renew_or_create(None if recreate else known)
            except TenantRefusal:  # graph_call logged the cause and the admin step
                log.warning(
                    "no automatic analysis until the tenant allows it; asking again in %d s",
                    self.refused_retry_s,
                )
                self._recreate = self._recreate or recreate
                failed = True
                await asyncio.sleep(self.refused_retry_s)
                continue
            except Exception as err:  # Graph, or the bot not reachable yet: keep trying
                log.warning("transcript subscription not ready (%s); retrying", type(err).__name__)
                self._recreate = self._recreate or recreate
                failed = True
                await asyncio.sleep(self._retry_s)
                continue
            if known and (failed or sub.id != known) and self.on_gap is not None:
                # The old subscription lapsed or failed to renew: what it would have told is lost.
                self.on_gap("a subscription that could not be renewed")
            failed = False
            known = self.subscription_id = sub.id
            await self._state.put_setting(self.setting_key, sub.id or "")
            if await self._state.get_setting(WATCHED_SINCE) is None:
                # Where a catch-up's first look starts: Graph notifies nothing from before this.
                await self._state.put_setting(WATCHED_SINCE, datetime.now(UTC).isoformat())
            self.ready.set()
            half_life = max(self.subscription.lifetime.total_seconds() / 2, 1.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), half_life)


NOTIFICATIONS = web.AppKey("notifications", TranscriptNotifications)
