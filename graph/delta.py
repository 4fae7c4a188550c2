"""The transcripts an organizer's meetings gained since the last look: Graph's delta query on
``getAllTranscripts(meetingOrganizerUserId=...)`` (Microsoft Learn, "callTranscript: delta").

A round follows ``@odata.nextLink`` pages to the ``@odata.deltaLink`` that ends it; the caller keeps
that link and passes it back next time, and gets only what was added since. Without a link the
round starts afresh, from ``since`` (the function's ``startDateTime``): a first look that reaches
back a bounded time rather than to every transcript the organizer ever had. msgraph-sdk has no
builder for a delta on this function (its template puts the function's parameters in the query),
so the URLs are written here and read as raw JSON like the other hot paths (graph/records.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph import GraphServiceClient

from graph.failures import graph_call
from graph.records import TranscriptRecord, get_json, page_of
from graph.service import GraphError, TranscriptRef

__all__ = ["DeltaRound", "TranscriptDelta"]

log = logging.getLogger(__name__)

MAX_PAGES = 50  # a round that does not end is a fault, not a reason to loop forever
DELTA_PERMISSION = "the app needs the OnlineMeetingTranscript.Read.All application permission"


@dataclass(frozen=True)
class DeltaRound:
    transcripts: list[TranscriptRef]
    delta_link: str  # keep it: the next round asks for what came after it


class TranscriptDelta:
    def __init__(self, client: GraphServiceClient) -> None:
        self._client = client

    def first_link(self, organizer_id: str, since: datetime) -> str:
        base = self._client.request_adapter.base_url.rstrip("/")
        user = quote(organizer_id, safe="")
        start = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            f"{base}/users/{user}/onlineMeetings/getAllTranscripts("
            f"meetingOrganizerUserId='{user}',startDateTime={start})/delta"
        )

    async def round(self, organizer_id: str, link: str | None, *, since: datetime) -> DeltaRound:
        """The transcripts added since ``link`` (or since ``since`` without one) and the next link."""
        url = link or self.first_link(organizer_id, since)
        found: list[TranscriptRef] = []
        for _ in range(MAX_PAGES):
            info = RequestInformation(Method.GET)
            info.url = url
            page = await graph_call(
                get_json(self._client, info), "the transcripts delta", permission=DELTA_PERMISSION
            )
            items, next_link = page_of(page)
            for item in items:
                record = TranscriptRecord.read(item)
                if record.id and record.meeting_id:
                    found.append(
                        TranscriptRef(
                            transcript_id=record.id,
                            meeting_id=record.meeting_id,
                            created=record.created,
                            organizer_id=organizer_id,
                        )
                    )
            delta_link = str(page.get("@odata.deltaLink") or "")
            if delta_link:
                return DeltaRound(found, delta_link)
            if not next_link:
                raise GraphError("Microsoft Graph ended a transcripts delta round without a delta link.")
            url = next_link
        raise GraphError(f"Microsoft Graph's transcripts delta did not end within {MAX_PAGES} pages.")
