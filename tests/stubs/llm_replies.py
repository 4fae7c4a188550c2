"""Answers the OpenAI stub builds from the request it received, like a (very literal) model would.

Quotes are always real sentences of the transcript lines in the request (or of the evidence, for
the synthesis call), so a "valid" answer passes verification; tests mutate it to script the
failures (a fabricated quote, an echo of the internal reference, an obeyed injection).
"""

from __future__ import annotations

import json
import re
from typing import Any

from mcem.model import ROLE_TITLES, STAGE_TITLES, Stage

_LEGEND = re.compile(r"^(S\d+) = (.+?) \(([^,)]+)", re.M)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def user_message(body: dict[str, Any]) -> str:
    return next(str(m["content"]) for m in body["messages"] if m["role"] == "user")


def transcript_lines(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(full name, side, text) for each transcript line of the request."""
    text = user_message(body)
    legend = {alias: (name, side) for alias, name, side in _LEGEND.findall(text)}
    block = (
        text.split("<transcript>\n", 1)[1].split("\n</transcript>", 1)[0] if "<transcript>" in text else ""
    )
    out = []
    for line in block.splitlines():
        alias, _, said = line.partition(": ")
        name, side = legend.get(alias, (alias, "side unknown"))
        out.append((name, side, said))
    return out


def candidate_quotes(body: dict[str, Any]) -> list[dict[str, str]]:
    text = user_message(body)
    if "<evidence>" in text:
        evidence = json.loads(text.split("<evidence>\n", 1)[1].split("\n</evidence>", 1)[0])
        found = [q for part in evidence for s in part.get("stages", []) for q in s.get("quotes", [])]
        return [{"text": q["text"], "speaker": q["speaker"]} for q in found]
    lines = transcript_lines(body)
    customer = [x for x in lines if x[1] == "customer"] or lines
    quotes = []
    for name, _side, said in customer:
        first = _SENTENCE.split(said.strip())[0]
        if len(first.split()) >= 4:
            quotes.append({"text": first, "speaker": name})
    return quotes


def answer_for(body: dict[str, Any]) -> dict[str, Any]:
    name = body["response_format"]["json_schema"]["name"]
    quotes = candidate_quotes(body)
    return evidence(quotes) if name == "mcem_part_evidence" else analysis(quotes)


def evidence(quotes: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "stages": [
            {"stage": s.value, "notes": [f"The customer talked about {t}."], "quotes": quotes[i::5][:2]}
            for i, (s, t) in enumerate(STAGE_TITLES.items())
        ],
        "roles": [{"role": r.value, "notes": ["Relevant."], "quote": None} for r in ROLE_TITLES],
        "companies": [{"company": "Microsoft", "feeling": "Positive about the partnership."}],
        "mood": "Engaged.",
        "other_topics": [],
        "facts": [],
    }


def analysis(quotes: list[dict[str, str]]) -> dict[str, Any]:
    participant = quotes[0]["speaker"] if quotes else "Unknown participant"

    def pick(i: int) -> list[dict[str, str]]:
        return [quotes[i % len(quotes)]] if quotes else []

    return {
        "participant_name": participant,
        "company_name": "Contoso",
        "company_background": "Contoso is a retailer modernising its data platform.",
        "executive_summary": [
            "The call explored how the customer sees the partnership across the MCEM stages.",
            "We recommend a focused pilot and a clear adoption plan.",
        ],
        "details": {
            "interviewer": None,
            "participant": {"name": participant, "role": ""},
            "subject": "Quarterly check-in",
        },
        "stages": [
            {
                "stage": s.value,
                "discussed": bool(quotes),
                "paragraphs": [f"On {t}, the customer shared a clear view." if quotes else "Not discussed."],
                "quotes": pick(i),
            }
            for i, (s, t) in enumerate(STAGE_TITLES.items())
        ],
        "insights": ["Early alignment carries into adoption."],
        "recommendations": [
            {
                "title": f"Recommendation {n}",
                "narrative": "Act on what the customer asked for.",
                "stages": [Stage.listen_consult.value],
            }
            for n in (1, 2, 3)
        ],
        "summary_table": [
            {
                "role": r.value,
                "excerpt": quotes[i % len(quotes)] if quotes and i < 3 else None,
                "insight": "What this means for the role.",
                "actions": ["Follow up within two weeks."],
            }
            for i, r in enumerate(ROLE_TITLES)
        ],
        "additional_feedback": {
            "overall_mood": "Constructive and open.",
            "sentiment": [
                {"company": "Microsoft", "label": "positive", "score": 0.5, "summary": "Values the support."}
            ],
            "other_topics": [],
        },
        "meeting_kind": "customer_engagement",
        "current_stage": Stage.empower_achieve.value,
        "next_steps": [
            {"action": "Send a follow-up summary", "owner": q["speaker"], "due": None, "quote": q}
            for q in quotes[:1]
        ],
        "decisions": [],
        "done": [],
        "risks": [],
        "confidential": [],
    }


FABRICATED = "We will sign for five thousand seats this quarter."


def echo_sentences() -> list[str]:
    from mcem.template import internal_sentences

    return list(internal_sentences()[:4])


def poisoned(body: dict[str, Any], *, fabricate: bool = True, echo: bool = True) -> dict[str, Any]:
    """A model gone wrong: an invented quote, and the internal reference echoed all over the document.

    It is also what a model that obeyed the injection in tests/fixtures/llm/injection-call.vtt sends.
    """
    data = answer_for(body)
    if data.get("summary_table") is None:  # an evidence call: poison the stages only
        if fabricate:
            data["stages"][0]["quotes"].append({"text": FABRICATED, "speaker": "S1"})
        return data
    if fabricate:
        speaker = data["participant_name"]
        data["stages"][0]["quotes"].append({"text": FABRICATED, "speaker": speaker})
        data["summary_table"][0]["excerpt"] = {"text": FABRICATED, "speaker": speaker}
    if echo:
        lines = echo_sentences()
        data["executive_summary"].append(" ".join(lines[:2]))
        data["stages"][1]["paragraphs"].insert(0, f"As planned, {lines[2][0].lower()}{lines[2][1:]}")
        data["recommendations"][0]["narrative"] = f"Start now. {lines[3]}"
        data["summary_table"][1]["insight"] = lines[0]
    return data
