"""What was agreed, asked for, decided and feared: read from every speaker's sentences, before any prose.

Commitments ("I'll bring our licensing specialist to a call next week", "We'll have it to you by the
twelfth of December"), requests ("I'd like Marcus to send a proposal before Christmas", "can you ...",
"show us ..."), the wrap-up list ("Next steps from our side: Marcus sends ..., Daniel sets up ...") and
third-person plans ("Karen will join") become next steps with the owner and the due date as said.
Decisions are what was agreed, decided or is pending ("Robert will make a decision in January").
Risks are what threatens the engagement: a competitor the customer rates well, a blocker (a freeze, a
budget not approved, a sceptic), a sharp complaint about Microsoft.

Everything keeps the sentence it rests on (``Sentence``), so verification checks it like any quote.
Owners are resolved to the speaker's full name when a first name matches a speaker ("Marcus" ->
"Marcus Lee"); "I" is the speaker and "we" the speaker's side ("Microsoft (Priya Raman)").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from mcem.offline.scoring import Sentence

# --- due dates, as said --------------------------------------------------------------------------

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)"
)
_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_ORDINAL = (
    r"(?:\d{1,2}(?:st|nd|rd|th)?|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth"
    r"|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth"
    r"|twentieth|twenty-\w+|thirtieth|thirty-first)"
)
_COUNT = r"(?:\d+|a|one|two|three|four|five|six|seven|eight|nine|ten|a couple of|a few)"
_WHEN = (
    rf"{_DAY} the {_ORDINAL}|the (?:first|second|third|last) week|"
    rf"the {_ORDINAL}(?! of)(?!\s+(?:week|month|day|sprint|quarter|time|one|thing|wave|phase|half))"
    rf"|the {_MONTH} (?:(?:budget|board|planning|release) )?(?:review|meeting|board|steering committee|QBR"
    r"|round|cycle|deadline|workshop|planning|release|offsite)"
    r"|the next (?:budget cycle|review|meeting|call|steering committee|board meeting|QBR|sprint)|"
    rf"(?:the )?(?:end of (?:the )?)?(?:(?:next|this|the coming|the following) )?(?:{_DAY}|week|month|quarter"
    rf"|year|sprint|weekend)"
    rf"|(?:the )?{_ORDINAL} of {_MONTH}|{_MONTH} {_ORDINAL}|{_ORDINAL} {_MONTH}"
    rf"|(?:the )?(?:end of |early |mid-?|late |the middle of )?{_MONTH}(?: \d{{4}})?"
    r"|(?:the )?end of (?:the )?(?:day|week|month|quarter|year|Q[1-4])|Q[1-4](?: next year)?|Christmas"
    r"|the (?:spring|summer|autumn|fall|winter)|tomorrow|today|tonight|(?:the )?next (?:few )?days"
    rf"|{_COUNT} (?:days?|weeks?|months?)(?: from now)?"
)
DUE = re.compile(
    rf"\b(?:(?:by|before|until|no later than|in|on|at|within|for|after|from|during|over) )?(?:{_WHEN})\b"
    r"|\bnext (?:week|month|quarter|year|Monday|Tuesday|Wednesday|Thursday|Friday)\b",
    re.IGNORECASE,
)
# "next year" as a horizon ("the rollout for next year") is no due date for a step; a preposition is.
_WEAK_DUE = re.compile(
    r"^(?:next|this) (?:year)$|^(?:the )?(?:week|month|quarter|year|sprint|weekend|day)$"
    r"|^the (?:first|second|third)$",
    re.I,
)


# "every Thursday", "each month": a rhythm, not a date the step is due by.
_RECURRING = re.compile(r"\b(?:every|each)\s+(?:other\s+)?$", re.I)
# A bare span ("a month of alert data", "we propose six weeks", "during the six weeks") measures an
# amount or a length; only "in two weeks", "within a month" or "two weeks from now" say when.
_SPAN = re.compile(rf"^(?:(?:for|during|over|after|from|on|at) )?{_COUNT} (?:days?|weeks?|months?)$", re.I)


def due_in(text: str) -> str | None:
    """The first due-date phrase, with its preposition ("by the twelfth of December"), or None."""
    for m in DUE.finditer(text):
        phrase = m.group(0).strip()
        bare = re.sub(
            r"^(?:by|before|until|no later than|in|on|at|within|for|after|from|during|over) ", "", phrase
        )
        if _WEAK_DUE.match(bare) or re.match(r"for the (?:first|second|third)\b", phrase):
            continue
        if _RECURRING.search(text[: m.start()]) or _SPAN.match(phrase):
            continue
        if re.fullmatch(rf"the {_DAY}", phrase, re.I) and re.match(r"\s+[a-z]", text[m.end() :]):
            continue  # "the Thursday check-ins" names the meeting, not when it is due
        return phrase
    return None


# --- the people a step can belong to -------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    """Who is who, for naming owners: speakers, their sides and the partner's company."""

    speakers: list[str]
    internal: frozenset[str]  # Microsoft and partner speakers
    partners: dict[str, str]  # partner speaker -> their company
    customer_org: str
    engaged: bool = True  # False: nobody speaks for Microsoft, so no step is addressed to it

    def full(self, name: str) -> str:
        """'Marcus' -> 'Marcus Lee' when a speaker has that first name; otherwise as said."""
        first = name.split()[0]
        matches = [s for s in self.speakers if s.split()[0] == first]
        return matches[0] if len(matches) == 1 and len(name.split()) == 1 else name

    def side_name(self, speaker: str) -> str:
        if speaker in self.partners:
            return self.partners[speaker]
        if speaker in self.internal:
            return "Microsoft"
        return self.customer_org or "the customer"

    def we(self, speaker: str) -> str:
        return f"{self.side_name(speaker)} ({speaker})" if self.engaged else speaker

    def other_side(self, speaker: str) -> str:
        """Who a request is addressed to when it names nobody: the other side of the table."""
        if not self.engaged:
            return ""
        return "Microsoft" if speaker not in self.internal else (self.customer_org or "the customer")


