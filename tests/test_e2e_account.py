"""End to end: `account Contoso` in the Agents Playground, after the three seeded Contoso calls are analysed.

Graph emulator + bot (python -m bot) + Playground, as in tests/test_e2e_playground.py. Alex Wilber (the
Playground's user) attended the three calls of samples/contoso-account/ (44, 23 and 2 days ago); he
analyses each from Teams, then asks for the account. Megan Bowen attended none of them.
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import docx
import pytest

from devtools.devstack import DevStack
from devtools.playground_client import BotMessage, PlaygroundClient, card_of
from tests.conftest import ROOT
from tests.support.cards import texts

pytestmark = pytest.mark.e2e

SPEC = json.loads((ROOT / "samples" / "contoso-account" / "calls.json").read_text("utf-8"))
SUMMARY = "Interview Analysis –"
BRIEF = "Account brief – Contoso"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    if shutil.which("node") is None:
        pytest.fail("node is missing: install Node.js 20+ and run `npm ci` in the repo")
    with DevStack(tmp_path_factory.mktemp("devstack")) as running:
        yield running


def has_card(text: str) -> Any:
    return lambda m: (card := card_of(m)) is not None and text in texts(card)


async def analyse(pg: PlaygroundClient, chat: str, text: str) -> BotMessage:
    await pg.send(chat, text)
    async with asyncio.timeout(90):
        first = await pg.next_message()
        return await pg.next_message(lambda m: m.message_id == first.message_id and has_card(SUMMARY)(m))


async def ask(pg: PlaygroundClient, conversation: str, text: str, title: str, **kw: Any) -> dict[str, Any]:
    await pg.send(conversation, text, **kw)
    async with asyncio.timeout(60):
        message = await pg.next_message(has_card(title))
    card = card_of(message)
    assert card is not None
    return card


async def test_account_contoso_shows_the_stages_moving_the_steps_closed_and_open_and_saves_the_brief(
    stack: DevStack,
) -> None:
    today = datetime.now(UTC)
    async with PlaygroundClient(stack.playground_url) as pg:
        chat = await pg.personal_chat_id()
        for call in SPEC["calls"]:
            day = (today - timedelta(days=call["days_ago"])).date()
            words = call["subject"].split("–")[1].strip()
            summary = await analyse(pg, chat, f"analyze {words} {day.isoformat()}")
            assert call["subject"] in texts(card_of(summary) or {})
        card = await ask(pg, chat, "account Contoso", BRIEF)

    text = texts(card)
    # The calls in order, the stage strip moving with them.
    positions = [text.find(call["subject"]) for call in SPEC["calls"]]
    assert all(p >= 0 for p in positions) and positions == sorted(positions)
    strips = [
        text.find(s) for s in ("●○○○○ Listen & Consult", "●●○○○ Inspire & Design", "●●●○○ Empower & Achieve")
    ]
    assert all(p >= 0 for p in strips) and strips == sorted(strips)
    # A next step of the first call, closed by the second call's own words; one still open.
    assert "✓ Send you the Sentinel cost estimate" in text
    closed_by = "“I sent the Sentinel cost estimate with the E5 breakdown to Anika on the thirteenth.”"
    assert f"{closed_by} — Lynne Robbins" in text
    assert "○ Arrange the CISO briefing for your CFO — Alex Wilber" in text
    assert "Leipzig" not in text  # said in confidence in the second call

    # The brief is in SharePoint, in the company folder, and says the same.
    [open_brief] = [a for a in card.get("actions", []) if a["type"] == "Action.OpenUrl"]
    assert "/Contoso/Account%20brief.docx" in open_brief["url"]
    async with aiohttp.ClientSession() as http, http.get(open_brief["url"]) as response:
        assert response.status == 200
        brief = docx.Document(io.BytesIO(await response.read()))
    assert brief.paragraphs[0].text == BRIEF
    body = "\n".join(p.text for p in brief.paragraphs)
    assert "I sent the Sentinel cost estimate" in body and "Leipzig" not in body
    assert [c.text for c in brief.tables[0].rows[0].cells][:3] == ["Date", "Call", "Customer"]


async def test_a_user_who_attended_none_of_the_calls_gets_the_no_access_card(stack: DevStack) -> None:
    # Runs after the test above has analysed the calls (pytest keeps the file's order). The Playground
    # sends what is typed as its signed-in user: Megan Bowen gets a Playground of her own.
    megan = stack.add_playground("user-id-1")
    async with PlaygroundClient(megan, user_id="user-id-1") as pg:
        chat = await pg.personal_chat_id()
        card = await ask(pg, chat, "account Contoso", "No access")
    text = texts(card)
    assert "You neither organised nor attended any analysed call with Contoso" in text
    assert "Sentinel" not in text and "Anika" not in text
