"""The emulator's SharePoint document library: one drive, items addressed by id or by
``root:/path:``, simple PUT uploads with ``@microsoft.graph.conflictBehavior``, upload sessions
(createUploadSession + ranged PUTs to the upload URL) and a webUrl that serves the stored file.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from aiohttp import web

__all__ = ["DriveItem", "DriveState", "add_drive_routes"]

SIMPLE_UPLOAD_LIMIT = 250 * 1024 * 1024  # Graph's limit for a single PUT
CHUNK_UNIT = 320 * 1024  # upload session ranges must be multiples of 320 KiB (except the last)
MAX_CHUNK = 60 * 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ErrorFactory = Callable[[int, str, str], web.Response]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class DriveItem:
    id: str
    name: str
    parent: str | None
    folder: bool
    content: bytes = b""
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    version: int = 1


@dataclass
class UploadSession:
    id: str
    parent: str
    name: str
    conflict: str
    expires: datetime
    data: bytearray = field(default_factory=bytearray)
    total: int | None = None


class DriveState:
    def __init__(self, drive_id: str, site_path: str, library: str) -> None:
        self.drive_id = drive_id
        self.site_path = site_path
        self.library = library
        self.root = DriveItem(
            id="01ROOT" + hashlib.sha1(drive_id.encode()).hexdigest()[:20].upper(),
            name="root",
            parent=None,
            folder=True,
        )
        self.items: dict[str, DriveItem] = {self.root.id: self.root}
        self.sessions: dict[str, UploadSession] = {}

    def children(self, folder_id: str) -> list[DriveItem]:
        return [i for i in self.items.values() if i.parent == folder_id]

    def child(self, folder_id: str, name: str) -> DriveItem | None:
        low = name.casefold()  # SharePoint names are case-insensitive
        return next((i for i in self.children(folder_id) if i.name.casefold() == low), None)

    def path_of(self, item: DriveItem) -> str:
        parts: list[str] = []
        while item.parent is not None:
            parts.append(item.name)
            item = self.items[item.parent]
        return "/".join(reversed(parts))

    def resolve(self, path: str, *, create_folders: bool = False) -> DriveItem | None:
        node = self.root
        for name in [p for p in path.split("/") if p]:
            found = self.child(node.id, name)
            if found is None:
                if not create_folders:
                    return None
                found = DriveItem(id=self._new_id(), name=name, parent=node.id, folder=True)
                self.items[found.id] = found
            node = found
        return node

    def _new_id(self) -> str:
        return "01" + uuid.uuid4().hex[:32].upper()

    def store(self, parent: DriveItem, name: str, content: bytes, conflict: str) -> DriveItem | None:
        """Write a file; None when it exists and the caller asked to fail."""
        existing = self.child(parent.id, name)
        if existing is not None:
            if conflict == "fail":
                return None
            if conflict == "replace" and not existing.folder:
                existing.content = content
                existing.modified = datetime.now(UTC)
                existing.version += 1
                return existing
            name = self._free_name(parent, name)
        item = DriveItem(id=self._new_id(), name=name, parent=parent.id, folder=False, content=content)
        self.items[item.id] = item
        return item

    def _free_name(self, parent: DriveItem, name: str) -> str:
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        n = 1
        while True:
            candidate = f"{stem} {n}{'.' + ext if ext else ''}"
            if self.child(parent.id, candidate) is None:
                return candidate
            n += 1

    def web_url(self, origin: str, item: DriveItem) -> str:
        path = "/".join(quote(p) for p in [self.library, *self.path_of(item).split("/")] if p)
        return f"{origin}{self.site_path}/{path}"

    def item_json(self, origin: str, item: DriveItem) -> dict[str, Any]:
        parent = self.items.get(item.parent) if item.parent else None
        body: dict[str, Any] = {
            "id": item.id,
            "name": item.name,
            "size": len(item.content) if not item.folder else 0,
            "webUrl": self.web_url(origin, item),
            "createdDateTime": _iso(item.created),
            "lastModifiedDateTime": _iso(item.modified),
            "eTag": f'"{{{item.id}}},{item.version}"',
            "cTag": f'"c:{{{item.id}}},{item.version}"',
            "createdBy": {"application": {"displayName": "MCEM Analyst"}},
        }
        if parent is not None:
            parent_path = self.path_of(parent)
            body["parentReference"] = {
                "driveId": self.drive_id,
                "driveType": "documentLibrary",
                "id": parent.id,
                "path": f"/drives/{self.drive_id}/root:" + (f"/{parent_path}" if parent_path else ""),
            }
        if item.folder:
            body["folder"] = {"childCount": len(self.children(item.id))}
        else:
            sha = hashlib.sha256(item.content).hexdigest().upper()
            mime = DOCX if item.name.lower().endswith(".docx") else "application/octet-stream"
            body["file"] = {"mimeType": mime, "hashes": {"sha256Hash": sha}}
        if item.parent is None:
            body["root"] = {}
        return body


_ADDRESS = re.compile(r"^(?P<ref>root:(?P<path>[^:]*):|root|[^/:]+)(?P<rest>/.*)?$")


def add_drive_routes(
    app: web.Application, state_of: Callable[[web.Request], DriveState], error: ErrorFactory
) -> None:
    def origin(request: web.Request) -> str:
        return f"{request.scheme}://{request.host}"

    def context(request: web.Request, fragment: str) -> str:
        return f"{origin(request)}/v1.0/$metadata#{fragment}"

    def not_found(what: str) -> web.Response:
        return error(404, "itemNotFound", f"The resource could not be found: {what}.")

    def locate(request: web.Request) -> tuple[DriveState, str, str, str] | web.Response:
        """(drive, item address, rest of the path, path if addressed by path)."""
        drive = state_of(request)
        if request.match_info["drive_id"] != drive.drive_id:
            return error(404, "itemNotFound", "The drive could not be found.")
        tail = request.match_info["tail"]
        match = _ADDRESS.match(tail)
        if match is None:
            return not_found(tail)
        return drive, match.group("ref"), match.group("rest") or "", match.group("path") or ""

    async def items(request: web.Request) -> web.StreamResponse:
        found = locate(request)
        if isinstance(found, web.Response):
            return found
        drive, ref, rest, path = found
        by_path = ref.startswith("root:")
        rest = rest.removeprefix("/").removeprefix("microsoft.graph.")
        if request.method == "PUT" and rest == "content":
            return await _put_content(request, drive, ref, path, by_path)
        if request.method == "POST" and rest == "createUploadSession":
            return await _create_session(request, drive, ref, path, by_path)
        item = drive.resolve(path) if by_path else (drive.root if ref == "root" else drive.items.get(ref))
        if item is None:
            return not_found(path or ref)
        if request.method == "GET" and rest == "":
            body = {
                "@odata.context": context(request, f"drives('{drive.drive_id}')/items/$entity"),
                **drive.item_json(origin(request), item),
            }
            return web.json_response(body)
        if request.method == "GET" and rest == "content":
            if item.folder:
                return error(400, "invalidRequest", "A folder has no content stream.")
            return web.Response(body=item.content, content_type="application/octet-stream")
        if request.method == "GET" and rest == "children":
            kids = [drive.item_json(origin(request), k) for k in drive.children(item.id)]
            return web.json_response(
                {"@odata.context": context(request, "Collection(driveItem)"), "value": kids}
            )
        return error(405, "invalidRequest", f"{request.method} is not supported on this item path.")

    async def _put_content(
        request: web.Request, drive: DriveState, ref: str, path: str, by_path: bool
    ) -> web.Response:
        conflict = request.query.get("@microsoft.graph.conflictBehavior", "replace")
        if conflict not in ("rename", "replace", "fail"):
            return error(400, "invalidRequest", f"Unknown conflictBehavior '{conflict}'.")
        content = await request.read()
        if len(content) > SIMPLE_UPLOAD_LIMIT:
            return error(413, "requestTooLarge", "Use an upload session for files over 250 MB.")
        if by_path:
            folder, _, name = path.strip("/").rpartition("/")
            if not name:
                return error(400, "invalidRequest", "The path must name a file.")
            parent = drive.resolve(folder, create_folders=True)
            assert parent is not None
            stored = drive.store(parent, name, content, conflict)
        else:
            existing = drive.items.get(ref)
            if existing is None or existing.folder:
                return not_found(ref)
            existing.content, existing.modified = content, datetime.now(UTC)
            existing.version += 1
            stored = existing
        if stored is None:
            return error(409, "nameAlreadyExists", "The specified item name already exists.")
        body = {
            "@odata.context": context(request, f"drives('{drive.drive_id}')/items/$entity"),
            **drive.item_json(origin(request), stored),
        }
        return web.json_response(body, status=201 if stored.version == 1 else 200)

    async def _create_session(
        request: web.Request, drive: DriveState, ref: str, path: str, by_path: bool
    ) -> web.Response:
        if not by_path:
            return error(400, "invalidRequest", "Address the new file by path: items/root:/folder/name:/.")
        try:
            body = await request.json()
        except ValueError:
            return error(400, "invalidRequest", "The request body is not JSON.")
        item = body.get("item") if isinstance(body, dict) else None
        item = item if isinstance(item, dict) else {}
        conflict = item.get("@microsoft.graph.conflictBehavior", "replace")
        if conflict not in ("rename", "replace", "fail"):
            return error(400, "invalidRequest", f"Unknown conflictBehavior '{conflict}'.")
        folder, _, name = path.strip("/").rpartition("/")
        if not name:
            return error(400, "invalidRequest", "The path must name a file.")
        parent = drive.resolve(folder, create_folders=True)
        assert parent is not None
        if conflict == "fail" and drive.child(parent.id, name) is not None:
            return error(409, "nameAlreadyExists", "The specified item name already exists.")
        session = UploadSession(
            id=uuid.uuid4().hex,
            parent=parent.id,
            name=name,
            conflict=conflict,
            expires=datetime.now(UTC) + timedelta(hours=1),
        )
        drive.sessions[session.id] = session
        token = base64.urlsafe_b64encode(session.id.encode()).decode().rstrip("=")
        return web.json_response(
            {
                "@odata.context": context(request, "microsoft.graph.uploadSession"),
                "uploadUrl": f"{origin(request)}/_upload/{drive.drive_id}/{token}",
                "expirationDateTime": _iso(session.expires),
                "nextExpectedRanges": ["0-"],
            }
        )

    async def upload_chunk(request: web.Request) -> web.Response:
        drive = state_of(request)
        token = request.match_info["token"]
        try:
            session_id = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        except ValueError:
            session_id = ""
        session = drive.sessions.get(session_id)
        if session is None or datetime.now(UTC) > session.expires:
            return error(404, "itemNotFound", "The upload session was not found or has expired.")
        match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+)", request.headers.get("Content-Range", "").strip())
        if match is None:
            return error(400, "invalidRequest", "Content-Range must be 'bytes start-end/total'.")
        start, end, total = (int(g) for g in match.groups())
        chunk = await request.read()
        if start != len(session.data) or end < start or end >= total or len(chunk) != end - start + 1:
            return error(416, "invalidRange", f"Expected the range starting at {len(session.data)}.")
        if session.total not in (None, total):
            return error(400, "invalidRequest", "The total size changed during the upload.")
        last = end + 1 == total
        if len(chunk) > MAX_CHUNK or (not last and len(chunk) % CHUNK_UNIT):
            return error(400, "invalidRequest", "Each range but the last must be a multiple of 320 KiB.")
        session.total = total
        session.data.extend(chunk)
        if not last:
            return web.json_response(
                {
                    "expirationDateTime": _iso(session.expires),
                    "nextExpectedRanges": [f"{len(session.data)}-"],
                },
                status=202,
            )
        del drive.sessions[session.id]
        parent = drive.items[session.parent]
        stored = drive.store(parent, session.name, bytes(session.data), session.conflict)
        if stored is None:
            return error(409, "nameAlreadyExists", "The specified item name already exists.")
        return web.json_response(drive.item_json(origin(request), stored), status=201)

    async def download(request: web.Request) -> web.StreamResponse:
        drive = state_of(request)
        site = "/sites/" + request.match_info["site"]
        right_place = site == drive.site_path and request.match_info["library"] == drive.library
        item = drive.resolve(request.match_info["path"]) if right_place else None
        if item is None or item.folder:
            return error(404, "itemNotFound", "The file does not exist.")
        mime = DOCX if item.name.lower().endswith(".docx") else "application/octet-stream"
        disposition = f"inline; filename*=UTF-8''{quote(item.name)}"
        headers = {"Content-Disposition": disposition}
        return web.Response(body=item.content, content_type=mime, headers=headers)

    base = "/v1.0/drives/{drive_id}"
    app.router.add_route("*", base + "/items/{tail:.+}", items)
    app.router.add_route("*", base + "/{tail:root(:.*)?}", items)
    app.router.add_put("/_upload/{drive_id}/{token}", upload_chunk)
    # The webUrl a user clicks: the stored file itself (real SharePoint opens Word for the web).
    app.router.add_get("/sites/{site}/{library}/{path:.+}", download)
