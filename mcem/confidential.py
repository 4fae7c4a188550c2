"""Asides a speaker asked to keep private: found in the transcript by code, whichever engine wrote the draft.

A customer who says "please keep this within this group", "that's not public yet", "this is under NDA",
"off the record" or "this is confidential" is telling the account team something that must not travel:
not in the chat card, not in the email, not in the Markdown summary. ``find_asides`` returns those
sentences (the marker sentence and the sentences it covers); ``Secrets`` then recognises any later text
that repeats one of them or names what only the aside named ("Wingtip Components"), so verification
can take it out of every field, and the Word draft shows the aside once, in a box for the author.

Which sentences a marker covers: a marker that points ahead ("keep the first one within this group",
"this is confidential:", "off the record,") covers the rest of the speaker's turn, until they move on to
"the second thing"; a marker that points back ("that's not public yet", "keep that between us") covers
the sentence before it. A marker with its own content ("Off the record, we are also talking to AWS.")
covers itself either way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from rapidfuzz import fuzz

from mcem.model import Quote
from mcem.transcript import Transcript

# One pattern per phrase family; each names what kind of marker it is (tests cover every family).
FAMILIES: dict[str, re.Pattern[str]] = {
    "within the group": re.compile(
        r"\b(?:keep|kept|stays?|remain)\b[^.!?]{0,40}?\b(?:within|between|among|inside|in|to)\s+"
        r"(?:this (?:group|room|team|meeting|call)|these (?:four )?walls|the (?:room|group|team)|us|ourselves"
        r"|you and me|the account team)\b"
        r"|\bbetween (?:us|you and me|ourselves)\b(?! and)"
        r"|\b(?:please )?(?:don't|do not) (?:share|repeat|forward|mention|spread) (?:this|that|it)\b",
        re.IGNORECASE,
    ),
    "not public": re.compile(
        r"\bnot (?:yet )?public(?: yet)?\b|\bnot been (?:announced|made public)\b|\bhasn't been announced\b"
        r"|\bnot (?:yet )?announced(?: yet)?\b|\bbefore (?:it's|it is|we) (?:announced?|go public)\b"
        r"|\bnobody (?:outside|else) knows\b",
        re.IGNORECASE,
    ),
    "nda": re.compile(r"\bunder (?:an? |the |our )?(?:NDA|non-disclosure(?: agreement)?)\b", re.IGNORECASE),
    "off the record": re.compile(r"\boff the record\b", re.IGNORECASE),
    "confidential": re.compile(
        r"\b(?:this|that|it|what I'm (?:about to|going to) (?:say|tell you)|the following"
        r"|the next (?:bit|part))"
        r" (?:is|was|'s|stays|remains) (?:strictly |highly |still |also )?confidential\b"
        r"|\b(?:that's|this's|it's) (?:strictly |highly |still )?confidential\b"
        r"|\b(?:keep|treat) (?:this|that|it|these) (?:as )?(?:strictly )?confidential\b"
        r"|\bconfidentially\b|\bin (?:strict |strictest )?confidence\b",
        re.IGNORECASE,
    ),
}

_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")
# The marker refers to what was just said ("that's not public yet"), not to what follows.
_BACK = re.compile(
    r"^(?:and |but |so |oh,? |now,? )?(?:that|this one|it)\b|\b(?:that|it) (?:is|'s) not public\b", re.I
)
_AHEAD = re.compile(r"\b(?:the first one|the following|what I'm|the next|this:|here's)\b|[:,]\s*$", re.I)
# The speaker moves on to another, open subject.
_MOVE_ON = re.compile(
    r"^(?:the (?:second|other|next) (?:thing|one|point)|secondly|second,|on another note)\b", re.I
)
_MARKER_ONLY_WORDS = 12
# A next turn that still talks about the aside ("That's about sixty more agents, ...").
_GOES_ON = re.compile(r"^(?:that|that's|this|it|it's|and|so|which|they|they're|the deal|the plan)\b", re.I)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w&'’-]+(?:\s+[A-Z][\w&'’-]+)*")
_NOT_NAMES = frozenset(
    [
        "I",
        "I'm",
        "I've",
        "I'd",
        "I'll",
        "We",
        "The",
        "This",
        "That",
        "If",
        "So",
        "And",
        "But",
        "Microsoft",
        "Teams",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
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
        "Q1",
        "Q2",
        "Q3",
        "Q4",
        "OK",
        "Okay",
    ]
)


@dataclass(frozen=True)
class Aside:
    """One private sentence: which turn it sits in and its exact text."""

    utterance: int
    begin: int
    end: int
    text: str
    speaker: str
    start: float
    family: str


def _sentences(text: str) -> list[tuple[int, int, str]]:
    out = []
    for m in _SENTENCE.finditer(text):
        chunk = m.group(0)
        begin = m.start() + len(chunk) - len(chunk.lstrip())
        chunk = chunk.strip()
        if chunk and any(ch.isalnum() for ch in chunk):
            out.append((begin, begin + len(chunk), chunk))
    return out


def family_of(sentence: str) -> str | None:
    """The phrase family that marks this sentence as private, or None."""
    return next((name for name, pattern in FAMILIES.items() if pattern.search(sentence)), None)


def find_asides(transcript: Transcript) -> list[Aside]:
    found: dict[tuple[int, int], Aside] = {}
    for i, u in enumerate(transcript.utterances):
        parts = _sentences(u.text)
        for k, (_, _, text) in enumerate(parts):
            family = family_of(text)
            if family is None:
                continue
            covered = [k]
            rest = FAMILIES[family].sub("", text)
            own_content = len(rest.split()) > _MARKER_ONLY_WORDS
            if _BACK.search(text) and k > 0 and not _AHEAD.search(text):
                covered.insert(0, k - 1)
            elif not own_content or _AHEAD.search(text):
                for j in range(k + 1, len(parts)):
                    if _MOVE_ON.search(parts[j][2]):
                        break
                    covered.append(j)
            for j in covered:
                b, e, t = parts[j]
                found.setdefault((i, b), Aside(i, b, e, t, u.speaker, u.start, family))
            if covered[-1] == len(parts) - 1 and covered[-1] >= k:
                # Teams splits a long turn: the same speaker's very next turn carries on the aside.
                for nxt in range(i + 1, min(i + 3, len(transcript.utterances))):
                    v = transcript.utterances[nxt]
                    if v.speaker != u.speaker:
                        break
                    more = _sentences(v.text)
                    if not more or _MOVE_ON.search(more[0][2]) or not _GOES_ON.search(more[0][2]):
                        break
                    for b, e, t in more:
                        if _MOVE_ON.search(t):
                            break
                        found.setdefault((nxt, b), Aside(nxt, b, e, t, v.speaker, v.start, family))
    return sorted(found.values(), key=lambda a: (a.utterance, a.begin))


@dataclass(frozen=True)
class Secrets:
    """What the asides said, and how to recognise it again anywhere else."""

    asides: tuple[Aside, ...]
    transcript_text: str

    @cached_property
    def names(self) -> frozenset[str]:
        """Names only the asides use ("Wingtip Components", "Ontario"): naming them elsewhere leaks."""
        inside = " ".join(a.text for a in self.asides)
        outside = self.transcript_text
        for a in self.asides:
            outside = outside.replace(a.text, " ")
        names = set()
        for m in _NAME.finditer(inside):
            words = [w for w in m.group(0).split() if w not in _NOT_NAMES]
            name = " ".join(words)
            if len(name) >= 4 and name not in outside and words[0] not in outside.split():
                names.add(name)
        return frozenset(names)

    @cached_property
    def _names_pattern(self) -> re.Pattern[str] | None:
        if not self.names:
            return None
        return re.compile(r"\b(?:" + "|".join(re.escape(n) for n in sorted(self.names)) + r")\b")

    def leaks(self, text: str) -> bool:
        """Whether the text repeats an aside (or most of one) or names what only an aside named."""
        if not self.asides or not text.strip():
            return False
        if self._names_pattern is not None and self._names_pattern.search(text):
            return True
        folded = text.casefold()
        words = set(folded.split())
        for a in self.asides:
            piece = a.text.casefold()
            if len(piece.split()) < 5 or len(words & set(piece.split())) < 4:
                continue  # too few words in common to repeat it
            if piece.rstrip(".!?") in folded or fuzz.partial_ratio(piece, folded, score_cutoff=88):
                return True
        return False


def secrets_of(transcript: Transcript, extra: list[tuple[int, str]] | None = None) -> Secrets:
    """The transcript's asides (plus ``extra`` (utterance, sentence) pairs a model flagged)."""
    asides = find_asides(transcript)
    known = {a.text for a in asides}
    for i, text in extra or []:
        if text not in known and 0 <= i < len(transcript.utterances):
            u = transcript.utterances[i]
            begin = max(u.text.find(text), 0)
            asides.append(Aside(i, begin, begin + len(text), text, u.speaker, u.start, "model"))
            known.add(text)
    return Secrets(tuple(asides), " ".join(u.text for u in transcript.utterances))


