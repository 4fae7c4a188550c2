"""What the offline analyzer found in a transcript, before any prose is written.

``gather`` does all the measuring (sides, scores, quotes, tone, figures, side topics); the writer
modules only turn these findings into sentences.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from mcem.confidential import Aside, secrets_of
from mcem.context import MeetingContext
from mcem.model import Role, Side, Stage
from mcem.offline import figures as figures_mod
from mcem.offline import people as people_mod
from mcem.offline import quotes, records, sentiment
from mcem.offline import stage as stage_mod
from mcem.offline.lexicon import SILENT
from mcem.offline.people import People
from mcem.offline.records import Cast, Records
from mcem.offline.scoring import Scored, Sentence, score_sentence, split_sentences
from mcem.offline.sentiment import Tone
from mcem.offline.topics import Topic, side_topics
from mcem.transcript import Transcript


@dataclass(frozen=True)
class Findings:
    transcript: Transcript
    context: MeetingContext
    people: People
    company: str  # "" when unknown
    participant: str
    interviewer: str
    scored: list[Scored]  # every customer sentence, in order
    by_stage: dict[Stage, list[Scored]]
    quotes: dict[Stage, list[Scored]]
    excerpts: dict[Role, Scored | None]
    stage_tone: dict[Stage, Tone]
    overall: Tone
    microsoft: Tone
    others: dict[str, Tone]
    figures: dict[Stage, list[str]]
    topics: list[Topic]
    engagement: bool = True  # False when nothing shows a Microsoft side or Microsoft at all
    titles: dict[str, str] = field(default_factory=dict)  # job titles people gave in the call
    # Customer sentences naming each company ("Microsoft" first), for quoting the reason for a tone.
    mentions: dict[str, list[Sentence]] = field(default_factory=dict)
    everyone: list[Scored] = field(default_factory=list)  # every public sentence, any speaker, stage carried
    records: Records = field(default_factory=Records)
    current_stage: Stage | None = None
    reached: dict[Stage, Sentence] = field(default_factory=dict)  # the sentence that shows each stage reached
    asides: list[Aside] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)

    @property
    def company_label(self) -> str:
        return self.company or "the customer"

    def discussed(self, stage: Stage) -> bool:
        return bool(self.by_stage[stage])

    def terms(self, stage: Stage, limit: int = 3, among: list[Scored] | None = None) -> list[str]:
        """The stage terms heard most often in the stage's sentences (or ``among``), curated first."""
        counts: Counter[str] = Counter()
        for sc in self.by_stage[stage] if among is None else among:
            for h in sc.stage_hits[stage]:
                if h.term not in SILENT:
                    counts[h.term] += 2 if h.source == "lexicon" else 1
        ranked = [t for t, _ in sorted(counts.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))]
        # "budget" and "approval" add nothing next to "budget approval".
        kept = [t for t in ranked if not any(t != o and f" {t} " in f" {o} " for o in ranked)]
        return kept[:limit]

    def concerns(self, stage: Stage) -> list[Scored]:
        return [
            sc for sc in self.by_stage[stage] if sentiment.compound(sc.sentence.text) <= -sentiment.STRONG
        ]


def gather(transcript: Transcript, context: MeetingContext) -> Findings:
    who = people_mod.resolve(transcript, context)
    company = people_mod.guess_company(transcript, who, context)
    secrets = secrets_of(transcript)
    asides = list(secrets.asides)
    private = {(a.utterance, a.begin) for a in asides}

    def public(sc: Scored) -> bool:
        return (sc.sentence.utterance, sc.sentence.begin) not in private and not secrets.leaks(
            sc.sentence.text
        )

    # Every sentence is scored once: the customer's as they are, everyone's with the stage carried on.
    plain, everyone = _everyone(transcript, public)
    scored = [sc for sc in plain if who.is_customer(sc.sentence.speaker)]
    by_stage = {s: [sc for sc in scored if sc.stage is s] for s in Stage}
    picked = {s: quotes.pick_stage_quotes(scored, s) for s in Stage}
    taken: set[tuple[int, int]] = {
        (sc.sentence.utterance, sc.sentence.begin) for s in Stage for sc in picked[s]
    }
    excerpts: dict[Role, Scored | None] = {}
    for role in Role:
        best = quotes.pick_role_excerpt(scored, role, taken)
        excerpts[role] = best
        if best is not None:
            taken.add((best.sentence.utterance, best.sentence.begin))
    substantive = [sc.sentence for sc in scored if sc.sentence.words >= 4]
    ms = [s for s in substantive if sentiment.mentions_microsoft(s.text)]
    public_texts = [u.text for u in transcript.utterances]
    for a in asides:
        public_texts[a.utterance] = public_texts[a.utterance].replace(a.text, " ")
    orgs = sentiment.discover(public_texts)
    partner_orgs = set(who.partners.values())
    others = sentiment.company_mentions(substantive, exclude=company, orgs=orgs)
    participant = context.participant.strip() or who.top(Side.customer)
    interviewer = context.interviewer.strip() or who.top(Side.internal)
    engagement = bool(who.internal) and bool(who.customer)
    cast = Cast(list(transcript.speakers), frozenset(who.internal), dict(who.partners), company, engagement)
    competitors = _competitors(others, partner_orgs, company)
    found = _records(everyone, cast, who, competitors)
    current, reached = stage_mod.current_stage(everyone) if engagement else (None, {})
    return Findings(
        transcript=transcript,
        context=context,
        people=who,
        company=company,
        participant=participant,
        interviewer=interviewer,
        scored=scored,
        by_stage=by_stage,
        quotes=picked,
        excerpts=excerpts,
        stage_tone={s: sentiment.tone([sc.sentence for sc in by_stage[s]]) for s in Stage},
        overall=sentiment.tone(substantive),
        microsoft=sentiment.tone(ms),
        others={name: sentiment.tone(found) for name, found in sorted(others.items())},
        figures=_all_figures(by_stage),
        topics=side_topics(scored, transcript.speakers),
        engagement=engagement,
        titles=people_mod.guess_roles(transcript),
        mentions={"Microsoft": ms, **{name: others[name] for name in sorted(others)}},
        everyone=everyone,
        records=found,
        current_stage=current,
        reached=reached,
        asides=asides,
        competitors=sorted(competitors),
    )


