"""Analysis -> the summary Adaptive Card (schema 1.5, Teams), a pure renderer beside md, docx and email.

``summary_card(analysis, document_url)`` returns a plain JSON-serialisable dict of at most
``DEFAULT_MAX_BYTES``, trimmed in a fixed order when needed (``size``). ``elements`` holds the small
adaptive-cards-py constructors every card uses, the bot's own cards in cards/ included.
"""

from mcem.render.card.size import DEFAULT_MAX_BYTES, TRIM_NOTICE, CardTooLarge, card_bytes
from mcem.render.card.summary import VERB_EMAIL, VERB_FEEDBACK, VERB_REFRESH, VERB_REGENERATE, summary_card

__all__ = [
    "DEFAULT_MAX_BYTES",
    "TRIM_NOTICE",
    "VERB_EMAIL",
    "VERB_FEEDBACK",
    "VERB_REFRESH",
    "VERB_REGENERATE",
    "CardTooLarge",
    "card_bytes",
    "summary_card",
]
