"""Graph's JSON on the hot paths, read straight into small typed records.

msgraph-sdk turns each response into its generated model objects, field by field through kiota's
parse nodes: ~138 ms of CPU for the ~16 KB of JSON one analysis reads (the calendar view alone
86 ms), all of it on the event loop. ``json.loads`` of the same bytes takes 0.1 ms. So the hot
calls keep the SDK's request building, auth, retry and error mapping but ask its request adapter
for the body as bytes (``send_primitive_async(info, "bytes", ...)``), and this module reads only
the fields the bot uses.

Each reader takes the decoded JSON object and never raises on a missing field: Graph omits what
``$select`` left out and what is null, so absent means empty here, as it does in the SDK models.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kiota_abstractions.request_information import RequestInformation
from msgraph import GraphServiceClient
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

__all__ = [
    "EventRecord",
    "MeetingRecord",
    "Participant",
    "Party",
    "StoredItem",
    "TranscriptRecord",
    "UserRecord",
    "get_json",
    "graph_time",
    "page_of",
    "send_json",
]

_ERRORS = {"XXX": ODataError}


async def send_json(client: GraphServiceClient, info: RequestInformation) -> dict[str, Any]:
    """Send a request the SDK built and return its JSON body as plain data ({} for no content).

    Failures raise the SDK's own ``ODataError`` (graph_call maps it), after its retry handler.
    """
    adapter = client.request_adapter
    info.path_parameters["baseurl"] = adapter.base_url.rstrip("/")
    body = await adapter.send_primitive_async(info, "bytes", _ERRORS)
    if not body:
        return {}
    data = json.loads(body)
    return data if isinstance(data, dict) else {}


async def get_json(client: GraphServiceClient, info: RequestInformation) -> dict[str, Any]:
    """``send_json`` for a GET, asking for JSON."""
    info.headers.try_add("Accept", "application/json")
    return await send_json(client, info)


def page_of(data: dict[str, Any]) -> tuple[list[dict[str, Any]], str]:
    """(the items, the next page's link or "") of a Graph collection."""
    items = data.get("value")
    return (
        [i for i in items if isinstance(i, dict)] if isinstance(items, list) else [],
        str(data.get("@odata.nextLink") or ""),
    )


def graph_time(value: Any) -> datetime | None:
    """A Graph ``dateTimeTimeZone`` ({"dateTime", "timeZone"}) or an ISO string, as an aware datetime."""
    raw = value.get("dateTime") if isinstance(value, dict) else value
    if not raw or not isinstance(raw, str):
        return None
    # Graph writes seven fractional digits ("...:00.0000000"); Python takes at most six.
    raw = re.sub(r"(\.\d{6})\d+", r"\1", raw).replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _str(data: Any, *path: str) -> str:
    for key in path:
        if not isinstance(data, dict):
            return ""
        data = data.get(key)
    return data if isinstance(data, str) else ""


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    mail: str
    user_principal_name: str

    @classmethod
    def read(cls, data: dict[str, Any]) -> UserRecord:
        return cls(_str(data, "id"), _str(data, "mail"), _str(data, "userPrincipalName"))


@dataclass(frozen=True, slots=True)
class Party:
    """A name and address from an event (``emailAddress``)."""

    name: str
    address: str

    @classmethod
    def read(cls, data: Any) -> Party:
        return cls(_str(data, "emailAddress", "name"), _str(data, "emailAddress", "address"))


@dataclass(frozen=True, slots=True)
class EventRecord:
    id: str
    subject: str
    start: datetime | None
    end: datetime | None
    is_online_meeting: bool
    is_cancelled: bool
    join_url: str
    organizer: Party
    attendees: tuple[Party, ...]

    @classmethod
    def read(cls, data: dict[str, Any]) -> EventRecord:
        attendees = data.get("attendees")
        return cls(
            id=_str(data, "id"),
            subject=_str(data, "subject"),
            start=graph_time(data.get("start")),
            end=graph_time(data.get("end")),
            is_online_meeting=data.get("isOnlineMeeting") is True,
            is_cancelled=data.get("isCancelled") is True,
            join_url=_str(data, "onlineMeeting", "joinUrl"),
            organizer=Party.read(data.get("organizer")),
            attendees=tuple(Party.read(a) for a in attendees if isinstance(a, dict))
            if isinstance(attendees, list)
            else (),
        )


@dataclass(frozen=True, slots=True)
class Participant:
    """A ``meetingParticipantInfo``: the Entra user behind it (when Graph says) and their UPN."""

    user_id: str
    display_name: str
    upn: str

    @classmethod
    def read(cls, data: Any) -> Participant:
        return cls(
            _str(data, "identity", "user", "id"),
            _str(data, "identity", "user", "displayName"),
            _str(data, "upn"),
        )


@dataclass(frozen=True, slots=True)
class MeetingRecord:
    """An ``onlineMeeting``; ``organizer`` is None when Graph sent no participants at all."""

    id: str
    subject: str
    start: datetime | None
    end: datetime | None
    join_url: str
    organizer: Participant | None
    attendees: tuple[Participant, ...]

    @classmethod
    def read(cls, data: dict[str, Any]) -> MeetingRecord:
        participants = data.get("participants")
        organizer: Participant | None = None
        attendees: tuple[Participant, ...] = ()
        if isinstance(participants, dict):
            organizer = Participant.read(participants.get("organizer"))
            listed = participants.get("attendees")
            if isinstance(listed, list):
                attendees = tuple(Participant.read(a) for a in listed if isinstance(a, dict))
        return cls(
            id=_str(data, "id"),
            subject=_str(data, "subject"),
            start=graph_time(data.get("startDateTime")),
            end=graph_time(data.get("endDateTime")),
            join_url=_str(data, "joinWebUrl"),
            organizer=organizer,
            attendees=attendees,
        )

    @property
    def participants(self) -> list[Participant]:
        return ([self.organizer] if self.organizer else []) + list(self.attendees)


@dataclass(frozen=True, slots=True)
class TranscriptRecord:
    id: str
    created: datetime | None
    meeting_id: str = ""

    @classmethod
    def read(cls, data: dict[str, Any]) -> TranscriptRecord:
        return cls(_str(data, "id"), graph_time(data.get("createdDateTime")), _str(data, "meetingId"))


@dataclass(frozen=True, slots=True)
class StoredItem:
    """A ``driveItem`` as an upload returns it."""

    id: str
    name: str
    web_url: str

    @classmethod
    def read(cls, data: dict[str, Any]) -> StoredItem:
        return cls(_str(data, "id"), _str(data, "name"), _str(data, "webUrl"))
