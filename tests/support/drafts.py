"""The stack for the summary card's Email and Refresh: the real app, the Graph emulator's SharePoint
library and mailbox through msgraph-sdk, fake meetings (tests/test_bot_draft_handlers.py,
tests/security/test_bot_drafts.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from msgraph import GraphServiceClient

from bot.app import STATE
from bot.services import Services
from graph.client import make_graph_client
from graph.credentials import StaticTokenCredential
from graph.documents import GraphDocuments
from graph.emulator.mail import MAILBOX
from graph.emulator.seed import DRIVE_ID, INTERNAL_DOMAIN
from graph.mail import GraphMail
from tests.fixtures.bot.fakes import USER_ID, FakeAnalyzer, FakeMeetings
from tests.support.bot import Bot, start_bot
from tests.support.connector import message
from tests.support.graph import Emulator, start_emulator


@dataclass
class Stack:
    bot: Bot
    emulator: Emulator
    graph: GraphServiceClient

    async def summary(self, text: str = "analyze last meeting") -> dict[str, Any]:
        await self.bot.send(message(text, self.bot.connector))
        await self.bot.settle()
        return self.bot.connector.updates[-1]["attachments"][0]["content"]

    def mail(self) -> list[dict[str, Any]]:
        return self.emulator.app[MAILBOX].sent

    async def draft(self) -> tuple[str, bytes]:
        record = await self.bot.app[STATE].latest_run(USER_ID)
        assert record is not None
        item = self.graph.drives.by_drive_id(DRIVE_ID).items.by_drive_item_id(record.item_id)
        return record.item_id, await item.content.get()

    async def save(self, item_id: str, content: bytes) -> None:
        """What Word for the web does when a person saves the draft."""
        await self.graph.drives.by_drive_id(DRIVE_ID).items.by_drive_item_id(item_id).content.put(content)


def action(card: dict[str, Any], verb: str) -> dict[str, Any]:
    [found] = [a for a in card["actions"] if a.get("verb") == verb]
    return found


@asynccontextmanager
async def draft_stack(env: dict[str, str] | None = None) -> AsyncIterator[Stack]:
    """The real app with the Graph emulator's library and mail behind it (the meetings are fakes);
    ``env``: settings beside the defaults."""
    emulator, emulator_runner = await start_emulator()
    graph = make_graph_client(StaticTokenCredential(), base_url=emulator.base_url)
    meetings = FakeMeetings()
    services = Services(
        meetings=meetings,
        documents=GraphDocuments(graph, DRIVE_ID),
        analyzer=FakeAnalyzer(),
        mail=GraphMail(graph, tenant_domains=[INTERNAL_DOMAIN]),
    )
    try:
        async for bot in start_bot(env or {}, meetings, services=services):
            yield Stack(bot, emulator, graph)
    finally:
        await emulator_runner.cleanup()
