"""The seven-role summary table: each role's key customer excerpt, what it tells that role, and actions.

The insight reads the excerpt's tone (a problem flagged, praise, or a plain statement) and the
specifics it names (figures, months, quarters), then says what the excerpt means for that role;
actions combine the role's own responsibilities with those specifics and one next step per stage.
Wording is written for this tool.
"""

from __future__ import annotations

import re

from mcem.model import STAGE_TITLES, Role, RoleSummary, Stage
from mcem.offline.evidence import PRAISE
from mcem.offline.figures import figures_in
from mcem.offline.findings import Findings
from mcem.offline.people import join_names
from mcem.offline.sentiment import STRONG, compound
from mcem.offline.writer import STAGE_FOCUS, quote_from

_FOCUS = {
    Role.account_executive: "the commercial and executive side of the engagement",
    Role.csam: "adoption and the value the customer sees over time",
    Role.solution_specialist: "the technical fit and the proof the customer needs",
    Role.csa: "how the rollout is enabled, trained and supported",
    Role.partner: "where a partner could extend the team",
    Role.microsoft_executive_sponsor: "the executive-level case for the investment",
    Role.customer_account_sponsor: "ownership, priorities and risk on the customer side",
}
# What the excerpt means for the role: (when it is a concern, otherwise).
_ANGLE = {
    Role.account_executive: (
        "the commercial plan has to answer this before asking for the next commitment",
        "the commercial plan should be built around it",
    ),
    Role.csam: (
        "the success plan has to show this improving",
        "these are the measures the success plan should report on",
    ),
    Role.solution_specialist: (
        "the technical answer has to close this gap",
        "the technical proof has to stand up to this",
    ),
    Role.csa: (
        "enablement should be planned around this problem",
        "rollout and enablement planning should build on it",
    ),
    Role.partner: (
        "it marks work a partner could take off the customer",
        "it shows where the partner already carries weight",
    ),
    Role.microsoft_executive_sponsor: (
        "an executive-level answer is expected",
        "material for an executive conversation about the investment",
    ),
    Role.customer_account_sponsor: (
        "someone on the customer side has to own this risk",
        "ownership on the customer side needs settling here",
    ),
}
_ACT = {
    Role.account_executive: (
        "Confirm budget, timing and decision makers with {p}{anchored}",
        "Send {p} a one-page summary of goals, timeline and commercial next steps",
    ),
    Role.csam: (
        "Set up a success plan with {p} that reports on {measures}",
        "Book a recurring value review with {p} and report usage against the agreed targets",
    ),
    Role.solution_specialist: (
        "Prepare a technical answer on {t} for {p}",
        "Scope a short demonstration that shows {t} working in their own setting",
    ),
    Role.csa: (
        "Draft a rollout and training outline for {focus}",
        "Run an enablement session for the first user group and collect their feedback",
    ),
    Role.partner: (
        "Check whether a partner offering would speed up {focus}",
        "Agree with {partner} who leads which part of the follow-up",
    ),
    Role.microsoft_executive_sponsor: (
        "Brief the Microsoft sponsor on what {speaker} said about {t}{around} ahead of an executive check-in",
        "Offer {p} a sponsor-to-sponsor conversation on outcomes and value",
    ),
    Role.customer_account_sponsor: (
        "Ask {speaker} to name an owner on their side for {t}",
        "Agree a short risk and decision log with the customer sponsor",
    ),
}
# One evidence-driven next step per stage, added to the role's own actions.
_STAGE_STEP = {
    Stage.listen_consult: "Write up the goals {speaker} named and confirm them in the follow-up",
    Stage.inspire_design: "Reflect {speaker}'s design comments in the next version of the proposal",
    Stage.empower_achieve: "Agree pilot success criteria and a decision date with {p}",
    Stage.realize_value: "Track adoption against the figures the customer named{named}",
    Stage.manage_optimize: "Put a quarterly review with {p} in the calendar to steer the next phase",
}
_NO_ACTION = "None until the meeting is confirmed as a customer engagement"
# A plain statement, worded differently row by row so the table does not read as one template.
_NEUTRAL = (
    "{s} sets out the position on {t}",
    "{s} spells out what is expected on {t}",
    "{s} describes {t}",
    "{s} comments on {t}",
    "{s} points to {t}",
    "{s} speaks to {t}",
    "{s} raises {t}",
)
_WHEN = re.compile(
    r"\b(?:January|February|March|April|June|July|August|September|October|November|December"
    r"|Q[1-4]|next year|this year|next quarter)\b"
)


def _one_per_stem(terms: list[str]) -> list[str]:
    """Keep one of "configured" and "configuration": a row that "comments on configured and
    configuration" reads as a machine's keyword list."""
    kept: list[str] = []
    for term in terms:
        if not any(term[:6] == k[:6] and len(term) >= 6 and len(k) >= 6 for k in kept):
            kept.append(term)
    return kept


def _subjects(terms: list[str]) -> list[str]:
    """Nouns before verb forms: "comments on Purview", not "comments on configured"."""
    nouns = [t for t in terms if not re.search(r"(?:ed|ing)$", t)]
    return nouns or terms


def _as_said(term: str, text: str) -> str:
    """The term as the sentence spells it, so product names keep their capitals ("Purview")."""
    m = re.search(rf"\b{re.escape(term)}", text, re.IGNORECASE)
    said = text[m.start() : m.start() + len(term)] if m else term
    return said if said[:1].isupper() and not text.startswith(said) else term


def specifics(text: str, limit: int = 3) -> list[str]:
    """Figures and dates an excerpt names, in order: what makes an action concrete."""
    found = figures_in(text) + [m.group(0) for m in _WHEN.finditer(text)]
    found.sort(key=lambda x: text.find(x))
    return list(dict.fromkeys(found))[:limit]


