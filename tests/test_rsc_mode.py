"""Least-privilege mode (MCEM_TRANSCRIPT_ACCESS=rsc) over HTTP: the Graph emulator playing an app
that holds only chat-scoped consent, the Bot Connector stand-in playing Teams (meeting-end event,
meeting details, members), the real msgraph-sdk and Agents SDK (hosting-msteams) in between.

The meeting-end event in a group chat ends in the summary card in the organizer's personal chat,
with no Graph call beyond the meeting's transcripts and the draft's upload; a meeting whose chat
does not have the app gets Graph's real 403 and a card that names the missing consent.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.app import ADAPTER, MEETING_CHATS, NOTIFICATIONS, RUNNER, STATE, create_app
from bot.meeting_chats import ACCEPTED
from bot.notifications import INTRO
from bot.services import Services
from bot.settings import settings_from_env
from graph.chat_meetings import ChatMeetings
from graph.client import make_graph_client
from graph.credentials import StaticTokenCredential
from graph.documents import GraphDocuments
from graph.emulator.seed import DEMO_USER_ID, DRIVE_ID, SeedMeeting
from graph.emulator.state import STATE as EMULATOR_STATE
from graph.refusals import NO_POLICY_OR_RSC
from mcem.errors import ConfigError
from tests.fixtures.bot.fakes import FakeAnalyzer, sample_vtt
from tests.support.bot import SUMMARY, free_port, summaries
from tests.support.cards import texts
from tests.support.connector import MEMBER, TENANT, Connector, click, mentioned, message
from tests.support.graph import Emulator, assert_valid, start_emulator

ODATA_ERROR = "#/components/schemas/microsoft.graph.ODataErrors.ODataError"
CUSTOMER = {
    "id": "29:guest-of-the-meeting",
    "name": "Priya Raman",
    "aadObjectId": "00000000-0000-0000-0000-00000000c0de",
    "tenantId": "another-tenant",
    "userRole": "user",
}


@dataclass
class RscStack:
    url: str
    app: web.Application
    connector: Connector
    emulator: Emulator
    analyzer: FakeAnalyzer
    meeting: SeedMeeting  # litware: Alex organised it; its transcript is published

    @property
    def chat(self) -> str:
        return self.meeting.thread

    @property
    def teams_meeting_id(self) -> str:
        # The id Teams puts in the meeting chat's channel data and events: base64 of "0#<thread>#0".
        return base64.b64encode(f"0#{self.meeting.thread}#0".encode()).decode()

    async def post(self, activity: dict[str, Any]) -> None:
        async with aiohttp.ClientSession() as http, http.post(self.url + "/api/messages", json=activity) as r:
            assert r.status in (200, 202), await r.text()

    async def settle(self) -> None:
        # The turns first: a POST is answered before its turn runs (bot/hosting.py), and the turn
        # is what hands a meeting chat its work.
        await asyncio.wait_for(self.app[ADAPTER].wait_idle(), 20)
        await asyncio.wait_for(self.app[MEETING_CHATS].wait_idle(), 20)
        await asyncio.wait_for(self.app[NOTIFICATIONS].wait_idle(), 20)
        await asyncio.wait_for(self.app[RUNNER].wait_idle(), 20)

    async def emulator_post(self, route: str, body: dict[str, Any]) -> dict[str, Any]:
        async with aiohttp.ClientSession() as http, http.post(self.emulator.origin + route, json=body) as r:
            assert r.status == 200, await r.text()
            return await r.json()

    def in_chat(self, activity: dict[str, Any]) -> dict[str, Any]:
        """``activity`` as Teams sends it from the meeting's group chat."""
        activity["conversation"] = {"id": self.chat, "conversationType": "groupChat", "tenantId": TENANT}
        activity["channelData"] = {"tenant": {"id": TENANT}, "meeting": {"id": self.teams_meeting_id}}
        return activity

    def meeting_end(self) -> dict[str, Any]:
        event = self.in_chat(message("", self.connector))
        del event["text"], event["textFormat"]
        event |= {"type": "event", "name": "application/vnd.microsoft.meetingEnd"}
        event["value"] = {
            "Id": self.teams_meeting_id,
            "MeetingType": "Scheduled",
            "JoinUrl": self.meeting.join_url(TENANT),
            "Title": self.meeting.subject,
            "EndTime": self.meeting.end.isoformat(),
        }
        return event

    async def graph_calls(self) -> list[tuple[str, int]]:
        return [(f"{r['method']} {r['path']}", r["status"]) for r in await self.emulator.requests()]


