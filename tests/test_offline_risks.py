"""Risks the offline analyzer reads from what the customer said: a worry still open, not one put to rest."""

from __future__ import annotations

from mcem.context import MeetingContext
from mcem.model import Analysis
from mcem.offline import OfflineAnalyzer
from mcem.parsing import load_transcript
from tests.conftest import ROOT

_INTERNAL = frozenset({"Lynne Robbins", "Alex Wilber", "Adele Vance", "Isaiah Langer"})


def _workshop() -> Analysis:
    t = load_transcript(ROOT / "samples" / "contoso-account" / "contoso-2-sentinel-design-workshop.vtt")
    return OfflineAnalyzer().analyze_sync(t, MeetingContext(company="Contoso", internal_names=_INTERNAL))


def test_a_worry_said_as_it_is_put_to_rest_is_no_risk() -> None:
    # Anika: "If the operational traffic stays on site and only alerts go to the cloud, the plant
    # managers will accept it. That was the part I was most worried about."
    risks = _workshop().risks
    assert not any("most worried about" in (r.quote.text if r.quote else r.text) for r in risks)
    assert any("Google" in r.text for r in risks)  # the open threat is still there


def test_one_turn_gives_one_risk_however_many_of_its_sentences_sound_alarmed() -> None:
    # Jonas: "Seventy percent from eleven rules. That is painful to hear, but it matches what my team
    # feels every day." - one frustration, quoted once.
    painful = [r for r in _workshop().risks if r.quote and "painful" in r.quote.text]
    assert len(painful) == 1, [r.text for r in _workshop().risks]