# --- records -------------------------------------------------------------------------------------


@dataclass
class Step:
    action: str
    owner: str
    due: str | None
    sentence: Sentence
    kind: str  # "commitment", "request", "wrap-up", "plan"
    weight: float = 1.0
    side: str = ""  # whose side owns it: "Microsoft", the partner's company or the customer's


@dataclass
class Decided:
    text: str
    sentence: Sentence


@dataclass
class Threat:
    text: str
    sentence: Sentence
    weight: float
    competitor: str = ""


@dataclass
class Finished:
    """Work a speaker reports as done: what a later call says about an earlier call's next step."""

    action: str
    owner: str
    sentence: Sentence


@dataclass
class Records:
    steps: list[Step] = field(default_factory=list)
    decisions: list[Decided] = field(default_factory=list)
    risks: list[Threat] = field(default_factory=list)
    done: list[Finished] = field(default_factory=list)


# Verbs that make a step ("send", "set up"); a sentence without one is talk, not an action.
_VERBS = (
    "send|share|set up|setup|schedule|book|bring|ask|review|build|prepare|deliver|provide|follow up|check"
    "|confirm|arrange|scope|draft|write|organise|organize|run|show|demo|demonstrate|connect|introduce|invite"
    "|add|update|look into|get back|come back|put|make sure|fix|escalate|deploy|move|start|finish|test"
    "|validate|publish|present|plan|map|document|help|join|talk|call|meet|sign|approve|circulate|loop in"
    "|email|have it|get you|get it|give|walk|train|extend|open|create|set|compare|price|quote|reach out"
    "|find|send over|take|recommend|propose|benchmark|pilot|migrate|run through|submit|raise|clarify"
    "|look at|have|do|deploy|re-test|retest|archive|tag|sign off|export|tell|own|sort|split|quarantine"
)
_VERB = rf"(?:{_VERBS})"
_THIRD = {"sends": "send", "sets": "set", "builds": "build", "brings": "bring", "shares": "share",
          "reviews": "review", "prepares": "prepare", "runs": "run", "books": "book", "schedules": "schedule",
          "asks": "ask", "writes": "write", "drafts": "draft", "delivers": "deliver", "provides": "provide",
          "checks": "check", "confirms": "confirm", "arranges": "arrange", "scopes": "scope",
          "organises": "organise", "organizes": "organize", "shows": "show", "adds": "add",
          "updates": "update",
          "follows": "follow", "puts": "put", "makes": "make", "fixes": "fix", "joins": "join",
          "talks": "talk", "calls": "call", "meets": "meet", "starts": "start", "creates": "create",
          "gets": "get", "takes": "take", "walks": "walk", "invites": "invite", "introduces": "introduce",
          "sends over": "send over", "loops": "loop", "looks": "look", "comes": "come",
          "proposes": "propose", "plans": "plan", "tests": "test", "presents": "present"}  # fmt: skip
_THIRD_VERB = "|".join(sorted(_THIRD, key=len, reverse=True))

