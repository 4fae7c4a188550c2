"""GraphDocuments through the real msgraph-sdk client, over HTTP, against the emulator's library."""

from __future__ import annotations

import os
from datetime import datetime

import aiohttp
import pytest
from msgraph import GraphServiceClient

from graph.documents import GraphDocuments, document_path
from graph.emulator.seed import DRIVE_ID
from graph.service import GraphError
from mcem.errors import ConfigError
from tests.support.graph import Emulator, client, emulator

__all__ = ["client", "emulator"]  # fixtures, used by name

START = datetime(2026, 11, 18, 15, 0)


@pytest.fixture
def documents(client: GraphServiceClient) -> GraphDocuments:
    return GraphDocuments(client, DRIVE_ID)


async def _download(url: str) -> bytes:
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200
        return await resp.read()


async def test_upload_then_the_link_serves_the_same_bytes(
    documents: GraphDocuments, client: GraphServiceClient
) -> None:
    folder, name = document_path("Contoso Manufacturing", START, "Contoso Manufacturing – engagement review")
    stored = await documents.upload(folder, name, b"PK\x03\x04 a docx")
    assert stored.name == "2026-11-18 Contoso Manufacturing – engagement review.docx"
    assert "/Contoso%20Manufacturing/" in stored.web_url
    assert await _download(stored.web_url) == b"PK\x03\x04 a docx"
    # And through Graph itself, by the returned id.
    content = await client.drives.by_drive_id(DRIVE_ID).items.by_drive_item_id(stored.item_id).content.get()
    assert content == b"PK\x03\x04 a docx"


async def test_same_name_again_keeps_both(documents: GraphDocuments) -> None:
    first = await documents.upload("Fabrikam", "2026-11-18 Call.docx", b"first draft, edited by people")
    second = await documents.upload("Fabrikam", "2026-11-18 Call.docx", b"second run")
    third = await documents.upload("Fabrikam", "2026-11-18 Call.docx", b"third run")
    assert [first.name, second.name, third.name] == [
        "2026-11-18 Call.docx",
        "2026-11-18 Call 1.docx",
        "2026-11-18 Call 2.docx",
    ]
    assert len({first.item_id, second.item_id, third.item_id}) == 3
    assert await _download(first.web_url) == b"first draft, edited by people"  # never overwritten
    assert await _download(second.web_url) == b"second run"


async def test_a_large_file_goes_through_an_upload_session(
    documents: GraphDocuments, emulator: Emulator
) -> None:
    big = os.urandom(9 * 1024 * 1024 + 12345)  # over 4 MB: two 5 MiB-or-less ranges
    await documents.upload("Northwind", "big.docx", b"small one first")
    stored = await documents.upload("Northwind", "big.docx", big)
    assert stored.name == "big 1.docx"  # rename applies to sessions too
    assert await _download(stored.web_url) == big
    log = await emulator.requests()
    assert [r for r in log if r["method"] == "POST" and r["path"].endswith("/createUploadSession")]
    chunks = [r for r in log if r["method"] == "PUT" and r["path"].startswith("/_upload/")]
    assert len(chunks) == 2 and [c["status"] for c in chunks] == [202, 201]


async def test_a_base_folder_from_the_settings_prefixes_every_path(client: GraphServiceClient) -> None:
    env = {"MCEM_SHAREPOINT_DRIVE_ID": DRIVE_ID, "MCEM_SHAREPOINT_FOLDER": "/Interview Analyses/"}
    stored = await GraphDocuments.from_env(client, env).upload("Litware", "x.docx", b"x")
    assert "/Shared%20Documents/Interview%20Analyses/Litware/x.docx" in stored.web_url


async def test_wrong_drive_is_a_clear_error(client: GraphServiceClient) -> None:
    with pytest.raises(GraphError, match="MCEM_SHAREPOINT_DRIVE_ID"):
        await GraphDocuments(client, "b!not-the-drive").upload("A", "a.docx", b"x")


