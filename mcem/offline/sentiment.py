"""Sentiment with the VADER lexicon: the customer's overall mood and their tone toward each company.

Scores are VADER compound scores (-1..1) averaged over customer sentences. A company's tone is
read only from customer sentences that name it. Microsoft is recognised by its own name and its
products; other companies by a list of well-known vendors and by names ending in a company suffix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

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
_SUFFIXED = re.compile(
    r"\b((?:[A-Z][\w&-]+\s+){0,2}[A-Z][\w&-]+)\s+(?:Inc|Corp|Corporation|Ltd|LLC|GmbH|plc|PLC|AG|SA"
    r"|Technologies|Systems|Consulting|Software|Labs)\b"
)


@cache
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def compound(text: str) -> float:
    return float(_vader().polarity_scores(text)["compound"])


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
    if pos and neg and min(pos, neg) >= max(1, len(scores) // 4):
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


def companies_in(text: str) -> list[str]:
    found = [name for name, pattern in VENDORS.items() if pattern.search(text)]
    for m in _SUFFIXED.finditer(text):
        found.append(m.group(0))
    return found


def company_mentions(sentences: Iterable[Sentence], exclude: str = "") -> dict[str, list[Sentence]]:
    """Other companies (not Microsoft, not the customer itself) -> the sentences naming them."""
    own = exclude.casefold()
    out: dict[str, list[Sentence]] = {}
    for s in sentences:
        for name in companies_in(s.text):
            if own and (name.casefold() in own or own in name.casefold()):
                continue
            out.setdefault(name, []).append(s)
    return out
