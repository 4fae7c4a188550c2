"""Each tenant refusal is an answer: the emulator plays it with Graph's status and error body, the
real msgraph-sdk client turns it into a TenantRefusal, and the bot's card (asked in chat, or sent
after a transcript notification) and its log name the cause and the admin's exact step.

The bot runs over HTTP with the Bot Connector stand-in (tests/test_bot_notifications.py's stack);
the Agents Playground plays one of them in tests/test_e2e_playground.py.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.app import KEEPER, STATE
from graph.client import make_graph_client
from graph.credentials import EMULATOR_TOKEN, StaticTokenCredential
from graph.emulator.seed import DEMO_USER_ID
from graph.emulator.state import STATE as EMULATOR_STATE
from graph.meeting_rules import latest_transcript
from graph.meetings import GraphMeetings
from graph.refusals import (
    ATTRIBUTION_OFF,
    BILLING,
    NO_POLICY,
    NO_POLICY_OR_RSC,
    REFUSALS,
    TRANSCRIPTS_DISABLED,
    Refusal,
    TenantRefusal,
)
from tests.conftest import ROOT
from tests.fixtures.bot.fakes import sample_vtt
from tests.support.bot import Stack, running_stack
from tests.support.cards import texts
from tests.support.graph import Emulator, assert_valid, start_emulator

ODATA_ERROR = "#/components/schemas/microsoft.graph.ODataErrors.ODataError"

# The exact admin step each card must carry (graph/refusals.py words it; these pin the commands).
STEPS = {
    "transcripts_disabled": (
        "Set-CsTeamsMeetingConfiguration -Identity Global -EnableGraphTranscriptAccess $true"
    ),
    "attribution_not_allowed": (
        "Set-CsTeamsMeetingConfiguration -Identity Global -EnableAttributedTranscripts $true"
    ),
    "no_policy": "Grant-CsApplicationAccessPolicy -PolicyName MCEM-Analyst -Identity <organizer>",
    "no_policy_or_rsc": "OnlineMeetingTranscript.Read.Chat and OnlineMeeting.ReadBasic.Chat",
    "billing_not_set_up": "az graph-services account create",
}
# Graph's answer for each: status, error.code, innerError.code (None: Graph sends none).
WIRE = {
    "transcripts_disabled": (403, "Forbidden", "GraphAccessToTranscriptsDisabled"),
    "attribution_not_allowed": (403, "Forbidden", "SpeakerAttributionNotAllowed"),
    "no_policy": (403, "Forbidden", None),
    "no_policy_or_rsc": (403, "Forbidden", None),
    "billing_not_set_up": (402, "PaymentRequired", None),
}


async def refuse(emulator: Emulator, kind: str, **scope: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(emulator.origin + "/_emulator/refusals", json={"refusal": kind, **scope}) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def last_meeting_id(emulator: Emulator) -> str:
    """The meeting `analyze last meeting` settles on for the demo user, as the bot's client sees it."""
    meetings = GraphMeetings(make_graph_client(StaticTokenCredential(), base_url=emulator.base_url))
    [last] = await meetings.recent_meetings(DEMO_USER_ID, limit=1)
    return last.meeting_id


async def switch_on(stack: Stack, refusal: Refusal, meeting_id: str) -> None:
    """Per user or per meeting where the refusal is one, tenant-wide where the setting is."""
    if refusal is NO_POLICY:
        await refuse(stack.emulator, refusal.kind, user=DEMO_USER_ID)
    elif refusal is NO_POLICY_OR_RSC:
        await refuse(stack.emulator, refusal.kind, meeting_id=meeting_id)
    else:
        await refuse(stack.emulator, refusal.kind)


def assert_names_cause_and_step(card: dict[str, Any], refusal: Refusal) -> None:
    body = texts(card)
    assert refusal.title in body
    assert refusal.cause in body
    assert STEPS[refusal.kind] in body, body
    assert "Ask your Microsoft 365 admin" in body


def litware(stack: Stack) -> Any:
    return next(m for m in stack.emulator.app[EMULATOR_STATE].seed.meetings if m.key == "litware")


# -- the emulator: Graph's status codes and bodies ------------------------------------------------


