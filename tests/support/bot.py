"""Bot stacks for tests: the real app (bot/app.py) over HTTP with the Bot Connector stand-in.

- ``start_bot``: the app with the recording fakes for Graph and the analyzer (handler tests);
- ``running_stack``: the app on a real port, subscribed to the Graph emulator through msgraph-sdk,
  with automatic analysis on (notification and multi-instance tests).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import ADAPTER, KEEPER, NOTIFICATIONS, RUNNER, create_app
from bot.services import Services
from bot.settings import settings_from_env
from graph.client import make_graph_client
from graph.credentials import StaticTokenCredential
from graph.documents import GraphDocuments
from graph.emulator.seed import DRIVE_ID, INTERNAL_DOMAIN
from graph.emulator.state import STATE as EMULATOR_STATE
from graph.mail import GraphMail
from graph.meetings import GraphMeetings
from tests.fixtures.bot.fakes import FakeAnalyzer, FakeDocuments, FakeMeetings, sample_vtt
from tests.support.cards import texts
from tests.support.connector import ACTIVITY, Connector, message, protocol_errors
from tests.support.graph import Emulator, start_emulator


@dataclass
class Bot:
    client: TestClient
    connector: Connector
    meetings: FakeMeetings
    app: web.Application

    async def send(self, activity: dict[str, Any]) -> tuple[int, Any]:
        assert protocol_errors(ACTIVITY, activity) == [], "the test sent an activity Teams would not"
        response = await self.client.post("/api/messages", json=activity)
        text = await response.text()
        return response.status, (json.loads(text) if text else None)

    async def settle(self) -> None:
        """Until the turns the bot accepted, and the analyses they started, have ended."""
        await settle(self.app)


async def settle(app: web.Application, within_s: float = 10) -> None:
    """Until the app's accepted turns and the analyses they started have ended (TimeoutError after
    ``within_s`` seconds for each)."""
    # Turns first: a message's POST is answered before its turn runs (bot/hosting.py), and the
    # turn is what starts an analysis.
    await asyncio.wait_for(app[ADAPTER].wait_idle(), within_s)
    await asyncio.wait_for(app[RUNNER].wait_idle(), within_s)


async def start_bot(
    env: dict[str, str], meetings: FakeMeetings | None = None, *, services: Services | None = None
) -> AsyncIterator[Bot]:
    """The app in a test server; ``services`` default to the recording fakes (``meetings`` among them)."""
    connector = Connector()
    connector_server = await connector.start()
    meetings = meetings or FakeMeetings()
    services = services or Services(meetings=meetings, documents=FakeDocuments(), analyzer=FakeAnalyzer())
    app = create_app(settings_from_env({"MCEM_STATE_PATH": ":memory:", **env}), services)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield Bot(client, connector, meetings, app)
        assert connector.violations == [], connector.violations
    finally:
        await client.close()
        await connector_server.close()


SECRET = "client-state-for-tests-0123456789"
SUMMARY = "Interview Analysis – Priya Raman, Contoso"


@dataclass
class Stack:
    url: str  # the bot's base URL, also its "public" URL
    app: web.Application
    connector: Connector
    emulator: Emulator
    analyzer: FakeAnalyzer

    async def say(self, text: str, *, conversation: str = "personal-1", kind: str = "personal") -> None:
        activity = message(text, self.connector, conversation=conversation, kind=kind)
        async with aiohttp.ClientSession() as http, http.post(self.url + "/api/messages", json=activity) as r:
            assert r.status in (200, 202)
        await settle(self.app)

    async def publish(self, key: str = "litware") -> dict[str, Any]:
        """The emulator publishes the meeting's transcript and notifies the subscription."""
        meeting = next(m for m in self.emulator.app[EMULATOR_STATE].seed.meetings if m.key == key)
        body = {"meeting_id": meeting.meeting_id, "vtt": sample_vtt()}
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.emulator.origin + "/_emulator/transcripts", json=body) as resp,
        ):
            assert resp.status == 200
            published = await resp.json()
        await asyncio.wait_for(self.app[NOTIFICATIONS].wait_idle(), 20)
        return published

    async def notify(self, body: Any, **params: str) -> aiohttp.ClientResponse:
        async with (
            aiohttp.ClientSession() as http,
            http.post(self.url + "/api/notifications", json=body, params=params) as resp,
        ):
            await resp.read()
            return resp

    async def graph_calls(self) -> list[str]:
        return [f"{r['method']} {r['path']}" for r in await self.emulator.requests()]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def running_stack(
    state_path: str = ":memory:",
    emulator: Emulator | None = None,
    connector: Connector | None = None,
    secret: str = SECRET,
    *,
    analyzer: FakeAnalyzer | None = None,
    configure: Callable[[web.Application], None] | None = None,
    env: dict[str, str] | None = None,
    subscribed: bool = True,
) -> AsyncIterator[Stack]:
    """The app on a real port with automatic analysis on, against the Graph emulator. ``env`` adds
    settings (e.g. the Azure Table backend); ``subscribed``: wait until this instance holds the
    Graph subscription (with several instances only one does)."""
    own_emulator = None
    if emulator is None:
        emulator, own_emulator = await start_emulator()
    connector_server = None
    if connector is None:  # a restart keeps Teams' side: the same connector and service URL
        connector = Connector()
        connector_server = await connector.start()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = {
        "MCEM_STATE_PATH": state_path,
        "MCEM_AUTO_ANALYZE": "on",
        "MCEM_PUBLIC_URL": url,
        "MCEM_NOTIFICATION_CLIENT_STATE": secret,
        **(env or {}),
    }
    client = make_graph_client(StaticTokenCredential(), base_url=emulator.base_url)
    analyzer = analyzer or FakeAnalyzer()
    services = Services(
        meetings=GraphMeetings(client),
        documents=GraphDocuments(client, DRIVE_ID),
        analyzer=analyzer,
        graph=client,
        mail=GraphMail(client, tenant_domains=[INTERNAL_DOMAIN]),
    )
    app = create_app(settings_from_env(settings), services)
    if configure is not None:
        configure(app)  # before start-up, which runs the first sweep
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        if subscribed:
            await asyncio.wait_for(app[KEEPER].ready.wait(), 15)  # subscribed: the handshake passed
        yield Stack(url, app, connector, emulator, analyzer)
        assert connector.violations == [], connector.violations
    finally:
        await runner.cleanup()
        if connector_server is not None:
            await connector_server.close()
        if own_emulator is not None:
            await own_emulator.cleanup()


def summaries(connector: Connector) -> list[dict[str, Any]]:
    return [
        a
        for a in connector.posted
        if a.get("attachments") and SUMMARY in texts(a["attachments"][0]["content"])
    ]
