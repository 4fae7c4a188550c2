"""Recommendations and the seven-role summary table, derived from the findings.

Each recommendation comes from a rule that fires on evidence (a stage with concerns, a stage with
momentum, a gap in the cycle, figures named, a company compared with Microsoft) and gets a
priority; the best three to five are kept. Fallbacks that still use the meeting's own facts fill
up to three when the evidence is thin. Role actions combine the stage a role's excerpt belongs to
with what that role looks after, in wording written for this tool.
"""

from __future__ import annotations

import re

from mcem.model import STAGE_TITLES, Recommendation, Stage
from mcem.offline import evidence
from mcem.offline.findings import Findings
from mcem.offline.people import join_names
from mcem.offline.writer import GENERIC
from mcem.offline.writer import STAGE_FOCUS as _STAGE_FOCUS

_CONCERN = {
    Stage.listen_consult: (
        "Turn the pain points raised into agreed objectives",
        "Write the concerns back as a short list of objectives with an owner each and confirm "
        "it with {p} before design work starts, so later stages answer the problems actually named.",
    ),
    Stage.inspire_design: (
        "Settle the open design questions early",
        "Hold a focused design session on exactly these points and write the constraints "
        "down, so they do not resurface as blockers during validation.",
    ),
    Stage.empower_achieve: (
        "Take the risk out of the validation decision",
        "Agree in writing what the pilot must show, who signs it off and by when, so the "
        "decision rests on criteria {p} has already accepted.",
    ),
    Stage.realize_value: (
        "Clear the obstacles to adoption",
        "Find out which user groups are struggling and why, then adjust training and "
        "support for them before the rollout widens.",
    ),
    Stage.manage_optimize: (
        "Put the growth plans on a reviewed footing",
        "Set a regular review where the concerns are tracked next to usage, so expansion "
        "is decided on evidence rather than momentum.",
    ),
}
_MOMENTUM = {
    Stage.listen_consult: (
        "Carry the clear goals straight into design",
        "The customer was open about what matters to them; reflect their own words in the "
        "first solution proposal so the link stays visible.",
    ),
    Stage.inspire_design: (
        "Turn design enthusiasm into a concrete blueprint",
        "Capture the ideas that landed well in a short design document and review it with "
        "{p} while interest is high.",
    ),
    Stage.empower_achieve: (
        "Move quickly from validation to a decision",
        "Interest in proving the solution is there; propose dates and a scope for the "
        "pilot now, before priorities shift.",
    ),
    Stage.realize_value: (
        "Publicise the early wins",
        "Share the positive results with the wider user base and leadership to pull more "
        "teams into adoption.",
    ),
    Stage.manage_optimize: (
        "Plan the next phase with the customer",
        "The appetite for more is clear; sketch the next phase with {p}, including what "
        "would need to be true for it to go ahead.",
    ),
}
_GAP = {
    Stage.listen_consult: (
        "Revisit the customer's goals",
        "Ask {p} directly about priorities and pain points "
        "at the next meeting; later-stage work without them is built on guesses.",
    ),
    Stage.inspire_design: (
        "Open the solution design conversation",
        "No design ideas were discussed; bring a "
        "short options overview tied to what {p} described and test it with them.",
    ),
    Stage.empower_achieve: (
        "Propose how the solution could be proven",
        "Validation was not discussed; suggest a "
        "small, time-boxed pilot with measurable criteria agreed with {p}.",
    ),
    Stage.realize_value: (
        "Prepare for deployment and adoption",
        "Deployment and adoption did not come up; "
        "agree how success will be measured once the solution is live.",
    ),
    Stage.manage_optimize: (
        "Agree a rhythm for reviewing value",
        "Long-term plans were not discussed; offer a recurring review to track value and spot new needs.",
    ),
}


def _ahead(f: Findings, s: Stage) -> bool:
    """Whether advice about this stage still lies ahead: never send the account team back a stage."""
    return f.current_stage is None or list(Stage).index(s) >= list(Stage).index(f.current_stage)