@pytest.mark.parametrize("kind", sorted(WIRE))
async def test_the_emulator_answers_each_refusal_as_graph_does(kind: str) -> None:
    emulator, runner = await start_emulator()
    try:
        meeting = next(m for m in emulator.app[EMULATOR_STATE].seed.meetings if m.key == "litware")
        await refuse(emulator, kind)
        meeting.vtt = sample_vtt().encode()
        base = f"{emulator.base_url}/users/{meeting.organizer_id}/onlineMeetings/{meeting.meeting_id}"
        url = f"{base}/transcripts/{meeting.transcript_id}/content?$format=text/vtt"
        meeting.transcript_delay = timedelta(0)  # published: the content exists
        headers = {"Authorization": "Bearer t", "client-request-id": "c-1"}
        async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as resp:
            body = await resp.json()
            status = resp.status
    finally:
        await runner.cleanup()
    want_status, want_code, want_inner = WIRE[kind]
    assert status == want_status
    assert_valid(body, ODATA_ERROR)  # the published ODataError schema
    assert body["error"]["code"] == want_code and body["error"]["message"]
    assert set(body["error"]["innerError"]) >= {"date", "request-id", "client-request-id"}
    assert body["error"]["innerError"].get("code") == want_inner


async def test_refusals_are_scoped_and_switch_off_again() -> None:
    emulator, runner = await start_emulator()
    try:
        users = emulator.app[EMULATOR_STATE].seed.users.values()
        other = next(u for u in users if u.id != DEMO_USER_ID and u.policy_granted)
        listed = await refuse(emulator, "no_policy", user=DEMO_USER_ID)
        assert listed == {"refusals": {"no_policy": [f"user:{DEMO_USER_ID}"]}}
        async with aiohttp.ClientSession(headers={"Authorization": "Bearer t"}) as http:
            for user, want in ((DEMO_USER_ID, 403), (other.id, 200)):
                url = f"{emulator.base_url}/users/{user}/onlineMeetings?$filter=JoinWebUrl eq 'x'"
                async with http.get(url) as resp:
                    assert resp.status == want, (user, resp.status)
            body = {"refusal": "no_policy", "user": DEMO_USER_ID, "on": False}
            async with http.post(emulator.origin + "/_emulator/refusals", json=body) as resp:
                assert await resp.json() == {"refusals": {}}
            async with http.post(emulator.origin + "/_emulator/refusals", json={"refusal": "nope"}) as resp:
                assert resp.status == 400
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda r: r.kind)
async def test_the_sdk_call_raises_the_refusal_with_its_cause(refusal: Refusal) -> None:
    emulator, runner = await start_emulator()
    try:
        meetings = GraphMeetings(make_graph_client(StaticTokenCredential(), base_url=emulator.base_url))
        [last] = await meetings.recent_meetings(DEMO_USER_ID, limit=1)
        organizer = last.organizer.user_id or DEMO_USER_ID  # Graph checks the policy of the user in the path
        scope = {"no_policy": {"user": organizer}, "no_policy_or_rsc": {"meeting_id": last.meeting_id}}
        await refuse(emulator, refusal.kind, **scope.get(refusal.kind, {}))
        with pytest.raises(TenantRefusal) as caught:
            refs = await meetings.transcripts(DEMO_USER_ID, last)
            await meetings.transcript_vtt(DEMO_USER_ID, latest_transcript(refs, last, now=datetime.now(UTC)))
    finally:
        await runner.cleanup()
    assert caught.value.refusal is refusal
    assert str(caught.value).startswith(refusal.cause)


# -- through the bot: asked in chat ----------------------------------------------------------------


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda r: r.kind)
async def test_analyze_ends_in_a_card_naming_the_cause_and_the_admin_step(refusal: Refusal) -> None:
    async with running_stack() as stack:
        await switch_on(stack, refusal, await last_meeting_id(stack.emulator))
        await stack.say("analyze last meeting")
        final = (stack.connector.updates or stack.connector.posted)[-1]
        card = final["attachments"][0]["content"]
        assert_names_cause_and_step(card, refusal)
        assert [a.get("verb") for a in card.get("actions", [])] == ["analyze"]  # Try again, once fixed
        assert not stack.analyzer.seen  # nothing was analysed