async def test_a_bad_file_name_is_refused_before_any_call(
    documents: GraphDocuments, emulator: Emulator
) -> None:
    with pytest.raises(GraphError, match="not a valid SharePoint file name"):
        await documents.upload("A", "what?.docx", b"x")
    assert await emulator.requests() == []


def test_configuration_errors() -> None:
    with pytest.raises(ConfigError, match="MCEM_SHAREPOINT_DRIVE_ID"):
        GraphDocuments.from_env(object(), {})  # type: ignore[arg-type]
    # The emulator's library is named like any other: production code knows nothing of its seed.
    emulator = {"MCEM_GRAPH_BASE_URL": "http://127.0.0.1:5090/v1.0"}
    with pytest.raises(ConfigError, match="MCEM_SHAREPOINT_DRIVE_ID"):
        GraphDocuments.from_env(object(), emulator)  # type: ignore[arg-type]
    named = GraphDocuments.from_env(object(), emulator | {"MCEM_SHAREPOINT_DRIVE_ID": DRIVE_ID})  # type: ignore[arg-type]
    assert named._drive_id == DRIVE_ID


@pytest.mark.parametrize(
    ("company", "subject", "folder", "filename"),
    [
        ("Contoso", "Q3 review", "Contoso", "2026-11-18 Q3 review.docx"),
        (
            'A/B "Co" <Ltd>',
            "Plan: 50% done? #1 | a*b\\c",
            "A-B -Co- -Ltd-",
            "2026-11-18 Plan- 50- done- -1 - a-b-c.docx",
        ),
        ("", "  trailing dots...  ", "Unknown customer", "2026-11-18 trailing dots.docx"),
        ("~$Temp", "_vti_ check", "Temp", "2026-11-18 vti check.docx"),
    ],
)
def test_document_path_is_safe_for_sharepoint(company: str, subject: str, folder: str, filename: str) -> None:
    assert document_path(company, START, subject) == (folder, filename)


def test_document_path_limits_the_length() -> None:
    folder, filename = document_path("C" * 300, START, "word " * 100)
    assert len(folder) <= 80 and len(filename) <= 125 and filename.endswith("word.docx")
    assert not any(ch in filename for ch in '"*:<>?/\\|#%')


async def test_download_returns_the_draft_as_people_left_it(
    documents: GraphDocuments, client: GraphServiceClient, emulator: Emulator
) -> None:
    stored = await documents.upload("Contoso", "draft.docx", b"as generated")
    # Someone saves an edited version in Word for the web: the same item, new content.
    item = client.drives.by_drive_id(DRIVE_ID).items.by_drive_item_id(stored.item_id)
    await item.content.put(b"as edited by Megan")
    assert await documents.download(stored.item_id) == b"as edited by Megan"
    gets = [r for r in await emulator.requests() if r["method"] == "GET"]
    assert [r["path"] for r in gets] == [f"/v1.0/drives/{DRIVE_ID}/items/{stored.item_id}/content"]


async def test_download_of_a_deleted_or_unknown_draft_says_so(
    documents: GraphDocuments, emulator: Emulator
) -> None:
    with pytest.raises(GraphError, match="no longer in SharePoint"):
        await documents.download("01NOSUCHITEM")
    with pytest.raises(GraphError, match="not a SharePoint item id"):
        await documents.download("../../sites")
    assert [r["path"] for r in await emulator.requests()] == [
        f"/v1.0/drives/{DRIVE_ID}/items/01NOSUCHITEM/content"
    ]


async def test_the_bots_own_brief_replaces_the_last_one(documents: GraphDocuments) -> None:
    """The account brief is rebuilt on every ask: one file in the folder, the newest content."""
    first = await documents.upload("Contoso", "Account brief.docx", b"brief of two calls", replace=True)
    second = await documents.upload("Contoso", "Account brief.docx", b"brief of three calls", replace=True)
    assert second.name == "Account brief.docx" and second.item_id == first.item_id
    assert await _download(second.web_url) == b"brief of three calls"
