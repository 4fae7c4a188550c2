"""Only the channel may speak for a user: tokens really signed, verified by the SDK's own middleware.

The app is ``create_app`` with a bot app id, so every request passes the Agents SDK's
``jwt_authorization_middleware``, which fetches the signing keys over HTTPS from the sign-in
stand-in (tests/security/entra.py), then bot/auth.py's checks. Each attack is a token the SDK
alone accepts (a correctly signed one for the bot's app id) paired with an activity that tries
to speak for someone or send the answer somewhere: it must get 401, reach nobody, start nothing
and leave the stored personal chat as it was.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import ADAPTER, STATE
from bot.settings import settings_from_env
from bot.state import PersonalChat
from mcem.errors import ConfigError
from tests.fixtures.bot.fakes import FakeMeetings
from tests.security.entra import BOT_FRAMEWORK_HOST, ENTRA_HOST, SignIn, SigningKey
from tests.support.bot import start_bot

APP_ID = "9d4c1a52-6f0e-4a8e-9a51-3c1f0b2d7e11"
HOME = "3f1b5c2e-8d47-4a6b-9e21-7c0d4f6a8b93"  # the account team's tenant (allowed)
OTHER = "a7e2d9c4-1b38-4f5e-8c6d-2e9f0a1b3c57"  # an attacker's tenant (not allowed)
TEAMS = "https://smba.trafficmanager.net/emea/"
VICTIM = "6a1f3e2d-4b5c-4d7e-8f90-a1b2c3d4e5f6"
BOT = {"id": f"28:{APP_ID}", "name": "MCEM"}


@pytest.fixture(scope="module")
def signin() -> Iterator[SignIn]:
    stand_in = SignIn()
    stand_in.start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def via_signin(signin: SignIn, monkeypatch: pytest.MonkeyPatch) -> Iterator[SignIn]:
    """HTTPS to Microsoft's sign-in hosts goes to the stand-in; everything else stays direct."""
    monkeypatch.setenv("HTTPS_PROXY", signin.proxy_url)
    monkeypatch.setenv("https_proxy", signin.proxy_url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("SSL_CERT_FILE", str(signin.ca_file))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(signin.ca_file))
    urllib.request.install_opener(urllib.request.build_opener())  # urlopen's opener reads the proxy now
    signin.requests.clear()
    yield signin
    urllib.request.install_opener(None)  # type: ignore[arg-type]  # the next urlopen builds a fresh one


@dataclass
class Attacker:
    """A server on 127.0.0.1 that records anything the bot sends it."""

    url: str = ""
    received: list[str] = field(default_factory=list)

    async def record(self, request: web.Request) -> web.Response:
        self.received.append(f"{request.method} {request.path}")
        return web.json_response({"id": "stolen"}, status=201)


