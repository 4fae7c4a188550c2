"""The emulator's directory and Teams routes: users, calendarView/events, onlineMeetings by
JoinWebUrl, transcripts and their WebVTT content — as Graph v1.0 answers them, to an app with
tenant-wide permissions or with chat-scoped RSC consent only (consent.py)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from graph.emulator.consent import rsc_only, rsc_refusal, without_permission
from graph.emulator.recordings import recording_json
from graph.emulator.refusals import refusal_response, refused
from graph.emulator.seed import SeedMeeting, SeedUser
from graph.emulator.state import STATE, EmulatorState, base_url, iso, odata_context, odata_error

__all__ = ["add_meeting_routes", "policy_or_403", "transcript_json", "user_or_404"]

PAGE_SIZE = 10  # Graph's default page size for calendarView and events


def _event_time(moment: datetime) -> dict[str, str]:
    # Graph's own layout for event times without a Prefer: outlook.timezone header.
    return {"dateTime": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def user_or_404(request: web.Request) -> SeedUser | web.Response:
    key = request.match_info["user_id"]
    user = request.app[STATE].seed.user(key)
    if user is None:
        return odata_error(
            404,
            "Request_ResourceNotFound",
            f"Resource '{key}' does not exist or one of its queried "
            "reference-property objects are not present.",
        )
    return user


def policy_or_403(state: EmulatorState, user: SeedUser) -> web.Response | None:
    if refused(state, "no_policy", user_id=user.id):
        return refusal_response("no_policy")
    if user.policy_granted:
        return None
    return odata_error(
        403,
        "Forbidden",
        f"Application is not allowed to perform operations on the user '{user.id}', "
        "neither is allowed access through RSC permission evaluation.",
    )


async def get_user(request: web.Request) -> web.Response:
    if rsc_only(request.app[STATE]):  # reading users needs User.Read.All
        return without_permission("directory")
    user = user_or_404(request)
    if isinstance(user, web.Response):
        return user
    given, _, surname = user.name.partition(" ")
    return web.json_response(
        {
            "@odata.context": odata_context(request, "users/$entity"),
            "id": user.id,
            "displayName": user.name,
            "givenName": given,
            "surname": surname,
            "mail": user.mail,
            "userPrincipalName": user.mail,
            "jobTitle": user.job_title or None,
            "businessPhones": [],
        }
    )


def _event_json(meeting: SeedMeeting, tenant_id: str) -> dict[str, Any]:
    def person(name: str, mail: str) -> dict[str, Any]:
        return {"name": name, "address": mail}

    event: dict[str, Any] = {
        "id": "AAMk" + meeting.meeting_id[:24] + meeting.key.replace("-", ""),
        "subject": meeting.subject,
        "start": _event_time(meeting.start),
        "end": _event_time(meeting.end),
        "isCancelled": False,
        "isOnlineMeeting": meeting.online,
        "onlineMeetingProvider": "teamsForBusiness" if meeting.online else "unknown",
        "organizer": {"emailAddress": person(meeting.organizer.name, meeting.organizer.mail)},
        "attendees": [
            {
                "type": "required",
                "status": {"response": "accepted", "time": iso(meeting.start - timedelta(days=2))},
                "emailAddress": person(p.name, p.mail),
            }
            for p in meeting.attendees
        ],
    }
    if meeting.online:  # the spec has no null here, so an offline event leaves it out
        event["onlineMeeting"] = {"joinUrl": meeting.join_url(tenant_id)}
    return event


def _select(item: dict[str, Any], select: str | None) -> dict[str, Any]:
    if not select:
        return item
    wanted = {s.strip() for s in select.split(",") if s.strip()} | {"id"}
    return {k: v for k, v in item.items() if k in wanted}


def _parse_when(raw: str | None, name: str) -> datetime | web.Response:
    if not raw:
        return odata_error(
            400,
            "ErrorInvalidParameter",
            f"This request requires a time window specified "
            f"by the query string parameters StartDateTime and EndDateTime. ({name})",
        )
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return odata_error(400, "ErrorInvalidParameter", f"'{raw}' is not a valid {name}.")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _page(request: web.Request, items: list[dict[str, Any]], fragment: str) -> web.Response:
    q = request.query
    try:
        top = int(q.get("$top", PAGE_SIZE))
        skip = int(q.get("$skip", 0))
    except ValueError:
        return odata_error(400, "BadRequest", "Invalid $top or $skip value.")
    body: dict[str, Any] = {
        "@odata.context": odata_context(request, fragment),
        "value": items[skip : skip + top],
    }
    if skip + top < len(items):
        query = dict(q)
        query["$skip"] = str(skip + top)
        body["@odata.nextLink"] = str(request.url.with_query(query))
    return web.json_response(body)


async def list_events(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if rsc_only(state):  # calendars need Calendars.Read
        return without_permission("calendar")
    user = user_or_404(request)
    if isinstance(user, web.Response):
        return user
    mine = [m for m in state.seed.meetings if user.id in m.calendars]
    calendar_view = request.path.endswith("/calendarView")
    if calendar_view:
        start = _parse_when(request.query.get("startDateTime"), "startDateTime")
        if isinstance(start, web.Response):
            return start
        end = _parse_when(request.query.get("endDateTime"), "endDateTime")
        if isinstance(end, web.Response):
            return end
        mine = [m for m in mine if m.start < end and m.end > start]
    order = request.query.get("$orderby", "start/dateTime").strip().lower()
    if order not in ("start/datetime", "start/datetime asc", "start/datetime desc"):
        return odata_error(400, "BadRequest", f"Unsupported $orderby '{order}' in this emulator.")
    mine.sort(key=lambda m: m.start, reverse=order.endswith("desc"))
    items = [_select(_event_json(m, state.seed.tenant_id), request.query.get("$select")) for m in mine]
    name = "calendarView" if calendar_view else "events"
    return _page(request, items, f"users('{user.id}')/{name}")


def _identity(user_id: str, name: str) -> dict[str, Any]:
    return {"user": {"id": user_id or None, "displayName": name}}


def _meeting_json(state: EmulatorState, meeting: SeedMeeting) -> dict[str, Any]:
    tenant = state.seed.tenant_id

    def info(name: str, mail: str, role: str) -> dict[str, Any]:
        member = state.seed.user(mail)
        return {
            "identity": _identity(member.id if member else "", name),
            "upn": mail,
            "role": role,
        }

    return {
        "id": meeting.meeting_id,
        "subject": meeting.subject,
        "creationDateTime": iso(meeting.start - timedelta(days=3)),
        "startDateTime": iso(meeting.start),
        "endDateTime": iso(meeting.end),
        "joinWebUrl": meeting.join_url(tenant),
        "chatInfo": {"threadId": meeting.thread, "messageId": "0", "replyChainMessageId": None},
        "participants": {
            "organizer": info(meeting.organizer.name, meeting.organizer.mail, "presenter"),
            "attendees": [info(p.name, p.mail, "attendee") for p in meeting.attendees],
        },
    }


_FILTER = re.compile(r"^\s*joinweburl\s+eq\s+'((?:[^']|'')*)'\s*$", re.IGNORECASE)


async def list_online_meetings(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if rsc_only(state):  # looking meetings up by join link needs OnlineMeetings.Read.All
        return without_permission("meetings")
    user = user_or_404(request)
    if isinstance(user, web.Response):
        return user
    if (denied := policy_or_403(state, user)) is not None:
        return denied
    match = _FILTER.match(request.query.get("$filter", ""))
    if match is None:
        return odata_error(400, "BadRequest", "Filter is required: $filter=JoinWebUrl eq '<join url>'.")
    url = match.group(1).replace("''", "'")
    found = [
        _meeting_json(state, m)
        for m in state.seed.meetings
        if m.online
        and m.join_url(state.seed.tenant_id) == url
        and (m.organizer_id == user.id if state.organizer_lookup_only else state.takes_part(user, m))
    ]
    return web.json_response(
        {"@odata.context": odata_context(request, f"users('{user.id}')/onlineMeetings"), "value": found}
    )


Found = tuple[SeedUser, SeedMeeting] | web.Response


def _meeting_for(request: web.Request, *, organizer_only: bool) -> Found:
    state = request.app[STATE]
    user = user_or_404(request)
    if isinstance(user, web.Response):
        return user
    meeting = state.meeting(request.match_info["meeting_id"])
    if rsc_only(state):
        # Chat consent replaces the access policy, for the meetings whose chat has the app only.
        if meeting is None or meeting.organizer_id != user.id or meeting.thread not in state.rsc_chats:
            return rsc_refusal(user.id)
        return user, meeting
    if (denied := policy_or_403(state, user)) is not None:
        return denied
    if meeting is not None and refused(state, "no_policy_or_rsc", meeting_id=meeting.meeting_id):
        return refusal_response("no_policy_or_rsc", user.id)
    allowed = meeting is not None and (
        meeting.organizer_id == user.id if organizer_only else state.takes_part(user, meeting)
    )
    if meeting is None or not allowed:
        return odata_error(404, "NotFound", "The requested online meeting was not found.")
    return user, meeting


async def get_online_meeting(request: web.Request) -> web.Response:
    if rsc_only(request.app[STATE]):  # the meeting's own properties need OnlineMeetings.Read.All
        return without_permission("meetings")
    found = _meeting_for(request, organizer_only=False)
    if isinstance(found, web.Response):
        return found
    user, meeting = found
    body = {
        "@odata.context": odata_context(request, f"users('{user.id}')/onlineMeetings/$entity"),
        **_meeting_json(request.app[STATE], meeting),
    }
    return web.json_response(body)


def transcript_json(request: web.Request, meeting: SeedMeeting, tenant_id: str) -> dict[str, Any]:
    created = request.app[STATE].transcript_created(meeting)
    return {
        "id": meeting.transcript_id,
        "meetingId": meeting.meeting_id,
        "callId": str(uuid.uuid5(uuid.NAMESPACE_URL, meeting.key)),
        "contentCorrelationId": str(uuid.uuid5(uuid.NAMESPACE_DNS, meeting.key)),
        "createdDateTime": iso(created),
        "endDateTime": iso(meeting.end),
        "transcriptContentUrl": f"{base_url(request)}/users/{meeting.organizer_id}/onlineMeetings/"
        f"{meeting.meeting_id}/transcripts/{meeting.transcript_id}/content",
        "meetingOrganizer": {"user": {"id": meeting.organizer_id, "displayName": None}},
    }


async def list_transcripts(request: web.Request) -> web.Response:
    state = request.app[STATE]
    found = _meeting_for(request, organizer_only=True)
    if isinstance(found, web.Response):
        return found
    user, meeting = found
    if refused(state, "transcripts_disabled", user_id=user.id, meeting_id=meeting.meeting_id):
        return refusal_response("transcripts_disabled")
    visible = state.transcript_visible(meeting)
    items = [transcript_json(request, meeting, state.seed.tenant_id)] if visible else []
    fragment = f"users('{user.id}')/onlineMeetings('{meeting.meeting_id}')/transcripts"
    return web.json_response({"@odata.context": odata_context(request, fragment), "value": items})


async def list_recordings(request: web.Request) -> web.Response:
    """The meeting's recordings: one per seeded meeting with a transcript, shown with the transcript."""
    state = request.app[STATE]
    found = _meeting_for(request, organizer_only=True)
    if isinstance(found, web.Response):
        return found
    user, meeting = found
    items = [recording_json(base_url(request), meeting)] if state.transcript_visible(meeting) else []
    fragment = f"users('{user.id}')/onlineMeetings('{meeting.meeting_id}')/recordings"
    return web.json_response({"@odata.context": odata_context(request, fragment), "value": items})


