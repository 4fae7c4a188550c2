"""The web address of a meeting's recording, so each quote can open the recording where it was said.

Graph lists a meeting's recordings at ``GET /users/{organizer}/onlineMeetings/{id}/recordings``
(``callRecording``: when it was made, and ``recordingContentUrl``, a download for apps — not a page a
person can open). The file people open lives in the organizer's OneDrive, in ``Recordings``, named
after the meeting and its start time; its ``webUrl`` is what Stream on SharePoint plays. So: the
newest recording of the meeting, then the ``.mp4`` in ``Recordings`` created closest to it (Teams
creates the file when recording starts), within ``MATCH_WINDOW``.

Best effort: a meeting without a recording, a OneDrive the app may not read (``Files.Read.All``), or
any Graph error gives None, and the quotes show their transcript time instead. The analysis never
fails for want of a link.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from kiota_abstractions.api_error import APIError
from msgraph import GraphServiceClient

from graph.records import get_json, graph_time, page_of

__all__ = ["MATCH_WINDOW", "RECORDINGS_FOLDER", "recording_web_url"]

log = logging.getLogger(__name__)

RECORDINGS_FOLDER = "Recordings"
# A recording's file is created as recording starts; its callRecording within seconds of that.
MATCH_WINDOW = timedelta(minutes=10)


async def recording_web_url(client: GraphServiceClient, organizer_id: str, meeting_id: str) -> str | None:
    try:
        return await _find(client, organizer_id, meeting_id)
    except APIError as err:
        # Logged by status only: the message may name the meeting.
        log.info("no recording link: Graph answered %s", err.response_status_code)
        return None


async def _find(client: GraphServiceClient, organizer_id: str, meeting_id: str) -> str | None:
    user = client.users.by_user_id(organizer_id)
    listing = user.online_meetings.by_online_meeting_id(meeting_id).recordings
    recordings, _ = page_of(await get_json(client, listing.to_get_request_information()))
    made = [t for t in (graph_time(r.get("createdDateTime")) for r in recordings) if t is not None]
    if not made:
        return None
    recorded = max(made)
    drive = await get_json(client, user.drive.to_get_request_information())
    drive_id = str(drive.get("id") or "")
    if not drive_id:
        return None
    folder = client.drives.by_drive_id(drive_id).items.by_drive_item_id(f"root:/{RECORDINGS_FOLDER}:")
    files, _ = page_of(await get_json(client, folder.children.to_get_request_information()))
    return _closest(files, recorded)


def _closest(files: list[dict[str, object]], recorded: datetime) -> str | None:
    best: tuple[timedelta, str] | None = None
    for item in files:
        name, url = str(item.get("name") or ""), str(item.get("webUrl") or "")
        created = graph_time(item.get("createdDateTime"))
        if not name.lower().endswith(".mp4") or not url or created is None:
            continue
        gap = abs(created - recorded)
        if gap <= MATCH_WINDOW and (best is None or gap < best[0]):
            best = (gap, url)
    return best[1] if best else None
