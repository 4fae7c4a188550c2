"""The demo tenant: the Playground's user, times relative to now, the bundled transcripts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from graph.emulator.seed import (
    DEMO_USER_ID,
    INTERNAL_DOMAIN,
    PLAYGROUND_TENANT_ID,
    SAMPLES,
    build_seed,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_the_demo_user_is_the_playgrounds_default_user() -> None:
    seed = build_seed(NOW)
    # @microsoft/m365agentsplayground 0.2.28 default config: currentUser Alex Wilber, this aadObjectId.
    assert DEMO_USER_ID == "00000000-0000-0000-0000-0000000000020"
    assert seed.tenant_id == PLAYGROUND_TENANT_ID == "00000000-0000-0000-0000-0000000000001"
    alex = seed.users[DEMO_USER_ID]
    assert alex.name == "Alex Wilber" and alex.mail.endswith("@" + INTERNAL_DOMAIN)
    assert seed.user(alex.mail.upper()) is alex  # Graph takes a UPN as the id too


def test_times_follow_the_clock_and_the_sample_is_the_latest_past_meeting() -> None:
    for now in (NOW, NOW + timedelta(days=40)):
        seed = build_seed(now)
        alex_past = [m for m in seed.meetings if DEMO_USER_ID in m.calendars and m.online and m.end <= now]
        latest = max(alex_past, key=lambda m: m.start)
        assert latest.key == "sample" and now - latest.end < timedelta(hours=3)
        [sample] = sorted(SAMPLES.glob("*.vtt"))[:1]
        assert latest.vtt == sample.read_bytes()


def test_each_scenario_is_there() -> None:
    seed = build_seed(NOW)
    by_key = {m.key: m for m in seed.meetings}
    assert by_key["litware"].vtt is None  # transcription off
    just = by_key["just-ended"]
    assert just.end <= NOW < just.end + just.transcript_delay  # transcript not published yet
    assert DEMO_USER_ID not in by_key["not-attended"].calendars
    assert all(p.mail != seed.users[DEMO_USER_ID].mail for p in by_key["not-attended"].attendees)
    patti = seed.users[by_key["briefing"].organizer_id]
    assert not patti.policy_granted  # Graph will answer 403
    assert {"ami-ES2002a", "ami-IS1000a"} <= set(by_key)
    # Ids are stable across restarts, so links and cards survive an emulator reset.
    again = {m.key: m for m in build_seed(NOW + timedelta(hours=1)).meetings}
    assert all(
        again[k].meeting_id == m.meeting_id and again[k].transcript_id == m.transcript_id
        for k, m in by_key.items()
    )


def test_sample_speakers_become_attendees_with_sides_by_domain() -> None:
    sample = next(m for m in build_seed(NOW).meetings if m.key == "sample")
    mails = {p.name: p.mail for p in (sample.organizer, *sample.attendees)}
    assert mails["Sofia Farías"].endswith("@" + INTERNAL_DOMAIN)  # "Far&#237;as" in the VTT
    assert mails["Marcus Lee"] == "marcus.lee@adatum.com"
    assert mails["Tomás Herrera"] == "tomas.herrera@contoso.com"
