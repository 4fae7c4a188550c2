"""The emulator's change-notification routes: POST/GET/PATCH/DELETE /subscriptions, as Graph v1.0
answers them, with Graph's validation handshake, and a test-only route that publishes a meeting's
transcript and notifies every subscription on ``communications/onlineMeetings/getAllTranscripts``.

Handshake, as Graph does it: before it answers a POST, it POSTs ``{url}?validationToken=<token>``
(empty body, ``text/plain``) to the notification URL and the lifecycle URL, and wants 200 with the
token echoed as ``text/plain`` within 10 seconds; otherwise the subscription is refused with 400.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from graph.emulator.consent import rsc_only, without_permission
from graph.emulator.refusals import refusal_response, refused
from graph.emulator.state import STATE, EmulatorState, iso, odata_context, odata_error

__all__ = ["ALL_TRANSCRIPTS", "EmulatedSubscription", "add_subscription_routes", "notify_transcript"]

ALL_TRANSCRIPTS = "communications/onlineMeetings/getAllTranscripts"
# Teams transcript subscriptions: at most 4,230 minutes; beyond an hour a lifecycle URL is required.
MAX_LIFETIME = timedelta(minutes=4230)
NO_LIFECYCLE_LIMIT = timedelta(hours=1)
HANDSHAKE_TIMEOUT_S = 10.0
CHANGE_TYPES = frozenset({"created", "updated", "deleted"})
SUBSCRIPTIONS = web.AppKey("subscriptions", dict)


@dataclass
class EmulatedSubscription:
    id: str
    resource: str
    change_type: str
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expires: datetime
    application_id: str = "00000000-0000-0000-0000-00000000a11d"

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "resource": self.resource,
            "applicationId": self.application_id,
            "changeType": self.change_type,
            "clientState": self.client_state,
            "notificationUrl": self.notification_url,
            "lifecycleNotificationUrl": self.lifecycle_url,
            "expirationDateTime": iso(self.expires),
            "creatorId": self.application_id,
            "includeResourceData": False,
            "latestSupportedTlsVersion": "v1_2",
            "encryptionCertificate": None,
            "encryptionCertificateId": None,
            "notificationQueryOptions": None,
            "notificationUrlAppId": None,
        }


def _subscriptions(request: web.Request) -> dict[str, EmulatedSubscription]:
    return request.app[SUBSCRIPTIONS]


def _url_problem(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return None
    # Graph wants https; the emulator also takes http on loopback, where the tests' bot listens.
    if parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        return None
    return f"Invalid notification url '{url}': it must use https."


def _expiry(raw: Any, lifecycle_url: str | None) -> datetime | str:
    if not isinstance(raw, str):
        return "expirationDateTime is required."
    try:
        expires = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return f"'{raw}' is not a valid expirationDateTime."
    expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    if expires <= now:
        return "Subscription expiration can only be in the future."
    if expires - now > MAX_LIFETIME + timedelta(minutes=1):
        minutes = int(MAX_LIFETIME.total_seconds() // 60)
        return f"Subscription expiration can only be {minutes} minutes in the future."
    if expires - now > NO_LIFECYCLE_LIMIT and not lifecycle_url:
        return (
            "lifecycleNotificationUrl is required for subscription creation on this resource when the "
            "expirationDateTime value exceeds 1 hour."
        )
    return expires


async def validate_endpoint(url: str) -> str | None:
    """Graph's handshake against ``url``: None when it echoed the token, else why it failed."""
    token = "Validation: " + secrets.token_urlsafe(24)
    try:
        timeout = aiohttp.ClientTimeout(total=HANDSHAKE_TIMEOUT_S)
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            http.post(url, params={"validationToken": token}, headers={"Content-Type": "text/plain"}) as resp,
        ):
            body = await resp.text()
            if resp.status != 200:
                return f"Subscription validation request failed. Response status code {resp.status}."
            if body != token:
                return "Subscription validation request failed. Must respond with 200 OK and the token."
            if resp.content_type != "text/plain":
                return "Subscription validation request failed. The response must be text/plain."
    except (aiohttp.ClientError, TimeoutError) as err:
        name = type(err).__name__
        return f"Subscription validation request failed. Notification endpoint must respond ({name})."
    return None


