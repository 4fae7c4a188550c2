"""The words the offline analyzer listens for, per MCEM stage and per account-team role.

Two sources, both visible here so every score can be explained:

* a small curated lexicon (weight 1.0-2.5 per term), written for this analyzer;
* terms derived from the template itself: the content words of each stage's one-line
  description and narrative guidance (weight ``TEMPLATE_WEIGHT``), kept only when they belong to
  that one stage's text, so generic words ("customer", "narrative") never tip the balance.

The internal MCEM reference shapes the *role* lexicon (which responsibilities a role owns, which
stages it leads) but no sentence of it is stored or ever written out; the role terms below are
single words and short phrases chosen by hand.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from mcem.model import STAGE_DESCRIPTIONS, STAGE_TITLES, Role, Stage
from mcem.template import stage_guidance


def words(text: str) -> frozenset[str]:
    """A word list written as one whitespace-separated string."""
    return frozenset(text.split())


TEMPLATE_WEIGHT = 0.5

# fmt: off
STAGE_TERMS: dict[Stage, dict[str, float]] = {
    Stage.listen_consult: {
        "challenge": 2.0, "pain point": 2.5, "pain": 1.5, "priority": 2.0, "goal": 1.5, "objective": 1.5,
        "struggle": 2.0, "problem": 1.5, "bottleneck": 2.0, "hurdle": 2.0, "today we": 1.5,
        "right now we": 1.5, "currently": 1.5, "strategy": 1.5, "strategic": 1.5, "requirement": 1.5,
        "need": 1.0, "frustrat*": 2.0, "manual": 1.5, "spreadsheet": 1.5, "legacy": 1.5, "siloed": 2.0,
        "silo": 2.0, "visibility": 1.5, "concern": 1.0, "compliance": 1.0, "what keeps": 2.0,
        "biggest": 1.5, "this year": 1.0, "mandate": 1.5, "cost pressure": 2.0, "customer base": 1.0,
        "the board": 1.5, "our board": 1.5,
    },
    Stage.inspire_design: {
        "architect*": 2.5, "design*": 2.0, "roadmap": 2.0, "integrat*": 2.0, "blueprint": 2.5,
        "solution": 1.0, "workshop": 1.5, "envision": 2.0, "whiteboard": 2.0, "prototype": 1.5,
        "dashboard": 1.5, "data model": 2.0, "connect": 1.0, "api": 1.5, "landing zone": 2.5,
        "reference architecture": 2.5, "option": 1.0, "approach": 1.0, "vision": 1.5, "idea": 1.0,
        "feature": 1.0, "copilot studio": 1.5, "fabric": 1.0, "security model": 2.0, "identity": 1.0,
        "skill gap": 2.0,
    },
    Stage.empower_achieve: {
        "pilot*": 2.5, "proof of concept": 2.5, "poc": 2.5, "trial": 2.0, "success criteria": 2.5,
        "budget approval": 2.5, "budget": 2.0, "approval": 1.5, "sign off": 2.0, "business case": 2.0,
        "validate": 2.0, "test": 1.0, "demo": 1.5, "evaluate": 1.5, "buy in": 2.0, "stakeholder": 1.5,
        "commit": 1.5, "decision": 1.5, "procurement": 2.0, "contract": 1.5, "pricing": 1.5,
        "licence": 1.5, "license": 1.5, "timeline": 1.5, "risk": 1.0, "see it live": 2.5, "cfo": 1.5,
        "cto": 1.0, "legal": 1.0,
    },
    Stage.realize_value: {
        "deploy*": 2.5, "rollout": 2.5, "roll out": 2.5, "rolling out": 2.5, "adopt*": 2.5,
        "training": 2.0, "users": 1.0, "hours saved": 2.5, "saving": 1.5, "saved": 1.5, "go live": 2.5,
        "went live": 2.5, "onboard": 2.0, "change management": 2.5, "support": 1.0, "ticket": 1.5,
        "helpdesk": 1.5, "usage": 2.0, "using it": 1.5, "productivity": 2.0, "measure": 1.5,
        "metric": 1.5, "kpi": 2.0, "week one": 1.5, "first month": 1.5, "champion": 1.5, "feedback": 1.0,
        "launched": 2.0,
    },
    Stage.manage_optimize: {
        "scale": 2.5, "scaling": 2.5, "expan*": 2.5, "governance": 2.5, "renew*": 2.5,
        "quarterly review": 2.5, "business review": 2.5, "qbr": 2.5, "next year": 2.0, "optimi*": 2.0,
        "long term": 2.0, "grow": 1.5, "more licences": 2.0, "more licenses": 2.0,
        "other department": 2.0, "other region": 2.0, "every region": 2.0, "company wide": 2.0,
        "enterprise wide": 2.0, "playbook": 2.0, "cost optimisation": 2.0, "cost optimization": 2.0,
        "partnership": 1.5, "next phase": 2.0, "phase two": 2.0, "continuous": 1.5, "iterate": 2.0,
        "new capabilities": 2.0,
    },
}

# Hand-written, informed by what each role owns (see the module docstring).
ROLE_TERMS: dict[Role, dict[str, float]] = {
    Role.account_executive: {
        "licensing": 2.5, "licences": 2.0, "licenses": 2.0, "decision": 2.0, "approved": 2.0,
        "budget": 2.0, "contract": 2.0, "pricing": 2.0, "price": 1.5, "deal": 2.0, "timeline": 1.5,
        "strategy": 1.5, "strategic": 1.5, "leadership": 1.5, "executive": 1.0, "commit": 1.5,
        "negotiat*": 2.0, "cost": 1.5, "procurement": 2.0, "approval": 1.5, "priority": 1.0,
    },
    Role.csam: {
        "adoption": 2.5, "usage": 2.0, "renewal": 2.5, "renew": 2.5, "success plan": 2.5, "kpi": 2.0,
        "roi": 1.5, "champion": 2.0, "expand": 1.5, "expansion": 1.5, "users": 1.0,
        "quarterly review": 2.0, "business review": 2.0, "saved": 1.5, "hours": 1.0, "value": 1.0,
    },
    Role.solution_specialist: {
        "architecture": 2.5, "integration": 2.0, "integrate": 2.0, "poc": 2.5, "proof of concept": 2.5,
        "pilot": 1.5, "performance": 2.0, "security": 1.5, "technical": 2.0, "api": 1.5, "design": 1.5,
        "roadmap": 1.5, "scenario": 1.5, "demo": 1.5, "data": 1.0, "feature": 1.0,
    },
    Role.csa: {
        "configured": 2.5, "configuration": 2.5, "purview": 2.0, "audit logging": 2.5, "connector": 2.0,
        "architecture": 2.0, "integration": 2.0, "go live": 2.0, "documentation": 1.5,
        "deploy": 2.5, "deployment": 2.5, "rollout": 1.0, "roll out": 1.0, "training": 2.5,
        "workshop": 2.0, "readiness": 2.5, "governance": 1.5, "playbook": 2.5,
        "enablement": 2.5, "runbook": 2.5, "skills": 1.5, "skill gap": 2.0, "change management": 2.0,
    },
    Role.partner: {
        "partner": 3.0, "integrator": 2.5, "consultant": 2.0, "consultancy": 2.0, "isv": 3.0,
        "reseller": 2.5, "vendor": 1.5, "managed service": 2.5, "third party": 2.0, "accelerator": 2.5,
        "marketplace": 2.0, "accenture": 2.0, "deloitte": 2.0, "avanade": 2.5,
    },
    Role.microsoft_executive_sponsor: {
        "executive sponsor": 4.0, "vice president": 3.5, "sponsor": 2.5, "at the table": 2.5,
        "roi": 2.5, "return on investment": 2.5, "executive": 2.0, "the board": 2.0, "ceo": 2.0,
        "cfo": 1.5, "escalat*": 2.0, "microsoft": 1.0, "relationship": 1.5, "strategic partner": 2.5,
        "investment": 1.5, "scale": 1.0, "commitment": 1.5,
    },
    Role.customer_account_sponsor: {
        "in writing": 2.5, "named owner": 3.0, "governance": 2.5, "risk": 2.5, "owner": 2.0,
        "ownership": 2.5, "accountable": 2.5,
        "stakeholder": 2.0, "approve": 2.0, "sign off": 2.0, "regulat*": 2.0, "compliance": 2.0,
        "prioriti*": 1.5, "business objective": 2.0, "our leadership": 2.0, "sponsor": 2.0,
    },
}

# fmt: on

# How much a sentence's stage evidence counts towards each role (roles lead different stages).
ROLE_STAGE_AFFINITY: dict[Role, dict[Stage, float]] = {
    Role.account_executive: {Stage.listen_consult: 0.5, Stage.empower_achieve: 0.4},
    Role.csam: {Stage.realize_value: 0.5, Stage.manage_optimize: 0.5},
    Role.solution_specialist: {Stage.inspire_design: 0.5, Stage.empower_achieve: 0.5},
    Role.csa: {Stage.realize_value: 0.5, Stage.manage_optimize: 0.3},
    Role.partner: {Stage.inspire_design: 0.2, Stage.empower_achieve: 0.2},
    Role.microsoft_executive_sponsor: {Stage.manage_optimize: 0.3, Stage.listen_consult: 0.2},
    Role.customer_account_sponsor: {Stage.listen_consult: 0.3, Stage.manage_optimize: 0.3},
}

# Words of the template's guidance that describe the document, not the customer.
_TEMPLATE_NOISE = words(
    """begin flowing narrative captures customer initial write paragraphs covering top direct quotes
    bring voice life early indicators weave around received refined prose describe reacted key
    captured raised narrate discussion detail outlined illustrate potential cover which resonated
    most feedback uncovered convey revealed underscoring urgent envision sustained signaling
    requested checkpoints momentum comment underscored broader something probed further asking
    existing remarked steering toward concept insisted highlighting reported project lead signaling
    strong they their them what how any our with from into that this have been were will would
    could should about then than after before week one two three fold data real time need want
    establish deep understanding current align outcomes approach securing ensure continuously
    usage plan next generation enhancements tailored solution explained cross single teams azure
    business create making powered dynamics already reactions long term culture averse enthusiasm
    hesitation considerations appetite live synapse points willingness"""
)

_STOPWORDS = words(
    """a an the and or but if of to in on at by for with as is are was were be been being it its
    this that these those we our us you your they their i me my he she his her them so do does did
    not no yes can could would should will just very really also there here then than into onto over
    under up down out about what which who whom when where why how all any both each few more most
    other some such only own same too s t don now get got go going gonna have has had um uh erm hmm
    mm okay ok yeah right well like know think mean kind sort thing things lot bit one"""
)


def normalise(text: str) -> str:
    """Lower-case words separated by single spaces; hyphens and punctuation become spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = text.replace("’", "'").replace("'", "")
    text = re.sub(r"[^\w\s]", " ", text)
    return " ".join(text.split())


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A deliberately small suffix stripper: enough to match 'pilots'/'piloting' to 'pilot'."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            base = word[: -len(suffix)]
            return base + "y" if suffix in ("ies", "ied") else base
    return word


def stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in normalise(text).split())


def is_stopword(word: str) -> bool:
    return word in _STOPWORDS


@cache
def template_terms() -> dict[Stage, dict[str, float]]:
    """Content words of each stage's description and guidance that no other stage's text uses."""
    guidance = stage_guidance()
    words: dict[Stage, set[str]] = {}
    for stage in Stage:
        text = STAGE_DESCRIPTIONS[stage] + " " + guidance.get(STAGE_TITLES[stage], "")
        words[stage] = {
            w
            for w in normalise(text).split()
            if len(w) > 3 and not w.isdigit() and w not in _STOPWORDS and w not in _TEMPLATE_NOISE
        }
    out: dict[Stage, dict[str, float]] = {}
    for stage in Stage:
        others = set().union(*(words[s] for s in Stage if s is not stage))
        out[stage] = {w: TEMPLATE_WEIGHT for w in sorted(words[stage] - others)}
    return out


@dataclass(frozen=True)
class Term:
    """One scoring term. ``prefix`` terms (written with a trailing ``*``) match any word they start."""

    key: tuple[str, ...]
    display: str
    weight: float
    source: str  # "lexicon" (curated here) or "template" (derived from the stage guidance)
    prefix: bool = False


# How prefix terms read in prose.
_DISPLAY = {
    "frustrat": "frustration",
    "negotiat": "negotiation",
    "escalat": "escalation",
    "regulat": "regulation",
    "prioriti": "prioritisation",
    "architect": "architecture",
    "integrat": "integration",
    "deploy": "deployment",
    "adopt": "adoption",
    "expan": "expansion",
    "renew": "renewal",
    "optimi": "optimisation",
    "pilot": "pilot",
    "design": "design",
}
# Strong signals that read badly as topic names ("the conversation turned on biggest").
SILENT = words(
    """biggest need currently saved saving users connect option approach idea test commit decision
    grow continuous already
    change management concerns drivers single standard tools opportunity region global aligning
    centralized gaps accelerate making unexpected planning plans deeper"""
) | {
    "today we",
    "right now we",
    "this year",
    "what keeps",
    "using it",
    "week one",
    "first month",
    "long term",
}


def make_term(term: str, weight: float, source: str) -> Term:
    prefix = term.endswith("*")
    word = term.rstrip("*")
    key = (normalise(word),) if prefix else stems(word)
    return Term(key=key, display=_DISPLAY.get(word, word), weight=weight, source=source, prefix=prefix)


@cache
def stage_lexicon() -> dict[Stage, tuple[Term, ...]]:
    """Per stage, its terms; a curated term replaces a derived one with the same key."""
    out: dict[Stage, tuple[Term, ...]] = {}
    for stage in Stage:
        table: dict[tuple[str, ...], Term] = {}
        for term, weight in template_terms()[stage].items():
            t = make_term(term, weight, "template")
            table[t.key] = t
        for term, weight in STAGE_TERMS[stage].items():
            t = make_term(term, weight, "lexicon")
            table[t.key] = t
        out[stage] = tuple(table.values())
    return out


@cache
def role_lexicon() -> dict[Role, tuple[Term, ...]]:
    return {
        role: tuple(make_term(term, weight, "lexicon") for term, weight in terms.items())
        for role, terms in ROLE_TERMS.items()
    }
