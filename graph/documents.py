"""Drafts into the configured SharePoint document library, through msgraph-sdk (DocumentStore).

Small files: one ``PUT /drives/{drive}/items/root:/{path}:/content`` with
``@microsoft.graph.conflictBehavior=rename``. Above 4 MB: ``createUploadSession`` and ranged PUTs
to its upload URL (multiples of 320 KiB, as Graph requires). A name clash never overwrites: Graph
keeps both and returns the new name ("… 1.docx"), which is what the caller gets back. The bot's own
generated files (the account brief) pass ``replace=True``: a new one takes the old one's place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime

from kiota_abstractions.method import Method
from kiota_abstractions.request_information import RequestInformation
from msgraph import GraphServiceClient
from msgraph.generated.drives.item.items.item.create_upload_session.create_upload_session_post_request_body import (  # noqa: E501
    CreateUploadSessionPostRequestBody,
)
from msgraph.generated.models.drive_item import DriveItem
from msgraph.generated.models.drive_item_uploadable_properties import DriveItemUploadableProperties
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from graph.credentials import graph_settings_from_env
from graph.download import bounded_content
from graph.failures import graph_call
from graph.records import StoredItem, send_json
from graph.service import GraphError, StoredDocument
from mcem.errors import ConfigError

__all__ = ["GraphDocuments", "document_path"]

SIMPLE_LIMIT = 4 * 1024 * 1024
CHUNK = 16 * 320 * 1024  # 5 MiB: a multiple of 320 KiB, as upload sessions require
WRITE_PERMISSION = "the app needs write access to the SharePoint site (Sites.Selected or Sites.ReadWrite.All)"
READ_PERMISSION = "the app needs read access to the SharePoint site (Sites.Selected or Sites.Read.All)"
_FORBIDDEN = re.compile(r'["*:<>?/\\|#%]|[\x00-\x1f\x7f]')
# A draft is ~50 KB; pictures pasted into it can make a few MB. Anything past this is not a draft.
DRAFT_DOWNLOAD_LIMIT = 25 * 1024 * 1024
_DRAFT_TOO_LARGE = (
    f"The draft in SharePoint is larger than {DRAFT_DOWNLOAD_LIMIT // (1024 * 1024)} MB, far more than an "
    "analysis: restore an earlier version in SharePoint, or run the analysis again."
)
NAME_LIMIT = 120  # characters in a file name stem; SharePoint allows 400 for the whole path


def _library_not_found(_: str) -> GraphError:
    return GraphError(
        "The SharePoint document library was not found: check MCEM_SHAREPOINT_DRIVE_ID (the drive id of "
        "the library, from GET /sites/{site-id}/drive)."
    )


# Bidi embeddings, overrides and isolates (and the marks) make "draft\u202excod.exe" display as
# "draft.exe.docx"-like text in SharePoint and Teams: a name need not show what it is.
_BIDI = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
# Windows device names (with or without an extension) and SharePoint's own reserved names.
_RESERVED = re.compile(
    r"(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|forms|desktop\.ini|\.lock)(?:\..*)?", re.IGNORECASE
)


def _clean(text: str, limit: int) -> str:
    text = unicodedata.normalize("NFC", text)
    text = _BIDI.sub("", text)
    text = _FORBIDDEN.sub("-", text)
    text = re.sub(r"\s+", " ", text).strip()
    text = text[:limit].rstrip(" .")
    # SharePoint refuses names that start with "~$" or contain "_vti_".
    text = text.replace("_vti_", "vti").lstrip("~$ .")
    if _RESERVED.fullmatch(text):
        head, dot, rest = text.partition(".")  # Windows reads the part before the first dot
        text = f"{head}_{dot}{rest}"
    return text


def document_path(company: str, start: datetime, subject: str) -> tuple[str, str]:
    """``(<Company>, "<yyyy-mm-dd> <subject>.docx")`` with the characters SharePoint forbids replaced."""
    folder = _clean(company, 80) or "Unknown customer"
    stem = _clean(f"{start:%Y-%m-%d} {subject}", NAME_LIMIT) or f"{start:%Y-%m-%d} meeting"
    return folder, f"{stem}.docx"


def _draft_not_found(_: str) -> GraphError:
    return GraphError(
        "The draft is no longer in SharePoint (moved or deleted): run the analysis again for a new one."
    )


class GraphDocuments:
    """DocumentStore on one SharePoint drive; ``folder`` is an optional base folder inside it."""

    def __init__(
        self,
        client: GraphServiceClient,
        drive_id: str,
        *,
        folder: str = "",
        simple_limit: int = SIMPLE_LIMIT,
        chunk_size: int = CHUNK,
    ) -> None:
        if not drive_id:
            raise ConfigError(
                "MCEM_SHAREPOINT_DRIVE_ID is not set: name the document library for the drafts."
            )
        if chunk_size % (320 * 1024):
            raise ValueError("chunk_size must be a multiple of 320 KiB")
        self._client = client
        self._drive_id = drive_id
        self._folder = folder.strip("/")
        self._simple_limit = simple_limit
        self._chunk = chunk_size

    @classmethod
    def from_env(cls, client: GraphServiceClient, environ: Mapping[str, str]) -> GraphDocuments:
        settings = graph_settings_from_env(environ)
        return cls(client, settings.drive_id, folder=settings.folder)

    async def upload(
        self, folder: str, filename: str, content: bytes, *, replace: bool = False
    ) -> StoredDocument:
        conflict = "replace" if replace else "rename"
        parts = [p for p in (*self._folder.split("/"), *folder.split("/")) if p.strip()]
        if not filename.strip() or _FORBIDDEN.search(filename):
            raise GraphError(
                f"“{filename}” is not a valid SharePoint file name; use document_path() to build it."
            )
        path = "/".join([*parts, filename])
        item = self._client.drives.by_drive_id(self._drive_id).items.by_drive_item_id(f"root:/{path}:")
        if len(content) <= self._simple_limit:
            info = item.content.to_put_request_information(content)
            info.path_parameters["baseurl"] = self._client.request_adapter.base_url.rstrip("/")
            # Keep both on a clash: the builder has no parameter for it, so it goes on the URL.
            url = info.url + f"?%40microsoft.graph.conflictBehavior={conflict}"
            # The new driveItem read as plain JSON (graph/records.py): the SDK's model parsing is slow.
            put = item.content.with_url(url).to_put_request_information(content)
            data = await graph_call(
                send_json(self._client, put),
                "the SharePoint library",
                permission=WRITE_PERMISSION,
                not_found=_library_not_found,
            )
            stored = StoredItem.read(data)
        else:
            session_item = await self._upload_in_session(item, content, conflict)
            stored = (
                StoredItem(session_item.id or "", session_item.name or "", session_item.web_url or "")
                if session_item
                else StoredItem("", "", "")
            )
        if not stored.id:
            raise GraphError("SharePoint did not confirm the upload; try again.")
        return StoredDocument(item_id=stored.id, name=stored.name or filename, web_url=stored.web_url)

    async def download(self, item_id: str) -> bytes:
        """The current content of a stored draft, as people left it after editing."""
        if not item_id.strip() or "/" in item_id:
            raise GraphError("That is not a SharePoint item id; use the one upload() returned.")
        item = self._client.drives.by_drive_id(self._drive_id).items.by_drive_item_id(item_id)
        content = await graph_call(
            bounded_content(
                self._client,
                item.content.to_get_request_information(),
                limit=DRAFT_DOWNLOAD_LIMIT,
                too_large=_DRAFT_TOO_LARGE,
            ),
            "the draft in SharePoint",
            permission=READ_PERMISSION,
            not_found=_draft_not_found,
        )
        if not content:
            raise GraphError("SharePoint returned an empty draft; open it in Word and save it again.")
        return content

    async def _upload_in_session(self, item, content: bytes, conflict: str) -> DriveItem | None:  # type: ignore[no-untyped-def]
        body = CreateUploadSessionPostRequestBody(
            item=DriveItemUploadableProperties(
                additional_data={"@microsoft.graph.conflictBehavior": conflict}
            )
        )
        session = await graph_call(
            item.create_upload_session.post(body),
            "the SharePoint library",
            permission=WRITE_PERMISSION,
            not_found=_library_not_found,
        )
        if session is None or not session.upload_url:
            raise GraphError("SharePoint did not open an upload session; try again.")
        adapter = self._client.request_adapter
        errors = {"XXX": ODataError}
        total = len(content)
        stored: DriveItem | None = None
        for start in range(0, total, self._chunk):
            chunk = content[start : start + self._chunk]
            info = RequestInformation(Method.PUT)
            # The upload URL is pre-authorised; the SDK adds a token only for Graph's own hosts.
            info.url = session.upload_url
            info.headers.try_add("Content-Range", f"bytes {start}-{start + len(chunk) - 1}/{total}")
            info.set_stream_content(chunk)
            # Every answer but the last is an uploadSession; the last is the new driveItem.
            stored = await graph_call(
                adapter.send_async(info, DriveItem, errors),
                "the SharePoint upload",
                permission=WRITE_PERMISSION,
                not_found=_library_not_found,
            )
        return stored
