"""mcem.offline.summary: background, executive summary and insights read as prose, not as a log."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mcem.context import MeetingContext
from mcem.model import Analysis
from mcem.offline import OfflineAnalyzer
from mcem.parsing import load_transcript
from mcem.transcript import Transcript
from mcem.verify import verify
from tests.conftest import AMI, ROOT
from tests.fixtures.offline.calls import AE, EARLY, FULL, chat

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)
SAMPLE = ROOT / "samples" / "contoso-manufacturing-call.vtt"
README = MeetingContext(
    company="Contoso Manufacturing",
    participant="Helen Whitaker",
    internal_names=frozenset({"Priya Raman", "Daniel O'Neil", "Sofia Farías", "Marcus Lee"}),
)
QUOTED = re.compile(r"“([^”]+)”")


def run(t: Transcript, ctx: MeetingContext) -> Analysis:
    return OfflineAnalyzer(now=NOW).analyze_sync(t, ctx)


def prose(a: Analysis) -> list[str]:
    """Every prose field that may quote the customer."""
    out = [a.company_background, *a.executive_summary, *a.insights]
    out += [p for s in a.stages for p in s.paragraphs] + [r.narrative for r in a.recommendations]
    out += [r.insight for r in a.summary_table] + [c.summary for c in a.additional_feedback.sentiment]
    return out + a.additional_feedback.other_topics


@pytest.fixture(scope="module")
def sample() -> tuple[Transcript, Analysis]:
    t = load_transcript(SAMPLE)
    return t, run(t, README)


def test_executive_summary_is_purpose_themes_and_named_recommendations(
    sample: tuple[Transcript, Analysis],
) -> None:
    _, a = sample
    purpose, themes, preview = a.executive_summary
    assert "Priya Raman (Microsoft)" in purpose and "Contoso Manufacturing" in purpose
    assert "all five stages" in purpose
    # themes are sentences with the customer's own concrete facts, not "Stage (a and b), tone x;" lines
    assert themes.startswith("Three themes stood out. First, ")
    assert "Second, " in themes and "Third, " in themes and "tone upbeat;" not in themes
    assert "“We want to scale from two hundred users to two thousand by the end of Q3 next year.”" in themes
    for r in a.recommendations[:3]:
        assert r.title[0].lower() + r.title[1:] in preview


def test_background_quotes_self_descriptions_and_says_what_was_not_stated(
    sample: tuple[Transcript, Analysis],
) -> None:
    _, a = sample
    bg = a.company_background
    assert "Helen Whitaker (Chief Information Officer)" in bg
    assert "we run six plants in four countries" in bg
    assert "forty million dollars" in bg  # what is at stake, in their words
    assert "manufacturing" in bg and "not stated" in bg
    assert "centred on" not in bg  # no keyword list
    early = run(chat(EARLY), MeetingContext(internal_names=frozenset({AE})))
    assert "Not stated in the call: industry, size and strategic priorities" in early.company_background


def test_insights_synthesise_across_stages(sample: tuple[Transcript, Analysis]) -> None:
    _, a = sample
    assert 2 <= len(a.insights) <= 3
    joined = " ".join(a.insights)
    assert "Customer evidence by stage:" not in joined
    assert "Momentum is clearest in" in joined and "(average tone" not in joined
    assert "hesitation greatest in" in joined
    assert "Momentum is clearest in" in joined and "hesitation greatest in" in joined


@pytest.mark.parametrize("path", [SAMPLE, *AMI], ids=["sample", *[p.stem for p in AMI]])
def test_every_prose_quotation_survives_verification_unchanged(path: Path) -> None:
    t = load_transcript(path)
    a = run(t, MeetingContext())
    v = verify(a, t)
    assert v.verification.quotes_dropped == 0
    assert prose(v) == prose(a)
    quoted = [q for p in prose(a) for q in QUOTED.findall(p)]
    assert quoted and all(any(q in u.text for u in t.utterances) for q in quoted)


@pytest.mark.parametrize("path", AMI, ids=[p.stem for p in AMI])
def test_a_meeting_that_is_no_engagement_says_so(path: Path) -> None:
    a = run(load_transcript(path), MeetingContext())
    assert a.company_background.startswith(
        "This meeting does not read as a customer engagement with Microsoft"
    )
    assert "does not look like one" in a.executive_summary[0]
    assert "Three themes stood out" not in a.executive_summary[1]
    assert "None of it describes an engagement with Microsoft" in a.executive_summary[1]
    assert a.recommendations[0].title == "Confirm this meeting belongs in an MCEM analysis"
    assert not any("enthusiasm" in r.title for r in a.recommendations)
    discussed = [s for s in a.stages if s.discussed]
    assert discussed and all("not a customer engagement" in s.paragraphs[-1] for s in discussed)


def test_a_customer_call_is_not_called_an_internal_meeting() -> None:
    a = run(chat(FULL), MeetingContext())
    assert "does not" not in a.executive_summary[0]
    assert not any(r.title.startswith("Confirm this meeting") for r in a.recommendations)


def test_theme_count_and_mood_follow_the_evidence() -> None:
    a = run(chat(EARLY), MeetingContext(internal_names=frozenset({AE})))
    themes = a.executive_summary[1]
    assert themes.startswith("Two themes stood out. First, validation and buy-in (Empower & Achieve")
    assert themes.count("where concern dominated") == 2
    assert "Inspire & Design, Realize Value and Manage & Optimize did not come up." in themes
    assert a.details.interviewer is not None and a.details.interviewer.role == ""
