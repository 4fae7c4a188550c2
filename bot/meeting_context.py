"""What Graph knows about a meeting -> the MeetingContext an analyzer reads."""

from __future__ import annotations

import re
from collections import Counter

from graph.service import Attendee, MeetingInfo
from mcem.context import MeetingContext
from mcem.model import Person, Side

__all__ = ["company_guess", "context_from_meeting"]

# Addresses on these domains say nothing about the customer's company.
_PUBLIC_MAIL = frozenset(
    {"gmail.com", "outlook.com", "hotmail.com", "live.com", "yahoo.com", "icloud.com", "proton.me", "aol.com"}
)


def context_from_meeting(meeting: MeetingInfo) -> MeetingContext:
    everyone = _distinct((meeting.organizer, *meeting.attendees))
    external = [a for a in everyone if a.side is Side.customer]
    internal = [a for a in everyone if a.side is Side.internal]
    organizer = meeting.organizer
    return MeetingContext(
        subject=meeting.subject,
        # Only the tenant's own people write trusted subjects; a customer's (or unknown) organizer's is data.
        subject_trusted=organizer.side is Side.internal,
        start=meeting.start,
        company=company_guess(meeting),
        participant=external[0].name if external else "",
        interviewer=organizer.name if organizer.side is Side.internal else "",
        people=tuple(Person(name=a.name, role=a.role, side=a.side) for a in everyone),
        internal_names=frozenset(a.name for a in internal),
    )


def company_guess(meeting: MeetingInfo) -> str:
    """The customer's company: the commonest external mail domain, else a subject prefix, else blank."""
    domains = Counter(
        a.email.rsplit("@", 1)[1].lower()
        for a in (meeting.organizer, *meeting.attendees)
        if a.side is Side.customer and "@" in a.email
    )
    for domain, _ in domains.most_common():
        if domain not in _PUBLIC_MAIL:
            label = domain.split(".")[-2] if domain.count(".") else domain
            return label[:1].upper() + label[1:]
    # "Contoso – quarterly review", "Fabrikam: discovery call"
    head = re.split(r"\s+[-–—|]\s+|:\s+", meeting.subject, maxsplit=1)
    if len(head) == 2 and 0 < len(head[0].split()) <= 3:
        return head[0].strip()
    return ""


def _distinct(people: tuple[Attendee, ...]) -> list[Attendee]:
    seen: set[str] = set()
    kept: list[Attendee] = []
    for person in people:
        key = (person.email or person.name).casefold()
        if key and key not in seen:
            seen.add(key)
            kept.append(person)
    return kept
