"""Nothing missed: transcripts whose notifications Graph lost are found by the delta query and each
analysed once — by the bot over HTTP against the Graph emulator, which loses the notifications
during an "outage" and then sends the ``missed`` lifecycle event, as Graph does."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.app import CATCHUP, KEEPER, NOTIFICATIONS, RUNNER
from graph.emulator.state import STATE as EMULATOR_STATE
from tests.fixtures.bot.fakes import sample_vtt
from tests.support.bot import SECRET, Stack, running_stack, summaries
from tests.support.connector import Connector, message
from tests.support.graph import start_emulator


async def emulator_post(stack: Stack, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.post(stack.emulator.origin + path, json=body) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def settled(stack: Stack) -> None:
    """Until the catch-up, the notifications it handed on and their analyses are done."""
    for _ in range(3):  # a round hands on work, which may end in nothing more to do
        await asyncio.wait_for(stack.app[CATCHUP].idle.wait(), 30)
        await asyncio.wait_for(stack.app[NOTIFICATIONS].wait_idle(), 30)
        await asyncio.wait_for(stack.app[RUNNER].wait_idle(), 30)


async def say_as(stack: Stack, user_id: str, name: str, text: str) -> None:
    activity = message(text, stack.connector, conversation=f"personal-{user_id[-4:]}")
    activity["from"] = {"id": f"29:{user_id}", "name": name, "aadObjectId": user_id}
    async with aiohttp.ClientSession() as http, http.post(stack.url + "/api/messages", json=activity) as r:
        assert r.status in (200, 202)
    await asyncio.wait_for(stack.app[RUNNER].wait_idle(), 10)


def meeting(stack: Stack, key: str) -> Any:
    return next(m for m in stack.emulator.app[EMULATOR_STATE].seed.meetings if m.key == key)


async def content_downloads(stack: Stack) -> list[str]:
    return [p for p in await stack.graph_calls() if p.startswith("GET ") and p.endswith("/content")]


async def test_two_transcripts_made_while_notifications_were_lost_are_each_analysed_once() -> None:
    async with running_stack() as stack:
        litware, sync = meeting(stack, "litware"), meeting(stack, "sync")  # Alex's and Megan's
        megan = stack.emulator.app[EMULATOR_STATE].seed.users[sync.organizer_id]
        await stack.say("help")  # both organizers opt in: a personal chat with the bot
        await say_as(stack, megan.id, megan.name, "help")
        await settled(stack)  # the start-up round: nothing to catch up yet
        assert stack.analyzer.seen == []

        await emulator_post(stack, "/_emulator/outage", {"on": True})
        for lost in (litware, sync):
            published = await emulator_post(
                stack, "/_emulator/transcripts", {"meeting_id": lost.meeting_id, "vtt": sample_vtt()}
            )
            assert all(d.get("missed") for d in published["delivered"])  # Graph lost the notification
        await asyncio.sleep(0.2)
        assert stack.analyzer.seen == []  # nothing told the bot

        ended = await emulator_post(stack, "/_emulator/outage", {"on": False})
        assert [m["status"] for m in ended["missed"]] == [202]  # the "missed" lifecycle event, accepted
        await settled(stack)
        assert len(stack.analyzer.seen) == 2
        assert len(summaries(stack.connector)) == 2  # one card each, in each organizer's chat
        assert len(await content_downloads(stack)) == 2
        deltas = [p for p in await stack.graph_calls() if "/delta" in p]
        assert any(litware.organizer_id in p for p in deltas) and any(sync.organizer_id in p for p in deltas)

        # Again: another missed event, a late notification of one of them, a restart's round.
        stack.app[CATCHUP].trigger("test: once more")
        await stack.publish("litware")  # Graph's notification after all: the claim says done
        await settled(stack)
        assert len(stack.analyzer.seen) == 2
        assert len(summaries(stack.connector)) == 2


async def test_a_restart_after_downtime_catches_up_from_the_kept_delta_link(tmp_path: Any) -> None:
    state_path = str(tmp_path / "state.sqlite3")
    emulator, emulator_runner = await start_emulator()
    teams = Connector()
    teams_server = await teams.start()
    try:
        async with running_stack(state_path, emulator, teams) as first:
            await first.say("help")
            first.app[CATCHUP].trigger("test: a round now that Alex has opted in")
            await settled(first)
            assert any("/delta" in p for p in await first.graph_calls())  # Alex's round; its link kept
            litware = meeting(first, "litware")
        # The bot is down: the transcript's notification goes nowhere.
        await emulator_post_raw(
            emulator.origin, "/_emulator/transcripts", {"meeting_id": litware.meeting_id, "vtt": sample_vtt()}
        )
        async with running_stack(state_path, emulator, teams) as second:
            await settled(second)
            assert len(second.analyzer.seen) == 1  # found by the start-up round
            assert len(summaries(teams)) == 1
            rounds = [r for r in await emulator.requests() if r["path"].endswith("/delta")]
            assert "$deltatoken=" in rounds[-1]["query"]  # from the link the first process kept
    finally:
        await teams_server.close()
        await emulator_runner.cleanup()


async def emulator_post_raw(origin: str, path: str, body: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as http, http.post(origin + path, json=body) as resp:
        assert resp.status == 200, await resp.text()


async def test_a_subscription_made_anew_catches_up_what_the_lapsed_one_missed() -> None:
    async with running_stack() as stack:
        keeper, catchup = stack.app[KEEPER], stack.app[CATCHUP]
        await stack.say("help")
        await settled(stack)
        rounds, first = catchup.rounds, keeper.subscription_id
        litware = meeting(stack, "litware")
        await emulator_post(stack, "/_emulator/outage", {"on": True})
        await emulator_post(
            stack, "/_emulator/transcripts", {"meeting_id": litware.meeting_id, "vtt": sample_vtt()}
        )
        await emulator_post(stack, "/_emulator/outage", {"on": False, "silent": True})
        # Graph removed the subscription (no "missed" event for transcripts in its docs): made anew.
        removed = {
            "value": [
                {
                    "subscriptionId": first,
                    "lifecycleEvent": "subscriptionRemoved",
                    "clientState": SECRET,
                    "subscriptionExpirationDateTime": "2030-01-01T00:00:00Z",
                    "tenantId": stack.emulator.app[EMULATOR_STATE].seed.tenant_id,
                }
            ]
        }
        assert (await stack.notify(removed)).status == 202
        async with asyncio.timeout(20):
            while keeper.subscription_id == first or catchup.rounds == rounds:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        await settled(stack)
        assert len(stack.analyzer.seen) == 1 and len(summaries(stack.connector)) == 1
