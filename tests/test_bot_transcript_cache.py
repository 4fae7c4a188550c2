"""Nothing fetched twice: a transcript's content is downloaded once, kept in the bot's state, and
Regenerate and Try again read it from there; the minutes downloaded this month are counted and
shown by /api/health. Over HTTP: the real bot, msgraph-sdk and the Graph emulator's request log."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from bot.app import RUNNER
from graph.meeting_rules import vtt_minutes
from tests.fixtures.bot.fakes import sample_vtt
from tests.support.bot import Stack, running_stack
from tests.support.connector import click


async def content_downloads(stack: Stack) -> list[str]:
    return [p for p in await stack.graph_calls() if p.startswith("GET ") and p.endswith("/content")]


async def health(stack: Stack) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(stack.url + "/api/health") as resp:
        assert resp.status == 200
        return await resp.json()


def last_summary(stack: Stack) -> dict[str, Any]:
    cards = [
        a["attachments"][0]["content"]
        for a in [*stack.connector.posted, *stack.connector.updates]
        if a.get("attachments")
    ]
    return next(
        c for c in reversed(cards) if any(x.get("verb") == "regenerate" for x in c.get("actions", []))
    )


async def regenerate(stack: Stack) -> None:
    [action] = [a for a in last_summary(stack)["actions"] if a.get("verb") == "regenerate"]
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            stack.url + "/api/messages", json=click(stack.connector, "regenerate", action["data"])
        ) as resp,
    ):
        assert resp.status == 200
    await asyncio.wait_for(stack.app[RUNNER].wait_idle(), 20)


async def test_a_second_regenerate_downloads_no_transcript() -> None:
    async with running_stack() as stack:
        await stack.say("analyze last meeting")
        assert len(await content_downloads(stack)) == 1
        analysed = len(stack.analyzer.seen)
        await regenerate(stack)
        await regenerate(stack)
        assert len(stack.analyzer.seen) == analysed + 2  # both ran to the end, on the kept content
        assert len(await content_downloads(stack)) == 1  # the emulator's request log: one download in all
        # Every other Graph call still happened: who may read the transcript is asked each time.
        assert sum("/onlineMeetings/" in p and "/transcripts" in p for p in await stack.graph_calls()) >= 3


async def test_health_reports_the_minutes_downloaded_this_month() -> None:
    async with running_stack() as stack:
        before = (await health(stack))["transcripts"]
        assert before["downloads"] == 0 and before["minutes"] == 0
        await stack.say("help")
        published = await stack.publish("litware")
        assert published["transcript_id"]
        after = (await health(stack))["transcripts"]
        assert after["downloads"] == 1
        assert after["minutes"] == round(vtt_minutes(sample_vtt().encode()), 2) > 0
        assert after["month"] == before["month"]


def test_the_length_of_a_transcript_is_read_from_its_last_cue() -> None:
    vtt = (
        b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:05.500\n<v A>Hi.</v>\n\n"
        b"2\n01:02:03.250 --> 01:02:33.750\n<v B>Bye.</v>\n"
    )
    assert vtt_minutes(vtt) == (3600 + 2 * 60 + 33.75) / 60
    assert vtt_minutes(b"WEBVTT\n\n00:10.000 --> 00:59.000\n<v A>Hi.</v>\n") == 59 / 60
    assert vtt_minutes(b"WEBVTT\n") == 0
