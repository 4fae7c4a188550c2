"""The document's framing prose: company background, executive summary and cross-stage insights.

Each paragraph is built from measured findings and the customer's own sentences, quoted whole
(``evidence.said``), so verification can check every quotation. When the transcript does not
show a customer engagement with Microsoft, the framing says so instead of forcing MCEM language.
"""

from __future__ import annotations

from mcem.model import STAGE_TITLES, Recommendation, Stage
from mcem.offline import evidence
from mcem.offline.evidence import said
from mcem.offline.findings import Findings
from mcem.offline.people import join_names
from mcem.offline.sentiment import compound
from mcem.offline.writer import STAGE_FOCUS, TONE_WORDS, plural
from mcem.transcript import format_timestamp

_ORDINALS = ("First", "Second", "Third")


def top_stages(f: Findings, k: int = 3) -> list[Stage]:
    found = [s for s in Stage if f.discussed(s)]
    return sorted(found, key=lambda s: (-len(f.by_stage[s]), list(Stage).index(s)))[:k]


def _people(f: Findings, names: list[str]) -> str:
    def one(n: str) -> str:
        known = f.context.person(n)
        title = known.role if known and known.role else f.titles.get(n, "")
        return f"{n} ({title})" if title else n

    return join_names([one(n) for n in names])


def not_engagement_reason(f: Findings) -> str:
    if f.people.internal and not f.people.customer:
        return "everyone in it speaks for Microsoft or its partner, and no customer took part"
    return (
        "nobody in it says they speak for Microsoft or a Microsoft partner, and no attendee list names "
        "a Microsoft side; mentioning a Microsoft product or asking questions does not make a meeting one"
    )


def background(f: Findings) -> str:
    who = f.people.customer[:4]
    if not f.engagement:
        return (
            "This meeting does not read as a customer engagement with Microsoft: "
            f"{not_engagement_reason(f)}, so there is no customer organisation to profile. "
            f"The speakers were {join_names(who) or 'not identified'}; no organisation, industry, size "
            "or strategic priority was named, and the account team should add them if this meeting "
            "does belong to an account."
        )
    company = f.company or "The customer's organisation"
    present = _people(f, who) or "no identified speaker"
    parts = [
        f"{company} was represented in this call by {present}."
        if f.company
        else f"{company} was not named in the call; it was represented by {present}."
    ]
    missing = []
    kind, source = evidence.industry(f)
    if kind:
        parts.append(f"The business is in {kind}, judging by {source}.")
    else:
        missing.append("industry")
    sized = evidence.self_descriptions(f)
    if sized:
        first = sized[0].sentence
        line = f"Describing the organisation, {first.speaker} said {said(first)}"
        if len(sized) > 1:
            line += f" {sized[1].sentence.speaker} added {said(sized[1].sentence)}"
        parts.append(line)
    else:
        missing.append("size")
    goal = evidence.stated_goal(f, sized)
    if goal:
        parts.append(
            f"The priority stated most clearly came from {goal.sentence.speaker}: {said(goal.sentence)}"
        )
    else:
        missing.append("strategic priorities")
    stake = evidence.stakes(f)
    if stake and stake not in (goal, *sized):
        parts.append(
            f"What is at stake for them, in {stake.sentence.speaker}'s words: {said(stake.sentence)}"
        )
    if missing:
        parts.append(
            f"Not stated in the call: {join_names(missing)}; the account team should add "
            f"{'it' if len(missing) == 1 else 'them'}."
        )
    else:
        parts.append("Revenue and overall headcount were not stated in the call.")
    return " ".join(parts)


def executive_summary(f: Findings, recs: list[Recommendation]) -> list[str]:
    minutes = max(1, round(f.transcript.duration / 60))
    when = f" on {f.context.start:%d %B %Y}" if f.context.start else ""
    names = join_names(f.people.customer[:3])
    if not f.transcript.utterances:
        return [
            "The transcript holds no speech, so this draft has nothing from the customer to analyse.",
            _preview(recs),
        ]
    if not f.engagement:
        first = (
            f"This draft reads a {minutes}-minute meeting{when} between {names or 'unnamed speakers'} as an "
            f"MCEM interview, but it does not look like one: {not_engagement_reason(f)}. It is more likely "
            "an internal, project or other meeting than an account-team conversation with a customer, so the "
            "stage sections below are thin by design and say what they could not find."
        )
    else:
        lead = f.interviewer or "the account team"
        customer = f"{names} of {f.company}" if names and f.company else names or f.company_label
        covered = [s for s in Stage if f.discussed(s)]
        scope = (
            "all five stages"
            if len(covered) == len(Stage)
            else join_names([STAGE_TITLES[s] for s in covered])
            if covered
            else "none of the five stages"
        )
        first = (
            f"This analysis draws on a {minutes}-minute conversation{when} between {lead} (Microsoft) and "
            f"{customer}, held to understand how {f.company_label} perceives its engagement with Microsoft "
            f"across the MCEM stages. The customer's remarks covered {scope}"
        )
        top = top_stages(f, 2)
        first += (
            f", with most weight on {join_names([STAGE_TITLES[s] for s in top])}."
            if len(covered) > 1
            else "."
        )
    return [first + _stage_line(f), _themes(f), _steps_line(f) + _preview(recs)]


