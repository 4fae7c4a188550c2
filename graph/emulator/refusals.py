"""Tenant refusals the emulator can play, with Graph's status codes and error bodies
(graph/refusals.py says how a real tenant answers each), switched on by a test-only route.

``POST /_emulator/refusals`` with ``{"refusal": KIND, "user": ID or mail}`` (that organizer),
``{"refusal": KIND, "meeting_id": ID}`` (that meeting) or just ``{"refusal": KIND}`` (the whole
tenant); ``"on": false`` switches it off again; ``{"clear": true}`` switches everything off; reset
does too. ``GET /_emulator/refusals`` lists what is on.

Where each one bites, as in Graph:
- ``transcripts_disabled``: transcript lists, metadata and content; creating or renewing a transcript
  subscription (tenant-wide only).
- ``attribution_not_allowed``: transcript content as text/vtt.
- ``no_policy``: every /users/{id}/onlineMeetings call for that organizer.
- ``no_policy_or_rsc``: the meeting and its transcripts.
- ``billing_not_set_up``: transcript content (the metered call).
"""

from __future__ import annotations

from aiohttp import web

from graph.emulator.state import STATE, EmulatorState, odata_error

__all__ = ["KINDS", "add_refusal_routes", "refusal_response", "refused"]

KINDS = frozenset(
    {"transcripts_disabled", "attribution_not_allowed", "no_policy", "no_policy_or_rsc", "billing_not_set_up"}
)
TENANT = "*"


def refused(state: EmulatorState, kind: str, *, user_id: str = "", meeting_id: str = "") -> bool:
    scopes = state.refusals.get(kind, set())
    return TENANT in scopes or f"user:{user_id}" in scopes or f"meeting:{meeting_id}" in scopes


def refusal_response(kind: str, user_id: str = "") -> web.Response:
    """Graph's answer for one refusal: its status, ``error.code``, message and ``innerError.code``."""
    if kind == "transcripts_disabled":
        return odata_error(
            403,
            "Forbidden",
            "Graph API access to transcripts is disabled for this tenant.",
            inner_code="GraphAccessToTranscriptsDisabled",
        )
    if kind == "attribution_not_allowed":
        return odata_error(
            403,
            "Forbidden",
            "Speaker attribution is not allowed for transcripts in this tenant.",
            inner_code="SpeakerAttributionNotAllowed",
        )
    if kind == "no_policy":
        return odata_error(403, "Forbidden", "No application access policy found for this app.")
    if kind == "no_policy_or_rsc":
        return odata_error(
            403,
            "Forbidden",
            f"Application is not allowed to perform operations on the user '{user_id}', "
            "neither is allowed access through RSC permission evaluation.",
        )
    if kind == "billing_not_set_up":
        return odata_error(
            402,
            "PaymentRequired",
            "The payment requirements for the API haven't been met: no Azure subscription is "
            "associated with the calling application for this metered API.",
        )
    raise ValueError(f"unknown refusal {kind!r}")


async def set_refusal(request: web.Request) -> web.Response:
    state = request.app[STATE]
    try:
        body = await request.json()
    except ValueError:
        return web.json_response({"error": "the body is not JSON"}, status=400)
    if not isinstance(body, dict):
        return web.json_response({"error": "the body must be an object"}, status=400)
    if body.get("clear"):
        state.refusals.clear()
        return await list_refusals(request)
    kind = str(body.get("refusal") or "")
    if kind not in KINDS:
        return web.json_response({"error": f"refusal must be one of {sorted(KINDS)}"}, status=400)
    if body.get("user"):
        user = state.seed.user(str(body["user"]))
        if user is None:
            return web.json_response({"error": "no such user"}, status=404)
        scope = f"user:{user.id}"
    elif body.get("meeting_id"):
        if state.meeting(str(body["meeting_id"])) is None:
            return web.json_response({"error": "no such online meeting"}, status=404)
        scope = f"meeting:{body['meeting_id']}"
    else:
        scope = TENANT
    scopes = state.refusals.setdefault(kind, set())
    if body.get("on", True):
        scopes.add(scope)
    else:
        scopes.discard(scope)
    return await list_refusals(request)


async def list_refusals(request: web.Request) -> web.Response:
    refusals = request.app[STATE].refusals
    return web.json_response({"refusals": {k: sorted(v) for k, v in sorted(refusals.items()) if v}})


def add_refusal_routes(app: web.Application) -> None:
    app.router.add_post("/_emulator/refusals", set_refusal)
    app.router.add_get("/_emulator/refusals", list_refusals)