def _everyone(transcript: Transcript, public: object) -> tuple[list[Scored], list[Scored]]:
    """Every public sentence of every speaker; one without stage words takes the stage of the talk
    just before it ("And the results were ninety-eight point six percent ..." after a question on the
    proof of concept), so figures said by anyone land in the stage they belong to."""
    out: list[Scored] = []
    plain: list[Scored] = []
    last: Stage | None = None
    last_at = -10
    for i, u in enumerate(transcript.utterances):
        for s in split_sentences(i, u):
            sc = score_sentence(s)
            if not public(sc):  # type: ignore[operator]
                continue
            plain.append(sc)
            if sc.stage is not None:
                last, last_at = sc.stage, i
            elif last is not None and i - last_at <= 2:
                sc = Scored(sc.sentence, sc.stage_hits, sc.role_hits, sc.stage_scores, sc.role_scores, last)
            out.append(sc)
    return plain, out


def _competitors(others: dict[str, list[Sentence]], partners: set[str], company: str) -> dict[str, object]:
    import re

    names = {}
    for name in others:
        if name in partners or name in sentiment.SERVICE_FIRMS or (company and name.split()[0] in company):
            continue
        if name in sentiment.VENDORS:
            names[name] = sentiment.VENDORS[name]
    return {k: v for k, v in names.items() if isinstance(v, re.Pattern)}


_SHORT = 8


def _with_next(sentences: list[Sentence], k: int) -> Sentence:
    """A short sentence with the next one of the same turn, when it says what "it" or "that" was
    ("The sticking point is retention. Our policy says ...", "Let's add it as a guardrail. No drop in
    satisfaction."); the span is still verbatim, so verification checks it as one quote."""
    s = sentences[k]
    nxt = sentences[k + 1] if k + 1 < len(sentences) else None
    if nxt is None or nxt.utterance != s.utterance or s.words >= _SHORT or s.text.rstrip().endswith("?"):
        return s
    return Sentence(s.utterance, s.begin, nxt.end, f"{s.text} {nxt.text}", s.speaker, s.start)


def _records(everyone: list[Scored], cast: Cast, who: People, competitors: dict[str, object]) -> Records:
    found = Records()
    sentences = [sc.sentence for sc in everyone]
    steps = records.steps_of(sentences, cast)
    for k in range(len(sentences)):
        s = _with_next(sentences, k)
        decided = records.decision_in(s, cast)
        if decided is not None:
            found.decisions.append(decided)
        finished = records.done_in(sentences[k], cast)
        if finished is not None:
            found.done.append(finished)
        customer = who.is_customer(s.speaker)
        threat = records.risk_in(s, competitors if customer else {}, customer, sentiment.compound)  # type: ignore[arg-type]
        if threat is not None:
            found.risks.append(threat)
    found.steps = records.merge_steps(steps)
    return found


def _all_figures(by_stage: dict[Stage, list[Scored]]) -> dict[Stage, list[str]]:
    """Figures per stage; a figure is reported once, under the first stage that names it."""
    seen: set[str] = set()
    out: dict[Stage, list[str]] = {}
    for s in Stage:
        out[s] = figures_mod.figures((sc.sentence.text for sc in by_stage[s]), seen=seen)
        seen.update(x.casefold() for x in out[s])
    return out
