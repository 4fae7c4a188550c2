"""The Analysis model: the customer-facing part of the MCEM Interview Analysis template, field by field.

This is the single source of truth. Analyzers produce it, verification checks it, and every
renderer (Markdown, Word, Adaptive Card, email) is a pure function of it. The template's
internal "MCEM Reference for LLM" section has no field here on purpose: it can guide an
analysis but has nowhere to go in the output.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Side(StrEnum):
    internal = "internal"  # the Microsoft account team
    customer = "customer"
    unknown = "unknown"


class Stage(StrEnum):
    listen_consult = "listen_consult"
    inspire_design = "inspire_design"
    empower_achieve = "empower_achieve"
    realize_value = "realize_value"
    manage_optimize = "manage_optimize"


STAGE_TITLES: dict[Stage, str] = {
    Stage.listen_consult: "Listen & Consult",
    Stage.inspire_design: "Inspire & Design",
    Stage.empower_achieve: "Empower & Achieve",
    Stage.realize_value: "Realize Value",
    Stage.manage_optimize: "Manage & Optimize",
}

# The template's one-line description of each stage (customer-facing "Flywheel Overview").
STAGE_DESCRIPTIONS: dict[Stage, str] = {
    Stage.listen_consult: "Establish deep understanding of current challenges and strategic goals.",
    Stage.inspire_design: "Co-create tailored solution blueprints that align to business outcomes.",
    Stage.empower_achieve: "Validate the approach via proof-of-concept, securing stakeholder buy-in.",
    Stage.realize_value: "Deploy the solution, measure early success indicators, and ensure adoption.",
    Stage.manage_optimize: "Continuously iterate, expand usage, and plan next-generation enhancements.",
}


class Role(StrEnum):
    account_executive = "account_executive"
    csam = "csam"
    solution_specialist = "solution_specialist"
    csa = "csa"
    partner = "partner"
    microsoft_executive_sponsor = "microsoft_executive_sponsor"
    customer_account_sponsor = "customer_account_sponsor"


# Exactly the template's seven rows, in its order (dict order is the contract).
ROLE_TITLES: dict[Role, str] = {
    Role.account_executive: "Account Executive (AE)",
    Role.csam: "Customer Success Account Manager (CSAM)",
    Role.solution_specialist: "Solution Specialist (SS)",
    Role.csa: "Customer Success Architect (CSA)",
    Role.partner: "Partner / ISV Representative",
    Role.microsoft_executive_sponsor: "Microsoft Executive Sponsor",
    Role.customer_account_sponsor: "Customer Account Sponsor",
}


class Person(_Model):
    name: str
    role: str = ""
    side: Side = Side.unknown

    def label(self) -> str:
        """The template's "(Name & Role)": "Name, Role", or just the name."""
        return f"{self.name}, {self.role}" if self.role else self.name


class Quote(_Model):
    """A verbatim sentence from the transcript. Verification checks it and fixes speaker and start."""

    text: str = Field(min_length=1)
    speaker: str
    start: float | None = Field(default=None, ge=0, description="seconds; set by verification")


class StageFeedback(_Model):
    stage: Stage
    discussed: bool = Field(description="False when the transcript holds nothing for this stage")
    paragraphs: list[str] = Field(description="narrative prose; when not discussed, one sentence saying so")
    quotes: list[Quote] = Field(default_factory=list)

    @property
    def title(self) -> str:
        return STAGE_TITLES[self.stage]


class Recommendation(_Model):
    title: str = Field(min_length=1)
    narrative: str = Field(min_length=1)
    stages: list[Stage] = Field(default_factory=list, description="stages it acts on")


class RoleSummary(_Model):
    """One row of the template's summary table."""

    role: Role
    excerpt: Quote | None = Field(default=None, description="the key customer excerpt for this role")
    insight: str = Field(description="what the excerpt tells this role")
    actions: list[str] = Field(min_length=1, description="proposed actions")

    @property
    def title(self) -> str:
        return ROLE_TITLES[self.role]


SentimentLabel = Literal["positive", "neutral", "negative", "mixed", "not mentioned"]


class CompanySentiment(_Model):
    company: str
    label: SentimentLabel
    score: float | None = Field(default=None, ge=-1, le=1, description="compound score, -1..1")
    summary: str


class AdditionalFeedback(_Model):
    overall_mood: str
    sentiment: list[CompanySentiment] = Field(
        description="Microsoft first, then every other company the customer mentioned"
    )
    other_topics: list[str] = Field(default_factory=list, description="topics outside the MCEM stages")


MeetingKind = Literal["customer_engagement", "not_customer_engagement"]


class NextStep(_Model):
    """Something someone agreed or was asked to do, with the owner and the date as they were said."""

    action: str = Field(min_length=1, description="what will be done, as a short imperative or statement")
    owner: str = Field(description="who does it, as said (a name, 'Microsoft', 'Adatum'); '' when nobody")
    due: str | None = Field(default=None, description="when, as said ('by the twelfth of December'), or null")
    quote: Quote = Field(description="the verbatim sentence the step rests on")


class Done(_Model):
    """Something a speaker reports as already done ("I sent the questionnaire back on Thursday").

    Account history (mcem/account) matches these against the next steps of earlier calls: a step is
    shown closed only with the verbatim sentence of a later call that says it was done.
    """

    action: str = Field(min_length=1, description="what was done, as a short statement")
    owner: str = Field(description="who did it, as said (a name, 'Microsoft', 'Contoso'); '' when unsaid")
    quote: Quote = Field(description="the verbatim sentence that reports it done")