_COMMIT = re.compile(
    rf"\b(?P<who>I|we)(?:'ll| will|'re going to| are going to|'m going to| am going to| can| shall"
    r"| committed to| promised to| owe you| need to)"
    rf"(?: (?:also|then|personally|definitely|quickly|first))? (?P<act>{_VERB}\b.*)",
    re.IGNORECASE,
)
_LET_ME = re.compile(rf"\blet me (?P<act>{_VERB}\b.*)", re.IGNORECASE)
_BUSY = re.compile(
    r"\b(?P<who>we|I)(?:'re| are|'m| am) (?P<act>(?:adding|building|preparing|sending|setting up|scheduling"
    r"|drafting|writing|organising|organizing|finishing|updating|moving|testing|rolling out|arranging)\b.*)",
    re.IGNORECASE,
)
_ASK_NAMED = re.compile(
    rf"\b(?:I'd|I would|we'd|we would) (?:like|love|want) (?P<who>[A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?"
    rf"|you|Microsoft"
    rf"|your team|the partner) to (?P<act>{_VERB}\b.*)"
)
_ASK_THING = re.compile(
    r"\b(?:I'd|I would|we'd|we would) (?:like|love) (?P<act>(?:a|an|the|some|our|your) [\w' -]*?"
    r"(?:sponsor|specialist|proposal|session|workshop|review|demo|call|meeting|plan|estimate|quote|offer"
    r"|roadmap|dashboard|report|answer|contact|owner|architect|engineer|vice president|executive)\b.*)",
    re.IGNORECASE,
)
_VOCATIVE = re.compile(
    rf"(?:^|\. )(?P<who>[A-Z][\w'’-]+), (?:can|could|would|will) (?:you|your (?P<team>[\w ]{{1,30}}?)) "
    rf"(?:please )?(?P<act>{_VERB}\b[^?]*)\??"
)
_SELF_WISH = re.compile(
    r"\bI(?:'d| would) like to "
    r"(?!talk|know|hear|understand|say|see|think|add|thank|start|move|step|go\b|look)"
    rf"(?P<act>{_VERB}\b.*)",
    re.IGNORECASE,
)
_ASK_YOU = re.compile(
    rf"\b(?:can|could|would|will) you (?:please )?(?P<act>{_VERB}\b[^?]*)\??", re.IGNORECASE
)
_PLEASE = re.compile(rf"(?:^|, )please (?P<act>{_VERB}\b.*)", re.IGNORECASE)
_SHOW_US = re.compile(r"(?:^|, )(?P<act>(?:show|send|give|tell) us\b.*)", re.IGNORECASE)
_WANT_SEE = re.compile(r"\bI (?:want|need) to see (?P<act>.+)", re.IGNORECASE)
_NAMED_WILL = re.compile(
    rf"\b(?P<who>[A-Z][a-z]+(?: [A-Z][\w'’-]+)?) (?:will|is going to|is to) (?P<act>{_VERB}\b.*)"
)
_WRAP = re.compile(r"\b(?:next steps?|action items?|to recap|to sum up|to"
    r" summari[sz]e)\b[^:]*:\s*(?P<list>.+)",
                   re.IGNORECASE)  # fmt: skip
_WRAP_ITEM = re.compile(
    rf"^(?:and )?(?P<who>[A-Z][a-z]+(?: [A-Z][\w'’-]+)?) (?P<verb>{_THIRD_VERB})\b(?P<rest>.*)"
)
_NOT_OWNERS = frozenset(
    [
        "I",
        "We",
        "It",
        "This",
        "That",
        "The",
        "There",
        "He",
        "She",
        "They",
        "You",
        "If",
        "And",
        "But",
        "So",
        "Then",
        "Today",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Microsoft",
        "Which",
        "When",
        "What",
        "Nobody",
        "Everyone",
        "Somebody",
        "Someone",
        "One",
    ]
)
# Commitments that are talk, not action: "I'll say", "I'll be honest", "we'll see".
_TALK = re.compile(
    r"^(?:say|tell you|be honest|repeat|admit|see|need|never|always|probably|just say|also say|keep it short"
    r"|put it|get there|have to)\b",
    re.IGNORECASE,
)
_CUT = re.compile(
    r"\s*(?:,\s*(?:so|because|which|but|as|since|and then|if)\b|\s(?:so that|because)\s"
    r"|\sso (?=(?:everyone|everybody|we|you|they|he|she|I|it)\s)).*$",
    re.I,
)


def _action(text: str, due: str | None) -> str:
    """The clause as an action: cut at a reason or aside, without the due phrase, capitalised."""
    act = _CUT.sub("", text).strip(" ,.;:!?")
    if due:
        act = re.sub(rf"\s*,?\s*{re.escape(due)}\b", "", act, flags=re.IGNORECASE).strip(" ,.;:")
        # "in a few weeks, not a few months": without its date the contrast is left hanging.
        act = re.sub(r",\s*not\s+(?:a|an|the|in|by|within)\b[^,]*$", "", act, flags=re.IGNORECASE)
    return act[:1].upper() + act[1:] if act else ""


