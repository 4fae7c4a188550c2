"""Talk time and listening: who spoke how much, the longest monologue, who asked the questions.

Measured by code from the transcript's cue timings, never estimated by a language model, so the
figures are the same whichever analyzer wrote the draft. Sides are the analysis's own: its attendees
(from Graph or ``--internal``) decide who speaks for Microsoft, and where they say nothing the offline
heuristic of :mod:`mcem.offline.people` does (a speaker who says "we at Microsoft"); a Microsoft-side
speaker introduced as from a partner company counts for the partner.

Why time and not words: a customer who thinks aloud slowly is listened to as long as a fast talker,
and that is what "Microsoft did most of the talking" is about. A transcript without any times
(plain ``Name: text``) has every cue at 0 s; there the shares come from words and say so (``basis``).

Listen & Consult calls exist to hear the customer: when the engagement stands at that stage and
Microsoft's share is the largest at the table, the analysis flags it (``listen_flag``).
"""

from __future__ import annotations

import re

from mcem.context import MeetingContext
from mcem.model import Analysis, Monologue, Side, SideTalk, Stage, TalkSide, TalkTime
from mcem.offline.people import resolve
from mcem.parsing.common import UNKNOWN_SPEAKER
from mcem.transcript import Transcript

__all__ = ["measure", "with_talk"]

_ORDER: tuple[TalkSide, ...] = ("microsoft", "partner", "customer", "unknown")
# A question is a sentence ending in "?" ("Right?" counts: it hands the floor over just the same).
_QUESTION = re.compile(r"\?+(?=[\s\"'”’)]|$)")


def with_talk(analysis: Analysis, transcript: Transcript) -> Analysis:
    """The analysis with its talk time measured from ``transcript`` (the same result every time)."""
    talk = measure(transcript, analysis)
    return analysis if talk == analysis.talk else analysis.model_copy(update={"talk": talk})


def measure(transcript: Transcript, analysis: Analysis) -> TalkTime | None:
    """None when nobody's speech can be attributed (only "Unknown speaker")."""
    sides, partner = _sides(transcript, analysis)
    timed = any(u.end > u.start for u in transcript.utterances)
    seconds = dict.fromkeys(_ORDER, 0.0)
    words = dict.fromkeys(_ORDER, 0)
    questions = dict.fromkeys(_ORDER, 0)
    counts = [u.text.count(" ") + 1 for u in transcript.utterances]  # text is whitespace-normalised
    for u, n in zip(transcript.utterances, counts, strict=True):
        side = sides.get(u.speaker, "unknown")
        seconds[side] += u.end - u.start
        words[side] += n
        if "?" in u.text:
            questions[side] += len(_QUESTION.findall(u.text))
    if not any(words[side] for side in _ORDER if side != "unknown"):
        return None
    amount = seconds if timed else {k: float(v) for k, v in words.items()}
    total = sum(amount.values()) or 1.0
    # In a meeting with nobody from Microsoft, "the customer" is just everyone who spoke.
    engaged = analysis.meeting_kind == "customer_engagement"
    customer = analysis.company_name if engaged else "Participants"
    labels: dict[TalkSide, str] = {
        "microsoft": "Microsoft",
        "partner": partner or "Partner",
        "customer": customer,
        "unknown": "Unattributed",
    }
    spoke = [
        SideTalk(
            side=side,
            label=labels.get(side, ""),
            seconds=round(seconds[side], 1) if timed else 0.0,
            words=words[side],
            share=round(min(1.0, amount[side] / total), 4),
            questions=questions[side],
        )
        for side in _ORDER
        if words[side]
    ]
    talk = TalkTime(
        basis="time" if timed else "words", sides=spoke, longest_monologue=_longest(transcript, sides, counts)
    )
    return talk.model_copy(update={"listen_flag": _listen_flag(analysis, talk)})


def _sides(transcript: Transcript, analysis: Analysis) -> tuple[dict[str, TalkSide], str]:
    """Each speaker's side, and the partner's company ('' when no partner spoke)."""
    people = resolve(transcript, MeetingContext(people=tuple(analysis.details.attendees)))
    out: dict[str, TalkSide] = {}
    for speaker in transcript.speakers:
        side = people.sides.get(speaker, Side.unknown)
        if speaker == UNKNOWN_SPEAKER or side is Side.unknown:
            out[speaker] = "unknown"
        elif speaker in people.partners:
            out[speaker] = "partner"
        else:
            out[speaker] = "microsoft" if side is Side.internal else "customer"
    return out, next(iter(people.partners.values()), "")


def _longest(transcript: Transcript, sides: dict[str, TalkSide], counts: list[int]) -> Monologue | None:
    """Consecutive turns of one speaker are one monologue (Teams cuts a long turn into several cues)."""
    utterances = transcript.utterances
    best: tuple[float, int, int, int] | None = None  # (seconds, words, first, last): no model per run
    first = 0
    for i in range(len(utterances) + 1):
        if i < len(utterances) and utterances[i].speaker == utterances[first].speaker:
            continue
        speaker = utterances[first].speaker
        if speaker != UNKNOWN_SPEAKER:
            run = (max(0.0, utterances[i - 1].end - utterances[first].start), sum(counts[first:i]), first, i)
            if best is None or run[:2] > best[:2]:
                best = run
        first = i
    if best is None:
        return None
    seconds, words, start, _ = best
    u = utterances[start]
    return Monologue(
        speaker=u.speaker,
        side=sides.get(u.speaker, "unknown"),
        start=u.start,
        seconds=round(seconds, 1),
        words=words,
    )


def _listen_flag(analysis: Analysis, talk: TalkTime) -> bool:
    if analysis.meeting_kind != "customer_engagement" or analysis.current_stage is not Stage.listen_consult:
        return False
    microsoft = talk.side("microsoft")
    if microsoft is None:
        return False
    return all(microsoft.share > s.share for s in talk.sides if s.side != "microsoft")
