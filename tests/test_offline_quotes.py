"""mcem.offline.quotes: which customer sentences are worth quoting."""

from __future__ import annotations

from mcem.model import Role, Stage
from mcem.offline.quotes import MAX_WORDS, pick_role_excerpt, pick_stage_quotes, quality, spans
from mcem.offline.scoring import Sentence, score_sentence, score_utterances
from tests.fixtures.offline.calls import chat


def s(text: str, speaker: str = "C", utterance: int = 0) -> Sentence:
    return Sentence(utterance=utterance, begin=0, end=len(text), text=text, speaker=speaker, start=0.0)


def test_too_short_too_long_and_hesitant_sentences_are_not_quoted() -> None:
    assert quality(s("Pilot approved."), 5.0) is None
    assert quality(s(" ".join(["pilot"] * (MAX_WORDS + 1))), 5.0) is None
    assert quality(s("Um so the uh pilot um was uh you know fine I mean"), 5.0) is None
    assert quality(s("The pilot was approved by the CFO last week."), 5.0) is not None


def test_figures_names_and_strong_feeling_raise_quality() -> None:
    plain = quality(s("The pilot went fine for the team overall."), 2.5)
    numbers = quality(s("The pilot cut repair time by forty percent overall."), 2.5)
    named = quality(s("The pilot in Monterrey went fine for Tomás overall."), 2.5)
    strong = quality(s("The pilot was absolutely fantastic for the whole team."), 2.5)
    assert plain is not None and numbers is not None and named is not None and strong is not None
    assert numbers > plain and named > plain and strong > plain


def test_run_on_sentence_is_cut_into_clause_spans_of_the_same_utterance() -> None:
    text = (
        "so we looked at the pilot and the budget approval process for quite a while, and then the team "
        "went back to the plants to talk with the operators about the training they would need, and after "
        "that we still had to come back to finance about the licences and the timeline for everything"
    )
    parts = spans(score_sentence(s(text)))
    assert len(parts) > 1
    assert all(text[p.sentence.begin : p.sentence.end] == p.sentence.text for p in parts)
    assert all(p.sentence.words <= MAX_WORDS for p in parts)


def test_stage_quotes_vary_speakers_and_skip_near_duplicates() -> None:
    t = chat(
        [
            ("A", "We need a proof of concept with clear success criteria before the budget approval."),
            ("A", "We need a proof of concept with clear success criteria before any budget approval."),
            ("A", "The pilot must show forty percent faster repairs before the CFO will sign off."),
            ("B", "I worry the pilot timeline is too short for procurement to finish the contract."),
        ]
    )
    scored = score_utterances(t.utterances, range(len(t.utterances)))
    picked = pick_stage_quotes(scored, Stage.empower_achieve)
    texts = [p.sentence.text for p in picked]
    assert len(picked) == 3 and {p.sentence.speaker for p in picked} == {"A", "B"}
    assert sum("proof of concept" in x for x in texts) == 1
    assert [p.sentence.utterance for p in picked] == sorted(p.sentence.utterance for p in picked)


def test_role_excerpt_prefers_a_sentence_no_other_role_took() -> None:
    t = chat(
        [
            ("A", "The budget and the contract pricing are what our procurement team cares about."),
            ("A", "We also want a clear budget timeline before we commit to the pricing."),
        ]
    )
    scored = score_utterances(t.utterances, range(2))
    first = pick_role_excerpt(scored, Role.account_executive, set())
    assert first is not None and first.sentence.utterance == 0
    second = pick_role_excerpt(scored, Role.account_executive, {(0, 0)})
    assert second is not None and second.sentence.utterance == 1
    assert pick_role_excerpt(scored, Role.partner, set()) is None