@pytest.fixture
async def stack() -> AsyncIterator[RscStack]:
    emulator, emulator_runner = await start_emulator()
    connector = Connector()
    connector_server = await connector.start()
    state = emulator.app[EMULATOR_STATE]
    meeting = next(m for m in state.seed.meetings if m.key == "litware")
    meeting.vtt = sample_vtt().encode()  # transcription was on this time, and it is published
    meeting.transcript_delay = timedelta(0)
    client = make_graph_client(StaticTokenCredential(), base_url=emulator.base_url)
    analyzer = FakeAnalyzer()
    services = Services(
        meetings=ChatMeetings(client),
        documents=GraphDocuments(client, DRIVE_ID),
        analyzer=analyzer,
        graph=client,
    )
    settings = settings_from_env({"MCEM_STATE_PATH": ":memory:", "MCEM_TRANSCRIPT_ACCESS": "rsc"})
    app = create_app(settings, services)
    port = free_port()
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    running = RscStack(f"http://127.0.0.1:{port}", app, connector, emulator, analyzer, meeting)
    # Teams' side of the meeting chat: its members and the meeting details it gives the app there.
    connector.members[meeting.thread] = [MEMBER, CUSTOMER]
    connector.meetings[running.teams_meeting_id] = {
        "id": running.teams_meeting_id,
        "details": {
            "id": running.teams_meeting_id,
            "msGraphResourceId": meeting.meeting_id,
            "type": "Scheduled",
            "joinUrl": meeting.join_url(TENANT),
            "title": meeting.subject,
            "scheduledStartTime": meeting.start.isoformat(),
            "scheduledEndTime": meeting.end.isoformat(),
        },
        "conversation": {"id": meeting.thread, "isGroup": True, "conversationType": "groupChat"},
        "organizer": {"id": MEMBER["id"], "aadObjectId": DEMO_USER_ID, "tenantId": TENANT},
    }
    # The app holds chat consent only, and is installed in this meeting's chat.
    await running.emulator_post("/_emulator/consent", {"mode": "rsc"})
    await running.emulator_post("/_emulator/installations", {"chat_id": meeting.thread})
    try:
        yield running
        assert connector.violations == [], connector.violations
    finally:
        await runner.cleanup()
        await connector_server.close()
        await emulator_runner.cleanup()


async def test_meeting_end_in_a_group_chat_sends_the_card_to_the_organizers_personal_chat(
    stack: RscStack,
) -> None:
    await stack.post(message("help", stack.connector))  # Alex has said hello in his personal chat
    await stack.settle()
    stack.connector.posted.clear()

    await stack.post(stack.meeting_end())
    await stack.settle()

    [delivered] = summaries(stack.connector)
    assert delivered["conversation"]["id"] == "personal-1"
    assert delivered["text"] == INTRO
    assert SUMMARY in texts(delivered["attachments"][0]["content"])
    assert [a for a in stack.connector.posted if a["conversation"]["id"] == stack.chat] == []
    assert len(stack.analyzer.seen) == 1
    # Only what chat consent allows: the meeting's transcripts, then the draft's upload.
    calls = await stack.graph_calls()
    base = f"/v1.0/users/{DEMO_USER_ID}/onlineMeetings/{stack.meeting.meeting_id}/transcripts"
    graph_reads = [c for c, _ in calls if not c.startswith(("PUT /v1.0/drives/", "GET /v1.0/drives/"))]
    assert graph_reads == [
        f"GET {base}",
        f"GET {base}/{stack.meeting.transcript_id}/content",
    ]
    assert all(status < 400 for _, status in calls), calls
    assert any(c.startswith("PUT /v1.0/drives/") for c, _ in calls)  # the .docx went to SharePoint
    assert await stack.app[STATE].transcript_status(stack.meeting.transcript_id) == "delivered"


