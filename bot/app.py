"""The aiohttp application: the Agents SDK's adapter and AgentApplication behind /api/messages.

``create_app`` wires prebuilt settings and services; it builds nothing that talks to the outside.
With a bot app id configured every request needs a valid Bot Framework / Entra token (the SDK's
JWT middleware); without one the bot is in anonymous local mode, which ``bot.__main__`` serves
on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from aiohttp import web
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import jwt_authorization_middleware, start_agent_process
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ConnectionManager,
    Connections,
    MemoryStorage,
    TurnContext,
    TurnState,
)
from msgraph import GraphServiceClient

from bot.auth import ChannelPolicy, policy_of, verify_request
from bot.background import BackgroundTasks
from bot.catchup import CatchUp
from bot.draft_handlers import register_draft_handlers
from bot.handlers import register_handlers
from bot.hosting import AcceptingAdapter
from bot.meeting_chats import MeetingChats, register_meeting_chat_handlers
from bot.notifications import NOTIFICATIONS, SubscriptionKeeper, TranscriptNotifications
from bot.outlook import register_outlook_handlers
from bot.ownership import run_while_owner
from bot.pool import WorkerPool
from bot.proactive import register_state_hooks
from bot.resume import RunLeases, sweep_forever
from bot.runner import JobRunner
from bot.services import Services
from bot.settings import BotSettings
from bot.state import BotState, SqliteState, State
from bot.state_azure import AzureTableState
from bot.transcript_records import TranscriptRecords
from graph.chat_meetings import ChatMeetings
from graph.delta import TranscriptDelta
from graph.meetings import GraphMeetings
from graph.service import TranscriptRef
from graph.subscriptions import TranscriptSubscription
from mcem.errors import ConfigError

__all__ = [
    "ADAPTER",
    "AGENT_APP",
    "CATCHUP",
    "KEEPER",
    "MEETING_CHATS",
    "NOTIFICATIONS",
    "RUNNER",
    "STATE",
    "TRANSCRIPTS",
    "create_app",
]

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

AGENT_APP = web.AppKey("agent_app", AgentApplication)
POLICY = web.AppKey("channel_policy", ChannelPolicy)
ADAPTER = web.AppKey("adapter", AcceptingAdapter)
RUNNER = web.AppKey("runner", JobRunner)
STATE = web.AppKey("state", BotState)
KEEPER = web.AppKey("keeper", SubscriptionKeeper)
MEETING_CHATS = web.AppKey("meeting_chats", MeetingChats)
CATCHUP = web.AppKey("catchup", CatchUp)
TRANSCRIPTS = web.AppKey("transcripts", TranscriptRecords)
PRUNE_EVERY_S = 6 * 3600.0


def create_app(
    settings: BotSettings, services: Services, *, state: BotState | None = None
) -> web.Application:
    """``state``: a store the caller opened and closes; by default the SQLite file of the settings,
    opened at start-up and closed at clean-up."""
    owned = state is None
    store: BotState = state if state is not None else _store(settings)
    connections = _connections(settings)
    # The SDK's adapter, answering a message's POST before its turn runs (bot/hosting.py).
    adapter = AcceptingAdapter(connection_manager=connections)
    agent_app = AgentApplication[TurnState](
        storage=MemoryStorage(), connection_manager=connections, **dict(settings.sdk_config)
    )
    if services.runs is None:
        services = replace(services, runs=store)  # finished runs are kept in the bot's state
    # Delta links, transcript content and the minutes downloaded, as records in the bot's state.
    transcripts = store.transcripts if isinstance(store, State) else None
    if (
        transcripts is not None
        and isinstance(services.meetings, GraphMeetings)
        and not services.meetings.cache
    ):
        services.meetings.cache = transcripts  # downloaded once; Regenerate and retries read it
    if services.accounts is None:
        services = replace(services, accounts=store)  # and company -> analysed calls
    if services.crm is not None and services.crm_records is None:
        services = replace(services, crm_records=store)  # and what each meeting created in the CRM
    pool = WorkerPool(settings.workers) if settings.workers > 0 else None
    grace = timedelta(minutes=settings.transcript_grace_minutes)
    leases = RunLeases(store, ttl=timedelta(seconds=settings.run_lease_seconds))
    runner = JobRunner(services, max_jobs=settings.max_jobs, grace=grace, pool=pool, leases=leases)
    writes = BackgroundTasks()  # the turns' state writes (bot/proactive.py)
    notifications: TranscriptNotifications | None = None
    chats: MeetingChats | None = None
    if settings.transcript_access == "rsc":
        # Least privilege: no tenant-wide subscription; the meeting chats' own events and requests
        # find transcripts, and the notifications' delivery path takes them from there.
        if not isinstance(services.meetings, ChatMeetings):
            raise ConfigError("MCEM_TRANSCRIPT_ACCESS=rsc needs the chat-scoped meeting source.")
        if services.meetings.memory is None and isinstance(store, State):
            services.meetings.memory = store  # meetings learned in their chats outlive a restart
        notifications = TranscriptNotifications(settings, store, runner, adapter, None, writes=writes)
        chats = MeetingChats(agent_app, services.meetings, notifications, grace=grace)
    # Every handler set, here: the commands and the bot's own cards' buttons, the summary card's
    # Email and Refresh, the email card's buttons in Outlook, the meeting chats' events (rsc mode)
    # and the state hooks (after the handlers' tenant check, which runs first).
    register_handlers(agent_app, settings, services, runner, chats=chats)
    register_draft_handlers(
        agent_app, services, runner.steps, originator=settings.outlook_originator, marks=store
    )
    if settings.outlook_originator:  # the email carries the card only then, so only then are there clicks
        register_outlook_handlers(
            agent_app,
            services,
            runner.steps,
            originator=settings.outlook_originator,
            marks=store,
            deadline_seconds=settings.outlook_deadline_seconds,
        )
    if chats is not None:
        register_meeting_chat_handlers(agent_app, chats)
    policy = policy_of(settings)
    register_state_hooks(agent_app, store, policy, writes=writes)

    @agent_app.error
    async def on_error(context: TurnContext, err: Exception) -> None:
        # The type only: an exception's text can carry message content.
        log.error("turn failed (%s activity): %s", context.activity.type, type(err).__name__)
        await context.send_activity(
            "Sorry, something went wrong on my side. Please try again; if it keeps happening, "
            "tell the app owner the time of this message."
        )

    app = web.Application(middlewares=[_bot_framework_auth])
    # The SDK's middleware keeps its auth settings and claims under plain string keys, which
    # aiohttp 3.10+ warns about on every request; the keys are the SDK's, not ours to change.
    warnings.filterwarnings("ignore", category=web.NotAppKeyWarning, module=r"microsoft_agents\.")
    warnings.filterwarnings("ignore", category=web.NotAppKeyWarning, module=r"bot\.app$")
    app["agent_configuration"] = connections.get_default_connection_configuration()
    app[AGENT_APP] = agent_app
    app[POLICY] = policy
    app[ADAPTER] = adapter
    app[RUNNER] = runner
    app[STATE] = store
    if transcripts is not None:
        app[TRANSCRIPTS] = transcripts
    app.router.add_post("/api/messages", _messages)
    app.router.add_get("/api/health", _health)
    keeper = _keeper(settings, services, store)
    if keeper is not None:
        app[KEEPER] = keeper
    catchup: CatchUp | None = None
    if settings.auto_analyze:
        notifications = TranscriptNotifications(settings, store, runner, adapter, keeper, writes=writes)
        app.router.add_post("/api/notifications", notifications.handle)
        if services.graph is not None and transcripts is not None:
            catchup = _catchup(services.graph, transcripts, store, notifications, keeper)
            app[CATCHUP] = catchup
    if notifications is not None:
        app[NOTIFICATIONS] = notifications
    if chats is not None:
        app[MEETING_CHATS] = chats

    background: list[asyncio.Task[None]] = []

    async def warm_up(_app: web.Application) -> None:
        if isinstance(store, State):
            await store.start()
        background.append(asyncio.create_task(_warm_up(services, pool), name="warm-up"))
        if keeper is not None:
            # Graph validates the notification URL before it answers, so this runs beside the
            # server's start rather than before it; it retries until the bot is reachable.
            # With several instances only the lease's holder keeps the subscription (bot/ownership.py).
            owner = run_while_owner(store, keeper.setting_key, keeper.run)
            background.append(asyncio.create_task(owner, name="transcript-subscription"))
        if notifications is not None and settings.auto_analyze:
            # Every instance sweeps: the store lets exactly one of them take over a lapsed transcript.
            background.append(asyncio.create_task(notifications.sweep_forever(), name="transcript-sweep"))
        if transcripts is not None:
            # Cached transcripts are confidential: none is kept past its time (bot/transcript_records.py).
            background.append(asyncio.create_task(_prune_forever(transcripts), name="transcript-prune"))
        if catchup is not None:
            # Whatever Graph announced while the bot was down went nowhere: ask for it.
            catchup.trigger("start-up")
            background.append(asyncio.create_task(catchup.run_forever(), name="transcript-catch-up"))
        # Analyses started from Teams that a stopped process left part-way: resumed on their cards.
        background.append(asyncio.create_task(sweep_forever(runner, adapter, policy), name="run-sweep"))

    async def close(_app: web.Application) -> None:
        for task in background[1:]:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        # Turns first: an accepted message may still be about to start a job. One grace for both.
        deadline = asyncio.get_running_loop().time() + settings.shutdown_grace_seconds
        await adapter.aclose(settings.shutdown_grace_seconds)
        if chats is not None:
            await chats.aclose()
        if notifications is not None:
            await notifications.aclose()
        left = max(0.0, deadline - asyncio.get_running_loop().time())
        await runner.aclose(left)  # then "interrupted" on what is left
        await writes.wait_idle()
        await services.close()
        if owned:
            await store.close()

    app.on_startup.append(warm_up)
    app.on_cleanup.append(close)
    return app


async def _warm_up(services: Services, pool: WorkerPool | None) -> None:
    if pool is not None:
        try:
            await pool.start()
        except Exception as err:  # the first analysis starts the workers again, and says so if it fails
            log.error("could not start the worker processes: %s", type(err).__name__)
    await asyncio.to_thread(services.warm_up)
    # Everything imported and built so far lives as long as the process: out of the collector's
    # sight, a full collection no longer walks it and stalls the loop for a quarter of a second.
    # (No gc.collect() first: freezing is instant, a collection of all that is not, and a user's
    # first message may be arriving right now.)
    gc.freeze()


# Graph sends no Bot Framework token: /api/notifications is guarded by its clientState instead.
# Container health probes carry no token either, and /api/health tells "up" and the month's transcript
# minutes and downloads (two numbers: no name, id or subject).
_NOT_BOT_FRAMEWORK = frozenset({"/api/notifications", "/api/health"})


@web.middleware
async def _bot_framework_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in _NOT_BOT_FRAMEWORK:
        return await handler(request)
    policy = request.app[POLICY]

    async def verified(checked: web.Request) -> web.StreamResponse:
        return await verify_request(checked, handler, policy)  # bot/auth.py: issuer, tenant, serviceUrl

    response: web.StreamResponse = await jwt_authorization_middleware(request, verified)
    return response


def _keeper(settings: BotSettings, services: Services, state: BotState) -> SubscriptionKeeper | None:
    if not settings.auto_analyze or services.graph is None:
        return None
    subscription = TranscriptSubscription(
        services.graph,
        notification_url=settings.notification_url,
        client_state=settings.notification_client_state,
    )
    return SubscriptionKeeper(subscription, state)


async def _prune_forever(transcripts: TranscriptRecords, every_s: float = PRUNE_EVERY_S) -> None:
    while True:
        try:
            if dropped := await transcripts.prune():
                log.info("%d cached transcript(s) past their time removed", dropped)
        except Exception as err:
            log.warning("cached transcripts not pruned (%s); next round later", type(err).__name__)
        await asyncio.sleep(every_s)


def _catchup(
    graph: GraphServiceClient,
    transcripts: TranscriptRecords,
    store: BotState,
    notifications: TranscriptNotifications,
    keeper: SubscriptionKeeper | None,
) -> CatchUp:
    def announce(ref: TranscriptRef) -> None:
        notifications.announce(ref.organizer_id, ref.meeting_id, ref.transcript_id)

    catchup = CatchUp(TranscriptDelta(graph), transcripts, store, announce)
    notifications.on_missed = catchup.trigger
    if keeper is not None:
        keeper.on_gap = catchup.trigger
    return catchup


def _store(settings: BotSettings) -> BotState:
    if settings.state_backend == "azure":
        return AzureTableState(
            connection_string=settings.state_connection_string,
            table_url=settings.state_table_url,
            prefix=settings.state_table_prefix,
            managed_identity_client_id=settings.managed_identity_client_id,
        )
    return SqliteState(settings.state_path)


def _connections(settings: BotSettings) -> Connections:
    if settings.anonymous:
        return ConnectionManager(
            lambda _config: AnonymousTokenProvider(),
            connections_configurations={"SERVICE_CONNECTION": AgentAuthConfiguration(anonymous_allowed=True)},
        )
    return MsalConnectionManager(**dict(settings.sdk_config))


async def _messages(request: web.Request) -> web.StreamResponse:
    response = await start_agent_process(request, request.app[AGENT_APP], request.app[ADAPTER])
    return response if response is not None else web.Response(status=202)


async def _health(request: web.Request) -> web.Response:
    body: dict[str, object] = {"status": "ok"}
    transcripts = request.app.get(TRANSCRIPTS)
    if transcripts is not None:
        # Graph meters transcript content per minute: this month's downloads, against the allowance.
        try:
            body["transcripts"] = await transcripts.usage()
        except Exception as err:  # the probe says "up" whatever the store says
            log.warning("transcript usage not read for /api/health (%s)", type(err).__name__)
    return web.json_response(body)
