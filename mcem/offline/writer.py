"""Connecting prose for the offline draft, built only from what ``findings.gather`` measured.

Wording varies by stage (a fixed, deterministic choice, not randomness) and always names what was
found: speakers, counts, the terms heard, figures. A stage without evidence says so plainly.
"""

from __future__ import annotations

import re

from mcem.model import (
    STAGE_DESCRIPTIONS,
    STAGE_TITLES,
    CompanySentiment,
    Quote,
    Stage,
    StageFeedback,
)
from mcem.offline import evidence
from mcem.offline.figures import figures_in
from mcem.offline.findings import Findings
from mcem.offline.people import join_names
from mcem.offline.scoring import Scored, Sentence
from mcem.offline.sentiment import Tone, tone
from mcem.offline.topics import Topic
from mcem.transcript import format_timestamp

_OPENERS = (
    "{n} customer {sentences} in this call spoke to {title}, mostly from {who}.",
    "{title} came up in {n} customer {sentences}, led by {who}.",
    "On {title}, {who} contributed most of the {n} relevant customer {sentences}.",
    "{who} carried most of the {title} discussion ({n} customer {sentences}).",
    "{title} drew {n} customer {sentences}, chiefly from {who}.",
)
TONE_WORDS = {
    "positive": "upbeat",
    "negative": "concerned",
    "mixed": "mixed, with both enthusiasm and concern",
    "neutral": "matter-of-fact",
    "not mentioned": "not measurable",
}
GENERIC = frozenset(("problem", "frustration", "challenge", "concern", "pain", "struggle", "hurdle", "risk"))
STAGE_FOCUS = {
    Stage.listen_consult: "challenges and goals",
    Stage.inspire_design: "solution design",
    Stage.empower_achieve: "validation and buy-in",
    Stage.realize_value: "deployment and adoption",
    Stage.manage_optimize: "growth and ongoing optimisation",
}


def plural(n: int, word: str, many: str | None = None) -> str:
    return word if n == 1 else (many or word + "s")


def quote_from(sc: Scored) -> Quote:
    return Quote(text=sc.sentence.text, speaker=sc.sentence.speaker, start=sc.sentence.start)


def quote_of(f: Findings, stage: Stage) -> list[Quote]:
    return [quote_from(sc) for sc in f.quotes[stage]]


def stage_feedback(f: Findings, stage: Stage) -> StageFeedback:
    title = STAGE_TITLES[stage]
    found = f.by_stage[stage]
    if not found:
        focus = STAGE_DESCRIPTIONS[stage].rstrip(".").lower()
        text = (
            f"{title} was not discussed in this meeting: no customer remark touched on its aim "
            f"(to {focus}), so this draft records nothing for it rather than guess."
        )
        return StageFeedback(stage=stage, discussed=False, paragraphs=[text], quotes=[])
    speakers: dict[str, int] = {}
    for sc in found:
        speakers[sc.sentence.speaker] = speakers.get(sc.sentence.speaker, 0) + 1
    ranked = sorted(speakers, key=lambda k: (-speakers[k], k))
    who = join_names(ranked[:3])
    first = f"On {title}, the customer's view came mainly from {who}."
    # Words like "frustration" say how it felt, not what it was about; the tone sentence covers feeling.
    terms = [t for t in f.terms(stage, 4) if t not in GENERIC][:3]
    parts = [first]
    if terms:
        parts.append(f"The conversation turned on {join_names(terms)}.")
    parts += figure_sentences(f, stage)
    if f.current_stage is stage and stage in f.reached:
        parts.append("This is the stage the engagement has reached now.")
    tone = f.stage_tone[stage]
    second = [f"The customer's tone on {STAGE_FOCUS[stage]} was {TONE_WORDS[tone.label]}."]
    shown = {sc.sentence for sc in f.quotes[stage]}
    worst = evidence.concern_of(f, stage)
    if worst is not None and worst.sentence not in shown:
        second.append(
            f"The sharpest concern came from {worst.sentence.speaker}: {evidence.said(worst.sentence)}"
        )
    praise = evidence.strongest((sc.sentence for sc in found), positive=True)
    if praise is not None and praise not in shown:
        second.append(f"On the positive side, {praise.speaker} said {evidence.said(praise)}")
    if not f.engagement:
        second.append(
            "As this meeting was not a customer engagement with Microsoft, these remarks concern the "
            "speakers' own work and are listed only because they use this stage's vocabulary."
        )
    return StageFeedback(
        stage=stage, discussed=True, paragraphs=[" ".join(parts), " ".join(second)], quotes=quote_of(f, stage)
    )


