"""`account <company>` in the real app: analyses recorded per company, sidecars in SharePoint, who sees what.

Over HTTP, as Teams drives it: the app with the Bot Connector stand-in; meetings, transcripts and the
drafts' library in the Graph emulator through the real msgraph-sdk clients; the offline analyzer; the
bot's own SQLite state. The three seeded Contoso calls (samples/contoso-account/) are analysed from
Teams first, as a user would. The summary emails carry the Outlook card, whose "Next steps done"
marks reach the account history.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import docx
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
from graph.emulator.mail import MAILBOX
from graph.emulator.seed import DRIVE_ID, INTERNAL_DOMAIN
from graph.emulator.state import STATE as EMULATOR_STATE
from graph.mail import GraphMail
from graph.meetings import GraphMeetings
from mcem.offline import OfflineAnalyzer
from mcem.render.card.outlook import DONE_INPUT, VERB_STEPS_DONE
from mcem.render.email import CARD_SCRIPT_TYPE
from tests.support.accounts import SPEC
from tests.support.bot import Bot, settle
from tests.support.cards import texts
from tests.support.connector import MEMBER, TENANT, Connector, click, mentioned, message, outlook_invoke
from tests.support.graph import Emulator, start_emulator

# One stack and one pass over the three calls for the whole module: analysing is the slow part.
pytestmark = pytest.mark.asyncio(loop_scope="module")

MEGAN = {"id": "29:user-1", "name": "Megan Bowen", "aadObjectId": "00000000-0000-0000-0000-0000000000021"}
# Patti attended none of the calls either, but she is in Contoso's account team (MCEM_ACCOUNT_TEAMS).
PATTI = {"id": "29:user-4", "name": "Patti Fernandez", "aadObjectId": "00000000-0000-0000-0000-0000000000024"}
ISAIAH = {"id": "29:user-3", "name": "Isaiah Langer", "aadObjectId": "00000000-0000-0000-0000-0000000000023"}
OUTSIDER = "00000000-0000-0000-0000-0000000000099"
ORIGINATOR = "c9b4352b-a76b-43b9-88ff-80edddaa243b"


@dataclass
class Stack:
    bot: Bot
    emulator: Emulator
    services: Services
    summaries: list[dict[str, Any]] = field(default_factory=list)  # each call's summary card, in order

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
            summary = self.bot.connector.updates[-1]["attachments"][0]["content"]
            assert "Interview Analysis" in texts(summary)
            self.summaries.append(summary)

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
        mail=GraphMail(graph, tenant_domains=[INTERNAL_DOMAIN]),
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
    env = {"MCEM_ACCOUNT_TEAMS": f"Contoso={PATTI['aadObjectId']}", "MCEM_OUTLOOK_ORIGINATOR": ORIGINATOR}
    async for s in _stack(env):
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


async def test_a_brief_for_fewer_than_every_call_is_not_saved_over_the_accounts(stack: Stack) -> None:
    def brief_writes(paths: list[str]) -> int:
        return sum(1 for p in paths if "Account%20brief" in p or "Account brief" in p)

    before = brief_writes(await stack.drive_paths())
    card = await stack.ask("account Contoso", sender=ISAIAH)  # sees 2 of the 3 calls
    assert "Built from the calls you organised or attended" in texts(card)
    assert "actions" not in card or card["actions"] == []  # no link to the whole account's brief
    assert brief_writes(await stack.drive_paths()) == before
    card = await stack.ask("account Contoso", sender=PATTI)  # the account team: every call
    assert "Built from the calls you organised" not in texts(card)
    assert [a["title"] for a in card["actions"]] == ["Open the account brief"]
    assert brief_writes(await stack.drive_paths()) == before + 1


def _outlook_user(stack: Stack, name: str) -> dict[str, Any]:
    [user] = [u for u in stack.emulator.app[EMULATOR_STATE].seed.users.values() if u.name == name]
    return {"id": f"outlook-user-{user.id[-2:]}", "name": user.name, "aadObjectId": user.id}


def _docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


async def test_next_steps_done_in_outlook_shows_in_the_account_card_and_brief(stack: Stack) -> None:
    """Alex emails the first call's summary; Lynne, who organised that call, ticks one of its next steps
    in Outlook; Alex's account card and the Word brief in SharePoint show it done by her, today. Isaiah
    did not attend that call: his card shows nothing of the mark."""
    first = stack.summaries[0]
    [email] = [a for a in first["actions"] if a.get("verb") == "email"]
    status, reply = await stack.bot.send(click(stack.bot.connector, "email", email["data"]))
    assert status == 200 and reply["value"].startswith("Sent to"), reply
    mail = stack.emulator.app[MAILBOX].sent[-1]
    outlook_card = _card_in_mail(mail)
    [button] = [a for a in outlook_card["actions"] if a.get("verb") == VERB_STEPS_DONE]
    choices = _choices(outlook_card)
    [step] = [value for title, value in choices.items() if title.startswith("Bring Isaiah")]
    lynne = _outlook_user(stack, "Lynne Robbins")
    status, body = await stack.bot.send(
        outlook_invoke(stack.bot.connector.url, lynne, button, inputs={DONE_INPUT: step})
    )
    assert status == 200 and "done — Lynne Robbins" in texts(body["value"]), body
    today = datetime.now(UTC)
    said = f"Marked done by Lynne Robbins in Outlook, {today.day} {today:%b %Y}."

    card = await stack.ask("account Contoso")
    text = texts(card)
    done = text[text.index("| Next steps done |") :]
    assert "✓ Bring Isaiah, our cloud solution architect" in done and said in done
    assert (
        "Bring Isaiah"
        not in text[text.index("| Next steps still open |") : text.index("| Next steps done |")]
    )
    [open_brief] = card["actions"]
    async with aiohttp.ClientSession() as http, http.get(open_brief["url"]) as response:
        brief = _docx_text(await response.read())
    done = brief[brief.index("Next steps done") :]
    assert "Bring Isaiah, our cloud solution architect" in done and f"✓ {said}" in done

    isaiah = texts(await stack.ask("account Contoso", sender=ISAIAH))
    assert "Lynne Robbins in Outlook" not in isaiah and "Bring Isaiah" not in isaiah


def _card_in_mail(mail: dict[str, Any]) -> dict[str, Any]:
    body = mail["request"]["Message"]["body"]["content"]
    opening = f'<script type="{CARD_SCRIPT_TYPE}">'  # its JSON escapes <, > and &: no tag ends it early
    start = body.index(opening) + len(opening)
    card: dict[str, Any] = json.loads(body[start : body.index("</script>", start)])
    return card


def _choices(card: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("id") == DONE_INPUT:
                found.update({c["title"]: c["value"] for c in node["choices"]})
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


async def test_a_call_analysed_again_is_still_one_call_and_keeps_its_marks(stack: Stack) -> None:
    """Runs after the Outlook test above: Lynne's mark was made on the first analysis of call 1."""
    first = stack.summaries[0]
    [regenerate] = [a for a in first["actions"] if a.get("verb") == "regenerate"]
    status, _ = await stack.bot.send(click(stack.bot.connector, "regenerate", regenerate["data"]))
    assert status == 200
    await settle(stack.bot.app, 120)
    assert "Interview Analysis" in texts(stack.bot.connector.updates[-1]["attachments"][0]["content"])
    entries = await stack.bot.app[STATE].account_entries("contoso")
    assert len(entries) == 4 and len({e.meeting_id for e in entries}) == 3
    text = texts(await stack.ask("account Contoso"))
    assert text.startswith("Account brief – Contoso | 3 calls")
    assert "Marked done by Lynne Robbins in Outlook" in text
