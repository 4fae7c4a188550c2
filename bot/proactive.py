"""Reaching a user outside a turn: remember their personal chat with the bot, post into it later.

Every activity from a user in personal scope (a message, the install's conversationUpdate) saves
that chat's conversation reference and the turn's routing claims, so an automatic analysis can be
delivered there after a restart too. A proactive turn uses ``continue_conversation_with_claims``
with those claims: the one proactive call that works in anonymous local mode as well as with an
app id (FIELD-NOTES.md). Before posting, the members are listed again; a conversation with a guest
or someone from another tenant never gets the analysis.

Teams' ``meetingEnd`` event (meetings the bot was added to) is only recorded: the transcript comes
minutes later and its Graph notification starts the analysis (bot/notifications.py), so there is no
polling and no second analysis of the same transcript.
"""

from __future__ import annotations

import logging
from typing import Any

from microsoft_agents.activity import Activity, ActivityTypes, ConversationReference
from microsoft_agents.hosting.core import AgentApplication, ChannelAdapter, TurnContext, TurnState
from microsoft_agents.hosting.core.app.proactive import Conversation

from bot.auth import ChannelPolicy, channel_data_of, refusal
from bot.background import BackgroundTasks
from bot.state import BotState, PersonalChat
from bot.teams import conversation_is_internal, tenant_of

__all__ = ["MEETING_END", "deliver_to_personal_chat", "register_state_hooks"]

log = logging.getLogger(__name__)

_REMEMBERED = frozenset(
    {ActivityTypes.message, ActivityTypes.conversation_update, ActivityTypes.installation_update}
)
MEETING_END = "application/vnd.microsoft.meetingEnd"
DELIVERED = "delivered"
NOT_INTERNAL = "not_internal"


def register_state_hooks(
    app: AgentApplication[TurnState],
    state: BotState,
    policy: ChannelPolicy,
    *,
    writes: BackgroundTasks | None = None,
) -> BackgroundTasks:
    """Register after the tenant check (before_turn handlers run in order; a refusal stops them).

    A personal chat is stored only from an activity whose serviceUrl and tenant were verified
    against its token (bot/auth.py): the middleware did that already, and it is checked again
    here so no other path can write a reference that later deliveries would trust.

    The writes run beside the turn, not in it: the user's answer does not wait for the store (an
    fsync, or a round trip to Azure Tables). Returns them, for whoever reads what they write
    (automatic delivery looks up the personal chat) and for shutdown.
    """
    writes = writes if writes is not None else BackgroundTasks()

    async def write(activity: Activity, chat: PersonalChat | None, meeting_key: str) -> None:
        try:
            if chat is not None:
                await state.save_personal_chat(chat)
            if meeting_key:
                await state.mark_meeting_ended(meeting_key, activity.conversation.id)
                log.info("a meeting the bot is in ended; its transcript notification will start the analysis")
        except Exception as err:  # the store failing must not cost the user their answer
            log.error("could not update the bot's state: %s", type(err).__name__)

    @app.before_turn
    async def remember(context: TurnContext, _state: TurnState) -> bool:
        activity = context.activity
        # Read from the turn now; the turn's objects are not ours once it ends.
        chat = _personal_chat(context) if _is_personal(activity) and _verified(context, policy) else None
        meeting_key = _ended_meeting(activity)
        if chat is not None or meeting_key:
            writes.start(write(activity, chat, meeting_key), name="remember")
        return True

    return writes


def _is_personal(activity: Activity) -> bool:
    conversation = activity.conversation
    sender = activity.from_property
    # Teams only (Copilot's Teams sub-channels too): an Outlook card's invoke, or any other channel's
    # activity, never becomes where automatic analyses go.
    channel = str(activity.channel_id or "").split(":")[0].lower()
    return (
        channel == "msteams"
        and conversation is not None
        and (conversation.conversation_type or "").lower() == "personal"
        and sender is not None
        and bool(sender.aad_object_id)
        and activity.type in _REMEMBERED
    )


def _verified(context: TurnContext, policy: ChannelPolicy) -> bool:
    claims = context.identity.claims if context.identity else {}
    problem = refusal(context.activity, claims, policy)
    if problem:
        log.warning("personal chat not stored: %s", problem)
    return problem is None


def _personal_chat(context: TurnContext) -> PersonalChat:
    activity = context.activity
    reference = activity.get_conversation_reference()
    return PersonalChat(
        user_id=str(activity.from_property.aad_object_id).lower(),
        tenant_id=tenant_of(activity),
        reference=reference.model_dump(mode="json", by_alias=True, exclude_none=True),
        claims=Conversation.claims_from_identity(context.identity) if context.identity else {},
    )


def _ended_meeting(activity: Activity) -> str:
    """The ended meeting's join URL (or id), when this activity is Teams' meetingEnd; else ''."""
    data: dict[str, Any] = channel_data_of(activity)
    is_end = (activity.type == ActivityTypes.event and activity.name == MEETING_END) or (
        data.get("eventType") == "meetingEnd"
    )
    if not is_end:
        return ""
    value = activity.value if isinstance(activity.value, dict) else {}
    meeting = data.get("meeting") if isinstance(data.get("meeting"), dict) else {}
    return str(value.get("JoinUrl") or value.get("joinUrl") or meeting.get("id") or value.get("Id") or "")


async def deliver_to_personal_chat(adapter: ChannelAdapter, chat: PersonalChat, activity: Activity) -> str:
    """Post ``activity`` into the user's personal chat; DELIVERED or NOT_INTERNAL."""
    reference = ConversationReference.model_validate(chat.reference)
    identity = Conversation.identity_from_claims(chat.claims)
    outcome = NOT_INTERNAL

    async def post(context: TurnContext) -> None:
        nonlocal outcome
        if not await conversation_is_internal(context):
            return
        if reference.locale and not activity.locale:
            activity.locale = reference.locale
        await context.send_activity(activity)
        outcome = DELIVERED

    await adapter.continue_conversation_with_claims(identity, reference.get_continuation_activity(), post)
    return outcome
