"""mcem.offline.evidence: the customer sentences the prose quotes, picked for what they say."""

from __future__ import annotations

import pytest

from mcem.context import MeetingContext
from mcem.model import Stage
from mcem.offline import evidence
from mcem.offline.findings import Findings, gather
from mcem.offline.scoring import Sentence
from mcem.parsing import load_transcript
from tests.conftest import AMI, ROOT
from tests.fixtures.offline.calls import AE, FULL, SMALL_TALK, chat


@pytest.fixture(scope="module")
def sample() -> Findings:
    return gather(load_transcript(ROOT / "samples" / "contoso-manufacturing-call.vtt"), MeetingContext())


def s(text: str) -> Sentence:
    return Sentence(utterance=0, begin=0, end=len(text), text=text, speaker="C", start=0.0)


def test_self_description_goal_stakes_and_industry(sample: Findings) -> None:
    sized = [sc.sentence.text for sc in evidence.self_descriptions(sample)]
    assert sized[0].startswith("The short version is that we run six plants in four countries")
    assert any("four hundred technicians" in x for x in sized)
    goal = evidence.stated_goal(sample)
    assert goal is not None and "single reporting standard" in goal.sentence.text
    stake = evidence.stakes(sample)
    assert stake is not None and "forty million dollars" in stake.sentence.text
    assert evidence.industry(sample) == ("manufacturing", "the company's name")


def test_industry_from_talk_needs_three_distinct_cues() -> None:
    plants = gather(
        chat([("C", "Our plants run three production lines and the machines are old."), ("C", "Yes.")]),
        MeetingContext(),
    )
    kind, source = evidence.industry(plants)
    assert kind == "manufacturing" and source.startswith("talk of ")
    assert evidence.industry(gather(chat(SMALL_TALK), MeetingContext())) == ("", "")


def test_threads_follow_a_subject_across_stages(sample: Findings) -> None:
    found = evidence.threads(sample)
    budget = [t for t in found if t.key == "budget"]
    assert budget, [t.key for t in found]
    t = budget[0]
    assert len(t.stages) >= 2 and t.last.sentence.start - t.first.sentence.start >= 300
    assert "budget" in t.last.sentence.text.casefold()


def test_praise_needs_a_praise_word_and_no_wish() -> None:
    assert (
        evidence.strongest([s("The proof of concept needs clear success criteria before March.")], True)
        is None
    )
    assert evidence.strongest([s("If it worked it would make my CFO very happy indeed.")], True) is None
    best = evidence.strongest([s("Adatum has been excellent and very helpful throughout.")], True)
    assert best is not None and best.text.startswith("Adatum")
    worst = evidence.strongest([s("The ticket sat for nine days, which was terrible.")], False)
    assert worst is not None


def test_quotable_keeps_prose_quotations_short_and_clean() -> None:
    assert evidence.quotable("We run six plants in four countries.")
    assert not evidence.quotable("Too short.")
    assert not evidence.quotable('He said "no" to the whole plan yesterday.')
    assert not evidence.quotable(" ".join(["word"] * 40))


def test_engagement_is_seen_from_a_microsoft_side_or_a_mention() -> None:
    assert gather(chat(FULL), MeetingContext()).engagement
    assert gather(chat(FULL), MeetingContext(internal_names=frozenset({AE}))).engagement
    assert not gather(chat(SMALL_TALK), MeetingContext()).engagement
    ami = load_transcript(AMI[0])
    assert not gather(ami, MeetingContext()).engagement


def test_fact_of_prefers_a_quote_with_figures(sample: Findings) -> None:
    fact = evidence.fact_of(sample, Stage.manage_optimize)
    assert fact is not None and "two thousand" in fact.sentence.text
