"""Reading cards in tests: every text of a card in order, its actions."""

from __future__ import annotations

from typing import Any


def texts(card: dict[str, Any]) -> str:
    """Every text in a card, in order, as one string."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return " | ".join(found)


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    return list(card.get("actions") or [])
