"""Outlook end to end: the summary email carries the actionable-message card, and the bot answers it.

The real app (bot/app.py) over HTTP, the Graph emulator behind msgraph-sdk for meetings, the
SharePoint library and sendMail. A user analyses the sample call in Teams and emails it; the card
is read out of the mail the emulator received; the draft is edited in SharePoint; then the Outlook
channel's invoke (a Bot Framework schema-valid activity, ``channelId: outlook``) is posted as an
internal attendee, as someone who did not attend, and from Teams.
"""

from __future__ import annotations

import asyncio
import html.parser
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import docx
import pytest

from bot.app import STATE
from cards.outlook import outlook_findings, without_outlook_root
from cards.validate import schema_errors
from graph.client import make_graph_client
from graph.credentials import StaticTokenCredential
from graph.emulator.mail import MAILBOX
from graph.emulator.seed import DEMO_USER_ID, DRIVE_ID
from graph.emulator.state import STATE as EMULATOR_STATE
from mcem.model import NextStep, Quote
from mcem.render import common
from mcem.render.card.outlook import DONE_INPUT, VERB_OUTLOOK_REFRESH, VERB_STEPS_DONE
from mcem.render.email import CARD_SCRIPT_TYPE
from tests.conftest import SPECS
from tests.fixtures.bot.fakes import FakeAnalyzer, sample_analysis
from tests.support.bot import Stack, running_stack, settle
from tests.support.cards import texts
from tests.support.connector import ACTIVITY, USER, click, message, outlook_invoke, protocol_errors
from tests.support.drafts import draft_stack

ORIGINATOR = "c9b4352b-a76b-43b9-88ff-80edddaa243b"
EDIT = "Edited in SharePoint: Contoso wants the rollout priced per plant."
STEP_QUOTE = "I'd like Marcus to send a proposal for that before Christmas."


def analysis_with_a_step():
    """The fixture analysis plus one next step resting on a sentence of the sample call."""
    step = NextStep(
        action="Send the managed service proposal",
        owner="Marcus Lee",
        due="before Christmas",
        quote=Quote(text=STEP_QUOTE, speaker="Helen Whitaker"),
    )
    return sample_analysis().model_copy(update={"next_steps": [step]})


