"""The emulator speaks Graph: every path it serves is in the published v1.0 spec, and its JSON
answers validate against the spec's schemas (requests made over HTTP, as any client would)."""

from __future__ import annotations

import asyncio
import re
import sys
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from graph.credentials import EMULATOR_TOKEN
from graph.emulator.seed import DEMO_USER_ID, DRIVE_ID, build_seed
from tests.conftest import ROOT
from tests.support.graph import CSDL_PATH, Emulator, assert_valid, emulator, response_schema_ref, spec

__all__ = ["emulator"]  # the fixture, used by name

AUTH = {"Authorization": f"Bearer {EMULATOR_TOKEN}"}
ERROR = "#/components/schemas/microsoft.graph.ODataErrors.ODataError"

# Each emulator route (as registered) -> the spec paths it answers for.
ROUTE_SPEC = {
    "/v1.0/users/{user_id}": ["/users/{user-id}"],
    "/v1.0/users/{user_id}/calendarView": ["/users/{user-id}/calendarView"],
    "/v1.0/users/{user_id}/events": ["/users/{user-id}/events"],
    "/v1.0/users/{user_id}/onlineMeetings": ["/users/{user-id}/onlineMeetings"],
    "/v1.0/users/{user_id}/onlineMeetings/{meeting_id}": [
        "/users/{user-id}/onlineMeetings/{onlineMeeting-id}"
    ],
    "/v1.0/users/{user_id}/onlineMeetings/{meeting_id}/transcripts": [
        "/users/{user-id}/onlineMeetings/{onlineMeeting-id}/transcripts"
    ],
    "/v1.0/users/{user_id}/onlineMeetings/{meeting_id}/transcripts/{transcript_id}": [
        "/users/{user-id}/onlineMeetings/{onlineMeeting-id}/transcripts/{callTranscript-id}"
    ],
    "/v1.0/users/{user_id}/onlineMeetings/{meeting_id}/recordings": [
        "/users/{user-id}/onlineMeetings/{onlineMeeting-id}/recordings"
    ],
    "/v1.0/users/{user_id}/drive": ["/users/{user-id}/drive"],
    "/v1.0/users/{user_id}/onlineMeetings/{meeting_id}/transcripts/{transcript_id}/content": [
        "/users/{user-id}/onlineMeetings/{onlineMeeting-id}/transcripts/{callTranscript-id}/content"
    ],
    # The delta function composed on getAllTranscripts (composable in the CSDL, tests/test_graph_delta.py):
    # OpenAPI has the function and, on transcripts, the delta's page, but not the composition.
    "/v1.0/users/{user_id}/onlineMeetings/{function}/delta": [
        "/users/{user-id}/onlineMeetings/microsoft.graph.getAllTranscripts(meetingOrganizerUserId='@meetingOrganizerUserId',startDateTime=@startDateTime,endDateTime=@endDateTime)",
        "/users/{user-id}/onlineMeetings/{onlineMeeting-id}/transcripts/microsoft.graph.delta()",
    ],
    "/v1.0/drives/{drive_id}/items/{tail}": [
        "/drives/{drive-id}/items/{driveItem-id}",
        "/drives/{drive-id}/items/{driveItem-id}/content",
        "/drives/{drive-id}/items/{driveItem-id}/microsoft.graph.createUploadSession",
    ],
    "/v1.0/drives/{drive_id}/{tail}": ["/drives/{drive-id}/root"],
    # The SDK posts to .../sendMail; the spec names the action with its namespace.
    "/v1.0/users/{user_id}/sendMail": ["/users/{user-id}/microsoft.graph.sendMail"],
    "/v1.0/users/{user_id}/microsoft.graph.sendMail": ["/users/{user-id}/microsoft.graph.sendMail"],
    "/v1.0/subscriptions": ["/subscriptions"],
    "/v1.0/subscriptions/{subscription_id}": ["/subscriptions/{subscription-id}"],
}


