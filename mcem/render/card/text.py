"""Card text helpers that need no card library: the card version, reader-local dates, shortening.

Kept apart from elements.py (adaptive-cards-py constructors for the bot's cards) so that the summary
card, built as plain dicts (plain.py), loads nothing of that library.
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["CARD_VERSION", "ELLIPSIS", "local_datetime", "rfc3339", "shorten"]

CARD_VERSION = "1.5"  # the version Teams renders (desktop, web and mobile)
ELLIPSIS = "…"


def rfc3339(when: datetime) -> str:
    """The strict form DATE()/TIME() accept: seconds, no fraction; naive times are taken as UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_datetime(when: datetime, *, date_format: str = "SHORT") -> str:
    """Text the Teams client shows in the reader's own time zone and locale."""
    stamp = rfc3339(when)
    return f"{{{{DATE({stamp}, {date_format})}}}} {{{{TIME({stamp})}}}}"


def shorten(text: str, limit: int | None) -> str:
    """At most ``limit`` characters, cut at a word boundary when one is near, ending in "…"."""
    text = " ".join(text.split())
    if limit is None or len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if text[limit - 1] != " " and space >= limit // 2:  # do not end in half a word
        cut = cut[:space]
    return cut.rstrip(" ,;:-—") + ELLIPSIS
