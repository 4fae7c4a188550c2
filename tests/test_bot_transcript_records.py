"""bot/transcript_records.py on both backends (SQLite and Azure Table Storage in Azurite): the
content cache (whole, checked, dropped when stale or damaged), delta links, opted-in organizers and
the monthly minutes counted once per download, also by racing instances."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta

from bot.state import PersonalChat
from bot.transcript_records import CHUNK, USAGE_FRESH, TranscriptRecords
from tests.support.azurite import Azurite, azurite_fixture  # noqa: F401 - the fixture
from tests.support.stores import Storage, storage_fixture  # noqa: F401 - the fixture


async def test_content_comes_back_whole_across_chunks_and_instances(storage: Storage) -> None:
    content = os.urandom(CHUNK * 2)  # not text: bytes of any kind, over several chunks when encoded
    first = (await storage.open_state()).transcripts
    await first.put("t-1", content, minutes=12.5)
    other = (await storage.open_state()).transcripts  # another instance, or after a restart
    assert await other.get("t-1") == content
    assert await other.get("t-2") is None


async def test_a_stale_or_damaged_copy_is_not_used_and_is_removed(storage: Storage) -> None:
    state = await storage.open_state()
    cache = state.transcripts
    await cache.put("t-1", b"WEBVTT\n\n00:00.000 --> 00:01.000\n<v A>Hi.</v>\n", minutes=0.02)
    await state.records.put("contents", "t-1", {"i": 0, "text": "ZGFtYWdlZA=="}, row="c00000")
    assert await cache.get("t-1") is None  # the digest disagrees: downloaded again, never used
    assert await state.records.get("contentheads", "t-1") is None
    young = TranscriptRecords(state.records, ttl=timedelta(hours=1))
    await young.put("t-2", b"x", minutes=0.0)
    old = TranscriptRecords(state.records, ttl=timedelta(0))
    await asyncio.sleep(0.01)
    assert await old.prune() == 1 and await young.get("t-2") is None
    assert await state.records.scan("contents", "t-2") == []


async def test_delta_links_and_opted_in_organizers(storage: Storage) -> None:
    state = await storage.open_state()
    for user in ("u-2", "u-1"):
        await state.save_personal_chat(
            PersonalChat(user_id=user, tenant_id="t", reference={"x": 1}, claims={})
        )
    assert await state.transcripts.opted_in_organizers() == ["u-1", "u-2"]
    assert await state.transcripts.delta_link("u-1") is None
    await state.transcripts.save_delta_link("u-1", "https://graph/delta?$deltatoken=a")
    await state.transcripts.save_delta_link("u-1", "https://graph/delta?$deltatoken=b")
    assert await state.transcripts.delta_link("u-1") == "https://graph/delta?$deltatoken=b"


async def test_minutes_are_counted_once_per_download_by_racing_instances(storage: Storage) -> None:
    counters = [(await storage.open_state()).transcripts for _ in range(3)]
    await asyncio.gather(*(c.count_download(1.5) for c in counters for _ in range(4)))
    usage = await counters[0].usage()
    assert usage == {"month": datetime.now(UTC).strftime("%Y-%m"), "minutes": 18.0, "downloads": 12}
    last_year = await counters[0].usage(datetime.now(UTC) - timedelta(days=400))
    assert last_year["downloads"] == 0


async def test_the_months_usage_is_read_from_the_store_at_most_every_thirty_seconds(storage: Storage) -> None:
    # /api/health shows it on every probe: a probe every 20 ms must not be a store read each.
    now = [datetime.now(UTC)]
    state = await storage.open_state()
    probed = TranscriptRecords(state.records, clock=lambda: now[0])
    other = (await storage.open_state()).transcripts  # another instance downloading
    assert (await probed.usage())["downloads"] == 0
    await other.count_download(2.0)
    assert (await probed.usage())["downloads"] == 0  # as read a moment ago
    await probed.count_download(1.0)  # its own download shows at once
    assert (await probed.usage())["downloads"] == 2
    await other.count_download(2.0)
    now[0] += USAGE_FRESH
    assert await probed.usage() == {"month": now[0].strftime("%Y-%m"), "minutes": 5.0, "downloads": 3}
