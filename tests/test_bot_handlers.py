"""Handlers over HTTP, as Teams drives them: activities POSTed to /api/messages of the real app,
replies going through the SDK's connector client to a local Bot Connector stand-in.

The stand-in speaks the Bot Connector v3 routes the bot uses (send/reply, update, members) and
records what arrives; Graph and the analyzer are the recording fakes from tests/fixtures/bot.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import SPECS
from tests.fixtures.bot.fakes import USER_ID, FakeMeetings, meeting
from tests.support.bot import Bot, start_bot
from tests.support.cards import texts
from tests.support.connector import TEAMMATE, TENANT, USER, Connector, click, mentioned, message


@pytest.fixture
async def bot() -> AsyncIterator[Bot]:
    async for running in start_bot({}):
        yield running


def test_the_connector_stand_in_serves_only_routes_of_the_published_connector_api() -> None:
    swagger = json.loads((SPECS / "botframework-connector-api-v3.swagger.json").read_text("utf-8"))

    def shape(path: str) -> str:  # parameter names differ ({conversation} vs {conversationId})
        return re.sub(r"\{[^}]+\}", "{}", path)

    published = {(method.upper(), shape(path)) for path, ops in swagger["paths"].items() for method in ops}
    served = {
        (route.method, shape(route.resource.canonical))
        for route in Connector().app().router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    # Teams' own extension of the connector, outside the v3 API: the meeting details a bot gets
    # with OnlineMeeting.ReadBasic.Chat (Learn, "Meeting apps API references": GET /v1/meetings/{id};
    # its body is the Teams API client's MeetingInfo, which tests/test_rsc_mode.py reads through).
    teams = {("GET", "/v1/meetings/{}")}
    assert len(served) == 5
    assert served - teams <= published, served - teams - published


async def test_help_and_anything_unknown_get_the_help_card(bot: Bot) -> None:
    for text in ("help", "what can you do for me"):
        status, _ = await bot.send(message(text, bot.connector))
        assert status == 202  # accepted: the reply goes through the connector
    await bot.settle()
    assert [("analyze last meeting" in texts(c)) for c in bot.connector.cards()] == [True, True]
    assert bot.meetings.calls == []


async def test_analyze_answers_at_once_then_updates_the_same_card_to_the_summary() -> None:
    graph_answers = asyncio.Event()
    async for bot in start_bot({}, FakeMeetings(gate=graph_answers)):
        status, _ = await bot.send(message("analyze last meeting", bot.connector))
        assert status == 202  # accepted before the turn ran (bot/hosting.py)
        # The progress card arrives while Graph has not answered yet.
        [first] = await bot.connector.wait_posted(1)
        assert not graph_answers.is_set()
        assert "Working on your analysis" in texts(first["attachments"][0]["content"])
        assert bot.connector.updates == []
        graph_answers.set()

        await bot.settle()
        assert len(bot.connector.posted) == 1  # no second message: everything else is in place
        assert {u["id"] for u in bot.connector.updates} == {first["id"]}
        final = bot.connector.updates[-1]["attachments"][0]
        assert final["contentType"] == "application/vnd.microsoft.card.adaptive"
        assert "Interview Analysis – Priya Raman, Contoso" in texts(final["content"])
        assert bot.meetings.calls[0][:2] == ("recent_meetings", USER_ID)


async def test_group_chat_with_a_mention_works_when_everyone_is_internal(bot: Bot) -> None:
    bot.connector.members["group-1"] = [USER | {"tenantId": TENANT, "userRole": "user"}, TEAMMATE]
    await bot.send(mentioned("analyze last meeting", bot.connector, conversation="group-1", kind="groupChat"))
    await bot.settle()
    assert "Interview Analysis" in texts(bot.connector.updates[-1]["attachments"][0]["content"])


@pytest.mark.parametrize(
    "outsider",
    [
        {"id": "29:guest", "name": "Guest", "tenantId": TENANT, "userRole": "guest"},
        {"id": "29:ext", "name": "Partner", "tenantId": "other-tenant", "userRole": "user"},
    ],
    ids=["guest", "other-tenant"],
)
async def test_no_analysis_where_guests_or_other_tenants_can_read_it(
    bot: Bot, outsider: dict[str, Any]
) -> None:
    bot.connector.members["channel-1"] = [TEAMMATE, outsider]
    await bot.send(mentioned("analyze last meeting", bot.connector, conversation="channel-1", kind="channel"))
    await bot.settle()
    [card] = bot.connector.cards()
    assert "Not in this conversation" in texts(card) and "personal chat" in texts(card)
    assert bot.meetings.calls == [] and bot.connector.updates == []


async def test_a_guest_asking_in_a_personal_chat_gets_no_analysis(bot: Bot) -> None:
    bot.connector.members["personal-1"] = [USER | {"tenantId": TENANT, "userRole": "guest"}]
    await bot.send(message("analyze last meeting", bot.connector))
    await bot.settle()
    [card] = bot.connector.cards()
    assert "Not in this conversation" in texts(card)
    assert bot.meetings.calls == []


async def test_tenants_off_the_allow_list_are_not_served() -> None:
    async for bot in start_bot({"MCEM_ALLOWED_TENANTS": "someone-else"}):
        await bot.send(message("analyze last meeting", bot.connector))
        await bot.settle()
        assert [a.get("text") for a in bot.connector.posted] == [
            "This app is not enabled for your organisation."
        ]
        assert bot.meetings.calls == []


async def test_meetings_lists_those_with_transcripts_with_analyze_buttons(bot: Bot) -> None:
    bot.meetings.meetings.append(meeting("m-3", "Litware licensing", has_transcript=False))
    await bot.send(message("meetings", bot.connector))
    await bot.settle()
    [card] = bot.connector.cards()
    assert "Contoso pilot review" in texts(card) and "Litware" not in texts(card)
    buttons = [a for a in json.dumps(card).split('"type": "Action.Execute"')[1:]]
    assert len(buttons) == 1 and '"meeting_id": "m-1"' in buttons[0] and '"verb": "analyze"' in buttons[0]


async def test_the_analyze_button_starts_a_job_in_a_new_card(bot: Bot) -> None:
    invoke = message("", bot.connector) | {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "replyToId": "picker-card",
        "value": {"action": {"type": "Action.Execute", "verb": "analyze", "data": {"meeting_id": "m-1"}}},
    }
    del invoke["text"]
    status, body = await bot.send(invoke)
    assert status == 200
    assert body["statusCode"] == 200 and body["type"] == "application/vnd.microsoft.activity.message"
    await bot.settle()
    [progress] = bot.connector.posted
    assert {u["id"] for u in bot.connector.updates} == {progress["id"]}
    assert "Interview Analysis" in texts(bot.connector.updates[-1]["attachments"][0]["content"])


async def test_a_message_without_an_entra_identity_is_refused_politely(bot: Bot) -> None:
    activity = message("analyze last meeting", bot.connector)
    activity["from"] = {"id": "29:anon", "name": "Someone"}
    await bot.send(activity)
    await bot.settle()
    [card] = bot.connector.cards()
    assert "I cannot tell who you are" in texts(card)
    assert bot.meetings.calls == []


async def test_with_an_app_id_a_request_without_a_token_is_rejected() -> None:
    env = {
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTID": "11111111-2222-3333-4444-555555555555",
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__CLIENTSECRET": "not-used",
        "CONNECTIONS__SERVICE_CONNECTION__SETTINGS__TENANTID": TENANT,
        "MCEM_ALLOWED_TENANTS": TENANT,
        "MCEM_BOT_HOST": "127.0.0.1",
    }
    async for bot in start_bot(env):
        status, _ = await bot.send(message("analyze last meeting", bot.connector))
        assert status == 401
        await bot.settle()  # (no turn was accepted, so nothing can still arrive)
        assert bot.connector.posted == [] and bot.meetings.calls == []
        # The container's health probe has no Bot Framework token and must still get through.
        health = await bot.client.get("/api/health")
        assert health.status == 200
        body = await health.json()  # "up", and this month's transcript minutes: counts, nothing else
        assert body["status"] == "ok" and set(body) <= {"status", "transcripts"}


async def test_one_unreadable_meeting_does_not_hide_the_others(bot: Bot) -> None:

    bot.meetings.meetings = [
        meeting("m-1", has_transcript=None),
        meeting("m-2", "Board briefing", has_transcript=None),
    ]
    bot.meetings.denied = {"m-2"}
    await bot.send(message("meetings", bot.connector))
    await bot.settle()
    [card] = bot.connector.cards()
    assert "Contoso pilot review" in texts(card) and "Board briefing" not in texts(card)
    assert json.dumps(card).count('"verb": "analyze"') == 1


async def test_regenerate_reanalyses_the_same_meeting_into_a_new_card(bot: Bot) -> None:
    other = meeting("m-2", "Fabrikam discovery")
    bot.meetings.meetings = [meeting(), other]
    bot.meetings.transcript_ids = {"m-1": ["t-1"], "m-2": ["t-2"]}
    await bot.send(message("analyze Fabrikam", bot.connector))
    await bot.settle()
    summary = bot.connector.updates[-1]["attachments"][0]["content"]
    [regenerate] = [a for a in summary["actions"] if a.get("verb") == "regenerate"]

    bot.meetings.calls.clear()
    status, body = await bot.send(click(bot.connector, "regenerate", regenerate["data"]))
    assert status == 200 and "Regenerating" in body["value"]
    await bot.settle()
    assert ("transcript_vtt", USER_ID, "t-2") in bot.meetings.calls  # the Fabrikam meeting again
    assert len(bot.connector.posted) == 2  # a second card; the first summary stays as it was


async def test_regenerate_is_only_for_the_user_who_ran_it(bot: Bot) -> None:
    await bot.send(message("analyze last meeting", bot.connector))
    await bot.settle()
    summary = bot.connector.updates[-1]["attachments"][0]["content"]
    [regenerate] = [a for a in summary["actions"] if a.get("verb") == "regenerate"]
    someone_else = {"id": "29:user-9", "name": "Megan Bowen", "aadObjectId": "another-user"}
    bot.meetings.calls.clear()
    status, body = await bot.send(click(bot.connector, "regenerate", regenerate["data"], user=someone_else))
    assert status == 200 and "no longer have that analysis" in body["value"]
    assert bot.meetings.calls == []


async def test_feedback_is_thanked_and_its_comment_not_logged(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    data = {"run_id": "r-1", "rating": "useful", "comment": "Priya's budget is 2 million"}
    with caplog.at_level("DEBUG"):
        status, body = await bot.send(click(bot.connector, "feedback", data))
    assert status == 200 and body["value"] == "Thanks for the feedback."
    assert "useful" in caplog.text and "budget" not in caplog.text


async def test_email_of_an_unknown_run_is_explained_and_the_card_stays(bot: Bot) -> None:
    status, body = await bot.send(click(bot.connector, "email", {"run_id": "r-1"}))
    assert status == 200 and body["type"] == "application/vnd.microsoft.activity.message"
    assert "Not sent" in body["value"]
    [card] = bot.connector.cards()  # the reason, in a card of its own
    assert "Not emailed" in texts(card) and "no longer have that analysis" in texts(card)
    assert bot.connector.updates == []  # the summary card was not touched


async def test_try_again_on_an_error_card_repeats_the_same_request(bot: Bot) -> None:
    just_ended = meeting(ended=datetime.now(UTC) - timedelta(minutes=5))
    day = just_ended.start.date()
    bot.meetings.transcript_ids = {}
    bot.meetings.meetings = [just_ended]
    await bot.send(message(f"analyze pilot on {day.isoformat()}", bot.connector))
    await bot.settle()
    error = bot.connector.updates[-1]["attachments"][0]["content"]
    assert "Transcript not ready yet" in texts(error)
    [retry] = error["actions"]
    assert retry["data"] == {"command": "match", "words": "pilot", "on": day.isoformat()}

    bot.meetings.calls.clear()
    await bot.send(click(bot.connector, retry["verb"], retry["data"]))
    await bot.settle()
    assert bot.meetings.calls[0] == ("recent_meetings", USER_ID, 1, "pilot", day)


async def test_a_button_with_data_the_bot_does_not_know_is_explained(bot: Bot) -> None:
    status, body = await bot.send(click(bot.connector, "analyze", {"something": "else"}))
    assert status == 200 and body["type"] == "application/vnd.microsoft.card.adaptive"
    assert "That button no longer works" in texts(body["value"])
    assert bot.meetings.calls == []


def test_relative_dates_are_the_users_own() -> None:
    from microsoft_agents.activity import Activity

    from bot.teams import local_today

    late_evening_utc = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    in_berlin = Activity(type="message", local_timezone="Europe/Berlin")
    assert local_today(in_berlin, late_evening_utc) == date(2026, 11, 25)
    assert local_today(Activity(type="message"), late_evening_utc) == date(2026, 11, 24)
    assert local_today(Activity(type="message", local_timezone="Mars/Olympus"), late_evening_utc) == date(
        2026, 11, 24
    )
