"""The bot's answers to the summary email's card in Outlook (actionable messages, Universal Actions).

Outlook sends a click on the card's ``Action.Execute`` buttons, and the card's ``refresh`` when the
mail is opened, as an ``adaptiveCard/action`` invoke through the Azure Bot's Outlook channel: the
activity's ``channelId`` is ``outlook`` (``Channels.Outlook`` in the Agents SDK for .NET; the Python
SDK has no constant for it). Before anything here runs, the request passed the checks every
request gets (bot/auth.py: signature, issuer, tenant, serviceUrl). Then:

- **who**: the mailbox user, ``from.aadObjectId``. Everyone the mail went to may refresh it, not only
  the person who sent it, so the rule is the meeting's: the user organised or attended it (Graph,
  graph/meetings.py) and is on its internal side (bot/drafts.internal_attendees: the tenant's
  domains, not a guest account). Anyone else gets the no-access card and nothing of the draft.
- **where**: the answer is the invoke response itself; nothing is sent to the ``serviceUrl`` and no
  conversation is stored, so an Outlook activity cannot redirect anything.
- **when**: Outlook waits about two seconds for a card on open ("Requests must return within 2
  seconds", Microsoft Learn, "Refresh an actionable message when the user opens it") and keeps the
  card it has after that. So the work has a deadline (``outlook_deadline_seconds``); past it the
  answer is a short message and the mail keeps its card, rather than an answer nobody waits for.

The buttons' verbs are Outlook's own (mcem/render/card/outlook.py), and they are answered only on
the Outlook channel: a Teams conversation may have guests, and these answers carry the draft.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from microsoft_agents.activity import AdaptiveCardInvokeResponse
from microsoft_agents.hosting.core import AgentApplication, TurnContext, TurnState

from bot.drafts import DraftProblem, internal_attendees, read_draft_and_base
from bot.services import Services
from bot.step_marks import StepMarks, done_notes, step_places
from bot.steps import Steps
from bot.teams import invoke_card, toast, user_id_of
from cards import outlook_error_card
from graph.service import AccessDenied, Attendee, MeetingInfo
from mcem.errors import UNEXPECTED, explain
from mcem.render.card.outlook import (
    DONE_INPUT,
    VERB_OUTLOOK_REFRESH,
    VERB_STEPS_DONE,
    outlook_card,
    teams_user_ids,
)

__all__ = ["OUTLOOK_CHANNEL", "register_outlook_handlers"]

log = logging.getLogger(__name__)

OUTLOOK_CHANNEL = "outlook"
SLOW = "The draft is taking long to read; the card stays as it is. Open the draft, or refresh again later."
NOT_HERE = "This button belongs to the summary email in Outlook."
NONE_TICKED = "Tick the next steps that are done, then select Next steps done."


class NotAnAttendee(AccessDenied):
    """The mailbox user is not an internal attendee of the meeting the summary is about."""

    title = "No access to this summary"
    advice = "Ask someone from the account team who attended the meeting to share the document with you."


def register_outlook_handlers(
    app: AgentApplication[TurnState],
    services: Services,
    steps: Steps,
    *,
    originator: str,
    marks: StepMarks,
    deadline_seconds: float,
) -> None:
    async def answer(
        context: TurnContext, data: dict[str, Any] | None, *, done: list[int] | None
    ) -> AdaptiveCardInvokeResponse:
        if _channel(context) != OUTLOOK_CHANNEL:
            return toast(NOT_HERE)
        user_id = user_id_of(context)
        run_id = str((data or {}).get("run_id") or "")
        work = _card(services, steps, originator, marks, user_id, run_id, done)
        try:
            card = await asyncio.wait_for(work, deadline_seconds)
        except TimeoutError:
            log.warning("outlook: run %s not answered within %.1f s", run_id[:40], deadline_seconds)
            return toast(SLOW)
        except Exception as err:
            return invoke_card(_failure_card(originator, err))
        return invoke_card(card)

    @app.adaptive_card.action_execute(VERB_OUTLOOK_REFRESH)
    async def on_refresh(
        context: TurnContext, _state: TurnState, data: dict[str, Any] | None
    ) -> AdaptiveCardInvokeResponse:
        return await answer(context, data, done=None)

    @app.adaptive_card.action_execute(VERB_STEPS_DONE)
    async def on_steps_done(
        context: TurnContext, _state: TurnState, data: dict[str, Any] | None
    ) -> AdaptiveCardInvokeResponse:
        ticked = _ticked((data or {}).get(DONE_INPUT))
        if not ticked and _channel(context) == OUTLOOK_CHANNEL:
            return toast(NONE_TICKED)
        return await answer(context, data, done=ticked)


async def _card(
    services: Services,
    steps: Steps,
    originator: str,
    marks: StepMarks,
    user_id: str,
    run_id: str,
    done: list[int] | None,
) -> dict[str, Any]:
    """The refreshed card for an internal attendee (after recording ``done`` steps), else an error."""
    if not user_id:
        raise NotAnAttendee("Outlook did not say who you are, so I cannot show you this summary.")
    record = await services.runs.run(run_id) if services.runs is not None and run_id else None
    if record is None or not record.web_url:
        raise DraftProblem("I no longer have this analysis; the document in SharePoint is still there.")
    meeting = await services.meetings.meeting(user_id, record.organizer_id, record.meeting_id)
    me = _internal_attendee(meeting, user_id)
    analysis, base = await read_draft_and_base(services, record, steps)  # the .docx: in the worker pool
    places = step_places(analysis, base)  # a tick names the step's place in the analysis.json
    if done:
        at = datetime.now(UTC)
        ticked = [places[i] for i in done if 0 <= i < len(places) and places[i] >= 0]
        # Shielded: a mark that reached the store stays even if the answer itself is late.
        await asyncio.shield(
            asyncio.gather(*(marks.mark_step_done(run_id, i, me.name, at, OUTLOOK_CHANNEL) for i in ticked))
        )
        log.info("outlook: run %s, %d next step(s) marked done", run_id[:40], len(ticked))
    notes = done_notes(await marks.steps_done(run_id), places)
    recipients = internal_attendees(meeting)
    return await asyncio.to_thread(
        outlook_card,
        analysis,
        record.web_url,
        originator=originator,
        run_id=run_id,
        user_ids=teams_user_ids([p.user_id for p in recipients]),
        done=notes,
    )


def _channel(context: TurnContext) -> str:
    return str(context.activity.channel_id or "").split(":")[0].lower()


def _internal_attendee(meeting: MeetingInfo, user_id: str) -> Attendee:
    """The user among the meeting's internal attendees; NotAnAttendee when they are not one.

    Graph already refused a user who neither organised nor attended; this also refuses one who took
    part from outside (a guest account, another organisation's address) or whom Graph could not name.
    """
    wanted = user_id.strip().lower()
    for person in internal_attendees(meeting):
        if person.user_id and person.user_id.strip().lower() == wanted:
            return person
    raise NotAnAttendee(
        f"This summary of “{meeting.subject}” is for the account team members who attended it."
    )


def _ticked(value: Any) -> list[int]:
    """The multi-select's value as Outlook sends it ("0,2"), as step indexes; anything else is ignored."""
    found: list[int] = []
    for part in str(value or "").split(","):
        if part.strip().isdigit() and len(part.strip()) < 4:
            found.append(int(part.strip()))
    return sorted(set(found))


def _failure_card(originator: str, err: Exception) -> dict[str, Any]:
    why = explain(err)
    if why is UNEXPECTED:  # its text may quote the draft: only the type goes to the log
        log.error("outlook: unexpected %s", type(err).__qualname__)
    return outlook_error_card(why.title, why.message, why.advice, originator=originator)
