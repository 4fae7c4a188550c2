"""The transcripts of one online meeting, newest first: one Graph listing shared by both meeting sources
(tenant-wide ``GraphMeetings`` and chat-scoped ``ChatMeetings``)."""

from __future__ import annotations

from datetime import UTC, datetime

from msgraph import GraphServiceClient

from graph.failures import graph_call
from graph.records import TranscriptRecord, get_json, page_of
from graph.service import TranscriptRef

__all__ = ["list_transcripts"]


async def list_transcripts(
    client: GraphServiceClient, organizer_id: str, meeting_id: str
) -> list[TranscriptRef]:
    listing = (
        client.users.by_user_id(organizer_id).online_meetings.by_online_meeting_id(meeting_id).transcripts
    )
    found = await graph_call(
        get_json(client, listing.to_get_request_information()), "the meeting's transcripts"
    )
    refs = [
        TranscriptRef(transcript_id=t.id, meeting_id=meeting_id, created=t.created, organizer_id=organizer_id)
        for t in map(TranscriptRecord.read, page_of(found)[0])
        if t.id
    ]
    return sorted(refs, key=lambda r: r.created or datetime.min.replace(tzinfo=UTC), reverse=True)
