"""GraphMeetings through the real msgraph-sdk client, over HTTP, against the seeded emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from msgraph import GraphServiceClient

from graph.client import make_graph_client
from graph.credentials import StaticTokenCredential
from graph.emulator.seed import AMI_TRANSCRIPTS, DEMO_USER_ID, INTERNAL_DOMAIN, SAMPLES, build_seed
from graph.meeting_rules import GRACE, latest_transcript
from graph.meetings import GraphMeetings
from graph.refusals import TenantRefusal
from graph.service import (
    AccessDenied,
    Attendee,
    GraphError,
    MeetingInfo,
    MeetingNotFound,
    TranscriptNotReady,
    TranscriptUnavailable,
)
from mcem.model import Side
from tests.support.graph import Emulator, client, emulator, start_emulator

__all__ = ["client", "emulator"]  # fixtures, used by name

SEED = build_seed()
MEGAN = next(u.id for u in SEED.users.values() if u.name == "Megan Bowen")
PRIYA = next(u.id for u in SEED.users.values() if u.name == "Priya Raman")
SAMPLE_SUBJECT = "Contoso Manufacturing – engagement review"


@pytest.fixture
def meetings(client: GraphServiceClient) -> GraphMeetings:
    return GraphMeetings(client, tenant_domains=[INTERNAL_DOMAIN])


def _by_name(meeting: MeetingInfo) -> dict[str, Attendee]:
    return {a.name: a for a in (meeting.organizer, *meeting.attendees)}


async def test_last_meeting_is_the_sample_call_with_sides_from_the_tenant_domains(
    meetings: GraphMeetings,
) -> None:
    [last] = await meetings.recent_meetings(DEMO_USER_ID, limit=1)
    assert last.subject == SAMPLE_SUBJECT
    now = datetime.now(UTC)
    assert last.end <= now and now - last.end < timedelta(hours=4)
    assert (
        last.meeting_id
        and last.event_id
        and last.join_url.startswith("https://teams.microsoft.com/l/meetup-join/")
    )
    people = _by_name(last)
    assert last.organizer.name == "Priya Raman" and last.organizer.user_id == PRIYA
    assert last.organizer.side is Side.internal
    for name in ("Daniel O'Neil", "Sofia Farías", "Alex Wilber"):  # HTML entities in the VTT decoded
        assert people[name].side is Side.internal, name
    assert people["Alex Wilber"].user_id == DEMO_USER_ID
    for name in ("Helen Whitaker", "Tomás Herrera", "Anika Schulz", "Marcus Lee"):  # the partner is external
        assert people[name].side is Side.customer, name
        assert people[name].user_id == ""
    assert people["Helen Whitaker"].email == "helen.whitaker@contoso.com"


async def test_without_configured_domains_the_requesters_domain_is_internal(
    client: GraphServiceClient,
) -> None:
    [last] = await GraphMeetings(client).recent_meetings(DEMO_USER_ID, limit=1)
    sides = {a.name: a.side for a in (last.organizer, *last.attendees)}
    assert sides["Priya Raman"] is Side.internal and sides["Helen Whitaker"] is Side.customer


async def test_only_past_online_meetings_the_user_was_in_newest_first(meetings: GraphMeetings) -> None:
    found = await meetings.recent_meetings(DEMO_USER_ID, limit=20)
    subjects = [m.subject for m in found]
    assert subjects[0] == SAMPLE_SUBJECT
    for absent in (
        "Weekly account team sync",
        "Team lunch",
        "Contoso Manufacturing – scale-out planning",
        "Fabrikam – security review",
        "Tailspin Toys – renewal strategy",
    ):
        assert absent not in subjects  # in progress, not online, future, or not on Alex's calendar
    assert "Litware – licensing follow-up" in subjects
    starts = [m.start for m in found]
    assert starts == sorted(starts, reverse=True)
    assert len(await meetings.recent_meetings(DEMO_USER_ID, limit=2)) == 2


async def test_lookup_by_subject_words_and_by_date(meetings: GraphMeetings) -> None:
    [hit] = await meetings.recent_meetings(DEMO_USER_ID, query="KICK-OFF fabrikam")
    assert hit.subject == "Fabrikam – remote control kick-off"
    [hit] = await meetings.recent_meetings(DEMO_USER_ID, query="engagement contoso")
    assert hit.subject == SAMPLE_SUBJECT
    assert await meetings.recent_meetings(DEMO_USER_ID, query="contoso litware") == []  # all words must match
    assert await meetings.recent_meetings(DEMO_USER_ID, query="nosuchword") == []

    litware = next(m for m in SEED.meetings if m.key == "litware")
    on_day = await meetings.recent_meetings(DEMO_USER_ID, on=litware.start.date())
    assert [m.subject for m in on_day] == ["Litware – licensing follow-up"]
    assert (
        await meetings.recent_meetings(DEMO_USER_ID, on=(datetime.now(UTC) + timedelta(days=1)).date()) == []
    )


async def test_transcript_content_is_the_seeded_vtt(meetings: GraphMeetings, emulator: Emulator) -> None:
    [last] = await meetings.recent_meetings(DEMO_USER_ID, limit=1)
    refs = await meetings.transcripts(DEMO_USER_ID, last)
    assert len(refs) == 1 and refs[0].meeting_id == last.meeting_id and refs[0].organizer_id == PRIYA
    content = await meetings.transcript_vtt(DEMO_USER_ID, refs[0])
    [sample] = sorted(SAMPLES.glob("*.vtt"))[:1]
    assert content == sample.read_bytes()  # the bytes as sent: the parser decodes them once
    calls = [r for r in await emulator.requests() if r["path"].endswith("/content")]
    # Under the organizer, where Graph keeps transcripts, and in WebVTT.
    assert calls[-1]["path"].startswith(f"/v1.0/users/{PRIYA}/onlineMeetings/")
    assert calls[-1]["query"] == "$format=text/vtt"


async def test_older_meetings_carry_the_ami_transcripts(meetings: GraphMeetings) -> None:
    [ami] = await meetings.recent_meetings(DEMO_USER_ID, query="fabrikam kick-off")
    [ref] = await meetings.transcripts(DEMO_USER_ID, ami)
    content = await meetings.transcript_vtt(DEMO_USER_ID, ref)
    assert content == (AMI_TRANSCRIPTS / "ami-ES2002a.vtt").read_bytes()


async def test_someone_elses_meeting_is_refused_before_any_transcript_is_fetched(
    client: GraphServiceClient, emulator: Emulator
) -> None:
    megans = GraphMeetings(client, tenant_domains=[INTERNAL_DOMAIN])
    [private] = await megans.recent_meetings(MEGAN, query="tailspin")
    assert private.organizer.user_id == MEGAN
    before = len(await emulator.requests())
    with pytest.raises(AccessDenied, match="organised or attended"):
        await megans.transcripts(DEMO_USER_ID, private)
    # Built by hand from the join link alone (as from a forwarded card): refused the same way.
    bare = private.model_copy(update={"meeting_id": "", "organizer": Attendee(name="Megan Bowen")})
    with pytest.raises(AccessDenied):
        await megans.transcripts(DEMO_USER_ID, bare)
    log = await emulator.requests()
    assert not [r for r in log[before:] if "/transcripts" in r["path"]]
    # A transcript reference for it (Megan's own) does not help either.
    [ref] = await megans.transcripts(MEGAN, private)
    mark = len(await emulator.requests())
    with pytest.raises(AccessDenied):
        await megans.transcript_vtt(DEMO_USER_ID, ref)
    log = await emulator.requests()
    assert log[mark:] and not [r for r in log[mark:] if "/transcripts" in r["path"]]


async def test_transcription_off_is_unavailable(meetings: GraphMeetings) -> None:
    [litware] = await meetings.recent_meetings(DEMO_USER_ID, query="litware")
    assert await meetings.transcripts(DEMO_USER_ID, litware) == []
    with pytest.raises(TranscriptUnavailable, match="transcription was off"):
        latest_transcript([], litware, now=datetime.now(UTC))


async def test_a_meeting_that_just_ended_is_not_ready(client: GraphServiceClient) -> None:
    megans = GraphMeetings(client, tenant_domains=[INTERNAL_DOMAIN])
    [last] = await megans.recent_meetings(MEGAN, limit=1)
    assert last.subject == "Fabrikam – security review"
    assert await megans.transcripts(MEGAN, last) == []
    with pytest.raises(TranscriptNotReady, match="not published"):
        latest_transcript([], last, now=datetime.now(UTC))
    # The one grace period: an hour after the end, no transcript means transcription was off.
    with pytest.raises(TranscriptUnavailable):
        latest_transcript([], last, now=last.end + GRACE)


async def test_latest_transcript_returns_the_ref_when_there_is_one(meetings: GraphMeetings) -> None:
    [last] = await meetings.recent_meetings(DEMO_USER_ID, limit=1)
    refs = await meetings.transcripts(DEMO_USER_ID, last)
    older = refs[0].model_copy(update={"transcript_id": "older", "created": last.start})
    ref = latest_transcript([older, *refs], last, now=datetime.now(UTC))
    assert ref.meeting_id == last.meeting_id and ref.transcript_id == refs[0].transcript_id


async def test_a_meeting_is_found_by_its_id_alone_for_someone_who_took_part(meetings: GraphMeetings) -> None:
    [last] = await meetings.recent_meetings(DEMO_USER_ID, limit=1)
    # A picker card or a retry carries only the meeting id: the organizer is read from it.
    found = await meetings.meeting(DEMO_USER_ID, "", last.meeting_id)
    assert found.meeting_id == last.meeting_id and found.organizer.user_id == PRIYA
    with pytest.raises(MeetingNotFound):
        await meetings.meeting(DEMO_USER_ID, "", "not-a-teams-meeting-id")


async def test_graph_403_names_the_policy_and_the_chat_consent(meetings: GraphMeetings) -> None:
    [briefing] = await meetings.recent_meetings(DEMO_USER_ID, query="executive briefing")
    with pytest.raises(TenantRefusal) as caught:  # an AccessDenied: callers that know no better
        await meetings.transcripts(DEMO_USER_ID, briefing)
    message = str(caught.value)
    assert "403" in message and "application access policy" in message
    assert "resource-specific consent" in message
    step = caught.value.refusal.admin_step
    assert "OnlineMeetingTranscript.Read.All" in step and "OnlineMeetingTranscript.Read.Chat" in step
    assert "Grant-CsApplicationAccessPolicy" in step


async def test_unknown_user_is_told_plainly(meetings: GraphMeetings) -> None:
    with pytest.raises(AccessDenied, match="not found in this organisation's directory"):
        await meetings.recent_meetings("11111111-2222-3333-4444-555555555555")


async def test_missing_token_surfaces_as_a_graph_error(emulator: Emulator) -> None:
    tokenless = make_graph_client(StaticTokenCredential(""), base_url=emulator.base_url)
    with pytest.raises(GraphError, match="401") as caught:
        await GraphMeetings(tokenless).recent_meetings(DEMO_USER_ID)
    assert type(caught.value) is GraphError
    assert (await emulator.requests())[-1]["status"] == 401


async def test_wrong_token_is_refused_when_the_emulator_wants_one() -> None:
    emu, runner = await start_emulator(token="right")
    try:
        wrong = make_graph_client(StaticTokenCredential("wrong"), base_url=emu.base_url)
        with pytest.raises(GraphError, match="401"):
            await GraphMeetings(wrong).recent_meetings(DEMO_USER_ID)
        right = make_graph_client(StaticTokenCredential("right"), base_url=emu.base_url)
        assert await GraphMeetings(right).recent_meetings(DEMO_USER_ID, limit=1)
    finally:
        await runner.cleanup()


async def test_unreachable_graph_is_a_graph_error() -> None:
    emu, runner = await start_emulator()
    base_url = emu.base_url
    await runner.cleanup()  # nothing listens there any more
    dead = make_graph_client(StaticTokenCredential(), base_url=base_url)
    with pytest.raises(GraphError, match="Could not reach Microsoft Graph"):
        await GraphMeetings(dead).recent_meetings(DEMO_USER_ID)


async def test_meeting_without_join_link_is_not_found(meetings: GraphMeetings) -> None:
    now = datetime.now(UTC)
    offline = MeetingInfo(
        meeting_id="",
        subject="Lunch",
        start=now,
        end=now,
        join_url="",
        organizer=Attendee(name="Alex Wilber"),
    )
    with pytest.raises(MeetingNotFound):
        await meetings.transcripts(DEMO_USER_ID, offline)


async def test_meetings_listed_only_under_their_organizer_are_still_found() -> None:
    # Graph may list an online meeting for an app only under its organizer: attended meetings
    # are then looked up as the organizer, and the participant check still applies.
    emu, runner = await start_emulator(organizer_lookup_only=True)
    try:
        strict = GraphMeetings(make_graph_client(StaticTokenCredential(), base_url=emu.base_url))
        [last] = await strict.recent_meetings(DEMO_USER_ID, limit=1)
        assert last.subject == SAMPLE_SUBJECT and last.meeting_id and last.organizer.user_id == PRIYA
        [ref] = await strict.transcripts(
            DEMO_USER_ID,
            last.model_copy(update={"organizer": Attendee(name="Priya Raman", email=last.organizer.email)}),
        )  # only the join link and organizer mail
        assert (await strict.transcript_vtt(DEMO_USER_ID, ref)).startswith(b"WEBVTT")
        lookups = [r for r in await emu.requests() if r["path"].endswith("/onlineMeetings")]
        assert any(r["path"] == f"/v1.0/users/{PRIYA}/onlineMeetings" and r["status"] == 200 for r in lookups)
    finally:
        await runner.cleanup()


async def test_a_meeting_named_by_its_ids_as_a_transcript_notification_does(meetings: GraphMeetings) -> None:
    [last] = await meetings.recent_meetings(DEMO_USER_ID, limit=1)
    found = await meetings.meeting(DEMO_USER_ID, PRIYA, last.meeting_id)
    assert (found.subject, found.start, found.end, found.join_url) == (
        last.subject,
        last.start,
        last.end,
        last.join_url,
    )
    assert found.organizer.user_id == PRIYA and found.organizer.side is Side.internal
    assert {a.name: a.side for a in found.attendees} == {a.name: a.side for a in last.attendees}
    private = next(m for m in SEED.meetings if m.key == "not-attended")
    with pytest.raises(AccessDenied, match="organised or attended"):
        await meetings.meeting(DEMO_USER_ID, MEGAN, private.meeting_id)
