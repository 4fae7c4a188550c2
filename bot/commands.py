"""What the user typed (mention already removed) -> one of the bot's commands.

Pure and synchronous: the handlers call ``parse_command`` and act on the result. Anything that
is not a known command becomes ``Help`` so the user always gets an answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

__all__ = [
    "Account",
    "AnalyzeLast",
    "AnalyzeMatching",
    "Command",
    "Help",
    "ListMeetings",
    "Refresh",
    "parse_command",
]


@dataclass(frozen=True)
class AnalyzeLast:
    """``analyze last meeting``: the user's most recent meeting."""


@dataclass(frozen=True)
class AnalyzeMatching:
    """``analyze <subject words or a date>``: the newest meeting matching both, when given."""

    words: str = ""
    on: date | None = None


@dataclass(frozen=True)
class ListMeetings:
    """``meetings``: a card of recent meetings that have transcripts."""


@dataclass(frozen=True)
class Refresh:
    """``refresh``: the summary card again, rebuilt from the user's latest draft as edited in SharePoint."""


@dataclass(frozen=True)
class Account:
    """``account <company>``: where the account stands across its analysed calls (bot/account.py)."""

    company: str = ""  # "" when the user named none


@dataclass(frozen=True)
class Help:
    """``help``, and anything the bot does not understand."""

    unknown: str = ""  # what the user typed, when it was not a command


Command = AnalyzeLast | AnalyzeMatching | ListMeetings | Refresh | Account | Help

_ANALYZE = re.compile(r"^(?:analy[sz]e|summari[sz]e)\b(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_LAST = re.compile(
    r"^(?:the\s+|my\s+)?(?:last|latest|most\s+recent|previous)(?:\s+(?:meeting|call|interview))?$",
    re.IGNORECASE,
)
_MEETINGS = re.compile(
    r"^(?:meetings|list(?:\s+meetings)?|(?:my\s+|recent\s+|list\s+(?:my\s+)?)meetings)$", re.IGNORECASE
)
_REFRESH = re.compile(
    r"^(?:refresh|reload)(?:\s+(?:the\s+|my\s+)?(?:card|draft|summary|analysis|document))?$", re.IGNORECASE
)
_ACCOUNT = re.compile(
    r"^(?:account|accounts|account brief|history)(?:\s+(?:for|of|with))?\b(?P<rest>.*)$", re.I
)
_HELP = re.compile(r"^(?:help|\?|hi|hello|start)$", re.IGNORECASE)

# Words that only glue a request together ("analyze the call with Contoso on 3 March").
_FILLER = frozenset({"the", "my", "meeting", "call", "on", "from", "of", "with", "about", "for", "a", "an"})

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_WORDS = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH_WORDS})\.?(?:,?\s+(\d{{4}}))?\b", re.I)
_MONTH_DAY = re.compile(rf"\b({_MONTH_WORDS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(\d{{4}}))?\b", re.I)
_RELATIVE = re.compile(r"\b(today|yesterday|" + "|".join(_WEEKDAYS) + r")\b", re.IGNORECASE)


def parse_command(text: str | None, *, today: date) -> Command:
    """Read one chat message. ``today`` resolves relative dates ("yesterday", "monday")."""
    cleaned = " ".join((text or "").split()).strip(" .!?")
    if not cleaned:
        return Help()
    if _HELP.match(cleaned):
        return Help()
    if _MEETINGS.match(cleaned):
        return ListMeetings()
    if _REFRESH.match(cleaned):
        return Refresh()
    account = _ACCOUNT.match(cleaned)
    if account:
        return Account(company=account.group("rest").strip(' :,.!?"“”'))
    match = _ANALYZE.match(cleaned)
    if not match:
        return Help(unknown=cleaned)
    rest = match.group("rest").strip(" .!?:")
    if not rest or _LAST.match(rest):
        return AnalyzeLast()
    on, rest = _take_date(rest, today)
    words = " ".join(w for w in rest.split() if w.casefold().strip(",.") not in _FILLER)
    if not words and on is None:
        return AnalyzeLast()
    return AnalyzeMatching(words=words.strip(" ,."), on=on)


def _take_date(text: str, today: date) -> tuple[date | None, str]:
    """The first date in ``text`` and the text without it; (None, text) when there is none."""
    for pattern, build in (
        (_ISO, lambda m: (int(m[1]), int(m[2]), int(m[3]))),
        (_DAY_MONTH, lambda m: (_year(m[3], today), _MONTHS[m[2].lower()], int(m[1]))),
        (_MONTH_DAY, lambda m: (_year(m[3], today), _MONTHS[m[1].lower()], int(m[2]))),
    ):
        found = pattern.search(text)
        if found:
            try:
                year, month, day = build(found)
                when = date(year, month, day)
            except ValueError:
                continue  # "31 February": not a date, leave the words as they are
            if found.re is not _ISO and found[3] is None and when > today:
                when = when.replace(year=when.year - 1)  # "3 December" said in March means last year
            return when, _cut(text, found)
    found = _RELATIVE.search(text)
    if found:
        word = found[1].lower()
        if word == "today":
            when = today
        elif word == "yesterday":
            when = today - timedelta(days=1)
        else:
            back = (today.weekday() - _WEEKDAYS.index(word)) % 7
            when = today - timedelta(days=back)
        return when, _cut(text, found)
    return None, text


def _year(text: str | None, today: date) -> int:
    return int(text) if text else today.year


def _cut(text: str, found: re.Match[str]) -> str:
    return " ".join((text[: found.start()] + " " + text[found.end() :]).split())
