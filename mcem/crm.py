"""An analysis as what goes to a CRM: one note on the customer's account and one task per next step.

A pure function of the Analysis (``crm_update``), like the renderers, and held to the same rules as
everything that leaves the bot's hands: no sentence that echoes the template's internal reference
(mcem/leaks.py), no link but the bot's own to the draft (mcem/links.py), and nothing said in
confidence — ``Analysis.confidential`` is never read for content, and every text is checked again
against the asides (``AsideGuard`` in strict mode: not even a name only an aside used). The client
that sends it (bot/crm.py) checks the finished update once more with ``private_texts`` before a byte
goes out.

Due dates are said, not written ("by Wednesday", "by the end of next week"): ``due_date`` reads the
common forms relative to the meeting's date and gives up (None) on anything else, so a task gets a
due date only when the words name one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlsplit

from mcem.confidential import AsideGuard
from mcem.leaks import scrub, split_sentences
from mcem.links import strip_links
from mcem.model import STAGE_TITLES, Analysis, NextStep
from mcem.transcript import format_timestamp

__all__ = ["CrmNote", "CrmTask", "CrmUpdate", "crm_update", "due_date", "private_texts", "step_key"]

# Dataverse column limits (MaxLength in the published table reference; tests/specs/dataverse-*).
NOTE_SUBJECT_MAX = 500
NOTE_TEXT_MAX = 100_000
TASK_SUBJECT_MAX = 200
TASK_DESCRIPTION_MAX = 2000


@dataclass(frozen=True)
class CrmNote:
    subject: str
    text: str


@dataclass(frozen=True)
class CrmTask:
    key: str  # the same step of the same meeting has the same key in a re-analysis (``step_key``)
    subject: str
    description: str
    due: date | None
    owner_name: str  # as the analysis names them ("Adele Vance"); '' when nobody
    owner_email: str = ""  # the Microsoft owner's address, when the meeting's attendees give it


@dataclass(frozen=True)
class CrmUpdate:
    company: str  # the account's name, as the analysis has it
    note: CrmNote
    tasks: tuple[CrmTask, ...] = ()
    # False for a meeting that is no customer engagement (nobody spoke for Microsoft): no account's record.
    engagement: bool = True
    # The words of the asides, for the client's last check (``private_texts``); never sent.
    guard: AsideGuard = field(default_factory=lambda: AsideGuard([]), repr=False, compare=False)

    def texts(self) -> list[str]:
        """Every text that would be sent."""
        out = [self.company, self.note.subject, self.note.text]
        for t in self.tasks:
            out += [t.subject, t.description, t.owner_name]
        return out


def crm_update(
    analysis: Analysis, draft_url: str | None, *, owner_emails: Mapping[str, str] | None = None
) -> CrmUpdate:
    """The note and the tasks for ``analysis``; ``owner_emails``: Microsoft attendees' name -> address.

    Raises ValueError for a draft URL that is not http(s).
    """
    if draft_url and urlsplit(draft_url).scheme not in ("http", "https"):
        raise ValueError(f"draft_url must be an http(s) link, got {draft_url[:80]!r}")
    people = [p.name for p in analysis.details.attendees]
    people += [p.name for p in (analysis.details.interviewer, analysis.details.participant) if p]
    known = _words_of([analysis.company_name, *people, *STAGE_TITLES.values(), analysis.details.subject])
    guard = AsideGuard(analysis.confidential, known_names=known)
    day = (
        analysis.details.date_time.date() if analysis.details.date_time else analysis.meta.generated_at.date()
    )
    tasks = tuple(
        task
        for step in analysis.next_steps
        if (task := _task(step, analysis, day, guard, owner_emails or {})) is not None
    )
    return CrmUpdate(
        company=_clean(analysis.company_name, guard, 160),
        note=CrmNote(_note_subject(analysis, day, guard), _note_text(analysis, draft_url, guard)),
        tasks=tasks,
        engagement=analysis.meeting_kind != "not_customer_engagement",
        guard=guard,
    )


def private_texts(update: CrmUpdate) -> list[str]:
    """The texts of ``update`` that repeat a confidential aside: must be empty before anything is sent."""
    return [t for t in update.texts() if t and not update.guard.ok(t)]


def step_key(action: str) -> str:
    """A next step's identity across re-analyses of one meeting: its action, folded."""
    folded = " ".join(re.findall(r"\w+", action.casefold()))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:16]


def _words_of(texts: Iterable[str]) -> frozenset[str]:
    return frozenset(w for t in texts for w in re.findall(r"[\w&'’-]+", t))


def _clean(text: str, guard: AsideGuard, limit: int | None = None) -> str:
    """Sentence by sentence: without internal-reference echoes, links, or anything said in confidence."""
    kept = [s for s in split_sentences(strip_links(scrub(text))) if guard.ok(s)]
    out = " ".join(" ".join(kept).split())
    if limit is not None and len(out) > limit:
        out = out[: limit - 1].rstrip() + "…"
    return out


def _note_subject(analysis: Analysis, day: date, guard: AsideGuard) -> str:
    subject = _clean(analysis.details.subject, guard) or "Customer call"
    return _clip(f"{day.isoformat()} {subject} — MCEM interview analysis", NOTE_SUBJECT_MAX)


def _note_text(analysis: Analysis, draft_url: str | None, guard: AsideGuard) -> str:
    paragraphs = [p for p in (_clean(x, guard) for x in analysis.executive_summary) if p]
    lines = ["Executive summary", "", *(f"{p}\n" for p in paragraphs)]
    if analysis.meeting_kind == "not_customer_engagement":
        lines.append("Current MCEM stage: not a customer engagement")
    elif analysis.current_stage is not None:
        lines.append(f"Current MCEM stage: {STAGE_TITLES[analysis.current_stage]}")
    lines.append(f"Draft: {draft_url}" if draft_url else "Draft: not stored in SharePoint")
    lines.append("")
    lines.append("Written by MCEM Analyst from the meeting transcript; internal to the account team.")
    return _clip("\n".join(lines), NOTE_TEXT_MAX)