_NUMBER_WORD = (
    r"(?:a half|a quarter|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fifteen"
    r"|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
)
# "one hundred and eighty-seven", "two and a half hours": an "and" inside a number is no clause break.
_CLAUSE = re.compile(
    rf",\s+|;\s+|:\s+|\s+(?:but|so|while|which)\s+(?=\w)|\s+and\s+(?!{_NUMBER_WORD}\b)(?=\w)"
)
_LEAD_IN = re.compile(
    r"^(?:and |so |but |then |yes,? |well,? )*(?:the results were |that's |it's |it was |we have )?", re.I
)


def figure_clauses(text: str) -> list[str]:
    """The parts of a sentence that carry a figure and what it measures ("eighty-four percent on the
    question set"), as a reader would list them; a clause that is the whole sentence is cut short."""
    out = []
    for piece in _CLAUSE.split(text.strip().rstrip(".!?")):
        piece = _LEAD_IN.sub("", piece.strip())
        if not figures_in(piece) or len(piece.split()) < 3:
            continue
        words = piece.split()
        if len(piece) >= 0.85 * len(text):
            # The whole sentence would be a quote without quotation marks: keep it up to its last
            # figure and the few words that say what the figure counts.
            last = figures_in(piece)[-1]
            upto = len(piece[: piece.rfind(last) + len(last)].split())
            words = words[: max(upto + 3, 6)]
        clause = " ".join(words).rstrip(",;:")
        first = clause.split()[0]
        plain = first in ("The", "A", "An", "We", "We're", "Our", "It", "It's", "That", "This", "And", "So")
        out.append(clause[:1].lower() + clause[1:] if plain else clause)
    return out


_MEASURED = re.compile(
    r"percent|%|pounds|dollars|euros|million|thousand|hours?|minutes?|days?|weeks?|months?|users|agents", re.I
)


_RATIO_WORDS = re.compile(r"\b(?:in|out of) (?:every )?\w+\b")
_QUESTION = re.compile(r"\b(?:what|how much|how many|how long|which|when)\b (?P<gist>[^?]{3,60})\?\s*$", re.I)


def _asked(f: Findings, s: Sentence) -> str:
    """For a short answer ("Eighteen months."), what was asked ("payback the committee expects")."""
    if s.words > 5 or s.begin > 0 or s.utterance == 0:
        return ""
    before = f.transcript.utterances[s.utterance - 1].text.strip()
    m = _QUESTION.search(before)
    return m.group("gist").strip() if m else ""


def figure_sentences(f: Findings, stage: Stage, limit: int = 3) -> list[str]:
    """Who put figures on this stage and what they measure, from any speaker (results are often the
    Microsoft side's or the partner's to report). Figures said outside any stage's talk are results of
    where the engagement stands, so they go to the current stage."""
    by_speaker: dict[str, list[str]] = {}
    # A sentence quoted in full elsewhere is not listed again piece by piece.
    quoted = {sc.sentence.text for s in Stage for sc in f.quotes[s]}
    quoted |= {sc.sentence.text for sc in f.excerpts.values() if sc is not None}
    recorded = {x.sentence.text for x in (*f.records.steps, *f.records.decisions, *f.records.risks)}
    for sc in f.everyone:
        if sc.sentence.text in quoted:
            continue
        since = f.reached.get(stage)
        later = since is not None and sc.sentence.start >= since.start
        here = sc.stage is stage or (sc.stage is None and f.current_stage is stage and later)
        if not here or sc.sentence.text.rstrip().endswith("?"):
            continue
        clauses = [
            c for c in figure_clauses(sc.sentence.text) if _MEASURED.search(c) or _RATIO_WORDS.search(c)
        ]
        asked = _asked(f, sc.sentence)
        if asked and clauses:
            clauses = [f"{asked}: {clauses[0]}", *clauses[1:]]
        if sc.sentence.text in recorded and sum(len(c) for c in clauses) >= 0.8 * len(sc.sentence.text):
            clauses = clauses[:1]  # all of them together would be the sentence itself, unquoted
        for clause in clauses:
            got = by_speaker.setdefault(sc.sentence.speaker, [])
            if len(got) < 6 and clause not in got:
                got.append(clause)
    ranked = sorted(by_speaker, key=lambda k: -len(by_speaker[k]))[:limit]
    return [f"{who} put figures on it: {'; '.join(by_speaker[who])}." for who in ranked]


_RISK_LABELS = (
    (r"\bfreeze\b", "A freeze limits what can be funded or staffed"),
    (r"\bnot (?:yet )?approved\b", "The budget is not approved yet"),
    (r"\b(?:not convinced|sceptic\w*|skeptic\w*)\b", "A sceptic still has to be won over"),
    (r"\b(?:confus\w*|unclear|not clear)\b", "Confusion that needs one clear answer"),
    (r"\bsafety\b", "A safety concern"),
    (r"\b(?:cost|expensive|justify|price)\b", "Doubts about cost"),
    (r"\b(?:worr(?:y|ied)|risk\w*)\b", "A worry to answer"),
    (r"\b(?:slow\w*|delay\w*|sat for|nine days|painful|frustrat\w*)\b", "Frustration to fix"),
)