# "We'll have four weeks of data by the committee" forecasts a wait; "have a first version of the
# dashboard by the end of the sprint" promises work.
_HAVE_WAIT = re.compile(
    r"have (?:a |an |the )?(?:full |whole |first |few |couple of )?(?:\w+ )?"
    r"(?:days?|weeks?|months?|quarters?|years?|sprints?) (?:of|worth)\b",
    re.IGNORECASE,
)


def _add(out: list[Step], raw: str, owner: str, s: Sentence, kind: str, weight: float, due_from: str) -> None:
    due = due_in(due_from)
    action = _action(raw, due)
    if len(action.split()) < 2 or _TALK.match(raw):
        return
    if re.match(r"(?:have|do|own|tell)\b", action, re.I) and due is None:
        return  # "I'll have a lot of questions": only a date makes it a promise
    if _HAVE_WAIT.match(action):
        return  # it gives nobody work
    out.append(Step(action, owner, due, s, kind, weight))


_COUNTED = re.compile(
    r"\b(?:two|three|four|five|a few|some) (?:things|conditions|points|requirements)\b", re.I
)


def _gist(text: str) -> str:
    """The listed items in short: the sentence itself is quoted elsewhere, so its words are not repeated
    whole — each item keeps its first few words."""
    items = [i.strip(" .") for i in re.split(r",\s*(?:and\s+)?|\s+and\s+", text) if i.strip(" .")]
    short = [" ".join(i.split()[:6]) + ("…" if len(i.split()) > 6 else "") for i in items]
    return "; ".join(short)


def steps_of(sentences: list[Sentence], cast: Cast) -> list[Step]:
    """Every step in a run of sentences, owners' sides set; "I want three things in writing" takes the
    sentence that lists them."""
    out: list[Step] = []
    last = max((s.utterance for s in sentences), default=0)
    for k, s in enumerate(sentences):
        found = steps_in(s, cast)
        if not found:
            # The closing wrap-up is the account team's (anyone's, when no one speaks for Microsoft).
            closing = s.utterance >= 0.85 * last and (s.speaker in cast.internal or not cast.engaged)
            found = plans_in(s, cast, wrap_up=closing)
        nxt = sentences[k + 1] if k + 1 < len(sentences) else None
        for step in found:
            if _COUNTED.search(step.action) and nxt is not None and nxt.utterance == s.utterance:
                step.action = f"{step.action.rstrip('.')}: {_gist(nxt.text)}"
            person = step.owner.split(" (")[0]
            step.side = cast.side_name(person) if person in cast.speakers else person
        listed = not found and _COUNTED.search(s.text) and nxt is not None and nxt.utterance == s.utterance
        if listed and nxt is not None and re.search(r"\b(?:I|we) (?:want|need|expect)\b", s.text):
            to = cast.other_side(s.speaker)
            action = f"Put in writing: {_gist(nxt.text)}"
            out.append(Step(action, to, due_in(s.text), s, "request", 2.0, to))
        out += found
    return out


