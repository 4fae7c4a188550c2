"""The rules applied to what Graph returns: subject matching, who counts as a participant, and
which transcript of a meeting to analyse (or why there is none). Pure functions, no I/O."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from graph.records import MeetingRecord
from graph.service import (
    AccessDenied,
    GraphError,
    MeetingInfo,
    TranscriptNotReady,
    TranscriptRef,
    TranscriptUnavailable,
)

__all__ = [
    "GRACE",
    "Requester",
    "denied",
    "is_guest_sign_in",
    "latest_transcript",
    "not_in_directory",
    "odata_quote",
    "organizer_of",
    "subject_matches",
    "subject_words",
    "takes_part",
    "vtt_minutes",
]


@dataclass(frozen=True)
class Requester:
    id: str
    addresses: frozenset[str]  # mail and UPN, lower case

    @property
    def domain(self) -> str:
        return next(iter(sorted(self.addresses)), "@").rpartition("@")[2]


def is_guest_sign_in(address: str) -> bool:
    """A B2B guest's sign-in name in the host tenant: ``alice_fabrikam.com#EXT#@contoso.onmicrosoft.com``.

    Its domain is the host tenant's, so a domain check would call the guest internal; the ``#EXT#``
    marker (any case) says the account belongs to someone from another organisation.
    """
    return "#ext#" in address.casefold()


def not_in_directory(_: str) -> GraphError:
    return AccessDenied(
        "Your account was not found in this organisation's directory, so I cannot look up your meetings."
    )


def subject_words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def subject_matches(subject: str, query_words: list[str]) -> bool:
    words = subject_words(subject)
    return all(any(w == q or (len(q) >= 3 and w.startswith(q)) for w in words) for q in query_words)


def odata_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def organizer_of(online: MeetingRecord) -> str:
    return online.organizer.user_id if online.organizer else ""


def takes_part(me: Requester, online: MeetingRecord) -> bool:
    return any(
        (p.user_id and p.user_id == me.id) or (p.upn and p.upn.lower() in me.addresses)
        for p in online.participants
    )


def denied(subject: str | None) -> AccessDenied:
    name = f"“{subject}”" if subject else "that meeting"
    return AccessDenied(
        f"Sorry, I can only analyse meetings you organised or attended, and {name} is not one of them. "
        "Ask its organizer to run the analysis."
    )


# How long after a meeting's end "no transcript" means "not published yet" rather than
# "transcription was off". Teams publishes a transcript minutes after a short call, but long
# meetings and busy tenants take longer, and a transcript started late in the call still comes.
# Saying "try again in a few minutes" for an hour costs a user at most a retry; saying
# "transcription was off" too early tells them to stop waiting for a transcript that is coming.
# The bot's MCEM_TRANSCRIPT_GRACE_MINUTES (default: this) changes it.
GRACE = timedelta(minutes=60)


def latest_transcript(
    refs: Sequence[TranscriptRef], meeting: MeetingInfo, *, now: datetime, grace: timedelta = GRACE
) -> TranscriptRef:
    """The newest transcript of ``meeting``, or why there is none (not ready yet, or transcription off)."""
    if refs:
        epoch = datetime.min.replace(tzinfo=UTC)
        return max(refs, key=lambda r: r.created or epoch)
    if now - meeting.end < grace:
        raise TranscriptNotReady(
            f"“{meeting.subject}” ended recently and Teams has not published its transcript yet."
        )
    raise TranscriptUnavailable(
        f"“{meeting.subject}” has no transcript: transcription was off during the meeting."
    )


_CUE_END = re.compile(rb"-->\s*(?:(\d+):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?")


def vtt_minutes(content: bytes) -> float:
    """The length of a WebVTT transcript in minutes (its last cue's end): what Graph meters.
    Read from the tail only: a three-hour transcript is ~2 MB, and this runs on the event loop."""
    tail = content[-4096:]
    ends = list(_CUE_END.finditer(tail)) or list(_CUE_END.finditer(content))
    if not ends:
        return 0.0
    hours, minutes, seconds, millis = ends[-1].groups()
    total = (
        int(hours or 0) * 3600
        + int(minutes) * 60
        + int(seconds)
        + int((millis or b"0").ljust(3, b"0")) / 1000
    )
    return total / 60
