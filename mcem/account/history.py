"""AccountHistory: where one customer stands across calls, built from the analyses' sidecars.

One model, the single source of truth for the account brief: the card, the Word brief and the
command line's Markdown are pure functions of it (mcem/render/account_*.py, mcem/render/card/account.py).
It is built from the ``analysis.json`` kept beside each draft, never from edited drafts: the sidecar
is what the analysis found and verification checked, so a closed next step always rests on a
verbatim sentence of the later call.

Confidential asides never enter it: ``Analysis.confidential`` is left behind, and any item that repeats
one of those sentences is dropped (a sidecar on disk can be edited by hand, so this is checked again).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mcem.account.matching import MatchIndex, compatible_owner, same_risk
from mcem.leaks import is_internal, scrub
from mcem.links import strip_links
from mcem.model import STAGE_TITLES, Analysis, Quote, SentimentLabel, Side, Stage

__all__ = [
    "AccountCall",
    "AccountHistory",
    "CallSource",
    "RiskTrack",
    "SentimentTrack",
    "StepStatus",
    "account_history",
    "stage_strip",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccountCall(_Model):
    """One call in the account's history."""

    date: datetime | None
    subject: str
    customer: list[str] = Field(description="the customer's attendees, 'Name, Role' where the role is known")
    stage: Stage | None = Field(description="the furthest MCEM stage reached at this call")
    engine: str = ""
    draft: str = Field(default="", description="the draft's name or link, where the reader finds the call")
    moved: list[str] = Field(default_factory=list, description="what changed since the previous call")

    @property
    def label(self) -> str:
        when = f"{self.date.day} {self.date:%b %Y}" if self.date else "date not known"
        return f"{when} — {self.subject}" if self.subject else when


class StepStatus(_Model):
    """A next step agreed in one call and what the later calls say about it."""

    action: str
    owner: str
    due: str | None = None
    raised_in: int = Field(description="index of the call that agreed it")
    quote: Quote = Field(description="the sentence it was agreed in")
    status: Literal["done", "open"]
    done_in: int | None = Field(default=None, description="index of the call that shows it done")
    evidence: Quote | None = Field(default=None, description="the later call's verbatim sentence")
    raised_again: list[int] = Field(default_factory=list, description="later calls that asked for it again")


class RiskTrack(_Model):
    """A risk, with every call that raised it (recurring when more than one did)."""

    text: str
    calls: list[int]
    quote: Quote = Field(description="the latest sentence it rests on")

    @property
    def recurring(self) -> bool:
        return len(self.calls) > 1


Relation = Literal["microsoft", "partner", "competitor", "other"]


class SentimentPoint(_Model):
    call: int
    label: SentimentLabel
    score: float | None = None


class SentimentTrack(_Model):
    company: str
    relation: Relation
    points: list[SentimentPoint] = Field(description="one per call that had a reading, in call order")


class AccountHistory(_Model):
    company: str
    as_of: datetime = Field(description="when the newest of its analyses was written")
    calls: list[AccountCall]
    next_steps: list[StepStatus]
    risks: list[RiskTrack]
    sentiment: list[SentimentTrack]

    @property
    def closed(self) -> list[StepStatus]:
        return [s for s in self.next_steps if s.status == "done"]

    @property
    def open(self) -> list[StepStatus]:
        return [s for s in self.next_steps if s.status == "open"]

    @property
    def recurring_risks(self) -> list[RiskTrack]:
        return [r for r in self.risks if r.recurring]

    @property
    def latest_stage(self) -> Stage | None:
        return next((c.stage for c in reversed(self.calls) if c.stage is not None), None)


STAGES = list(Stage)
FILLED, EMPTY = "●", "○"


def stage_strip(stage: Stage | None) -> str:
    """The five MCEM stages as dots, filled up to the stage reached: "●●●○○"."""
    reached = STAGES.index(stage) + 1 if stage is not None else 0
    return FILLED * reached + EMPTY * (len(STAGES) - reached)


@dataclass(frozen=True)
class CallSource:
    """One sidecar as read: the analysis and where its draft is (a file name or a SharePoint link)."""

    analysis: Analysis
    draft: str = ""


