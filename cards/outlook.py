"""What Outlook shows of an Adaptive Card in an email (an actionable message), as data, and a check.

Sources (Microsoft Learn; the text lives in OfficeDev/outlook-dev-docs at commit
7347399c2cbbb26f64ce01c86bc3403e37c75def, 2026-06-24):
- docs/actionable-messages/adaptive-card.md, "Designing Outlook Actionable Message cards with the
  Adaptive Card format": Action.Submit and Input.Time are NOT supported ("it will not be displayed");
  Outlook adds Action.Http, Action.InvokeAddInCommand, Action.DisplayMessageForm,
  Action.DisplayAppointmentForm, Action.ToggleVisibility, the ActionSet element, and the root
  properties originator (required for actionable email), hideOriginalBody, autoInvokeAction,
  correlationId and expectedActors;
- docs/actionable-messages/universal-action-model.md, "Overview of Universal Action Model":
  Action.Execute and ``refresh`` need card version 1.4 or later; ``userIds`` is ignored in Outlook.

Nothing documents an Outlook renderer beyond 1.4, so elements introduced after it (Table, TableRow,
TableCell: 1.5) are outside the subset, and so is Media, which the Outlook pages never mention.
The Adaptive Card JSON schema's root refuses unknown properties, so ``without_outlook_root`` checks
Outlook's root properties against their documented shape and hands the rest to the schema.
"""

from __future__ import annotations

from typing import Any

from cards.validate import iter_elements

__all__ = [
    "OUTLOOK_ACTIONS",
    "OUTLOOK_ELEMENTS",
    "OUTLOOK_MAX_VERSION",
    "OUTLOOK_ROOT_PROPERTIES",
    "outlook_findings",
    "without_outlook_root",
]

OUTLOOK_MAX_VERSION = (1, 4)
UNIVERSAL_ACTIONS_FROM = (1, 4)

OUTLOOK_ELEMENTS = frozenset(
    {
        "AdaptiveCard",  # the root, and the card inside Action.ShowCard
        "TextBlock",
        "RichTextBlock",
        "TextRun",
        "Image",
        "ImageSet",
        "Container",
        "ColumnSet",
        "Column",
        "FactSet",
        "ActionSet",  # added by Outlook before 1.2 made it standard
        "Input.Text",
        "Input.Number",
        "Input.Date",
        "Input.Toggle",
        "Input.ChoiceSet",
        "Refresh",
    }
)
OUTLOOK_ACTIONS = frozenset(
    {
        "Action.OpenUrl",
        "Action.ShowCard",
        "Action.ToggleVisibility",
        "Action.Execute",  # the Universal Action Model: answered by the bot over the Outlook channel
        "Action.Http",
        "Action.InvokeAddInCommand",
        "Action.DisplayMessageForm",
        "Action.DisplayAppointmentForm",
    }
)
# Outlook's own root properties and the JSON type each must have.
OUTLOOK_ROOT_PROPERTIES: dict[str, type | tuple[type, ...]] = {
    "originator": str,
    "hideOriginalBody": bool,
    "autoInvokeAction": dict,
    "correlationId": str,
    "expectedActors": list,
}


def _version(text: Any) -> tuple[int, ...] | None:
    try:
        return tuple(int(p) for p in str(text).split("."))
    except ValueError:
        return None


def without_outlook_root(card: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The card without Outlook's root properties (for the JSON schema), and what is wrong with them."""
    problems = []
    for name, kind in OUTLOOK_ROOT_PROPERTIES.items():
        if name in card and not isinstance(card[name], kind):
            problems.append(f"{name}: expected {kind}, got {type(card[name]).__name__}")
    rest = {k: v for k, v in card.items() if k not in OUTLOOK_ROOT_PROPERTIES}
    return rest, problems


def outlook_findings(card: dict[str, Any]) -> list[str]:
    """Why Outlook would not show this card as written, one line each; empty when it would."""
    _rest, problems = without_outlook_root(card)
    if not str(card.get("originator") or "").strip():
        problems.append("originator: missing (Outlook shows no card in an email without it)")
    version = _version(card.get("version"))
    if version is None or version > OUTLOOK_MAX_VERSION:
        problems.append(f"version {card.get('version')!r}: Outlook is documented up to 1.4")
    uses_universal = "refresh" in card or any(e["type"] == "Action.Execute" for e in iter_elements(card))
    if uses_universal and (version is None or version < UNIVERSAL_ACTIONS_FROM):
        problems.append("Action.Execute and refresh need version 1.4 or later")
    for element in iter_elements(card):
        kind = element["type"]
        if kind not in OUTLOOK_ELEMENTS | OUTLOOK_ACTIONS:
            problems.append(f"{kind}: not shown by Outlook in an actionable message")
    return problems
