"""What the calling app was granted, as Graph decides it: tenant-wide application permissions, or
only resource-specific consent (RSC) in the chats the app is installed in.

``tenant`` (the default) is an app with the tenant-wide application permissions the deploy README
lists (Calendars.Read, OnlineMeetings.Read.All, OnlineMeetingTranscript.Read.All, User.Read.All)
plus a Teams application access policy per organizer (``SeedUser.policy_granted``).

``rsc`` is an app with none of those: only ``OnlineMeetingTranscript.Read.Chat`` and
``OnlineMeeting.ReadBasic.Chat``, granted in each chat where a member installed the app. Graph then
serves the transcripts of a meeting, under ``/users/{organizer}/onlineMeetings/{id}/transcripts``,
only when that meeting's chat has the app (no access policy needed), and answers 403 with the
"neither is allowed access through RSC permission evaluation" message otherwise. Everything the
tenant-wide permissions cover (users, calendars, online meetings, the tenant-wide transcript
subscription) is refused with the error Graph gives an app that lacks the permission.

Test-only routes: ``POST /_emulator/consent {"mode": "tenant"|"rsc"}`` and
``POST /_emulator/installations {"chat_id": "19:meeting_...@thread.v2", "installed": true|false}``
(Teams installing or removing the app in a chat); ``GET`` of either shows what is set. Reset goes
back to ``tenant`` with no installation.
"""

from __future__ import annotations

from aiohttp import web

from graph.emulator.state import STATE, EmulatorState, odata_error

__all__ = ["MODES", "add_consent_routes", "rsc_only", "rsc_refusal", "without_permission"]

MODES = frozenset({"tenant", "rsc"})


def rsc_only(state: EmulatorState) -> bool:
    return state.consent == "rsc"


def rsc_refusal(user_id: str) -> web.Response:
    """Graph's 403 for a meeting neither a policy nor chat consent covers (Microsoft Q&A 2238989)."""
    return odata_error(
        403,
        "Forbidden",
        f"Application is not allowed to perform operations on the user '{user_id}', "
        "neither is allowed access through RSC permission evaluation.",
    )


def without_permission(area: str) -> web.Response:
    """The 403 Graph gives an app token that lacks the tenant-wide permission for ``area``.

    Each workload words it its own way: the directory (users), Exchange (calendars) and Teams
    (online meetings, the transcript subscription), which names the roles it wanted."""
    if area == "directory":
        return odata_error(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )
    if area == "calendar":
        return odata_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
    wanted = _TEAMS_ROLES[area]
    return odata_error(
        403,
        "Forbidden",
        f"Missing role permissions on the request. API requires one of '{wanted}'. Roles on the request ''.",
    )


_TEAMS_ROLES = {
    "meetings": "OnlineMeetings.Read.All, OnlineMeetings.ReadWrite.All",
    "subscriptions": "OnlineMeetingTranscript.Read.All",
}


async def set_consent(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await _json(request)
    if isinstance(body, web.Response):
        return body
    mode = str(body.get("mode") or "")
    if mode not in MODES:
        return web.json_response({"error": f"mode must be one of {sorted(MODES)}"}, status=400)
    state.consent = mode
    return await get_consent(request)


async def get_consent(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return web.json_response({"mode": state.consent, "installed_in": sorted(state.rsc_chats)})


async def set_installation(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await _json(request)
    if isinstance(body, web.Response):
        return body
    chat = str(body.get("chat_id") or "")
    if not chat.startswith("19:"):
        return web.json_response({"error": "chat_id must be a Teams chat id (19:...)"}, status=400)
    if body.get("installed", True):
        state.rsc_chats.add(chat)
    else:
        state.rsc_chats.discard(chat)
    return await get_consent(request)


async def _json(request: web.Request) -> dict[str, object] | web.Response:
    try:
        body = await request.json()
    except ValueError:
        return web.json_response({"error": "the body is not JSON"}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"error": "the body must be an object"}, status=400)
    return body


def add_consent_routes(app: web.Application) -> None:
    app.router.add_post("/_emulator/consent", set_consent)
    app.router.add_get("/_emulator/consent", get_consent)
    app.router.add_post("/_emulator/installations", set_installation)
    app.router.add_get("/_emulator/installations", get_consent)