def steps_in(s: Sentence, cast: Cast) -> list[Step]:
    """The next steps one sentence holds (most hold none)."""
    text = s.text
    if text.rstrip().endswith("?") and not _ASK_YOU.search(text):
        return []
    out: list[Step] = []
    wrap = _WRAP.search(text)
    if wrap:
        for part in re.split(r",\s*(?:and\s+)?|\s+and\s+(?=[A-Z]|I\b)", wrap.group("list")):
            m = _WRAP_ITEM.match(part.strip())
            if m and m.group("who") not in _NOT_OWNERS:
                verb = _THIRD[m.group("verb")]
                _add(out, verb + m.group("rest"), cast.full(m.group("who")), s, "wrap-up", 3.0, part)
                continue
            c = _COMMIT.search(part)
            if c:
                owner = s.speaker if c.group("who").lower() == "i" else cast.we(s.speaker)
                _add(out, c.group("act"), owner, s, "wrap-up", 3.0, part)
        if out:
            return out
    m = _VOCATIVE.search(text)
    if m:
        who = cast.full(m.group("who"))
        owner = f"{who}'s {m.group('team')}" if m.group("team") else who
        _add(out, m.group("act"), owner, s, "request", 2.5, text)
        return out
    for pattern, kind, weight in ((_ASK_NAMED, "request", 2.5),):
        m = pattern.search(text)
        if m:
            who = m.group("who")
            owner = cast.other_side(s.speaker) if who.lower() in ("you", "your team") else cast.full(who)
            _add(out, m.group("act"), owner, s, kind, weight, text)
            return out
    m = _COMMIT.search(text) or _BUSY.search(text)
    if m:
        owner = s.speaker if m.group("who").lower() == "i" else cast.we(s.speaker)
        can = m.re is _COMMIT and re.search(r"\bcan\b", m.group(0), re.I)
        if can and m.group("who").lower() == "we" and s.speaker not in cast.internal and due_in(text) is None:
            return out  # "we can do that ourselves": a customer's ability, not a promise
        _add(out, m.group("act"), owner, s, "commitment", 2.0 if m.re is _COMMIT else 1.5, text)
        return out
    m = _SELF_WISH.search(text)
    if m:
        _add(out, m.group("act"), s.speaker, s, "commitment", 1.8, text)
        return out
    m = _LET_ME.search(text)
    if m:
        _add(out, m.group("act"), s.speaker, s, "commitment", 2.0, text)
        return out
    m = _ASK_THING.search(text)
    if m:
        act = m.group("act")
        owner = "Microsoft" if re.search(r"\bMicrosoft\b", act) else cast.other_side(s.speaker)
        _add(out, "Provide " + act, owner, s, "request", 2.0, text)
        return out
    for pattern in (_ASK_YOU, _PLEASE, _SHOW_US, _WANT_SEE):
        m = pattern.search(text)
        if m:
            act = m.group("act")
            if pattern is _WANT_SEE:
                act = "Show " + act
            _add(out, act, cast.other_side(s.speaker), s, "request", 1.5, text)
            return out
    m = _NAMED_WILL.search(text)
    if m and m.group("who").split()[0] not in _NOT_OWNERS and not _DECIDE.search(text):
        _add(out, m.group("act"), cast.full(m.group("who")), s, "plan", 1.5, text)
    return out


# --- decisions -----------------------------------------------------------------------------------

_DECIDE = re.compile(
    r"\b(?:will|is going to|has to|must) (?:make (?:a|the) decision|decide)\b", re.IGNORECASE
)
_DECISIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?:^|[,;] |\band |\bso |\bI think )we (?:all )?agreed (?:early |together |then"
        r" )?(?:on |that |to )?"
                r"(?P<rest>.+)", re.I), "Agreed: {rest}"),
    (re.compile(r"\bwe(?:'ve| have)? decided (?:to |that |on )?(?P<rest>.+)", re.I), "Decided: {rest}"),
    (re.compile(r"\b(?:we(?:'re| are) going with|we chose|we(?:'ve| have) chosen) (?P<rest>.+)", re.I),
     "Chosen: {rest}"),
    (re.compile(r"\b(?P<who>[A-Z][a-z]+(?: [A-Z][\w'’-]+)?) (?:will|is going to|has to|must) (?:make"
        r" (?:a|the) "
                r"decision|decide)(?P<rest>.*)"), "{who} decides{rest}"),
    (re.compile(r"\b(?:the|that|our) decision (?:will )?depends? on (?P<rest>.+)", re.I),
     "The decision depends on {rest}"),
    (re.compile(r"\b(?P<body>the [\w -]*(?:committee|board|steering group|council)) meets (?P<rest>.+)",
                re.I), "Decision point: {body} meets {rest}"),
    (re.compile(r"^(?:(?:so|then|okay|ok|right),? )?let's (?P<rest>(?!talk|move|start|go|look|walk"
        r"|see|wrap|get)\w.+)",
                re.I), "Agreed: {rest}"),
)  # fmt: skip


def decision_in(s: Sentence, cast: Cast) -> Decided | None:
    if s.text.rstrip().endswith("?"):
        return None
    for pattern, form in _DECISIONS:
        m = pattern.search(s.text)
        if m is None:
            continue
        parts = {k: (v or "").strip(" ,.;:!?") for k, v in m.groupdict().items()}
        if "who" in parts:
            if parts["who"].split()[0] in _NOT_OWNERS:
                continue
            parts["who"] = cast.full(parts["who"])
            if parts["rest"] and not parts["rest"].startswith((",", " ")):
                parts["rest"] = " " + parts["rest"]
            parts["rest"] = " " + parts["rest"].lstrip(" ,") if parts["rest"] else ""
        if len(s.text.split()) < 5:
            continue
        text = form.format(**parts).replace(" we ", f" {cast.customer_org or 'they'} " if False else " we ")
        return Decided(text[:1].upper() + text[1:], s)
    return None


# --- risks ---------------------------------------------------------------------------------------

