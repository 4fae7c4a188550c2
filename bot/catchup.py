"""Nothing missed: after a gap in Graph's notifications, ask Graph what was added meanwhile.

Three things open a gap: Graph's ``missed`` lifecycle notification (it dropped some), a start-up
(the bot was down; whatever was announced then went nowhere) and a subscription that could not be
renewed and had to be made anew (notifications stopped when the old one lapsed). Each starts a
round: for every organizer who opted in (has a personal chat with the bot, where the card would
go), the transcripts delta of their meetings since the link kept from the last round (graph/delta.py),
and each transcript found goes the way a notification goes (bot/notifications.py), where the claim
in the store lets exactly one of a notification and a catch-up, on any instance, analyse it.

The first round for an organizer has no link yet: it starts where Graph's notifications would
have started, when the bot first held a subscription (``WATCHED_SINCE``, kept by the keeper), but
never more than ``lookback`` (a day) ago: not at every transcript they ever had, and not at a
month of meetings of someone who opted in today. Rounds never
overlap: a reason that arrives during one is kept and runs one more round after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from graph.delta import TranscriptDelta
from graph.service import TranscriptRef

__all__ = ["WATCHED_SINCE", "CatchUp", "CatchUpStore"]

log = logging.getLogger(__name__)

LOOKBACK = timedelta(days=1)
# The setting that holds when the bot first held a transcript subscription (ISO 8601).
WATCHED_SINCE = "graph_transcripts_watched_since"


class CatchUpStore(Protocol):
    async def opted_in_organizers(self) -> list[str]:
        """The users who have a personal chat with the bot (where an automatic card can go)."""
        ...

    async def delta_link(self, organizer_id: str) -> str | None: ...

    async def save_delta_link(self, organizer_id: str, link: str) -> None: ...


class Settings(Protocol):
    async def get_setting(self, name: str) -> str | None: ...


class CatchUp:
    def __init__(
        self,
        delta: TranscriptDelta,
        store: CatchUpStore,
        settings: Settings,
        announce: Callable[[TranscriptRef], None],
        *,
        lookback: timedelta = LOOKBACK,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._delta = delta
        self._store = store
        self._settings = settings  # where the keeper noted when it first subscribed
        self._announce = announce  # hands one transcript to the notification path (claim, analyse, deliver)
        self.lookback = lookback
        self._clock = clock
        self._wanted = asyncio.Event()
        self._reasons: list[str] = []
        self.rounds = 0  # finished rounds, for tests and /api/health
        self.idle = asyncio.Event()
        self.idle.set()

    def trigger(self, reason: str) -> None:
        """Ask for a round (from a lifecycle notification, the start-up, a re-created subscription)."""
        self._reasons.append(reason)
        self.idle.clear()
        self._wanted.set()

    async def run_forever(self) -> None:
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            reasons, self._reasons = self._reasons, []
            try:
                found = await self.round()
                log.info("catch-up after %s: %d transcript(s) found", ", ".join(sorted(set(reasons))), found)
            except Exception as err:  # the next reason (or start-up) tries again
                log.warning("catch-up failed (%s)", type(err).__name__)
            self.rounds += 1
            if not self._wanted.is_set():
                self.idle.set()

    async def round(self) -> int:
        """One delta round per opted-in organizer; how many transcripts it handed on."""
        found = 0
        since = self._clock() - self.lookback
        watched = await self._settings.get_setting(WATCHED_SINCE)
        if watched:
            with contextlib.suppress(ValueError):
                since = max(since, datetime.fromisoformat(watched))
        for organizer_id in await self._store.opted_in_organizers():
            try:
                found += await self._organizer(organizer_id, since)
            except Exception as err:  # one organizer's refusal does not stop the others'
                log.warning("catch-up for one organizer failed (%s)", type(err).__name__)
        return found

    async def _organizer(self, organizer_id: str, since: datetime) -> int:
        link = await self._store.delta_link(organizer_id)
        done = await self._delta.round(organizer_id, link, since=since)
        for ref in done.transcripts:
            self._announce(ref)
        # Kept only after every transcript found was handed on: a crash before this repeats the
        # round, and the claim keeps the repeat from analysing anything twice.
        await self._store.save_delta_link(organizer_id, done.delta_link)
        return len(done.transcripts)
