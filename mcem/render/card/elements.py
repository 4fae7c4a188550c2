"""Small constructors over adaptive-cards-py shared by every card (the summary card here, and cards/).

Two kinds of text: our own labels go in ``TextBlock`` (markdown-capable, and the only element where
the client-side ``{{DATE()}}``/``{{TIME()}}`` functions work), while anything that came from a
transcript, an analysis or a user goes in a ``RichTextBlock`` of ``TextRun``s, which Adaptive Cards
never parse as markdown — so ``**``, ``_`` or ``[x](y)`` in a customer's words stay literal text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from adaptive_cards import types
from adaptive_cards.card import AdaptiveCard, AdaptiveCardBuilder, RichTextBlock, TextBlock, TextRun

CARD_VERSION = "1.5"  # the version Teams renders (desktop, web and mobile)


def new_card(*, full_width: bool = True) -> AdaptiveCardBuilder:
    builder = AdaptiveCard.new().version(CARD_VERSION)
    if full_width:
        builder = builder.width(types.MSTeamsCardWidth.FULL)
    return builder


def to_dict(card: AdaptiveCard) -> dict[str, Any]:
    """Plain JSON types only: the Agents SDK wants a dict, and enum members must not leak out."""
    result: dict[str, Any] = json.loads(card.to_json())
    return result


def label(text: str, **style: Any) -> TextBlock:
    """Our own wording (never user content). Always wraps."""
    return TextBlock(text=text, wrap=True, **style)


def heading(text: str) -> TextBlock:
    return label(
        text, size=types.FontSize.MEDIUM, weight=types.FontWeight.BOLDER, spacing=types.Spacing.MEDIUM
    )


def run(text: str, **style: Any) -> TextRun:
    return TextRun(text=text, **style)


def literal(*inlines: TextRun | str, **style: Any) -> RichTextBlock:
    """User or analysis text shown exactly as written (RichTextBlock always wraps)."""
    runs = [run(i) if isinstance(i, str) else i for i in inlines]
    return RichTextBlock(inlines=runs, **style)


def rfc3339(when: datetime) -> str:
    """The strict form DATE()/TIME() accept: seconds, no fraction; naive times are taken as UTC."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_datetime(when: datetime, *, date_format: str = "SHORT") -> str:
    """Text the Teams client shows in the reader's own time zone and locale."""
    stamp = rfc3339(when)
    return f"{{{{DATE({stamp}, {date_format})}}}} {{{{TIME({stamp})}}}}"


ELLIPSIS = "…"


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
