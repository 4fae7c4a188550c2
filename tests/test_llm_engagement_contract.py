"""Issue 9's contract for the LLM engine, through the OpenAI-compatible stand-in: what the prompt asks for
(audience, the not-an-engagement branch, stage reached, next steps, partner, hints, no quote twice,
confidential asides), and what code enforces on whatever the model answers."""

from __future__ import annotations

import json
from typing import Any

from mcem.context import MeetingContext
from mcem.llm import LLMAnalyzer, llm_settings_from_env
from mcem.llm.prompts import prompt_version
from mcem.model import Analysis, Stage
from mcem.parsing import load_transcript
from mcem.pipeline import analyze
from mcem.render.card import summary_card
from mcem.render.markdown import to_markdown
from mcem.transcript import Transcript
from tests.conftest import ROOT
from tests.stubs import openai_stub as stubs
from tests.stubs.llm_replies import answer_for

SAMPLE = ROOT / "samples" / "contoso-manufacturing-call.vtt"
INTERNAL = frozenset({"Priya Raman", "Daniel O'Neil", "Sofia Farías", "Marcus Lee"})
ASIDE = (
    "We're in the final stages of acquiring Wingtip Components, "
    "a supplier of ours with two plants in Ontario."
)
STEP = "I'll bring our licensing specialist to a call next week so you get one answer on frontline licences."


async def _run(stub: stubs.OpenAIStub, transcript: Transcript, context: MeetingContext) -> Analysis:
    settings = llm_settings_from_env(stubs.azure_env(stub))
    assert settings is not None
    analyzer = LLMAnalyzer(settings)
    try:
        return await analyze(transcript, context, analyzer)
    finally:
        await analyzer.aclose()


def _alias(body: dict[str, Any], name: str) -> str:
    user = next(str(m["content"]) for m in body["messages"] if m["role"] == "user")
    line = next(x for x in user.splitlines() if f"= {name} (" in x)
    return line.split(" = ")[0]


async def test_the_prompt_states_every_rule_of_the_contract(stub: stubs.OpenAIStub) -> None:
    await _run(stub, load_transcript(SAMPLE), MeetingContext())
    system = stub.received[0].system_text
    for rule in (
        "internal Microsoft account team",  # the audience
        "never the customer",
        '"not_customer_engagement"',  # the branch for meetings that are no engagement
        "Naming Microsoft products",  # product names are no evidence
        "current_stage",
        "Recommendations go forward from that stage",
        "next_steps",
        "Microsoft's and the partner's own commitments",
        "No quote twice",
        "confidential",
        "No statistics in prose",
        "praise of a competitor is a risk",
        "The partner is a side of its own",
    ):
        assert rule in system, rule
    assert "already done" in system  # what account history closes earlier next steps with
    assert prompt_version().startswith("1.2+")


async def test_without_internal_names_the_offline_side_guesses_go_as_hints(stub: stubs.OpenAIStub) -> None:
    await _run(stub, load_transcript(SAMPLE), MeetingContext())
    user = stub.received[0].user_text
    assert "= Priya Raman (Microsoft account team, guessed)" in user
    assert "= Marcus Lee (partner Adatum Consulting, guessed)" in user
    assert "= Helen Whitaker (customer, guessed)" in user
    await _run(stub, load_transcript(SAMPLE), MeetingContext(internal_names=INTERNAL))
    named = stub.received[-1].user_text
    assert ", guessed)" not in named
    assert "= Marcus Lee (partner Adatum Consulting)" in named


async def test_what_the_model_answers_is_held_to_the_contract(stub: stubs.OpenAIStub) -> None:
    """A careless model: aliases for names, one quote twice, the aside in the topics, a stage for a
    meeting it itself calls no engagement is dropped; a real next step with owner and date survives."""

    def careless(body: dict[str, Any]) -> stubs.Reply:
        data = answer_for(body)
        priya = _alias(body, "Priya Raman")
        helen = _alias(body, "Helen Whitaker")
        twice = data["stages"][0]["quotes"][0]
        data["summary_table"][2]["excerpt"] = dict(twice)  # the same sentence again
        data["additional_feedback"]["other_topics"] = [f"An acquisition: “{ASIDE}”", "A flood in Saltillo."]
        data["next_steps"] = [
            {
                "action": "Bring the licensing specialist to a call",
                "owner": priya,
                "due": "next week",
                "quote": {"text": STEP, "speaker": priya},
            }
        ]
        data["confidential"] = [{"text": ASIDE, "speaker": helen}]
        return stubs.text(json.dumps(data))

    stub.default = careless
    analysis = await _run(stub, load_transcript(SAMPLE), MeetingContext(internal_names=INTERNAL))
    step = analysis.next_steps[0]
    assert (step.owner, step.due, step.quote.speaker) == ("Priya Raman", "next week", "Priya Raman")
    assert step.quote.text.startswith("I'll bring our licensing specialist")
    texts = [q.text for q in analysis.quotes()]
    assert len(texts) == len(set(texts))  # shown once
    assert ASIDE in [q.text for q in analysis.confidential]
    assert analysis.additional_feedback.other_topics == ["A flood in Saltillo."]
    shown = to_markdown(analysis) + json.dumps(summary_card(analysis, None), ensure_ascii=False)
    assert "Wingtip" not in shown
    assert "Bring the licensing specialist to a call — Priya Raman, next week" in to_markdown(analysis)

    def no_engagement(body: dict[str, Any]) -> stubs.Reply:
        data = answer_for(body)
        data["meeting_kind"] = "not_customer_engagement"
        data["current_stage"] = Stage.realize_value.value
        return stubs.text(json.dumps(data))

    stub.default = no_engagement
    other = await _run(stub, load_transcript(SAMPLE), MeetingContext())
    assert other.meeting_kind == "not_customer_engagement" and other.current_stage is None
