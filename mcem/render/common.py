"""Text shared by every renderer: section headings, the fixed flywheel overview, and helpers that
turn model values (dates, quotes, sentiment, provenance) into the words readers see.

Everything here returns plain, cleaned text; each renderer escapes it for its own format.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta

from mcem.links import moment_url, recording_link, strip_links
from mcem.model import (
    STAGE_DESCRIPTIONS,
    STAGE_TITLES,
    Analysis,
    CompanySentiment,
    NextStep,
    Person,
    Quote,
    SideTalk,
    StageFeedback,
    TalkTime,
)
from mcem.transcript import format_timestamp

# The template's customer-facing headings, in its order (normal spaces; the template has U+202F in places).
COMPANY_BACKGROUND = "Company Background"
EXECUTIVE_SUMMARY = "Executive Summary"
INTERVIEW_DETAILS = "Interview Details"
FLYWHEEL_OVERVIEW = "MCEM Sales Flywheel Overview"
NARRATIVE = "Narrative Feedback by MCEM Stage"
INSIGHTS = "Analysis & Insights"
RECOMMENDATIONS = "Recommendations"
SUMMARY_TABLE = "Summary Table"
ADDITIONAL = "Additional Customer Feedback and Topics"

TABLE_COLUMNS = ("Team Member Role", "Key Customer Excerpts & Insights", "Proposed Actions")

# Labels of the three Interview Details bullets.
DATE_LABEL = "Date & Time"
INTERVIEWER_LABEL = "Interviewer (Name & Role)"
PARTICIPANT_LABEL = "Participant (Name & Role)"

MOOD_LABEL = "Overall mood"
SENTIMENT_LABEL = "Sentiment toward Microsoft and other companies"
TOPICS_LABEL = "Other topics raised"

CONFIDENTIAL = "Confidential — internal to the account team"

# Short labelled lists inside the template's sections (no headings of their own: the section order
# is the template's). Next steps and decisions follow the recommendations; risks follow the insights.
NEXT_STEPS_LABEL = "Next steps agreed"
DECISIONS_LABEL = "Decisions"
RISKS_LABEL = "Risks to watch"
EXTRA_LABELS = (NEXT_STEPS_LABEL, DECISIONS_LABEL, RISKS_LABEL)
PRIVATE_LABEL = "Said in confidence — for the author to decide"
PRIVATE_NOTE = (
    "The customer asked to keep the following private. It is left out of the chat card, the email and "
    "every section of this draft; decide whether any of it belongs here, then delete this box."
)
TALK_LABEL = "Talk time and listening"
LISTEN_FLAG = "Listen & Consult call where Microsoft spoke most"
NOT_AN_ENGAGEMENT = "Not a customer engagement"
NOT_RECORDED = "Not recorded"
STAGE_NOT_DISCUSSED = "This stage did not come up in the conversation."
NO_OTHER_TOPICS = "No other topics were raised."

# Customer-facing text of the template's overview section, reproduced as written there.
FLYWHEEL_INTRO = (
    "The Microsoft Customer Engagement Model (MCEM) is a five-stage flywheel in which the account team "
    "partners with customers to drive value and growth. Each stage builds momentum for the next:"
)

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Characters XML 1.0 forbids (C0 controls except tab/newline/CR, lone surrogates, U+FFFE/U+FFFF), and
# bidirectional overrides, which can make a quote display differently from what it says.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """One line of safe text: unsafe characters dropped, whitespace runs (newlines too) made one space,
    no links (mcem/links.py: the only link an output carries is the draft's, which the renderer adds)."""
    text = _UNSAFE.sub("", unicodedata.normalize("NFC", text))
    return " ".join(strip_links(text).split())


def cleaned(items: list[str]) -> list[str]:
    """Clean each item and drop the ones left empty."""
    return [c for c in (clean(i) for i in items) if c]


def format_when(value: datetime | None) -> str:
    """'Wednesday, 18 November 2026, 15:00 UTC' — English names whatever the machine's locale."""
    if value is None:
        return NOT_RECORDED
    text = f"{_WEEKDAYS[value.weekday()]}, {value.day} {_MONTHS[value.month - 1]} {value.year}, {value:%H:%M}"
    offset = value.utcoffset()
    if offset is None:
        return text
    return f"{text} {_utc_label(offset)}"


def _utc_label(offset: timedelta) -> str:
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes > 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def person_label(person: Person | None) -> str:
    if person is None or not clean(person.name):
        return NOT_RECORDED
    return clean(person.label())


_QUOTE_MARKS = '“”"'


def quote_text(quote: Quote) -> str:
    """The quote in typographic double quotes, without a doubled pair if the model already added one."""
    return f"“{clean(quote.text).strip(_QUOTE_MARKS)}”"


def speaker_and_time(quote: Quote) -> tuple[str, str | None]:
    """The speaker and '[mm:ss]'; the time is None only when verification could not place the quote."""
    speaker = clean(quote.speaker) or "Unknown speaker"
    return speaker, None if quote.start is None else f"[{format_timestamp(quote.start)}]"


def moment_link(quote: Quote, recording: str) -> str | None:
    """The recording at the moment the quote was said, or None (no recording, or no time to go to)."""
    if quote.start is None or not recording or recording_link(recording) is None:
        return None
    return moment_url(recording, quote.start)


def attribution(quote: Quote) -> str:
    """'Speaker, [mm:ss]'."""
    speaker, when = speaker_and_time(quote)
    return f"{speaker}, {when}" if when else speaker


def stage_heading(index: int, stage: StageFeedback) -> str:
    return f"{index}. {STAGE_TITLES[stage.stage]}"


def stage_paragraphs(stage: StageFeedback) -> list[str]:
    return cleaned(stage.paragraphs) or [STAGE_NOT_DISCUSSED]


def flywheel_lines() -> list[tuple[str, str]]:
    """(stage title, description) for the overview's five numbered lines."""
    return [(STAGE_TITLES[s], STAGE_DESCRIPTIONS[s]) for s in STAGE_TITLES]


def as_sentence(text: str) -> str:
    text = clean(text)
    return text if not text or text[-1] in ".!?…" else text + "."


def actions_text(actions: list[str]) -> str:
    """The proposed actions as one cell of sentences: 'First. Second.'"""
    return " ".join(as_sentence(a) for a in cleaned(actions))


def sentiment_heading(item: CompanySentiment) -> str:
    """'Microsoft — mixed': the label; the score stays in analysis.json (readers get words, not numbers)."""
    return f"{clean(item.company)} — {item.label}"


def next_step_text(step: NextStep) -> str:
    """'Send the managed service proposal — Marcus Lee, by the twelfth of December'."""
    owner = clean(step.owner) or "owner not named"
    due = clean(step.due or "") or "no date set"
    return f"{clean(step.action).rstrip('.')} — {owner}, {due}"


def stage_reached(analysis: Analysis) -> str:
    """Where the engagement stands, in words for the executive summary's first line."""
    if analysis.meeting_kind == "not_customer_engagement":
        return NOT_AN_ENGAGEMENT
    if analysis.current_stage is None:
        return ""
    return f"Stage reached: {STAGE_TITLES[analysis.current_stage]}"


def provenance(analysis: Analysis) -> str:
    """Where the draft came from, in one sentence, for the foot of every output."""
    meta, checks = analysis.meta, analysis.verification
    engine = "the offline analyzer (no language model)" if meta.engine == "offline" else "a language model"
    if meta.engine == "llm" and clean(meta.model):
        engine = f"the language model {clean(meta.model)}"
    parts = [f"Draft generated by {engine} on {format_when(meta.generated_at)}"]
    if clean(meta.prompt_version):
        parts[0] += f" (prompt {clean(meta.prompt_version)})"
    parts.append(
        f"Quotes checked against the transcript: {checks.quotes_checked}, "
        f"dropped as not found: {checks.quotes_dropped}, "
        f"internal reference text removed: {checks.internal_sentences_removed}"
    )
    note = clean(meta.note).rstrip(".")
    if note:
        parts.insert(0, note[0].upper() + note[1:])
    return ". ".join(parts) + "."


def _duration(seconds: float) -> str:
    """'3:05' or '1:02:05': a length of time, read like a clock."""
    return format_timestamp(seconds).lstrip("0") if seconds >= 60 else f"0:{int(seconds):02d}"


def _percent(share: float) -> str:
    return f"{round(share * 100)}%"


def side_talk_text(talk: TalkTime, side: SideTalk) -> str:
    """'Microsoft — 62% of the talk time (20:31), 14 questions'."""
    name = clean(side.label) or side.side
    if talk.basis == "time":
        amount = f"{_percent(side.share)} of the talk time ({_duration(side.seconds)})"
    else:
        amount = f"{_percent(side.share)} of the words spoken"
    asked = "1 question" if side.questions == 1 else f"{side.questions} questions"
    return f"{name} — {amount}, {asked}"


def monologue_text(talk: TalkTime) -> str:
    """'Longest monologue: Priya Raman (Microsoft), 3:40 from [12:05]'; '' when there is none."""
    m = talk.longest_monologue
    if m is None:
        return ""
    side = talk.side(m.side)
    who = clean(m.speaker) + (f" ({clean(side.label)})" if side is not None and clean(side.label) else "")
    length = _duration(m.seconds) if talk.basis == "time" else f"{m.words} words"
    return f"Longest monologue: {who}, {length} from [{format_timestamp(m.start)}]"


def talk_basis_note(talk: TalkTime) -> str:
    return "" if talk.basis == "time" else "The transcript carries no times, so shares are counted in words."


def listen_flag_text(talk: TalkTime) -> str:
    """The warning for a Listen & Consult call that Microsoft talked through; '' otherwise."""
    if not talk.listen_flag:
        return ""
    microsoft = talk.side("microsoft")
    share = f" ({_percent(microsoft.share)})" if microsoft is not None else ""
    return f"{LISTEN_FLAG}{share}: in this stage the customer should do most of the talking."


def talk_line(talk: TalkTime) -> str:
    """One line for the card: 'Talk time: Microsoft 62% · Contoso 30% · longest monologue 3:40
    (Priya Raman) · questions: Microsoft 14, Contoso 3'."""
    basis = "Talk time" if talk.basis == "time" else "Share of words"
    shares = " · ".join(f"{clean(s.label) or s.side} {_percent(s.share)}" for s in talk.sides)
    parts = [f"{basis}: {shares}"]
    m = talk.longest_monologue
    if m is not None:
        length = _duration(m.seconds) if talk.basis == "time" else f"{m.words} words"
        parts.append(f"longest monologue {length} ({clean(m.speaker)})")
    asked = [s for s in talk.sides if s.side in ("microsoft", "customer")]
    if asked:
        parts.append("questions: " + ", ".join(f"{clean(s.label) or s.side} {s.questions}" for s in asked))
    return " · ".join(parts)
