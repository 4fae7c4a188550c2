"""What the bot needs from Microsoft Graph, as two small interfaces.

``GraphMeetings`` (graph/meetings.py) and ``GraphDocuments`` (graph/documents.py) implement
them with msgraph-sdk; tests point the same classes at the local emulator (graph/emulator/).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from mcem.errors import MCEMError
from mcem.model import Side


class Attendee(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    email: str = ""
    user_id: str = ""  # Entra object id, when Graph gives one
    side: Side = Side.unknown  # internal when the address is on one of the tenant's domains
    role: str = ""  # job title, when known


class MeetingInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    meeting_id: str  # onlineMeeting id
    event_id: str = ""
    subject: str
    start: datetime
    end: datetime
    join_url: str
    organizer: Attendee
    attendees: tuple[Attendee, ...] = ()
    has_transcript: bool | None = None  # None: not checked yet

    def internal_people(self) -> list[Attendee]:
        """The organizer and attendees on the internal side (Microsoft and its partners), in meeting order."""
        return [p for p in (self.organizer, *self.attendees) if p.side is Side.internal]


class TranscriptRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    transcript_id: str
    meeting_id: str
    created: datetime | None = None
    # Graph serves transcripts under the organizer's id; empty: the requester's id is used.
    organizer_id: str = ""


class StoredDocument(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item_id: str
    name: str
    web_url: str


class GraphError(MCEMError):
    """Base for what Graph tells us; messages are safe to show users (title and advice: mcem/errors.py)."""

    title = "Microsoft Graph did not answer as expected"
    advice = "Try again in a few minutes."


class MeetingNotFound(GraphError):
    title = "No meeting found"
    advice = "Check the subject words or the date, or type `meetings` to pick one from a list."
    retry = False


class TranscriptUnavailable(GraphError):
    """Transcription was off for the meeting: there will never be a transcript."""

    title = "No transcript for this meeting"
    advice = "Turn on transcription in the next call (More → Record and transcribe → Start transcription)."
    retry = False


class TranscriptNotReady(GraphError):
    """The meeting ended recently and Teams has not published the transcript yet."""

    title = "Transcript not ready yet"
    advice = "Try again in a few minutes."


class AccessDenied(GraphError):
    """The requester neither organised nor attended the meeting, or the app lacks permission."""

    title = "No access to this meeting"
    advice = (
        "Ask the organiser to run the analysis, or your Microsoft 365 admin to grant the app the "
        "Graph permission the message names."
    )
    retry = False


class MeetingSource(Protocol):
    async def recent_meetings(
        self, user_id: str, *, limit: int = 10, query: str | None = None, on: date | None = None
    ) -> list[MeetingInfo]:
        """The user's past online meetings, newest first, optionally filtered by subject words or date."""
        ...

    async def meeting(self, user_id: str, organizer_id: str, meeting_id: str) -> MeetingInfo:
        """One meeting by its ids, if the user organised or attended it (else AccessDenied).

        ``organizer_id`` may be "": a Teams meeting id names its organizer."""
        ...

    async def transcripts(self, user_id: str, meeting: MeetingInfo) -> list[TranscriptRef]:
        """The meeting's transcripts, newest first (graph/meeting_rules.latest_transcript picks one)."""
        ...

    async def transcript_vtt(self, user_id: str, ref: TranscriptRef) -> bytes:
        """The transcript's WebVTT content as Graph sent it; the parser decodes it once."""
        ...

    async def recording_url(self, user_id: str, ref: TranscriptRef) -> str | None:
        """The web address of the meeting's recording (for links to each quote's moment), or None.
        Call it after ``transcript_vtt``, which has checked that the user may see this meeting."""
        ...


class TranscriptCache(Protocol):
    """Transcript content kept after its first download (the bot's state): Graph meters content
    downloads per minute of transcript, and a transcript never changes under its id (restarting
    transcription makes a new one), so Regenerate and Try again need not download it again."""

    async def get(self, transcript_id: str) -> bytes | None: ...

    async def put(self, transcript_id: str, content: bytes, minutes: float) -> None:
        """Keep it; ``minutes``: the transcript's length, counted as downloaded this month."""
        ...


class DocumentStore(Protocol):
    async def upload(
        self, folder: str, filename: str, content: bytes, *, replace: bool = False
    ) -> StoredDocument:
        """Store under folder/filename; on a name clash keep both (rename), never overwrite — unless
        ``replace``, for the bot's own generated files (the account brief)."""
        ...

    async def download(self, item_id: str) -> bytes:
        """The stored file's current content (as people edited it)."""
        ...


class MailSender(Protocol):
    async def send(
        self, sender_id: str, recipients: Sequence[Attendee], subject: str, html: str
    ) -> list[Attendee]:
        """Send an HTML mail as ``sender_id``; only to the tenant's domains. Returns who it went to."""
        ...