def _stage_line(f: Findings) -> str:
    stage = f.current_stage
    if stage is None:
        return ""
    shows = f.reached.get(stage)
    line = f" The engagement has reached {STAGE_TITLES[stage]}"
    if shows is not None and evidence.quotable(shows.text, 40):
        return line + f", as {shows.speaker} put it: {said(shows)}"
    return line + "."


def _steps_line(f: Findings) -> str:
    steps = sorted((s for s in f.records.steps if s.owner), key=lambda s: (-s.weight, s.sentence.start))[:4]
    if not steps:
        return ""
    items = [
        f"{s.owner.split(' (')[-1].rstrip(')')}: {s.action[0].lower() + s.action[1:]}"
        + (f" ({s.due})" if s.due else "")
        for s in steps
    ]
    return "Agreed next steps include " + "; ".join(items) + ". "


def _themes(f: Findings) -> str:
    top = top_stages(f)
    if not top:
        return "No part of the conversation could be tied to an MCEM stage, so no stage themes are reported."
    if not f.engagement:
        return _incidental(f, top)
    lines = [f"{('One theme', 'Two themes', 'Three themes')[len(top) - 1]} stood out."]
    for i, s in enumerate(top):
        tone = f.stage_tone[s].label
        label = f"{STAGE_FOCUS[s]} ({STAGE_TITLES[s]})"
        concern = evidence.concern_of(f, s) if tone in ("mixed", "negative") else None
        fact = concern or evidence.fact_of(f, s)
        opener = f"{_ORDINALS[i]}, {label}" if len(top) > 1 else label[0].upper() + label[1:]
        mood = TONE_WORDS[tone].split(",")[0]
        if fact is None:
            lines.append(f"{opener}, where the tone was {mood}.")
        elif concern is not None:
            mood = "enthusiasm met concern" if tone == "mixed" else "concern dominated"
            lines.append(f"{opener}, where {mood}: {fact.sentence.speaker} said {said(fact.sentence)}")
        else:
            lines.append(
                f"{opener}, where the tone was {mood}: {fact.sentence.speaker} said {said(fact.sentence)}"
            )
    missing = [STAGE_TITLES[s] for s in Stage if not f.discussed(s)]
    if missing:
        lines.append(f"{join_names(missing)} did not come up.")
    return " ".join(lines)


def _incidental(f: Findings, top: list[Stage]) -> str:
    """The themes paragraph for a meeting that is not an engagement: what little maps, said plainly."""
    main = top[0]
    text = (
        "Read against MCEM, the meeting offers little: a few remarks used the vocabulary of "
        f"{STAGE_TITLES[main]} ({STAGE_FOCUS[main]})"
    )
    fact = evidence.fact_of(f, main)
    text += f", for example {fact.sentence.speaker}: {said(fact.sentence)}" if fact else "."
    rest = [STAGE_TITLES[s] for s in top[1:]]
    if rest:
        text += f" {join_names(rest)} appeared only in passing."
    return text + " None of it describes an engagement with Microsoft."


def _preview(recs: list[Recommendation]) -> str:
    titles = [r.title[0].lower() + r.title[1:] for r in recs[:3]]
    return f"The recommendations that follow are to {join_names(titles)}" + (
        f", with {len(recs) - 3} further {plural(len(recs) - 3, 'step')} set out below."
        if len(recs) > 3
        else "."
    )


def insights(f: Findings) -> list[str]:
    discussed = [s for s in Stage if f.discussed(s)]
    if not discussed:
        return [
            "Nothing the customer said mapped to an MCEM stage, so no cross-stage pattern can be drawn "
            "from this meeting; it reads as a conversation outside the engagement cycle."
        ]
    out = [_continuity(f, discussed)]
    momentum = _momentum(f, discussed) if f.engagement else ""
    if momentum:
        out.append(momentum)
    out.append(_voices(f))
    return out


