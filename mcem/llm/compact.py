"""The transcript as the model sees it: one line per turn, short speaker aliases, a legend.

No cue ids, no timings, no markup: the model needs who said what, in order. Code finds each quote
in the full transcript afterwards and attaches speaker and time, so nothing is lost by leaving
timestamps out. Text that could close the prompt's delimiters is defused here, because the
transcript is untrusted input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mcem.context import MeetingContext
from mcem.model import Side
from mcem.transcript import Transcript, format_timestamp

# Tags the prompts use as delimiters; a transcript must not be able to open or close them.
_DELIMITER = re.compile(r"<\s*/?\s*(transcript|evidence|internal_reference|untrusted_subject)\b[^>]*>", re.I)


@dataclass(frozen=True)
class CompactLine:
    alias: str
    text: str

    def render(self) -> str:
        return f"{self.alias}: {self.text}"


@dataclass(frozen=True)
class CompactTranscript:
    lines: tuple[CompactLine, ...]
    names: dict[str, str]  # alias -> full speaker name
    legend: str  # one line per speaker: "S1 = Name (customer, CTO)"

    def render(self, lines: tuple[CompactLine, ...] | None = None) -> str:
        return "\n".join(line.render() for line in (self.lines if lines is None else lines))

    def full_name(self, speaker: str) -> str:
        """The speaker's name when the model answered with an alias."""
        return self.names.get(speaker.strip(), speaker)


def defuse(text: str) -> str:
    """One line of plain text with prompt delimiters neutralised."""
    text = _DELIMITER.sub(lambda m: f"({m.group(1)})", text)
    return " ".join(text.split())


def compact(transcript: Transcript, context: MeetingContext) -> CompactTranscript:
    aliases: dict[str, str] = {}
    for i, speaker in enumerate(transcript.speakers, start=1):
        aliases[speaker] = f"S{i}"
    lines: list[CompactLine] = []
    for u in transcript.utterances:
        text = defuse(u.text)
        if not text:
            continue
        alias = aliases[u.speaker]
        if lines and lines[-1].alias == alias:
            # Teams cuts one turn into several cues; the model reads it as one.
            lines[-1] = CompactLine(alias, f"{lines[-1].text} {text}")
        else:
            lines.append(CompactLine(alias, text))
    sides = side_hints(transcript, context)
    legend = "\n".join(_legend_line(alias, name, context, sides.get(name)) for name, alias in aliases.items())
    return CompactTranscript(lines=tuple(lines), names={a: n for n, a in aliases.items()}, legend=legend)


def side_hints(transcript: Transcript, context: MeetingContext) -> dict[str, str]:
    """Each speaker's side as the legend words it. From the attendee list or ``--internal`` when given
    (the partner found among the internal side by its introduction); otherwise the offline analyzer's
    guess from what people said, marked "guessed" so the model checks it against the transcript."""
    from mcem.offline.people import resolve  # the same evidence rules as the offline engine

    people = resolve(transcript, context)
    known = bool(context.internal_names) or any(p.side is Side.internal for p in context.people)
    mark = "" if known else ", guessed"
    out: dict[str, str] = {}
    for name in transcript.speakers:
        side = context.side_of(name) if known else people.sides.get(name, Side.unknown)
        if not known and not people.internal:
            side = Side.unknown  # nobody says they speak for Microsoft: no guess to offer
        if name in people.partners and side is not Side.customer:
            out[name] = f"partner {people.partners[name]}{mark}"
        else:
            words = {
                Side.customer: "customer",
                Side.internal: "Microsoft account team",
                Side.unknown: "side unknown",
            }
            out[name] = words[side] + (mark if side is not Side.unknown else "")
    return out


def _legend_line(alias: str, name: str, context: MeetingContext, side: str | None = None) -> str:
    person = context.person(name)
    parts = [
        side
        or {
            Side.customer: "customer",
            Side.internal: "Microsoft account team",
            Side.unknown: "side unknown",
        }[context.side_of(name)]
    ]
    if person and person.role:
        parts.append(defuse(person.role))
    return f"{alias} = {defuse(name)} ({', '.join(parts)})"


def context_block(context: MeetingContext, transcript: Transcript) -> str:
    """The meeting details the prompt states as reliable facts."""
    rows = [
        ("Subject", context.subject if context.subject_trusted else ""),
        ("Date", context.start.strftime("%Y-%m-%d %H:%M %Z").strip() if context.start else ""),
        ("Customer company", context.company),
        ("Main customer participant", context.participant),
        ("Interviewer for Microsoft", context.interviewer),
        ("Duration", format_timestamp(transcript.duration) if transcript.utterances else ""),
    ]
    text = "\n".join(f"- {k}: {defuse(v)}" for k, v in rows if v)
    if context.subject and not context.subject_trusted:
        # Written by the customer's organizer: data like the transcript, never a fact or an instruction.
        untrusted = f"<untrusted_subject>\n{defuse(context.subject)}\n</untrusted_subject>"
        note = "- Subject: set by the customer's organizer, shown below"
        text = "\n".join(filter(None, (text, note, untrusted)))
    return text or "- (none given; infer from the transcript, and say so where unsure)"
