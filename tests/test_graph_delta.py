"""The transcripts delta query: the emulator serves it as Graph documents it (checked against the
published specs), and graph/delta.py follows its pages and keeps its link, over HTTP."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import aiohttp
from msgraph import GraphServiceClient

from graph.delta import TranscriptDelta
from graph.emulator.seed import DEMO_USER_ID
from graph.emulator.state import STATE
from tests.support.graph import CSDL_PATH, Emulator, assert_valid, client, emulator

__all__ = ["client", "emulator"]  # fixtures

# The delta function's page as the OpenAPI subset describes it (value, @odata.nextLink, @odata.deltaLink).
DELTA_PAGE = (
    "#/paths/~1users~1{user-id}~1onlineMeetings~1{onlineMeeting-id}~1transcripts~1microsoft.graph.delta()"
    "/get/responses/2XX/content/application~1json/schema"
)
EDM = "{http://docs.oasis-open.org/odata/ns/edm}"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


async def publish(emulator: Emulator, meeting_id: str) -> None:
    body = {"meeting_id": meeting_id, "vtt": "WEBVTT\n\n00:00.000 --> 00:02.000\n<v A>Hi.</v>\n"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(emulator.origin + "/_emulator/transcripts", json=body) as r,
    ):
        assert r.status == 200


async def get(url: str) -> tuple[int, dict]:
    headers = {"Authorization": "Bearer emulator-token"}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as resp:
        return resp.status, await resp.json()


def organizer_with_transcripts(emulator: Emulator) -> str:
    """Alex: the organizer of two meetings with transcripts (AMI) and one without (Litware)."""
    state = emulator.app[STATE]
    theirs = [m for m in state.seed.meetings if m.organizer_id == DEMO_USER_ID]
    assert any(state.transcript_visible(m) for m in theirs) and any(
        m.vtt is None and m.online for m in theirs
    )
    return DEMO_USER_ID


def test_the_csdl_composes_delta_on_get_all_transcripts() -> None:
    root = ET.parse(CSDL_PATH).getroot()
    functions = list(root.iter(f"{EDM}Function"))
    [on_meetings] = [
        f
        for f in functions
        if f.get("Name") == "getAllTranscripts"
        and f.find(f"{EDM}Parameter").get("Type") == "Collection(graph.onlineMeeting)"  # type: ignore[union-attr]
    ]
    assert on_meetings.get("IsComposable") == "true"
    assert "meetingOrganizerUserId" in {p.get("Name") for p in on_meetings.findall(f"{EDM}Parameter")}
    assert on_meetings.find(f"{EDM}ReturnType").get("Type") == "Collection(graph.callTranscript)"  # type: ignore[union-attr]
    assert any(
        f.get("Name") == "delta"
        and f.find(f"{EDM}Parameter").get("Type") == "Collection(graph.callTranscript)"  # type: ignore[union-attr]
        for f in functions
    )


async def test_a_round_pages_to_a_delta_link_and_the_next_round_brings_only_new_ones(
    emulator: Emulator,
) -> None:
    organizer = organizer_with_transcripts(emulator)
    function = f"getAllTranscripts(meetingOrganizerUserId='{organizer}')"
    base = f"{emulator.base_url}/users/{organizer}/onlineMeetings/{function}/delta"
    status, page = await get(base + "?$top=1")
    assert status == 200
    assert_valid(page, DELTA_PAGE)
    seen = [t["id"] for t in page["value"]]
    while "@odata.nextLink" in page:
        assert "$skiptoken=" in page["@odata.nextLink"] and "@odata.deltaLink" not in page
        status, page = await get(page["@odata.nextLink"])
        assert status == 200
        assert_valid(page, DELTA_PAGE)
        seen += [t["id"] for t in page["value"]]
    state = emulator.app[STATE]
    theirs = [
        m
        for m in state.seed.meetings
        if m.organizer_id == organizer and m.vtt and state.transcript_visible(m)
    ]
    assert sorted(seen) == sorted(m.transcript_id for m in theirs) and len(seen) == len(set(seen))
    link = page["@odata.deltaLink"]
    assert "$deltatoken=" in link

    status, again = await get(link)
    assert status == 200 and again["value"] == []  # nothing new since
    # A transcript of theirs appears: the kept link brings it, and only it.
    later = next(m for m in state.seed.meetings if m.organizer_id == organizer and m.online and m.vtt is None)
    await publish(emulator, later.meeting_id)
    status, news = await get(link)
    assert [t["id"] for t in news["value"]] == [later.transcript_id]
    assert news["value"][0]["meetingId"] == later.meeting_id


async def test_without_the_organizer_parameter_graph_refuses(emulator: Emulator) -> None:
    organizer = organizer_with_transcripts(emulator)
    status, body = await get(
        f"{emulator.base_url}/users/{organizer}/onlineMeetings/getAllTranscripts()/delta"
    )
    assert status == 400
    assert_valid(body, "#/components/schemas/microsoft.graph.ODataErrors.ODataError")


async def test_the_client_follows_pages_and_starts_from_a_bounded_time(
    client: GraphServiceClient, emulator: Emulator
) -> None:
    organizer = organizer_with_transcripts(emulator)
    delta = TranscriptDelta(client)
    everything = await delta.round(organizer, None, since=LONG_AGO)
    assert everything.transcripts and all(r.organizer_id == organizer for r in everything.transcripts)
    recent = await delta.round(organizer, None, since=datetime.now(UTC) - timedelta(minutes=1))
    assert recent.transcripts == []  # the seed's transcripts are older: a first look reaches back only so far
    nothing = await delta.round(organizer, everything.delta_link, since=LONG_AGO)
    assert nothing.transcripts == [] and nothing.delta_link
    paths = [r["path"] for r in await emulator.requests()]
    assert all("getAllTranscripts(meetingOrganizerUserId=" in p for p in paths if "/delta" in p)
