"""The Adaptive Card elements the summary card uses, built as plain dicts.

Why not adaptive-cards-py's models (which cards/ still uses for the bot's own cards): importing them
and building their pydantic schemas on the first card costs ~0.6 s of CPU, half of what
``mcem analyze`` may take end to end, and every bot worker paid it again. The summary card needs a
dozen element types, so they are written here directly.

Each element's keys come in the order adaptive-cards-py 0.4.3 writes them (its models' field order,
with ``exclude_none`` and the defaults it always writes: ``type``, an action's ``mode``), so the card
is the same JSON, byte for byte, as before; tests/test_cards_summary.py validates it against the
Adaptive Card 1.5 schema. Values are the schema's own strings ("bolder", "small", …).
"""

from __future__ import annotations

from typing import Any

from mcem.render.card.text import CARD_VERSION

__all__ = [
    "Card",
    "action_execute",
    "action_open_url",
    "action_show_card",
    "card",
    "heading",
    "input_choice_set",
    "input_text",
    "label",
    "literal",
    "run",
    "table",
    "table_cell",
    "table_row",
]

Card = dict[str, Any]
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"

# Key order per element type (adaptive-cards-py's field order: inherited fields first).
_TEXT_BLOCK = (
    "separator", "spacing", "id", "isVisible", "requires", "height", "fallback", "type", "text", "color",
    "fontType", "horizontalAlignment", "isSubtle", "maxLines", "size", "weight", "wrap", "style",
)  # fmt: skip
_RICH_TEXT_BLOCK = (
    "separator", "spacing", "id", "isVisible", "requires", "height", "fallback", "inlines", "type",
    "horizontalAlignment",
)  # fmt: skip
_TEXT_RUN = (
    "type", "text", "color", "fontType", "highlight", "isSubtle", "italic", "selectAction", "size",
    "strikethrough", "underline", "weight",
)  # fmt: skip
_TABLE = (
    "fallback", "separator", "spacing", "id", "isVisible", "requires", "height", "type", "columns", "rows",
    "firstRowAsHeader", "showGridLines", "gridStyle", "horizontalCellContentAlignment",
    "verticalCellContentAlignment",
)  # fmt: skip
_ACTION = ("title", "iconUrl", "id", "style", "fallback", "tooltip", "isEnabled", "mode", "requires")
_INPUT = (
    "errorMessage", "isRequired", "label", "fallback", "height", "separator", "spacing", "isVisible",
    "requires", "type", "id",
)  # fmt: skip
_CARD = (
    "type", "version", "$schema", "refresh", "authentication", "body", "actions", "selectAction",
    "fallbackText", "backgroundImage", "metadata", "minHeight", "rtl", "speak", "lang",
    "verticalContentAlign", "msteams",
)  # fmt: skip


def _ordered(order: tuple[str, ...], fields: dict[str, Any]) -> Card:
    unknown = fields.keys() - set(order)
    if unknown:  # a typo would otherwise vanish silently from the card
        raise TypeError(f"not a property of this element: {', '.join(sorted(unknown))}")
    return {key: fields[key] for key in order if fields.get(key) is not None}


def label(text: str, **style: Any) -> Card:
    """A TextBlock of our own wording (never user content); always wraps. ``style``: camelCase keys."""
    return _ordered(_TEXT_BLOCK, {**style, "type": "TextBlock", "text": text, "wrap": True})


def heading(text: str) -> Card:
    return label(text, size="medium", weight="bolder", spacing="medium")


def run(text: str, **style: Any) -> Card:
    return _ordered(_TEXT_RUN, {**style, "type": "TextRun", "text": text})


def literal(*inlines: Card | str, **style: Any) -> Card:
    """User or analysis text shown exactly as written: a RichTextBlock of TextRuns (never markdown)."""
    runs = [run(i) if isinstance(i, str) else i for i in inlines]
    return _ordered(_RICH_TEXT_BLOCK, {**style, "inlines": runs, "type": "RichTextBlock"})


def table_cell(items: list[Card]) -> Card:
    return {"type": "TableCell", "items": items}


def table_row(cells: list[Card]) -> Card:
    return {"type": "TableRow", "cells": cells}


def table(columns: list[int], rows: list[Card], **style: Any) -> Card:
    fields = {**style, "type": "Table", "columns": [{"width": w} for w in columns], "rows": rows}
    return _ordered(_TABLE, fields)


def action_execute(title: str, verb: str, data: dict[str, Any]) -> Card:
    fields = _action(title, "Action.Execute", verb=verb, data=data)
    return _ordered((*_ACTION, "type", "verb", "data"), fields)


def action_open_url(title: str, url: str, *, style: str | None = None) -> Card:
    return _ordered((*_ACTION, "url", "type"), _action(title, "Action.OpenUrl", url=url, style=style))


def action_show_card(title: str, shown: Card) -> Card:
    return _ordered((*_ACTION, "type", "card"), _action(title, "Action.ShowCard", card=shown))


def _action(title: str, kind: str, **fields: Any) -> dict[str, Any]:
    return {"title": title, "mode": "primary", "type": kind, **fields}


def input_choice_set(id: str, label: str, choices: list[tuple[str, str]], **more: Any) -> Card:
    order = (*_INPUT, "choices", "isMultiSelect", "style", "value", "placeholder", "wrap")
    listed = [{"title": title, "value": value} for title, value in choices]
    return _ordered(order, {**more, "label": label, "type": "Input.ChoiceSet", "id": id, "choices": listed})


def input_text(id: str, label: str, **more: Any) -> Card:
    order = (*_INPUT, "isMultiline", "maxLength", "placeholder", "regex", "style", "inlineAction", "value")
    return _ordered(order, {**more, "label": label, "type": "Input.Text", "id": id})


def card(
    body: list[Card], actions: list[Card] | None = None, *, fallback_text: str | None = None, full_width: bool
) -> Card:
    fields = {
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "$schema": SCHEMA,
        "body": body,
        "actions": actions or None,
        "fallbackText": fallback_text,
        "msteams": {"width": "Full"} if full_width else None,
    }
    return _ordered(_CARD, fields)
