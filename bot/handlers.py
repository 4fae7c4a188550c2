"""Thin AgentApplication handlers: check who is asking and where, parse the command, start or reply.

Messages (with the @mention already removed by the SDK) and the cards' ``Action.Execute`` buttons
land here. Analyses run in the background (bot/jobs.py); the handler only posts the first
progress card, so the user sees an answer within a second.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    Attachment,
    ConversationReference,
)
from microsoft_agents.hosting.core import (
    AgentApplication,
    ChannelAdapter,
    ClaimsIdentity,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from bot.commands import AnalyzeLast, AnalyzeMatching, Help, ListMeetings, Refresh, parse_command
from bot.jobs import RETRY_VERB, STEPS, AnalysisJob, JobRunner, MeetingById, Target
from bot.listing import meetings_reply
from bot.services import Services
from bot.settings import BotSettings
from cards import error_card, help_card, progress_card
from mcem.render.card import VERB_FEEDBACK, VERB_REGENERATE

__all__ = ["ConversationCard", "card_activity", "register_handlers"]

log = logging.getLogger(__name__)

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
INVOKE_MESSAGE = "application/vnd.microsoft.activity.message"
# Teams userRole values of people outside the tenant.
_OUTSIDERS = frozenset({"guest", "anonymous"})


def card_activity(
    card: dict[str, Any], *, activity_id: str | None = None, locale: str | None = None
) -> Activity:
    activity = Activity(
        type=ActivityTypes.message,
        id=activity_id,
        attachments=[Attachment(content_type=ADAPTIVE_CARD, content=card)],
    )
    if locale:
        activity.locale = locale
    return activity


class ConversationCard:
    """A card already posted in a conversation, replaced in place from outside the turn that posted it."""

    def __init__(
        self,
        adapter: ChannelAdapter,
        identity: ClaimsIdentity,
        reference: ConversationReference,
        activity_id: str,
    ) -> None:
        self._adapter = adapter
        self._identity = identity
        self._reference = reference
        self.activity_id = activity_id

    async def show(self, card: dict[str, Any]) -> None:
        async def replace(context: TurnContext) -> None:
            # The continuation turn knows no locale; without this the SDK would send "locale": null.
            update = card_activity(card, activity_id=self.activity_id, locale=self._reference.locale)
            await context.update_activity(update)

        await self._adapter.continue_conversation_with_claims(
            self._identity, self._reference.get_continuation_activity(), replace
        )


def register_handlers(
    app: AgentApplication[TurnState],
    settings: BotSettings,
    services: Services,
    runner: JobRunner,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> None:
    @app.before_turn
    async def tenant_allowed(context: TurnContext, _state: TurnState) -> bool:
        if not settings.allowed_tenants:
            return True
        tenant = tenant_of(context.activity)
        if tenant in settings.allowed_tenants:
            return True
        log.warning("refused a %s activity from a tenant not on the allow-list", context.activity.type)
        if context.activity.type == ActivityTypes.message:
            await context.send_activity("This app is not enabled for your organisation.")
        return False

    @app.activity(ActivityTypes.message)
    async def on_message(context: TurnContext, _state: TurnState) -> None:
        command = parse_command(context.activity.text, today=local_today(context.activity, clock()))
        if isinstance(command, Help):
            await context.send_activity(card_activity(help_card()))
            return
        user_id = _user_id(context)
        if not user_id:
            await context.send_activity(card_activity(_no_user_card()))
            return
        if isinstance(command, ListMeetings):
            await context.send_activity(card_activity(await meetings_reply(services.meetings, user_id)))
            return
        if isinstance(command, Refresh):
            from bot.draft_handlers import refresh_command

            await refresh_command(context, services, runner, user_id)
            return
        await _start(context, runner, user_id, command)

    @app.adaptive_card.action_execute(RETRY_VERB)
    async def on_analyze_button(
        context: TurnContext, _state: TurnState, data: dict[str, Any] | None
    ) -> AdaptiveCardInvokeResponse:
        target = _target_from(data or {})
        user_id = _user_id(context)
        if target is None or not user_id:
            return _invoke_card(_no_user_card() if not user_id else _bad_button_card())
        # A new progress card rather than replacing the clicked one: the picker stays usable, and the
        # invoke response cannot race the job's first in-place update.
        started = await _start(context, runner, user_id, target)
        return _toast("Working on it: the progress is in the card below." if started else "Not started.")

    @app.adaptive_card.action_execute(VERB_REGENERATE)
    async def on_regenerate(
        context: TurnContext, _state: TurnState, data: dict[str, Any] | None
    ) -> AdaptiveCardInvokeResponse:
        user_id = _user_id(context)
        meeting_id = await runner.meeting_of(str((data or {}).get("run_id") or ""), user_id)
        if meeting_id is None:
            return _toast(
                "I no longer have that analysis: type `analyze` with the meeting's subject or date."
            )
        started = await _start(context, runner, user_id, MeetingById(meeting_id))
        return _toast("Regenerating: the progress is in the card below." if started else "Not started.")

    @app.adaptive_card.action_execute(VERB_FEEDBACK)
    async def on_feedback(
        _context: TurnContext, _state: TurnState, data: dict[str, Any] | None
    ) -> AdaptiveCardInvokeResponse:
        rating = str((data or {}).get("rating") or "")
        # The rating only: a free-text comment can quote the meeting.
        log.info("feedback on run %s: %s", (data or {}).get("run_id", "?"), rating[:20] or "no rating")
        return _toast("Thanks for the feedback.")

    # "Email" and "Refresh" on the summary card (journeys 3 and 4).
    from bot.draft_handlers import register_draft_handlers  # it imports this module's helpers

    register_draft_handlers(app, services, runner)


async def _start(
    context: TurnContext,
    runner: JobRunner,
    user_id: str,
    target: Target,
) -> str | None:
    """Post the progress card and start the job; None when the job could not start (the user is told)."""
    if not await conversation_is_internal(context):
        await context.send_activity(card_activity(_outsiders_card()))
        return None
    job = AnalysisJob(user_id=user_id, target=target, run_id=uuid.uuid4().hex[:12])
    sent = await context.send_activity(card_activity(progress_card(STEPS, 0)))
    replace_id = sent.id
    if not replace_id or context.identity is None:
        log.error("analysis %s: the channel gave no id for the progress card", job.run_id)
        return None
    sink = ConversationCard(
        context.adapter, context.identity, context.activity.get_conversation_reference(), replace_id
    )
    runner.start(job, sink)
    log.info("analysis %s started", job.run_id)
    return job.run_id


async def conversation_is_internal(context: TurnContext) -> bool:
    """False when anyone in the conversation is a guest or from another tenant (or we cannot tell)."""
    activity = context.activity
    # Personal chats too: there the one member is the requester, who may be a guest themselves.
    client = context.services.get(ConnectorClientBase) if context.services else None
    if client is None:
        return False
    home = tenant_of(activity)
    try:
        members = await client.conversations.get_conversation_members(activity.conversation.id)
    except Exception as err:  # cannot see who is there: do not post the analysis
        log.warning("could not list conversation members: %s", type(err).__name__)
        return False
    for member in members:
        extra = member.model_extra or {}
        role = str(extra.get("userRole") or extra.get("user_role") or "").lower()
        tenant = (member.tenant_id or extra.get("tenantId") or "").lower()
        if role in _OUTSIDERS or (home and tenant and tenant != home):
            return False
    return True


def local_today(activity: Activity, now: datetime) -> date:
    """The user's date ("yesterday" means theirs), from the time zone Teams sends; UTC without one."""
    try:
        zone = ZoneInfo(activity.local_timezone) if activity.local_timezone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return now.astimezone(zone).date()


