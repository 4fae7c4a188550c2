"""The summary card's Email and Refresh, and the typed ``refresh``, over HTTP as Teams drives them.

The bot is the real app (tests/test_bot_handlers.py's Bot Connector stand-in); the drafts live in
the Graph emulator's SharePoint library and the mail goes to its sendMail, both through the real
msgraph-sdk clients. Meetings and the analyzer are the recording fakes.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator

import docx
import pytest

from cards.validate import schema_errors, teams_findings
from graph.emulator.mail import MAILBOX
from graph.emulator.seed import DRIVE_ID, INTERNAL_DOMAIN
from graph.service import Attendee
from mcem.model import Side
from mcem.render import common
from tests.fixtures.bot.fakes import USER_ID, meeting, sample_analysis
from tests.support.cards import texts
from tests.support.connector import click, message
from tests.support.drafts import Stack, action, draft_stack
from tests.support.graph import assert_valid

SEND_MAIL_BODY = "#/components/requestBodies/sendMailRequestBody/content/application~1json/schema"
MEGAN = f"meganb@{INTERNAL_DOMAIN}"
ALEX = f"alexw@{INTERNAL_DOMAIN}"


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with draft_stack() as running:
        yield running


async def test_email_goes_to_the_internal_attendees_only(stack: Stack) -> None:
    email = action(await stack.summary(), "email")
    status, body = await stack.bot.send(click(stack.bot.connector, "email", email["data"]))
    assert status == 200
    assert body["value"] == "Sent to 2 internal attendees: Megan Bowen, Alex Wilber."
    assert stack.bot.connector.posted[-1]["text"] == body["value"]  # and a lasting note in the chat

    [sent] = stack.mail()
    assert sent["sender"] == USER_ID and sent["saveToSentItems"] is True
    assert sent["recipients"] == [MEGAN, ALEX]  # Priya (contoso.com) is not among them
    assert_valid(sent["request"], SEND_MAIL_BODY)
    html = sent["request"]["Message"]["body"]["content"]
    assert email["data"]["document_url"].replace("&", "&amp;") in html
    assert "The pilot went well" in html and common.CONFIDENTIAL in html
    assert sent["request"]["Message"]["subject"].startswith("Interview Analysis – Priya Raman, Contoso")


async def test_an_outside_address_on_the_internal_side_stops_the_whole_mail(stack: Stack) -> None:
    impostor = Attendee(name="Guest Consultant", email="guest@adatum.com", side=Side.internal)
    m = meeting()
    stack.bot.meetings.meetings = [m.model_copy(update={"attendees": (*m.attendees, impostor)})]
    email = action(await stack.summary(), "email")
    status, body = await stack.bot.send(click(stack.bot.connector, "email", email["data"]))
    assert status == 200 and body["value"].startswith("Not sent")
    card = stack.bot.connector.cards()[-1]
    assert "Not emailed" in texts(card) and "guest@adatum.com is outside your organisation" in texts(card)
    assert stack.mail() == []


async def test_no_internal_attendees_is_a_friendly_error(stack: Stack) -> None:
    m = meeting()
    customers_only = m.model_copy(
        update={
            "organizer": Attendee(name="Priya Raman", email="priya@contoso.com", side=Side.customer),
            "attendees": (),
        }
    )
    stack.bot.meetings.meetings = [customers_only]
    email = action(await stack.summary(), "email")
    await stack.bot.send(click(stack.bot.connector, "email", email["data"]))
    card = stack.bot.connector.cards()[-1]
    assert "no internal attendees" in texts(card) and "share the document link" in texts(card)
    assert stack.mail() == []


async def test_without_mail_send_permission_the_card_says_what_to_ask_for(stack: Stack) -> None:
    stack.emulator.app[MAILBOX].denied.add(USER_ID)
    email = action(await stack.summary(), "email")
    await stack.bot.send(click(stack.bot.connector, "email", email["data"]))
    card = stack.bot.connector.cards()[-1]
    assert "Mail.Send" in texts(card) and "admin" in texts(card)
    assert stack.mail() == []


async def test_only_the_person_who_ran_it_can_email_it(stack: Stack) -> None:
    email = action(await stack.summary(), "email")
    someone_else = {"id": "29:user-9", "name": "Megan Bowen", "aadObjectId": "another-user"}
    await stack.bot.send(click(stack.bot.connector, "email", email["data"], user=someone_else))
    assert "only the person who ran it" in texts(stack.bot.connector.cards()[-1])
    assert stack.mail() == []


def edit_draft(content: bytes) -> bytes:
    """Megan's edits in Word: a new first summary paragraph, the last recommendation rewritten."""
    document = docx.Document(io.BytesIO(content))
    paragraphs = document.paragraphs
    heading = next(i for i, p in enumerate(paragraphs) if p.text == common.EXECUTIVE_SUMMARY)
    paragraphs[heading + 1].text = "Edited in SharePoint: Contoso wants the rollout priced per plant."
    recs = [p for p in paragraphs if p.style is not None and p.style.name == "List Number"]
    recs[-1].text = ""
    recs[-1].add_run("Price the rollout per plant").bold = True
    recs[-1].add_run(" — so the CFO can approve it plant by plant.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


async def test_refresh_rebuilds_the_card_from_the_edited_draft(stack: Stack) -> None:
    summary = await stack.summary()
    dropped = sample_analysis().recommendations[-1].title
    assert "The pilot went well" in texts(summary) and dropped in texts(summary)
    item_id, content = await stack.draft()
    await stack.save(item_id, edit_draft(content))

    refresh = action(summary, "refresh")
    status, body = await stack.bot.send(click(stack.bot.connector, "refresh", refresh["data"]))
    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    card = body["value"]  # replaces the clicked card
    assert "Edited in SharePoint: Contoso wants the rollout priced per plant." in texts(card)
    assert "The pilot went well" not in texts(card) and dropped not in texts(card)
    assert "3. Price the rollout per plant" in texts(card)
    assert texts(card).count("Interview Analysis – Priya Raman, Contoso") == 1
    assert action(card, "refresh")["data"] == refresh["data"]  # the same run, refreshable again

    # And the email after the edit carries the edited words.
    await stack.bot.send(click(stack.bot.connector, "email", action(card, "email")["data"]))
    [sent] = stack.mail()
    assert "Edited in SharePoint" in sent["request"]["Message"]["body"]["content"]


async def test_typed_refresh_posts_the_latest_draft(stack: Stack) -> None:
    await stack.summary()
    item_id, content = await stack.draft()
    await stack.save(item_id, edit_draft(content))
    posted = len(stack.bot.connector.posted)
    await stack.bot.send(message("refresh", stack.bot.connector))
    await stack.bot.settle()
    [card] = [a["attachments"][0]["content"] for a in stack.bot.connector.posted[posted:]]
    assert "Edited in SharePoint" in texts(card)


async def test_typed_refresh_before_any_analysis_says_what_to_do(stack: Stack) -> None:
    await stack.bot.send(message("refresh", stack.bot.connector))
    await stack.bot.settle()
    [card] = stack.bot.connector.cards()
    assert "no analysis to refresh yet" in texts(card) and "analyze last meeting" in texts(card)


async def test_refresh_of_a_document_that_is_no_longer_a_draft_explains(stack: Stack) -> None:
    summary = await stack.summary()
    item_id, _ = await stack.draft()
    memo = docx.Document()
    memo.add_paragraph("Shopping list: milk, eggs.")
    out = io.BytesIO()
    memo.save(out)
    await stack.save(item_id, out.getvalue())
    status, body = await stack.bot.send(
        click(stack.bot.connector, "refresh", action(summary, "refresh")["data"])
    )
    assert status == 200 and body["value"].startswith("Not refreshed")
    card = stack.bot.connector.cards()[-1]
    assert "not an MCEM Interview Analysis draft" in texts(card) and "Word" in texts(card)


async def test_analysing_again_never_overwrites_the_edited_draft(stack: Stack) -> None:
    await stack.summary()
    first_id, content = await stack.draft()
    edited = edit_draft(content)
    await stack.save(first_id, edited)

    await stack.summary()  # the same meeting again: a new draft beside the edited one
    second_id, _ = await stack.draft()
    assert second_id != first_id
    item = stack.graph.drives.by_drive_id(DRIVE_ID).items.by_drive_item_id
    assert await item(first_id).content.get() == edited
    first, second = await item(first_id).get(), await item(second_id).get()
    assert first is not None and second is not None
    assert second.name == first.name.removesuffix(".docx") + " 1.docx"  # type: ignore[union-attr]


async def test_a_second_email_click_says_it_was_sent_and_offers_send_again(stack: Stack) -> None:
    email = action(await stack.summary(), "email")
    status, first = await stack.bot.send(click(stack.bot.connector, "email", email["data"]))
    assert status == 200 and first["value"].startswith("Sent to 2 internal attendees")
    posted = len(stack.bot.connector.posted)

    status, second = await stack.bot.send(click(stack.bot.connector, "email", email["data"]))
    assert status == 200 and len(stack.mail()) == 1  # not mailed again
    assert re.fullmatch(
        r"Already sent to Megan Bowen, Alex Wilber at \d\d \w{3} \d{4} \d\d:\d\d UTC; "
        r"use Send again to resend\.",
        second["value"],
    )
    [notice] = [a["attachments"][0]["content"] for a in stack.bot.connector.posted[posted:]]
    assert schema_errors(notice) == [] and teams_findings(notice) == []
    assert "Sent to Megan Bowen, Alex Wilber." in texts(notice)
    [again] = notice["actions"]
    assert again["title"] == "Send again" and again["verb"] == "email"
    assert again["data"] == email["data"] | {"force": True}

    status, resent = await stack.bot.send(click(stack.bot.connector, "email", again["data"]))
    assert status == 200 and resent["value"].startswith("Sent to 2 internal attendees")
    assert len(stack.mail()) == 2 and stack.mail()[1]["recipients"] == [MEGAN, ALEX]

    _status, third = await stack.bot.send(click(stack.bot.connector, "email", email["data"]))
    assert third["value"].startswith("Already sent") and len(stack.mail()) == 2


async def test_a_double_click_sends_once(stack: Stack) -> None:
    email = action(await stack.summary(), "email")
    answers = await asyncio.gather(
        *(stack.bot.send(click(stack.bot.connector, "email", email["data"])) for _ in range(2))
    )
    assert len(stack.mail()) == 1
    assert sorted(body["value"][:12] for _status, body in answers) == ["Already sent", "Sent to 2 in"]


async def test_a_failed_email_is_not_remembered_as_sent(stack: Stack) -> None:
    email = action(await stack.summary(), "email")
    stack.bot.meetings.meetings = []  # the meeting can no longer be found: nothing is sent
    await stack.bot.send(click(stack.bot.connector, "email", email["data"]))
    assert stack.mail() == []
    stack.bot.meetings.meetings = [meeting()]
    _status, body = await stack.bot.send(click(stack.bot.connector, "email", email["data"]))
    assert body["value"].startswith("Sent to 2 internal attendees") and len(stack.mail()) == 1