async def create_subscription(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        return odata_error(400, "BadRequest", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return odata_error(400, "BadRequest", "The request body must be a subscription object.")
    change_type = str(body.get("changeType") or "")
    notification_url = str(body.get("notificationUrl") or "")
    resource = str(body.get("resource") or "")
    lifecycle_url = body.get("lifecycleNotificationUrl") or None
    if not change_type or not set(change_type.split(",")) <= CHANGE_TYPES:
        return odata_error(400, "ValidationError", f"Invalid changeType '{change_type}'.")
    if resource != ALL_TRANSCRIPTS:
        return odata_error(
            400, "ValidationError", f"Resource '{resource}' is not supported by this emulator."
        )
    if change_type != "created":
        return odata_error(
            400, "ValidationError", "Transcript subscriptions support only the 'created' changeType."
        )
    if refused(request.app[STATE], "transcripts_disabled"):  # tenant-wide: the resource is every meeting
        return refusal_response("transcripts_disabled")
    if rsc_only(request.app[STATE]):  # every meeting's transcripts: OnlineMeetingTranscript.Read.All
        return without_permission("subscriptions")
    for url in (notification_url, lifecycle_url):
        if url is not None and (problem := _url_problem(url)):
            return odata_error(400, "ValidationError", problem)
    if body.get("includeResourceData") and not body.get("encryptionCertificate"):
        return odata_error(
            400, "ValidationError", "encryptionCertificate is required when includeResourceData is true."
        )
    client_state = body.get("clientState")
    if client_state is not None and len(str(client_state)) > 128:
        return odata_error(400, "ValidationError", "clientState can be at most 128 characters.")
    expires = _expiry(body.get("expirationDateTime"), lifecycle_url)
    if isinstance(expires, str):
        return odata_error(400, "ValidationError", expires)
    for url in {notification_url, lifecycle_url} - {None}:
        if (failure := await validate_endpoint(str(url))) is not None:
            return odata_error(400, "ValidationError", failure)
    sub = EmulatedSubscription(
        id=str(uuid.uuid4()),
        resource=resource,
        change_type=change_type,
        notification_url=notification_url,
        lifecycle_url=lifecycle_url,
        client_state=None if client_state is None else str(client_state),
        expires=expires,
    )
    _subscriptions(request)[sub.id] = sub
    return web.json_response(
        {"@odata.context": odata_context(request, "subscriptions/$entity"), **sub.json()}, status=201
    )


def _subscription_or_404(request: web.Request) -> EmulatedSubscription | web.Response:
    found = _subscriptions(request).get(request.match_info["subscription_id"])
    if found is None or found.expires <= datetime.now(UTC):
        return odata_error(
            404,
            "ResourceNotFound",
            f"The object was not found: subscription '{request.match_info['subscription_id']}'.",
        )
    return found


async def get_subscription(request: web.Request) -> web.Response:
    sub = _subscription_or_404(request)
    if isinstance(sub, web.Response):
        return sub
    return web.json_response(
        {"@odata.context": odata_context(request, "subscriptions/$entity"), **sub.json()}
    )


async def update_subscription(request: web.Request) -> web.Response:
    sub = _subscription_or_404(request)
    if isinstance(sub, web.Response):
        return sub
    if refused(request.app[STATE], "transcripts_disabled"):  # renewing fails too
        return refusal_response("transcripts_disabled")
    try:
        body = await request.json()
    except ValueError:
        return odata_error(400, "BadRequest", "The request body is not valid JSON.")
    changed = set(body) - {"@odata.type"} if isinstance(body, dict) else {"?"}
    if not changed <= {"expirationDateTime", "notificationUrl"}:
        return odata_error(400, "BadRequest", "Only expirationDateTime and notificationUrl can be updated.")
    expires = _expiry(body.get("expirationDateTime"), sub.lifecycle_url)
    if isinstance(expires, str):
        return odata_error(400, "ValidationError", expires)
    url = body.get("notificationUrl")
    if url is not None and url != sub.notification_url:
        problem = _url_problem(str(url)) or await validate_endpoint(str(url))
        if problem:
            return odata_error(400, "ValidationError", problem)
        sub.notification_url = str(url)
    sub.expires = expires
    return web.json_response(
        {"@odata.context": odata_context(request, "subscriptions/$entity"), **sub.json()}
    )


async def delete_subscription(request: web.Request) -> web.Response:
    sub = _subscription_or_404(request)
    if isinstance(sub, web.Response):
        return sub
    del _subscriptions(request)[sub.id]
    return web.Response(status=204)


def transcript_notification(
    sub: EmulatedSubscription, meeting_id: str, transcript_id: str, tenant_id: str
) -> dict[str, Any]:
    """One changeNotificationCollection, as Graph posts it for a subscription without resource data."""
    path = f"communications/onlineMeetings('{meeting_id}')/transcripts('{transcript_id}')"
    return {
        "value": [
            {
                "subscriptionId": sub.id,
                "changeType": "created",
                "clientState": sub.client_state,
                "subscriptionExpirationDateTime": iso(sub.expires),
                "resource": path,
                "resourceData": {
                    "id": transcript_id,
                    "@odata.type": "#Microsoft.Graph.callTranscript",
                    "@odata.id": path,
                },
                "tenantId": tenant_id,
            }
        ]
    }


async def notify_transcript(
    state: EmulatorState, subs: dict[str, EmulatedSubscription], meeting_id: str
) -> list[dict[str, Any]]:
    """POST the notification to every live transcript subscription; [(url, status or error)]."""
    meeting = state.meeting(meeting_id)
    assert meeting is not None
    live = [s for s in subs.values() if s.resource == ALL_TRANSCRIPTS and s.expires > datetime.now(UTC)]
    results: list[dict[str, Any]] = []
    if state.outage:  # Graph lost these: only a "missed" lifecycle event will say so, later
        state.missed.update(s.id for s in live)
        return [{"subscriptionId": s.id, "missed": True} for s in live]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HANDSHAKE_TIMEOUT_S)) as http:
        for sub in live:
            body = transcript_notification(
                sub, meeting.meeting_id, meeting.transcript_id, state.seed.tenant_id
            )
            try:
                async with http.post(sub.notification_url, json=body) as resp:
                    results.append({"subscriptionId": sub.id, "status": resp.status})
            except (aiohttp.ClientError, TimeoutError) as err:
                results.append({"subscriptionId": sub.id, "error": type(err).__name__})
    return results


