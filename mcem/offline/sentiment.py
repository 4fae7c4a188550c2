"""Sentiment with the VADER lexicon: the customer's overall mood and their tone toward each company.

Scores are VADER compound scores (-1..1) averaged over customer sentences. A company's tone is
read only from customer sentences that name it. Microsoft is recognised by its own name and its
products; other companies by a list of well-known vendors and by names ending in a company suffix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from mcem.offline.scoring import Sentence

POSITIVE = 0.05
NEGATIVE = -0.05
STRONG = 0.3

# Case-sensitive where the product name is also an everyday word ("our teams", "in a word").
MICROSOFT = re.compile(
    r"\b(?:(?i:microsoft|azure|copilot|m365|o365|office 365|sharepoint|onedrive|outlook|power bi"
    r"|power platform|power automate|power apps|dynamics 365|entra|intune|github|synapse|defender"
    r"|sentinel|bing|xbox|linkedin))\b|\b(?:Teams|Fabric|Dynamics|Excel|Windows)\b"
)

VENDORS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "AWS": r"\b(?:AWS|(?i:amazon web services|amazon))\b",
        "Google": r"\b(?:(?i:google|gcp|gemini))\b",
        "Salesforce": r"\b(?i:salesforce)\b",
        "Slack": r"\bSlack\b",
        "SAP": r"\bSAP\b",
        "Oracle": r"\b(?i:oracle)\b",
        "ServiceNow": r"\b(?i:servicenow|service now)\b",
        "Snowflake": r"\bSnowflake\b",
        "Databricks": r"\b(?i:databricks)\b",
        "Workday": r"\bWorkday\b",
        "Zoom": r"\bZoom\b",
        "IBM": r"\bIBM\b",
        "Accenture": r"\b(?i:accenture)\b",
        "Deloitte": r"\b(?i:deloitte)\b",
        "Avanade": r"\b(?i:avanade)\b",
        "Atlassian": r"\b(?i:atlassian|jira|confluence)\b",
        "Cisco": r"\b(?:Cisco|Webex)\b",
        "Adobe": r"\b(?i:adobe)\b",
        "Tableau": r"\b(?i:tableau)\b",
        "OpenAI": r"\b(?i:openai|chatgpt)\b",
        "Okta": r"\bOkta\b",
        "Zendesk": r"\b(?i:zendesk)\b",
        "HubSpot": r"\b(?i:hubspot)\b",
        "KPMG": r"\bKPMG\b",
        "PwC": r"\b(?:PwC|PWC)\b",
        "Capgemini": r"\b(?i:capgemini)\b",
        "Apple": r"\bApple\b",
    }.items()
}
# Consultancies and integrators: partners more often than competitors.
SERVICE_FIRMS = frozenset(("Accenture", "Deloitte", "Avanade", "KPMG", "PwC", "Capgemini", "IBM"))
_SUFFIXED = re.compile(
    r"\b((?:[A-Z][\w&-]+\s+){0,2}?[A-Z][\w&-]+)\s+(Inc|Corp|Corporation|Ltd|LLC|GmbH|plc|PLC|AG"
    r"|Technologies|Systems|Consulting|Software|Labs|Components|Manufacturing|Logistics|Industries|Group"
    r"|Partners|Solutions|Bank|Insurance|Pharmaceuticals|Motors|Airlines|Energy|Retail|Foods)\b"
)
# "a system from Litware", "our relationship with Litware"
_VENDOR_CUE = re.compile(
    r"\b(?:system|product|platform|software|tool|vendor|partner|supplier|relationship|contract|licen[cs]e)s?"
    r" (?:from|with|by) ([A-Z][\w&-]+)"
)
_NOT_ORG = frozenset(("Microsoft", "The", "This", "That", "Our", "We", "I", "It", "You", "They"))


# Business-call words VADER's general lexicon scores as neutral (VADER's -4..4 scale).
_BUSINESS_LEXICON = {
    "slow": -1.0,
    "slower": -1.2,
    "delayed": -1.2,
    "delays": -1.2,
    "outage": -1.8,
    "outages": -1.8,
    "workaround": -0.8,
    "blunt": -0.6,
    "shut": -1.0,
    "clunky": -1.5,
    "bottleneck": -1.2,
    "overrun": -1.5,
    "nobody": -0.5,
    "escalations": -0.6,
    "unclear": -1.0,
    "confusing": -1.3,
    "smooth": 1.2,
    "seamless": 1.5,
    "intuitive": 1.3,
    "responsive": 1.0,
    "steady": 0.8,
    "slowing": -1.2,
    "outdated": -1.2,
    "quick": 1.0,
    # In a business call "support" is a function and "help" a request, not praise.
    "support": 0.3,
    "help": 0.6,
}
# Business idioms VADER reads word by word, rewritten (for scoring only) to words it scores right.
_IDIOMS = (
    (re.compile(r"\bneeds? to improve\b", re.IGNORECASE), "is weak"),
    (
        re.compile(r"\b(?:was|were) (?:a |an )?(?:good|great|fine) \w+ (?:back )?in (?:19|20)\d\d\b", re.I),
        "is outdated",
    ),
    (re.compile(r"\bworking around\b", re.IGNORECASE), "stuck with"),
    (re.compile(r"\bslowing us down\b", re.IGNORECASE), "hurting us"),
)
# "If the data could feed that, it would make my CFO very happy": a wish, not a verdict.
_CONDITIONAL = re.compile(r"^(?:and |but |so )?if\b|\bwould (?:make|be|help)\b", re.IGNORECASE)


@cache
def _vader() -> SentimentIntensityAnalyzer:
    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(_BUSINESS_LEXICON)
    return analyzer


@lru_cache(maxsize=16384)
def compound(text: str) -> float:
    scored = text
    for pattern, plain in _IDIOMS:
        scored = pattern.sub(plain, scored)
    value = float(_vader().polarity_scores(scored)["compound"])
    return round(value * 0.5, 4) if is_conditional(text) else value


def is_conditional(text: str) -> bool:
    return _CONDITIONAL.search(text) is not None


@dataclass(frozen=True)
class Tone:
    label: str  # positive | neutral | negative | mixed | not mentioned
    score: float | None
    count: int
    positive: int
    negative: int
    speakers: tuple[str, ...]


def tone(sentences: Sequence[Sentence]) -> Tone:
    if not sentences:
        return Tone("not mentioned", None, 0, 0, 0, ())
    scores = [compound(s.text) for s in sentences]
    mean = sum(scores) / len(scores)
    pos = sum(1 for v in scores if v >= STRONG)
    neg = sum(1 for v in scores if v <= -STRONG)
    # Praise and criticism both recurring, neither drowning the other, is a mixed verdict.
    if (min(pos, neg) >= 2 and min(pos, neg) >= 0.3 * max(pos, neg)) or (
        pos and neg and min(pos, neg) >= len(scores) // 4
    ):
        label = "mixed"
    elif mean >= POSITIVE:
        label = "positive"
    elif mean <= NEGATIVE:
        label = "negative"
    else:
        label = "neutral"
    speakers = tuple(dict.fromkeys(s.speaker for s in sentences))
    return Tone(label, round(max(-1.0, min(1.0, mean)), 3), len(scores), pos, neg, speakers)


def mentions_microsoft(text: str) -> bool:
    return MICROSOFT.search(text) is not None


def discover(texts: Iterable[str]) -> dict[str, str]:
    """Organisations named in the meeting beyond the known vendors: short name -> display name.

    Found by a company suffix ("Adatum Consulting" -> "Adatum") or a vendor cue ("a system from
    Litware"); anyone may name them, but only customer sentences count for sentiment.
    """
    out: dict[str, str] = {}
    for text in texts:
        for m in _SUFFIXED.finditer(text):
            short = m.group(1).split()[-1] if m.group(1).split()[0] in _NOT_ORG else m.group(1).split()[0]
            if short not in _NOT_ORG:
                out.setdefault(short, f"{m.group(1)} {m.group(2)}".removeprefix("The ").strip())
        for m in _VENDOR_CUE.finditer(text):
            if m.group(1) not in _NOT_ORG and not MICROSOFT.search(m.group(1)):
                out.setdefault(m.group(1), m.group(1))
    return out


def companies_in(text: str, orgs: dict[str, str] | None = None) -> list[str]:
    found = [name for name, pattern in VENDORS.items() if pattern.search(text)]
    for short, display in (orgs or {}).items():
        if display not in found and re.search(rf"\b{re.escape(short)}\b", text):
            found.append(display)
    return found


def company_mentions(
    sentences: Iterable[Sentence], exclude: str = "", orgs: dict[str, str] | None = None
) -> dict[str, list[Sentence]]:
    """Other companies (not Microsoft, not the customer itself) -> the sentences naming them."""
    own = {w.casefold() for w in exclude.split()[:1]}
    out: dict[str, list[Sentence]] = {}
    for s in sentences:
        for name in companies_in(s.text, orgs):
            if name.split()[0].casefold() in own:
                continue
            out.setdefault(name, []).append(s)
    return out
