"""Least-privilege mode (``MCEM_TRANSCRIPT_ACCESS=rsc``): the meetings of the chats the bot is
installed in, analysed with resource-specific consent only, the card sent to the organizer.

Two things start an analysis, both in the meeting's own chat:
- Teams' meeting-end event (sent only to an app holding ``OnlineMeeting.ReadBasic.Chat`` there);
  the transcript is published minutes later, so the bot looks for it after each of
  ``RETRY_DELAYS_S`` until one appears or the grace period is over;
- ``analyze last meeting`` (or any ``analyze``) said to the bot in that chat: the transcript is
  looked for once, and "not ready yet" is the answer when it is not there.

The meeting itself comes from Teams, not from Graph: the meeting id in the activity's channel data
(or the event), then the Bot Connector's meeting details (``GET {serviceUrl}/v1/meetings/{id}``,
through microsoft-agents-hosting-msteams' Teams API client; it needs ``OnlineMeeting.ReadBasic.Chat``)
for the Graph meeting id, subject, times and organizer, and the chat's member list for the
attendees. Graph is asked only for the transcripts (graph/chat_meetings.py). From the found
transcript on, the automatic path of bot/notifications.py does the rest: the claim that makes each
transcript analysed once, the organizer's personal chat, the check for guests, the card.

Nothing about the meeting is posted in the meeting chat (it may have guests): only that the
organizer will get the analysis, or why there is none.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from microsoft_agents.activity import ChannelAccount
from microsoft_agents.hosting.core import AgentApplication, TurnContext, TurnState
from microsoft_agents.hosting.core.connector import ConnectorClientBase
from microsoft_agents.hosting.msteams import TeamsAgentExtension, TeamsTurnContext
from microsoft_teams.api.activities.event.meeting_end import MeetingEndEventValue

from bot.background import BackgroundTasks
from bot.notifications import TranscriptNotifications
from bot.teams import card_activity, tenant_of
from cards import error_card
from graph.chat_meetings import RSC_ONLY, ChatMeetings
from graph.meeting_rules import latest_transcript
from graph.service import AccessDenied, Attendee, GraphError, MeetingInfo, TranscriptNotReady
from mcem.errors import explain
from mcem.model import Side

__all__ = ["ACCEPTED", "RETRY_DELAYS_S", "MeetingChats", "register_meeting_chat_handlers"]

log = logging.getLogger(__name__)

# After the meeting ends: look for its transcript after 1, 2, 4, 8, 15 and 30 minutes (an hour in
# all, the default grace), since Teams publishes it within minutes of a short call.
RETRY_DELAYS_S: tuple[float, ...] = (60, 120, 240, 480, 900, 1800)
ACCEPTED = (
    "I am analysing this meeting's transcript. Its organizer gets the analysis in their personal chat "
    "with me (they need to have said hello to me there once)."
)
NO_DETAILS = (
    "Teams did not give me this meeting's details, so I cannot find its transcript. The app's "
    "permission OnlineMeeting.ReadBasic.Chat is granted in a meeting chat when the app is added there."
)
_OUTSIDERS = frozenset({"guest", "anonymous"})


class MeetingChats:
    """The rsc-mode work: who the chat's meeting is, when its transcript exists, and handing it on."""

    def __init__(
        self,
        app: AgentApplication[TurnState],
        meetings: ChatMeetings,
        notifications: TranscriptNotifications,
        *,
        grace: timedelta,
        retry_delays_s: Sequence[float] = RETRY_DELAYS_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._app = app
        self._meetings = meetings
        self._notifications = notifications
        self._grace = grace
        self.retry_delays_s = tuple(retry_delays_s)  # tests shorten them
        self._clock = clock
        self._tasks = BackgroundTasks()

    async def on_message(self, context: TurnContext, *, analyse: bool = True) -> None:
        """``analyze ...`` said in a chat: the chat's own meeting, if it has one. ``analyse``
        False (``meetings``): there is no list to show, only where to ask."""
        teams = TeamsTurnContext(context, self._app)
        info = teams.activity.get_meeting_info()
        if not analyse or info is None or not info.id:
            card = error_card("Ask me in the meeting's chat", RSC_ONLY, "Open the meeting's chat in Teams.")
            await context.send_activity(card_activity(card))
            return
        try:
            meeting = await self._describe(teams, info.id)
            refs = await self._meetings.transcripts(meeting.organizer.user_id, meeting)
            ref = latest_transcript(refs, meeting, now=self._clock(), grace=self._grace)
        except GraphError as err:
            why = explain(err)
            await context.send_activity(card_activity(error_card(why.title, why.message, why.advice)))
            return
        self._notifications.announce(ref.organizer_id, ref.meeting_id, ref.transcript_id)
        await context.send_activity(ACCEPTED)

    async def on_meeting_end(self, context: TeamsTurnContext, event: MeetingEndEventValue) -> None:
        try:
            meeting = await self._describe(context, event.id)
        except GraphError as err:
            log.warning("meeting end: the meeting could not be read (%s)", type(err).__name__)
            return
        self._tasks.start(self._await_transcript(meeting), name=f"meeting-end-{meeting.meeting_id[:12]}")

    async def _await_transcript(self, meeting: MeetingInfo) -> None:
        """Look for the transcript until it appears, then hand it on; give up after the grace."""
        organizer = meeting.organizer.user_id
        for delay in (0.0, *self.retry_delays_s):
            await asyncio.sleep(delay)
            try:
                refs = await self._meetings.transcripts(organizer, meeting)
                ref = latest_transcript(refs, meeting, now=self._clock(), grace=self._grace)
            except TranscriptNotReady:
                continue
            except GraphError as err:  # transcription was off, or a refusal graph_call logged
                log.info("meeting end: no transcript to analyse (%s)", type(err).__name__)
                return
            self._notifications.announce(ref.organizer_id, ref.meeting_id, ref.transcript_id)
            return
        log.info("meeting end: no transcript appeared within the grace period")

    async def _describe(self, context: TeamsTurnContext, teams_meeting_id: str) -> MeetingInfo:
        """The meeting as Teams describes it to an app in its chat; remembered for ChatMeetings."""
        try:
            found = await context.api_client.meetings.get_by_id(teams_meeting_id)
        except Exception as err:  # 403 without the RSC permission, 404 for a meeting Teams forgot
            log.warning("meeting details not available: %s", type(err).__name__)
            raise AccessDenied(NO_DETAILS) from None
        details, organizer = found.details, found.organizer
        if details is None or organizer is None or not organizer.aad_object_id:
            raise AccessDenied(NO_DETAILS)
        home = tenant_of(context.activity)
        members = await _members(context)
        people = {m.aad_object_id.lower(): _attendee(m, home) for m in members if m.aad_object_id}
        organizer_id = organizer.aad_object_id.lower()
        now = self._clock()
        meeting = MeetingInfo(
            meeting_id=details.ms_graph_resource_id,
            subject=details.title or "(no subject)",
            start=details.scheduled_start_time or now,
            end=details.scheduled_end_time or now,
            join_url=details.join_url,
            organizer=people.pop(organizer_id, None)
            or Attendee(name=organizer.name or "The organizer", user_id=organizer_id, side=Side.internal),
            attendees=tuple(people.values()),
        )
        await self._meetings.remember(meeting)
        return meeting

    async def wait_idle(self) -> None:
        await self._tasks.wait_idle()

    async def aclose(self) -> None:
        await self._tasks.aclose()


async def _members(context: TurnContext) -> list[ChannelAccount]:
    """The chat's members, through the Bot Connector (no Graph permission needed); [] when it fails."""
    client = context.services.get(ConnectorClientBase) if context.services else None
    if client is None:
        return []
    try:
        return list(await client.conversations.get_conversation_members(context.activity.conversation.id))
    except Exception as err:  # the analysis can still run: the transcript names the speakers
        log.warning("could not list the meeting chat's members: %s", type(err).__name__)
        return []


def _attendee(member: ChannelAccount, home_tenant: str) -> Attendee:
    extra: dict[str, Any] = member.model_extra or {}
    role = str(extra.get("userRole") or "").lower()
    tenant = str(member.tenant_id or extra.get("tenantId") or "").lower()
    inside = role not in _OUTSIDERS and bool(tenant) and tenant == home_tenant
    mail = str(extra.get("email") or extra.get("userPrincipalName") or "")
    return Attendee(
        name=member.name or mail or "Unknown",
        email=mail,
        user_id=str(member.aad_object_id or "").lower(),
        side=Side.internal if inside else Side.customer,
    )


def register_meeting_chat_handlers(app: AgentApplication[TurnState], chats: MeetingChats) -> None:
    """The meeting-end route, through hosting-msteams' typed Teams routes."""
    teams = TeamsAgentExtension(app)

    @teams.meetings.end
    async def meeting_ended(
        context: TeamsTurnContext, _state: TurnState, event: MeetingEndEventValue
    ) -> None:
        await chats.on_meeting_end(context, event)
