"""The Teams turn helpers every handler set uses: building card activities, answering invokes,
checking who is asking and where, and replacing a posted card from outside its turn.

Nothing here decides what the bot does; bot/handlers.py, bot/draft_handlers.py, bot/proactive.py
and bot/notifications.py do, with these.
"""

from __future__ import annotations

import logging
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
from microsoft_agents.hosting.core import ChannelAdapter, ClaimsIdentity, TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from cards import error_card

__all__ = [
    "ADAPTIVE_CARD",
    "ConversationCard",
    "card_activity",
    "conversation_is_internal",
    "invoke_card",
    "local_today",
    "no_user_card",
    "outsiders_card",
    "tenant_of",
    "toast",
    "user_id_of",
]

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


def tenant_of(activity: Activity) -> str:
    tenant = activity.conversation.tenant_id if activity.conversation else None
    if not tenant and isinstance(activity.channel_data, dict):
        tenant = (activity.channel_data.get("tenant") or {}).get("id")
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


def outsiders_card() -> dict[str, Any]:
    return error_card(
        "Not in this conversation",
        "This conversation includes guests or people from other organisations, and the analysis is internal.",
        "Ask me in a personal chat, or in a chat with only your account team.",
    )


def no_user_card() -> dict[str, Any]:
    return error_card(
        "I cannot tell who you are",
        "Teams did not send your Microsoft Entra identity with this message.",
        "Ask me from Microsoft Teams while signed in with your work account.",
    )
