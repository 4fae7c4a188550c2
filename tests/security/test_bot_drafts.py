"""Refresh and Email on a draft someone replaced in SharePoint: an error card, never a hang or a crash.

The real app and the Graph emulator's library (tests/support/drafts.py's stack): the
draft is swapped for a zip bomb, or for something far larger than any draft, and the card's
Refresh button is clicked as Teams would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from graph.documents import DRAFT_DOWNLOAD_LIMIT
from graph.emulator.state import STATE as EMULATOR_STATE
from mcem.render.docx import to_docx
from tests.fixtures.bot.fakes import sample_analysis
from tests.security.bombs import docx_bomb
from tests.support.cards import texts
from tests.support.connector import click
from tests.support.drafts import Stack, action, draft_stack


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with draft_stack() as running:
        yield running


MB = 1024 * 1024


async def _refresh(stack: Stack) -> tuple[dict, str]:
    # A cold process renders its first draft slowly (imports, fonts); the stack waits only 10 s for it.
    await asyncio.to_thread(to_docx, sample_analysis())
    summary = await stack.summary()
    item_id, _ = await stack.draft()
    return summary, item_id


@pytest.mark.parametrize(
    ("replacement", "says"),
    [
        (lambda: docx_bomb(190 * MB), "unpacks to more than 50 MB"),
        (lambda: b"PK\x03\x04" + b"\0" * (DRAFT_DOWNLOAD_LIMIT + 1), "larger than 25 MB"),
    ],
    ids=["zip-bomb", "oversized"],
)
async def test_refresh_of_a_replaced_draft_is_an_error_card(stack: Stack, replacement, says: str) -> None:
    summary, item_id = await _refresh(stack)
    stack.emulator.app[EMULATOR_STATE].drive.items[item_id].content = replacement()
    status, body = await stack.bot.send(
        click(stack.bot.connector, "refresh", action(summary, "refresh")["data"])
    )
    assert status == 200 and body["value"].startswith("Not refreshed")
    card = stack.bot.connector.cards()[-1]
    assert says in texts(card), texts(card)