class _CardScript(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open = tag == "script" and dict(attrs).get("type") == CARD_SCRIPT_TYPE
        if self._open:
            self.found.append("")

    def handle_endtag(self, tag: str) -> None:
        self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.found[-1] += data


def card_in(mail: dict[str, Any]) -> dict[str, Any]:
    parser = _CardScript()
    parser.feed(mail["request"]["Message"]["body"]["content"])
    [text] = parser.found
    card: dict[str, Any] = json.loads(text)
    return card


def assert_outlook_valid(card: dict[str, Any]) -> None:
    schema = json.loads((SPECS / f"adaptive-card-{card['version']}.0.schema.json").read_text("utf-8"))
    rest, problems = without_outlook_root(card)
    assert problems == [] and schema_errors(rest, schema) == []
    assert outlook_findings(card) == []


def person(stack: Stack, name: str) -> dict[str, Any]:
    seed = stack.emulator.app[EMULATOR_STATE].seed
    [user] = [u for u in seed.users.values() if u.name == name]
    return {"id": f"outlook-user-{user.id[-2:]}", "name": user.name, "aadObjectId": user.id}


async def post(stack: Stack, activity: dict[str, Any]) -> dict[str, Any]:
    assert protocol_errors(ACTIVITY, activity) == [], "the test sent an activity the channel would not"
    async with aiohttp.ClientSession() as http, http.post(stack.url + "/api/messages", json=activity) as r:
        assert r.status == 200
        body: dict[str, Any] = await r.json()
        return body


async def post_message(stack: Stack, activity: dict[str, Any]) -> None:
    assert protocol_errors(ACTIVITY, activity) == []
    async with aiohttp.ClientSession() as http, http.post(stack.url + "/api/messages", json=activity) as r:
        assert r.status in (200, 202)


async def edit_draft_in_sharepoint(stack: Stack) -> None:
    """What Word for the web does when a person edits the first summary paragraph and saves."""
    record = await stack.app[STATE].latest_run(DEMO_USER_ID)
    assert record is not None
    graph = make_graph_client(StaticTokenCredential(), base_url=stack.emulator.base_url)
    item = graph.drives.by_drive_id(DRIVE_ID).items.by_drive_item_id(record.item_id)
    document = docx.Document(io.BytesIO(await item.content.get()))
    paragraphs = document.paragraphs
    heading = next(i for i, p in enumerate(paragraphs) if p.text == common.EXECUTIVE_SUMMARY)
    paragraphs[heading + 1].text = EDIT
    out = io.BytesIO()
    document.save(out)
    await item.content.put(out.getvalue())


@pytest.fixture
async def emailed() -> AsyncIterator[tuple[Stack, dict[str, Any]]]:
    """Alex analysed the sample call in Teams and emailed it: the stack, and the card in the mail."""
    env = {"MCEM_OUTLOOK_ORIGINATOR": ORIGINATOR, "MCEM_OUTLOOK_DEADLINE_SECONDS": "30"}
    analyzer = FakeAnalyzer(result=analysis_with_a_step())
    async with running_stack(env=env, analyzer=analyzer, subscribed=False) as stack:
        # Not stack.say: its 10 s wait for the analysis is too short for a first analysis (Graph's
        # models, the worker processes) on a loaded machine; this waits for the same events longer
        # (the turn, answered before it ran, then the analysis it started).
        await post_message(stack, message("analyze last meeting", stack.connector))
        await settle(stack.app, 120)
        summary = stack.connector.updates[-1]["attachments"][0]["content"]
        [email] = [a for a in summary["actions"] if a.get("verb") == "email"]
        reply = await post(stack, click(stack.connector, "email", email["data"]))
        assert reply["value"].startswith("Sent to"), reply
        [mail] = stack.emulator.app[MAILBOX].sent
        yield stack, mail


async def test_the_email_carries_a_valid_outlook_card_for_its_recipients(
    emailed: tuple[Stack, dict[str, Any]],
) -> None:
    stack, mail = emailed
    card = card_in(mail)
    assert_outlook_valid(card)
    assert card["originator"] == ORIGINATOR
    assert card["refresh"]["action"]["verb"] == VERB_OUTLOOK_REFRESH
    seed = stack.emulator.app[EMULATOR_STATE].seed
    ids = {u.mail: u.id for u in seed.users.values()}
    assert sorted(card["refresh"]["userIds"]) == sorted(f"8:orgid:{ids[a]}" for a in mail["recipients"])
    assert "The pilot went well" in mail["request"]["Message"]["body"]["content"]  # the HTML body too


async def test_an_attendee_opening_the_mail_sees_the_draft_as_edited_in_sharepoint(
    emailed: tuple[Stack, dict[str, Any]],
) -> None:
    stack, mail = emailed
    card = card_in(mail)
    assert EDIT not in texts(card)
    await edit_draft_in_sharepoint(stack)
    sofia = person(stack, "Sofia Farías")  # an internal attendee of the call, not its requester
    body = await post(
        stack, outlook_invoke(stack.connector.url, sofia, card["refresh"]["action"], trigger="automatic")
    )
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    refreshed = body["value"]
    assert EDIT in texts(refreshed)
    assert_outlook_valid(refreshed)
    assert stack.connector.posted == [] or all(
        a["conversation"]["id"] != "outlook-mail-1" for a in stack.connector.posted
    )  # the answer is the invoke response: nothing went to the serviceUrl


async def test_someone_who_did_not_attend_gets_the_no_access_card_and_nothing_of_the_draft(
    emailed: tuple[Stack, dict[str, Any]],
) -> None:
    stack, mail = emailed
    card = card_in(mail)
    megan = person(stack, "Megan Bowen")  # internal, but not in the call
    body = await post(stack, outlook_invoke(stack.connector.url, megan, card["refresh"]["action"]))
    refused = body["value"]
    assert "No access" in texts(refused)
    assert "The pilot went well" not in texts(refused) and "Send the managed service" not in texts(refused)
    assert_outlook_valid(refused)


async def test_the_outlook_buttons_are_not_answered_from_teams(emailed: tuple[Stack, dict[str, Any]]) -> None:
    stack, mail = emailed
    card = card_in(mail)
    from_teams = click(stack.connector, VERB_OUTLOOK_REFRESH, card["refresh"]["action"]["data"])
    body = await post(stack, from_teams)
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "Outlook" in body["value"]


async def test_a_personal_message_from_another_channel_never_becomes_where_analyses_go(
    emailed: tuple[Stack, dict[str, Any]],
) -> None:
    stack, _mail = emailed
    sofia, daniel = person(stack, "Sofia Farías"), person(stack, "Daniel O'Neil")
    from_outlook = message("help", stack.connector) | {"from": sofia, "channelId": "outlook"}
    await post_message(stack, from_outlook)
    # The control, after it: Daniel's message from Teams is remembered. The state's writes run beside
    # the turns in the order the turns started, so once Daniel's is there, Sofia's would be too.
    await post_message(stack, message("help", stack.connector) | {"from": daniel})
    await settle(stack.app)  # both turns ran (their POSTs were answered first)
    for _ in range(200):
        if await stack.app[STATE].personal_chat(daniel["aadObjectId"].lower()) is not None:
            break
        await asyncio.sleep(0.05)
    assert await stack.app[STATE].personal_chat(daniel["aadObjectId"].lower()) is not None
    assert await stack.app[STATE].personal_chat(sofia["aadObjectId"].lower()) is None


async def test_past_the_deadline_the_answer_is_a_message_and_the_mail_keeps_its_card() -> None:
    """Outlook waits about 2 s on open: the bot answers by its deadline even while Graph is held,
    and the answer is a message (Outlook keeps the card it has), not a card nobody waits for."""
    env = {"MCEM_OUTLOOK_ORIGINATOR": ORIGINATOR, "MCEM_OUTLOOK_DEADLINE_SECONDS": "0.3"}
    async with draft_stack(env) as stack:
        summary = await stack.summary()
        [email] = [a for a in summary["actions"] if a.get("verb") == "email"]
        held = asyncio.Event()
        stack.bot.meetings.gate = held  # every meeting lookup waits until the test lets it go
        refresh = {"verb": VERB_OUTLOOK_REFRESH, "data": {"run_id": email["data"]["run_id"]}}
        status, body = await stack.bot.send(
            outlook_invoke(stack.bot.connector.url, USER, refresh, trigger="automatic")
        )
        answered_while_held = not held.is_set()
        held.set()
        assert status == 200 and answered_while_held
        assert body["type"] == "application/vnd.microsoft.activity.message"
        assert "taking long" in body["value"]
        assert ("meeting", USER["aadObjectId"], "m-1") in stack.bot.meetings.calls  # it had started


async def test_next_steps_done_marks_the_step_for_everyone_who_opens_the_mail(
    emailed: tuple[Stack, dict[str, Any]],
) -> None:
    # The card is rebuilt from the edited draft plus the analysis.json kept beside it, so its next
    # steps (and the button that ticks them) survive the round trip through SharePoint.
    stack, mail = emailed
    card = card_in(mail)
    [done_button] = [a for a in card["actions"] if a.get("verb") == VERB_STEPS_DONE]
    sofia, daniel = person(stack, "Sofia Farías"), person(stack, "Daniel O'Neil")
    body = await post(
        stack, outlook_invoke(stack.connector.url, sofia, done_button, inputs={DONE_INPUT: "0"})
    )
    marked = body["value"]
    assert "done — Sofia Farías" in texts(marked)
    assert [a["title"] for a in marked["actions"]] == ["Open the draft", "Refresh from the document"]
    # Daniel opens his copy later: the refresh shows Sofia's mark.
    later = await post(
        stack, outlook_invoke(stack.connector.url, daniel, card["refresh"]["action"], trigger="automatic")
    )
    assert "done — Sofia Farías" in texts(later["value"])
