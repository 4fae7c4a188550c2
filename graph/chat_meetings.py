"""Meetings of the chats the bot is installed in, read with resource-specific consent only
(``MCEM_TRANSCRIPT_ACCESS=rsc``): a MeetingSource that needs no tenant-wide Graph permission.

With RSC the app holds ``OnlineMeetingTranscript.Read.Chat`` and ``OnlineMeeting.ReadBasic.Chat``
in each chat where someone installed it, and nothing else about meetings: no calendars
(Calendars.Read), no user directory (User.Read.All), no meeting lookups (OnlineMeetings.Read.All).
So a meeting is never searched for here. The bot learns it from Teams itself, in the meeting's
chat (the meeting-end event or a message there, then the Bot Connector's meeting details, which
give the Graph meeting id and the organizer), and hands it over with ``remember``. Graph is asked
only for what RSC grants: ``GET /users/{organizer}/onlineMeetings/{id}/transcripts`` and the
transcript's ``/content`` (Learn: onlinemeeting-list-transcripts, calltranscript-get; private chat
meetings only, not channel meetings).

What the bot learned is kept in memory and, when the bot gives it one, in a ``MeetingMemory`` (the
bot's state: bot/state.py ``chatmeetings``), so a Regenerate or Try again after a restart, or on
another instance, still finds the meeting. Without one, the user is asked to say
``analyze last meeting`` in the meeting chat again.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from msgraph import GraphServiceClient

from graph.download import bounded_content
from graph.failures import graph_call
from graph.meeting_rules import denied
from graph.service import MeetingInfo, MeetingNotFound, TranscriptRef, TranscriptUnavailable
from graph.transcript_list import list_transcripts

__all__ = ["RSC_ONLY", "ChatMeetings", "MeetingMemory"]

RSC_ONLY = (
    "In this organisation I may read only the meetings of chats I was added to, not calendars. "
    "Add me to the meeting's chat and say `analyze last meeting` there; the analysis comes to the "
    "organizer's personal chat with me."
)
# The same bound the tenant-wide path keeps (graph/meetings.py): far above any meeting's VTT.
TRANSCRIPT_DOWNLOAD_LIMIT = 20 * 1024 * 1024
_TOO_LARGE = (
    "The transcript Graph returned is larger than 20 MB, far more than any meeting's, so it was not "
    "read; open the meeting in Teams and check its transcript."
)
KNOWN_AT_MOST = 1000  # meetings remembered; the oldest is forgotten first


class MeetingMemory(Protocol):
    """Where learned meetings outlive the process."""

    async def keep(self, meeting: MeetingInfo) -> None: ...

    async def recall(self, meeting_id: str) -> MeetingInfo | None: ...


class ChatMeetings:
    """MeetingSource over RSC. Build once; share across requests."""

    def __init__(self, client: GraphServiceClient, memory: MeetingMemory | None = None) -> None:
        self._client = client
        self._known: dict[str, MeetingInfo] = {}
        self.memory = memory

    async def remember(self, meeting: MeetingInfo) -> None:
        """A meeting Teams described in its chat (its id is the Graph meeting id)."""
        self._hold(meeting)
        if self.memory is not None:
            await self.memory.keep(meeting)

    def _hold(self, meeting: MeetingInfo) -> None:
        self._known.pop(meeting.meeting_id, None)
        self._known[meeting.meeting_id] = meeting
        while len(self._known) > KNOWN_AT_MOST:
            self._known.pop(next(iter(self._known)))

    async def _learned(self, meeting_id: str) -> MeetingInfo | None:
        known = self._known.get(meeting_id)
        if known is None and self.memory is not None:
            known = await self.memory.recall(meeting_id)
            if known is not None:
                self._hold(known)
        return known

    async def recent_meetings(
        self, user_id: str, *, limit: int = 10, query: str | None = None, on: date | None = None
    ) -> list[MeetingInfo]:
        raise MeetingNotFound(RSC_ONLY)  # searching calendars needs Calendars.Read

    async def meeting(self, user_id: str, organizer_id: str, meeting_id: str) -> MeetingInfo:
        known = await self._learned(meeting_id)
        if known is None:
            raise MeetingNotFound(RSC_ONLY)
        if not _takes_part(user_id, known):
            raise denied(known.subject)
        return known

    async def transcripts(self, user_id: str, meeting: MeetingInfo) -> list[TranscriptRef]:
        known = await self.meeting(user_id, meeting.organizer.user_id, meeting.meeting_id)
        return await list_transcripts(self._client, known.organizer.user_id, known.meeting_id)

    async def recording_url(self, user_id: str, ref: TranscriptRef) -> str | None:
        """None: the recording's file is in the organizer's OneDrive, which no chat consent reaches
        (it would take the tenant-wide Files.Read.All); quotes show their transcript time instead."""
        return None

    async def transcript_vtt(self, user_id: str, ref: TranscriptRef) -> bytes:
        known = await self.meeting(user_id, ref.organizer_id, ref.meeting_id)
        content = (
            self._client.users.by_user_id(known.organizer.user_id)
            .online_meetings.by_online_meeting_id(ref.meeting_id)
            .transcripts.by_call_transcript_id(ref.transcript_id)
            .content
        )
        info = content.to_get_request_information()
        info.path_parameters["baseurl"] = self._client.request_adapter.base_url.rstrip("/")
        # The generated builder has no $format parameter; Graph wants it for WebVTT.
        vtt = content.with_url(info.url + "?%24format=text/vtt").to_get_request_information()
        data = await graph_call(
            bounded_content(self._client, vtt, limit=TRANSCRIPT_DOWNLOAD_LIMIT, too_large=_TOO_LARGE),
            "the transcript",
        )
        if not data:
            raise TranscriptUnavailable("The transcript is empty: Teams recorded no speech for this meeting.")
        return data


def _takes_part(user_id: str, meeting: MeetingInfo) -> bool:
    wanted = user_id.lower()
    return bool(wanted) and any(
        p.user_id.lower() == wanted for p in (meeting.organizer, *meeting.attendees) if p.user_id
    )
