"""Who may speak for a user: the checks on every /api/messages request after the SDK's own.

The Agents SDK's JWT middleware proves a token was signed by a key from the issuer's OpenID
metadata, names the bot's app id as its audience and has not expired (with a 5-minute leeway).
It accepts any Entra issuer for that audience, though, and trusts the activity's ``serviceUrl``
and tenant, which the token does not bind. So an Entra token for the bot's app id from any
tenant could speak for any user and send the answer wherever it liked. Here, before the turn:

- the issuer must be one of the channel's (Bot Framework: ``https://api.botframework.com``,
  another cloud's with ``MCEM_BOT_TOKEN_ISSUERS``);
- a token another app obtained for the bot (agent-to-agent, skills) and agentic activities
  are refused: the bot serves only Teams users through the channel;
- the token must carry an expiry, checked here too with a leeway of at most 5 minutes
  (``LEEWAY``), so a looser SDK default could not widen it;
- the tenant is bound: the token's ``tid`` (where present), ``conversation.tenantId`` and
  ``channelData.tenant.id`` must agree; the allow-list is then checked on that tenant
  (bot/handlers.py, which answers "not enabled for your organisation");
- ``serviceUrl`` (where every reply goes) must be https on one of the channel's hosts
  (``MCEM_CHANNEL_HOSTS``) and on the host the token names in its ``serviceurl`` claim. In
  anonymous local mode, with no token, it must be a loopback address instead.

``refusal`` is pure and is used twice: by the middleware, and again before a personal chat's
reference is stored or used (bot/proactive.py), so nothing unverified is ever written there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import ClaimsIdentity

from bot.settings import BotSettings
from mcem.loopback import is_loopback_host

__all__ = [
    "BOT_FRAMEWORK_ISSUER",
    "LEEWAY_SECONDS",
    "TEAMS_SERVICE_HOST",
    "ChannelPolicy",
    "policy_of",
    "refusal",
    "service_url_refusal",
    "verify_request",
]

log = logging.getLogger(__name__)

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
TEAMS_SERVICE_HOST = "smba.trafficmanager.net"  # Teams' Bot Connector, public cloud
# The industry-standard clock skew the Bot Framework documents; the SDK uses the same.
LEEWAY_SECONDS = 300
# Recipient roles of an activity addressed to an agentic identity, which this bot does not have.
_AGENTIC_ROLES = frozenset({"agenticappinstance", "agenticuser"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class ChannelPolicy:
    """What a request must show. ``anonymous``: local mode, no token, loopback service URLs only."""

    anonymous: bool
    app_id: str = ""
    issuers: frozenset[str] = frozenset({BOT_FRAMEWORK_ISSUER})
    service_hosts: frozenset[str] = frozenset({TEAMS_SERVICE_HOST})


def policy_of(settings: BotSettings) -> ChannelPolicy:
    return ChannelPolicy(
        anonymous=settings.anonymous,
        app_id=settings.client_id,
        issuers=settings.token_issuers,
        service_hosts=settings.channel_hosts,
    )


def refusal(
    activity: Activity, claims: Mapping[str, Any], policy: ChannelPolicy, *, now: float | None = None
) -> str | None:
    """Why this activity, sent with these verified token claims, is not accepted; None when it is.

    The reason is for the log: it names the rule, never a claim's or the body's content.
    """
    if activity.recipient is not None and (activity.recipient.role or "").lower() in _AGENTIC_ROLES:
        return "agentic activity (the bot has no agentic identity)"
    if policy.anonymous:
        if claims:
            return "a token in anonymous local mode"
        return service_url_refusal(activity.service_url, policy)
    problem = _token_refusal(claims, policy, time.time() if now is None else now)
    if problem:
        return problem
    tenants = {t for t in (_claim(claims, "tid"), *_activity_tenants(activity)) if t}
    if len(tenants) > 1:
        return "the tenant of the token and of the activity differ"
    problem = service_url_refusal(activity.service_url, policy)
    if problem:
        return problem
    bound = _claim(claims, "serviceurl")
    if not bound:
        return "the token names no serviceUrl"
    if _origin(bound) != _origin(activity.service_url or ""):
        return "serviceUrl is not the one the token names"
    return None


def service_url_refusal(url: str | None, policy: ChannelPolicy) -> str | None:
    """Why the bot must not send to ``url`` (a reply, a proactive card); None when it may."""
    try:
        parts = urlsplit(url or "")
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "serviceUrl is not a URL"
    if not host or parts.username or parts.password:
        return "serviceUrl is not a plain URL"
    if policy.anonymous:
        if parts.scheme not in ("http", "https") or not is_loopback_host(host):
            return "serviceUrl is not on this machine (anonymous local mode)"
        return None
    if parts.scheme != "https":
        return "serviceUrl is not https"
    if not any(host == known or host.endswith("." + known) for known in policy.service_hosts):
        return "serviceUrl is not a host of the channel (MCEM_CHANNEL_HOSTS)"
    return None


async def verify_request(request: web.Request, handler: Handler, policy: ChannelPolicy) -> web.StreamResponse:
    """Runs after the SDK's JWT middleware, which left the verified claims on the request."""
    try:
        activity = Activity.model_validate(await request.json())
    except Exception:  # not an activity: the SDK answers that with its own 400
        return await handler(request)
    identity = request.get("claims_identity")
    claims = identity.claims if isinstance(identity, ClaimsIdentity) else {}
    problem = refusal(activity, claims, policy)
    if problem:
        # The rule only: the body and the token are the caller's and may be anything.
        log.warning("refused a %s activity: %s", _safe(activity.type), problem)
        return web.json_response({"error": "This request is not accepted from this caller."}, status=401)
    return await handler(request)


