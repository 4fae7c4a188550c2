"""Short notices about a click, posted beside the summary card rather than replacing it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from adaptive_cards import types
from adaptive_cards.card import ActionExecute

from mcem.render.card.elements import label, literal, local_datetime, new_card, run, shorten, to_dict
from mcem.render.card.summary import VERB_EMAIL


def already_sent_card(recipients: list[str], sent_at: datetime, run_data: dict[str, Any]) -> dict[str, Any]:
    """The answer to a second "Email to internal attendees": who got it and when, and a deliberate
    "Send again" (the same verb, with ``force``) for when a resend is really wanted."""
    names = shorten(", ".join(recipients), 600)
    builder = new_card(full_width=False).fallback_text(f"Already sent to {names}.")
    builder.add_item(literal(run("Already emailed", weight=types.FontWeight.BOLDER)))
    # Names come from the directory, so they are shown as written (RichTextBlock: no Markdown).
    builder.add_item(literal(f"Sent to {names}."))
    builder.add_item(label(f"On {local_datetime(sent_at)}.", spacing=types.Spacing.NONE))
    builder.add_item(label("Send it again only if the document changed or someone lost it.", isSubtle=True))
    data = {**run_data, "force": True}
    builder.add_action(ActionExecute(title="Send again", verb=VERB_EMAIL, data=data))
    return to_dict(builder.create())