def tenant_of(activity: Activity) -> str:
    tenant = activity.conversation.tenant_id if activity.conversation else None
    if not tenant and isinstance(activity.channel_data, dict):
        tenant = (activity.channel_data.get("tenant") or {}).get("id")
    return str(tenant or "").lower()


def _user_id(context: TurnContext) -> str:
    sender = context.activity.from_property
    return (sender.aad_object_id or "") if sender else ""


def _target_from(data: dict[str, Any]) -> Target | None:
    if data.get("meeting_id"):
        return MeetingById(str(data["meeting_id"]))
    if data.get("command") == "last":
        return AnalyzeLast()
    if data.get("command") == "match":
        on = data.get("on") or None
        try:
            day = date.fromisoformat(on) if on else None
        except (TypeError, ValueError):
            return None
        return AnalyzeMatching(words=str(data.get("words") or ""), on=day)
    return None


def _toast(text: str) -> AdaptiveCardInvokeResponse:
    """A short message the client shows where the user clicked; the card stays as it is."""
    return AdaptiveCardInvokeResponse(
        status_code=200, type="application/vnd.microsoft.activity.message", value=text
    )


def _invoke_card(card: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    # A dict, not a JSON string: the client shows an empty card for a string.
    return AdaptiveCardInvokeResponse(status_code=200, type=ADAPTIVE_CARD, value=card)


def _outsiders_card() -> dict[str, Any]:
    return error_card(
        "Not in this conversation",
        "This conversation includes guests or people from other organisations, and the analysis is internal.",
        "Ask me in a personal chat, or in a chat with only your account team.",
    )


def _no_user_card() -> dict[str, Any]:
    return error_card(
        "I cannot tell who you are",
        "Teams did not send your Microsoft Entra identity with this message.",
        "Ask me from Microsoft Teams while signed in with your work account.",
    )


def _bad_button_card() -> dict[str, Any]:
    return error_card(
        "That button no longer works",
        "The card is from an older version of the app.",
        "Type `meetings` for a fresh list, or `analyze last meeting`.",
    )


# Shared with bot/draft_handlers.py, which registers the summary card's Email and Refresh.
toast = _toast
user_id_of = _user_id
outsiders_card = _outsiders_card