def _token_refusal(claims: Mapping[str, Any], policy: ChannelPolicy, now: float) -> str | None:
    if not claims:
        return "no verified token"
    # Entra's v1 issuers end in "/", the channel's do not: compare without it.
    issuer = _claim(claims, "iss").rstrip("/")
    if issuer not in {i.lower().rstrip("/") for i in policy.issuers}:
        return "the token's issuer is not the channel's"
    if policy.app_id and _claim(claims, "aud") != policy.app_id.lower():
        return "the token is for another app"
    if ClaimsIdentity(dict(claims)).is_agent_claim():
        return "a token another app obtained for the bot (agent-to-agent)"
    expiry = claims.get("exp")
    if not isinstance(expiry, int | float) or isinstance(expiry, bool) or now > expiry + LEEWAY_SECONDS:
        return "the token has expired or carries no expiry"
    not_before = claims.get("nbf")
    if isinstance(not_before, int | float) and now < not_before - LEEWAY_SECONDS:
        return "the token is not valid yet"
    return None


def channel_data_of(activity: Activity) -> dict[str, Any]:
    """The activity's Teams channel data in its wire shape. In rsc mode hosting-msteams' before-turn
    hook (bot/meeting_chats.py) swaps the dict for its parsed ChannelData model; every reader here
    wants the JSON as Teams sent it, whichever it got."""
    data = activity.channel_data
    if isinstance(data, dict):
        return data
    dump = getattr(data, "model_dump", None)
    dumped = dump(mode="json", by_alias=True, exclude_none=True) if callable(dump) else None
    return dumped if isinstance(dumped, dict) else {}


def _activity_tenants(activity: Activity) -> tuple[str, str]:
    conversation = str(activity.conversation.tenant_id or "") if activity.conversation else ""
    data = channel_data_of(activity)
    tenant = data.get("tenant") if isinstance(data.get("tenant"), dict) else {}
    return conversation.lower(), str(tenant.get("id") or "").lower()


def _claim(claims: Mapping[str, Any], name: str) -> str:
    value = claims.get(name)
    return value.strip().lower() if isinstance(value, str) else ""


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "", "", None


def _safe(text: object) -> str:
    """An activity type for the log: short, one line, whatever the caller sent."""
    return "".join(c for c in str(text or "?")[:40] if c.isprintable())
