"""Connecting prose for the offline draft, built only from what ``findings.gather`` measured.

Wording varies by stage (a fixed, deterministic choice, not randomness) and always names what was
found: speakers, counts, the terms heard, figures. A stage without evidence says so plainly.
"""

from __future__ import annotations

from mcem.model import (
    STAGE_DESCRIPTIONS,
    STAGE_TITLES,
    CompanySentiment,
    Quote,
    Stage,
    StageFeedback,
)
from mcem.offline import evidence
from mcem.offline.findings import Findings
from mcem.offline.people import join_names
from mcem.offline.scoring import Scored, Sentence
from mcem.offline.sentiment import Tone
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
    order = list(Stage).index(stage)
    speakers: dict[str, int] = {}
    for sc in found:
        speakers[sc.sentence.speaker] = speakers.get(sc.sentence.speaker, 0) + 1
    ranked = sorted(speakers, key=lambda k: (-speakers[k], k))
    who = join_names(ranked[:2]) if len(ranked) <= 2 else f"{ranked[0]} and {len(ranked) - 1} others"
    n = len(found)
    if n == 1:
        first = f"{who} touched on {title} once in this call."
    else:
        first = _OPENERS[order % len(_OPENERS)].format(
            n=n, sentences=plural(n, "sentence"), title=title, who=who
        )

    first = first[0].upper() + first[1:]
    # Words like "frustration" say how it felt, not what it was about; the tone sentence covers feeling.
    terms = [t for t in f.terms(stage, 4) if t not in GENERIC][:3]
    parts = [first]
    if terms:
        parts.append(f"The conversation turned on {join_names(terms)}.")
    figures = f.figures[stage]
    if figures:
        parts.append(f"The figures put on the table here: {join_names(figures)}.")
    span = (found[0].sentence.start, found[-1].sentence.start)
    if span[1] > span[0]:
        parts.append(f"It came up between {format_timestamp(span[0])} and {format_timestamp(span[1])}.")
    tone = f.stage_tone[stage]
    second = [f"The customer's tone on {STAGE_FOCUS[stage]} was {TONE_WORDS[tone.label]}."]
    concerns = f.concerns(stage)
    shown = {sc.sentence for sc in f.quotes[stage]}
    if concerns:
        names = join_names(sorted({c.sentence.speaker for c in concerns}))
        second.append(
            f"{len(concerns)} {plural(len(concerns), 'remark')} by {names} voiced a concern or "
            "frustration, which the recommendations below pick up."
        )
        worst = evidence.concern_of(f, stage)
        if worst is not None and worst.sentence not in shown:
            second.append(f"The sharpest came from {worst.sentence.speaker}: {evidence.said(worst.sentence)}")
    elif tone.positive:
        second.append(f"{tone.positive} {plural(tone.positive, 'remark')} sounded clearly positive.")
    praise = evidence.strongest((sc.sentence for sc in found), positive=True)
    if praise is not None and praise not in shown:
        second.append(f"On the positive side, {praise.speaker} said {evidence.said(praise)}")
    if len(f.quotes[stage]) < n:
        shown = len(f.quotes[stage])
        second.append(
            f"The {shown} strongest {plural(shown, 'sentence')} {plural(shown, 'is', 'are')} quoted below."
        )
    if not f.engagement:
        second.append(
            "As this meeting was not a customer engagement with Microsoft, these remarks concern the "
            "speakers' own work and are listed only because they use this stage's vocabulary."
        )
    return StageFeedback(
        stage=stage, discussed=True, paragraphs=[" ".join(parts), " ".join(second)], quotes=quote_of(f, stage)
    )


def mood(f: Findings) -> str:
    t = f.overall
    if t.count == 0:
        return "The customer side said too little in this transcript to judge their mood."
    share_pos = round(100 * t.positive / t.count)
    share_neg = round(100 * t.negative / t.count)
    return (
        f"Overall the customer side sounded {TONE_WORDS[t.label]}: of {t.count} substantive sentences, "
        f"{share_pos}% read as clearly positive and {share_neg}% as clearly negative "
        f"(average tone {t.score:+.2f} on a -1 to +1 scale)."
    )


def company_sentiment(name: str, t: Tone, said_here: list[Sentence] | None = None) -> CompanySentiment:
    if t.count == 0:
        return CompanySentiment(
            company=name,
            label="not mentioned",
            score=None,
            summary=f"{name} was not mentioned by the customer.",
        )
    who = join_names(list(t.speakers[:3]))
    label = TONE_WORDS[t.label].split(",")[0]
    if t.label == "positive" and t.negative:
        label += ", with reservations"
    parts = [
        f"The tone was {label}: {t.count} customer {plural(t.count, 'mention')} (by {who}), "
        f"{t.positive} clearly positive and {t.negative} critical (average {t.score:+.2f})."
    ]
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
    return CompanySentiment(company=name, label=t.label, score=t.score, summary=" ".join(parts))  # type: ignore[arg-type]


def topics(f: Findings) -> list[str]:
    return [_topic_line(t) for t in f.topics]


def _topic_line(t: Topic) -> str:
    head = f"{t.label} (raised by {t.speaker} at {format_timestamp(t.start)})"
    lead = t.lead.rstrip(",;: ")  # a clause cut at a comma: the quotation ends at the last word
    if lead:
        return f"{head}: “{lead}”" + ("" if lead.endswith((".", "!", "?")) else ".")
    return f"{head}, over {t.remarks} {plural(t.remarks, 'remark')} outside the MCEM stages."
