"""The emulator's in-memory state and the pieces every route shares: Graph's error body and
``@odata.context`` links."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from graph.emulator.drive import DriveState
from graph.emulator.recordings import onedrives
from graph.emulator.seed import SeedData, SeedMeeting, SeedUser

__all__ = ["STATE", "EmulatorState", "base_url", "iso", "odata_context", "odata_error"]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EmulatorState:
    """Everything the emulator knows; rebuilt from the seed on reset."""

    def __init__(
        self,
        seed_factory: Callable[[], SeedData],
        token: str | None = None,
        *,
        organizer_lookup_only: bool = False,
    ) -> None:
        self._seed_factory = seed_factory
        self.token = token
        # True: onlineMeetings?$filter=JoinWebUrl finds a meeting only under its organizer, as
        # Graph may answer an app-only caller; False: under any participant.
        self.organizer_lookup_only = organizer_lookup_only
        self.requests: list[dict[str, Any]] = []
        # refusal kind -> scopes ("*", "user:<id>", "meeting:<id>"); graph/emulator/refusals.py
        self.refusals: dict[str, set[str]] = {}
        # What the app was granted (consent.py): "tenant" (application permissions and access
        # policies) or "rsc" (only chat-scoped consent, in the chats listed in rsc_chats).
        self.consent = "tenant"
        self.rsc_chats: set[str] = set()
        self.reset()

    def reset(self) -> None:
        self.seed = self._seed_factory()
        # /_emulator/outage: notifications lost meanwhile, and the subscriptions that lost one.
        self.outage = False
        self.missed: set[str] = set()
        # Transcripts published through /_emulator/transcripts, by meeting id: when they were made.
        self.added: dict[str, datetime] = {}
        self.drive = DriveState(self.seed.drive_id, self.seed.site_path, self.seed.library)
        self.onedrives = onedrives(self.seed)  # user id -> OneDrive with their meetings' recordings
        self.requests.clear()
        self.refusals.clear()
        self.consent = "tenant"
        self.rsc_chats.clear()

    def drive_by_id(self, drive_id: str | None) -> DriveState:
        """The library, or a user's OneDrive by its id (drive.py's routes serve both)."""
        found = next((d for d in self.onedrives.values() if d.drive_id == drive_id), None)
        return found or self.drive

    @property
    def now(self) -> datetime:
        return datetime.now(UTC)

    def meeting(self, meeting_id: str) -> SeedMeeting | None:
        return next((m for m in self.seed.meetings if m.online and m.meeting_id == meeting_id), None)

    def takes_part(self, user: SeedUser, meeting: SeedMeeting) -> bool:
        mails = {meeting.organizer.mail.lower(), *(p.mail.lower() for p in meeting.attendees)}
        return user.id == meeting.organizer_id or user.mail.lower() in mails

    def transcript_created(self, meeting: SeedMeeting) -> datetime:
        """When the meeting's transcript was made: when it was published, else after the meeting."""
        return self.added.get(meeting.meeting_id, meeting.end + meeting.transcript_delay)

    def transcript_visible(self, meeting: SeedMeeting) -> bool:
        return meeting.vtt is not None and self.now >= self.transcript_created(meeting)


STATE = web.AppKey("state", EmulatorState)


def odata_error(status: int, code: str, message: str, *, inner_code: str | None = None) -> web.Response:
    inner: dict[str, str] = {}
    if inner_code:  # a tenant setting's refusal: Graph names it here, under a plain "Forbidden"
        inner["code"] = inner_code
    inner |= {
        "date": iso(datetime.now(UTC)),
        "request-id": str(uuid.uuid4()),
        "client-request-id": str(uuid.uuid4()),
    }
    body = {"error": {"code": code, "message": message, "innerError": inner}}
    return web.json_response(body, status=status)


def base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}/v1.0"


def odata_context(request: web.Request, fragment: str) -> str:
    return f"{base_url(request)}/$metadata#{fragment}"
