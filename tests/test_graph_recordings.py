"""The recording's web address, through the real msgraph-sdk client against the emulator over HTTP:
the callRecording list and the organizer's OneDrive answer as the spec says, and the address found is
the seeded recording file, which the emulator serves."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import aiohttp
from msgraph import GraphServiceClient

from graph.credentials import EMULATOR_TOKEN
from graph.emulator.recordings import PLACEHOLDER, recording_name
from graph.emulator.seed import DEMO_USER_ID, INTERNAL_DOMAIN, build_seed
from graph.emulator.state import STATE
from graph.meeting_rules import GRACE, latest_transcript
from graph.meetings import GraphMeetings
from graph.service import MeetingInfo
from mcem.links import recording_link
from tests.support.graph import Emulator, assert_valid, client, emulator

__all__ = ["client", "emulator"]  # fixtures, used by name

AUTH = {"Authorization": f"Bearer {EMULATOR_TOKEN}"}
SEED = build_seed()
SAMPLE = next(m for m in SEED.meetings if m.subject.startswith("Contoso Manufacturing"))
UNRECORDED = next(m for m in SEED.meetings if m.vtt is None and m.online)


async def _json(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with http.get(url, headers=AUTH) as resp:
        return resp.status, await resp.json()


async def test_recordings_and_the_onedrive_answer_as_the_spec_says(emulator: Emulator) -> None:
    base = emulator.base_url
    sample = emulator.app[STATE].meeting(SAMPLE.meeting_id)  # the emulator's seed: its own clock
    assert sample is not None
    organizer = sample.organizer_id
    async with aiohttp.ClientSession() as http:
        status, body = await _json(
            http, f"{base}/users/{organizer}/onlineMeetings/{SAMPLE.meeting_id}/recordings"
        )
        assert status == 200
        (recording,) = body["value"]
        assert_valid(recording, "#/components/schemas/microsoft.graph.callRecording")
        assert recording["meetingId"] == SAMPLE.meeting_id

        status, drive = await _json(http, f"{base}/users/{organizer}/drive")
        assert status == 200
        assert_valid(
            {k: v for k, v in drive.items() if k != "@odata.context"},
            "#/components/schemas/microsoft.graph.drive",
        )
        status, files = await _json(http, f"{base}/drives/{drive['id']}/items/root:/Recordings:/children")
        assert status == 200
        names = [f["name"] for f in files["value"]]
        assert recording_name(sample) in names
        for item in files["value"]:
            assert_valid(item, "#/components/schemas/microsoft.graph.driveItem")

        status, none = await _json(
            http, f"{base}/users/{UNRECORDED.organizer_id}/onlineMeetings/{UNRECORDED.meeting_id}/recordings"
        )
        assert status == 200 and none["value"] == []


async def _latest(meetings: GraphMeetings) -> tuple[MeetingInfo, Any]:
    [last] = await meetings.recent_meetings(DEMO_USER_ID, limit=1)
    refs = await meetings.transcripts(DEMO_USER_ID, last)
    return last, latest_transcript(refs, last, now=datetime.now(UTC), grace=GRACE)


async def test_the_recording_address_is_the_organizers_file_and_opens(
    emulator: Emulator, client: GraphServiceClient
) -> None:
    meetings = GraphMeetings(client, tenant_domains=[INTERNAL_DOMAIN])
    last, ref = await _latest(meetings)
    sample = emulator.app[STATE].meeting(ref.meeting_id)  # the emulator's seed: its own clock
    assert sample is not None and last.subject == sample.subject == SAMPLE.subject
    url = await meetings.recording_url(DEMO_USER_ID, ref)
    assert url is not None and recording_link(url) == url
    assert unquote(url).endswith("/Documents/Recordings/" + recording_name(sample))
    assert "/personal/" in url
    async with aiohttp.ClientSession() as http, http.get(url) as resp:
        assert resp.status == 200 and resp.content_type == "video/mp4"
        assert await resp.read() == PLACEHOLDER


async def test_no_recording_or_no_access_gives_no_address(
    emulator: Emulator, client: GraphServiceClient
) -> None:
    meetings = GraphMeetings(client, tenant_domains=[INTERNAL_DOMAIN])
    _, ref = await _latest(meetings)
    # The OneDrive went away (the recording was deleted): the quotes keep their transcript times.
    emulator.app[STATE].onedrives.clear()  # the emulator runs in this process
    assert await meetings.recording_url(DEMO_USER_ID, ref) is None
    other = ref.model_copy(
        update={"meeting_id": UNRECORDED.meeting_id, "organizer_id": UNRECORDED.organizer_id}
    )
    assert await meetings.recording_url(DEMO_USER_ID, other) is None
