"""mcem.offline.scoring and lexicon: transparent stage and role scores for customer sentences."""

from __future__ import annotations

import pytest

from mcem.model import Role, Stage
from mcem.offline.lexicon import STAGE_TERMS, stage_lexicon, template_terms
from mcem.offline.scoring import STAGE_THRESHOLD, Sentence, score_sentence, split_sentences
from mcem.template import internal_sentences
from mcem.transcript import Utterance


def sentence(text: str) -> Sentence:
    return Sentence(utterance=0, begin=0, end=len(text), text=text, speaker="C", start=0.0)


@pytest.mark.parametrize(
    ("text", "stage"),
    [
        ("Our biggest challenge today is that reporting is manual and siloed.", Stage.listen_consult),
        (
            "The main priority for the board this year is cutting cost pressure in the plants.",
            Stage.listen_consult,
        ),
        ("We liked the reference architecture and want to integrate it with our ERP.", Stage.inspire_design),
        ("Can you sketch a blueprint and roadmap for the data platform?", Stage.inspire_design),
        (
            "We need a proof of concept with clear success criteria before budget approval.",
            Stage.empower_achieve,
        ),
        ("The pilot ran for six weeks and the CFO will sign off in January.", Stage.empower_achieve),
        ("The rollout reached two hundred users and adoption is above seventy percent.", Stage.realize_value),
        ("Training went well and people saved two hours per week after go live.", Stage.realize_value),
        ("Next year we want to expand to every region with proper governance.", Stage.manage_optimize),
        ("Let's put a quarterly review in place before the renewal.", Stage.manage_optimize),
    ],
)
def test_hand_written_customer_sentences_land_in_their_stage(text: str, stage: Stage) -> None:
    scored = score_sentence(sentence(text))
    assert scored.stage is stage, scored.breakdown()


@pytest.mark.parametrize(
    "text",
    [
        "Okay, sounds good to me.",
        "I had a nice weekend in the mountains with my family and the dog.",
        "Yes, I can hear you fine now, thanks.",
    ],
)
def test_small_talk_gets_no_stage(text: str) -> None:
    assert score_sentence(sentence(text)).stage is None


def test_a_lone_weak_word_stays_below_the_threshold() -> None:
    scored = score_sentence(sentence("We might need to think about that again sometime."))
    assert 0 < scored.stage_scores[Stage.listen_consult] < STAGE_THRESHOLD
    assert scored.stage is None


def test_breakdown_explains_the_score() -> None:
    scored = score_sentence(
        sentence("We want to run a pilot with clear success criteria before budget approval.")
    )
    terms = {t for t, _, _ in scored.breakdown()["empower_achieve"]}
    assert {"pilot", "success criteria", "budget approval"} <= terms
    total = sum(w for _, w, _ in scored.breakdown()["empower_achieve"])
    assert scored.stage_scores[Stage.empower_achieve] == pytest.approx(total)


def test_word_forms_match_through_stemming_and_prefixes() -> None:
    for text in ("We are piloting it in two plants next month.", "They deployed it across every plant."):
        assert score_sentence(sentence(text)).stage in (Stage.empower_achieve, Stage.realize_value)
    assert "pilot" in {
        h.term for h in score_sentence(sentence("Two pilots are running.")).stage_hits[Stage.empower_achieve]
    }


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("The contract pricing and the budget timeline worry our procurement team.", Role.account_executive),
        ("Adoption and usage dropped, so I want a success plan before the renewal.", Role.csam),
        (
            "Integration with SAP and the security architecture are the technical risks.",
            Role.solution_specialist,
        ),
        ("We need training, a readiness check and a rollout playbook for the plants.", Role.csa),
        ("Our integrator partner Adatum built the pilot, and their managed service is great.", Role.partner),
        (
            "The board and our CEO want to see ROI before any further investment.",
            Role.microsoft_executive_sponsor,
        ),
        ("Who is accountable for governance and regulatory risk on our side?", Role.customer_account_sponsor),
    ],
)
def test_role_scoring_picks_the_role(text: str, role: Role) -> None:
    scores = score_sentence(sentence(text)).role_scores
    assert max(scores, key=lambda r: scores[r]) is role, scores


def test_template_terms_are_specific_to_one_stage() -> None:
    derived = template_terms()
    for stage, terms in derived.items():
        for other, other_terms in derived.items():
            if other is not stage:
                assert not set(terms) & set(other_terms)
    # generic words of the guidance text never become evidence
    every = {t for terms in derived.values() for t in terms}
    assert not every & {"customer", "narrative", "quotes", "paragraphs", "describe"}
    assert "blueprints" in derived[Stage.inspire_design]


def test_curated_terms_override_derived_ones_and_sources_are_labelled() -> None:
    design = {t.display: t for t in stage_lexicon()[Stage.inspire_design]}
    assert design["design"].source == "lexicon"
    assert design["blueprint"].source == "lexicon"  # replaced the derived "blueprints"
    assert design["visualize"].source == "template"
    assert all(t.weight > 0 for terms in stage_lexicon().values() for t in terms)
    assert len(STAGE_TERMS) == 5


def test_lexicon_holds_no_internal_reference_sentence() -> None:
    terms = {t.display for terms in stage_lexicon().values() for t in terms}
    assert all(len(t.split()) <= 3 for t in terms)
    assert not terms & set(internal_sentences())


def test_sentences_are_exact_spans_with_leading_hesitation_trimmed() -> None:
    u = Utterance(speaker="A", start=3.0, end=9.0, text="Um, uh, the pilot worked. Really well!  And then?")
    parts = split_sentences(4, u)
    assert [p.text for p in parts] == ["the pilot worked.", "Really well!", "And then?"]
    assert all(u.text[p.begin : p.end] == p.text and p.utterance == 4 and p.start == 3.0 for p in parts)
