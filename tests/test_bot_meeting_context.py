from __future__ import annotations

from datetime import UTC, datetime

from bot.meeting_context import company_guess, context_from_meeting
from graph.service import Attendee, MeetingInfo
from mcem.model import Side

ORGANIZER = Attendee(
    name="Megan Bowen", email="meganb@mcemdemo.onmicrosoft.com", side=Side.internal, role="CSAM"
)


def meeting(subject: str, *attendees: Attendee, organizer: Attendee = ORGANIZER) -> MeetingInfo:
    start = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    return MeetingInfo(
        meeting_id="m",
        subject=subject,
        start=start,
        end=start.replace(hour=15),
        join_url="https://teams.microsoft.com/l/meetup-join/m",
        organizer=organizer,
        attendees=attendees,
    )


PRIYA = Attendee(name="Priya Raman", email="priya@contoso.com", side=Side.customer, role="VP Operations")
LEE = Attendee(name="Lee Chen", email="lee@contoso.com", side=Side.customer)
GUEST = Attendee(name="Sam Gmail", email="sam@gmail.com", side=Side.customer)


def test_context_names_both_sides() -> None:
    ctx = context_from_meeting(meeting("Quarterly review", PRIYA, LEE, ORGANIZER))
    assert ctx.company == "Contoso"
    assert ctx.participant == "Priya Raman"  # the first customer attendee
    assert ctx.interviewer == "Megan Bowen"
    assert ctx.internal_names == {"Megan Bowen"}
    assert [p.name for p in ctx.people] == ["Megan Bowen", "Priya Raman", "Lee Chen"]  # organizer once
    assert ctx.person("Priya Raman").role == "VP Operations"  # type: ignore[union-attr]
    assert ctx.side_of("Lee Chen") is Side.customer


def test_an_external_organizer_is_not_the_interviewer() -> None:
    ctx = context_from_meeting(meeting("Sync", ORGANIZER, organizer=PRIYA))
    assert ctx.interviewer == "" and ctx.participant == "Priya Raman"


def test_company_from_the_commonest_business_domain() -> None:
    fabrikam = Attendee(name="Ana", email="ana@eu.fabrikam.com", side=Side.customer)
    assert company_guess(meeting("x", GUEST, fabrikam)) == "Fabrikam"
    assert company_guess(meeting("x", PRIYA, LEE, fabrikam)) == "Contoso"


def test_company_from_the_subject_when_no_domain_helps() -> None:
    assert company_guess(meeting("Litware – licensing follow-up", GUEST)) == "Litware"
    assert company_guess(meeting("Northwind Traders: discovery", GUEST)) == "Northwind Traders"
    assert company_guess(meeting("Weekly sync", GUEST)) == ""