# Paths the YAML subset lacks but the CSDL makes addressable: (entity type, navigation property, its type).
CSDL_NAVIGATION = {
    "/users/{user-id}/onlineMeetings/{onlineMeeting-id}/recordings": (
        "onlineMeeting",
        '<NavigationProperty Name="recordings" Type="Collection(graph.callRecording)" '
        'ContainsTarget="true" />',
    ),
    "/users/{user-id}/drive": ("user", '<NavigationProperty Name="drive" Type="graph.drive" />'),
}


def _entity_type(csdl: str, name: str) -> str:
    start = csdl.index(f'<EntityType Name="{name}"')
    return csdl[start : csdl.index("</EntityType>", start)]


def test_every_graph_route_the_emulator_serves_is_in_the_spec(emulator: Emulator) -> None:
    served = set()
    for resource in emulator.app.router.resources():
        path = re.sub(r"\{(\w+)(:[^}]*)?\}", r"{\1}", resource.canonical)
        if path.startswith("/v1.0/"):
            served.add(path)
    assert served == set(ROUTE_SPEC), "map each new route to its spec path"
    paths = spec()["paths"]
    for route, spec_paths in ROUTE_SPEC.items():
        for spec_path in spec_paths:
            if spec_path == "/users/{user-id}":
                # Not a path in the YAML subset: the user entity is in its schemas and in the CSDL.
                assert "microsoft.graph.user" in spec()["components"]["schemas"]
                assert '<EntityType Name="user"' in CSDL_PATH.read_text(encoding="utf-8")
                continue
            if spec_path in CSDL_NAVIGATION:
                entity, navigation = CSDL_NAVIGATION[spec_path]
                assert navigation in _entity_type(CSDL_PATH.read_text(encoding="utf-8"), entity)
                continue
            assert spec_path in paths, f"{route} -> {spec_path} is not in the spec"


async def _get(http: aiohttp.ClientSession, url: str, **kw: Any) -> tuple[int, Any, str]:
    async with http.get(url, **kw) as resp:
        ctype = resp.headers.get("Content-Type", "")
        body = await resp.json() if ctype.startswith("application/json") else await resp.read()
        return resp.status, body, ctype


@pytest.fixture
async def http() -> Any:
    async with aiohttp.ClientSession(headers=AUTH) as session:
        yield session