_PAST_WORRY = re.compile(r"\b(?:was|were|had been) (?:\w+ ){0,2}(?:worried|concerned)\b", re.I)
_BLOCKER = re.compile(
    r"\b(?:freeze|not (?:yet )?approved|not convinced|sceptic\w*|skeptic\w*|worr(?:y|ied)|risk\w*|blocker"
    r"|can't justify|cannot justify|too expensive|over budget|no budget|delay\w*|slower|slipp\w*"
    r"|confus\w*|painful|frustrat\w*|unclear|not clear|safety issue|earn it|lose (?:it|them|trust)"
    r"|cheaper|discount|free (?:of charge|for)|better (?:tooling|price|offer|deal)|walk away|cancel\w*"
    r"|can't go|cannot go|haven't finished|not finished|blocked|blocks|won't sign|no decision"
    r"|sticking point|open question|nobody has decided)\b",
    re.IGNORECASE,
)
_PRAISE = re.compile(
    r"\b(?:better|best|prefer\w*|like|likes|love\w*|cheaper|faster|stronger|ahead|offer\w*|discount\w*"
    r"|impress\w*|good|great)\b",
    re.IGNORECASE,
)


def risk_in(
    s: Sentence, competitors: dict[str, re.Pattern[str]], is_customer: bool, tone: Callable[[str], float]
) -> Threat | None:
    """A threat in one sentence: a competitor rated well, a blocker, or sharp criticism."""
    text = s.text
    if text.rstrip().endswith("?") or len(text.split()) < 6:
        return None
    for name, pattern in competitors.items():
        if pattern.search(text) and _PRAISE.search(text) and not re.search(r"\bnot (?:better|good)\b", text):
            compared = re.search(
                r"\b(?:better|cheaper|faster|prefer\w*|ahead|stronger|offer\w*|discount\w*)\b", text, re.I
            )
            return Threat(f"{name} is rated well on the customer side", s, 3.5 if compared else 3.0, name)
    if not is_customer or len(text.split()) < 8 or re.match(r"(?:which|that's|and|but) ", text, re.I):
        return None  # a fragment or an aside ("Which they hate, by the way.") is no risk to report
    value = tone(text)
    blocker = _BLOCKER.search(text)
    if blocker and _PAST_WORRY.search(text) and not re.search(r"\bstill\b", text, re.I):
        blocker = None  # "That was the part I was most worried about": said as it is put to rest
    if blocker and value < 0.3:
        return Threat("", s, 2.0 - value)
    if value <= -0.5:
        return Threat("", s, 1.5 - value)
    return None


# --- merging -------------------------------------------------------------------------------------


def _person(owner: str) -> str:
    """'Adatum Consulting (Marcus Lee)' -> 'Marcus Lee'; 'Marcus' stays 'Marcus'."""
    m = re.search(r"\(([^()]+)\)$", owner)
    return (m.group(1) if m else owner).split()[0] if owner else ""


def _side(owner: str) -> str:
    return owner.split(" (")[0]


def _content(action: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z]{6,}", action)} - {"should", "through", "before"}


def _same_org(a: str, b: str) -> bool:
    """'Adatum' asked for and 'Adatum Consulting' answering are one organisation."""
    return a == b or a.startswith(b + " ") or b.startswith(a + " ")


def _same_step(a: Step, b: Step) -> bool:
    same_side = (
        "(" in a.owner + b.owner
        and _same_org(_side(a.owner), _side(b.owner))
        and ("(" not in a.owner or "(" not in b.owner)
    )
    req, com = (a, b) if a.kind == "request" else (b, a)
    answered = (
        req.kind == "request"
        and com.kind in ("commitment", "wrap-up")
        and com.sentence.utterance - req.sentence.utterance == 1
        and _same_org(a.side, b.side)
        and a.side != ""
        and _same_org(req.owner, req.side)
    )
    if answered:
        return True
    if _person(a.owner) != _person(b.owner) and not same_side:
        return False
    if _content(a.action) & _content(b.action) and fuzz.token_set_ratio(a.action, b.action) >= 60:
        return True
    close = abs(a.sentence.utterance - b.sentence.utterance) <= 2
    vague = any(
        re.search(r"\b(?:it|that|this|them)\b", core) and len(core.split()) <= 5
        for core in (_WHEN_CLAUSE.sub("", x.action) for x in (a, b))
    )
    short = min(len(a.action.split()), len(b.action.split())) < 4
    similar = fuzz.ratio(a.action.lower(), b.action.lower()) >= 75 or (
        not short and fuzz.token_set_ratio(a.action, b.action) >= 75
    )
    adjacent = abs(a.sentence.utterance - b.sentence.utterance) <= 1
    same_person = _person(a.owner) == _person(b.owner)
    same_due = a.due is not None and a.due == b.due
    return similar or (
        vague and ((close and same_person) or (adjacent and same_side) or (same_person and same_due))
    )