async def publish_transcript(request: web.Request) -> web.Response:
    """Test-only: ``{"meeting_id", "vtt"?}`` -> the meeting's transcript is available now (with
    this WebVTT when given) and every transcript subscription is notified."""
    state = request.app[STATE]
    body = await request.json()
    meeting = state.meeting(str(body.get("meeting_id") or ""))
    if meeting is None:
        return web.json_response({"error": "no such online meeting"}, status=404)
    if body.get("vtt") is not None:
        meeting.vtt = str(body["vtt"]).encode("utf-8")
    if meeting.vtt is None:
        return web.json_response({"error": "the meeting has no transcript text: pass vtt"}, status=400)
    # Visible from now on: created "now" rather than at the seed's end + delay.
    meeting.transcript_delay = min(meeting.transcript_delay, max(state.now - meeting.end, timedelta(0)))
    state.added[meeting.meeting_id] = state.now  # what a delta query reports as added since
    delivered = await notify_transcript(state, request.app[SUBSCRIPTIONS], meeting.meeting_id)
    return web.json_response(
        {"meeting_id": meeting.meeting_id, "transcript_id": meeting.transcript_id, "delivered": delivered}
    )


def missed_notification(sub: EmulatedSubscription, tenant_id: str) -> dict[str, Any]:
    """The lifecycle notification Graph sends when it could not deliver some change notifications
    (Microsoft Learn, "Reduce missing subscriptions and change notifications", webhooks-lifecycle):
    it names no item, so the client catches up with a delta query. That page lists ``missed`` for
    Outlook resources only today; the bot handles it for transcripts too, and does not rely on it."""
    return {
        "value": [
            {
                "subscriptionId": sub.id,
                "subscriptionExpirationDateTime": iso(sub.expires),
                "tenantId": tenant_id,
                "clientState": sub.client_state,
                "lifecycleEvent": "missed",
            }
        ]
    }


async def outage(request: web.Request) -> web.Response:
    """Test-only: ``{"on": true}`` -> change notifications are lost from now on (publishing still
    makes transcripts); ``{"on": false}`` -> delivery resumes and every subscription that lost one
    gets a ``missed`` lifecycle notification at its lifecycle URL (``"silent": true``: none)."""
    state = request.app[STATE]
    body = await request.json()
    if body.get("on"):
        state.outage = True
        return web.json_response({"outage": True})
    state.outage = False
    subs: dict[str, EmulatedSubscription] = request.app[SUBSCRIPTIONS]
    told: list[dict[str, Any]] = []
    if body.get("silent"):  # lost without a word, as for resources Graph sends no "missed" for
        state.missed.clear()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HANDSHAKE_TIMEOUT_S)) as http:
        for sub_id in sorted(state.missed):
            sub = subs.get(sub_id)
            if sub is None or not sub.lifecycle_url:
                continue
            try:
                body_ = missed_notification(sub, state.seed.tenant_id)
                async with http.post(sub.lifecycle_url, json=body_) as resp:
                    told.append({"subscriptionId": sub.id, "status": resp.status})
            except (aiohttp.ClientError, TimeoutError) as err:
                told.append({"subscriptionId": sub.id, "error": type(err).__name__})
    state.missed.clear()
    return web.json_response({"outage": False, "missed": told})


def add_subscription_routes(app: web.Application) -> None:
    app[SUBSCRIPTIONS] = {}
    app.router.add_post("/v1.0/subscriptions", create_subscription)
    app.router.add_get("/v1.0/subscriptions/{subscription_id}", get_subscription)
    app.router.add_patch("/v1.0/subscriptions/{subscription_id}", update_subscription)
    app.router.add_delete("/v1.0/subscriptions/{subscription_id}", delete_subscription)
    app.router.add_post("/_emulator/transcripts", publish_transcript)
    app.router.add_post("/_emulator/outage", outage)


def _entity(request: web.Request, sub: EmulatedSubscription) -> web.Response:
    return web.json_response(
        {"@odata.context": odata_context(request, "subscriptions/$entity"), **sub.json()}
    )