def account_history(company: str, sources: Sequence[CallSource]) -> AccountHistory:
    """The account's history from its analyses, oldest call first (a call without a date goes last)."""
    if not sources:
        raise ValueError("an account history needs at least one analysis")
    ordered = sorted(
        sources,
        key=lambda s: (s.analysis.details.date_time is None, s.analysis.details.date_time or datetime.min),
    )
    analyses = [_public(s.analysis) for s in ordered]
    calls = [_call(a, s.draft) for a, s in zip(analyses, ordered, strict=True)]
    steps = _steps(analyses)
    risks = _risks(analyses)
    sentiment = _sentiment(analyses)
    for i, call in enumerate(calls):
        call.moved = _moved(i, calls, steps, risks, sentiment) if i else []
    as_of = max(a.meta.generated_at for a in analyses)
    history = AccountHistory(
        company=_clean(company), as_of=as_of, calls=calls, next_steps=steps, risks=risks, sentiment=sentiment
    )
    return _guarded(history)


def _words(text: str) -> str:
    # Cheap folding for "does this repeat an aside": verification's normalise is exact but slow.
    return " ".join(re.findall(r"\w+", text.casefold()))


def _public(a: Analysis) -> Analysis:
    """The analysis without its confidential asides, nor anything that repeats one."""
    private = [_words(q.text) for q in a.confidential if len(q.text.split()) >= 3]

    def ok(*texts: str) -> bool:
        for text in texts:
            plain = _words(text)
            if plain and any(p in plain or plain in p for p in private):
                return False
        return True

    return a.model_copy(
        update={
            "confidential": [],
            "next_steps": [s for s in a.next_steps if ok(s.action, s.owner, s.quote.text)],
            "done": [d for d in a.done if ok(d.action, d.owner, d.quote.text)],
            "decisions": [d for d in a.decisions if ok(d.text, d.quote.text)],
            "risks": [r for r in a.risks if ok(r.text, r.quote.text)],
        }
    )


def _guarded(history: AccountHistory) -> AccountHistory:
    """No text of the history echoes the template's internal reference (mcem/leaks.py).

    Verification already removed such sentences from each sidecar; a sidecar edited by hand may hold
    one again. Checked once here, on what the history shows, rather than on every field of every
    analysis: the renderers are then plain functions of a history that is safe to show.
    """

    def clean(text: str) -> str:
        return _clean(scrub(text))

    def safe(*texts: str) -> bool:
        return not any(is_internal(t) for t in texts if t)

    for call in history.calls:
        call.subject = clean(call.subject)
        call.customer = [x for x in (clean(c) for c in call.customer) if x]
        call.moved = [x for x in (clean(m) for m in call.moved) if x]
    history.next_steps = [
        s
        for s in history.next_steps
        if safe(s.action, s.owner, s.due or "", s.quote.text, s.evidence.text if s.evidence else "")
    ]
    history.risks = [r for r in history.risks if safe(r.text, r.quote.text)]
    history.sentiment = [t for t in history.sentiment if safe(t.company)]
    return history


def _clean(text: str) -> str:
    return " ".join(strip_links(text).split())


def _call(a: Analysis, draft: str) -> AccountCall:
    d = a.details
    customer = [p.label() for p in d.attendees if p.side is Side.customer]
    if not customer and d.participant is not None:
        customer = [d.participant.label()]
    return AccountCall(
        date=d.date_time,
        subject=_clean(d.subject),
        customer=[_clean(c) for c in customer],
        stage=a.current_stage,
        engine=a.meta.engine,
        draft=draft,
    )


def _steps(analyses: list[Analysis]) -> list[StepStatus]:
    out: list[StepStatus] = []
    for i, a in enumerate(analyses):
        for step in a.next_steps:
            # The same work asked again (or twice in one call's recap) is one step, not two.
            earlier = next(
                (s for s in out if s.raised_in <= i and compatible_owner(s.owner, step.owner)
                 and MatchIndex.similar(s.action, step.action)),
                None,
            )  # fmt: skip
            if earlier is not None:
                if earlier.raised_in < i and i not in earlier.raised_again:
                    earlier.raised_again.append(i)
                continue
            out.append(
                StepStatus(
                    action=_clean(step.action),
                    owner=_clean(step.owner),
                    due=step.due,
                    raised_in=i,
                    quote=step.quote,
                    status="open",
                )
            )
    # A step is done when a later call reports it done: the same owner (or none said) and the same work.
    for j, later in enumerate(analyses):
        index = MatchIndex([d.action for d in later.done])
        for step in out:
            if step.status == "done" or step.raised_in >= j:
                continue
            for k in index.matches(step.action):
                done = later.done[k]
                if compatible_owner(step.owner, done.owner):
                    step.status, step.done_in, step.evidence = "done", j, done.quote
                    break
    return out


