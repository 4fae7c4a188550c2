"""A light Bot Connector v3 stand-in for measuring the bot: it answers the routes the bot calls
(send, reply, update in place, list members) and notes when each activity arrived, per conversation.

Unlike the tests' stand-in it checks nothing against the protocol schema: a benchmark shares the
machine's cores with the bot, so the stand-in does as little as it can.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["Arrival", "BotConnector"]


@dataclass(frozen=True)
class Arrival:
    at: float  # time.perf_counter() when it arrived
    kind: str  # "post" (a new activity) or "update" (an activity replaced in place)
    card: dict[str, Any] | None  # the Adaptive Card it carried, if any


@dataclass
class BotConnector:
    url: str = ""
    arrivals: dict[str, list[Arrival]] = field(default_factory=lambda: defaultdict(list))
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _next_id: int = 0
    _changed: asyncio.Condition | None = None
    _runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._changed = asyncio.Condition()
        app = web.Application()
        base = "/v3/conversations/{conversation}/activities"
        app.router.add_post(base, self._post)
        app.router.add_post(base + "/{reply_to}", self._post)
        app.router.add_put(base + "/{activity}", self._put)
        app.router.add_get("/v3/conversations/{conversation}/members", self._members)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, predicate: Any) -> None:
        """Until ``predicate()`` holds (checked whenever an activity arrives)."""
        assert self._changed is not None
        async with self._changed:
            await self._changed.wait_for(predicate)

    async def _arrived(self, conversation: str, kind: str, body: dict[str, Any]) -> None:
        attachments = body.get("attachments") or []
        card = attachments[0].get("content") if attachments else None
        self.arrivals[conversation].append(Arrival(time.perf_counter(), kind, card))
        assert self._changed is not None
        async with self._changed:
            self._changed.notify_all()

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body.get("type") != "message":
            return web.json_response({"id": "typing"})
        self._next_id += 1
        await self._arrived(request.match_info["conversation"], "post", body)
        return web.json_response({"id": f"act-{self._next_id}"}, status=201)

    async def _put(self, request: web.Request) -> web.Response:
        body = await request.json()
        await self._arrived(request.match_info["conversation"], "update", body)
        return web.json_response({"id": request.match_info["activity"]})

    async def _members(self, request: web.Request) -> web.Response:
        return web.json_response(self.members.get(request.match_info["conversation"], []))
