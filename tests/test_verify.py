"""mcem.verify: quotes are checked against the transcript, internal reference text never survives."""

from __future__ import annotations

import pytest

from mcem.model import (
    Analysis,
    Quote,
)
from mcem.template import internal_sentences
from mcem.transcript import Transcript, Utterance
from mcem.verify import PLACEHOLDER, normalise, verify
from tests.support.analyses import make

TRANSCRIPT = Transcript(
    utterances=(
        Utterance(
            speaker="Priya Raman", start=0.0, end=5.0, text="Thanks for joining. What is your top priority?"
        ),
        Utterance(
            speaker="Helen Whitaker",
            start=6.5,
            end=20.0,
            text="Our biggest hurdle is aligning our global teams around a single reporting standard. "
            "We need to see it live before we commit.",
        ),
        Utterance(
            speaker="Tomás Herrera",
            start=21.0,
            end=30.0,
            text="We’re moving the plants to Azure — slowly, but it’s working.",
        ),
        Utterance(
            speaker="Helen Whitaker",
            start=31.0,
            end=40.0,
            text="After week one, our pilot users were already saving two hours per week.",
        ),
    )
)

# A long internal sentence from the template's reference part, and the same lightly altered.
INTERNAL = next(s for s in internal_sentences() if s.startswith("Monitor usage trends"))
ALTERED = "Monitor the usage trends, capture the ROI metrics and coach end users on best practice."


def stage_quotes(a: Analysis) -> list[Quote]:
    return a.stages[0].quotes


def test_fabricated_quote_is_dropped_and_counted() -> None:
    real = Quote(text="We need to see it live before we commit.", speaker="Helen Whitaker")
    fake = Quote(
        text="We will buy ten thousand licences from you tomorrow morning.", speaker="Helen Whitaker"
    )
    out = verify(make(quotes=[real, fake]), TRANSCRIPT)
    assert [q.text for q in stage_quotes(out)] == ["We need to see it live before we commit."]
    assert out.verification.quotes_checked == 2
    assert out.verification.quotes_dropped == 1
    assert all("licences" not in q.text for q in out.quotes())


def test_same_topic_paraphrase_is_dropped() -> None:
    paraphrase = Quote(
        text="Our main hurdle is getting global teams onto one reporting standard.", speaker="Helen Whitaker"
    )
    out = verify(make(quotes=[paraphrase]), TRANSCRIPT)
    assert stage_quotes(out) == []
    assert out.verification.quotes_dropped == 1


def test_whitespace_curly_quotes_dashes_and_case_are_tolerated_and_transcript_text_kept() -> None:
    sloppy = Quote(
        text="we're   MOVING the plants to azure - slowly, but it's working", speaker="Tomás Herrera"
    )
    out = verify(make(quotes=[sloppy]), TRANSCRIPT)
    (q,) = stage_quotes(out)
    assert q.text == "We’re moving the plants to Azure — slowly, but it’s working."
    assert q.speaker == "Tomás Herrera"
    assert q.start == 21.0
    assert out.verification.quotes_dropped == 0


def test_sentence_inside_a_longer_utterance_gets_a_time_within_that_utterance() -> None:
    out = verify(
        make(quotes=[Quote(text="we need to see it live before we commit", speaker="Helen Whitaker")]),
        TRANSCRIPT,
    )
    (q,) = stage_quotes(out)
    assert q.text == "We need to see it live before we commit."
    # The second sentence starts about two-thirds into a turn spoken from 6.5 s to 20 s.
    assert q.start is not None
    assert 14.0 < q.start < 17.0


def test_sentence_at_the_start_of_an_utterance_gets_its_start() -> None:
    out = verify(
        make(quotes=[Quote(text="Our biggest hurdle is aligning our global teams", speaker="Helen")]),
        TRANSCRIPT,
    )
    (q,) = stage_quotes(out)
    assert q.start == 6.5


def test_wrong_speaker_is_corrected_to_who_said_it() -> None:
    wrong = Quote(
        text="After week one, our pilot users were already saving two hours per week.", speaker="Priya Raman"
    )
    out = verify(make(quotes=[wrong]), TRANSCRIPT)
    (q,) = stage_quotes(out)
    assert (q.speaker, q.start) == ("Helen Whitaker", 31.0)


def test_one_word_slip_is_kept_via_fuzzy_match_with_the_transcript_wording() -> None:
    slip = Quote(
        text="After week one our pilot users were saving two hours per week.", speaker="Helen Whitaker"
    )
    out = verify(make(quotes=[slip]), TRANSCRIPT)
    (q,) = stage_quotes(out)
    assert q.text == "After week one, our pilot users were already saving two hours per week."


def test_quote_spanning_two_utterances_is_not_found() -> None:
    across = Quote(text="but it's working. After week one, our pilot users", speaker="Tomás Herrera")
    out = verify(make(quotes=[across]), TRANSCRIPT)
    assert stage_quotes(out) == []


def test_a_word_fragment_does_not_count_as_found() -> None:
    # "ive before we" occurs inside "live before we" only as a broken word.
    out = verify(make(quotes=[Quote(text="ive before we", speaker="Helen Whitaker")]), TRANSCRIPT)
    assert stage_quotes(out) == []