async def test_the_personal_chat_keeps_its_tenant_when_hosting_msteams_parses_the_channel_data(
    stack: RscStack,
) -> None:
    # Teams may name the tenant in the channel data only; the Teams extension's before-turn hook
    # turns that into its own model before the state hooks read it.
    hello = message("help", stack.connector)
    del hello["conversation"]["tenantId"]
    await stack.post(hello)
    await stack.settle()
    chat = await stack.app[STATE].personal_chat(DEMO_USER_ID)
    assert chat is not None and chat.tenant_id == TENANT


async def test_a_second_meeting_end_and_an_analyze_in_the_chat_do_not_analyse_again(stack: RscStack) -> None:
    await stack.post(message("help", stack.connector))
    await stack.post(stack.meeting_end())
    await stack.settle()
    await stack.post(stack.meeting_end())  # Teams may send the event again
    await stack.post(
        stack.in_chat(mentioned("analyze last meeting", stack.connector, conversation="x", kind="x"))
    )
    await stack.settle()
    assert len(stack.analyzer.seen) == 1
    assert len(summaries(stack.connector)) == 1


async def test_analyze_in_the_meeting_chat_answers_there_and_delivers_to_the_organizer(
    stack: RscStack,
) -> None:
    await stack.post(message("help", stack.connector))
    await stack.settle()
    stack.connector.posted.clear()

    asked = stack.in_chat(mentioned("analyze last meeting", stack.connector, conversation="x", kind="x"))
    await stack.post(asked)
    await stack.settle()

    in_chat = [a for a in stack.connector.posted if a["conversation"]["id"] == stack.chat]
    assert [a.get("text") for a in in_chat] == [ACCEPTED]  # nothing about the meeting in the chat
    [delivered] = summaries(stack.connector)
    assert delivered["conversation"]["id"] == "personal-1"


async def test_after_a_restart_regenerate_still_finds_the_meeting_its_chat_described(
    stack: RscStack,
) -> None:
    await stack.post(message("help", stack.connector))
    await stack.post(stack.meeting_end())
    await stack.settle()
    [delivered] = summaries(stack.connector)
    [regenerate] = [
        a for a in delivered["attachments"][0]["content"]["actions"] if a.get("verb") == "regenerate"
    ]

    # A new process: a meeting source that has learned nothing yet, over the same bot state.
    client = make_graph_client(StaticTokenCredential(), base_url=stack.emulator.base_url)
    services = Services(
        meetings=ChatMeetings(client),
        documents=GraphDocuments(client, DRIVE_ID),
        analyzer=stack.analyzer,
        graph=client,
    )
    settings = settings_from_env({"MCEM_STATE_PATH": ":memory:", "MCEM_TRANSCRIPT_ACCESS": "rsc"})
    restarted = create_app(settings, services, state=stack.app[STATE])
    runner = web.AppRunner(restarted)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        url = f"http://127.0.0.1:{port}/api/messages"
        again = click(stack.connector, "regenerate", regenerate["data"])
        async with aiohttp.ClientSession() as http, http.post(url, json=again) as r:
            assert r.status == 200
            assert "Regenerating" in (await r.json())["value"]
        await asyncio.wait_for(restarted[ADAPTER].wait_idle(), 20)
        await asyncio.wait_for(restarted[RUNNER].wait_idle(), 20)
    finally:
        await runner.cleanup()
    assert len(stack.analyzer.seen) == 2  # analysed again, from the transcript of the same meeting
    cards = [u["attachments"][0]["content"] for u in stack.connector.updates if u.get("attachments")]
    assert cards and SUMMARY in texts(cards[-1])  # the Regenerate card ends in a summary
    assert not any("analyze last meeting" in texts(c) for c in cards)  # not "say it in the chat again"


async def test_a_chat_without_the_app_gets_graphs_403_and_a_card_naming_the_consent(stack: RscStack) -> None:
    await stack.emulator_post("/_emulator/installations", {"chat_id": stack.chat, "installed": False})
    asked = stack.in_chat(mentioned("analyze last meeting", stack.connector, conversation="x", kind="x"))
    await stack.post(asked)
    await stack.settle()

    [card] = stack.connector.cards()
    body = texts(card)
    assert NO_POLICY_OR_RSC.title in body and "OnlineMeetingTranscript.Read.Chat" in body
    assert stack.analyzer.seen == []
    calls = await stack.graph_calls()
    assert calls == [
        (f"GET /v1.0/users/{DEMO_USER_ID}/onlineMeetings/{stack.meeting.meeting_id}/transcripts", 403)
    ]


