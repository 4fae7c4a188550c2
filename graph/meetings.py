"""The user's past Teams meetings and their transcripts, through msgraph-sdk (MeetingSource).

Calls, in order: ``GET /users/{id}`` (who is asking), ``GET /users/{id}/calendarView`` (their
past online meetings), ``GET /users/{id}/onlineMeetings?$filter=JoinWebUrl eq '...'`` (the
meeting behind each event, with its organizer's id), then under the organizer — where Graph
keeps them — ``.../onlineMeetings/{mid}/transcripts`` and ``.../transcripts/{tid}/content``.

Nobody reads a transcript of a meeting they neither organised nor attended: the participants
are taken from Graph (never from the caller's MeetingInfo) and checked before anything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time as clock
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphServiceClient
from msgraph.generated.models.event import Event
from msgraph.generated.models.meeting_participant_info import MeetingParticipantInfo
from msgraph.generated.models.online_meeting import OnlineMeeting
from msgraph.generated.users.item.calendar_view.calendar_view_request_builder import (
    CalendarViewRequestBuilder,
)
from msgraph.generated.users.item.online_meetings.online_meetings_request_builder import (
    OnlineMeetingsRequestBuilder,
)
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder

from graph.credentials import graph_settings_from_env
from graph.download import bounded_content
from graph.failures import graph_call
from graph.meeting_rules import (
    Requester,
    denied,
    is_guest_sign_in,
    not_in_directory,
    odata_quote,
    organizer_of,
    parse_event_time,
    subject_matches,
    subject_words,
    takes_part,
)
from graph.service import (
    AccessDenied,
    Attendee,
    MeetingInfo,
    MeetingNotFound,
    TranscriptNotReady,
    TranscriptRef,
    TranscriptUnavailable,
)
from mcem.model import Side

__all__ = ["GraphMeetings"]

log = logging.getLogger(__name__)

CALENDAR_PERMISSION = "the app needs the Calendars.Read application permission"
USER_PERMISSION = "the app needs the User.Read.All application permission"
PAGE = 50
MAX_PAGES = 10
RESOLVE_AT_ONCE = 8
ME_TTL_S = 300.0
# The same 20 MB the parser accepts (mcem.parsing.MAX_BYTES): a three-hour meeting's VTT is ~2 MB.
TRANSCRIPT_DOWNLOAD_LIMIT = 20 * 1024 * 1024
_TRANSCRIPT_TOO_LARGE = (
    "The transcript Graph returned is larger than 20 MB, far more than any meeting's, so it was not "
    "read; open the meeting in Teams and check its transcript."
)


class GraphMeetings:
    """MeetingSource over Microsoft Graph. Build once; share across requests."""

    def __init__(
        self,
        client: GraphServiceClient,
        *,
        tenant_domains: Iterable[str] = (),
        lookback_days: int = 30,
        not_ready_minutes: int = 30,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        # Without configured domains, the requester's own mail domain is the internal one.
        self._domains = frozenset(d.lower().lstrip("@") for d in tenant_domains if d.strip())
        self._lookback = timedelta(days=lookback_days)
        self._not_ready = timedelta(minutes=not_ready_minutes)
        self._now = now
        self._people: dict[str, tuple[float, Requester]] = {}

    @classmethod
    def from_env(cls, client: GraphServiceClient, environ: Mapping[str, str], **kw: Any) -> GraphMeetings:
        return cls(client, tenant_domains=graph_settings_from_env(environ).tenant_domains, **kw)

    # -- MeetingSource -------------------------------------------------------------------------

    async def recent_meetings(
        self, user_id: str, *, limit: int = 10, query: str | None = None, on: date | None = None
    ) -> list[MeetingInfo]:
        me = await self._requester(user_id)
        now = self._now()
        if on is not None:
            start = datetime.combine(on, time(), UTC)
            end = min(start + timedelta(days=1), now)
            if start >= now:
                return []
        else:
            start, end = now - self._lookback, now
        wanted = subject_words(query or "")
        picked: list[Event] = []
        async with contextlib.aclosing(self._calendar(user_id, start, end)) as events:
            async for event in events:
                if self._eligible(event, me, now, wanted):
                    picked.append(event)
                    if len(picked) >= limit:
                        break
        gate = asyncio.Semaphore(RESOLVE_AT_ONCE)

        async def info(event: Event) -> MeetingInfo:
            async with gate:
                return await self._meeting_info(me, event)

        return list(await asyncio.gather(*(info(e) for e in picked)))

    async def transcripts(self, user_id: str, meeting: MeetingInfo) -> list[TranscriptRef]:
        me = await self._requester(user_id)
        online = await self._authorised_meeting(me, meeting)
        organizer_id = organizer_of(online)
        found = await graph_call(
            self._client.users.by_user_id(organizer_id)
            .online_meetings.by_online_meeting_id(online.id or "")
            .transcripts.get(),
            "the meeting's transcripts",
        )
        refs = [
            TranscriptRef(
                transcript_id=t.id,
                meeting_id=online.id or "",
                created=t.created_date_time,
                organizer_id=organizer_id,
            )
            for t in (found.value if found and found.value else [])
            if t.id
        ]
        return sorted(refs, key=lambda r: r.created or datetime.min.replace(tzinfo=UTC), reverse=True)

    async def transcript_vtt(self, user_id: str, ref: TranscriptRef) -> str:
        me = await self._requester(user_id)
        organizer_id = ref.organizer_id or me.id
        if organizer_id != me.id:
            online = await graph_call(
                self._client.users.by_user_id(organizer_id)
                .online_meetings.by_online_meeting_id(ref.meeting_id)
                .get(),
                "the meeting",
            )
            if online is None or not takes_part(me, online):
                raise denied(online.subject if online else None)
        content = (
            self._client.users.by_user_id(organizer_id)
            .online_meetings.by_online_meeting_id(ref.meeting_id)
            .transcripts.by_call_transcript_id(ref.transcript_id)
            .content
        )
        info = content.to_get_request_information()
        info.path_parameters["baseurl"] = self._client.request_adapter.base_url.rstrip("/")
        # The generated builder has no $format parameter; Graph wants it for WebVTT.
        vtt = content.with_url(info.url + "?%24format=text/vtt").to_get_request_information()
        data = await graph_call(
            bounded_content(
                self._client, vtt, limit=TRANSCRIPT_DOWNLOAD_LIMIT, too_large=_TRANSCRIPT_TOO_LARGE
            ),
            "the transcript",
        )
        if not data:
            raise TranscriptUnavailable("The transcript is empty: Teams recorded no speech for this meeting.")
        return data.decode("utf-8-sig", errors="replace")

    # -- extras for the bot ---------------------------------------------------------------------

    async def latest_transcript(self, user_id: str, meeting: MeetingInfo) -> TranscriptRef:
        """The newest transcript, or why there is none (not ready yet, or transcription was off)."""
        refs = await self.transcripts(user_id, meeting)
        if refs:
            return refs[0]
        if self._now() - meeting.end < self._not_ready:
            raise TranscriptNotReady(
                f"“{meeting.subject}” ended a few minutes ago and Teams has not published its "
                "transcript yet; try again in a little while."
            )
        raise TranscriptUnavailable(
            f"“{meeting.subject}” has no transcript: transcription was off during the meeting."
        )

    async def meeting(self, user_id: str, organizer_id: str, meeting_id: str) -> MeetingInfo:
        """A meeting known by its ids — a transcript notification names
        ``users('{organizer}')/onlineMeetings('{meeting}')`` — if ``user_id`` took part in it."""
        me = await self._requester(user_id)
        online = await graph_call(
            self._client.users.by_user_id(organizer_id)
            .online_meetings.by_online_meeting_id(meeting_id)
            .get(),
            "the meeting",
        )
        if online is None or not takes_part(me, online) or not online.participants:
            raise denied(online.subject if online else None)

        def person(p: MeetingParticipantInfo | None) -> Attendee:
            user = p.identity.user if p and p.identity else None
            mail = (p.upn if p else None) or ""
            name = (user.display_name if user else None) or mail or "Unknown"
            return Attendee(
                name=name, email=mail, user_id=(user.id if user else None) or "", side=self._side(mail, me)
            )

        now = self._now()
        return MeetingInfo(
            meeting_id=online.id or meeting_id,
            subject=online.subject or "(no subject)",
            start=online.start_date_time or now,
            end=online.end_date_time or now,
            join_url=online.join_web_url or "",
            organizer=person(online.participants.organizer),
            attendees=tuple(person(p) for p in online.participants.attendees or []),
        )

    # -- internals ------------------------------------------------------------------------------

    async def _requester(self, user_id: str) -> Requester:
        cached = self._people.get(user_id)
        if cached and cached[0] > clock.monotonic():
            return cached[1]
        params = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
            select=["id", "displayName", "mail", "userPrincipalName"]
        )
        user = await graph_call(
            self._client.users.by_user_id(user_id).get(RequestConfiguration(query_parameters=params)),
            "your user profile",
            permission=USER_PERMISSION,
            not_found=not_in_directory,
        )
        if user is None or not user.id:
            raise not_in_directory("")
        addresses = frozenset(a.lower() for a in (user.mail, user.user_principal_name) if a)
        person = Requester(user.id, addresses)
        self._people[user_id] = (clock.monotonic() + ME_TTL_S, person)
        return person

    async def _calendar(self, user_id: str, start: datetime, end: datetime) -> AsyncIterator[Event]:
        """Events overlapping [start, end), newest first, page by page."""
        params = CalendarViewRequestBuilder.CalendarViewRequestBuilderGetQueryParameters(
            start_date_time=start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            end_date_time=end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            orderby=["start/dateTime desc"],
            top=PAGE,
            select=[
                "subject",
                "start",
                "end",
                "isOnlineMeeting",
                "onlineMeeting",
                "organizer",
                "attendees",
                "isCancelled",
            ],
        )
        builder = self._client.users.by_user_id(user_id).calendar_view
        page = await graph_call(
            builder.get(RequestConfiguration(query_parameters=params)),
            "your calendar",
            permission=CALENDAR_PERMISSION,
        )
        for _ in range(MAX_PAGES):
            for event in page.value if page and page.value else []:
                yield event
            next_link = page.odata_next_link if page else None
            if not next_link:
                return
            page = await graph_call(
                builder.with_url(next_link).get(), "your calendar", permission=CALENDAR_PERMISSION
            )

    def _eligible(self, event: Event, me: Requester, now: datetime, wanted: list[str]) -> bool:
        end = parse_event_time(event.end)
        join_url = event.online_meeting.join_url if event.online_meeting else None
        if not event.is_online_meeting or not join_url or event.is_cancelled or end is None or end > now:
            return False
        if wanted and not subject_matches(event.subject or "", wanted):
            return False
        # Only meetings they organised or were invited to by name (not via a shared calendar).
        organizer = (
            event.organizer.email_address.address
            if event.organizer and event.organizer.email_address
            else None
        )
        invited = {
            a.email_address.address.lower()
            for a in event.attendees or []
            if a.email_address and a.email_address.address
        }
        return bool(me.addresses & ({(organizer or "").lower()} | invited))

    def _side(self, address: str, me: Requester) -> Side:
        if "@" not in address:
            return Side.unknown
        if is_guest_sign_in(address):
            return Side.customer  # a guest account in the tenant: someone from another organisation
        domains = self._domains or {me.domain}
        return Side.internal if address.rpartition("@")[2].lower() in domains else Side.customer

    async def _meeting_info(self, me: Requester, event: Event) -> MeetingInfo:
        join_url = event.online_meeting.join_url if event.online_meeting else ""
        organizer_mail = (
            event.organizer.email_address.address if event.organizer and event.organizer.email_address else ""
        )
        online = await self._resolve(me, join_url or "", organizer_mail or "")
        ids: dict[str, str] = {}
        if online is not None and online.participants is not None:
            for p in [online.participants.organizer, *(online.participants.attendees or [])]:
                user = p.identity.user if p and p.identity else None
                if p and p.upn and user and user.id:
                    ids[p.upn.lower()] = user.id

        def person(name: str | None, address: str | None) -> Attendee:
            mail = (address or "").strip()
            return Attendee(
                name=name or mail or "Unknown",
                email=mail,
                user_id=ids.get(mail.lower(), ""),
                side=self._side(mail, me),
            )

        org = event.organizer.email_address if event.organizer else None
        organizer = person(org.name if org else None, org.address if org else None)
        attendees = tuple(
            person(a.email_address.name, a.email_address.address)
            for a in event.attendees or []
            if a.email_address and (a.email_address.address or "").lower() != organizer.email.lower()
        )
        start, end = parse_event_time(event.start), parse_event_time(event.end)
        assert start is not None and end is not None  # _eligible checked end; Graph always sends both
        return MeetingInfo(
            meeting_id=online.id if online is not None and online.id else "",
            event_id=event.id or "",
            subject=event.subject or "(no subject)",
            start=start,
            end=end,
            join_url=join_url or "",
            organizer=organizer,
            attendees=attendees,
        )

    async def _resolve(self, me: Requester, join_url: str, organizer_mail: str) -> OnlineMeeting | None:
        """The online meeting behind a join link: looked up as the requester, then as its organizer
        (with app-only access Graph may list a meeting only under its organizer)."""
        online = await self._by_join_url(me.id, join_url)
        mail = organizer_mail.lower()
        if (
            online is not None
            or not mail
            or mail in me.addresses
            or self._side(mail, me) is not Side.internal
        ):
            return online
        try:
            organizer = await self._requester(mail)
            return await self._by_join_url(organizer.id, join_url)
        except AccessDenied:  # not in the directory, or no policy for them: transcripts() will say so
            return None

    async def _by_join_url(self, user_id: str, join_url: str) -> OnlineMeeting | None:
        params = OnlineMeetingsRequestBuilder.OnlineMeetingsRequestBuilderGetQueryParameters(
            filter=f"JoinWebUrl eq {odata_quote(join_url)}"
        )
        found = await graph_call(
            self._client.users.by_user_id(user_id).online_meetings.get(
                RequestConfiguration(query_parameters=params)
            ),
            "the online meeting",
        )
        return found.value[0] if found and found.value else None

    async def _authorised_meeting(self, me: Requester, meeting: MeetingInfo) -> OnlineMeeting:
        """The meeting as Graph knows it, once the requester is shown to be one of its participants."""
        online: OnlineMeeting | None
        if meeting.meeting_id and meeting.organizer.user_id:
            online = await graph_call(
                self._client.users.by_user_id(meeting.organizer.user_id)
                .online_meetings.by_online_meeting_id(meeting.meeting_id)
                .get(),
                "the meeting",
            )
        elif meeting.join_url:
            online = await self._resolve(me, meeting.join_url, meeting.organizer.email)
            if online is None and meeting.organizer.side is Side.customer:
                raise TranscriptUnavailable(
                    f"“{meeting.subject}” was organised outside your organisation, so its transcript "
                    "is not available here."
                )
        else:
            raise MeetingNotFound("That meeting has no Teams meeting link; pick an online meeting.")
        if online is None or not takes_part(me, online):
            raise denied(meeting.subject)
        return online