def top_risks(f: Findings, limit: int = 5) -> list:
    """The strongest threats, a competitor rated well first, one per turn and per competitor."""
    seen_competitors: set[str] = set()
    out = []
    for r in sorted(f.records.risks, key=lambda r: (-r.weight, r.sentence.start)):
        if r.competitor and r.competitor in seen_competitors:
            continue
        if any(o.sentence.utterance == r.sentence.utterance for o in out):
            continue  # two sentences of one turn are one concern: its quote already carries both
        seen_competitors.add(r.competitor)
        out.append(r)
        if len(out) >= limit:
            break
    return sorted(out, key=lambda r: r.sentence.start)


def risk_text(r) -> str:
    s = r.sentence
    if r.competitor:
        lead = f"Competitive risk: the customer side rates {r.competitor} well"
    else:
        lead = next(
            (label for pattern, label in _RISK_LABELS if re.search(pattern, s.text, re.I)), "A concern"
        )
    return f"{lead}: {evidence.said(s)}"


def mood(f: Findings) -> str:
    t = f.overall
    if t.count == 0:
        return "The customer side said too little in this transcript to judge their mood."
    return f"Overall the customer side sounded {TONE_WORDS[t.label]}."


def microsoft_sentiment(f: Findings) -> CompanySentiment:
    """Microsoft's line. In a meeting that is no engagement, naming Excel or Teams as a tool says nothing
    about Microsoft: only Microsoft named outright counts there."""
    said = f.mentions.get("Microsoft", [])
    if f.engagement:
        return company_sentiment("Microsoft", f.microsoft, said)
    named = [s for s in said if re.search(r"\bMicrosoft\b", s.text)]
    if not named:
        return CompanySentiment(
            company="Microsoft",
            label="not mentioned",
            score=None,
            summary=(
                "Microsoft itself was not discussed. Microsoft products came up only as tools the team "
                "uses, which says nothing about Microsoft as a partner."
            ),
        )
    return company_sentiment("Microsoft", tone(named), named)


def company_sentiment(
    name: str, t: Tone, said_here: list[Sentence] | None = None, competitor: bool = False
) -> CompanySentiment:
    if t.count == 0:
        return CompanySentiment(
            company=name,
            label="not mentioned",
            score=None,
            summary=f"{name} was not mentioned by the customer.",
        )
    who = join_names(list(t.speakers[:3]))
    clear = t.label
    if (t.label == "positive" and not t.positive) or (t.label == "negative" and not t.negative):
        clear = "neutral"
    label = TONE_WORDS[clear].split(",")[0]
    if clear == "positive" and t.negative:
        label += ", with reservations"
    parts = [f"The tone was {label} (raised by {who})."]
    score = t.score
    label_out = t.label
    if (t.label == "positive" and not t.positive) or (t.label == "negative" and not t.negative):
        label_out = "neutral"  # an average a hair above zero, with no clear praise, is no verdict
    if competitor and t.label in ("positive", "mixed"):
        # Praise of a competitor is a threat to Microsoft, which is what this list reports on.
        parts = [f"A competitive threat to Microsoft: {who} spoke well of {name} or of its offer."]
        label_out, score = "negative", None
    praise = evidence.strongest(said_here or [], positive=True, name=name)
    blame = evidence.strongest(said_here or [], positive=False, name=name)
    if praise is not None:
        parts.append(f"Praise came from {praise.speaker}: {evidence.said(praise)}")
    if blame is not None:
        lead = "The criticism" if praise is not None else "Criticism"
        parts.append(f"{lead} came from {blame.speaker}: {evidence.said(blame)}")
    if praise is None and blame is None and said_here:
        plain = [s for s in said_here if evidence.quotable(s.text, 30)]
        if plain:
            parts.append(f"For example, {plain[0].speaker} said {evidence.said(plain[0])}")
    return CompanySentiment(company=name, label=label_out, score=score, summary=" ".join(parts))  # type: ignore[arg-type]


def topics(f: Findings) -> list[str]:
    return [_topic_line(t) for t in f.topics]


def _topic_line(t: Topic) -> str:
    raised = f"raised by {t.speaker} at {format_timestamp(t.start)}"
    head = f"{t.label} ({raised})" if t.label else raised[0].upper() + raised[1:]
    lead = t.lead.rstrip(",;: ")  # a clause cut at a comma: the quotation ends at the last word
    if lead:
        return f"{head}: “{lead}”" + ("" if lead.endswith((".", "!", "?")) else ".")
    return f"{head}, outside the MCEM stages."
