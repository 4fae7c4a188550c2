"""The user's past Teams meetings and their transcripts, through msgraph-sdk (MeetingSource).

Calls, in order: ``GET /users/{id}`` (who is asking), ``GET /users/{id}/calendarView`` (their
past online meetings), ``GET /users/{id}/onlineMeetings?$filter=JoinWebUrl eq '...'`` (the
meeting behind each event, with its organizer's id), then under the organizer — where Graph
keeps them — ``.../onlineMeetings/{mid}/transcripts`` and ``.../transcripts/{tid}/content``, and
for links to the recording ``.../onlineMeetings/{mid}/recordings`` and the organizer's OneDrive
(graph/recordings.py).

Nobody reads a transcript of a meeting they neither organised nor attended: the participants
are taken from Graph (never from the caller's MeetingInfo) and checked before anything else.

The SDK builds each request and sends it (auth, retry, errors), but the JSON comes back as bytes
and is read into graph/records.py's small records: the SDK's own model parsing costs more CPU on
the event loop than everything else the bot does per analysis outside the analysis itself.
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
    subject_matches,
    subject_words,
    takes_part,
    vtt_minutes,
)
from graph.recordings import recording_web_url
from graph.records import (
    EventRecord,
    MeetingRecord,
    Participant,
    UserRecord,
    get_json,
    page_of,
)
from graph.service import (
    AccessDenied,
    Attendee,
    MeetingInfo,
    MeetingNotFound,
    TranscriptCache,
    TranscriptRef,
    TranscriptUnavailable,
)
from graph.subscriptions import organizer_of_meeting_id
from graph.transcript_list import list_transcripts
from mcem import telemetry
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
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        cache: TranscriptCache | None = None,
    ) -> None:
        self._client = client
        # Content downloaded once per transcript (the bot's state); None: every call downloads.
        self.cache = cache
        # Without configured domains, the requester's own mail domain is the internal one.
        self._domains = frozenset(d.lower().lstrip("@") for d in tenant_domains if d.strip())
        self._lookback = timedelta(days=lookback_days)
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
        picked: list[EventRecord] = []
        async with contextlib.aclosing(self._calendar(user_id, start, end)) as events:
            async for event in events:
                if self._eligible(event, me, now, wanted):
                    picked.append(event)
                    if len(picked) >= limit:
                        break
        gate = asyncio.Semaphore(RESOLVE_AT_ONCE)

        async def info(event: EventRecord) -> MeetingInfo:
            async with gate:
                return await self._meeting_info(me, event)

        return list(await asyncio.gather(*(info(e) for e in picked)))

    async def transcripts(self, user_id: str, meeting: MeetingInfo) -> list[TranscriptRef]:
        me = await self._requester(user_id)
        online = await self._authorised_meeting(me, meeting)
        return await list_transcripts(self._client, organizer_of(online), online.id)

    async def transcript_vtt(self, user_id: str, ref: TranscriptRef) -> bytes:
        me = await self._requester(user_id)
        organizer_id = ref.organizer_id or me.id
        if organizer_id != me.id:
            online = await self._online_meeting(organizer_id, ref.meeting_id)
            if not takes_part(me, online):
                raise denied(online.subject)
        # Checked above on every call, cached or not: the cache never widens who may read it.
        cache = self.cache
        if cache is not None and (kept := await cache.get(ref.transcript_id)) is not None:
            return kept
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
        minutes = vtt_minutes(data)
        telemetry.count("mcem.transcript.minutes", minutes)  # the metered quantity, per download
        if cache is not None:
            try:
                await cache.put(ref.transcript_id, data, minutes)
            except Exception as err:  # the analysis goes on; the next one downloads again
                log.warning("transcript not cached (%s)", type(err).__name__)
        return data  # bytes: the parser decodes them once, and says so when it cannot

    async def recording_url(self, user_id: str, ref: TranscriptRef) -> str | None:
        me = await self._requester(user_id)
        return await recording_web_url(self._client, ref.organizer_id or me.id, ref.meeting_id)

    async def meeting(self, user_id: str, organizer_id: str, meeting_id: str) -> MeetingInfo:
        """A meeting known by its ids — a transcript notification names
        ``users('{organizer}')/onlineMeetings('{meeting}')`` — if ``user_id`` took part in it.
        Without ``organizer_id`` the organizer is read from the meeting id, as Teams writes it."""
        organizer_id = organizer_id or organizer_of_meeting_id(meeting_id) or ""
        if not organizer_id:
            raise MeetingNotFound("That meeting is not one Teams knows: pick it again from `meetings`.")
        me = await self._requester(user_id)
        online = await self._online_meeting(organizer_id, meeting_id)
        if not takes_part(me, online) or online.organizer is None:
            raise denied(online.subject or None)

        def person(p: Participant) -> Attendee:
            name = p.display_name or p.upn or "Unknown"
            return Attendee(name=name, email=p.upn, user_id=p.user_id, side=self._side(p.upn, me))

        now = self._now()
        return MeetingInfo(
            meeting_id=online.id or meeting_id,
            subject=online.subject or "(no subject)",
            start=online.start or now,
            end=online.end or now,
            join_url=online.join_url,
            organizer=person(online.organizer),
            attendees=tuple(person(p) for p in online.attendees),
        )

    # -- internals ------------------------------------------------------------------------------

    async def _requester(self, user_id: str) -> Requester:
        cached = self._people.get(user_id)
        if cached and cached[0] > clock.monotonic():
            return cached[1]
        params = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(
            select=["id", "displayName", "mail", "userPrincipalName"]
        )
        builder = self._client.users.by_user_id(user_id)
        user = UserRecord.read(
            await graph_call(
                get_json(
                    self._client,
                    builder.to_get_request_information(RequestConfiguration(query_parameters=params)),
                ),
                "your user profile",
                permission=USER_PERMISSION,
                not_found=not_in_directory,
            )
        )
        if not user.id:
            raise not_in_directory("")
        addresses = frozenset(a.lower() for a in (user.mail, user.user_principal_name) if a)
        person = Requester(user.id, addresses)
        self._people[user_id] = (clock.monotonic() + ME_TTL_S, person)
        return person

    async def _calendar(self, user_id: str, start: datetime, end: datetime) -> AsyncIterator[EventRecord]:
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
        info = builder.to_get_request_information(RequestConfiguration(query_parameters=params))
        for _ in range(MAX_PAGES):
            page = await graph_call(
                get_json(self._client, info), "your calendar", permission=CALENDAR_PERMISSION
            )
            items, next_link = page_of(page)
            for item in items:
                yield EventRecord.read(item)
            if not next_link:
                return
            info = builder.with_url(next_link).to_get_request_information()

    def _eligible(self, event: EventRecord, me: Requester, now: datetime, wanted: list[str]) -> bool:
        if not event.is_online_meeting or not event.join_url or event.is_cancelled:
            return False
        if event.end is None or event.end > now:
            return False
        if wanted and not subject_matches(event.subject, wanted):
            return False
        # Only meetings they organised or were invited to by name (not via a shared calendar).
        invited = {a.address.lower() for a in event.attendees if a.address}
        return bool(me.addresses & ({event.organizer.address.lower()} | invited))

    def _side(self, address: str, me: Requester) -> Side:
        if "@" not in address:
            return Side.unknown
        if is_guest_sign_in(address):
            return Side.customer  # a guest account in the tenant: someone from another organisation
        domains = self._domains or {me.domain}
        return Side.internal if address.rpartition("@")[2].lower() in domains else Side.customer

    async def _meeting_info(self, me: Requester, event: EventRecord) -> MeetingInfo:
        join_url = event.join_url
        online = await self._resolve(me, join_url, event.organizer.address)
        ids: dict[str, str] = {}
        if online is not None:
            for p in online.participants:
                if p.upn and p.user_id:
                    ids[p.upn.lower()] = p.user_id

        def person(name: str | None, address: str | None) -> Attendee:
            mail = (address or "").strip()
            return Attendee(
                name=name or mail or "Unknown",
                email=mail,
                user_id=ids.get(mail.lower(), ""),
                side=self._side(mail, me),
            )

        organizer = person(event.organizer.name, event.organizer.address)
        attendees = tuple(
            person(a.name, a.address) for a in event.attendees if a.address.lower() != organizer.email.lower()
        )
        start, end = event.start, event.end
        assert start is not None and end is not None  # _eligible checked end; Graph always sends both
        return MeetingInfo(
            meeting_id=online.id if online is not None else "",
            event_id=event.id,
            subject=event.subject or "(no subject)",
            start=start,
            end=end,
            join_url=join_url,
            organizer=organizer,
            attendees=attendees,
        )

    async def _resolve(self, me: Requester, join_url: str, organizer_mail: str) -> MeetingRecord | None:
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

    async def _by_join_url(self, user_id: str, join_url: str) -> MeetingRecord | None:
        params = OnlineMeetingsRequestBuilder.OnlineMeetingsRequestBuilderGetQueryParameters(
            filter=f"JoinWebUrl eq {odata_quote(join_url)}"
        )
        info = self._client.users.by_user_id(user_id).online_meetings.to_get_request_information(
            RequestConfiguration(query_parameters=params)
        )
        found = await graph_call(
            get_json(self._client, info),
            "the online meeting",
        )
        items, _ = page_of(found)
        return MeetingRecord.read(items[0]) if items else None

    async def _online_meeting(self, organizer_id: str, meeting_id: str) -> MeetingRecord:
        """One online meeting under its organizer (404 -> MeetingNotFound, through graph_call)."""
        builder = self._client.users.by_user_id(organizer_id).online_meetings.by_online_meeting_id(meeting_id)
        found = await graph_call(get_json(self._client, builder.to_get_request_information()), "the meeting")
        return MeetingRecord.read(found)

    async def _authorised_meeting(self, me: Requester, meeting: MeetingInfo) -> MeetingRecord:
        """The meeting as Graph knows it, once the requester is shown to be one of its participants."""
        online: MeetingRecord | None
        if meeting.meeting_id and meeting.organizer.user_id:
            online = await self._online_meeting(meeting.organizer.user_id, meeting.meeting_id)
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
