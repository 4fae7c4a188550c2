"""Two live bot instances sharing Azure Table Storage (Azurite), with the Graph emulator behind the
real msgraph-sdk client: one of them subscribes, both take notifications, each transcript is
analysed and delivered once, and what one instance learnt the other knows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import aiohttp

from bot.app import KEEPER, NOTIFICATIONS, RUNNER, STATE
from bot.state_azure import AzureTableState
from graph.emulator.seed import DEMO_USER_ID
from graph.emulator.state import STATE as EMULATOR_STATE
from tests.fixtures.bot.fakes import sample_vtt
from tests.support.azurite import Azurite, azurite_fixture, new_prefix  # noqa: F401 - the fixture
from tests.support.bot import SECRET, Stack, running_stack, summaries
from tests.support.connector import Connector
from tests.support.graph import Emulator, start_emulator


def instance(azurite: Azurite, prefix: str, emulator: Emulator, connector: Connector) -> Any:
    """One bot instance on the shared Azurite tables (the tests' one bot stack, tests/support/bot.py)."""
    env = {
        "MCEM_STATE_BACKEND": "azure",
        "MCEM_STATE_CONNECTION_STRING": azurite.connection_string,
        "MCEM_STATE_TABLE_PREFIX": prefix,
    }
    return running_stack(emulator=emulator, connector=connector, env=env, subscribed=False)


@asynccontextmanager
async def two_instances(azurite: Azurite) -> AsyncIterator[tuple[Stack, Stack]]:
    async with AsyncExitStack() as stack:
        emulator, emulator_runner = await start_emulator()
        stack.push_async_callback(emulator_runner.cleanup)
        connector = Connector()
        connector_server = await connector.start()
        stack.push_async_callback(connector_server.close)
        prefix = new_prefix()
        first = await stack.enter_async_context(instance(azurite, prefix, emulator, connector))
        await asyncio.wait_for(first.app[KEEPER].ready.wait(), 60)  # it took the lease and subscribed
        second = await stack.enter_async_context(instance(azurite, prefix, emulator, connector))
        yield first, second
        assert connector.violations == [], connector.violations


async def test_only_one_instance_subscribes_and_the_other_knows_the_subscription(azurite: Azurite) -> None:
    async with two_instances(azurite) as (first, second):
        await asyncio.sleep(1)  # the second instance has asked for the lease by now, and been refused
        assert not second.app[KEEPER].ready.is_set()
        calls = await first.graph_calls()
        assert [c for c in calls if c.startswith(("POST", "PATCH"))] == ["POST /v1.0/subscriptions"]
        keeper = first.app[KEEPER]
        shared = await second.app[STATE].get_setting(keeper.setting_key)
        assert shared == keeper.subscription_id and shared


async def test_a_transcript_announced_to_both_instances_is_analysed_and_delivered_once(
    azurite: Azurite,
) -> None:
    async with two_instances(azurite) as (first, second):
        assert isinstance(second.app[STATE], AzureTableState)
        await second.say("help")  # Alex talked to the second instance; the first will find the chat
        # The chat is saved beside the turn, not before its answer: wait until the shared store has it.
        for _ in range(200):
            if await first.app[STATE].personal_chat(DEMO_USER_ID) is not None:
                break
            await asyncio.sleep(0.05)
        assert await first.app[STATE].personal_chat(DEMO_USER_ID) is not None
        first.connector.posted.clear()

        meeting = next(m for m in first.emulator.app[EMULATOR_STATE].seed.meetings if m.key == "litware")
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                first.emulator.origin + "/_emulator/transcripts",
                json={"meeting_id": meeting.meeting_id, "vtt": sample_vtt()},
            ) as resp,
        ):
            published = await resp.json()
        # Graph notified the subscription's URL (the first instance); the load balancer hands a
        # redelivery of the same notification to the second while the first is still at work.
        meeting_id, transcript = published["meeting_id"], published["transcript_id"]
        path = f"communications/onlineMeetings('{meeting_id}')/transcripts('{transcript}')"
        item = {
            "subscriptionId": first.app[KEEPER].subscription_id,
            "changeType": "created",
            "clientState": SECRET,
            "resource": path,
            "subscriptionExpirationDateTime": "2030-01-01T00:00:00Z",
            "tenantId": "00000000-0000-0000-0000-0000000000001",
        }
        assert (await second.notify({"value": [item]})).status == 202
        for running in (first, second):
            await asyncio.wait_for(running.app[NOTIFICATIONS].wait_idle(), 20)
            await asyncio.wait_for(running.app[RUNNER].wait_idle(), 20)

        assert [d["status"] for d in published["delivered"]] == [202]
        assert len(first.analyzer.seen) + len(second.analyzer.seen) == 1
        assert len(summaries(first.connector)) == 1
        assert await first.app[STATE].transcript_status(transcript) == "delivered"
        assert await second.app[STATE].transcript_status(transcript) == "delivered"
        latest = await second.app[STATE].latest_run(DEMO_USER_ID)
        assert latest is not None and latest.meeting_id == meeting_id
