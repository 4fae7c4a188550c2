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
    Recommendation,
    Stage,
    StageFeedback,
)
from mcem.offline.findings import Findings
from mcem.offline.people import join_names
from mcem.offline.scoring import Scored
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
_TONE_WORDS = {
    "positive": "upbeat",
    "negative": "concerned",
    "mixed": "mixed, with both enthusiasm and concern",
    "neutral": "matter-of-fact",
    "not mentioned": "not measurable",
}
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
    terms = f.terms(stage)
    parts = [first]
    if terms:
        parts.append(f"The conversation turned on {join_names(terms)}.")
    figures = f.figures[stage]
    if figures:
        parts.append(f"Figures mentioned here: {', '.join(figures)}.")
    span = (found[0].sentence.start, found[-1].sentence.start)
    if span[1] > span[0]:
        parts.append(f"It ran from about {format_timestamp(span[0])} to {format_timestamp(span[1])}.")
    tone = f.stage_tone[stage]
    second = [f"The customer's tone on {STAGE_FOCUS[stage]} was {_TONE_WORDS[tone.label]}."]
    concerns = f.concerns(stage)
    if concerns:
        names = join_names(sorted({c.sentence.speaker for c in concerns}))
        second.append(
            f"{len(concerns)} {plural(len(concerns), 'remark')} by {names} voiced a concern or "
            "frustration, which the recommendations below pick up."
        )
    elif tone.positive:
        second.append(f"{tone.positive} {plural(tone.positive, 'remark')} sounded clearly positive.")
    if len(f.quotes[stage]) < n:
        shown = len(f.quotes[stage])
        second.append(
            f"The {shown} strongest {plural(shown, 'sentence')} {plural(shown, 'is', 'are')} quoted below."
        )
    return StageFeedback(
        stage=stage, discussed=True, paragraphs=[" ".join(parts), " ".join(second)], quotes=quote_of(f, stage)
    )


def _top_stages(f: Findings, k: int = 3) -> list[Stage]:
    found = [s for s in Stage if f.discussed(s)]
    return sorted(found, key=lambda s: (-len(f.by_stage[s]), list(Stage).index(s)))[:k]


def background(f: Findings) -> str:
    company = f.company or "The customer's organisation"
    who = join_names(f.people.customer[:4]) or "no identified customer speaker"
    parts = [
        f"{company} was represented in this call by {who}."
        if f.company
        else f"{company} was not named in the call; it was represented by {who}."
    ]
    goals = f.terms(Stage.listen_consult, 4)
    if goals:
        parts.append(f"The priorities the customer voiced centred on {join_names(goals)}.")
    figures = [x for s in Stage for x in f.figures[s]][:4]
    if figures:
        parts.append(f"Figures they gave include {', '.join(figures)}.")
    top = _top_stages(f, 2)
    if top:
        parts.append(
            "The engagement matters to them chiefly around "
            + join_names([STAGE_FOCUS[s] for s in top])
            + ", judging by how much of the conversation went there."
        )
    parts.append(
        "Industry and size were not stated in the transcript and should be added by the account team."
    )
    return " ".join(parts)


def executive_summary(f: Findings, recs: list[Recommendation]) -> list[str]:
    minutes = max(1, round(f.transcript.duration / 60))
    when = f" on {f.context.start:%d %B %Y}" if f.context.start else ""
    lead = f.interviewer or "the account team"
    names = join_names(f.people.customer[:3])
    customer = f"{names} ({f.company_label})" if names else f.company_label
    first = (
        f"This analysis covers a {minutes}-minute conversation{when} between {lead} (Microsoft) and "
        f"{customer}, to understand how {f.company_label} sees its engagement with Microsoft across "
        f"the five MCEM stages. {len(f.scored)} customer {plural(len(f.scored), 'sentence')} "
        f"{plural(len(f.scored), 'was', 'were')} read; "
        f"{sum(len(v) for v in f.by_stage.values())} of them spoke to a stage."
    )
    if not f.transcript.utterances:
        first = "The transcript holds no speech, so this draft has nothing from the customer to analyse."
    top = _top_stages(f)
    if top:
        themes = []
        for s in top:
            terms = f.terms(s, 2)
            label = f"{STAGE_TITLES[s]} ({join_names(terms)})" if terms else STAGE_TITLES[s]
            themes.append(f"{label}, tone {_TONE_WORDS[f.stage_tone[s].label].split(',')[0]}")
        missing = [STAGE_TITLES[s] for s in Stage if not f.discussed(s)]
        second = f"The main {plural(len(top), 'theme')}: " + "; ".join(themes) + "."
        if missing:
            second += f" Not discussed: {join_names(missing)}."
    else:
        second = (
            "No part of the conversation could be tied to an MCEM stage, so no stage themes are reported."
        )
    third = "We recommend: " + "; ".join(r.title[0].lower() + r.title[1:] for r in recs[:3]) + "."
    return [first, second, third]


