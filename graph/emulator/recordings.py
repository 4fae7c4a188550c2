"""The emulator's meeting recordings, where Teams puts them.

A recorded meeting has two faces in Graph v1.0: ``callRecording`` objects under the online meeting
(``/users/{id}/onlineMeetings/{id}/recordings``, the ``recordings`` containment navigation of
``onlineMeeting`` in the CSDL; the body is the spec's ``microsoft.graph.callRecording``), and the
video file itself in the organizer's OneDrive, ``Recordings/<subject>-<yyyymmdd_hhmmss>-Meeting
Recording.mp4``, whose ``webUrl`` is what a person opens (Stream on SharePoint plays it). A
``callRecording`` carries no web address, so a client finds the file in ``Recordings`` by its time.

Every seeded meeting with a transcript was recorded too; the recording appears with the transcript.
The file's content is a short placeholder, served at its webUrl (``/personal/<owner>/Documents/...``
on the emulator's own origin, as OneDrive serves ``https://<tenant>-my.sharepoint.com/personal/...``).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any
from urllib.parse import quote

from aiohttp import web

from graph.emulator.drive import DriveState
from graph.emulator.seed import SeedData, SeedMeeting, SeedUser

__all__ = [
    "PLACEHOLDER",
    "RECORDINGS",
    "add_recording_routes",
    "onedrives",
    "recording_json",
    "recording_name",
]

RECORDINGS = "Recordings"
LIBRARY = "Documents"
PLACEHOLDER = b"MCEM Analyst emulator: a meeting recording stands here (no video is stored)."


def recording_name(meeting: SeedMeeting) -> str:
    """Teams' file name for a recording: subject, start time, '-Meeting Recording.mp4'."""
    subject = re.sub(r'[\\/:*?"<>|#%]', "", meeting.subject).strip() or "Meeting"
    return f"{subject}-{meeting.start:%Y%m%d_%H%M%S}-Meeting Recording.mp4"


def _owner_path(user: SeedUser) -> str:
    # OneDrive's site of a user: /personal/<mail with '.' and '@' as '_'>
    return "/personal/" + re.sub(r"[^a-z0-9]", "_", user.mail.lower())


def onedrives(seed: SeedData) -> dict[str, DriveState]:
    """user id -> that user's OneDrive, holding the recordings of the meetings they organised."""
    drives: dict[str, DriveState] = {}
    for meeting in seed.meetings:
        user = seed.users.get(meeting.organizer_id)
        if meeting.vtt is None or not meeting.online or user is None:
            continue
        drive = drives.get(user.id)
        if drive is None:
            drive_id = "b!" + hashlib.sha1(f"onedrive:{user.id}".encode()).hexdigest()[:40]
            drive = drives[user.id] = DriveState(drive_id, _owner_path(user), LIBRARY)
        folder = drive.resolve(RECORDINGS, create_folders=True)
        assert folder is not None
        item = drive.store(folder, recording_name(meeting), PLACEHOLDER, "replace")
        assert item is not None
        item.created = item.modified = meeting.start  # Teams starts the file when recording starts
    return drives


def recording_json(base: str, meeting: SeedMeeting) -> dict[str, Any]:
    """One ``callRecording``, as Graph lists it (the recording began with the meeting)."""
    recording_id = "rec-" + hashlib.sha1(meeting.key.encode()).hexdigest()[:24]
    return {
        "id": recording_id,
        "meetingId": meeting.meeting_id,
        "callId": str(uuid.uuid5(uuid.NAMESPACE_URL, meeting.key)),
        # The same id as the transcript's: Graph links a transcript and its recording through it.
        "contentCorrelationId": str(uuid.uuid5(uuid.NAMESPACE_DNS, meeting.key)),
        "createdDateTime": meeting.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endDateTime": meeting.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "recordingContentUrl": f"{base}/users/{meeting.organizer_id}/onlineMeetings/{meeting.meeting_id}"
        f"/recordings/{recording_id}/content",
        "meetingOrganizer": {"user": {"id": meeting.organizer_id, "displayName": None}},
    }


def add_recording_routes(app: web.Application, drives_of: Any, error: Any) -> None:
    """``GET /users/{id}/drive`` (the user's OneDrive) and the recordings' webUrls.

    ``drives_of(request)`` gives the user id -> DriveState map; the items of a OneDrive are served by
    drive.py's routes like the library's."""

    async def user_drive(request: web.Request) -> web.Response:
        drive = drives_of(request).get(request.match_info["user_id"])
        if drive is None:
            return error(404, "itemNotFound", "The user's OneDrive could not be found.")
        origin = f"{request.scheme}://{request.host}"
        return web.json_response(
            {
                "@odata.context": f"{origin}/v1.0/$metadata#drives/$entity",
                "id": drive.drive_id,
                "driveType": "business",
                "name": "OneDrive",
                "webUrl": f"{origin}{drive.site_path}/{quote(drive.library)}",
            }
        )

    async def play(request: web.Request) -> web.StreamResponse:
        site = "/personal/" + request.match_info["owner"]
        drive = next((d for d in drives_of(request).values() if d.site_path == site), None)
        item = (
            drive.resolve(request.match_info["path"])
            if drive and request.match_info["library"] == LIBRARY
            else None
        )
        if item is None or item.folder:
            return error(404, "itemNotFound", "The file does not exist.")
        # Stream on SharePoint opens the player here; the emulator hands over the stored bytes.
        return web.Response(body=item.content, content_type="video/mp4")

    app.router.add_get("/v1.0/users/{user_id}/drive", user_drive)
    app.router.add_get("/personal/{owner}/{library}/{path:.+}", play)