def _task(
    step: NextStep, analysis: Analysis, day: date, guard: AsideGuard, emails: Mapping[str, str]
) -> CrmTask | None:
    if not guard.ok(step.action, step.owner, step.quote.text, step.due or ""):
        return None  # a step that repeats an aside stays in the Word draft only
    action = _clean(step.action, guard)
    if not action:
        return None
    owner = _clean(step.owner, guard)
    email = _owner_email(owner, emails)
    due = due_date(step.due or "", day)
    parts = [f"Owner: {owner or 'not named in the call'}"]
    if step.due:
        parts.append(f"Due: {_clean(step.due, guard)}" + (f" ({due.isoformat()})" if due else ""))
    quote = _clean(step.quote.text, guard)
    if quote:
        when = f" ({format_timestamp(step.quote.start)})" if step.quote.start is not None else ""
        parts.append(f"“{quote}” — {_clean(step.quote.speaker, guard)}{when}")
    subject = _clean(analysis.details.subject, guard)
    parts.append(
        f"From the call “{subject}” on {day.isoformat()}." if subject else f"From the call on {day}."
    )
    return CrmTask(
        key=step_key(step.action),
        subject=_clip(action, TASK_SUBJECT_MAX),
        description=_clip("\n".join(parts), TASK_DESCRIPTION_MAX),
        due=due,
        owner_name=owner,
        owner_email=email,
    )


def _owner_email(owner: str, emails: Mapping[str, str]) -> str:
    """The address of the Microsoft attendee the owner names ("Microsoft (Adele Vance)", "Adele")."""
    folded = owner.casefold()
    if not folded:
        return ""
    full = [e for name, e in emails.items() if name and name.casefold() in folded]
    if len(full) == 1:
        return full[0]
    words = set(re.findall(r"\w+", folded))
    first = [e for name, e in emails.items() if name and name.split()[0].casefold() in words]
    return first[0] if len(first) == 1 and not full else ""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --- due dates as said --------------------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for m in names
}
_WEEKDAYS = {
    d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}
_ORDINAL_WORDS = (
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
)
_ORDINALS = {
    w: i
    for i, w in enumerate(
        _ORDINAL_WORDS.split(),
        1,
    )
}
_ORDINALS |= {f"twenty-{w}": 20 + i for w, i in list(_ORDINALS.items())[:9]}
_ORDINALS |= {f"twenty {w}": 20 + i for w, i in list(_ORDINALS.items())[:9]}
_ORDINALS |= {"thirtieth": 30, "thirty-first": 31, "thirty first": 31}
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "a": 1, "an": 1}
_DAY = (
    r"(\d{1,2})(?:st|nd|rd|th)?|(" + "|".join(sorted(map(re.escape, _ORDINALS), key=len, reverse=True)) + ")"
)
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b"
_DAY_MONTH = re.compile(rf"\b(?:the )?(?:{_DAY})(?: of)? {_MONTH}", re.I)
_MONTH_DAY = re.compile(rf"\b{_MONTH} (?:the )?(?:{_DAY})\b", re.I)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_IN = re.compile(r"\b(?:in|within) (\d+|" + "|".join(_NUMBERS) + r") (day|week)s?\b", re.I)


def due_date(said: str, meeting: date) -> date | None:
    """The date ``said`` names, counted from the meeting's date; None when it names no clear date."""
    text = " ".join(said.casefold().split())
    if not text:
        return None
    if m := _ISO.search(text):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    for pattern, day_first in ((_DAY_MONTH, True), (_MONTH_DAY, False)):
        if m := pattern.search(text):
            groups = m.groups()
            digits, word, month = (
                (groups[0], groups[1], groups[2]) if day_first else (groups[1], groups[2], groups[0])
            )
            return _next_date(int(digits) if digits else _ORDINALS[word], _MONTHS[month], meeting)
    if "tomorrow" in text:
        return meeting + timedelta(days=1)
    monday = meeting - timedelta(days=meeting.weekday())
    if re.search(r"\bend of (?:the |this )?week\b|\bthis week\b", text):
        return monday + timedelta(days=4)
    if re.search(r"\b(?:end of )?next week\b", text):
        return monday + timedelta(days=11)  # the Friday of next week
    if re.search(r"\bend of (?:the |this )?month\b", text):
        return _month_end(meeting.year, meeting.month)
    if re.search(r"\b(?:end of )?next month\b", text):
        year, month = (meeting.year + 1, 1) if meeting.month == 12 else (meeting.year, meeting.month + 1)
        return _month_end(year, month)
    if m := _IN.search(text):
        n = int(m[1]) if m[1].isdigit() else _NUMBERS[m[1]]
        return meeting + timedelta(days=n * (7 if m[2] == "week" else 1))
    for name, index in _WEEKDAYS.items():
        if re.search(rf"\b{name}\b", text):
            if re.search(rf"\bnext {name}\b", text):
                return monday + timedelta(days=7 + index)  # that day of next week
            # "by Wednesday" said on a Wednesday means next week's.
            return meeting + timedelta(days=(index - meeting.weekday()) % 7 or 7)
    return None


def _next_date(day: int, month: int, meeting: date) -> date | None:
    """That day and month on or after the meeting (a date said in December for January is next year's)."""
    for year in (meeting.year, meeting.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            return None
        if candidate >= meeting:
            return candidate
    return None


def _month_end(year: int, month: int) -> date:
    first_next = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first_next - timedelta(days=1)