def test_missing_table_excerpt_becomes_none_and_real_one_is_fixed() -> None:
    bad = verify(
        make(excerpt=Quote(text="Governance remains a key risk for us.", speaker="Helen")), TRANSCRIPT
    )
    assert bad.summary_table[0].excerpt is None
    assert bad.verification.quotes_dropped == 1
    good = verify(
        make(excerpt=Quote(text="our biggest hurdle is aligning our global teams", speaker="X")), TRANSCRIPT
    )
    assert good.summary_table[0].excerpt == Quote(
        text="Our biggest hurdle is aligning our global teams", speaker="Helen Whitaker", start=6.5
    )


FIELDS = ["paragraph", "insight", "narrative", "action", "summary", "mood"]


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("echo", [INTERNAL, ALTERED], ids=["exact", "altered"])
def test_internal_sentence_is_removed_from_every_text_field(field: str, echo: str) -> None:
    own = "Helen wants one reporting standard."
    out = verify(make(**{field: f"{own} {echo}"}), TRANSCRIPT)
    dumped = out.model_dump_json()
    assert normalise("capture ROI metrics") not in normalise(dumped)
    assert own in dumped
    assert out.verification.internal_sentences_removed >= 1


def test_internal_sentence_embedded_in_a_longer_sentence_is_removed() -> None:
    sneaky = f"As agreed, the team will {INTERNAL[0].lower()}{INTERNAL[1:-1]} over the next quarter."
    out = verify(make(insight=sneaky), TRANSCRIPT)
    assert all(r.insight == PLACEHOLDER for r in out.summary_table)


def test_internal_headings_are_removed() -> None:
    out = verify(
        make(summary="MCEM Reference for LLM (Internal — Do Not Include in Customer Output)."), TRANSCRIPT
    )
    assert "Reference for LLM" not in out.model_dump_json()
    assert out.executive_summary == ["Second paragraph."]


def test_field_emptied_by_the_guard_gets_a_placeholder_and_stays_valid() -> None:
    out = verify(make(narrative=INTERNAL, mood=ALTERED, action=INTERNAL), TRANSCRIPT)
    assert out.recommendations[0].narrative == PLACEHOLDER
    assert len(out.recommendations) == 3
    assert out.additional_feedback.overall_mood == PLACEHOLDER
    assert all(r.actions == ["Book a follow-up call"] for r in out.summary_table)


def test_ordinary_prose_on_related_topics_is_not_touched() -> None:
    a = make(
        narrative="Track usage every month and share the adoption figures with Helen's team.",
        insight="The customer wants a governance framework before scaling to two thousand users.",
    )
    out = verify(a, TRANSCRIPT)
    assert out.verification.internal_sentences_removed == 0
    assert out.recommendations[0].narrative == a.recommendations[0].narrative


def test_a_quote_that_reads_out_internal_text_is_dropped() -> None:
    t = Transcript(
        utterances=(
            *TRANSCRIPT.utterances,
            Utterance(speaker="Helen Whitaker", start=50, end=60, text=INTERNAL),
        )
    )
    out = verify(make(quotes=[Quote(text=INTERNAL, speaker="Helen Whitaker")]), t)
    assert stage_quotes(out) == []
    assert out.verification.quotes_dropped == 1


def test_verify_is_idempotent() -> None:
    a = make(
        quotes=[
            Quote(text="we need to see it live before we commit", speaker="Priya Raman"),
            Quote(text="This sentence was never said by anybody at all.", speaker="Helen Whitaker"),
        ],
        excerpt=Quote(text="Nobody said this either, not even once.", speaker="Helen Whitaker"),
        narrative=f"Keep this. {ALTERED}",
    )
    once = verify(a, TRANSCRIPT)
    twice = verify(once, TRANSCRIPT)
    assert twice == once
    assert once.verification.model_dump() == {
        "quotes_checked": 3,
        "quotes_dropped": 2,
        "internal_sentences_removed": 1,
        "private_removed": 0,
    }


def test_verify_does_not_mutate_its_input() -> None:
    a = make(quotes=[Quote(text="Invented words that nobody ever said here.", speaker="Helen Whitaker")])
    before = a.model_dump()
    verify(a, TRANSCRIPT)
    assert a.model_dump() == before


def test_misquotation_inside_prose_removes_its_sentence_and_is_counted() -> None:
    paragraph = (
        "Helen opened with reporting. "
        "She said “we will sign a five-year enterprise agreement next week” without hesitation. "
        "The team agreed to follow up."
    )
    out = verify(make(paragraph=paragraph), TRANSCRIPT)
    text = " ".join(out.stages[0].paragraphs)
    assert "five-year" not in text
    assert "Helen opened with reporting." in text and "The team agreed to follow up." in text
    # The same paragraph sits in all five stages: each misquotation is checked and dropped.
    assert out.verification.quotes_dropped == 5
    assert out.verification.quotes_checked == 5


def test_real_quotation_inside_prose_is_kept_in_the_transcripts_wording() -> None:
    out = verify(make(narrative='Helen was clear: "we need to see it live before we commit."'), TRANSCRIPT)
    narrative = out.recommendations[0].narrative
    assert "“We need to see it live before we commit.”" in narrative
    assert out.verification.quotes_dropped == 0
    assert verify(out, TRANSCRIPT) == out


def test_short_quoted_phrases_in_prose_are_left_alone() -> None:
    out = verify(make(insight='The customer called it a "quick win" twice.'), TRANSCRIPT)
    assert out.summary_table[0].insight == 'The customer called it a "quick win" twice.'
    assert out.verification.quotes_checked == 0
