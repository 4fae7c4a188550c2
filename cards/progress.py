"""The progress card the bot posts at once and then updates in place while a run works."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adaptive_cards import types
from adaptive_cards.card import Column, ColumnSet

from mcem.links import strip_links
from mcem.render.card.elements import label, literal, new_card, run, shorten, to_dict

DEFAULT_STEPS: tuple[str, ...] = (
    "Finding the meeting",
    "Fetching the transcript",
    "Analysing",
    "Saving the document",
)

# (marker, state word, colour). The word is there for screen readers and colour-blind readers.
DONE = ("✓", "done", types.Colors.GOOD)
ACTIVE = ("…", "in progress", types.Colors.ACCENT)
WAITING = ("○", "waiting", types.Colors.DEFAULT)
FAILED = ("✗", "failed", types.Colors.ATTENTION)


def progress_card(
    steps: Sequence[str],
    current: int,
    *,
    subject: str | None = None,
    failed: bool = False,
) -> dict[str, Any]:
    """Steps before ``current`` are done, ``current`` is in progress (or failed), later ones wait.

    ``current == len(steps)`` means every step is done.
    """
    if not steps:
        raise ValueError("progress_card needs at least one step")
    if not 0 <= current <= len(steps):
        raise ValueError(f"current must be between 0 and {len(steps)}, got {current}")
    if failed and current == len(steps):
        raise ValueError("failed needs the index of the step that failed, not len(steps)")

    finished = current == len(steps)
    title = "Analysis ready" if finished else ("Analysis stopped" if failed else "Working on your analysis")
    builder = new_card(full_width=False).fallback_text(title)
    builder.add_item(label(title, size=types.FontSize.MEDIUM, weight=types.FontWeight.BOLDER))
    if subject:
        # The organizer wrote the subject (perhaps the customer): no clickable link from it.
        builder.add_item(
            literal(run(shorten(strip_links(subject), 200), is_subtle=True), spacing=types.Spacing.NONE)
        )
    for index, step in enumerate(steps):
        builder.add_item(_step_row(step, _state(index, current, failed)))
    return to_dict(builder.create())


def _state(index: int, current: int, failed: bool) -> tuple[str, str, types.Colors]:
    if index < current:
        return DONE
    if index == current:
        return FAILED if failed else ACTIVE
    return WAITING


def _step_row(step: str, state: tuple[str, str, types.Colors]) -> ColumnSet:
    marker, word, colour = state
    return ColumnSet(
        spacing=types.Spacing.SMALL,
        columns=[
            Column(width="auto", items=[label(marker, color=colour, weight=types.FontWeight.BOLDER)]),
            Column(
                width="stretch",
                items=[literal(run(step, is_subtle=state is WAITING), run(f" — {word}", is_subtle=True))],
            ),
        ],
    )
