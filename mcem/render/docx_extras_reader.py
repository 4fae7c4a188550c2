"""The short labelled lists of a Word draft (risks, next steps, decisions) read back after editing.

They sit inside the template's sections (risks after the insights, next steps and decisions after the
recommendations), so the section readers first cut them off (``split_extras``). A line left as rendered
keeps the base item whole; an edited line keeps the base item's quote (what it rests on) and takes the
words the person wrote; a deleted line deletes that item, not the last one (``aligned``). Lines added
in Word have no verified quote to rest on and are not read. Meeting kind, stage and the confidential
asides are not shown as fields in the draft and come from the base analysis.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from rapidfuzz import fuzz

from mcem.model import Analysis, Decision, NextStep, Risk
from mcem.render import common as c
from mcem.render.docx_table_reader import Block, paragraphs_of, text_of

_WHO = re.compile(r"\s\([^()]*\)$")
T = TypeVar("T")


def split_extras(blocks: list[Block]) -> tuple[list[Block], dict[str, list[str]]]:
    """The section's own blocks, and the lines under each extra label that follows them."""
    own: list[Block] = []
    extras: dict[str, list[str]] = {}
    current: list[str] | None = None
    for block in blocks:
        text = text_of(block) if block in paragraphs_of([block]) else ""
        if text in c.EXTRA_LABELS:
            current = extras.setdefault(text, [])
        elif current is not None:
            if text:
                current.append(_WHO.sub("", text))
        else:
            own.append(block)
    return own, extras


def _rendered(text: str) -> str:
    return c.as_sentence(text).rstrip(".")


def read_extras(extras: dict[str, list[str]], base: Analysis | None) -> dict[str, Any]:
    if base is None:
        return {}
    out: dict[str, Any] = {
        "meeting_kind": base.meeting_kind,
        "current_stage": base.current_stage,
        "confidential": base.confidential,
        # Not in the draft: what was reported done feeds account history, which reads the sidecar.
        "done": base.done,
    }
    lines = extras.get(c.NEXT_STEPS_LABEL, [])
    steps = []
    for old, line in aligned(base.next_steps, lines, lambda s: _rendered(c.next_step_text(s))):
        if line == _rendered(c.next_step_text(old)):
            steps.append(old)
            continue
        action, _, rest = line.partition(" — ")
        owner, _, due = rest.partition(", ")
        steps.append(
            NextStep(
                action=action.strip() or old.action,
                owner="" if owner == "owner not named" else owner.strip(),
                due=None if due in ("", "no date set") else due.strip(),
                quote=old.quote,
            )
        )
    out["next_steps"] = steps
    out["decisions"] = [
        old if line == _rendered(old.text) else Decision(text=line, quote=old.quote)
        for old, line in aligned(
            base.decisions, extras.get(c.DECISIONS_LABEL, []), lambda d: _rendered(d.text)
        )
    ]
    out["risks"] = [
        old if line == _rendered(old.text) else Risk(text=line, quote=old.quote)
        for old, line in aligned(base.risks, extras.get(c.RISKS_LABEL, []), lambda r: _rendered(r.text))
    ]
    return out


# An edited line is the base item it still resembles this much (rapidfuzz's token set ratio, 0-100).
_SAME_ITEM = 60


def aligned(items: Sequence[T], lines: list[str], rendered: Callable[[T], str]) -> list[tuple[T, str]]:
    """Each line of the draft with the base item it came from, in order.

    Pairing by position would hand every line after a deleted one the quote of the item before it.
    A line left as rendered is its item wherever it is (the items skipped were deleted); an edited
    line is the following item it resembles most, else the next one in order.
    """
    pairs: list[tuple[T, str]] = []
    cursor = 0
    for line in lines:
        if cursor >= len(items):
            break
        rest = range(cursor, len(items))
        found = next((j for j in rest if rendered(items[j]) == line), None)
        if found is None:
            score, j = max((fuzz.token_set_ratio(line, rendered(items[j])), -j) for j in rest)
            found = -j if score >= _SAME_ITEM else cursor
        pairs.append((items[found], line))
        cursor = found + 1
    return pairs
