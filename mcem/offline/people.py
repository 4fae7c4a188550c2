"""Who speaks for the customer, who leads for Microsoft, and which company the customer is.

Sides come from the meeting context (``--internal`` names, Graph attendees). When nothing names
the internal side, a documented heuristic decides, and the analysis says what it assumed:

1. A speaker who speaks *as* Microsoft ("we at Microsoft", "I'm from Microsoft", "our account
   team", "my name is ... account executive") at least ``_MS_VOICE_MIN`` times is internal.
2. Colleagues such a speaker introduces early on ("with me from Microsoft are Daniel ... Marcus joins
   us from Adatum Consulting, our partner") are internal too; one introduced as from a partner company
   (or who says so of themselves) is the partner, a side of its own for naming owners.
3. Otherwise everyone is treated as the customer. Asking many questions or naming a Microsoft product
   ("an Excel sheet") is no evidence of speaking for Microsoft, so such a meeting is no engagement.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from mcem.context import MeetingContext
from mcem.model import Side
from mcem.offline.lexicon import words
from mcem.parsing.common import UNKNOWN_SPEAKER
from mcem.transcript import Transcript

_MS_VOICE = re.compile(
    r"\b(?:we at microsoft|here at microsoft|i(?:'m| am) (?:with|from|at) microsoft"
    r"|i work (?:at|for) microsoft"
    r"|on the microsoft side|from the microsoft (?:side|team)|our account team|microsoft account team"
    r"|i(?:'m| am) (?:your|the) (?:account executive|customer success account manager|csam"
    r"|solution specialist|customer success architect|cloud solution architect)"
    r"|my role (?:at|with) microsoft|we at the microsoft|with me from microsoft"
    r"|microsoft (?:account executive|account manager|solution specialist|technical specialist"
    r"|customer success|cloud solution architect|partner manager))\b",
    re.IGNORECASE,
)
_MS_VOICE_MIN = 1
# "I'm from Adatum, the Microsoft partner", "we're the partner on this project": the partner's own voice.
_PARTNER_VOICE = re.compile(
    r"\b(?:i(?:'m| am)|we(?:'re| are))\b[^.?!]{0,60}\b(?:microsoft partner|your partner|the partner|partner "
    r"(?:for|on|that|who) (?:this|the)|(?:implementation|delivery) partner)\b",
    re.IGNORECASE,
)
_ORG = r"([A-Z][\w&'-]*(?:\s+[A-Z][\w&'-]*){0,3})"
_FROM_ORG = re.compile(r"\bfrom ([A-Z][\w&'-]*(?: [A-Z][\w&'-]*){0,2})")
_PARTNER_INTRO = re.compile(
    rf"\bfrom {_ORG},? (?:our|the|a|your|their) (?:\w+ )?partner\b|\bpartner,? {_ORG}\b"
)
_INTRO = re.compile(
    r"\b(?:from microsoft|with me|joins us|joining us|our partner|my colleague|partner|is our|are our"
    r"|leading the build|building (?:it|this) (?:for|with) you)",
    re.IGNORECASE,
)
_INTRO_UTTERANCES = 10

_VENDOR_WORDS = words(
    """microsoft azure teams copilot office outlook sharepoint excel word power dynamics windows
    aws amazon google salesforce sap oracle servicenow snowflake databricks workday zoom slack ibm
    accenture deloitte"""
)
_NOT_COMPANIES = words(
    """i the a an we our this that it monday tuesday wednesday thursday friday saturday sunday
    january february march april may june july august september october november december
    first last next okay so and but then now here there home least all once some times work
    one two three four five six the end this point the moment"""
)
# "here at Contoso", "we at Fabrikam", "I work for Northwind Traders", "Contoso's", "our company, Contoso"
_COMPANY_CUES = re.compile(
    r"\b(?i:here at|we at|us at|work (?:at|for)|working (?:at|for)|join(?:ed|ing)? (?:at|from)"
    r"|our company,?|company called|team at|i'm from|i am from|we're from|we are from"
    r"|(?:officer|director|manager|head of \w+|engineer|architect|president|ceo|cto|cio|cfo|coo|ciso) at"
    r"|(?:account executive|account manager|account team|success account manager) for)\s+"
    r"((?:[A-Z][\w&'-]*)(?:\s+(?:[A-Z][\w&'-]*|&|of))*)",
)


@dataclass(frozen=True)
class People:
    sides: dict[str, Side]
    words: dict[str, int]
    assumption: str = ""  # said in the document when sides were guessed
    customer: list[str] = field(default_factory=list)
    internal: list[str] = field(default_factory=list)
    partners: dict[str, str] = field(default_factory=dict)  # partner speaker -> their company

    def is_customer(self, speaker: str) -> bool:
        return self.sides.get(speaker) is Side.customer

    def top(self, side: Side) -> str:
        names = [s for s, v in self.sides.items() if v is side]
        return max(names, key=lambda n: (self.words.get(n, 0), -list(self.sides).index(n)), default="")


def resolve(transcript: Transcript, context: MeetingContext) -> People:
    speakers = transcript.speakers
    words: Counter[str] = Counter()
    for u in transcript.utterances:
        words[u.speaker] += len(u.text.split())
    sides = {s: context.side_of(s) for s in speakers if s != UNKNOWN_SPEAKER}
    assumption = ""
    if all(v is Side.unknown for v in sides.values()):
        sides, assumption = _guess_sides(transcript, speakers)
    else:
        # Someone the context does not know, in a meeting where sides are partly known.
        sides = {s: (Side.customer if v is Side.unknown else v) for s, v in sides.items()}
    if UNKNOWN_SPEAKER in speakers:
        # Speech Teams could not attribute may be either side: never quoted as the customer.
        sides[UNKNOWN_SPEAKER] = Side.unknown
    internal = [s for s in speakers if sides[s] is Side.internal]
    partners = _partners(transcript, internal)
    if assumption and internal:
        assumption = _sides_guessed(internal, partners)
    return People(
        sides=sides,
        words=dict(words),
        assumption=assumption,
        customer=[s for s in speakers if sides[s] is Side.customer],
        internal=internal,
        partners=partners,
    )


def _sides_guessed(internal: list[str], partners: dict[str, str]) -> str:
    """The note on guessed sides; a partner's people are named with their company, not as Microsoft."""
    microsoft = [s for s in internal if s not in partners]
    said = []
    if microsoft:
        said.append(
            f"{join_names(microsoft)} {'is' if len(microsoft) == 1 else 'are'} taken as the Microsoft side"
        )
    by_company: dict[str, list[str]] = {}
    for person, company in partners.items():
        by_company.setdefault(company, []).append(person)
    for company, people in by_company.items():
        said.append(f"{join_names(people)} as {company} (the partner)")
    return (
        f"Nobody was named as Microsoft staff, so, from what they said in the call, {'; '.join(said)}; "
        "everyone else is treated as the customer."
    )


