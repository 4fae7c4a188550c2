"""The ``meetings`` command: the user's recent meetings that have a transcript, as a picker card."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from cards import MeetingRow, error_card, meetings_card
from graph.refusals import TRANSCRIPTS_DISABLED, TenantRefusal
from graph.service import GraphError, MeetingInfo, MeetingSource
from mcem.errors import explain

__all__ = ["meetings_reply"]

log = logging.getLogger(__name__)

LIST_SIZE = 10


async def meetings_reply(meetings: MeetingSource, user_id: str) -> dict[str, Any]:
    """The picker card, or an error card saying what went wrong."""
    try:
        found = await meetings.recent_meetings(user_id, limit=LIST_SIZE)
        checked = await asyncio.gather(*(_row(meetings, user_id, m) for m in found))
    except TenantRefusal as err:
        why = explain(err)  # the tenant setting and the admin's step
        return error_card(why.title, why.message, why.advice)
    except GraphError as err:
        log.warning("listing meetings failed: %s", type(err).__name__)
        return error_card(
            "Could not list your meetings",
            str(err),
            "Try again in a few minutes, or type `analyze last meeting`.",
        )
    return meetings_card([row for row in checked if row.has_transcript])


async def _row(meetings: MeetingSource, user_id: str, meeting: MeetingInfo) -> MeetingRow:
    has_transcript = meeting.has_transcript
    if has_transcript is None:  # the source did not say: ask
        try:
            has_transcript = bool(await meetings.transcripts(user_id, meeting))
        except TenantRefusal as err:
            if err.refusal is TRANSCRIPTS_DISABLED:  # tenant-wide: every row would be empty for it
                raise
            log.info("no transcript check for one meeting: %s", err.refusal.kind)
            has_transcript = False
        except GraphError as err:
            # One unreadable meeting (no access, not ready) must not hide the others; it is left
            # out, and analysing it by name explains why.
            log.info("no transcript check for one meeting: %s", type(err).__name__)
            has_transcript = False
    return MeetingRow(
        meeting_id=meeting.meeting_id,
        subject=meeting.subject,
        start=meeting.start,
        organizer=meeting.organizer.name,
        has_transcript=has_transcript,
    )
