"""Thin AgentApplication handlers: check who is asking and where, parse the command, start or reply.

Messages (with the @mention already removed by the SDK) and the buttons of the bot's own cards
(Analyze, Regenerate, Feedback) land here; the summary card's Email and Refresh are in
bot/draft_handlers.py, and bot/app.py registers both sets. Analyses run in the background
(bot/runner.py runs bot/analysis.py); the handler only posts the first progress card, so the user
sees an answer within a second.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from microsoft_agents.activity import (
    ActivityTypes,
    AdaptiveCardInvokeResponse,
)
from microsoft_agents.hosting.core import (
    AgentApplication,
    TurnContext,
    TurnState,
)
from microsoft_agents.hosting.core.app.proactive import Conversation

from bot.account import account_reply, visible_accounts, which_account_card
from bot.analysis import RETRY_VERB, STEPS, AnalysisJob, MeetingById, Target, retry_data, target_from
from bot.commands import Account, AnalyzeLast, AnalyzeMatching, Help, ListMeetings, Refresh, parse_command
from bot.draft_handlers import refresh_command
from bot.listing import meetings_reply
from bot.meeting_chats import MeetingChats
from bot.resume import ActiveRun
from bot.runner import JobRunner
from bot.services import Services
from bot.settings import BotSettings
from bot.teams import (
    ConversationCard,
    card_activity,
    invoke_card,
    local_today,
    no_user_card,
    refuse_outsiders,
    tenant_of,
    toast,
    user_id_of,
)
from cards import error_card, help_card, progress_card
from mcem.errors import UNEXPECTED, explain
from mcem.render.card import VERB_FEEDBACK, VERB_REGENERATE

__all__ = ["register_handlers"]

log = logging.getLogger(__name__)


def register_handlers(
    app: AgentApplication[TurnState],
    settings: BotSettings,
    services: Services,
    runner: JobRunner,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    chats: MeetingChats | None = None,
) -> None:
    """``chats``: in rsc mode (bot/meeting_chats.py), what ``analyze`` and ``meetings`` mean: the
    meeting of the chat they are said in, since no calendar can be read."""

    @app.before_turn
    async def tenant_allowed(context: TurnContext, _state: TurnState) -> bool:
        if not settings.allowed_tenants:
            return True
        # Outlook's invokes may carry no tenant in the body; the verified token's tid then says it
        # (bot/auth.py already refused a token whose tid differs from a tenant the body names).
        claims = context.identity.claims if context.identity else {}
        tenant = tenant_of(context.activity) or str(claims.get("tid") or "").strip().lower()
        if tenant in settings.allowed_tenants:
            return True
        log.warning("refused a %s activity from a tenant not on the allow-list", context.activity.type)
        if context.activity.type == ActivityTypes.message:
            await context.send_activity("This app is not enabled for your organisation.")
        return False

    @app.activity(ActivityTypes.message)
    async def on_message(context: TurnContext, _state: TurnState) -> None:
        command = parse_command(context.activity.text, today=local_today(context.activity, clock()))
        if isinstance(command, Help):
            await context.send_activity(card_activity(help_card()))
            return
        user_id = user_id_of(context)
        if not user_id:
            await context.send_activity(card_activity(no_user_card()))
            return
        if chats is not None and isinstance(command, AnalyzeLast | AnalyzeMatching | ListMeetings):
            await chats.on_message(context, analyse=not isinstance(command, ListMeetings))
            return
        if isinstance(command, ListMeetings):
            if await refuse_outsiders(context):  # subjects, organisers and dates are meeting data
                return
            await context.send_activity(card_activity(await meetings_reply(services.meetings, user_id)))
            return
        if isinstance(command, Refresh):
            await refresh_command(context, services, runner.steps, user_id)
            return
        if isinstance(command, Account):
            await _account(context, services, settings, user_id, command.company)
            return
        await _start(context, runner, user_id, command)

    @app.adaptive_card.action_execute(RETRY_VERB)
    async def on_analyze_button(
        context: TurnContext, _state: TurnState, data: dict[str, Any] | None
    ) -> AdaptiveCardInvokeResponse:
        target = target_from(data or {})
        user_id = user_id_of(context)
        if target is None or not user_id:
            return invoke_card(no_user_card() if not user_id else _bad_button_card())
        # A new progress card rather than replacing the clicked one: the picker stays usable, and the
        # invoke response cannot race the job's first in-place update.
        started = await _start(context, runner, user_id, target)
        return toast("Working on it: the progress is in the card below." if started else "Not started.")

    @app.adaptive_card.action_execute(VERB_REGENERATE)
    async def on_regenerate(
        context: TurnContext, _state: TurnState, data: dict[str, Any] | None
    ) -> AdaptiveCardInvokeResponse:
        user_id = user_id_of(context)
        run_id = str((data or {}).get("run_id") or "")
        record = await services.runs.run(run_id) if services.runs is not None and run_id else None
        if record is None or record.requester_id != user_id:
            return toast("I no longer have that analysis: type `analyze` with the meeting's subject or date.")
        started = await _start(context, runner, user_id, MeetingById(record.meeting_id, record.organizer_id))
        return toast("Regenerating: the progress is in the card below." if started else "Not started.")

    @app.adaptive_card.action_execute(VERB_FEEDBACK)
    async def on_feedback(
        _context: TurnContext, _state: TurnState, data: dict[str, Any] | None
    ) -> AdaptiveCardInvokeResponse:
        rating = str((data or {}).get("rating") or "")
        # The rating only: a free-text comment can quote the meeting.
        log.info("feedback on run %s: %s", (data or {}).get("run_id", "?"), rating[:20] or "no rating")
        return toast("Thanks for the feedback.")


async def _start(
    context: TurnContext,
    runner: JobRunner,
    user_id: str,
    target: Target,
) -> str | None:
    """Post the progress card and start the job; None when the job could not start (the user is told)."""
    if await refuse_outsiders(context):
        return None
    job = AnalysisJob(user_id=user_id, target=target, run_id=uuid.uuid4().hex[:12])
    sent = await context.send_activity(card_activity(progress_card(STEPS, 0)))
    replace_id = sent.id
    if not replace_id or context.identity is None:
        log.error("analysis %s: the channel gave no id for the progress card", job.run_id)
        return None
    reference = context.activity.get_conversation_reference()
    sink = ConversationCard(context.adapter, context.identity, reference, replace_id)
    # Recorded with what it takes to finish it elsewhere: a stop part-way never leaves a spinner.
    active = ActiveRun(
        run_id=job.run_id,
        user_id=user_id,
        target=retry_data(job),
        reference=reference.model_dump(mode="json", by_alias=True, exclude_none=True),
        claims=Conversation.claims_from_identity(context.identity),
        card_id=replace_id,
    )
    runner.start(job, sink, active)
    log.info("analysis %s started", job.run_id)
    return job.run_id


async def _account(
    context: TurnContext, services: Services, settings: BotSettings, user_id: str, company: str
) -> None:
    """``account <company>``: nothing of an account reaches a conversation with someone from outside."""
    if await refuse_outsiders(context):
        return
    if services.accounts is None:
        card = error_card(
            "No account history here",
            "This deployment keeps no record of analysed calls.",
            "Ask the app owner to run the bot with its state (MCEM_STATE_PATH or MCEM_STATE_BACKEND).",
        )
    elif not company.strip():
        card = which_account_card(await visible_accounts(services.accounts, user_id, settings.account_teams))
    else:
        try:
            card = await account_reply(
                company, user_id, services.accounts, services.documents, settings.account_teams
            )
        except Exception as err:
            why = explain(err)
            if why is UNEXPECTED:
                log.error("account: unexpected %s", type(err).__qualname__)
            card = error_card("No account brief", why.message, why.advice)
    await context.send_activity(card_activity(card))


def _bad_button_card() -> dict[str, Any]:
    return error_card(
        "That button no longer works",
        "The card is from an older version of the app.",
        "Type `meetings` for a fresh list, or `analyze last meeting`.",
    )
