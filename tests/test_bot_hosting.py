"""bot/hosting.py: a message's POST is answered once it is accepted, its turn runs beside it.

Through the real app over HTTP (the Bot Connector stand-in records what the turn posts), and the
adapter alone with the SDK's anonymous connection manager for what HTTP cannot show: the bound,
the drain at shutdown and what an escaping error leaves in the log. Order, never time, is asserted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from microsoft_agents.activity import Activity
from microsoft_agents.hosting.core import (
    AgentAuthConfiguration,
    AnonymousTokenProvider,
    ClaimsIdentity,
    ConnectionManager,
    TurnContext,
)

from bot.app import ADAPTER
from bot.hosting import AcceptingAdapter, answers_in_response
from tests.fixtures.bot.fakes import USER_ID, FakeMeetings
from tests.support.bot import Bot, start_bot
from tests.support.cards import texts
from tests.support.connector import Connector, click, message


@pytest.fixture
async def gated() -> AsyncIterator[tuple[Bot, asyncio.Event]]:
    graph_answers = asyncio.Event()
    async for bot in start_bot({}, FakeMeetings(gate=graph_answers)):
        yield bot, graph_answers


async def test_a_message_is_answered_before_its_turn_has_replied(gated: tuple[Bot, asyncio.Event]) -> None:
    bot, graph_answers = gated
    status, body = await bot.send(message("meetings", bot.connector))
    # The turn needs Graph for its reply, and Graph has not answered: the 202 came first.
    assert (status, body) == (202, None)
    assert bot.connector.posted == [] and bot.app[ADAPTER].turns == 1
    graph_answers.set()
    [card] = await bot.connector.wait_posted(1)
    assert "Contoso pilot review" in texts(card["attachments"][0]["content"])
    await bot.settle()
    assert bot.app[ADAPTER].turns == 0


async def test_an_invoke_still_answers_with_what_its_turn_returned(bot_plain: Bot) -> None:
    bot = bot_plain
    status, body = await bot.send(click(bot.connector, "feedback", {"run_id": "r-1", "rating": "useful"}))
    assert status == 200 and body["value"] == "Thanks for the feedback."
    assert bot.app[ADAPTER].turns == 0  # it ran inside the request


async def test_an_unreadable_activity_gets_no_turn(bot_plain: Bot) -> None:
    bot = bot_plain
    activity = message("meetings", bot.connector)
    del activity["conversation"]  # the SDK's own check: an activity needs its type and conversation
    response = await bot.client.post("/api/messages", json=activity)
    assert response.status == 400
    await bot.settle()
    assert bot.connector.posted == [] and bot.meetings.calls == []


@pytest.fixture
async def bot_plain() -> AsyncIterator[Bot]:
    async for bot in start_bot({}):
        yield bot


def test_which_activities_wait_for_their_turn() -> None:
    assert answers_in_response(Activity(type="invoke", name="adaptiveCard/action"))
    assert answers_in_response(Activity(type="message", delivery_mode="expectReplies"))
    assert answers_in_response(Activity(type="message", delivery_mode="stream"))
    assert not answers_in_response(Activity(type="message"))
    assert not answers_in_response(Activity(type="event", name="application/vnd.microsoft.meetingEnd"))
    assert not answers_in_response(Activity(type="conversationUpdate"))


# -- the adapter alone -------------------------------------------------------------------------------


def _adapter(max_turns: int = 8) -> AcceptingAdapter:
    connections = ConnectionManager(
        lambda _config: AnonymousTokenProvider(),
        connections_configurations={"SERVICE_CONNECTION": AgentAuthConfiguration(anonymous_allowed=True)},
    )
    return AcceptingAdapter(connection_manager=connections, max_turns=max_turns)


def _activity(text: str, connector: Connector) -> Activity:
    return Activity.model_validate(message(text, connector))


class Turns:
    """A turn callback that records which turns started and holds each until released."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.ended: list[str] = []
        self.release = asyncio.Event()
        self.progress = asyncio.Condition()

    async def __call__(self, context: TurnContext) -> None:
        async with self.progress:
            self.started.append(context.activity.text)
            self.progress.notify_all()
        await self.release.wait()
        self.ended.append(context.activity.text)

    async def until_started(self, count: int) -> None:
        async with self.progress:
            await asyncio.wait_for(self.progress.wait_for(lambda: len(self.started) >= count), 10)


@pytest.fixture
async def connector() -> AsyncIterator[Connector]:
    stand_in = Connector()
    server = await stand_in.start()
    yield stand_in
    await server.close()


async def test_turns_beyond_the_bound_wait_at_the_door(connector: Connector) -> None:
    adapter, turns = _adapter(max_turns=1), Turns()
    identity = ClaimsIdentity()  # anonymous, as the SDK leaves it without a token
    assert await adapter.process_activity(identity, _activity("first", connector), turns) is None
    second = asyncio.create_task(adapter.process_activity(identity, _activity("second", connector), turns))
    await turns.until_started(1)
    assert not second.done() and turns.started == ["first"]  # its POST is not answered yet
    turns.release.set()
    assert await asyncio.wait_for(second, 10) is None  # the slot came free: accepted
    await asyncio.wait_for(adapter.wait_idle(), 10)
    assert turns.ended == ["first", "second"]


async def test_shutdown_lets_accepted_turns_finish(connector: Connector) -> None:
    adapter, turns = _adapter(), Turns()
    await adapter.process_activity(ClaimsIdentity(), _activity("analyze last meeting", connector), turns)
    await turns.until_started(1)
    closing = asyncio.create_task(adapter.aclose(grace_s=30))
    await asyncio.sleep(0)
    assert not closing.done()  # it cannot end while the turn is held
    turns.release.set()
    await asyncio.wait_for(closing, 10)
    assert turns.ended == ["analyze last meeting"] and adapter.turns == 0


async def test_shutdown_cancels_what_outlives_the_grace(
    connector: Connector, caplog: pytest.LogCaptureFixture
) -> None:
    adapter, turns = _adapter(), Turns()
    await adapter.process_activity(ClaimsIdentity(), _activity("meetings", connector), turns)
    await turns.until_started(1)
    await asyncio.wait_for(adapter.aclose(grace_s=0), 10)
    assert turns.ended == [] and adapter.turns == 0
    assert "1 accepted turns cancelled at shutdown" in caplog.text


async def test_a_failing_turn_is_logged_by_its_type_only(
    connector: Connector, caplog: pytest.LogCaptureFixture
) -> None:
    adapter = _adapter()

    async def failing(context: TurnContext) -> None:
        raise ValueError(f"cannot read {context.activity.text}")

    secret = f"analyze the budget of {USER_ID}"
    await adapter.process_activity(ClaimsIdentity(), _activity(secret, connector), failing)
    await asyncio.wait_for(adapter.wait_idle(), 10)
    assert "message turn failed: ValueError" in caplog.text
    assert secret not in caplog.text and "budget" not in caplog.text
    assert connector.posted == []  # and nothing of it reached the user either
