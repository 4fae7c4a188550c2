"""Downloads are bounded by bytes: a draft or transcript past the limit is refused, never read whole.

Through msgraph-sdk over HTTP: the Graph emulator for a too-large answer that says its length, and a
small local server (same URL shape) for an endless answer that does not, where the limit can only be
kept by reading in chunks and dropping the connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from msgraph import GraphServiceClient

import graph.documents
from graph.client import make_graph_client
from graph.credentials import StaticTokenCredential
from graph.documents import DRAFT_DOWNLOAD_LIMIT, GraphDocuments
from graph.download import DownloadTooLarge
from graph.emulator.seed import DEMO_USER_ID, DRIVE_ID, INTERNAL_DOMAIN
from graph.emulator.state import STATE
from graph.meetings import TRANSCRIPT_DOWNLOAD_LIMIT, GraphMeetings
from graph.service import GraphError
from mcem.parsing import MAX_BYTES
from tests.support.graph import Emulator, client, emulator, start_emulator

__all__ = ["client", "emulator"]  # fixtures, used by name

MB = 1024 * 1024


def test_the_transcript_download_limit_is_what_the_parser_accepts() -> None:
    assert TRANSCRIPT_DOWNLOAD_LIMIT == MAX_BYTES


async def test_a_draft_replaced_by_something_huge_is_refused(
    client: GraphServiceClient, emulator: Emulator
) -> None:
    documents = GraphDocuments(client, DRIVE_ID)
    stored = await documents.upload("Contoso", "draft.docx", b"PK\x03\x04 small")
    emulator.app[STATE].drive.items[stored.item_id].content = b"\0" * (DRAFT_DOWNLOAD_LIMIT + 1)
    with pytest.raises(DownloadTooLarge, match="larger than 25 MB"):
        await documents.download(stored.item_id)
    # Within the limit the same call still works, with the SDK's token.
    emulator.app[STATE].drive.items[stored.item_id].content = b"PK\x03\x04 edited"
    assert await documents.download(stored.item_id) == b"PK\x03\x04 edited"


async def test_a_transcript_larger_than_any_meeting_is_refused(
    client: GraphServiceClient, emulator: Emulator
) -> None:
    meetings = GraphMeetings(client, tenant_domains=[INTERNAL_DOMAIN])
    [last] = await meetings.recent_meetings(DEMO_USER_ID, limit=1)
    [ref] = await meetings.transcripts(DEMO_USER_ID, last)
    seeded = emulator.app[STATE].meeting(ref.meeting_id)
    assert seeded is not None and seeded.vtt
    seeded.vtt = b"WEBVTT\n\n" + b"x" * TRANSCRIPT_DOWNLOAD_LIMIT
    with pytest.raises(DownloadTooLarge, match="larger than 20 MB"):
        await meetings.transcript_vtt(DEMO_USER_ID, ref)


async def test_downloads_keep_the_sdk_sign_in() -> None:
    emu, runner = await start_emulator(token="only-this-token")
    try:
        wrong = GraphDocuments(
            make_graph_client(StaticTokenCredential("wrong"), base_url=emu.base_url), DRIVE_ID
        )
        right = GraphDocuments(
            make_graph_client(StaticTokenCredential("only-this-token"), base_url=emu.base_url), DRIVE_ID
        )
        stored = await right.upload("Contoso", "draft.docx", b"PK\x03\x04 signed")
        assert await right.download(stored.item_id) == b"PK\x03\x04 signed"
        with pytest.raises(GraphError, match="401"):
            await wrong.download(stored.item_id)
    finally:
        await runner.cleanup()


@pytest.fixture
async def endless() -> AsyncIterator[tuple[str, dict[str, int]]]:
    """A server that answers a draft download with chunks forever and no Content-Length."""
    sent = {"bytes": 0, "requests": 0}
    finished = asyncio.Event()

    async def content(request: web.Request) -> web.StreamResponse:
        sent["requests"] += 1
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        chunk = b"\0" * (64 * 1024)
        try:
            for _ in range(100_000):  # 6 GB if nobody stops reading
                await response.write(chunk)
                sent["bytes"] += len(chunk)
        except (ConnectionResetError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            finished.set()
        return response

    app = web.Application()
    app.router.add_get("/v1.0/drives/{drive}/items/{item}/content", content)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/v1.0", sent
        await asyncio.wait_for(finished.wait(), 10)
    finally:
        await runner.cleanup()


async def test_an_endless_download_is_dropped_just_past_the_limit(
    endless: tuple[str, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url, sent = endless
    monkeypatch.setattr(graph.documents, "DRAFT_DOWNLOAD_LIMIT", 2 * MB)
    documents = GraphDocuments(make_graph_client(StaticTokenCredential(), base_url=base_url), DRIVE_ID)
    with pytest.raises(DownloadTooLarge):
        await documents.download("01ENDLESS")
    assert sent["requests"] == 1
    # The server got its connection dropped: it could send at most what sits in socket buffers.
    await asyncio.sleep(0.2)
    assert sent["bytes"] < 2 * MB + 16 * MB
