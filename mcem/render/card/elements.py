"""Small constructors over adaptive-cards-py for the bot's own cards (cards/); the summary card is
built as plain dicts (plain.py), in the same shapes.

Two kinds of text: our own labels go in ``TextBlock`` (markdown-capable, and the only element where
the client-side ``{{DATE()}}``/``{{TIME()}}`` functions work), while anything that came from a
transcript, an analysis or a user goes in a ``RichTextBlock`` of ``TextRun``s, which Adaptive Cards
never parse as markdown — so ``**``, ``_`` or ``[x](y)`` in a customer's words stay literal text.
"""

from __future__ import annotations

import json
from typing import Any

from adaptive_cards import types
from adaptive_cards.card import AdaptiveCard, AdaptiveCardBuilder, RichTextBlock, TextBlock, TextRun

# Re-exported: the bot's cards take them from here with the constructors.
from mcem.render.card.text import CARD_VERSION, ELLIPSIS, local_datetime, rfc3339, shorten

__all__ = [
    "CARD_VERSION",
    "ELLIPSIS",
    "heading",
    "label",
    "literal",
    "local_datetime",
    "new_card",
    "rfc3339",
    "run",
    "shorten",
    "to_dict",
]


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
