"""GraphMail through the real msgraph-sdk client, over HTTP, against the emulator's sendMail.

What the emulator receives is checked against the sendMail request body of the published Graph
OpenAPI subset; the rule "never outside the tenant's domains" is checked where it must hold: the
emulator receives nothing at all.
"""

from __future__ import annotations

import aiohttp
import pytest
from msgraph import GraphServiceClient

from graph.emulator.mail import MAILBOX
from graph.emulator.seed import DEMO_USER_ID, INTERNAL_DOMAIN
from graph.mail import GraphMail, MailRefused, check_recipients
from graph.service import AccessDenied, Attendee
from mcem.model import Side
from tests.support.graph import Emulator, assert_valid, client, emulator

__all__ = ["client", "emulator"]  # fixtures, used by name

SEND_MAIL_BODY = "#/components/requestBodies/sendMailRequestBody/content/application~1json/schema"
MEGAN = Attendee(name="Megan Bowen", email=f"meganb@{INTERNAL_DOMAIN}", side=Side.internal)
ADELE = Attendee(name="Adele Vance", email=f"AdeleV@{INTERNAL_DOMAIN.upper()}", side=Side.internal)
CUSTOMER = Attendee(name="Priya Raman", email="priya@contoso.com", side=Side.customer)
HTML = '<html><body><p style="color:#242424">Summary &amp; link</p></body></html>'


async def sent(emulator: Emulator) -> list[dict]:
    async with aiohttp.ClientSession() as http, http.get(emulator.origin + "/_emulator/mail") as resp:
        assert resp.status == 200
        return (await resp.json())["messages"]


@pytest.fixture
def mail(client: GraphServiceClient) -> GraphMail:
    return GraphMail(client, tenant_domains=[INTERNAL_DOMAIN])


async def test_sends_as_the_user_to_internal_attendees_and_keeps_a_copy(
    mail: GraphMail, emulator: Emulator
) -> None:
    to = await mail.send(DEMO_USER_ID, [MEGAN, ADELE, MEGAN], "Interview Analysis – Helen, Contoso", HTML)
    assert [p.name for p in to] == ["Megan Bowen", "Adele Vance"]  # once each
    [message] = await sent(emulator)
    assert message["sender"] == DEMO_USER_ID and message["from"] == f"alexw@{INTERNAL_DOMAIN}"
    assert message["recipients"] == [MEGAN.email, ADELE.email]
    assert message["saveToSentItems"] is True
    body = message["request"]
    assert_valid(body, SEND_MAIL_BODY)
    assert body["Message"]["body"] == {"contentType": "html", "content": HTML}
    assert body["Message"]["subject"] == "Interview Analysis – Helen, Contoso"
    assert body["Message"]["toRecipients"][0]["emailAddress"]["name"] == "Megan Bowen"
    paths = [(r["method"], r["path"]) for r in await emulator.requests()]
    assert ("POST", f"/v1.0/users/{DEMO_USER_ID}/sendMail") in paths


async def test_one_address_outside_the_tenant_and_nothing_is_sent(
    mail: GraphMail, emulator: Emulator
) -> None:
    # Even when the caller marked the outsider as internal: the domain decides.
    disguised = CUSTOMER.model_copy(update={"side": Side.internal})
    with pytest.raises(MailRefused, match=r"priya@contoso\.com is outside your organisation"):
        await mail.send(DEMO_USER_ID, [MEGAN, disguised], "Subject", HTML)
    lookalike = Attendee(name="X", email=f"x@evil{INTERNAL_DOMAIN}", side=Side.internal)
    with pytest.raises(MailRefused, match="outside your organisation"):
        await mail.send(DEMO_USER_ID, [lookalike], "Subject", HTML)
    assert await sent(emulator) == []
    assert await emulator.requests() == []  # refused before any call to Graph


async def test_no_internal_attendees_is_refused_with_a_reason(mail: GraphMail, emulator: Emulator) -> None:
    with pytest.raises(MailRefused, match="no internal attendees"):
        await mail.send(DEMO_USER_ID, [], "Subject", HTML)
    nameless = Attendee(name="Someone", email="", side=Side.internal)
    with pytest.raises(MailRefused, match="no valid email address"):
        await mail.send(DEMO_USER_ID, [nameless], "Subject", HTML)
    assert await sent(emulator) == []


async def test_without_configured_domains_the_senders_own_domain_is_the_tenants(
    client: GraphServiceClient, emulator: Emulator
) -> None:
    mail = GraphMail(client)
    with pytest.raises(MailRefused, match="outside"):
        await mail.send(DEMO_USER_ID, [MEGAN, CUSTOMER], "Subject", HTML)
    assert await sent(emulator) == []
    await mail.send(DEMO_USER_ID, [MEGAN], "Subject", HTML)
    assert [m["recipients"] for m in await sent(emulator)] == [[MEGAN.email]]


async def test_no_mail_send_permission_says_what_the_admin_must_grant(
    mail: GraphMail, emulator: Emulator
) -> None:
    emulator.app[MAILBOX].denied.add(DEMO_USER_ID)
    with pytest.raises(AccessDenied, match=r"Mail\.Send"):
        await mail.send(DEMO_USER_ID, [MEGAN], "Subject", HTML)
    assert await sent(emulator) == []


async def test_an_unknown_sender_is_not_found_in_the_directory(mail: GraphMail, emulator: Emulator) -> None:
    with pytest.raises(AccessDenied, match="directory"):
        await mail.send("no-such-user", [MEGAN], "Subject", HTML)
    with pytest.raises(MailRefused, match="who is sending"):
        await mail.send("", [MEGAN], "Subject", HTML)


def test_check_recipients_needs_known_domains() -> None:
    with pytest.raises(MailRefused, match="MCEM_TENANT_DOMAINS"):
        check_recipients([MEGAN], [])
    assert check_recipients([ADELE], [f"@{INTERNAL_DOMAIN}"]) == [ADELE]  # case and "@" do not matter
