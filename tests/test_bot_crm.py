"""The opt-in CRM in the real app: `analyze` in Teams, then a note and tasks in Dynamics 365.

Over HTTP end to end: the app with the Bot Connector stand-in; the meeting, its transcript and the
drafts' library in the Graph emulator through msgraph-sdk; the offline analyzer; the bot's SQLite
state; and the Dataverse stand-in (tests/stubs/dataverse_stub.py), reached by the real client that
``crm_from_env`` builds from the same settings the bot reads. The call is the seeded Contoso design
workshop, with its aside about the Leipzig site said in confidence.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.crm import crm_from_env
from bot.services import Services
from bot.settings import settings_from_env
from graph.client import make_graph_client
from graph.credentials import StaticTokenCredential
from graph.documents import GraphDocuments
from graph.emulator.seed import DRIVE_ID, INTERNAL_DOMAIN
from graph.meetings import GraphMeetings
from mcem.offline import OfflineAnalyzer
from tests.stubs.dataverse_stub import TOKEN, DataverseStub, seed_demo
from tests.support.accounts import SPEC
from tests.support.bot import Bot, settle
from tests.support.cards import texts
from tests.support.connector import Connector, click, message
from tests.support.graph import Emulator, start_emulator

WORKSHOP = SPEC["calls"][1]  # Contoso – Sentinel design workshop, 23 days before the emulator's start


@dataclass
class Stack:
    bot: Bot
    emulator: Emulator
    dataverse: DataverseStub

    async def analyse_the_workshop(self) -> dict[str, Any]:
        day = (datetime.now(UTC) - timedelta(days=WORKSHOP["days_ago"])).date()
        return await self.turn(
            message(f"analyze Sentinel design workshop {day.isoformat()}", self.bot.connector)
        )

    async def turn(self, activity: dict[str, Any]) -> dict[str, Any]:
        status, _ = await self.bot.send(activity)
        assert status in (200, 201, 202)
        await settle(self.bot.app, 120)  # the turn runs after the POST's answer, then its analysis
        return self.bot.connector.updates[-1]["attachments"][0]["content"]


async def _stack(env: dict[str, str]) -> AsyncIterator[Stack]:
    dataverse = DataverseStub()
    seed_demo(dataverse)
    await dataverse.start()
    emulator, emulator_runner = await start_emulator()
    graph = make_graph_client(StaticTokenCredential(), base_url=emulator.base_url)
    connector = Connector()
    connector_server = await connector.start()
    # The settings the deployment would have: the stand-in's address (and its token) beside MCEM_CRM.
    crm_env = {"MCEM_DATAVERSE_URL": dataverse.url, "MCEM_DATAVERSE_TOKEN": TOKEN, **env}
    crm = crm_from_env(crm_env)
    services = Services(
        meetings=GraphMeetings(graph, tenant_domains=[INTERNAL_DOMAIN]),
        documents=GraphDocuments(graph, DRIVE_ID),
        analyzer=OfflineAnalyzer(),
        graph=graph,
        crm=crm,
    )
    app: web.Application = create_app(settings_from_env({"MCEM_STATE_PATH": ":memory:", **crm_env}), services)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    try:
        yield Stack(Bot(client, connector, None, app), emulator, dataverse)  # type: ignore[arg-type]
        assert connector.violations == [], connector.violations
        assert dataverse.violations == [], dataverse.violations
    finally:
        await client.close()
        if crm is not None:
            await crm.aclose()
        await connector_server.close()
        await emulator_runner.cleanup()
        await dataverse.stop()


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async for s in _stack({"MCEM_CRM": "dynamics"}):
        yield s


def crm_line(card: dict[str, Any]) -> str:
    return next(line for line in texts(card).split(" | ") if line.startswith("Dynamics 365"))


async def test_analyze_then_regenerate_leaves_one_note_and_one_task_per_step(stack: Stack) -> None:
    card = await stack.analyse_the_workshop()
    text = texts(card)
    assert "Interview Analysis" in text
    dv = stack.dataverse
    tasks = dv.records("tasks")
    assert len(dv.records("annotations")) == 1 and len(tasks) >= 3
    assert crm_line(card) == f"Dynamics 365: note and {len(tasks)} tasks added on the account “Contoso”."
    [note] = dv.records("annotations")
    [button] = [a for a in card["actions"] if a.get("type") == "Action.OpenUrl"]
    assert f"Draft: {button['url']}" in note["notetext"]  # the draft's link, as the card opens it
    # The Microsoft owners are Dynamics users, found by their Teams address; the customer's are not.
    owners = {t["ownerid_task@odata.bind"] for t in tasks if "ownerid_task@odata.bind" in t}
    users = {f"/systemusers({u['systemuserid']})": u["fullname"] for u in dv.records("systemusers")}
    assert owners and {users[o] for o in owners} <= {"Adele Vance", "Isaiah Langer", "Lynne Robbins"}
    # Nothing said in confidence went over the wire.
    assert "Leipzig" not in json.dumps([(s.path, s.query, s.body) for s in dv.seen])

    [regenerate] = [a for a in card["actions"] if a.get("verb") == "regenerate"]
    before = len(dv.seen)
    again = await stack.turn(click(stack.bot.connector, "regenerate", regenerate["data"]))
    assert "Interview Analysis" in texts(again)
    assert crm_line(again) == f"Dynamics 365: note and {len(tasks)} tasks updated on the account “Contoso”."
    assert len(dv.records("annotations")) == 1 and len(dv.records("tasks")) == len(tasks)
    assert {s.method for s in dv.seen[before:]} == {"GET", "PATCH"}  # found and updated, nothing added


async def test_two_analyses_of_one_meeting_at_once_still_leave_one_note(stack: Stack) -> None:
    # A slow account lookup makes the two overlap: without the meeting's CRM lease both would find no
    # earlier record and each add a note and the tasks.
    stack.dataverse.delays["accounts"] = 0.5
    day = (datetime.now(UTC) - timedelta(days=WORKSHOP["days_ago"])).date()
    ask = message(f"analyze Sentinel design workshop {day.isoformat()}", stack.bot.connector)
    for _ in range(2):
        status, _ = await stack.bot.send(ask)
        assert status in (200, 201, 202)
    await settle(stack.bot.app, 120)
    cards = [u["attachments"][0]["content"] for u in stack.bot.connector.updates[-2:]]
    lines = sorted(crm_line(c).split(" tasks ")[1] for c in cards)
    assert lines == ["added on the account “Contoso”.", "updated on the account “Contoso”."]
    dv = stack.dataverse
    assert len(dv.records("annotations")) == 1
    assert len(dv.records("tasks")) == len({t["subject"] for t in dv.records("tasks")})


async def test_a_dataverse_refusal_still_delivers_the_summary_card_with_the_reason(stack: Stack) -> None:
    stack.dataverse.fail("POST", "annotations", 403, times=5)
    card = await stack.analyse_the_workshop()
    assert "Interview Analysis" in texts(card) and "Recommendations" in texts(card)
    assert crm_line(card) == (
        "Dynamics 365 was not updated: "
        "the app's Dataverse user lacks a security role that may write notes and tasks."
    )
    assert stack.dataverse.records("annotations") == [] and stack.dataverse.records("tasks") == []


async def test_without_mcem_crm_nothing_is_sent_even_with_an_address_set() -> None:
    async for stack in _stack({}):
        card = await stack.analyse_the_workshop()
        assert "Interview Analysis" in texts(card) and "Dynamics 365" not in texts(card)
        assert stack.dataverse.seen == []