async def test_analyze_in_a_personal_chat_and_meetings_anywhere_say_where_to_ask(stack: RscStack) -> None:
    await stack.post(message("analyze last meeting", stack.connector))
    await stack.post(stack.in_chat(mentioned("meetings", stack.connector, conversation="x", kind="x")))
    await stack.settle()
    cards = stack.connector.cards()
    assert len(cards) == 2 and all("Ask me in the meeting's chat" in texts(c) for c in cards)
    assert await stack.graph_calls() == []  # no calendar to search with chat consent
    assert stack.analyzer.seen == []


# -- the emulator plays chat consent truthfully ----------------------------------------------------


async def test_the_emulator_serves_transcripts_only_for_chats_that_have_the_app() -> None:
    emulator, runner = await start_emulator()
    try:
        meeting = next(m for m in emulator.app[EMULATOR_STATE].seed.meetings if m.key == "litware")
        meeting.vtt = sample_vtt().encode()
        meeting.transcript_delay = timedelta(0)
        headers = {"Authorization": "Bearer t"}
        organizer = f"{emulator.base_url}/users/{meeting.organizer_id}"
        transcripts = f"{organizer}/onlineMeetings/{meeting.meeting_id}/transcripts"
        async with aiohttp.ClientSession(headers=headers) as http:

            async def get(url: str) -> tuple[int, Any]:
                async with http.get(url) as resp:
                    return resp.status, await resp.json() if resp.content_type == "application/json" else None

            async def post(route: str, body: dict[str, Any]) -> None:
                async with http.post(emulator.origin + route, json=body) as resp:
                    assert resp.status == 200

            assert (await get(transcripts))[0] == 200  # tenant-wide: the access policy covers Alex
            await post("/_emulator/consent", {"mode": "rsc"})
            status, body = await get(transcripts)
            assert status == 403
            assert_valid(body, ODATA_ERROR)
            assert "neither is allowed access through RSC permission evaluation" in body["error"]["message"]
            await post("/_emulator/installations", {"chat_id": meeting.thread})
            status, body = await get(transcripts)
            assert status == 200 and [t["id"] for t in body["value"]] == [meeting.transcript_id]
            status, _ = await get(f"{transcripts}/{meeting.transcript_id}/content?$format=text/vtt")
            assert status == 200
            # Nothing tenant-wide: users, calendars, meeting lookups and the tenant subscription.
            for url, code in (
                (organizer, "Authorization_RequestDenied"),
                (
                    f"{organizer}/calendarView?startDateTime=2020-01-01&endDateTime=2030-01-01",
                    "ErrorAccessDenied",
                ),
                (f"{organizer}/onlineMeetings/{meeting.meeting_id}", "Forbidden"),
            ):
                status, body = await get(url)
                assert (status, body["error"]["code"]) == (403, code), url
                assert_valid(body, ODATA_ERROR)
            subscription = {
                "changeType": "created",
                "notificationUrl": "https://bot.example.org/api/notifications",
                "resource": "communications/onlineMeetings/getAllTranscripts",
                "expirationDateTime": "2030-01-01T00:00:00Z",
                "clientState": "x" * 20,
            }
            async with http.post(f"{emulator.base_url}/subscriptions", json=subscription) as resp:
                assert resp.status == 403
                assert "OnlineMeetingTranscript.Read.All" in (await resp.json())["error"]["message"]
            await post("/_emulator/reset", {})
            assert (await get(transcripts))[0] == 200  # reset: tenant-wide again
    finally:
        await runner.cleanup()


def test_rsc_mode_refuses_the_tenant_wide_subscription() -> None:
    with pytest.raises(ConfigError, match=r"OnlineMeetingTranscript\.Read\.All"):
        settings_from_env(
            {
                "MCEM_TRANSCRIPT_ACCESS": "rsc",
                "MCEM_AUTO_ANALYZE": "on",
                "MCEM_PUBLIC_URL": "https://bot.example.org",
                "MCEM_NOTIFICATION_CLIENT_STATE": "x" * 20,
            }
        )
    with pytest.raises(ConfigError, match="tenant or rsc"):
        settings_from_env({"MCEM_TRANSCRIPT_ACCESS": "chat"})
    assert settings_from_env({}).transcript_access == "tenant"