@dataclass
class Bot:
    client: TestClient
    app: web.Application
    meetings: FakeMeetings
    attacker: Attacker
    signin: SignIn

    async def post(self, activity: dict[str, Any], token: str | None) -> int:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post("/api/messages", json=activity, headers=headers)
        await response.read()
        # An accepted message's turn runs after the answer (bot/hosting.py): what the tests look at
        # next (the stored chat, what reached the attacker) is what that turn did.
        await asyncio.wait_for(self.app[ADAPTER].wait_idle(), 10)
        return response.status

    async def answer(self, activity: dict[str, Any], token: str | None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post("/api/messages", json=activity, headers=headers)
        text = await response.text()
        return response.status, (json.loads(text) if text else None)

    async def chat(self, user: str) -> PersonalChat | None:
        return await self.app[STATE].personal_chat(user)


def settings(**extra: str) -> dict[str, str]:
    return {
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": APP_ID,
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "test-secret-not-real",
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID": HOME,
        "MCEM_ALLOWED_TENANTS": HOME,
        "MCEM_BOT_HOST": "127.0.0.1",
        "MCEM_STATE_PATH": ":memory:",
        **extra,
    }


async def running(via_signin: SignIn, env: dict[str, str]) -> AsyncIterator[Bot]:
    """The tests' one bot stack (tests/support/bot.py) with an app id, beside an attacker's server."""
    attacker = Attacker()
    attacker_app = web.Application()
    attacker_app.router.add_route("*", "/{tail:.*}", attacker.record)
    attacker_server = TestServer(attacker_app, host="127.0.0.1")
    await attacker_server.start_server()
    attacker.url = str(attacker_server.make_url("/"))
    try:
        async for started in start_bot(env):
            # The victim talked to the bot before, through Teams: automatic analyses go there.
            await started.app[STATE].save_personal_chat(
                PersonalChat(VICTIM, HOME, {"serviceUrl": TEAMS, "conversation": {"id": "a:victim"}}, {})
            )
            yield Bot(started.client, started.app, started.meetings, attacker, via_signin)
    finally:
        await attacker_server.close()


@pytest.fixture
async def bot(via_signin: SignIn) -> AsyncIterator[Bot]:
    async for running_bot in running(via_signin, settings()):
        yield running_bot


def channel_token(signin: SignIn, *, service_url: str = TEAMS, **claims: Any) -> str:
    """What Bot Framework sends Teams' activities with (issuer api.botframework.com, its own keys)."""
    body = {"iss": "https://api.botframework.com", "aud": APP_ID, "serviceurl": service_url, **claims}
    return signin.mint(body)


def entra_token(signin: SignIn, tenant: str, **claims: Any) -> str:
    """An app-only token Entra issues in ``tenant`` for the bot's app id (v1 issuer, Entra's keys)."""
    body = {
        "iss": f"https://sts.windows.net/{tenant}/",
        "aud": APP_ID,
        "tid": tenant,
        "appid": APP_ID,
        "ver": "1.0",
        **claims,
    }
    return signin.mint(body, key=signin.entra_key)


def activity(
    kind: str = "conversationUpdate",
    *,
    user: str = VICTIM,
    service_url: str = TEAMS,
    tenant: str = HOME,
    channel_tenant: str | None = None,
    text: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": kind,
        "id": "in-1",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:someone", "name": "Alex Wilber", "aadObjectId": user},
        "recipient": BOT,
        "conversation": {"id": "a:attacker-chat", "conversationType": "personal", "tenantId": tenant},
        "channelData": {"tenant": {"id": channel_tenant or tenant}},
    }
    if text is not None:
        body |= {"text": text, "textFormat": "plain", "locale": "en-US"}
    return body


async def assert_untouched(bot: Bot) -> None:
    assert bot.attacker.received == []
    assert bot.meetings.calls == []
    chat = await bot.chat(VICTIM)
    assert chat is not None and chat.reference == {"serviceUrl": TEAMS, "conversation": {"id": "a:victim"}}


# --- what must work: the control every refusal below is measured against ---------------------


async def test_a_channel_token_with_its_service_url_is_served_and_stores_the_chat(bot: Bot) -> None:
    status = await bot.post(activity(), channel_token(bot.signin))
    assert status == 202
    chat = await bot.chat(VICTIM)
    assert chat is not None and chat.reference["conversation"]["id"] == "a:attacker-chat"
    assert chat.reference["serviceUrl"] == TEAMS
    # The signature was checked with the key Bot Framework's metadata lists, fetched over HTTPS,
    # and the bot's own outgoing token came from Entra's token endpoint (MSAL), both via the stand-in.
    assert bot.signin.saw(BOT_FRAMEWORK_HOST, "/v1/.well-known/keys")
    assert bot.signin.saw(ENTRA_HOST, "/oauth2/v2.0/token")


async def test_a_token_expired_within_the_five_minute_leeway_is_still_served(bot: Bot) -> None:
    now = int(time.time())
    token = channel_token(bot.signin, exp=now - 240, nbf=now - 3600, iat=now - 3600)
    assert await bot.post(activity(), token) == 202


# --- issuer ------------------------------------------------------------------------------------


async def test_an_entra_token_for_the_bot_from_another_tenant_is_refused(bot: Bot) -> None:
    """The issue's attack: correctly signed by Entra, audience the bot, issuer the attacker's tenant."""
    token = entra_token(bot.signin, OTHER)
    message = activity("message", service_url=bot.attacker.url, text="analyze last meeting")
    assert await bot.post(message, token) == 401
    await assert_untouched(bot)


async def test_an_entra_token_from_the_bots_own_tenant_is_not_the_channel_either(bot: Bot) -> None:
    token = entra_token(bot.signin, HOME)
    assert await bot.post(activity(), token) == 401
    await assert_untouched(bot)


async def test_a_channel_issuer_signed_with_a_key_the_channel_does_not_list_is_refused(bot: Bot) -> None:
    forged = bot.signin.mint(
        {"iss": "https://api.botframework.com", "aud": APP_ID, "serviceurl": TEAMS},
        key=SigningKey(bot.signin.bot_framework_key.kid),  # same key id, another key
    )
    assert await bot.post(activity(), forged) == 401
    await assert_untouched(bot)


async def test_a_token_for_another_app_is_refused(bot: Bot) -> None:
    token = channel_token(bot.signin, aud="0f0f0f0f-1111-2222-3333-444444444444")
    assert await bot.post(activity(), token) == 401
    await assert_untouched(bot)


# --- tenant ------------------------------------------------------------------------------------


async def test_a_token_whose_tenant_is_not_the_activitys_is_refused(
    via_signin: SignIn, caplog: pytest.LogCaptureFixture
) -> None:
    """With the Entra issuer of the home tenant accepted, its tid must still be the activity's tenant."""
    env = settings(
        MCEM_BOT_TOKEN_ISSUERS=f"https://api.botframework.com,https://sts.windows.net/{HOME}/",
        MCEM_ALLOWED_TENANTS=f"{HOME},{OTHER}",
    )
    async for bot in running(via_signin, env):
        token = entra_token(bot.signin, HOME, serviceurl=TEAMS)
        assert await bot.post(activity(tenant=OTHER), token) == 401  # tid HOME, activity OTHER
        assert "the tenant of the token and of the activity differ" in caplog.text
        await assert_untouched(bot)
        assert await bot.post(activity(tenant=HOME), token) == 202  # the same token, its own tenant


async def test_an_activity_whose_two_tenant_fields_disagree_is_refused(bot: Bot) -> None:
    token = channel_token(bot.signin)
    assert await bot.post(activity(tenant=HOME, channel_tenant=OTHER), token) == 401
    await assert_untouched(bot)


async def test_a_tenant_not_on_the_allow_list_is_served_nothing_and_stores_nothing(bot: Bot) -> None:
    stranger = "0b7c6d5e-4f3a-4b2c-9d1e-0f9a8b7c6d5e"
    status = await bot.post(activity(tenant=OTHER, user=stranger), channel_token(bot.signin))
    assert status == 202  # accepted by the channel's token, refused by the allow-list before any handler
    assert await bot.chat(stranger) is None
    await assert_untouched(bot)


# --- serviceUrl -------------------------------------------------------------------------------


async def test_victim_id_with_the_attackers_service_url_reaches_nobody(bot: Bot) -> None:
    """Channel-signed, but naming the attacker's server in the token and the activity."""
    token = channel_token(bot.signin, service_url=bot.attacker.url)
    message = activity("message", service_url=bot.attacker.url, text="analyze last meeting")
    assert await bot.post(message, token) == 401
    await assert_untouched(bot)


async def test_a_service_url_other_than_the_tokens_is_refused(bot: Bot) -> None:
    elsewhere = "https://smba.trafficmanager.net.attacker.example/emea/"
    for service_url in (bot.attacker.url, elsewhere, "https://api.botframework.com.attacker.example/"):
        message = activity("message", service_url=service_url, text="analyze last meeting")
        assert await bot.post(message, channel_token(bot.signin)) == 401
    await assert_untouched(bot)


async def test_a_channel_host_over_plain_http_is_refused(bot: Bot) -> None:
    plain = "http://smba.trafficmanager.net/emea/"
    assert await bot.post(activity(service_url=plain), channel_token(bot.signin, service_url=plain)) == 401
    await assert_untouched(bot)


async def test_another_clouds_channel_host_is_served_when_configured(via_signin: SignIn) -> None:
    gcc = "https://smba.infra.gcc.teams.microsoft.com/teams/"
    async for bot in running(via_signin, settings()):
        assert await bot.post(activity(service_url=gcc), channel_token(bot.signin, service_url=gcc)) == 401
    async for bot in running(via_signin, settings(MCEM_CHANNEL_HOSTS="smba.infra.gcc.teams.microsoft.com")):
        assert await bot.post(activity(service_url=gcc), channel_token(bot.signin, service_url=gcc)) == 202
        assert await bot.post(activity(), channel_token(bot.signin)) == 401  # the public host is not listed
    both = "smba.trafficmanager.net,smba.infra.gcc.teams.microsoft.com"
    async for bot in running(via_signin, settings(MCEM_CHANNEL_HOSTS=both)):
        # Both hosts are the channel's, but the token was issued for the other one.
        assert await bot.post(activity(), channel_token(bot.signin, service_url=gcc)) == 401
        await assert_untouched(bot)


async def test_a_channel_token_naming_no_service_url_is_refused(bot: Bot) -> None:
    assert await bot.post(activity(), channel_token(bot.signin, serviceurl=None)) == 401
    await assert_untouched(bot)


# --- expiry and claims the bot does not use ----------------------------------------------------


async def test_a_token_expired_beyond_the_leeway_is_refused(bot: Bot) -> None:
    now = int(time.time())
    token = channel_token(bot.signin, exp=now - 301 - 5, nbf=now - 3600, iat=now - 3600)
    assert await bot.post(activity(), token) == 401
    await assert_untouched(bot)


async def test_a_token_without_an_expiry_is_refused(bot: Bot) -> None:
    token = channel_token(bot.signin, exp=None)
    assert await bot.post(activity(), token) == 401
    await assert_untouched(bot)


async def test_a_token_another_app_obtained_for_the_bot_is_refused(via_signin: SignIn) -> None:
    """Agent-to-agent: appid is another app's. Refused even with the tenant's issuer accepted."""
    env = settings(MCEM_BOT_TOKEN_ISSUERS=f"https://api.botframework.com,https://sts.windows.net/{HOME}/")
    async for bot in running(via_signin, env):
        token = entra_token(bot.signin, HOME, appid="5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9", serviceurl=TEAMS)
        assert await bot.post(activity(), token) == 401
        await assert_untouched(bot)


async def test_an_agentic_activity_is_refused(bot: Bot) -> None:
    agentic = activity()
    agentic["recipient"] = {**BOT, "role": "agenticUser", "agenticUserId": "u", "agenticAppId": "a"}
    assert await bot.post(agentic, channel_token(bot.signin)) == 401
    await assert_untouched(bot)


async def test_no_token_at_all_is_refused(bot: Bot) -> None:
    assert await bot.post(activity(), None) == 401
    await assert_untouched(bot)


# --- Outlook: the summary email's card, answered over the Outlook channel -----------------------

ORIGINATOR = "c9b4352b-a76b-43b9-88ff-80edddaa243b"


def outlook_click(*, tenant: str | None = HOME, service_url: str = TEAMS) -> dict[str, Any]:
    """The email card's Refresh as the Outlook channel sends it; ``tenant`` None: no tenant in the body."""
    body = activity("invoke", service_url=service_url, tenant=tenant or HOME)
    body |= {
        "channelId": "outlook",
        "name": "adaptiveCard/action",
        "value": {"action": {"type": "Action.Execute", "verb": "outlookRefresh", "data": {"run_id": "r-1"}}},
    }
    body["conversation"] = {"id": "outlook-mail-1"} | ({"tenantId": tenant} if tenant else {})
    if tenant is None:
        del body["channelData"]
    return body


@pytest.fixture
async def outlook_bot(via_signin: SignIn) -> AsyncIterator[Bot]:
    async for running_bot in running(via_signin, settings(MCEM_OUTLOOK_ORIGINATOR=ORIGINATOR)):
        yield running_bot


async def test_an_outlook_invoke_with_the_channels_token_is_answered_with_an_outlook_card(
    outlook_bot: Bot,
) -> None:
    status, body = await outlook_bot.answer(outlook_click(), channel_token(outlook_bot.signin))
    assert status == 200
    # The run is unknown to this bot: the answer is Outlook's error card, and nothing went anywhere.
    assert body["value"]["originator"] == ORIGINATOR and body["value"]["version"] == "1.4"
    assert outlook_bot.attacker.received == []


async def test_an_outlook_invoke_without_a_tenant_in_the_body_is_bound_to_the_tokens(
    outlook_bot: Bot,
) -> None:
    ok, _ = await outlook_bot.answer(outlook_click(tenant=None), channel_token(outlook_bot.signin, tid=HOME))
    assert ok == 200
    status, body = await outlook_bot.answer(
        outlook_click(tenant=None), channel_token(outlook_bot.signin, tid=OTHER)
    )
    assert (status, body) == (501, None)  # not served: OTHER is not on the allow-list
    assert outlook_bot.meetings.calls == []


async def test_an_outlook_invoke_with_an_entra_token_or_a_foreign_service_url_is_refused(
    outlook_bot: Bot,
) -> None:
    assert await outlook_bot.post(outlook_click(), entra_token(outlook_bot.signin, HOME)) == 401
    foreign = outlook_click(service_url=outlook_bot.attacker.url)
    assert (
        await outlook_bot.post(foreign, channel_token(outlook_bot.signin, service_url=foreign["serviceUrl"]))
        == 401
    )
    await assert_untouched(outlook_bot)


# --- start-up ----------------------------------------------------------------------------------


def test_an_app_id_with_anonymous_access_allowed_is_refused_at_start_up() -> None:
    env = settings(CONNECTIONS__SERVICE_CONNECTION__SETTINGS__ANONYMOUS_ALLOWED="true")
    with pytest.raises(ConfigError, match="ANONYMOUS_ALLOWED") as refused:
        settings_from_env(env)
    assert "\n" not in str(refused.value)


def test_a_loopback_channel_host_is_refused_with_an_app_id() -> None:
    with pytest.raises(ConfigError, match="MCEM_CHANNEL_HOSTS"):
        settings_from_env(settings(MCEM_CHANNEL_HOSTS="127.0.0.1"))