def recommendations(f: Findings) -> list[Recommendation]:
    if not f.engagement:
        return _not_an_engagement(f)
    p = f.participant or "the customer"
    found: list[tuple[float, Recommendation]] = list(_from_records(f, p))
    discussed = [s for s in Stage if f.discussed(s)]
    for s in discussed:
        if not _ahead(f, s):
            continue
        concerns = f.concerns(s)
        picked = [t for t in f.terms(s, 3, among=concerns or None) if t not in GENERIC]
        # One word, or words like "problem" and "frustration", read worse than the stage's subject.
        terms = join_names(picked) if len(picked) >= 2 else _STAGE_FOCUS[s]
        if concerns:
            title, body = _CONCERN[s]
            who = join_names(sorted({c.sentence.speaker for c in concerns}))
            lead = f"In {STAGE_TITLES[s]}, {who} raised concerns around {terms}. "
            worst = evidence.concern_of(f, s)
            if worst is not None:
                lead += f"The sharpest: {evidence.said(worst.sentence)} "
            found.append(
                (
                    3.0 + min(len(concerns), 3) / 3,
                    Recommendation(title=title, narrative=lead + body.format(p=p), stages=[s]),
                )
            )
        elif f.stage_tone[s].label == "positive" and len(f.by_stage[s]) >= 2:
            title, body = _MOMENTUM[s]
            named = f", naming {join_names(f.figures[s][:3])}" if f.figures[s] else ""
            lead = f"{STAGE_TITLES[s]} drew positive customer remarks on {terms}{named}. "
            found.append(
                (
                    2.0 + len(f.by_stage[s]) / 20,
                    Recommendation(title=title, narrative=lead + body.format(p=p), stages=[s]),
                )
            )
    for s in Stage:
        if not f.discussed(s) and _ahead(f, s) and s is not f.current_stage:
            title, body = _GAP[s]
            found.append((1.5, Recommendation(title=title, narrative=body.format(p=p), stages=[s])))
    figures = [(s, x) for s in Stage for x in f.figures[s]]
    if figures:
        shown = ", ".join(x for _, x in figures[:4])
        found.append(
            (
                2.1,
                Recommendation(
                    title="Build the customer's own numbers into the success measures",
                    narrative=(
                        f"{f.company_label} put figures on the table ({shown}). Use them as the baseline "
                        "and targets in the success plan and report against them at each review."
                    ),
                    stages=sorted({s for s, _ in figures if _ahead(f, s)}, key=list(Stage).index),
                ),
            )
        )
    if f.microsoft.label in ("negative", "mixed"):
        found.append(
            (
                3.5,
                Recommendation(
                    title="Address the customer's reservations about Microsoft",
                    narrative=(
                        f"The tone toward Microsoft was {f.microsoft.label}.{_sharpest(f)} "
                        f"Name the concerns back to {p} and agree one visible fix before asking for the next "
                        "commitment."
                    ),
                ),
            )
        )
    found.sort(key=lambda pr: -pr[0])
    picked = _dedupe([r for _, r in found])[:5]
    for fallback in _fallbacks(f, p):
        if len(picked) >= 3:
            break
        if any(not _ahead(f, s) for s in fallback.stages):
            continue
        if all(fallback.title != r.title for r in picked):
            picked.append(fallback)
    return picked


_EXEC = re.compile(r"\b(?:executive|sponsor|vice president|VP|CEO|CIO|CFO|leadership)\b", re.IGNORECASE)


