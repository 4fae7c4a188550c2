"""The Graph change-notification subscription that tells the bot when a meeting transcript exists.

One tenant-wide subscription on ``communications/onlineMeetings/getAllTranscripts`` (changeType
``created``; application permission OnlineMeetingTranscript.Read.All), without resource data, so
no encryption certificate is needed: each notification names the transcript by its path
``communications/onlineMeetings('{meeting}')/transcripts('{transcript}')`` and the bot fetches it.

Graph calls the notification URL with ``?validationToken=`` before it answers the POST (and on a
PATCH that moves the URL); the bot must already be listening. Transcript subscriptions longer than
an hour need a lifecycle URL, so one is always sent (the same endpoint); the lifetime stays under
the hour and bot/notifications.py's ``SubscriptionKeeper`` renews it at half-life.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from msgraph import GraphServiceClient
from msgraph.generated.models.subscription import Subscription

from graph.failures import graph_call
from graph.service import GraphError, MeetingNotFound

__all__ = [
    "ALL_TRANSCRIPTS",
    "DEFAULT_LIFETIME",
    "TranscriptPath",
    "TranscriptSubscription",
    "organizer_of_meeting_id",
    "parse_transcript_path",
]

log = logging.getLogger(__name__)

ALL_TRANSCRIPTS = "communications/onlineMeetings/getAllTranscripts"
DEFAULT_LIFETIME = timedelta(minutes=55)
SUBSCRIBE_PERMISSION = "the app needs the OnlineMeetingTranscript.Read.All application permission"

_PATH = re.compile(r"^/?communications/onlineMeetings\('([^']+)'\)/transcripts\('([^']+)'\)$", re.IGNORECASE)
_ORGANIZER = re.compile(r"^1\*([0-9a-fA-F-]{32,40})\*")


@dataclass(frozen=True)
class TranscriptPath:
    meeting_id: str
    transcript_id: str


def parse_transcript_path(resource: str) -> TranscriptPath | None:
    """``communications/onlineMeetings('M')/transcripts('T')`` -> (M, T); None for anything else."""
    found = _PATH.match(resource.strip())
    return TranscriptPath(found[1], found[2]) if found else None


def organizer_of_meeting_id(meeting_id: str) -> str | None:
    """The organizer's Entra object id inside a Teams online-meeting id.

    Graph's onlineMeeting id is base64 of ``1*{organizer id}*0**{thread id}``; a notification
    without resource data carries nothing else that names the organizer, and Graph serves the
    transcript only under ``/users/{organizer}``.
    """
    padded = meeting_id + "=" * (-len(meeting_id) % 4)
    for decode in (base64.urlsafe_b64decode, base64.b64decode):
        try:
            text = decode(padded).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            continue
        found = _ORGANIZER.match(text)
        if found:
            return found[1].lower()
    return None


class TranscriptSubscription:
    """Create, renew and delete the one transcript subscription (ids survive in the caller's store)."""

    def __init__(
        self,
        client: GraphServiceClient,
        *,
        notification_url: str,
        client_state: str,
        lifetime: timedelta = DEFAULT_LIFETIME,
    ) -> None:
        self._client = client
        self.notification_url = notification_url
        self.client_state = client_state
        self.lifetime = lifetime

    def _expiry(self) -> datetime:
        return datetime.now(UTC) + self.lifetime

    async def create(self) -> Subscription:
        """POST /subscriptions; Graph first validates the notification URL (the bot must be up)."""
        body = Subscription(
            change_type="created",
            notification_url=self.notification_url,
            lifecycle_notification_url=self.notification_url,
            resource=ALL_TRANSCRIPTS,
            expiration_date_time=self._expiry(),
            client_state=self.client_state,
            include_resource_data=False,
        )
        created = await graph_call(
            self._client.subscriptions.post(body),
            "the transcript subscription",
            permission=SUBSCRIBE_PERMISSION,
        )
        if created is None or not created.id:
            raise GraphError("Microsoft Graph created the transcript subscription but returned no id.")
        log.info("transcript subscription %s until %s", created.id, created.expiration_date_time)
        return created

    async def renew(self, subscription_id: str) -> Subscription:
        """PATCH the expiry (and the URL, which may have moved since the subscription was made);
        raises MeetingNotFound (404) when Graph no longer has it."""
        body = Subscription(expiration_date_time=self._expiry(), notification_url=self.notification_url)
        renewed = await graph_call(
            self._client.subscriptions.by_subscription_id(subscription_id).patch(body),
            "the transcript subscription",
            permission=SUBSCRIBE_PERMISSION,
        )
        if renewed is None:
            raise GraphError("Microsoft Graph renewed the transcript subscription but returned nothing.")
        return renewed

    async def delete(self, subscription_id: str) -> None:
        await graph_call(
            self._client.subscriptions.by_subscription_id(subscription_id).delete(),
            "the transcript subscription",
            permission=SUBSCRIBE_PERMISSION,
        )

    async def renew_or_create(self, subscription_id: str | None) -> Subscription:
        """Renew the known subscription, or create one when there is none or Graph forgot it."""
        if subscription_id:
            try:
                return await self.renew(subscription_id)
            except MeetingNotFound:  # expired or removed: 404
                log.info("transcript subscription %s is gone; creating a new one", subscription_id)
        return await self.create()