# --- the guard for what leaves an analysis (account history, CRM) ------------------------------------


def _words(text: str) -> str:
    # Cheap folding for "does this repeat an aside": verification's normalise is exact but slow.
    return " ".join(re.findall(r"\w+", text.casefold()))


class AsideGuard:
    """Recognises text that repeats one of an analysis's confidential asides (or the other way round).

    ``Analysis.confidential`` keeps the asides for the Word draft's author; anything that travels
    further (the account history, a CRM note) uses this on every text it takes, because a sidecar on
    disk can be edited by hand and a model can restate an aside in a field verification let through.
    """

    def __init__(self, confidential: list[Quote], *, known_names: frozenset[str] | None = None) -> None:
        self._private = [_words(q.text) for q in confidential if len(q.text.split()) >= 3]
        self._names: re.Pattern[str] | None = None
        if known_names is not None:
            # Strict: a name an aside uses ("the Leipzig site") may not appear at all, unless it is
            # one everybody knows from the call (the company, the people in it).
            known = {n.casefold() for n in known_names}
            names = {
                word
                for q in confidential
                for m in _NAME.finditer(q.text)
                for word in m.group(0).split()
                if len(word) >= 4 and word not in _NOT_NAMES and word.casefold() not in known
            }
            if names:
                self._names = re.compile(r"\b(?:" + "|".join(re.escape(n) for n in sorted(names)) + r")\b")

    def ok(self, *texts: str) -> bool:
        for text in texts:
            plain = _words(text)
            if plain and any(p in plain or plain in p for p in self._private):
                return False
            if self._names is not None and self._names.search(text):
                return False
        return True
