"""What the summary card's "Email" and "Refresh" act on: a finished run's Word draft in SharePoint.

Both read the draft back from SharePoint first, so they work on the document as people edited it
(not on what the bot wrote an hour ago); reading the .docx and rendering from it are CPU work and go
to the worker pool through ``Steps`` (bot/steps.py), not the event loop. Both work after a restart:
the run is found in the bot's state (bot/state.py), never only in memory. Only the person who ran an
analysis can email or refresh it. Errors are ``DraftProblem`` / mcem and graph errors with messages
safe to show.

Each run remembers its last email (who, when: ``RunStore.record_email``), so a second click on
"Email" does not mail everyone again unless the user asks for it (``force``). With an Outlook
provider id (``originator``) the email embeds the actionable-message card the bot answers over the
Outlook channel (bot/outlook.py); without one it is the plain HTML email.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.services import Services
from bot.state import RunRecord, RunStore
from bot.step_marks import StepMarks, done_notes, step_places
from bot.steps import Steps
from graph.mail import MailRefused
from graph.service import Attendee, MeetingInfo
from mcem.account.sidecars import read_sidecar
from mcem.errors import MCEMError
from mcem.model import Analysis
from mcem.render.card.outlook import teams_user_ids
from mcem.render.email import email_subject

__all__ = [
    "DraftProblem",
    "email_run",
    "find_run",
    "internal_attendees",
    "read_draft",
    "refreshed_card",
]

log = logging.getLogger(__name__)


class DraftProblem(MCEMError):
    """The run cannot be found for this user, or mail is not available here."""

    title = "That analysis is not available"
    advice = "Type `analyze last meeting` (or `analyze <subject>`) for a fresh summary card."
    retry = False


async def find_run(state: RunStore, user_id: str, run_id: str | None) -> RunRecord:
    """The run a card's button names, or (no run id: a typed command) the user's latest one."""
    record = await (state.run(run_id) if run_id else state.latest_run(user_id))
    if record is None or record.requester_id != user_id:
        if run_id:
            raise DraftProblem(
                "I no longer have that analysis, or someone else ran it: only the person who ran it can use "
                "these buttons."
            )
        raise DraftProblem("You have no analysis to refresh yet: type `analyze last meeting` first.")
    return record


async def read_draft(services: Services, record: RunRecord, steps: Steps | None = None) -> Analysis:
    """The run's draft as it is in SharePoint now, read back into the model in ``steps``' worker pool
    (None: a thread of this process)."""
    return (await read_draft_and_base(services, record, steps))[0]


async def read_draft_and_base(
    services: Services, record: RunRecord, steps: Steps | None = None
) -> tuple[Analysis, Analysis | None]:
    """``read_draft``, and the analysis.json it was read against (None when there is none)."""
    data = await services.documents.download(record.item_id)
    base = await _written_from(services, record)
    return await (steps or Steps()).read_document(data, base), base


async def _written_from(services: Services, record: RunRecord) -> Analysis | None:
    """The analysis.json kept beside the draft (account memory), or None.

    The Word draft does not show everything the analysis holds (the verified quotes behind next
    steps, decisions and risks, the meeting kind and stage): without it, a refreshed card or email
    would lose its next steps, and with them Outlook's "Next steps done".
    """
    if services.accounts is None:
        return None
    entry = await services.accounts.account_entry_of_run(record.run_id)
    if entry is None or not entry.sidecar_item_id:
        return None
    try:
        data = await services.documents.download(entry.sidecar_item_id)
        return read_sidecar(data, entry.subject)
    except Exception as err:  # the draft alone still refreshes; only what it cannot show is lost
        log.warning(
            "refresh: the analysis beside run %s could not be read (%s)",
            record.run_id[:40],
            type(err).__name__,
        )
        return None


async def refreshed_card(services: Services, steps: Steps, record: RunRecord) -> dict[str, Any]:
    analysis = await read_draft(services, record, steps)
    return await steps.summary_card(analysis, record.web_url or None, record.run_id)


def internal_attendees(meeting: MeetingInfo) -> list[Attendee]:
    """The organizer and attendees on the internal side with an address, once each, in meeting order."""
    seen: dict[str, Attendee] = {}
    for person in meeting.internal_people():
        if person.email.strip():
            seen.setdefault(person.email.strip().lower(), person)
    return list(seen.values())


async def email_run(
    services: Services,
    steps: Steps,
    user_id: str,
    record: RunRecord,
    *,
    originator: str = "",
    marks: StepMarks | None = None,
) -> list[Attendee]:
    """Email the run's draft (as edited) to the meeting's internal attendees; returns who got it.

    ``originator``: embed the Outlook actionable-message card registered under that provider id."""
    if services.mail is None:
        raise DraftProblem("Email is not set up in this deployment; share the document link instead.")
    if not record.web_url:
        raise DraftProblem("This analysis has no link to its document, so there is nothing to email.")
    # The attendees as Graph knows them now (and a check that the user took part).
    meeting = await services.meetings.meeting(user_id, record.organizer_id, record.meeting_id)
    recipients = internal_attendees(meeting)
    if not recipients:
        raise MailRefused("Not sent: the meeting had no internal attendees to email.")
    analysis, base = await read_draft_and_base(services, record, steps)
    notes = {}
    if originator and marks is not None:
        notes = done_notes(await marks.steps_done(record.run_id), step_places(analysis, base))
    outlook = None
    if originator:  # outlook_card's arguments: the card is built beside the HTML, in the worker
        outlook = {
            "originator": originator,
            "run_id": record.run_id,
            "user_ids": teams_user_ids([p.user_id for p in recipients]),
            "done": notes,
        }
    html = await steps.email_html(analysis, record.web_url, outlook)
    sent = await services.mail.send(user_id, recipients, email_subject(analysis), html)
    log.info("run %s emailed to %d internal attendees", record.run_id, len(sent))
    return sent
