"""What the bot keeps so that no transcript is missed or fetched twice, as records on the storage
primitive (bot/records.py), the same on every backend:

- ``deltas``: organizer id -> link, updated. The ``@odata.deltaLink`` of the organizer's last
  catch-up round (bot/catchup.py): the next round asks Graph only for what came after it.
- ``contents``: transcript id -> the content in chunks (rows ``c00000``...); ``contentheads``:
  transcript id -> chunks, size, sha256, minutes, cached (small: what pruning scans). Graph
  meters transcript downloads; content never changes under a transcript id, so Regenerate and Try
  again read it here. Chunks are base64 text of
  at most 30,000 characters, under Table Storage's 64 KiB a property. Kept ``ttl`` (7 days by
  default): a transcript is confidential, and a draft is regenerated within days or not at all.
- ``usage``: month ("2026-12") -> minutes, downloads: transcript minutes downloaded this month, what
  /api/health reports against the tenant's metered allowance.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.records import ONE, Records

__all__ = ["KINDS", "TranscriptRecords"]

log = logging.getLogger(__name__)

KINDS = ("deltas", "contents", "contentheads", "usage")
CHUNK = 30_000
TTL = timedelta(days=7)


def _month(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


# /api/health shows the month's usage; probes come every few seconds (a load test's every 20 ms), and a
# figure up to this old is as good an answer as a store read for each, on Table Storage a round trip.
USAGE_FRESH = timedelta(seconds=30)


class TranscriptRecords:
    def __init__(
        self,
        records: Records,
        *,
        ttl: timedelta = TTL,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.records = records
        self.ttl = ttl
        self._clock = clock
        self._usage: tuple[datetime, dict[str, object]] | None = None  # when read, what was read

    # -- catch-up --------------------------------------------------------------------------------

    async def opted_in_organizers(self) -> list[str]:
        """The users with a personal chat with the bot: an automatic card can reach only them."""
        return sorted({str(e.value.get("user_id") or "") for e in await self.records.scan("chats")} - {""})

    async def delta_link(self, organizer_id: str) -> str | None:
        entry = await self.records.get("deltas", organizer_id)
        return str(entry.value.get("link") or "") or None if entry is not None else None

    async def save_delta_link(self, organizer_id: str, link: str) -> None:
        await self.records.put("deltas", organizer_id, {"link": link, "updated": _iso(datetime.now(UTC))})

    # -- the content cache (graph.service.TranscriptCache) ---------------------------------------

    async def get(self, transcript_id: str) -> bytes | None:
        head = await self.records.get("contentheads", transcript_id)
        if head is None:
            return None
        cached = _parse(str(head.value.get("cached") or ""))
        if cached is None or datetime.now(UTC) - cached > self.ttl:
            await self.drop(transcript_id)
            return None
        rows = [e.value for e in await self.records.scan("contents", transcript_id)]
        rows.sort(key=lambda v: int(v["i"]))
        content = b"".join(base64.b64decode(str(v["text"])) for v in rows)
        digest = hashlib.sha256(content).hexdigest()
        if len(rows) != int(head.value.get("chunks", -1)) or digest != head.value.get("sha256"):
            # Half written (an instance stopped mid-way) or damaged: download it again.
            log.warning("a cached transcript was incomplete; it is downloaded again")
            await self.drop(transcript_id)
            return None
        return content

    async def put(self, transcript_id: str, content: bytes, minutes: float) -> None:
        text = base64.b64encode(content).decode("ascii")
        chunks = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
        for i, chunk in enumerate(chunks):
            await self.records.put("contents", transcript_id, {"i": i, "text": chunk}, row=f"c{i:05d}")
        # The head last: a reader trusts the chunks only once it is there and the digest agrees.
        head = {
            "transcript_id": transcript_id,
            "chunks": len(chunks),
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
            "minutes": round(minutes, 3),
            "cached": _iso(datetime.now(UTC)),
        }
        await self.records.put("contentheads", transcript_id, head)
        await self.count_download(minutes)

    async def drop(self, transcript_id: str) -> None:
        await self.records.delete("contentheads", transcript_id)  # first: the chunks are then unread
        for entry in await self.records.scan("contents", transcript_id):
            await self.records.delete("contents", transcript_id, f"c{int(entry.value['i']):05d}")

    async def prune(self) -> int:
        """Remove every cached transcript older than ``ttl``; how many."""
        now, dropped = datetime.now(UTC), 0
        for entry in await self.records.scan("contentheads"):
            cached = _parse(str(entry.value.get("cached") or ""))
            tid = str(entry.value.get("transcript_id") or "")
            if tid and (cached is None or now - cached > self.ttl):
                await self.drop(tid)
                dropped += 1
        return dropped

    # -- minutes downloaded ----------------------------------------------------------------------

    async def count_download(self, minutes: float) -> None:
        month = _month(datetime.now(UTC))
        for _ in range(20):  # other instances count too: compare and swap
            entry = await self.records.get("usage", month)
            if entry is None:
                if await self.records.insert("usage", month, {"minutes": minutes, "downloads": 1}):
                    self._usage = None  # this instance's own download shows at once
                    return
                continue
            value = {
                "minutes": float(entry.value.get("minutes", 0)) + minutes,
                "downloads": int(entry.value.get("downloads", 0)) + 1,
            }
            if await self.records.replace("usage", month, value, entry.version):
                self._usage = None  # this instance's own download shows at once
                return
        log.warning("transcript minutes not counted: the counter kept changing")

    async def usage(self, when: datetime | None = None) -> dict[str, object]:
        """The month's minutes and downloads; this month's as read at most ``USAGE_FRESH`` ago (other
        instances' downloads show within that)."""
        now = self._clock()
        month = _month(when or now)
        cached = self._usage
        if (
            when is None
            and cached is not None
            and now - cached[0] < USAGE_FRESH
            and cached[1]["month"] == month
        ):
            return dict(cached[1])
        entry = await self.records.get("usage", month, ONE)
        value = entry.value if entry is not None else {}
        found: dict[str, object] = {
            "month": month,
            "minutes": round(float(value.get("minutes", 0)), 2),
            "downloads": int(value.get("downloads", 0)),
        }
        if when is None:
            self._usage = (now, found)
        return dict(found)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _parse(raw: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
