"""The offline analyzer on real transcript files: the bundled sample call and the AMI meetings."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcem.context import MeetingContext
from mcem.model import Analysis, Stage
from mcem.offline import OfflineAnalyzer
from mcem.parsing import load_transcript
from mcem.template import internal_sentences
from mcem.transcript import Transcript
from mcem.verify import normalise, verify
from tests.conftest import AMI, ROOT

SAMPLE = ROOT / "samples" / "contoso-manufacturing-call.vtt"
README_INTERNAL = frozenset({"Priya Raman", "Daniel O'Neil", "Sofia Farías", "Marcus Lee"})
CUSTOMER = {"Helen Whitaker", "Tomás Herrera", "Anika Schulz"}


def analysed(path: Path, ctx: MeetingContext | None = None) -> tuple[Transcript, Analysis]:
    t = load_transcript(path)
    return t, verify(OfflineAnalyzer().analyze_sync(t, ctx or MeetingContext()), t)


def assert_quotes_verbatim(t: Transcript, a: Analysis, speakers: set[str] | None = None) -> None:
    assert a.verification.quotes_dropped == 0
    for q in a.quotes():
        assert q.start is not None
        assert any(
            u.speaker == q.speaker and q.text in u.text and u.start <= q.start <= u.end for u in t.utterances
        )
        if speakers is not None:
            assert q.speaker in speakers


def assert_no_leak(a: Analysis) -> None:
    assert a.verification.internal_sentences_removed == 0
    blob = normalise(a.model_dump_json())
    for s in internal_sentences():
        assert normalise(s) not in blob


def test_sample_without_any_context_guesses_sides_company_and_people() -> None:
    t, a = analysed(SAMPLE)
    assert a.company_name == "Contoso Manufacturing"
    assert a.participant_name == "Helen Whitaker"
    assert a.details.interviewer is not None and a.details.interviewer.label() == (
        "Priya Raman, Microsoft Account Executive"
    )
    assert a.details.participant is not None
    assert a.details.participant.label() == "Helen Whitaker, Chief Information Officer"
    assert all(name in a.meta.note for name in README_INTERNAL)
    assert all(s.discussed and s.quotes for s in a.stages)
    assert_quotes_verbatim(t, a, CUSTOMER)
    assert_no_leak(a)


def test_sample_with_the_readme_context_matches_its_story() -> None:
    ctx = MeetingContext(company="Contoso Manufacturing", internal_names=README_INTERNAL)
    t, a = analysed(SAMPLE, ctx)
    by = {s.stage: " ".join(q.text for q in s.quotes) for s in a.stages}
    assert "two thousand" in by[Stage.manage_optimize]
    assert "pilot" in by[Stage.empower_achieve].casefold()
    companies = {c.company: c for c in a.additional_feedback.sentiment}
    assert a.additional_feedback.sentiment[0].company == "Microsoft" and companies["Microsoft"].label in (
        "positive",
        "mixed",
    )
    assert {"AWS", "Adatum Consulting", "Litware"} <= set(companies)
    assert companies["Adatum Consulting"].label == "positive"
    # the README's reading: Microsoft mixed, Litware negative, each with the customer's reason quoted
    assert companies["Microsoft"].label == "mixed" and companies["Litware"].label == "negative"
    assert (
        "“Litware, to be blunt, is the thing we're working around, not with.”" in companies["Litware"].summary
    )
    assert "Contoso Manufacturing" not in companies
    assert 3 <= len(a.recommendations) <= 5
    assert sum(r.excerpt is not None for r in a.summary_table) >= 5
    assert_quotes_verbatim(t, a, CUSTOMER)
    assert_no_leak(a)


@pytest.mark.parametrize("path", AMI, ids=[p.stem for p in AMI])
def test_ami_design_meetings_give_an_honest_draft(path: Path) -> None:
    t, a = analysed(path)
    ms = a.additional_feedback.sentiment[0]
    assert (ms.company, ms.label) == ("Microsoft", "not mentioned")
    assert any(not s.discussed for s in a.stages)
    for s in a.stages:
        assert s.discussed == bool(s.paragraphs and "not discussed" not in s.paragraphs[0])
    assert 3 <= len(a.recommendations) <= 5
    assert a.company_name == "not a customer meeting"
    assert_quotes_verbatim(t, a)
    assert_no_leak(a)


def test_ami_files_are_present() -> None:
    assert len(AMI) == 2


def test_sample_stage_paragraphs_name_subjects_and_whole_figures() -> None:
    _, a = analysed(SAMPLE)
    by = {s.stage: s.paragraphs[0] for s in a.stages}
    # figures from any speaker, with what they measure
    assert "ninety-eight point six percent agreement on downtime" in by[Stage.empower_achieve]
    assert "Figures mentioned here" not in " ".join(by.values())
    assert "frustration" not in by[Stage.listen_consult] and "the board" in by[Stage.listen_consult]
