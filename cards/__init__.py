"""The bot's own Adaptive Cards (schema 1.5, for Teams): help, meeting picker, progress, errors and
notices, and the validation every card is tested with. Imports ``mcem``, nothing else.

The summary card is a renderer of the Analysis and lives with the others in mcem/render/card/.
Every builder returns a plain JSON-serialisable dict — what the Agents SDK sends as an attachment.
"""

from cards.errors import error_card, outlook_error_card
from cards.help import help_card
from cards.meetings import VERB_ANALYZE, MeetingRow, meetings_card
from cards.progress import DEFAULT_STEPS, progress_card
from cards.validate import schema_errors, teams_findings

ADAPTIVE_CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

__all__ = [
    "ADAPTIVE_CARD_CONTENT_TYPE",
    "DEFAULT_STEPS",
    "VERB_ANALYZE",
    "MeetingRow",
    "error_card",
    "help_card",
    "meetings_card",
    "outlook_error_card",
    "progress_card",
    "schema_errors",
    "teams_findings",
]