def _guess_sides(transcript: Transcript, speakers: list[str]) -> tuple[dict[str, Side], str]:
    speakers = [s for s in speakers if s != UNKNOWN_SPEAKER]
    voice: Counter[str] = Counter()
    for u in transcript.utterances:
        voice[u.speaker] += len(_MS_VOICE.findall(u.text)) + len(_PARTNER_VOICE.findall(u.text))
    internal = [s for s in speakers if voice[s] >= _MS_VOICE_MIN]
    internal += _introduced(transcript, speakers, internal)
    if internal and len(internal) < len(speakers):
        why = (
            f"Nobody was named as Microsoft staff, so {join_names(internal)} "
            f"{'is' if len(internal) == 1 else 'are'} taken as the Microsoft side (speaking for "
            "Microsoft in the call); everyone else is treated as the customer."
        )
    else:
        internal = []
        why = (
            "Nobody was named as Microsoft staff and no speaker said they speak for Microsoft or its "
            "partner, so every speaker is treated as the customer."
        )
    sides = {s: (Side.internal if s in internal else Side.customer) for s in speakers}
    return sides, why


def _partners(transcript: Transcript, internal: list[str]) -> dict[str, str]:
    """Internal speakers who speak for a partner company, with that company ("Adatum Consulting")."""
    out: dict[str, str] = {}
    for u in transcript.utterances[: 2 * _INTRO_UTTERANCES]:
        for sentence in re.split(r"(?<=[.!?])\s+", u.text):
            m = _PARTNER_INTRO.search(sentence)
            if m is None and u.speaker in internal:
                # "Nadia Karimi from Proseware is leading the build": a colleague from another company.
                m = _FROM_ORG.search(sentence)
            if m is None:
                continue
            org = next((g for g in m.groups() if g), "").strip()
            if not org or org.split()[0] in ("Microsoft", "The", "Our"):
                continue
            from_org = m.re is _FROM_ORG
            for s in internal:
                named = s.split()[0] in sentence.split() or s in sentence
                if from_org:
                    named = re.search(
                        rf"\b{re.escape(s.split()[0])}(?: [\w'’-]+)? from {re.escape(org)}", sentence
                    )
                own = s == u.speaker and re.search(r"\b(?:I'm|I am|we're|we are)\b", sentence)
                if (named and s != u.speaker) or own:
                    out.setdefault(s, org)
    return out