def _risks(analyses: list[Analysis]) -> list[RiskTrack]:
    tracks: list[RiskTrack] = []
    for i, a in enumerate(analyses):
        for risk in a.risks:
            text = _clean(risk.text)
            if ":" not in text and len(text.split()) <= 4:
                # Only its kind is left ("A worry to answer": the draft quoted the sentence earlier).
                text = f"{text}: {c_quote(risk.quote)}"
            if any(t.calls[-1] == i and _same_sentence(t.quote, risk.quote) for t in tracks):
                continue  # one sentence, two readings of it in the same call
            track = next((t for t in tracks if same_risk(t.text, text) and t.calls[-1] != i), None)
            if track is None:
                tracks.append(RiskTrack(text=text, calls=[i], quote=risk.quote))
            elif i not in track.calls:
                track.calls.append(i)
                track.text, track.quote = text, risk.quote  # the latest words
    # Recurring first, then the newest.
    return sorted(tracks, key=lambda t: (-len(t.calls), -t.calls[-1]))


def _sentiment(analyses: list[Analysis]) -> list[SentimentTrack]:
    partners = {
        owner.split(" (")[0].strip()
        for a in analyses
        for owner in [*(s.owner for s in a.next_steps), *(d.owner for d in a.done)]
    }
    risk_text = " ".join(r.text for a in analyses for r in a.risks)
    tracks: dict[str, SentimentTrack] = {}
    for i, a in enumerate(analyses):
        for c in a.additional_feedback.sentiment:
            name = _clean(c.company)
            if not name or c.label == "not mentioned":
                continue
            key = name.casefold()
            if key not in tracks:
                tracks[key] = SentimentTrack(
                    company=name, relation=_relation(name, partners, risk_text), points=[]
                )
            if "competitive threat" in c.summary.casefold():
                tracks[key].relation = "competitor"
            tracks[key].points.append(SentimentPoint(call=i, label=c.label, score=c.score))
    order = {"microsoft": 0, "partner": 1, "competitor": 2, "other": 3}
    return sorted(tracks.values(), key=lambda t: (order[t.relation], -len(t.points), t.company))


def _relation(name: str, partners: set[str], risk_text: str) -> Relation:
    if name.casefold() == "microsoft":
        return "microsoft"
    if name in risk_text:
        return "competitor"
    if any(p and (p == name or p.startswith(name)) for p in partners):
        return "partner"
    return "other"


def _moved(
    i: int,
    calls: list[AccountCall],
    steps: list[StepStatus],
    risks: list[RiskTrack],
    sentiment: list[SentimentTrack],
) -> list[str]:
    before, now = calls[i - 1].stage, calls[i].stage
    out: list[str] = []
    if now != before and now is not None:
        verb = "moved" if before is None or STAGES.index(now) > STAGES.index(before) else "went back"
        was = f" from {STAGE_TITLES[before]}" if before is not None else ""
        out.append(f"Stage {verb}{was} to {STAGE_TITLES[now]}.")
    elif now is not None:
        out.append(f"Stage held at {STAGE_TITLES[now]}.")
    closed = [s for s in steps if s.done_in == i]
    for s in closed:
        out.append(f"Done: {s.action.rstrip('.')}" + (f" ({s.owner})" if s.owner else "") + ".")
    again = [s for s in steps if i in s.raised_again and s.status == "open"]
    for s in again:
        out.append(f"Asked again, still open: {s.action.rstrip('.')}.")
    new_steps = sum(1 for s in steps if s.raised_in == i)
    if new_steps:
        out.append(f"{new_steps} new next step{'s' if new_steps != 1 else ''} agreed.")
    for r in risks:
        if r.calls[0] == i and i:
            out.append(_sentence(f"New risk: {r.text}"))
        elif i in r.calls[1:]:
            out.append(_sentence(f"Risk raised again: {r.text}"))
    for t in sentiment:
        labels = {p.call: p.label for p in t.points}
        if i in labels and i - 1 in labels and labels[i] != labels[i - 1]:
            out.append(f"Tone toward {t.company}: {labels[i - 1]} → {labels[i]}.")
    return out


def _same_sentence(a: Quote, b: Quote) -> bool:
    x, y = _words(a.text), _words(b.text)
    return x in y or y in x


def c_quote(quote: Quote) -> str:
    return f"“{_clean(quote.text).strip(chr(34) + '“”')}”"


def _sentence(text: str) -> str:
    return text if text.rstrip()[-1:] in ".!?”" else text.rstrip() + "."