# Job titles said in the call -> the template's role they hold.
_TITLE_ROLE = (
    (re.compile(r"customer success account manager|success account manager|\bCSAM\b", re.I), Role.csam),
    (re.compile(r"account executive|account manager|\bAE\b", re.I), Role.account_executive),
    (re.compile(r"solution specialist|technical specialist|\bSS\b", re.I), Role.solution_specialist),
    (re.compile(r"architect|\bCSA\b", re.I), Role.csa),
)
_EXECUTIVE = re.compile(r"\b(?:executive|sponsor|vice president|VP)\b", re.I)


def owned_steps(f: Findings, role: Role) -> list[str]:
    """The next steps this role owns, as actions: who holds the role comes from titles said in the call,
    the partner from the partner's introduction, the executive from executive asks, the customer's
    sponsor from steps the customer's own people took on."""
    holders: set[str] = set()
    for speaker, title in f.titles.items():
        for pattern, r in _TITLE_ROLE:
            if pattern.search(title):
                if r is role:
                    holders.add(speaker)
                break
    if role is Role.partner:
        holders |= set(f.people.partners)
    out = []
    for step in f.records.steps:
        person = step.owner.split(" (")[-1].rstrip(")")
        mine = person in holders or step.owner.split(" (")[0] in holders
        if role is Role.microsoft_executive_sponsor:
            mine = bool(_EXECUTIVE.search(step.action))
        if role is Role.customer_account_sponsor:
            mine = bool(f.company) and step.side == f.company
        if mine:
            out.append(step.action + (f" ({step.due})" if step.due else ""))
    return out


def role_rows(f: Findings) -> list[RoleSummary]:
    p = f.participant or "the customer"
    rows = []
    used_steps: set[str] = set()
    for role in Role:
        sc = f.excerpts[role]
        first, second = _ACT[role]
        if sc is None and not f.engagement:
            rows.append(
                RoleSummary(
                    role=role,
                    excerpt=None,
                    insight=f"No remark in this meeting spoke to {_FOCUS[role]}.",
                    actions=[_NO_ACTION],
                )
            )
            continue
        if sc is None:
            rows.append(
                RoleSummary(
                    role=role,
                    excerpt=None,
                    insight=f"No customer remark in this meeting spoke to {_FOCUS[role]}.",
                    actions=[
                        f"Raise {_FOCUS[role]} with {p} at the next meeting, since this call did not cover it"
                    ],
                )
            )
            continue
        text = sc.sentence.text
        terms = [h.term for h in sc.role_hits[role]] or [h.term for s in Stage for h in sc.stage_hits[s]]
        terms = [t for t in terms if t != "microsoft" and not any(t != o and t in o for o in terms)]
        terms = [_as_said(t, sc.sentence.text) for t in _subjects(_one_per_stem(terms))]
        t = join_names(terms[:2]) or "their priorities"
        named_orgs = [name for name in f.others if name.split()[0] in text]
        if role is Role.partner and named_orgs:
            t = named_orgs[0]  # "speaks well of Adatum Consulting", not "of partner"
        stage = sc.stage or max(Stage, key=lambda s: sc.stage_scores[s])
        speaker = sc.sentence.speaker
        facts = specifics(text)
        tone = compound(text)
        if tone <= -STRONG:
            opening = f"{speaker} flags a problem with {t}"
        elif tone >= STRONG and PRAISE.search(text):
            opening = f"{speaker} speaks well of {t}"
        else:
            opening = _NEUTRAL[list(Role).index(role) % len(_NEUTRAL)].format(s=speaker, t=t)
        named = f", naming {join_names(facts)}" if facts else ""
        angle = _ANGLE[role][0 if tone <= -STRONG else 1]
        insight = f"{opening}{named} ({STAGE_TITLES[stage]}): {angle}."
        if not f.engagement:
            insight = (
                f"{opening}{named} ({STAGE_TITLES[stage]}); in this meeting it concerns the speakers' own "
                "work, not an engagement with Microsoft."
            )
            rows.append(
                RoleSummary(
                    role=role,
                    excerpt=quote_from(sc),
                    insight=insight,
                    actions=[_NO_ACTION],
                )
            )
            continue
        measured = [x for x in facts if any(c.isdigit() for c in x) or " " in x]
        all_figures = [x for s in Stage for x in f.figures[s]]
        fill = {
            "p": p,
            "t": t,
            "partner": named_orgs[0] if named_orgs else "the partner",
            "speaker": speaker,
            "focus": STAGE_FOCUS[stage],
            "around": f" ({join_names(facts)})" if facts else "",
            "anchored": (
                f", with {join_names(facts)} as the reference {'point' if len(facts) == 1 else 'points'}"
                if facts
                else ""
            ),
            "measures": join_names(measured) if measured else t,
            "named": f" ({join_names(f.figures[Stage.realize_value] or all_figures[:3])})"
            if all_figures
            else "",
        }
        owned = owned_steps(f, role)
        actions = owned[:2] + [first.format(**fill), second.format(**fill)][: 3 - min(len(owned), 2)]
        step = _STAGE_STEP[stage].format(**fill)
        behind = f.current_stage is not None and list(Stage).index(stage) < list(Stage).index(f.current_stage)
        if (
            not behind and step not in used_steps
        ):  # each stage's next step is proposed once, by the first role to need it
            used_steps.add(step)
            actions.append(step)
        rows.append(RoleSummary(role=role, excerpt=quote_from(sc), insight=insight, actions=actions))
    return rows
