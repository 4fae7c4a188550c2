"""The bundled sample call: a well-formed Teams WebVTT file with enough substance for every MCEM stage.

The structural checks read the file directly, so they hold whichever parser the product uses; the
parse test runs it through the product's own loader.
"""

from __future__ import annotations

import itertools

import pytest

from mcem.parsing import load_transcript
from tests.conftest import ROOT
from tests.support.samples import Cue, read_cues

SAMPLE = ROOT / "samples" / "contoso-manufacturing-call.vtt"

MICROSOFT_SIDE = {"Priya Raman", "Daniel O'Neil", "Sofia Farías", "Marcus Lee"}
CUSTOMER_SIDE = {"Helen Whitaker", "Tomás Herrera", "Anika Schulz"}


@pytest.fixture(scope="module")
def cues() -> list[Cue]:
    return read_cues(SAMPLE)


def _all_text(cues: list[Cue], speakers: set[str] | None = None) -> str:
    return " ".join(c.text for c in cues if speakers is None or c.speaker in speakers)


def test_cues_are_in_time_order_and_parts_follow_each_other(cues: list[Cue]) -> None:
    assert len(cues) > 100
    for before, after in itertools.pairwise(cues):
        assert before.end > before.start
        assert after.start >= before.end, f"cue {after.n}-{after.part} overlaps the one before"
        if after.part:
            # A continuation part: same utterance, same speaker, numbered one on, no gap.
            assert (after.n, after.part, after.speaker) == (before.n, before.part + 1, before.speaker)
            assert after.start == before.end
        else:
            assert after.n > before.n


def test_teams_layout_details_are_all_exercised(cues: list[Cue]) -> None:
    raw = SAMPLE.read_text("utf-8")
    assert any(c.part == 2 for c in cues), "some utterance is long enough to be split into three parts"
    assert any(c.wrapped for c in cues), "some voice span wraps onto a second line"
    assert "<v Daniel O&#39;Neil>" in raw and "<v Sofia Far&#237;as>" in raw
    assert "P&amp;L" in raw


def test_length_is_a_realistic_half_hour_call(cues: list[Cue]) -> None:
    minutes = cues[-1].end / 60
    words = len(_all_text(cues).split())
    assert 25 <= minutes <= 40
    assert 4000 <= words <= 5500
    # Spoken pace, pauses included: roughly 120-160 words a minute.
    assert 120 <= words / minutes <= 160


def test_both_sides_speak(cues: list[Cue]) -> None:
    speakers = {c.speaker for c in cues}
    assert speakers == MICROSOFT_SIDE | CUSTOMER_SIDE
    customer_words = len(_all_text(cues, CUSTOMER_SIDE).split())
    assert customer_words > len(_all_text(cues).split()) / 2, "the customer should do most of the talking"


@pytest.mark.parametrize(
    ("stage", "phrases"),
    [
        ("listen_consult", ["biggest problem", "strategic goals", "reporting standard"]),
        ("inspire_design", ["architecture", "the design", "integration complexity"]),
        ("empower_achieve", ["proof of concept", "success criteria", "budget", "roadblocks"]),
        ("realize_value", ["pilot", "hours saved per week", "training", "change management"]),
        ("manage_optimize", ["two thousand by the end of Q3", "governance", "Quarterly business reviews"]),
    ],
)
def test_each_stage_has_its_vocabulary(cues: list[Cue], stage: str, phrases: list[str]) -> None:
    text = _all_text(cues).casefold()
    missing = [p for p in phrases if p.casefold() not in text]
    assert not missing, f"{stage}: {missing}"


def test_customer_talks_about_microsoft_and_other_companies(cues: list[Cue]) -> None:
    customer = _all_text(cues, CUSTOMER_SIDE)
    for company in ("Microsoft", "Adatum", "Litware", "AWS", "Wingtip Components"):
        assert company in customer, company
    for topic in ("hiring freeze", "Cyber Resilience Act", "CSRD", "acquiring"):
        assert topic in customer, topic


def test_the_product_parser_reads_it_as_the_same_call(cues: list[Cue]) -> None:
    transcript = load_transcript(SAMPLE)
    assert set(transcript.speakers) == MICROSOFT_SIDE | CUSTOMER_SIDE
    # Parts -0, -1, -2 of one utterance come back as one turn.
    assert len(transcript.utterances) == len({c.n for c in cues})
    assert transcript.duration == pytest.approx(cues[-1].end)
    assert 25 * 60 <= transcript.duration <= 40 * 60
    assert transcript.word_count == len(_all_text(cues).split())
    mandate = next(u for u in transcript.utterances if "mandate" in u.text)
    assert mandate.speaker == "Helen Whitaker"
    assert mandate.text.endswith("That is the mandate I'm carrying, and my P&L owners know it.")
    assert mandate.start == pytest.approx(next(c.start for c in cues if c.text.startswith("It did. Our CEO")))