_EMPTY = re.compile(
    r"^(?:\w+)(?: (?:it|that|this|them|you|me|us|him|her|on|up|over|back|out|off|in|to|for|signed off|done"
    r"|sorted))*$",
    re.IGNORECASE,
)


# "Do it while I'm on call anyway", "Do it before I go on leave": the clause says when, not what.
_WHEN_CLAUSE = re.compile(
    r"\s+(?:while|before|after|when|once|as soon as|until)\s+(?:I|we|you|he|she|they)\b.*$"
)


def merge_steps(steps: list[Step]) -> list[Step]:
    """One step per thing to do: the clearest wording, the most precise due date, the strongest source.
    A step that names nothing ("Take that", "Send it to me") only counts when it merged with one that does."""
    merged = _merge(steps)
    return [s for s in merged if not _EMPTY.match(_WHEN_CLAUSE.sub("", s.action))]


def _merge(steps: list[Step]) -> list[Step]:
    kept: list[Step] = []
    for s in steps:
        twin = next((k for k in kept if _same_step(k, s)), None)
        if twin is None:
            kept.append(s)
            continue
        better = s if (s.weight, len(s.action)) > (twin.weight, len(twin.action)) else twin
        other = twin if better is s else s
        if better.owner == better.side and other.owner != other.side:
            better, other = other, better  # a person who took it on owns it, not the side it was asked of
        due = better.due or other.due
        if better.due and other.due and re.search(r"\d|\b(?:of|the) \w+ of\b", other.due):
            due = other.due  # "by the twelfth of December" is more precise than "before Christmas"
        owner = better.owner if other.owner == other.side else _richer(better.owner, other.owner)
        weight = max(better.weight, other.weight)
        action = better.action
        if _content(action) <= _content(other.action) and len(action) < len(other.action) <= 140:
            action = other.action  # a recap's "Run the Thursday check-ins" says less than the promise did
        merged = Step(action, owner, due, better.sentence, better.kind, weight, better.side)
        kept[kept.index(twin)] = merged
    return kept


def _richer(a: str, b: str) -> str:
    return a if len(a) >= len(b) else b


# Third-person plans in a wrap-up ("Nadia deploys ... by Friday the fourth", "Arjun aims to sign off ...").
_NOT_PEOPLE = frozenset(
    [
        "Sprint",
        "Team",
        "Finance",
        "Marketing",
        "Legal",
        "Security",
        "Product",
        "Engineering",
        "Operations",
        "Everything",
        "Nothing",
        "Nobody",
        "Everyone",
        "Something",
        "Adoption",
        "Support",
        "Training",
    ]
)
_BASES = frozenset(re.sub(r"\s.*", "", v) for v in _VERBS.split("|"))
_PLAN = re.compile(
    r"^(?:and |then |so )?(?P<who>[A-Z][\w'’-]+(?:'s| and [A-Z][\w'’-]+)?"
    r"(?: (?:team|team leaders|quality lead|lead|manager))?) "
    r"(?P<verb>(?:aims|plans|is going|has|is) to [a-z-]+|has|[a-z-]+s)\b(?P<rest>.*)"
)


def _base(verb: str) -> str | None:
    word = verb.split()[-1]
    if verb == "has":
        return "have"
    for cut in ("es", "s", ""):
        base = word[: -len(cut)] if cut and word.endswith(cut) else word
        if base in _BASES:
            return base
    return None


def _bare_second_verb(m: re.Match[str]) -> str:
    """ "... and reports back" in "Kwame does the spike and reports back": "and report back"."""
    verb, particle = m.group(2), m.group(3) or ""
    base = _base(verb) if verb.endswith("s") else None
    if base is None and particle and verb.endswith("s") and not verb.endswith("ss"):
        base = verb[:-1]  # "reports back", "follows up", "checks in"
    return f"{m.group(1)} {base or verb}{particle}"


def plans_in(s: Sentence, cast: Cast, wrap_up: bool) -> list[Step]:
    """Steps said of others in the third person, clause by clause; outside the closing wrap-up a clause
    needs a due date, so "Tomás runs plant operations" in an introduction is no step."""
    out: list[Step] = []
    for clause in re.split(r"[,;]\s+(?:and\s+)?|\.\s+|\s+and\s+(?=[A-Z])", s.text):
        m = _PLAN.match(clause.strip())
        if m is None or m.group("who").split()[0] in _NOT_OWNERS | _NOT_PEOPLE:
            continue
        base = _base(m.group("verb"))
        if base is None or (not wrap_up and due_in(clause) is None):
            continue
        who = m.group("who")
        owner = cast.full(who) if " " not in who else who
        rest = re.sub(
            r"\b(and|then) (\w+)\b( (?:back|up|out|in|over|through|with)\b)?",
            _bare_second_verb,
            m.group("rest"),
        )
        _add(out, base + rest, owner, s, "wrap-up" if wrap_up else "plan", 2.5, clause)
    return out


