"""Journey 2 over HTTP: the Graph emulator subscribes the live bot (handshake and all), publishes a
transcript, and the summary card reaches the organizer's personal chat through the Bot Connector
stand-in — once per transcript, never on a wrong clientState, and still after a restart.

Graph is the emulator behind the real msgraph-sdk client; only the analyzer is the fixture fake.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from microsoft_agents.hosting.core import ChannelAdapter

from bot.app import KEEPER, NOTIFICATIONS, STATE
from bot.notifications import INTRO, TranscriptNotifications
from bot.runner import JobRunner
from bot.services import Services
from bot.settings import BotSettings
from bot.state import open_state
from graph.emulator.seed import DEMO_USER_ID
from graph.emulator.state import STATE as EMULATOR_STATE
from tests.fixtures.bot.fakes import FakeAnalyzer, FakeDocuments, FakeMeetings, sample_vtt
from tests.support.bot import SECRET, SUMMARY, Stack, running_stack, start_bot, summaries
from tests.support.cards import texts
from tests.support.connector import USER, Connector, message
from tests.support.graph import start_emulator


@pytest.fixture
async def stack() -> AsyncIterator[Stack]:
    async with running_stack() as running:
        yield running


async def test_start_up_subscribes_and_graph_validates_the_live_endpoint(stack: Stack) -> None:
    calls = await stack.graph_calls()
    assert calls == ["POST /v1.0/subscriptions"]  # answered 201 only after the bot echoed the token
    [created] = await stack.emulator.requests()
    assert created["status"] == 201
    keeper = stack.app[KEEPER]
    assert await stack.app[STATE].get_setting(keeper.setting_key) == keeper.subscription_id

    renewed = await keeper.subscription.renew(keeper.subscription_id or "")
    assert renewed.id == keeper.subscription_id
    assert (await stack.emulator.requests())[-1] == {
        "method": "PATCH",
        "path": f"/v1.0/subscriptions/{keeper.subscription_id}",
        "query": "",
        "status": 200,
    }


async def test_the_handshake_echoes_the_token_as_plain_text(stack: Stack) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(stack.url + "/api/notifications", params={"validationToken": "Validation: a<b>&c"}) as resp,
    ):
        assert resp.status == 200
        assert resp.content_type == "text/plain"
        assert await resp.text() == "Validation: a<b>&c"


async def test_the_organizer_gets_the_summary_in_their_personal_chat_unprompted(stack: Stack) -> None:
    await stack.say("help")  # Alex has talked to the bot in personal scope
    stack.connector.posted.clear()

    published = await stack.publish("litware")  # Alex organised it

    assert [d["status"] for d in published["delivered"]] == [202]
    [delivered] = stack.connector.posted
    assert delivered["conversation"]["id"] == "personal-1"
    assert delivered["text"] == INTRO
    assert SUMMARY in texts(delivered["attachments"][0]["content"])
    meeting_id = published["meeting_id"]
    calls = await stack.graph_calls()
    assert f"GET /v1.0/users/{DEMO_USER_ID}/onlineMeetings/{meeting_id}" in calls
    content = f"GET /v1.0/users/{DEMO_USER_ID}/onlineMeetings/{meeting_id}/transcripts/"
    assert sum(c.startswith(content) and c.endswith("/content") for c in calls) == 1
    assert any(c.startswith("PUT /v1.0/drives/") for c in calls)  # the .docx went to SharePoint
    assert await stack.app[STATE].transcript_status(published["transcript_id"]) == "delivered"


async def test_the_same_notification_twice_makes_one_analysis_and_one_card(stack: Stack) -> None:
    await stack.say("help")
    stack.connector.posted.clear()
    await stack.publish("litware")
    await stack.publish("litware")  # Graph may deliver a notification more than once
    assert len(stack.analyzer.seen) == 1
    assert len(summaries(stack.connector)) == 1 and len(stack.connector.posted) == 1


async def test_a_wrong_client_state_is_refused_and_nothing_is_fetched(stack: Stack) -> None:
    await stack.say("help")
    before = await stack.graph_calls()
    meeting = next(m for m in stack.emulator.app[EMULATOR_STATE].seed.meetings if m.key == "litware")
    path = f"communications/onlineMeetings('{meeting.meeting_id}')/transcripts('{meeting.transcript_id}')"
    item = {
        "subscriptionId": stack.app[KEEPER].subscription_id,
        "changeType": "created",
        "clientState": "not-the-secret",
        "resource": path,
        "resourceData": {"id": meeting.transcript_id, "@odata.type": "#Microsoft.Graph.callTranscript"},
        "subscriptionExpirationDateTime": "2030-01-01T00:00:00Z",
        "tenantId": "00000000-0000-0000-0000-0000000000001",
    }
    response = await stack.notify({"value": [item]})
    await stack.app[NOTIFICATIONS].wait_idle()
    assert response.status == 403
    assert await stack.graph_calls() == before
    assert await stack.app[STATE].transcript_status(meeting.transcript_id) is None
    assert summaries(stack.connector) == []

    missing = {k: v for k, v in item.items() if k != "clientState"}
    assert (await stack.notify({"value": [missing]})).status == 403
    assert (await stack.notify({"nothing": True})).status == 400


async def test_an_organizer_who_never_chatted_with_the_bot_is_recorded_not_crashed(stack: Stack) -> None:
    published = await stack.publish("litware")
    assert published["delivered"][0]["status"] == 202
    assert stack.connector.posted == []
    assert await stack.app[STATE].transcript_status(published["transcript_id"]) == "no_personal_chat"
    assert not any("/transcripts/" in c for c in await stack.graph_calls())  # nothing read for nobody


async def test_no_delivery_into_a_personal_chat_that_has_a_guest(stack: Stack) -> None:
    await stack.say("help")
    stack.connector.posted.clear()
    stack.connector.members["personal-1"] = [USER | {"tenantId": "tenant-1", "userRole": "guest"}]
    published = await stack.publish("litware")
    assert summaries(stack.connector) == []
    assert await stack.app[STATE].transcript_status(published["transcript_id"]) == "not_internal"


async def test_the_meeting_end_event_is_recorded_for_the_transcript_notification(stack: Stack) -> None:
    join_url = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_x%40thread.v2/0"
    event = message("", stack.connector, conversation="19:meeting_x@thread.v2", kind="groupChat")
    event |= {"type": "event", "name": "application/vnd.microsoft.meetingEnd"}
    event["value"] = {"Id": "MCMx", "JoinUrl": join_url, "Title": "Contoso sync", "MeetingType": "Scheduled"}
    del event["text"], event["textFormat"]
    async with aiohttp.ClientSession() as http, http.post(stack.url + "/api/messages", json=event) as resp:
        assert resp.status in (200, 202)
    assert await stack.app[STATE].meeting_ended(join_url) is not None
    assert stack.connector.posted == []  # the analysis waits for the transcript's notification


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "state" / "bot.sqlite3")
    emulator, emulator_runner = await start_emulator()
    teams = Connector()
    teams_server = await teams.start()
    try:
        async with running_stack(path, emulator, teams) as first:
            await first.say("help")
            first_subscription = first.app[KEEPER].subscription_id
        async with running_stack(path, emulator, teams) as second:  # a new process: nothing in memory
            # The stored subscription is renewed, not duplicated.
            assert second.app[KEEPER].subscription_id == first_subscription
            assert "PATCH /v1.0/subscriptions/" + str(first_subscription) in await second.graph_calls()
            teams.posted.clear()
            published = await second.publish("litware")
            assert len(summaries(second.connector)) == 1  # Alex's chat was remembered
            [card] = [a["attachments"][0]["content"] for a in summaries(second.connector)]
            [regenerate] = [a for a in card.get("actions", []) if a.get("verb") == "regenerate"]
            run_id = regenerate["data"]["run_id"]
        teams.posted.clear()
        async with running_stack(path, emulator, teams) as third:
            record = await third.app[STATE].run(run_id)  # Regenerate's run, known after the restart
            assert record is not None and record.meeting_id == published["meeting_id"]
            assert record.requester_id == DEMO_USER_ID
            assert await third.app[STATE].transcript_status(published["transcript_id"]) == "delivered"
            await third.publish("litware")  # the same transcript after a restart: still once
            assert summaries(third.connector) == []
        async with running_stack(path, emulator, teams, secret="a-rotated-secret-0123456789") as fourth:
            # A new secret: the old subscription would carry the old clientState, so a new one.
            assert fourth.app[KEEPER].subscription_id != first_subscription
    finally:
        await teams_server.close()
        await emulator_runner.cleanup()


async def _until(check: Any) -> None:
    async with asyncio.timeout(10):
        while not await check():  # noqa: ASYNC110 - polls another process's state over HTTP
            await asyncio.sleep(0.05)


async def test_lifecycle_events_renew_or_recreate_the_subscription(stack: Stack) -> None:
    keeper = stack.app[KEEPER]
    first = keeper.subscription_id

    def lifecycle(event: str) -> dict[str, Any]:
        return {
            "value": [
                {
                    "subscriptionId": first,
                    "lifecycleEvent": event,
                    "clientState": SECRET,
                    "resource": "communications/onlineMeetings/getAllTranscripts",
                    "subscriptionExpirationDateTime": "2030-01-01T00:00:00Z",
                    "tenantId": "00000000-0000-0000-0000-0000000000001",
                }
            ]
        }

    assert (await stack.notify(lifecycle("reauthorizationRequired"))).status == 202

    async def renewed() -> bool:
        return f"PATCH /v1.0/subscriptions/{first}" in await stack.graph_calls()

    await _until(renewed)
    assert keeper.subscription_id == first

    assert (await stack.notify(lifecycle("subscriptionRemoved"))).status == 202

    async def recreated() -> bool:
        return keeper.subscription_id != first

    await _until(recreated)
    assert [c for c in await stack.graph_calls() if c.startswith("POST")] == ["POST /v1.0/subscriptions"] * 2
    assert await stack.app[STATE].get_setting(keeper.setting_key) == keeper.subscription_id


async def test_only_allow_listed_tenants_are_served() -> None:
    """The allow-list needs an app id (so JWT) for /api/messages; the notification endpoint alone
    is mounted here with the settings a real deployment has."""
    settings = BotSettings(
        allowed_tenants=frozenset({"tenant-ok"}), auto_analyze=True, notification_client_state=SECRET
    )
    state = await open_state(":memory:")
    runner = JobRunner(Services(meetings=FakeMeetings(), documents=FakeDocuments(), analyzer=FakeAnalyzer()))
    notifications = TranscriptNotifications(settings, state, runner, cast(ChannelAdapter, None))
    app = web.Application()
    app.router.add_post("/api/notifications", notifications.handle)
    organizer = "57f9dacc-71bf-4743-b413-53a7d9d6d6e0"
    meeting_id = base64.b64encode(f"1*{organizer}*0**19:meeting_q@thread.v2".encode()).decode()

    def item(tenant: str, transcript: str) -> dict[str, Any]:
        return {
            "subscriptionId": "s-1",
            "changeType": "created",
            "clientState": SECRET,
            "resource": f"communications/onlineMeetings('{meeting_id}')/transcripts('{transcript}')",
            "subscriptionExpirationDateTime": "2030-01-01T00:00:00Z",
            "tenantId": tenant,
        }

    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        refused = await client.post("/api/notifications", json={"value": [item("tenant-other", "t-1")]})
        accepted = await client.post("/api/notifications", json={"value": [item("TENANT-OK", "t-2")]})
        await notifications.wait_idle()
    try:
        assert (refused.status, accepted.status) == (403, 202)
        assert await state.transcript_status("t-1") is None
        assert await state.transcript_status("t-2") == "no_personal_chat"  # taken; nobody to tell
    finally:
        await state.close()


async def test_with_an_app_id_graph_reaches_the_notification_endpoint_without_a_bot_token() -> None:
    env = {
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": "11111111-2222-3333-4444-555555555555",
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "not-used",
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID": "tenant-ok",
        "MCEM_ALLOWED_TENANTS": "tenant-ok",
        "MCEM_BOT_HOST": "127.0.0.1",
        "MCEM_STATE_PATH": ":memory:",
        "MCEM_AUTO_ANALYZE": "on",
        "MCEM_PUBLIC_URL": "https://bot.contoso.com",
        "MCEM_NOTIFICATION_CLIENT_STATE": SECRET,
    }
    async for bot in start_bot(env):
        client = bot.client
        handshake = await client.post("/api/notifications", params={"validationToken": "tok"})
        assert (handshake.status, await handshake.text()) == (200, "tok")
        forged = await client.post("/api/notifications", json={"value": [{"clientState": "guess"}]})
        assert forged.status == 403
        messages = await client.post("/api/messages", json={"type": "message", "text": "hi"})
        assert messages.status == 401  # Teams' endpoint still wants the Bot Framework token


# -- a crash mid-way: the claim is a lease that lapses, and the transcript is analysed again --------


def later(minutes: float) -> Callable[[], datetime]:
    """A clock ``minutes`` ahead of the real one (the store's own writes use the real one)."""
    return lambda: datetime.now(UTC) + timedelta(minutes=minutes)


def litware(stack: Stack) -> Any:
    return next(m for m in stack.emulator.app[EMULATOR_STATE].seed.meetings if m.key == "litware")


async def test_a_redelivered_notification_retakes_a_lapsed_claim_once(stack: Stack) -> None:
    await stack.say("help")
    stack.connector.posted.clear()
    meeting = litware(stack)
    # What a handler that died mid-way leaves behind: a claim nobody finishes or renews.
    assert await stack.app[STATE].claim_transcript(meeting.transcript_id, meeting.meeting_id, DEMO_USER_ID)

    await stack.publish("litware")  # within the lease: someone may still be working on it
    assert stack.analyzer.seen == [] and stack.connector.posted == []
    assert await stack.app[STATE].transcript_status(meeting.transcript_id) == "processing"

    stack.app[NOTIFICATIONS].clock = later(16)  # past the 15-minute lease
    await stack.publish("litware")
    assert len(stack.analyzer.seen) == 1
    assert len(summaries(stack.connector)) == 1 and len(stack.connector.posted) == 1
    assert await stack.app[STATE].transcript_status(meeting.transcript_id) == "delivered"

    await stack.publish("litware")  # finished: exactly once, however late the repeat
    assert len(stack.analyzer.seen) == 1 and len(stack.connector.posted) == 1


@dataclass
class Hanging(FakeAnalyzer):
    """Starts analysing and never finishes, like a process that dies mid-way."""

    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def analyze(self, transcript: Any, context: Any, progress: Any = None) -> Any:
        self.seen.append((transcript, context))
        self.started.set()
        await asyncio.Event().wait()


async def test_after_a_crash_mid_analysis_the_start_up_sweep_delivers_it_once(tmp_path: Path) -> None:
    path = str(tmp_path / "bot.sqlite3")
    emulator, emulator_runner = await start_emulator()
    teams = Connector()
    teams_server = await teams.start()
    hanging = Hanging()
    try:
        async with running_stack(path, emulator, teams, analyzer=hanging) as first:
            await first.say("help")
            meeting = litware(first)
            body = {"meeting_id": meeting.meeting_id, "vtt": sample_vtt()}
            async with (
                aiohttp.ClientSession() as http,
                http.post(emulator.origin + "/_emulator/transcripts", json=body),
            ):
                pass
            await asyncio.wait_for(hanging.started.wait(), 10)
        # The process is gone mid-analysis: its claim stays "processing" and no card was posted.
        teams.posted.clear()
        async with running_stack(path, emulator, teams) as soon:  # restarted within the lease
            assert await soon.app[NOTIFICATIONS].sweep() == 0
            assert await soon.app[STATE].transcript_status(meeting.transcript_id) == "processing"
        async with running_stack(
            path, emulator, teams, configure=lambda app: setattr(app[NOTIFICATIONS], "clock", later(16))
        ) as restarted:

            async def delivered() -> bool:  # the start-up sweep took it over
                return await restarted.app[STATE].transcript_status(meeting.transcript_id) == "delivered"

            await _until(delivered)
            await asyncio.wait_for(restarted.app[NOTIFICATIONS].wait_idle(), 20)
            assert await restarted.app[STATE].transcript_status(meeting.transcript_id) == "delivered"
            assert len(summaries(teams)) == 1 and len(teams.posted) == 1
            assert teams.posted[0]["conversation"]["id"] == "personal-1"

            assert await restarted.app[NOTIFICATIONS].sweep() == 0  # finished: not taken again
            await restarted.publish("litware")
            assert len(restarted.analyzer.seen) == 1 and len(teams.posted) == 1
        assert len(hanging.seen) == 1
    finally:
        await teams_server.close()
        await emulator_runner.cleanup()
