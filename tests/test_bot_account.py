"""`account <company>` in the real app: analyses recorded per company, sidecars in SharePoint, who sees what.

Over HTTP, as Teams drives it: the app with the Bot Connector stand-in; meetings, transcripts and the
drafts' library in the Graph emulator through the real msgraph-sdk clients; the offline analyzer; the
bot's own SQLite state. The three seeded Contoso calls (samples/contoso-account/) are analysed from
Teams first, as a user would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.account import visible_entries
from bot.app import STATE, create_app
from bot.services import Services
from bot.settings import settings_from_env
from graph.client import make_graph_client
from graph.credentials import StaticTokenCredential
from graph.documents import GraphDocuments
from graph.emulator.seed import DRIVE_ID, INTERNAL_DOMAIN
from graph.meetings import GraphMeetings
from mcem.offline import OfflineAnalyzer
from tests.support.accounts import SPEC
from tests.support.bot import Bot, settle
from tests.support.cards import texts
from tests.support.connector import MEMBER, TENANT, Connector, mentioned, message
from tests.support.graph import Emulator, start_emulator

# One stack and one pass over the three calls for the whole module: analysing is the slow part.
pytestmark = pytest.mark.asyncio(loop_scope="module")

MEGAN = {"id": "29:user-1", "name": "Megan Bowen", "aadObjectId": "00000000-0000-0000-0000-0000000000021"}
# Patti attended none of the calls either, but she is in Contoso's account team (MCEM_ACCOUNT_TEAMS).
PATTI = {"id": "29:user-4", "name": "Patti Fernandez", "aadObjectId": "00000000-0000-0000-0000-0000000000024"}
ISAIAH = {"id": "29:user-3", "name": "Isaiah Langer", "aadObjectId": "00000000-0000-0000-0000-0000000000023"}
OUTSIDER = "00000000-0000-0000-0000-0000000000099"


@dataclass
class Stack:
    bot: Bot
    emulator: Emulator
    services: Services

    async def ask(self, text: str, *, sender: dict[str, Any] | None = None, **where: Any) -> dict[str, Any]:
        activity = (
            mentioned(text, self.bot.connector, **where) if where else message(text, self.bot.connector)
        )
        if sender is not None:
            activity["from"] = sender
        before = len(self.bot.connector.posted)
        status, _ = await self.bot.send(activity)
        assert status in (200, 201, 202)
        await settle(self.bot.app, 120)  # the turn runs after the POST's answer, then its analysis
        [reply] = self.bot.connector.posted[before:]
        return reply["attachments"][0]["content"]

    async def analyse_the_contoso_calls(self) -> None:
        today = datetime.now(UTC)
        for call in SPEC["calls"]:
            day = (today - timedelta(days=call["days_ago"])).date()
            words = call["subject"].split("–")[1].strip()
            await self.bot.send(message(f"analyze {words} {day.isoformat()}", self.bot.connector))
            await settle(self.bot.app, 120)  # the turn runs after the POST's answer, then its analysis
            assert "Interview Analysis" in texts(self.bot.connector.updates[-1]["attachments"][0]["content"])

    async def drive_paths(self) -> list[str]:
        return [r["path"] for r in await self.emulator.requests() if "/drives/" in r["path"]]


async def _stack(env: dict[str, str]) -> AsyncIterator[Stack]:
    emulator, emulator_runner = await start_emulator()
    graph = make_graph_client(StaticTokenCredential(), base_url=emulator.base_url)
    connector = Connector()
    connector_server = await connector.start()
    services = Services(
        meetings=GraphMeetings(graph, tenant_domains=[INTERNAL_DOMAIN]),
        documents=GraphDocuments(graph, DRIVE_ID),
        analyzer=OfflineAnalyzer(),
        graph=graph,
    )
    app: web.Application = create_app(settings_from_env({"MCEM_STATE_PATH": ":memory:", **env}), services)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield Stack(Bot(client, connector, None, app), emulator, services)  # type: ignore[arg-type]
        assert connector.violations == [], connector.violations
    finally:
        await client.close()
        await connector_server.close()
        await emulator_runner.cleanup()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack() -> AsyncIterator[Stack]:
    async for s in _stack({"MCEM_ACCOUNT_TEAMS": f"Contoso={PATTI['aadObjectId']}"}):
        await s.analyse_the_contoso_calls()
        yield s


async def test_each_analysis_leaves_its_sidecar_and_the_account_card_reads_them(stack: Stack) -> None:
    uploads = [p for p in await stack.drive_paths() if p.endswith(":/content")]
    sidecars = [p for p in uploads if p.endswith(".analysis.json:/content")]
    assert len(sidecars) == 3 and all("/Contoso/" in p for p in sidecars)

    card = await stack.ask("account contoso")
    text = texts(card)
    assert text.startswith("Account brief – Contoso")
    assert "●○○○○ Listen & Consult" in text and "●●●○○ Empower & Achieve" in text
    assert "“I sent the Sentinel cost estimate with the E5 breakdown to Anika on the thirteenth.”" in text
    assert "○ Arrange the CISO briefing for your CFO — Alex Wilber" in text
    assert "Leipzig" not in text
    [button] = card["actions"]
    async with aiohttp.ClientSession() as http, http.get(button["url"]) as response:
        assert response.status == 200 and (await response.read())[:2] == b"PK"
    # Asked again: the brief is replaced, not piled up beside the last one.
    await stack.ask("account Contoso")
    briefs = [p for p in await stack.drive_paths() if "Account%20brief" in p or "Account brief" in p]
    assert len(briefs) == 2 and all("conflictBehavior=replace" in p or p.endswith("content") for p in briefs)


async def test_a_user_who_attended_none_gets_the_no_access_card_and_no_sidecar_is_read(stack: Stack) -> None:
    before = len(await stack.drive_paths())
    card = await stack.ask("account Contoso", sender=MEGAN)
    assert "No access to this account" in texts(card)
    assert "Sentinel" not in texts(card) and "Anika" not in texts(card)
    assert len(await stack.drive_paths()) == before  # nothing read, nothing written


async def test_an_unknown_account_names_only_accounts_the_user_may_see(stack: Stack) -> None:
    assert "Accounts with analysed calls: Contoso." in texts(await stack.ask("account Fabrikam"))
    megan = texts(await stack.ask("account Fabrikam", sender=MEGAN))
    assert "No analysed calls" in megan and "Contoso" not in megan
    assert "Which account?" in texts(await stack.ask("account"))


@pytest.mark.parametrize(
    "member",
    [
        {"id": "29:guest", "name": "Guest", "tenantId": TENANT, "userRole": "guest"},
        {"id": "29:ext", "name": "Partner", "tenantId": "other-tenant", "userRole": "user"},
    ],
)
async def test_a_chat_with_someone_from_outside_gets_no_account_data(
    stack: Stack, member: dict[str, Any]
) -> None:
    stack.bot.connector.members["group-1"] = [MEMBER, member]
    before = len(await stack.drive_paths())
    card = await stack.ask("account Contoso", conversation="group-1", kind="groupChat")
    text = texts(card)
    assert "Not in this conversation" in text
    assert "Contoso" not in text and "Anika" not in text
    assert len(await stack.drive_paths()) == before


async def test_the_account_team_sees_every_call_others_only_theirs(stack: Stack) -> None:
    # Isaiah attended the design workshop and the kick-off, not the discovery call.
    team = texts(await stack.ask("account Contoso", sender=PATTI))
    assert team.startswith("Account brief – Contoso | 3 calls")
    isaiah = texts(await stack.ask("account Contoso", sender=ISAIAH))
    assert isaiah.startswith("Account brief – Contoso | 2 calls")
    assert "security operations discovery" not in isaiah and "Sentinel design workshop" in isaiah
    entries = await stack.bot.app[STATE].account_entries("contoso")
    assert len(entries) == 3 and visible_entries(entries, OUTSIDER, frozenset()) == []