def _introduced(transcript: Transcript, speakers: list[str], internal: list[str]) -> list[str]:
    """Colleagues a Microsoft speaker introduces early on ("with me from Microsoft are Daniel ...")."""
    if not internal:
        return []
    found: list[str] = []
    for u in transcript.utterances[:_INTRO_UTTERANCES]:
        if u.speaker not in internal or not _INTRO.search(u.text):
            continue
        words = set(re.findall(r"[\w'’-]+", u.text))
        for s in speakers:
            if s not in internal and s not in found and s.split()[0] in words:
                found.append(s)
    return found


def guess_company(transcript: Transcript, people: People, context: MeetingContext) -> str:
    """The context's company, else the organisation named most after a cue ("we at", "CIO at"), else ''."""
    if context.company.strip():
        return context.company.strip()
    speaker_words = {w.casefold() for s in people.sides for w in s.split()}
    counts: Counter[str] = Counter()
    for u in transcript.utterances:
        for m in _COMPANY_CUES.finditer(u.text):
            name = _trim_name(m.group(1))
            if not name:
                continue
            first = name.split()[0].casefold()
            if first in _NOT_COMPANIES or first in _VENDOR_WORDS or first in speaker_words:
                continue
            counts[name] += 1
    if not counts:
        return ""

    # "Fabrikam" and "Fabrikam Logistics" are one company: the fuller name collects both counts.
    def weight(name: str) -> tuple[int, int]:
        total = sum(n for other, n in counts.items() if f"{name} ".startswith(f"{other} "))
        return total, len(name)

    return max(counts, key=weight)


def _trim_name(raw: str) -> str:
    words = raw.replace("'s", "").split()
    while words and words[-1] in ("&", "of"):
        words.pop()
    return " ".join(words[:4])


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


_TITLE = r"((?:[A-Z][\w&'-]*)(?:\s+(?:[A-Z][\w&'-]*|&|of))*)"


def guess_roles(transcript: Transcript, limit: int = 20) -> dict[str, str]:
    """Job titles people give early in the call: "I'm Helen Whitaker, Chief Information Officer at ..."
    for themselves, or "Daniel, our Solution Specialist" for a colleague."""
    speakers = transcript.speakers
    firsts = {s.split()[0]: s for s in speakers}
    roles: dict[str, str] = {}
    for u in transcript.utterances[:limit]:
        names = "|".join(re.escape(n) for n in (u.speaker, u.speaker.split()[0]))
        own = re.search(rf"\bI(?:'m|’m| am) (?:{names}),? (?:the |your |a |an )?{_TITLE}", u.text)
        # "I'm Sam Patel from Microsoft" must not read as the title "Patel" after the first name.
        if own and u.speaker not in roles and own.group(1).split()[0] not in u.speaker.split():
            roles[u.speaker] = _clean_title(own.group(1))
        for first, full in firsts.items():
            if full == u.speaker or full in roles:
                continue
            m = re.search(rf"\b{re.escape(first)},? (?:our|your|the) {_TITLE}", u.text)
            if m:
                roles[full] = _clean_title(m.group(1))
    return {k: v for k, v in roles.items() if v}


def _clean_title(raw: str) -> str:
    words = raw.split()
    if words and words[0] in ("I", "I'm", "We", "We're", "It", "The"):
        return ""  # "I'm Siobhan Kelly, I run customer operations": no title said
    while words and words[-1] in ("&", "of"):
        words.pop()
    return " ".join(words[:6])