def _from_records(f: Findings, p: str) -> list[tuple[float, Recommendation]]:
    """Recommendations that follow from what was decided, asked for and feared in the call."""
    out: list[tuple[float, Recommendation]] = []
    stage = [f.current_stage] if f.current_stage else []
    for d in f.records.decisions:
        m = re.match(r"^([A-Z][\w'’-]+(?: [A-Z][\w'’-]+)?) decides\b(.*)", d.text)
        if m:
            who, rest = m.group(1), m.group(2).strip(" ,.")
            out.append(
                (
                    4.0,
                    Recommendation(
                        title=f"Prepare the evidence for {who}'s decision",
                        narrative=(
                            f"{who} decides {rest}. Agree with {p} exactly what that evidence must show, who "
                            "gathers it and when, so the decision meets a prepared case rather than a slide."
                        ),
                        stages=stage,
                    ),
                )
            )
            break
    for step in f.records.steps:
        if step.kind == "request" and _EXEC.search(step.action):
            when = f" {step.due}" if step.due else ""
            out.append(
                (
                    3.8,
                    Recommendation(
                        title="Bring a Microsoft executive to the table",
                        narrative=(
                            f"{step.sentence.speaker} asked for this directly ({step.action[0].lower()}"
                            f"{step.action[1:]}{when}). Confirm who attends, and brief them beforehand on "
                            "the results so far, the open commercial questions and what the customer needs "
                            "to hear."
                        ),
                        stages=stage,
                    ),
                )
            )
            break
    for r in f.records.risks:
        if r.competitor:
            out.append(
                (
                    3.6,
                    Recommendation(
                        title=f"Answer the {r.competitor} challenge with evidence",
                        narrative=(
                            f"The customer side rates {r.competitor} well ({r.sentence.speaker} made"
                            f" the point). "
                            f"Show, on the customer's own workloads, where Microsoft matches or beats "
                            f"{r.competitor}, and name who on the account team owns that comparison before "
                            "the next decision point."
                        ),
                        stages=stage,
                    ),
                )
            )
            break
    return out


def _not_an_engagement(f: Findings) -> list[Recommendation]:
    """Three honest steps for a meeting with no Microsoft side: MCEM advice would be made up."""
    subjects = "; ".join(t.label for t in f.topics[:3])
    return [
        Recommendation(
            title="Confirm this meeting belongs in an MCEM analysis",
            narrative=(
                "Nobody in the transcript speaks for Microsoft and Microsoft is never mentioned, so it reads "
                "as an internal or project meeting rather than a customer engagement. Check that the right "
                "recording was analysed; if it was, name the Microsoft attendees so the customer's side can "
                "be told apart."
            ),
        ),
        Recommendation(
            title="Start with a discovery conversation",
            narrative=(
                "If these speakers are a prospective customer, the first step is a Listen & Consult "
                "conversation led by the account team: their goals, pain points and how they would measure "
                "success, none of which this meeting covered in MCEM terms."
            ),
            stages=[Stage.listen_consult],
        ),
        Recommendation(
            title="Keep the meeting's own subjects with its project",
            narrative=(
                f"The main subjects of the meeting{f' ({subjects})' if subjects else ''} are listed under "
                "other topics below; they are the speakers' own work and belong with that project, not in an "
                "account plan."
            ),
        ),
    ]


def _sharpest(f: Findings) -> str:
    worst = evidence.strongest(f.mentions.get("Microsoft", []), positive=False, name="Microsoft")
    return f" The sharpest criticism came from {worst.speaker}: {evidence.said(worst)}" if worst else ""


def _dedupe(recs: list[Recommendation]) -> list[Recommendation]:
    seen: set[str] = set()
    out = []
    for r in recs:
        if r.title not in seen:
            seen.add(r.title)
            out.append(r)
    return out


def _fallbacks(f: Findings, p: str) -> list[Recommendation]:
    return [
        Recommendation(
            title=f"Walk through this draft with {p}",
            narrative=(
                "Little of the conversation could be tied to MCEM stages. Confirm the reading with the "
                "customer and add what the transcript did not capture."
            ),
        ),
        Recommendation(
            title="Capture the customer's goals in their own words",
            narrative=(
                f"Ask {p} to name their top three goals and how they would measure them, and keep the "
                "answers as the reference for every later stage."
            ),
            stages=[Stage.listen_consult],
        ),
        Recommendation(
            title="Agree the next step and its date before closing",
            narrative=(
                f"Close the follow-up by agreeing one concrete next step with {f.company_label}, an owner "
                "on each side and a date."
            ),
        ),
    ]
