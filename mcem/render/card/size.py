"""Keeping the summary card under the Teams message size, by trimming in a fixed order.

Why 28 KB: Microsoft documents a bot message limit that includes the whole payload encoded as
UTF-16 (40 KB in older versions of "Format your bot messages", learn.microsoft.com/microsoftteams/
platform/bots/how-to/format-your-bot-messages; the current page says about 100 KB and recommends
staying within 80 KB); the Teams connector documents "about 28 KB" per posted message
(learn.microsoft.com/connectors/teams, "Message size limit"), and adaptive-cards-py's Teams target
uses 28 KB. A card of 28,000 UTF-8 bytes is at most ~56 KB in UTF-16 for Latin text, inside the
80 KB recommendation with room for the activity envelope — so 28,000 is the default budget. Under
the older 40 KB (UTF-16) rule the same card could be refused with 413 MessageSizeTooBig; a caller
that meets that pass ``max_bytes=18_000``.

Trimming is a ladder of ``Limits``: the builder renders level 0 (everything), then each next
level until the JSON fits. Each level only shortens or drops more than the one before, so the
result is deterministic and the first level that fits loses the least. The seven table rows and
the document button are never dropped; only the text inside them gets shorter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_MAX_BYTES = 28_000
TRIM_NOTICE = "Trimmed to fit Teams — see the full document for everything."


@dataclass(frozen=True)
class Limits:
    """Character limits per kind of text; ``None`` means unlimited, 0 means left out."""

    summary_paragraphs: int = 2
    paragraph: int | None = None
    excerpt: int | None = None
    insight: int | None = None
    action: int | None = None
    actions_per_role: int | None = None
    rec_title: int | None = None
    rec_narrative: int | None = None
    header: int | None = None  # title, subject, note, speaker names

    @property
    def trimmed(self) -> bool:
        return self != Limits()


LADDER: tuple[Limits, ...] = (
    Limits(),
    Limits(summary_paragraphs=1),
    Limits(1, 900, 300, 300, 200, None, 150, 500, 200),
    Limits(1, 700, 250, 250, 160, 5, 130, 400, 180),
    Limits(1, 600, 200, 200, 140, 3, 120, 300, 150),
    Limits(1, 400, 140, 140, 100, 3, 100, 200, 120),
    Limits(1, 300, 100, 100, 80, 2, 80, 120, 100),
    Limits(1, 200, 60, 60, 50, 2, 60, 0, 80),
    Limits(1, 120, 40, 40, 40, 1, 40, 0, 60),
    Limits(1, 60, 20, 20, 20, 1, 20, 0, 30),
)


def card_bytes(card: dict[str, Any]) -> int:
    """Size as sent on the wire: compact JSON, UTF-8."""
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


class CardTooLarge(ValueError):
    """Even the most trimmed card exceeds the budget (a budget far below any real limit)."""


def fit(build: Callable[[Limits], dict[str, Any]], max_bytes: int) -> dict[str, Any]:
    """The first rung of the ladder whose card is at most ``max_bytes``."""
    smallest = 0
    for limits in LADDER:
        card = build(limits)
        smallest = card_bytes(card)
        if smallest <= max_bytes:
            return card
    raise CardTooLarge(
        f"max_bytes={max_bytes} is too small for a summary card (the most trimmed one is "
        f"{smallest} bytes); use at least {smallest} or the default {DEFAULT_MAX_BYTES}"
    )
