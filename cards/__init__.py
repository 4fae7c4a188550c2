"""Adaptive Cards (schema 1.5, for Teams) built from the core model. Imports ``mcem``, nothing else.

Every builder returns a plain JSON-serialisable dict — what the Agents SDK sends as an attachment.
"""

from cards.errors import error_card
from cards.help import help_card
from cards.meetings import VERB_ANALYZE, MeetingRow, meetings_card
from cards.progress import DEFAULT_STEPS, progress_card
from cards.size import DEFAULT_MAX_BYTES, TRIM_NOTICE, CardTooLarge
from cards.summary import VERB_EMAIL, VERB_FEEDBACK, VERB_REFRESH, VERB_REGENERATE, summary_card
from cards.validate import card_bytes, schema_errors, teams_findings

ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

__all__ = [
    "ADAPTIVE_CARD_CONTENT_TYPE",
    "DEFAULT_MAX_BYTES",
    "DEFAULT_STEPS",
    "TRIM_NOTICE",
    "VERB_ANALYZE",
    "VERB_EMAIL",
    "VERB_FEEDBACK",
    "VERB_REFRESH",
    "VERB_REGENERATE",
    "CardTooLarge",
    "MeetingRow",
    "card_bytes",
    "error_card",
    "help_card",
    "meetings_card",
    "progress_card",
    "schema_errors",
    "summary_card",
    "teams_findings",
]
