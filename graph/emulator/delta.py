"""The transcripts delta query, as Graph v1.0 answers it (Microsoft Learn, "callTranscript: delta"):

    GET /users/{id}/onlineMeetings/getAllTranscripts(meetingOrganizerUserId='{id}'[,startDateTime=...])/delta

The first call of a round is a full synchronisation: every transcript of the organizer's meetings
(from ``startDateTime`` when given). Pages end in ``@odata.nextLink`` (a ``$skiptoken``); the last
page of a round ends in ``@odata.deltaLink`` (a ``$deltatoken``), which the client keeps and calls
at the next round to get only the transcripts created since. Both tokens are opaque to the client;
here they carry the organizer, the time the round's snapshot was taken and the position in it. The
function's return type and the delta function on it are in tests/specs/graph-v1.0-csdl-subset.xml
(getAllTranscripts is composable); the page shape is the delta response in the OpenAPI subset.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from graph.emulator.consent import rsc_only, without_permission
from graph.emulator.meetings import policy_or_403, transcript_json, user_or_404
from graph.emulator.refusals import refusal_response, refused
from graph.emulator.state import STATE, base_url, odata_context, odata_error

__all__ = ["add_delta_routes"]

PAGE_SIZE = 10
FUNCTION = re.compile(r"^getAllTranscripts\((?P<args>[^)]*)\)$")
_ARG = re.compile(r"^\s*(\w+)\s*=\s*(?:'([^']*)'|([^,]*?))\s*$")


def _args(raw: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in (p for p in raw.split(",") if p.strip()):
        match = _ARG.match(part)
        if match:
            found[match[1]] = match[2] if match[2] is not None else match[3]
    return found


def _token(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _untoken(raw: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _when(raw: str | None) -> datetime | None:
    if not raw:
        return None
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def transcripts_delta(request: web.Request) -> web.Response:
    state = request.app[STATE]
    if rsc_only(state):  # the delta needs OnlineMeetingTranscript.Read.All, which chat consent is not
        return without_permission("meetings")
    function = FUNCTION.match(unquote(request.match_info["function"]))
    args = _args(function["args"]) if function else {}
    organizer_id = args.get("meetingOrganizerUserId", "")
    if not organizer_id:
        # Learn: "If you don't pass the function parameter meetingOrganizerUserId, the request fails."
        return odata_error(400, "BadRequest", "The parameter meetingOrganizerUserId is required.")
    user = user_or_404(request)
    if isinstance(user, web.Response):
        return user
    organizer = state.seed.user(organizer_id)
    if organizer is None:
        return odata_error(404, "NotFound", f"The user '{organizer_id}' was not found.")
    denied = policy_or_403(state, organizer)
    if denied is not None:
        return denied
    if refused(state, "transcripts_disabled", user_id=organizer.id):
        return refusal_response("transcripts_disabled")
    try:
        start, end = _when(args.get("startDateTime")), _when(args.get("endDateTime"))
    except ValueError:
        return odata_error(400, "BadRequest", "startDateTime and endDateTime must be ISO 8601 date-times.")

    skip, delta = request.query.get("$skiptoken"), request.query.get("$deltatoken")
    if skip or delta:
        round_ = _untoken(skip or delta or "")
        if round_ is None or round_.get("o") != organizer.id:
            return odata_error(400, "BadRequest", "The delta token is not valid for this request.")
        since = _when(round_.get("since"))
        snapshot = _when(round_.get("until")) if skip else state.now
        offset = int(round_.get("at", 0)) if skip else 0
        top = int(round_.get("top", PAGE_SIZE))
        start, end = _when(round_.get("start")), _when(round_.get("end"))
    else:  # a new round: full synchronisation
        since, snapshot, offset = None, state.now, 0
        top = int(request.query.get("$top", PAGE_SIZE) or PAGE_SIZE)
    assert snapshot is not None

    created = state.transcript_created

    found = sorted(
        (
            m
            for m in state.seed.meetings
            if m.online
            and m.organizer_id == organizer.id
            and m.vtt is not None
            and created(m) <= snapshot
            and (since is None or created(m) > since)
            and (start is None or created(m) >= start)
            and (end is None or created(m) < end)
        ),
        key=created,
    )
    page = found[offset : offset + top]
    fixed = {"o": organizer.id, "top": top}
    fixed |= {k: v.isoformat() for k, v in (("start", start), ("end", end)) if v is not None}
    link = f"{base_url(request)}{request.path.removeprefix('/v1.0')}"
    body: dict[str, Any] = {
        "@odata.context": odata_context(request, "Collection(microsoft.graph.callTranscript)"),
        "value": [transcript_json(request, m, state.seed.tenant_id) for m in page],
    }
    if offset + top < len(found):
        since_text = since.isoformat() if since else None
        token = _token(fixed | {"since": since_text, "until": snapshot.isoformat(), "at": offset + top})
        body["@odata.nextLink"] = f"{link}?$skiptoken={token}"
    else:
        body["@odata.deltaLink"] = f"{link}?$deltatoken={_token(fixed | {'since': snapshot.isoformat()})}"
    return web.json_response(body)


def add_delta_routes(app: web.Application) -> None:
    app.router.add_get(
        "/v1.0/users/{user_id}/onlineMeetings/{function:getAllTranscripts[^/]*}/delta", transcripts_delta
    )