async def test_meetings_says_transcripts_are_off_instead_of_listing_nothing() -> None:
    async with running_stack() as stack:
        await refuse(stack.emulator, "transcripts_disabled")
        await stack.say("meetings")
        card = stack.connector.cards()[-1]
        assert_names_cause_and_step(card, TRANSCRIPTS_DISABLED)


# -- through the bot: after a transcript notification ----------------------------------------------


@pytest.mark.parametrize("refusal", REFUSALS, ids=lambda r: r.kind)
async def test_the_automatic_path_sends_the_card_and_logs_one_line_with_the_cause(
    refusal: Refusal, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_stack() as stack:
        await stack.say("help")  # the organizer has a personal chat with the bot
        stack.connector.posted.clear()
        await switch_on(stack, refusal, litware(stack).meeting_id)
        caplog.clear()
        with caplog.at_level(logging.INFO):
            await stack.publish("litware")
        [delivered] = stack.connector.posted
        assert_names_cause_and_step(delivered["attachments"][0]["content"], refusal)
        tid = litware(stack).transcript_id
        assert await stack.app[STATE].transcript_status(tid) == "delivered_error_card"
    lines = [r.getMessage() for r in caplog.records]
    naming = [line for line in lines if refusal.cause in line]
    assert len(naming) == 1, lines
    assert refusal.admin_step in naming[0]
    vtt = sample_vtt().splitlines()
    spoken = [line.strip() for line in vtt if len(line.strip()) > 25 and "-->" not in line]
    assert spoken
    for line in lines:
        assert EMULATOR_TOKEN not in line and "Bearer" not in line
        assert not any(said in line for said in spoken), line


# -- the subscription -----------------------------------------------------------------------------


async def test_a_tenant_with_transcripts_off_gets_a_logged_cause_not_a_crash(
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator, emulator_runner = await start_emulator()
    try:
        await refuse(emulator, "transcripts_disabled")

        def quick_retry(app: Any) -> None:
            app[KEEPER].refused_retry_s = 0.3

        with caplog.at_level(logging.INFO):
            async with running_stack(emulator=emulator, configure=quick_retry, subscribed=False) as stack:
                keeper = stack.app[KEEPER]
                await asyncio.sleep(0.5)
                assert not keeper.ready.is_set()
                await stack.say("help")  # the bot still serves chat
                assert stack.connector.posted
                lines = [r.getMessage() for r in caplog.records]
                refused = [line for line in lines if TRANSCRIPTS_DISABLED.cause in line]
                assert refused and all("transcript subscription" in line for line in refused), lines
                assert STEPS["transcripts_disabled"] in refused[0]

                async with aiohttp.ClientSession() as http:  # the admin turns access on
                    await http.post(emulator.origin + "/_emulator/refusals", json={"clear": True})
                await asyncio.wait_for(keeper.ready.wait(), 10)
                assert keeper.subscription_id
    finally:
        await emulator_runner.cleanup()


def test_every_refusal_has_a_distinct_cause_and_step() -> None:
    assert len({r.kind for r in REFUSALS}) == len({r.cause for r in REFUSALS}) == len(REFUSALS)
    assert {r.kind for r in REFUSALS} == set(STEPS) == set(WIRE)
    assert BILLING.cause != ATTRIBUTION_OFF.cause


def test_deploy_readme_has_the_first_transcript_checklist_in_order() -> None:
    readme = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    checklist = readme.split("## First transcript: checklist", 1)[1].split("\n## ", 1)[0]
    order = [
        "transcripts_disabled",
        "attribution_not_allowed",
        "no_policy",
        "no_policy_or_rsc",
        "billing_not_set_up",
    ]
    by_kind = {r.kind: r for r in REFUSALS}
    rows = [line for line in checklist.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert len(rows) == len(order)
    for row, kind in zip(rows, order, strict=True):
        assert row.rstrip(" |").endswith(by_kind[kind].title), row  # the card's title, in that order
    for kind, step in STEPS.items():
        if kind != "no_policy":  # README names the organizer in section 3's own words
            assert step.split(" and ")[0].split(" -Identity <")[0] in checklist, kind