async def test_meeting_answers_validate_against_the_spec(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    base = emulator.base_url
    user = f"{base}/users/{DEMO_USER_ID}"

    status, body, _ = await _get(http, user)
    assert status == 200 and body["id"] == DEMO_USER_ID
    assert body["@odata.context"].endswith("$metadata#users/$entity")
    assert_valid(body, "#/components/schemas/microsoft.graph.user")

    window = {"startDateTime": "2000-01-01T00:00:00Z", "endDateTime": "2100-01-01T00:00:00Z", "$top": "3"}
    status, view, _ = await _get(http, f"{user}/calendarView", params=window)
    assert status == 200 and len(view["value"]) == 3 and "@odata.nextLink" in view
    assert_valid(view, response_schema_ref("/users/{user-id}/calendarView", "get") or "")
    status, events, _ = await _get(http, f"{user}/events")
    assert status == 200
    assert_valid(events, response_schema_ref("/users/{user-id}/events", "get") or "")

    join_url = next(e for e in view["value"] if e["isOnlineMeeting"])["onlineMeeting"]["joinUrl"]
    filt = {"$filter": f"JoinWebUrl eq '{join_url}'"}
    status, meetings, _ = await _get(http, f"{user}/onlineMeetings", params=filt)
    assert status == 200 and len(meetings["value"]) == 1
    assert_valid(meetings, response_schema_ref("/users/{user-id}/onlineMeetings", "get") or "")
    meeting = meetings["value"][0]
    organizer = meeting["participants"]["organizer"]["identity"]["user"]["id"]

    mpath = f"{base}/users/{organizer}/onlineMeetings/{meeting['id']}"
    status, one, _ = await _get(http, mpath)
    assert status == 200
    assert_valid(one, "#/components/schemas/microsoft.graph.onlineMeeting")
    status, transcripts, _ = await _get(http, mpath + "/transcripts")
    assert status == 200
    assert_valid(
        transcripts,
        response_schema_ref("/users/{user-id}/onlineMeetings/{onlineMeeting-id}/transcripts", "get") or "",
    )
    tid = transcripts["value"][0]["id"]
    status, transcript, _ = await _get(http, f"{mpath}/transcripts/{tid}")
    assert status == 200
    assert_valid(transcript, "#/components/schemas/microsoft.graph.callTranscript")
    status, content, ctype = await _get(
        http, f"{mpath}/transcripts/{tid}/content", params={"$format": "text/vtt"}
    )
    assert status == 200 and ctype.startswith("text/vtt") and content.startswith(b"WEBVTT")


async def test_errors_are_odata_errors_with_the_right_status(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    base = emulator.base_url
    cases = [
        (f"{base}/users/nobody@nowhere.example", {}, 404),
        (f"{base}/users/{DEMO_USER_ID}/calendarView", {}, 400),  # the window is required
        (f"{base}/users/{DEMO_USER_ID}/onlineMeetings", {}, 400),  # only the JoinWebUrl filter
        (f"{base}/users/{DEMO_USER_ID}/onlineMeetings/nope/transcripts", {}, 404),
        (f"{base}/drives/{DRIVE_ID}/items/nope", {}, 404),
        (f"{base}/drives/not-a-drive/root", {}, 404),
        (f"{base}/no/such/path", {}, 404),
    ]
    for url, params, expected in cases:
        status, body, _ = await _get(http, url, params=params)
        assert status == expected, url
        assert_valid(body, ERROR)
        assert body["error"]["code"] and body["error"]["message"]
    # The policy-less organizer of the seeded executive briefing: what Graph says without a policy.
    patti = next(u for u in build_seed().users.values() if not u.policy_granted)
    status, body, _ = await _get(http, f"{base}/users/{patti.id}/onlineMeetings", params={"$filter": "x"})
    assert status == 403 and "not allowed" in body["error"]["message"]
    assert_valid(body, ERROR)


async def test_a_bearer_token_is_required(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as anonymous:
        status, body, _ = await _get(anonymous, f"{emulator.base_url}/users/{DEMO_USER_ID}")
        assert status == 401 and body["error"]["code"] == "InvalidAuthenticationToken"
        assert_valid(body, ERROR)
        status, _, _ = await _get(
            anonymous, emulator.base_url + f"/users/{DEMO_USER_ID}", headers={"Authorization": "Basic abc"}
        )
        assert status == 401


async def test_drive_answers_validate_against_the_spec(
    emulator: Emulator, http: aiohttp.ClientSession
) -> None:
    drive = f"{emulator.base_url}/drives/{DRIVE_ID}"
    status, root, _ = await _get(http, f"{drive}/root")
    assert status == 200 and "root" in root
    assert_valid(root, "#/components/schemas/microsoft.graph.driveItem")

    path = quote("root:/Acme/2026-01-02 Call.docx:", safe="")
    url = f"{drive}/items/{path}/content?@microsoft.graph.conflictBehavior=rename"
    async with http.put(url, data=b"doc") as resp:
        assert resp.status == 201
        item = await resp.json()
    assert_valid(item, response_schema_ref("/drives/{drive-id}/items/{driveItem-id}/content", "put") or "")
    assert item["name"] == "2026-01-02 Call.docx" and item["parentReference"]["path"].endswith("root:/Acme")

    status, again, _ = await _get(http, f"{drive}/items/{item['id']}")
    assert status == 200 and again["id"] == item["id"]
    assert_valid(again, response_schema_ref("/drives/{drive-id}/items/{driveItem-id}", "get") or "")
    status, data, _ = await _get(http, f"{drive}/items/{item['id']}/content")
    assert status == 200 and data == b"doc"

    # Graph's other addressing, /drives/{id}/root:/path:/content, names the same file.
    status, same, _ = await _get(http, f"{drive}/root:/Acme/2026-01-02 Call.docx:/content")
    assert status == 200 and same == b"doc"

    body = {"item": {"@microsoft.graph.conflictBehavior": "fail"}}
    async with http.post(f"{drive}/items/{path}/createUploadSession", json=body) as resp:
        assert resp.status == 409
        assert_valid(await resp.json(), ERROR)
    body["item"]["@microsoft.graph.conflictBehavior"] = "rename"
    async with http.post(f"{drive}/items/{path}/createUploadSession", json=body) as resp:
        assert resp.status == 200
        session = await resp.json()
    assert_valid(
        session,
        response_schema_ref(
            "/drives/{drive-id}/items/{driveItem-id}/microsoft.graph.createUploadSession", "post"
        )
        or "",
    )
    assert session["nextExpectedRanges"] == ["0-"]


async def test_upload_url_checks_ranges(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    drive = f"{emulator.base_url}/drives/{DRIVE_ID}"
    path = quote("root:/Acme/big.bin:", safe="")
    async with http.post(f"{drive}/items/{path}/createUploadSession", json={"item": {}}) as resp:
        upload_url = (await resp.json())["uploadUrl"]
    unit = 320 * 1024
    data = bytes(range(256)) * (unit * 2 // 256) + b"tail"
    async with aiohttp.ClientSession() as plain:  # upload URLs are pre-authorised: no token
        bad = {"Content-Range": f"bytes 5-{unit + 4}/{len(data)}"}
        async with plain.put(upload_url, data=data[5 : unit + 5], headers=bad) as resp:
            assert resp.status == 416  # must start where the server expects
        odd = {"Content-Range": f"bytes 0-99/{len(data)}"}
        async with plain.put(upload_url, data=data[:100], headers=odd) as resp:
            assert resp.status == 400  # not a multiple of 320 KiB
        first = {"Content-Range": f"bytes 0-{2 * unit - 1}/{len(data)}"}
        async with plain.put(upload_url, data=data[: 2 * unit], headers=first) as resp:
            assert resp.status == 202
            assert (await resp.json())["nextExpectedRanges"] == [f"{2 * unit}-"]
        last = {"Content-Range": f"bytes {2 * unit}-{len(data) - 1}/{len(data)}"}
        async with plain.put(upload_url, data=data[2 * unit :], headers=last) as resp:
            assert resp.status == 201
            item = await resp.json()
        assert_valid(item, "#/components/schemas/microsoft.graph.driveItem")
        async with plain.get(item["webUrl"]) as resp:  # the link a user clicks
            assert resp.status == 200 and await resp.read() == data


async def test_request_log_and_reset(emulator: Emulator, http: aiohttp.ClientSession) -> None:
    await _get(http, f"{emulator.base_url}/users/{DEMO_USER_ID}")
    log = await emulator.requests()
    assert log[-1] == {"method": "GET", "path": f"/v1.0/users/{DEMO_USER_ID}", "query": "", "status": 200}
    assert all("Authorization" not in str(entry) and EMULATOR_TOKEN not in str(entry) for entry in log)
    async with http.post(f"{emulator.origin}/_emulator/reset") as resp:
        assert resp.status == 200
    assert await emulator.requests() == []


async def test_runs_as_a_module_on_loopback() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "graph.emulator",
        "--port",
        "0",
        "--token",
        "demo",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), timeout=30)).decode()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/v1\.0", line)
        assert match, line
        async with aiohttp.ClientSession(headers={"Authorization": "Bearer demo"}) as http:
            status, body, _ = await _get(http, f"{match.group(0)}/users/{DEMO_USER_ID}")
        assert status == 200 and body["displayName"] == "Alex Wilber"
    finally:
        proc.terminate()
        await proc.wait()
