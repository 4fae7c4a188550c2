"""Analysis -> the summary Adaptive Card (schema 1.5, Teams), a pure renderer beside md, docx and email.

``summary_card(analysis, document_url)`` returns a plain JSON-serialisable dict of at most
``DEFAULT_MAX_BYTES``, trimmed in a fixed order when needed (``size``). It is built as plain dicts
(``plain``); ``elements`` holds the adaptive-cards-py constructors of the bot's own cards in cards/,
and ``text`` the helpers both use.
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
