"""Nothing internal reaches a guest.

A B2B guest's sign-in name is in the host tenant's domain
(``alice_fabrikam.com#EXT#@<tenant>.onmicrosoft.com``), so a domain check alone calls them
internal. Over HTTP, as Teams drives it: the real app with the Bot Connector stand-in; meetings,
drafts and mail in the Graph emulator through the real msgraph-sdk clients; the analyzer is the
recording fake.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.services import Services
from graph.client import make_graph_client
from graph.credentials import StaticTokenCredential
from graph.documents import GraphDocuments
from graph.emulator.mail import MAILBOX
from graph.emulator.seed import DRIVE_ID, INTERNAL_DOMAIN, Person
from graph.emulator.state import STATE as EMULATOR_STATE
from graph.mail import GraphMail, MailRefused, check_recipients
from graph.meetings import GraphMeetings
from graph.service import Attendee
from mcem.model import Side
from tests.fixtures.bot.fakes import FakeAnalyzer
from tests.support.bot import Bot, settle, start_bot
from tests.support.cards import texts
from tests.support.connector import TEAMMATE, TENANT, USER, click, mentioned, message
from tests.support.graph import Emulator, start_emulator

GUEST = f"alice_fabrikam.com#EXT#@{INTERNAL_DOMAIN}"


@dataclass
class Stack:
    bot: Bot
    emulator: Emulator

    async def summary(self) -> dict[str, Any]:
        await self.bot.send(message("analyze last meeting", self.bot.connector))
        # The first Graph reply of a process loads msgraph-sdk's models: generous on a busy machine.
        await settle(self.bot.app, 60)
        return self.bot.connector.updates[-1]["attachments"][0]["content"]

    def mail(self) -> list[dict[str, Any]]:
        return self.emulator.app[MAILBOX].sent


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    emulator, emulator_runner = await start_emulator()
    # A guest from Fabrikam was invited to every meeting, under their sign-in name in this tenant.
    for seeded in emulator.app[EMULATOR_STATE].seed.meetings:
        seeded.attendees.append(Person("Alice Guest", GUEST))
    graph = make_graph_client(StaticTokenCredential(), base_url=emulator.base_url)
    services = Services(
        meetings=GraphMeetings(graph, tenant_domains=[INTERNAL_DOMAIN]),
        documents=GraphDocuments(graph, DRIVE_ID),
        analyzer=FakeAnalyzer(),
        mail=GraphMail(graph, tenant_domains=[INTERNAL_DOMAIN]),
        graph=graph,
    )
    try:
        async for bot in start_bot({}, services=services):  # the tests' one bot stack
            yield Stack(bot, emulator)
    finally:
        await emulator_runner.cleanup()


async def test_a_guest_sign_in_name_is_not_an_internal_attendee_and_gets_no_email(stack: Stack) -> None:
    card = await stack.summary()
    [email] = [a for a in card["actions"] if a.get("verb") == "email"]
    status, body = await stack.bot.send(click(stack.bot.connector, "email", email["data"]))
    assert status == 200 and body["value"].startswith("Sent to ")
    assert "Alice" not in body["value"]
    [sent] = stack.mail()
    assert sent["recipients"] and GUEST.lower() not in [r.lower() for r in sent["recipients"]]
    assert all(r.endswith("@" + INTERNAL_DOMAIN) and "#" not in r for r in sent["recipients"])


def test_the_last_check_before_graph_refuses_a_guest_sign_in_name_on_the_tenants_domain() -> None:
    """Whatever a caller passes as internal, the mail step itself refuses a guest account."""
    internal = Attendee(name="Megan Bowen", email=f"meganb@{INTERNAL_DOMAIN}", side=Side.internal)
    for address in (GUEST, GUEST.replace("#EXT#", "#ext#"), f"bob_contoso.com#EXT#@{INTERNAL_DOMAIN}"):
        guest = Attendee(name="Alice Guest", email=address, side=Side.internal)
        with pytest.raises(MailRefused, match="guest account"):
            check_recipients([internal, guest], [INTERNAL_DOMAIN])
    assert check_recipients([internal], [INTERNAL_DOMAIN]) == [internal]


# --- conversations with someone from outside -------------------------------------------------

ME = USER | {"tenantId": TENANT, "userRole": "user"}
OUTSIDERS = {
    "a guest": ({"id": "29:guest", "name": "Guest", "tenantId": TENANT, "userRole": "guest"}, "is a guest"),
    "another tenant": (
        {"id": "29:ext", "name": "Partner", "tenantId": "other-tenant", "userRole": "user"},
        "another organisation",
    ),
    "nobody can tell": ({"id": "29:who", "name": "Someone"}, "did not say which organisation"),
}


def in_group(activity: dict[str, Any]) -> dict[str, Any]:
    activity["conversation"] = {"id": "group-1", "conversationType": "groupChat", "tenantId": TENANT}
    return activity


def refusals(stack: Stack) -> list[str]:
    return [texts(c) for c in stack.bot.connector.cards() if "Not in this conversation" in texts(c)]


async def graph_meeting_reads(stack: Stack) -> list[str]:
    return [
        r["path"]
        for r in await stack.emulator.requests()
        if "/calendarView" in r["path"] or "/onlineMeetings" in r["path"]
    ]


@pytest.mark.parametrize("who", sorted(OUTSIDERS))
async def test_meetings_are_not_listed_where_someone_is_from_outside(stack: Stack, who: str) -> None:
    member, why = OUTSIDERS[who]
    stack.bot.connector.members["group-1"] = [ME, member]
    await stack.bot.send(
        in_group(mentioned("meetings", stack.bot.connector, conversation="group-1", kind="groupChat"))
    )
    await settle(stack.bot.app, 60)
    [refusal] = refusals(stack)
    assert why in refusal
    assert not any("Contoso" in texts(c) for c in stack.bot.connector.cards())  # no subject shown
    assert await graph_meeting_reads(stack) == []  # nothing was even looked up


async def test_meetings_are_listed_where_everyone_is_internal(stack: Stack) -> None:
    stack.bot.connector.members["group-1"] = [ME, TEAMMATE]
    await stack.bot.send(
        in_group(mentioned("meetings", stack.bot.connector, conversation="group-1", kind="groupChat"))
    )
    await settle(stack.bot.app, 60)
    assert refusals(stack) == [] and len(stack.bot.connector.cards()) == 1


@pytest.mark.parametrize("who", sorted(OUTSIDERS))
async def test_no_card_action_shows_meeting_data_where_someone_is_from_outside(
    stack: Stack, who: str
) -> None:
    stack.bot.connector.members["personal-1"] = [ME]
    summary = await stack.summary()  # analysed in the personal chat, where it may be
    data = {a["verb"]: a["data"] for a in summary["actions"] if a.get("verb")}
    member, why = OUTSIDERS[who]
    stack.bot.connector.members["group-1"] = [ME, member]
    before = len(stack.bot.connector.posted)
    for verb in ("email", "refresh", "regenerate", "analyze"):
        payload = data.get(verb, {"command": "last"})
        status, body = await stack.bot.send(in_group(click(stack.bot.connector, verb, payload, user=USER)))
        assert status == 200, verb
        shown = json.dumps(body)
        assert "Megan" not in shown and "Contoso" not in shown, verb  # no attendee, no subject
    await settle(stack.bot.app, 60)
    assert stack.mail() == []  # not emailed either
    new = stack.bot.connector.posted[before:]
    assert new and all("Not in this conversation" in texts(a["attachments"][0]["content"]) for a in new)
    assert all(why in texts(a["attachments"][0]["content"]) for a in new)
