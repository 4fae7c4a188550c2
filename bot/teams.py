"""The Teams turn helpers every handler set uses: building card activities, answering invokes,
checking who is asking and where, and replacing a posted card from outside its turn.

Nothing here decides what the bot does; bot/handlers.py, bot/draft_handlers.py, bot/proactive.py
and bot/notifications.py do, with these.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    Attachment,
    ChannelAccount,
    ConversationReference,
)
from microsoft_agents.hosting.core import ChannelAdapter, ClaimsIdentity, TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from bot.auth import channel_data_of
from cards import error_card

__all__ = [
    "ADAPTIVE_CARD",
    "ConversationCard",
    "card_activity",
    "conversation_is_internal",
    "invoke_card",
    "local_today",
    "no_user_card",
    "outsider_reason",
    "outsiders_card",
    "outsiders_in",
    "refuse_outsiders",
    "tenant_of",
    "toast",
    "user_id_of",
]

log = logging.getLogger(__name__)

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
INVOKE_MESSAGE = "application/vnd.microsoft.activity.message"
# Teams userRole values of people outside the tenant.
_OUTSIDERS = frozenset({"guest", "anonymous"})
# Why meeting data is withheld from a conversation: the "what happened" of the refusal card.
GUEST = "Someone in this conversation is a guest, and meeting data is internal to your organisation."
OTHER_TENANT = (
    "Someone in this conversation is from another organisation, and meeting data is internal to yours."
)
UNKNOWN = (
    "Teams did not say which organisation someone in this conversation belongs to, so I count them "
    "as a guest: meeting data is internal to your organisation."
)
NOT_LISTED = "I could not see who is in this conversation, and meeting data is internal to your organisation."


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


def toast(text: str) -> AdaptiveCardInvokeResponse:
    """A short message the client shows where the user clicked; the card stays as it is."""
    return AdaptiveCardInvokeResponse(status_code=200, type=INVOKE_MESSAGE, value=text)


def invoke_card(card: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    """Replace the clicked card with ``card``."""
    # A dict, not a JSON string: the client shows an empty card for a string.
    return AdaptiveCardInvokeResponse(status_code=200, type=ADAPTIVE_CARD, value=card)


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


async def outsiders_in(context: TurnContext) -> str | None:
    """Why meeting data may not be shown in this conversation (for the refusal card); None when it may.

    Personal chats too: there the one member is the requester, who may be a guest themselves.
    """
    activity = context.activity
    client = context.services.get(ConnectorClientBase) if context.services else None
    if client is None:
        return NOT_LISTED
    try:
        members = await client.conversations.get_conversation_members(activity.conversation.id)
    except Exception as err:  # cannot see who is there: do not show the meeting data
        log.warning("could not list conversation members: %s", type(err).__name__)
        return NOT_LISTED
    return outsider_reason(members, tenant_of(activity))


def outsider_reason(members: Iterable[ChannelAccount], home_tenant: str) -> str | None:
    """The rule, on a member list: someone Teams calls a guest or anonymous, someone from another
    tenant, or someone Teams says neither the tenant nor the role of (nobody can tell: fail closed)."""
    found: str | None = None
    for member in members:
        extra: dict[str, Any] = member.model_extra or {}
        role = str(extra.get("userRole") or extra.get("user_role") or "").strip().lower()
        tenant = str(member.tenant_id or extra.get("tenantId") or "").strip().lower()
        if role in _OUTSIDERS:
            return GUEST
        if tenant and home_tenant and tenant != home_tenant:
            found = found or OTHER_TENANT
        elif not tenant and not role:
            found = found or UNKNOWN
    return found


async def conversation_is_internal(context: TurnContext) -> bool:
    """False when anyone in the conversation is a guest or from another tenant (or we cannot tell)."""
    return await outsiders_in(context) is None


async def refuse_outsiders(context: TurnContext) -> bool:
    """True, after posting the refusal card that says why, when meeting data may not be shown here."""
    reason = await outsiders_in(context)
    if reason is None:
        return False
    log.info("meeting data withheld from a conversation with someone from outside")
    await context.send_activity(card_activity(outsiders_card(reason)))
    return True


def tenant_of(activity: Activity) -> str:
    tenant = activity.conversation.tenant_id if activity.conversation else None
    if not tenant:
        tenant = (channel_data_of(activity).get("tenant") or {}).get("id")
    return str(tenant or "").lower()


def user_id_of(context: TurnContext) -> str:
    """The sender's Microsoft Entra object id; "" when Teams did not send it."""
    sender = context.activity.from_property
    return (sender.aad_object_id or "") if sender else ""


def local_today(activity: Activity, now: datetime) -> date:
    """The user's date ("yesterday" means theirs), from the time zone Teams sends; UTC without one."""
    try:
        zone = ZoneInfo(activity.local_timezone) if activity.local_timezone else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return now.astimezone(zone).date()


def outsiders_card(reason: str = GUEST) -> dict[str, Any]:
    return error_card(
        "Not in this conversation",
        reason,
        "Ask me in a personal chat, or in a chat with only your account team.",
    )


def no_user_card() -> dict[str, Any]:
    return error_card(
        "I cannot tell who you are",
        "Teams did not send your Microsoft Entra identity with this message.",
        "Ask me from Microsoft Teams while signed in with your work account.",
    )
