"""A plain, friendly error card: what happened, what to do, and optionally a "Try again" button."""

from __future__ import annotations

from typing import Any

from adaptive_cards import types
from adaptive_cards.card import ActionExecute

from mcem.links import strip_links
from mcem.render.card.elements import label, literal, new_card, run, shorten, to_dict
from mcem.render.card.outlook import OUTLOOK_CARD_VERSION

# Messages come from mcem.errors (one line each); the cap only guards against a runaway string.
_MAX_TEXT = 1000


def error_card(
    title: str,
    message: str,
    what_to_do: str,
    *,
    retry_verb: str | None = None,
    retry_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    if retry_data is not None and retry_verb is None:
        raise ValueError("retry_data needs a retry_verb: without it there is no button to carry it")
    # Messages quote meeting subjects, which the organizer (perhaps the customer) wrote: no links.
    # Addresses stay: a refusal names the address it refused ("guest@adatum.com is outside ...").
    message = strip_links(message, addresses=False)
    builder = new_card(full_width=False).fallback_text(shorten(f"{title}: {message}", _MAX_TEXT))
    builder.add_item(
        literal(run(shorten(title, 200), color=types.Colors.ATTENTION, weight=types.FontWeight.BOLDER))
    )
    builder.add_item(literal(shorten(message, _MAX_TEXT)))
    builder.add_item(label("What to do", weight=types.FontWeight.BOLDER, spacing=types.Spacing.MEDIUM))
    builder.add_item(literal(shorten(what_to_do, _MAX_TEXT), spacing=types.Spacing.NONE))
    if retry_verb is not None:
        builder.add_action(ActionExecute(title="Try again", verb=retry_verb, data=dict(retry_data or {})))
    return to_dict(builder.create())


def outlook_error_card(title: str, message: str, what_to_do: str, *, originator: str) -> dict[str, Any]:
    """The same card for Outlook's email card (mcem/render/card/outlook.py): version 1.4, the newest
    Outlook documents, and the provider id, without which Outlook shows no card at all."""
    card = error_card(title, message, what_to_do)
    return card | {"version": OUTLOOK_CARD_VERSION, "originator": originator}