def insights(f: Findings) -> list[str]:
    discussed = [s for s in Stage if f.discussed(s)]
    missing = [s for s in Stage if not f.discussed(s)]
    if not discussed:
        return [
            "Nothing the customer said mapped to an MCEM stage, so no cross-stage pattern can be drawn "
            "from this meeting; it reads as a conversation outside the engagement cycle."
        ]
    counts = ", ".join(f"{STAGE_TITLES[s]} {len(f.by_stage[s])}" for s in discussed)
    first = f"Customer evidence by stage: {counts}."
    if missing:
        early = [s for s in missing if list(Stage).index(s) < list(Stage).index(discussed[-1])]
        if early:
            first += (
                f" {join_names([STAGE_TITLES[s] for s in early])} went unaddressed even though later "
                "stages were discussed; work built on unstated assumptions tends to surface as friction "
                "further along, so those gaps deserve a direct conversation."
            )
        later = [s for s in missing if s not in early]
        if later:
            first += (
                f" {join_names([STAGE_TITLES[s] for s in later])} did not come up yet, which fits a "
                "relationship that has not reached those steps."
            )
    out = [first]
    scored_tones = [(s, f.stage_tone[s]) for s in discussed if f.stage_tone[s].score is not None]
    if len(scored_tones) >= 2:
        warm = max(scored_tones, key=lambda st: _tone_key(st[1]))
        cool = min(scored_tones, key=lambda st: _tone_key(st[1]))
        out.append(
            f"The warmest stage was {STAGE_TITLES[warm[0]]} (average tone {warm[1].score:+.2f}) and the "
            f"most guarded {STAGE_TITLES[cool[0]]} ({cool[1].score:+.2f}). "
            + (
                "Momentum in the first can be used to carry the second."
                if (warm[1].score or 0) - (cool[1].score or 0) >= 0.1
                else "The difference is small: the customer's tone was even across stages."
            )
        )
    out.append(_voices(f))
    return out


def _tone_key(t: Tone) -> float:
    return t.score if t.score is not None else 0.0


def _voices(f: Findings) -> str:
    counts = {n: 0 for n in f.people.customer}
    for sc in f.scored:
        if sc.stage is not None:
            counts[sc.sentence.speaker] = counts.get(sc.sentence.speaker, 0) + 1
    voices = [n for n in sorted(counts, key=lambda k: (-counts[k], k)) if counts[n]]
    if len(voices) <= 1:
        return (
            f"The MCEM-relevant view came from {voices[0] if voices else 'a single voice'}; other "
            "stakeholders' positions are unknown and worth hearing before the next step."
        )
    return (
        f"{len(voices)} customer voices contributed stage evidence, led by {voices[0]} "
        f"({counts[voices[0]]} remarks); where they stress different stages, aligning them early "
        "avoids a split view later."
    )


def mood(f: Findings) -> str:
    t = f.overall
    if t.count == 0:
        return "The customer side said too little in this transcript to judge their mood."
    share_pos = round(100 * t.positive / t.count)
    share_neg = round(100 * t.negative / t.count)
    return (
        f"Overall the customer side sounded {_TONE_WORDS[t.label]}: of {t.count} substantive sentences, "
        f"{share_pos}% read as clearly positive and {share_neg}% as clearly negative "
        f"(average tone {t.score:+.2f} on a -1 to +1 scale)."
    )


def company_sentiment(name: str, t: Tone) -> CompanySentiment:
    if t.count == 0:
        return CompanySentiment(
            company=name,
            label="not mentioned",
            score=None,
            summary=f"{name} was not mentioned by the customer.",
        )
    who = join_names(list(t.speakers[:3]))
    return CompanySentiment(
        company=name,
        label=t.label,  # type: ignore[arg-type]
        score=t.score,
        summary=(
            f"Mentioned in {t.count} customer {plural(t.count, 'sentence')} (by {who}); the tone was "
            f"{_TONE_WORDS[t.label]} (average {t.score:+.2f}; "
            + (
                f"{t.positive} clearly positive and {t.negative} clearly negative "
                f"{plural(t.negative, 'remark')})."
                if t.positive or t.negative
                else "no strongly worded remark)."
            )
        ),
    )


def topics(f: Findings) -> list[str]:
    return [_topic_line(t) for t in f.topics]


def _topic_line(t: Topic) -> str:
    said = f": “{t.lead}”" if t.lead else ""
    return (
        f"Around {format_timestamp(t.start)}, {t.speaker} raised {join_names(t.keywords)} "
        f"({t.remarks} {plural(t.remarks, 'remark')} outside the MCEM stages){said}"
        + ("" if t.lead.endswith((".", "!", "?")) else ".")
    )
