"""A Bot Connector v3 stand-in (what Teams' side of a conversation looks like to the bot), and the
activities Teams sends: a message, an @mention, a card button's invoke. Everything the bot sends and
every activity a test sends is checked against the published Bot Framework protocol schema."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conftest import SPECS
from tests.fixtures.bot.fakes import USER_ID

TENANT = "tenant-1"
BOT = {"id": "28:bot-id", "name": "MCEM"}
USER = {"id": "29:user-0", "name": "Alex Wilber", "aadObjectId": USER_ID}
# The requester as Teams lists them among a conversation's members: tenant and role always there.
MEMBER = USER | {"tenantId": TENANT, "userRole": "user"}
TEAMMATE = {"id": "29:user-1", "name": "Megan Bowen", "tenantId": TENANT, "userRole": "user"}


def _protocol_validator(definition: str) -> jsonschema.Draft7Validator:
    """A validator for one type of the published Bot Framework protocol schema."""
    schema = json.loads((SPECS / "botframework-protocol.schema.json").read_text("utf-8"))
    return jsonschema.Draft7Validator({**schema, "$ref": f"#/definitions/{definition}"})


ACTIVITY = _protocol_validator("Activity")
CHANNEL_ACCOUNT = _protocol_validator("ChannelAccount")


def protocol_errors(validator: jsonschema.Draft7Validator, body: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


@dataclass
class Connector:
    """A Bot Connector v3 stand-in: records the bot's activities, answers member lists.

    Every activity the bot sends, and every member it is told about, is checked against the
    published Bot Framework protocol schema; ``violations`` collects what does not match.
    """

    url: str = ""
    posted: list[dict[str, Any]] = field(default_factory=list)  # new activities, in order
    updates: list[dict[str, Any]] = field(default_factory=list)
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Teams meeting id -> the meeting details Teams gives an app with OnlineMeeting.ReadBasic.Chat
    # in the meeting's chat (GET /v1/meetings/{id}); an unknown id gets Teams' 404.
    meetings: dict[str, dict[str, Any]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    next_id: int = 0
    # Notified on every post and update: the bot answers a message's POST before its turn runs
    # (bot/hosting.py), so a test that wants the turn's reply waits for it to arrive here.
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def start(self) -> TestServer:
        """Serve on 127.0.0.1 and point ``url`` at it; the caller closes the returned server."""
        server = TestServer(self.app(), host="127.0.0.1")
        await server.start_server()
        self.url = str(server.make_url("/"))
        return server

    def app(self) -> web.Application:
        app = web.Application()
        base = "/v3/conversations/{conversation}/activities"
        app.router.add_post(base, self._post)
        app.router.add_post(base + "/{reply_to}", self._post)
        app.router.add_put(base + "/{activity}", self._put)
        app.router.add_get("/v3/conversations/{conversation}/members", self._members)
        app.router.add_get("/v1/meetings/{meeting}", self._meeting)
        return app

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.violations += protocol_errors(ACTIVITY, body)
        if body.get("type") != "message":
            return web.json_response({"id": "typing"})  # the SDK's typing indicator
        self.next_id += 1
        body["id"] = f"act-{self.next_id}"
        self.posted.append(body)
        await self._notify()
        return web.json_response({"id": body["id"]}, status=201)

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.violations += protocol_errors(ACTIVITY, body)
        body["id"] = request.match_info["activity"]
        self.updates.append(body)
        await self._notify()
        return web.json_response({"id": body["id"]})

    async def _members(self, request: web.Request) -> web.Response:
        members = self.members.get(request.match_info["conversation"], [MEMBER])
        for member in members:
            self.violations += protocol_errors(CHANNEL_ACCOUNT, member)
        return web.json_response(members)

    async def _meeting(self, request: web.Request) -> web.Response:
        found = self.meetings.get(request.match_info["meeting"])
        if found is None:
            missing = {"error": {"code": "NotFound", "message": "Meeting not found"}}
            return web.json_response(missing, status=404)
        return web.json_response(found)

    async def _notify(self) -> None:
        async with self.arrived:
            self.arrived.notify_all()

    async def wait_until(self, seen: Callable[[Connector], bool], within_s: float = 10) -> None:
        """Until ``seen(self)`` holds, checked on each arrival (TimeoutError after ``within_s``)."""

        async def arrival() -> None:
            async with self.arrived:
                await self.arrived.wait_for(lambda: seen(self))

        await asyncio.wait_for(arrival(), within_s)

    async def wait_posted(self, count: int = 1, within_s: float = 10) -> list[dict[str, Any]]:
        """The first ``count`` activities the bot posted, once that many have arrived."""
        await self.wait_until(lambda c: len(c.posted) >= count, within_s)
        return self.posted[:count]

    def cards(self) -> list[dict[str, Any]]:
        return [a["attachments"][0]["content"] for a in self.posted if a.get("attachments")]


def message(
    text: str, connector: Connector, *, conversation: str = "personal-1", kind: str = "personal"
) -> dict:
    return {
        "type": "message",
        "id": "in-1",
        "channelId": "msteams",
        "serviceUrl": connector.url,
        "from": USER,
        "recipient": BOT,
        "conversation": {"id": conversation, "conversationType": kind, "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
        "text": text,
        "textFormat": "plain",
        "locale": "en-US",  # Teams always sends it; the SDK copies it (or a null) onto replies
    }


def mentioned(text: str, connector: Connector, *, conversation: str, kind: str) -> dict:
    activity = message(f"<at>MCEM</at> {text}", connector, conversation=conversation, kind=kind)
    activity["entities"] = [{"type": "mention", "mentioned": BOT, "text": "<at>MCEM</at>"}]
    return activity


def click(connector: Connector, verb: str, data: dict[str, Any], *, user: dict[str, Any] = USER) -> dict:
    activity = message("", connector) | {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "from": user,
        "replyToId": "some-card",
        "value": {"action": {"type": "Action.Execute", "verb": verb, "data": data}},
    }
    del activity["text"]
    return activity


def outlook_invoke(
    service_url: str,
    user: dict[str, Any],
    action: dict[str, Any],
    *,
    trigger: str = "manual",
    inputs: dict[str, Any] | None = None,
) -> dict:
    """What the Azure Bot's Outlook channel sends for the email card: a click (``manual``) or the
    card's refresh when the mail is opened (``automatic``). ``channelId`` is ``outlook``; the card's
    inputs arrive merged into the action's data, as with every Action.Execute."""
    data = {**(action.get("data") or {}), **(inputs or {})}
    return {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "id": "outlook-invoke-1",
        "channelId": "outlook",
        "serviceUrl": service_url,
        "from": user,
        "recipient": BOT,
        "conversation": {"id": "outlook-mail-1", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-US",
        "value": {
            "action": {"type": "Action.Execute", "verb": action["verb"], "data": data},
            "trigger": trigger,
        },
    }
