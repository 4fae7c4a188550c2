"""mcem.offline.topics: customer talk outside the MCEM stages, named by its distinctive words."""

from __future__ import annotations

from mcem.context import MeetingContext
from mcem.offline import OfflineAnalyzer
from mcem.offline.scoring import score_utterances
from mcem.offline.topics import side_topics
from mcem.parsing import load_transcript
from tests.conftest import ROOT
from tests.fixtures.offline.calls import chat

LINES = [
    ("Helen", "Our biggest challenge is manual reporting across every plant and region."),
    ("Helen", "We had the flood at the Saltillo warehouse in September and lost the paper records."),
    ("Helen", "The flood also damaged two forklifts and the warehouse roof, which took weeks to repair."),
    ("Tomás", "After the flood the Saltillo warehouse team moved everything onto shelves off the floor."),
    ("Helen", "We want to run a pilot with clear success criteria before the budget approval."),
    ("Tomás", "My daughter started at the university in Wrocław and she loves the city."),
    ("Tomás", "The university in Wrocław has a strong engineering faculty and a lovely old campus."),
]


def test_runs_without_stage_evidence_become_named_topics_in_order() -> None:
    t = chat(LINES)
    scored = score_utterances(t.utterances, range(len(t.utterances)))
    topics = side_topics(scored, t.speakers)
    assert len(topics) == 2
    first, second = topics
    assert {"flood", "Saltillo", "warehouse"} & set(first.keywords) and first.remarks == 3
    assert first.speaker == "Helen" and first.start == 15.0
    assert "Wrocław" in second.keywords or "university" in second.keywords
    assert all(k not in {"Helen", "Tomás"} for tpc in topics for k in tpc.keywords)


def test_no_topics_when_everything_belongs_to_a_stage_or_is_small_talk() -> None:
    t = chat([("A", "Our biggest challenge is manual reporting."), ("A", "Okay, thanks."), ("A", "Yes.")])
    assert side_topics(score_utterances(t.utterances, range(3)), t.speakers) == []


def test_each_topic_carries_its_most_telling_sentence_verbatim() -> None:
    t = chat(LINES)
    topics = side_topics(score_utterances(t.utterances, range(len(t.utterances))), t.speakers)
    said = {u.text for u in t.utterances}
    assert all(tpc.lead in said for tpc in topics)
    first, second = topics
    # The flood run's distinctive words (flood, Saltillo, warehouse) meet in one sentence.
    assert "flood" in first.lead and "Saltillo" in first.lead and "warehouse" in first.lead
    assert "Wrocław" in second.lead


def test_labels_keep_multi_word_names_whole() -> None:
    t = chat(
        [
            ("Anika", "Our biggest challenge is manual reporting across every plant and region."),
            (
                "Anika",
                "The EU Cyber Resilience Act means our equipment suppliers have to document "
                "the software in machines.",
            ),
            (
                "Anika",
                "Our own customers are starting to ask about the Cyber Resilience Act and the software too.",
            ),
            (
                "Helen",
                "We have our first CSRD report due next year and energy per part must be published.",
            ),
        ]
    )
    (topic,) = side_topics(score_utterances(t.utterances, range(len(t.utterances))), t.speakers)
    assert "EU Cyber Resilience Act" in topic.label
    assert "Cyber, Resilience" not in topic.label and "Resilience and" not in topic.label
    assert topic.label[0].isupper()


def test_sample_topics_read_as_named_subjects_with_a_verbatim_lead() -> None:
    t = load_transcript(ROOT / "samples" / "contoso-manufacturing-call.vtt")
    lines = OfflineAnalyzer().analyze_sync(t, MeetingContext()).additional_feedback.other_topics
    assert any(line.startswith("EU Data Boundary (raised by Anika Schulz at 10:32): “") for line in lines)
    assert not any("Wingtip" in line for line in lines)  # said in confidence
    assert not any("outside the MCEM stages):" in line for line in lines)