def _transcript_for(request: web.Request) -> SeedMeeting | web.Response:
    state = request.app[STATE]
    found = _meeting_for(request, organizer_only=True)
    if isinstance(found, web.Response):
        return found
    user, meeting = found
    if refused(state, "transcripts_disabled", user_id=user.id, meeting_id=meeting.meeting_id):
        return refusal_response("transcripts_disabled")
    if request.match_info["transcript_id"] != meeting.transcript_id or not state.transcript_visible(meeting):
        return odata_error(404, "NotFound", "The requested transcript was not found.")
    return meeting


async def get_transcript(request: web.Request) -> web.Response:
    meeting = _transcript_for(request)
    if isinstance(meeting, web.Response):
        return meeting
    body = transcript_json(request, meeting, request.app[STATE].seed.tenant_id)
    fragment = f"users('{meeting.organizer_id}')/onlineMeetings('{meeting.meeting_id}')/transcripts/$entity"
    return web.json_response({"@odata.context": odata_context(request, fragment), **body})


async def get_transcript_content(request: web.Request) -> web.Response:
    meeting = _transcript_for(request)
    if isinstance(meeting, web.Response):
        return meeting
    fmt = request.query.get("$format", "text/vtt")
    if fmt != "text/vtt":
        message = f"Transcript format '{fmt}' is not supported; use $format=text/vtt."
        return odata_error(400, "BadRequest", message)
    state, where = request.app[STATE], {"user_id": meeting.organizer_id, "meeting_id": meeting.meeting_id}
    # Content is the metered call, and the one that carries speaker names.
    for kind in ("billing_not_set_up", "attribution_not_allowed"):
        if refused(state, kind, **where):
            return refusal_response(kind)
    assert meeting.vtt is not None  # transcript_visible checked it
    return web.Response(body=meeting.vtt, content_type="text/vtt", charset="utf-8")


def add_meeting_routes(app: web.Application) -> None:
    users = "/v1.0/users/{user_id}"
    meeting = users + "/onlineMeetings/{meeting_id}"
    app.router.add_get(users, get_user)
    app.router.add_get(users + "/calendarView", list_events)
    app.router.add_get(users + "/events", list_events)
    app.router.add_get(users + "/onlineMeetings", list_online_meetings)
    app.router.add_get(meeting, get_online_meeting)
    app.router.add_get(meeting + "/transcripts", list_transcripts)
    app.router.add_get(meeting + "/recordings", list_recordings)
    app.router.add_get(meeting + "/transcripts/{transcript_id}", get_transcript)
    app.router.add_get(meeting + "/transcripts/{transcript_id}/content", get_transcript_content)
