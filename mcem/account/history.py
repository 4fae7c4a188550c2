"""AccountHistory: where one customer stands across calls, built from the analyses' sidecars.

One model, the single source of truth for the account brief: the card, the Word brief and the
command line's Markdown are pure functions of it (mcem/render/account_*.py, mcem/render/card/account.py).
It is built from the ``analysis.json`` kept beside each draft, never from edited drafts: the sidecar
is what the analysis found and verification checked, so a closed next step always rests on a
verbatim sentence of the later call.

Confidential asides never enter it: ``Analysis.confidential`` is left behind, and any item that repeats
one of those sentences is dropped (a sidecar on disk can be edited by hand, so this is checked again).

A next step is done in one of two ways, and may be both: a later call reports it done (the verified
quote), or a person marked it done (the summary email's "Next steps done": who, when, from where).
A mark is a person's say-so at a moment; a call held after that moment that asks for the step again
outweighs it: the step is open again, and the mark is still shown beside it, so the reader sees both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mcem.account.matching import MatchIndex, compatible_owner, same_risk
from mcem.confidential import AsideGuard
from mcem.leaks import is_internal, scrub
from mcem.links import REMOVED, strip_links
from mcem.model import STAGE_TITLES, Analysis, Quote, SentimentLabel, Side, Stage

__all__ = [
    "AccountCall",
    "AccountHistory",
    "CallSource",
    "RiskTrack",
    "SentimentTrack",
    "StepMark",
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


class StepMark(_Model):
    """A person's say-so that a call's next step is done, as the bot recorded it (not a call's words)."""

    step: int = Field(
        ge=0, description="the step's place among that call's next steps, as its draft lists them"
    )
    by: str = Field(description="who marked it: their name, as the cards show people ('' not shown)")
    at: datetime = Field(description="when they marked it")
    via: Literal["outlook", "teams"] = Field(default="outlook", description="the card they marked it on")


class StepStatus(_Model):
    """A next step agreed in one call and what the later calls, and the people, say about it.

    Done when a later call shows it done (``done_in``, ``evidence``) or someone marked it done
    (``marked``) and no call after the mark asked for it again (``reopened_in``); both can be there.
    """

    action: str
    owner: str
    due: str | None = None
    raised_in: int = Field(description="index of the call that agreed it")
    quote: Quote = Field(description="the sentence it was agreed in")
    status: Literal["done", "open"]
    done_in: int | None = Field(default=None, description="index of the call that shows it done")
    evidence: Quote | None = Field(default=None, description="the later call's verbatim sentence")
    raised_again: list[int] = Field(default_factory=list, description="later calls that asked for it again")
    marked: StepMark | None = Field(default=None, description="the latest mark of it (or of a repeat of it)")
    marked_in: int | None = Field(default=None, description="index of the call whose step was marked")
    reopened_in: int | None = Field(
        default=None, description="a call after the mark that asked for it again: the mark no longer counts"
    )


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
    # A competitor the customer spoke well of: the draft's label is "negative" (for Microsoft), which
    # alone would read as the customer disliking the competitor.
    threat: bool = False


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
    """One sidecar as read: the analysis, where its draft is (a file name or a SharePoint link), and
    the marks people made on its next steps (``StepMark.step`` indexes ``analysis.next_steps``)."""

    analysis: Analysis
    draft: str = ""
    marks: Sequence[StepMark] = ()
    # The meeting it analysed ('' not known): two analyses of one meeting (Regenerate, or two people
    # who each asked) are one call.
    meeting: str = ""


def account_history(company: str, sources: Sequence[CallSource]) -> AccountHistory:
    """The account's history from its analyses, oldest call first (a call without a date goes last)."""
    if not sources:
        raise ValueError("an account history needs at least one analysis")
    ordered = sorted(
        _one_per_meeting(sources),
        key=lambda s: (s.analysis.details.date_time is None, s.analysis.details.date_time or datetime.min),
    )
    public = [_public(s.analysis) for s in ordered]
    analyses = [a for a, _ in public]
    calls = [_call(a, s.draft) for a, s in zip(analyses, ordered, strict=True)]
    marks = [_marks_of(s.marks, kept) for s, (_, kept) in zip(ordered, public, strict=True)]
    steps = _steps(analyses, marks)
    risks = _risks(analyses)
    sentiment = _sentiment(analyses)
    for i, call in enumerate(calls):
        call.moved = _moved(i, calls, steps, risks, sentiment) if i else []
    as_of = max(a.meta.generated_at for a in analyses)
    history = AccountHistory(
        company=_clean(company), as_of=as_of, calls=calls, next_steps=steps, risks=risks, sentiment=sentiment
    )
    return _guarded(history)


def _one_per_meeting(sources: Sequence[CallSource]) -> list[CallSource]:
    """One source per meeting: its newest analysis, carrying the marks made on the older ones.

    A mark names a step by its place in the analysis it was made on; on the newest analysis it goes
    to the step that is the same work for the same owner (as a step asked for again is matched), and
    is left out where the newest analysis has no such step.
    """
    out: list[CallSource] = []
    groups: dict[str, list[CallSource]] = {}
    for source in sources:
        if source.meeting:
            groups.setdefault(source.meeting, []).append(source)
        else:
            out.append(source)
    for group in groups.values():
        newest = max(group, key=lambda s: _utc(s.analysis.meta.generated_at))
        steps = newest.analysis.next_steps
        marks = list(newest.marks)
        for older in (s for s in group if s is not newest):
            for mark in older.marks:
                if mark.step >= len(older.analysis.next_steps):
                    continue
                was = older.analysis.next_steps[mark.step]
                same = (
                    k
                    for k, step in enumerate(steps)
                    if compatible_owner(step.owner, was.owner) and MatchIndex.similar(step.action, was.action)
                )
                k = next(same, None)
                if k is not None:
                    marks.append(mark.model_copy(update={"step": k}))
        out.append(replace(newest, marks=marks))
    return out


def _words(text: str) -> str:
    # Cheap folding for "does this repeat an aside": verification's normalise is exact but slow.
    return " ".join(re.findall(r"\w+", text.casefold()))


def _public(a: Analysis) -> tuple[Analysis, list[int]]:
    """The analysis without its confidential asides, nor anything that repeats one; and which of its
    next steps were kept (their indexes before, which is what marks name)."""
    ok = AsideGuard(a.confidential).ok
    kept = [k for k, s in enumerate(a.next_steps) if ok(s.action, s.owner, s.quote.text)]
    public = a.model_copy(
        update={
            "confidential": [],
            "next_steps": [a.next_steps[k] for k in kept],
            "done": [d for d in a.done if ok(d.action, d.owner, d.quote.text)],
            "decisions": [d for d in a.decisions if ok(d.text, d.quote.text)],
            "risks": [r for r in a.risks if ok(r.text, r.quote.text)],
        }
    )
    return public, kept


def _marks_of(marks: Sequence[StepMark], kept: list[int]) -> list[StepMark | None]:
    """The marks lined up with the call's kept next steps (the latest where one step has several)."""
    by_step: dict[int, StepMark] = {}
    for m in marks:
        if m.step not in by_step or _utc(m.at) > _utc(by_step[m.step].at):
            by_step[m.step] = m
    return [by_step.get(k) for k in kept]


def _utc(when: datetime) -> datetime:
    # Sidecars carry the meeting's time as Graph or the CLI gave it; a time without a zone is UTC.
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


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
    for s in history.next_steps:
        if s.marked is not None:
            # Where Graph had no display name the bot kept the address: the brief names people, it
            # shows no addresses, so such a mark is shown without a name (it still marks the step).
            by = clean(s.marked.by)
            s.marked.by = by if safe(by) and REMOVED not in by else ""
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


def _steps(analyses: list[Analysis], marks: list[list[StepMark | None]]) -> list[StepStatus]:
    out: list[StepStatus] = []
    for i, a in enumerate(analyses):
        for step, mark in zip(a.next_steps, marks[i], strict=True):
            # The same work asked again (or twice in one call's recap) is one step, not two.
            earlier = next(
                (s for s in out if s.raised_in <= i and compatible_owner(s.owner, step.owner)
                 and MatchIndex.similar(s.action, step.action)),
                None,
            )  # fmt: skip
            if earlier is not None:
                if earlier.raised_in < i and i not in earlier.raised_again:
                    earlier.raised_again.append(i)
                _take_mark(earlier, mark, i)
                continue
            status = StepStatus(
                action=_clean(step.action),
                owner=_clean(step.owner),
                due=step.due,
                raised_in=i,
                quote=step.quote,
                status="open",
            )
            _take_mark(status, mark, i)
            out.append(status)
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
    for step in out:
        if step.marked is not None and step.done_in is None:  # a call's words close it whatever follows
            _weigh_mark(step, analyses)
    return out


def _take_mark(step: StepStatus, mark: StepMark | None, call: int) -> None:
    """Keep the latest mark of a step, whichever of the calls that agreed it was marked."""
    if mark is not None and (step.marked is None or _utc(mark.at) > _utc(step.marked.at)):
        step.marked, step.marked_in = mark.model_copy(), call


def _weigh_mark(step: StepStatus, analyses: list[Analysis]) -> None:
    """A mark closes the step unless a call held after it asked for the step again.

    A call without a date cannot be placed against the mark, so it does not reopen it.
    """
    assert step.marked is not None
    at = _utc(step.marked.at)
    for i in step.raised_again:
        when = analyses[i].details.date_time
        if when is not None and _utc(when) > at:
            step.reopened_in = i
            return
    step.status = "done"


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
            threat = "competitive threat" in c.summary.casefold()
            if threat:
                tracks[key].relation = "competitor"
            tracks[key].points.append(SentimentPoint(call=i, label=c.label, score=c.score, threat=threat))
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
    # Not yet shown done by a call: a mark that now closes it came after this call (else it reopened it).
    again = [s for s in steps if i in s.raised_again and s.done_in is None]
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
