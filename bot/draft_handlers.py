"""Handlers for the summary card's "Email to internal attendees" and "Refresh from the document"
buttons, and the typed ``refresh`` command (journeys 3 and 4). The work is in bot/drafts.py.

A failure never replaces the summary card: the click gets a short message and the reason comes
as a separate error card that says what to do. Refresh, when it works, does replace the clicked
card (it is the same summary, rebuilt from the edited document).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from datetime import UTC, datetime
from typing import Any

from microsoft_agents.activity import AdaptiveCardInvokeResponse
from microsoft_agents.hosting.core import AgentApplication, TurnContext, TurnState

from bot.drafts import DraftProblem, email_run, find_run, refreshed_card
from bot.services import Services
from bot.state import RunStore, SentEmail
from bot.step_marks import StepMarks
from bot.steps import Steps
from bot.teams import (
    card_activity,
    invoke_card,
    refuse_outsiders,
    toast,
    user_id_of,
)
from cards import error_card
from cards.notices import already_sent_card
from graph.service import Attendee
from mcem.errors import UNEXPECTED, explain
from mcem.render.card import VERB_EMAIL, VERB_REFRESH

__all__ = ["refresh_command", "register_draft_handlers"]

log = logging.getLogger(__name__)


def register_draft_handlers(
    app: AgentApplication[TurnState],
    services: Services,
    steps: Steps,
    *,
    originator: str = "",
    marks: StepMarks | None = None,
) -> None:
    """``steps``: where the .docx is read back and rendered from (the runner's worker pool);
    ``originator``: the Outlook provider id the email's card is registered under ("" for none)."""
    sending: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @app.adaptive_card.action_execute(VERB_EMAIL)
    async def on_email(
        context: TurnContext, _state: TurnState, data: dict[str, Any] | None
    ) -> AdaptiveCardInvokeResponse:
        user_id = user_id_of(context)
        if await refuse_outsiders(context):  # who got it, and when, is meeting data too
            return toast("Not here: the reason is in the card below.")
        force = (data or {}).get("force") is True
        # One click at a time per run in this instance: a double click must not slip past the check.
        lock = sending.setdefault(_run_id(data) or user_id, asyncio.Lock())
        try:
            async with lock:
                store = _store(services)
                record = await find_run(store, user_id, _run_id(data))
                previous = None if force else await store.last_email(record.run_id)
                if previous is None:
                    sent = await email_run(
                        services, steps, user_id, record, originator=originator, marks=marks
                    )
                    try:
                        await store.record_email(
                            record.run_id, SentEmail([p.name or p.email for p in sent], datetime.now(UTC))
                        )
                    except Exception as err:  # it was sent: say so, even if a repeat is not caught
                        log.warning("emailed run not recorded (%s)", type(err).__name__)
        except Exception as err:
            await context.send_activity(card_activity(_failure_card("Not emailed", err)))
            return toast("Not sent: the reason is in the card below.")
        if previous is not None:
            again = {k: v for k, v in (data or {}).items() if k != "force"} | {"run_id": record.run_id}
            notice = already_sent_card(previous.recipients, previous.at, again)
            await context.send_activity(card_activity(notice))
            return toast(already_sent_text(previous))
        text = sent_text(sent)
        await context.send_activity(text)  # a lasting note in the chat of who got it
        return toast(text)

    @app.adaptive_card.action_execute(VERB_REFRESH)
    async def on_refresh(
        context: TurnContext, _state: TurnState, data: dict[str, Any] | None
    ) -> AdaptiveCardInvokeResponse:
        user_id = user_id_of(context)
        if await refuse_outsiders(context):
            return toast("Not here: the reason is in the card below.")
        try:
            record = await find_run(_store(services), user_id, _run_id(data))
            card = await refreshed_card(services, steps, record)
        except Exception as err:
            await context.send_activity(card_activity(_failure_card("Not refreshed", err)))
            return toast("Not refreshed: the reason is in the card below.")
        return invoke_card(card)


async def refresh_command(context: TurnContext, services: Services, steps: Steps, user_id: str) -> None:
    """Typed ``refresh``: a new summary card from the user's latest draft, as edited."""
    if await refuse_outsiders(context):
        return
    try:
        record = await find_run(_store(services), user_id, None)
        card = await refreshed_card(services, steps, record)
    except Exception as err:
        card = _failure_card("Not refreshed", err)
    await context.send_activity(card_activity(card))


def sent_text(sent: list[Attendee]) -> str:
    names = ", ".join(p.name or p.email for p in sent)
    return f"Sent to {len(sent)} internal attendee{'' if len(sent) == 1 else 's'}: {names}."


def already_sent_text(previous: SentEmail) -> str:
    when = previous.at.astimezone(UTC).strftime("%d %b %Y %H:%M UTC")
    return f"Already sent to {', '.join(previous.recipients)} at {when}; use Send again to resend."


def _run_id(data: dict[str, Any] | None) -> str | None:
    return str((data or {}).get("run_id") or "") or None


def _store(services: Services) -> RunStore:
    if services.runs is None:
        raise DraftProblem("This deployment keeps no record of finished analyses; run `analyze` again.")
    return services.runs


def _failure_card(action: str, err: Exception) -> dict[str, Any]:
    """``action`` ("Not emailed") as the title: the user clicked it; the rest is the error's own."""
    why = explain(err)
    if why is UNEXPECTED:
        # Unexpected: its text may quote the document, so only its type goes to the log.
        log.error("%s: unexpected %s", action, type(err).__qualname__)
    return error_card(action, why.message, why.advice)