def _continuity(f: Findings, discussed: list[Stage]) -> str:
    parts: list[str] = []
    if not f.engagement:
        parts.append(
            "As this was not a customer engagement call, the stage evidence below is incidental: the words "
            "that tie a remark to a stage were used about the speakers' own work."
        )
    found = evidence.threads(f)
    for i, t in enumerate(found):
        first, last = t.first.sentence, t.last.sentence
        where = join_names([STAGE_TITLES[s] for s in t.stages[:3]])
        lead = "A subject that ran across stages" if i == 0 else "Another"
        parts.append(
            f"{lead} was {t.key}: it came up at {format_timestamp(first.start)} and returned at "
            f"{format_timestamp(last.start)} ({where}), when {last.speaker} said {said(last)}"
        )
    last = discussed[-1]
    open_early = [s for s in discussed[:-1] if evidence.concern_of(f, s) is not None]
    if f.engagement and open_early and len(f.by_stage[last]) >= 2:
        s0 = open_early[-1]
        worry = evidence.concern_of(f, s0, avoid=[t.last.sentence for t in found])
        parts.append(
            f"The customer is already planning {STAGE_FOCUS[last]} ({STAGE_TITLES[last]}) while concerns "
            f"about {STAGE_FOCUS[s0]} ({STAGE_TITLES[s0]}) were raised in the same call"
            + (f", such as {worry.sentence.speaker}'s {said(worry.sentence)}" if worry else "")
            + "; the usual MCEM cadence settles those before the next stage, so each is worth confirming "
            "as closed rather than carried forward."
        )
    missing = [s for s in Stage if not f.discussed(s)]
    early = [s for s in missing if list(Stage).index(s) < list(Stage).index(discussed[-1])]
    if early and f.engagement:
        parts.append(
            f"{join_names([STAGE_TITLES[s] for s in early])} went unaddressed even though later stages were "
            "discussed; work built on unstated assumptions tends to surface as friction further along."
        )
    late = [s for s in missing if s not in early]
    if late and f.engagement:
        parts.append(
            f"{join_names([STAGE_TITLES[s] for s in late])} did not come up yet, which fits a relationship "
            "that has not reached those steps."
        )
    if not parts:
        spread = join_names([STAGE_TITLES[s] for s in discussed])
        parts.append(
            f"The customer's remarks spread across {spread} without one subject running through them."
        )
    return " ".join(parts)


def _momentum(f: Findings, discussed: list[Stage]) -> str:
    scored = [s for s in discussed if f.stage_tone[s].score is not None and len(f.by_stage[s]) >= 2]
    if len(scored) < 2:
        return ""
    warm = max(scored, key=lambda s: (f.stage_tone[s].score or 0.0, -list(Stage).index(s)))
    cool = min(scored, key=lambda s: (f.stage_tone[s].score or 0.0, list(Stage).index(s)))
    w, c = f.stage_tone[warm].score or 0.0, f.stage_tone[cool].score or 0.0
    if w - c < 0.1:
        return (
            "The customer's tone was even across stages, so no stage stands out as a source of momentum "
            "or of hesitation."
        )
    text = f"Momentum is clearest in {STAGE_TITLES[warm]} and hesitation greatest in {STAGE_TITLES[cool]}."
    best = evidence.strongest((sc.sentence for sc in f.by_stage[warm]), positive=True)
    worry = evidence.concern_of(f, cool)
    if best is not None:
        text += f" On the positive side, {best.speaker} said {said(best)}"
    if worry is not None and compound(worry.sentence.text) < 0:
        text += f" The hesitation shows in {worry.sentence.speaker}'s remark {said(worry.sentence)}"
    return text + " The confidence built in the first is the lever for the second."


def _voices(f: Findings) -> str:
    by_voice: dict[str, dict[Stage, int]] = {}
    for sc in f.scored:
        if sc.stage is not None:
            counts = by_voice.setdefault(sc.sentence.speaker, {})
            counts[sc.stage] = counts.get(sc.stage, 0) + 1
    voices = sorted(by_voice, key=lambda n: (-sum(by_voice[n].values()), n))
    if len(voices) <= 1:
        return (
            f"The MCEM-relevant view came from {voices[0] if voices else 'a single voice'}; other "
            "stakeholders' positions are unknown and worth hearing before the next step."
        )
    groups: dict[Stage, list[str]] = {}
    for n in voices[:4]:
        main = max(by_voice[n], key=lambda s: (by_voice[n][s], -list(Stage).index(s)))
        groups.setdefault(main, []).append(n)
    focus = [f"{join_names(names)} mostly on {STAGE_TITLES[s]}" for s, names in groups.items()]
    lead = voices[0]
    if not f.engagement:
        return (
            f"The speakers who used stage vocabulary: {'; '.join(focus)}. {lead} did so most, about their "
            "own work rather than a Microsoft engagement."
        )
    return (
        f"Several customer voices shaped this picture: {'; '.join(focus)}. {lead} carried the most; where "
        "the others stress different stages, hearing them separately before the next step avoids a split "
        "view later."
    )