# --- work reported done --------------------------------------------------------------------------

# Past forms of the verbs a next step is made of; "did" and "got" say too little on their own.
_DONE_VERBS = (
    "sent|shared|sent over|set up|scheduled|booked|brought|reviewed|built|prepared|delivered|provided"
    "|confirmed|arranged|scoped|drafted|wrote|written|organised|organized|ran|run|held|showed|shown|demoed"
    "|demonstrated|connected|introduced|invited|added|updated|fixed|escalated|deployed|moved|finished"
    "|completed|tested|validated|published|presented|planned|mapped|documented|signed|signed off|approved"
    "|circulated|emailed|walked|trained|extended|created|submitted|returned|filled in|filled out|closed"
    "|migrated|piloted|benchmarked|priced|quoted|answered|launched|rolled out|kicked off|exported|uploaded"
    "|installed|configured|connected|enabled|ordered|paid|hired|onboarded|agreed|cleared"
)
_DONE_ACTIVE = re.compile(
    rf"\b(?P<who>I|we|[A-Z][a-z]+(?: [A-Z][\w'’-]+)?)(?:'ve| have| has)?(?: (?:already|now|finally|just|also"
    rf"|actually))? (?P<verb>{_DONE_VERBS})\b(?P<rest>.*)",
)
_DONE_PASSIVE = re.compile(
    rf"\b(?P<thing>(?:the|our|your) [\w' -]{{3,60}}?) (?:is|are|was|were|has been|have been|went)"
    rf"(?: (?:already|now|finally|all))? (?P<verb>{_DONE_VERBS}|done|out|live|through|in place)\b"
    r"(?P<rest>.*)",
    re.IGNORECASE,
)
# Not reports: plans, conditions, questions and hearsay ("if we signed", "have you sent", "we were told").
_NOT_DONE = re.compile(
    r"\b(?:if|unless|once|when|will|would|could|should|might|going to|need to|haven't|hasn't|have not"
    r"|has not|didn't|did not|not yet|never|told|asked|hope|hoping|wish|can't|cannot)\b",
    re.IGNORECASE,
)
_AGO = re.compile(
    r"\b(?:last (?:week|month|Monday|Tuesday|Wednesday|Thursday|Friday)|yesterday|on (?:Monday|Tuesday"
    r"|Wednesday|Thursday|Friday)|(?:two|three|a couple of|a few) (?:days|weeks) ago|since (?:we|our|the) "
    rf"(?:last )?(?:spoke|met|call)|as (?:promised|agreed)|on the {_ORDINAL}|on {_MONTH} {_ORDINAL}"
    rf"|on the {_ORDINAL} of {_MONTH})\b",
    re.IGNORECASE,
)


def done_in(s: Sentence, cast: Cast) -> Finished | None:
    """Work the sentence reports as done, with who did it; None for anything else (most sentences).

    Only plain reports count: "We sent the questionnaire back last Thursday", "the architecture review
    was held on the ninth". A plan or condition ("once we've signed") says nothing is done yet.
    """
    text = s.text.strip()
    if text.endswith("?") or len(text.split()) < 5:
        return None
    m = _DONE_ACTIVE.search(text)
    if m is not None and m.group("who").split()[0] not in _NOT_OWNERS - {"I", "We"}:
        head = text[: m.start()]
        if _NOT_DONE.search(head + " " + m.group(0)[: m.start("verb") - m.start()]):
            return None
        who = m.group("who")
        if who == "I":
            owner = s.speaker
        elif who.lower() == "we":
            owner = cast.we(s.speaker)
        else:
            owner = cast.full(who)
        action = f"{m.group('verb')}{m.group('rest')}"
    else:
        m = _DONE_PASSIVE.search(text)
        if m is None or _NOT_DONE.search(text[: m.end("verb")]):
            return None
        owner = ""
        action = text  # the whole report: what precedes the subject often says which one
    action = _CUT.sub("", action).strip(" ,.;:!?")
    if len(action.split()) < 3:
        return None
    # "We ran a pilot" is background unless it says when; a name ("Megan sent ...") is a report.
    background = not re.search(r"\b(?:already|now|finally|just|have|has|'ve)\b", m.group(0))
    if background and not _AGO.search(text) and m.re is _DONE_ACTIVE and m.group("who") in ("I", "we", "We"):
        return None
    return Finished(action[:1].upper() + action[1:], owner, s)
