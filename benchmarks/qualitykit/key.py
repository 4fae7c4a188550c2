"""The answer key of a sample meeting: ``samples/<name>.key.json`` next to ``samples/<name>.vtt``.

A key says what a good draft of that meeting holds, in terms a script can check without judgement:

``meeting``        what the engine is told besides the transcript (the bot knows the same from Graph):
                   ``date`` (ISO date-time; due dates such as "next Friday" resolve against it) and
                   ``subject``. ``internal`` names the Microsoft and partner speakers; it is passed to
                   the engine only with ``quality.py --internal`` (the default measures the guess).
``meeting_kind``   ``customer_engagement`` or ``not_customer_engagement``.
``current_stage``  the furthest MCEM stage the engagement has reached, as the model names it
                   (``mcem.model.Stage``: ``listen_consult`` ... ``manage_optimize``), or null (no
                   engagement). The scorer accepts the stage's id or its title ("Realize Value").
``facts``          what must appear in the draft (Markdown or Word text): each fact is a list of literal
                   alternatives, matched case-insensitively on word boundaries ("84%" does not match
                   "184%"); one alternative found is enough.
``next_steps``     what was agreed: ``action`` key words (one found in the step's action is enough),
                   ``owner`` alternatives (one found in the owner as written), ``due`` alternatives as
                   said or as a date; null in ``due`` (or ``"due": null``) means "no date was said", so a
                   step with no due date is right too.
``forbidden``      what must not appear, each with the outputs it applies to (``markdown``, ``docx``,
                   ``docx_body`` = the Word draft outside its marked box of things said in confidence,
                   ``card``, ``email``, ``json``) and why: a confidential aside may sit in analysis.json's
                   ``confidential`` list and in that marked box, never in the rest of the Word draft, the
                   card, the email or the Markdown.

Every object forbids unknown fields, so a typo in a key fails loudly instead of scoring nothing.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mcem.model import STAGE_TITLES, Stage

# docx_body: the Word draft without its marked box of things said in confidence.
Output = Literal["markdown", "docx", "docx_body", "card", "email", "json"]
OUTPUTS: tuple[Output, ...] = ("markdown", "docx", "docx_body", "card", "email", "json")
MeetingKind = Literal["customer_engagement", "not_customer_engagement"]


class _Key(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _alternatives(v: list[str]) -> list[str]:
    if not v or any(not a.strip() for a in v):
        raise ValueError("give at least one alternative, none of them blank")
    return v


class Meeting(_Key):
    date: datetime
    subject: str = ""
    internal: list[str] = Field(default_factory=list, description="Microsoft and partner speakers")


class Fact(_Key):
    id: str = Field(min_length=1, description="a short name for the table")
    any_of: list[str]

    _check = field_validator("any_of")(_alternatives)


class NextStep(_Key):
    id: str = Field(min_length=1)
    action: list[str]
    owner: list[str]
    due: list[str | None] | None = None

    _check = field_validator("action", "owner")(_alternatives)

    @property
    def due_alternatives(self) -> list[str | None]:
        return [None] if self.due is None else self.due


class Forbidden(_Key):
    id: str = Field(min_length=1)
    any_of: list[str]
    outputs: list[Output] = Field(min_length=1)
    why: str = ""

    _check = field_validator("any_of")(_alternatives)


class AnswerKey(_Key):
    meeting: Meeting
    meeting_kind: MeetingKind
    current_stage: Stage | None
    facts: list[Fact] = Field(default_factory=list)
    next_steps: list[NextStep] = Field(default_factory=list)
    forbidden: list[Forbidden] = Field(default_factory=list)

    @property
    def is_customer(self) -> bool:
        return self.meeting_kind == "customer_engagement"


def stage_matches(expected: Stage | None, found: object) -> bool:
    """The model's stage as an id (``realize_value``) or a title (``Realize Value``), or both None."""
    if expected is None:
        return found is None or (isinstance(found, str) and not found.strip())
    if not isinstance(found, str):
        return False
    said = " ".join(found.replace("_", " ").replace("&", "and").casefold().split())
    names = {expected.value.replace("_", " "), STAGE_TITLES[expected].replace("&", "and").casefold()}
    return said in {" ".join(n.split()) for n in names}


def load_key(path: Path) -> AnswerKey:
    """The key at ``path``; a broken key raises ValueError with one line naming the file and the field."""
    try:
        return AnswerKey.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ValueError(f"{path.name}: {where}: {first['msg']} ({exc.error_count()} problem(s))") from None