class Decision(_Model):
    """A decision taken in the call, or one that is pending and what it depends on."""

    text: str = Field(min_length=1, description="the decision in one plain sentence")
    quote: Quote = Field(description="the verbatim sentence it rests on")


class Risk(_Model):
    """A threat to the engagement: a blocker, a sceptic, a competitor the customer rates well."""

    text: str = Field(min_length=1, description="the risk in one plain sentence")
    quote: Quote = Field(description="the verbatim sentence it rests on")


class InterviewDetails(_Model):
    date_time: datetime | None = None
    interviewer: Person | None = None
    participant: Person | None = None
    subject: str = ""
    attendees: list[Person] = Field(default_factory=list)
    recording_url: str = Field(
        default="", description="the meeting recording's web address, from Graph; '' when there is none"
    )


class Verification(_Model):
    """What the verifier checked and removed. Dropped quotes are counted, never kept."""

    quotes_checked: int = 0
    quotes_dropped: int = 0
    internal_sentences_removed: int = 0
    private_removed: int = Field(default=0, description="quotes and sentences kept out as confidential")


TalkSide = Literal["microsoft", "partner", "customer", "unknown"]


class SideTalk(_Model):
    """One side of the table: how long it spoke and how many questions it asked."""

    side: TalkSide
    label: str = Field(description="'Microsoft', the partner's or the customer's company, 'Unattributed'")
    seconds: float = Field(ge=0, description="speaking time from the cue timings (0 when the basis is words)")
    words: int = Field(ge=0)
    share: float = Field(ge=0, le=1, description="share of all speech, by time (or words, see basis)")
    questions: int = Field(default=0, ge=0, description="sentences this side ended with a question mark")


class Monologue(_Model):
    """The longest run of one speaker without anyone else speaking in between."""

    speaker: str
    side: TalkSide
    start: float = Field(ge=0, description="seconds from the start of the meeting")
    seconds: float = Field(ge=0)
    words: int = Field(ge=0)


class TalkTime(_Model):
    """Who spoke how much, measured from the transcript by code (never by a language model)."""

    basis: Literal["time", "words"] = Field(
        description="'time' from the cue timings; 'words' when the transcript carries no times"
    )
    sides: list[SideTalk] = Field(description="Microsoft, partner, customer, unattributed: those that spoke")
    longest_monologue: Monologue | None = None
    listen_flag: bool = Field(
        default=False, description="a Listen & Consult call in which Microsoft spoke more than anyone else"
    )

    def side(self, side: TalkSide) -> SideTalk | None:
        return next((s for s in self.sides if s.side == side), None)


class AnalysisMeta(_Model):
    engine: Literal["offline", "llm"]
    model: str = ""
    prompt_version: str = ""
    generated_at: datetime
    source: str = ""
    note: str = Field(default="", description="shown to readers, e.g. 'offline draft, no language model'")


class Analysis(_Model):
    participant_name: str
    company_name: str
    company_background: str
    executive_summary: list[str] = Field(min_length=1, description="2-3 paragraphs")
    details: InterviewDetails
    stages: list[StageFeedback]
    insights: list[str] = Field(min_length=1, description="2-3 paragraphs across stages")
    recommendations: list[Recommendation] = Field(min_length=3, max_length=5)
    summary_table: list[RoleSummary]
    additional_feedback: AdditionalFeedback
    meeting_kind: MeetingKind = Field(
        default="customer_engagement",
        description="not_customer_engagement when the meeting is no conversation between Microsoft "
        "(or its partner) and a customer",
    )
    current_stage: Stage | None = Field(
        default=None,
        description="the furthest MCEM stage the engagement has actually reached (not merely talked "
        "about); null when not a customer engagement",
    )
    next_steps: list[NextStep] = Field(default_factory=list, description="what was agreed or asked for")
    decisions: list[Decision] = Field(default_factory=list)
    done: list[Done] = Field(
        default_factory=list,
        description="work a speaker reports as already done (sent, held, signed, finished), often what an "
        "earlier call agreed",
    )
    risks: list[Risk] = Field(default_factory=list)
    confidential: list[Quote] = Field(
        default_factory=list,
        description="sentences the customer asked to keep private; they appear nowhere else in the output",
    )
    talk: TalkTime | None = Field(default=None, description="set by code from the transcript's timings")
    verification: Verification = Field(default_factory=Verification)
    meta: AnalysisMeta

    @field_validator("stages")
    @classmethod
    def _five_stages_in_order(cls, v: list[StageFeedback]) -> list[StageFeedback]:
        if [s.stage for s in v] != list(Stage):
            raise ValueError("stages must be the five MCEM stages, once each, in template order")
        return v

    @field_validator("summary_table")
    @classmethod
    def _seven_roles_in_order(cls, v: list[RoleSummary]) -> list[RoleSummary]:
        if [r.role for r in v] != list(ROLE_TITLES):
            raise ValueError("summary_table must have the template's seven roles, once each, in its order")
        return v

    @model_validator(mode="after")
    def _title_fields(self) -> Analysis:
        if not self.participant_name.strip() or not self.company_name.strip():
            raise ValueError("participant_name and company_name must not be blank")
        return self

    @property
    def title(self) -> str:
        return f"Interview Analysis – {self.participant_name}, {self.company_name}"

    def quotes(self) -> list[Quote]:
        """Every quote in the document, wherever it sits."""
        found = [q for s in self.stages for q in s.quotes]
        found += [r.excerpt for r in self.summary_table if r.excerpt is not None]
        return found

    def record_quotes(self) -> list[Quote]:
        """The sentences next steps, decisions and risks rest on (any speaker, Microsoft's too)."""
        return [x.quote for x in (*self.next_steps, *self.decisions, *self.done, *self.risks)]
