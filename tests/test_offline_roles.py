"""mcem.offline.roles: the summary table's insights are specific and varied, actions name what was said."""

from __future__ import annotations

import pytest

from mcem.context import MeetingContext
from mcem.model import Analysis, Role
from mcem.offline import OfflineAnalyzer
from mcem.offline.roles import specifics
from mcem.parsing import load_transcript
from tests.conftest import AMI, ROOT
from tests.fixtures.offline.calls import SMALL_TALK, chat

README = MeetingContext(
    company="Contoso Manufacturing",
    participant="Helen Whitaker",
    internal_names=frozenset({"Priya Raman", "Daniel O'Neil", "Sofia Farías", "Marcus Lee"}),
)


@pytest.fixture(scope="module")
def sample() -> Analysis:
    t = load_transcript(ROOT / "samples" / "contoso-manufacturing-call.vtt")
    return OfflineAnalyzer().analyze_sync(t, README)


def test_specifics_are_figures_and_dates_in_order() -> None:
    text = "We want to scale from two hundred users to two thousand by the end of Q3 next year."
    assert specifics(text) == ["two hundred users", "Q3", "next year"]
    assert specifics("Robert will decide in January.") == ["January"]
    assert specifics("That is fine.") == []


def test_insights_are_varied_and_name_the_specifics(sample: Analysis) -> None:
    rows = {r.role: r for r in sample.summary_table}
    openings = [r.insight.split(" (")[0] for r in sample.summary_table if r.excerpt is not None]
    assert len(openings) >= 4
    assert not any("which bears on" in r.insight for r in sample.summary_table)
    # the executive sponsor's row rests on the customer's explicit ask for a Microsoft executive
    sponsor = rows[Role.microsoft_executive_sponsor]
    assert sponsor.excerpt is not None and "executive sponsor" in sponsor.excerpt.text
    assert any("Karen Lindholm" in a for a in sponsor.actions)
    partner = rows[Role.partner]
    assert any("managed service proposal" in a for a in partner.actions)


def test_a_remark_is_called_praise_only_when_it_is(sample: Analysis) -> None:
    for r in sample.summary_table:
        if "speaks well of" in r.insight:
            assert r.excerpt is not None
            words = r.excerpt.text.casefold()
            assert any(
                w in words for w in ("good", "great", "excellent", "quick", "better", "steady", "trust")
            )


def test_no_engagement_means_no_made_up_actions() -> None:
    ami = load_transcript(AMI[0])
    for t in (ami, chat(SMALL_TALK)):
        a = OfflineAnalyzer().analyze_sync(t, MeetingContext())
        for r in a.summary_table:
            assert r.actions == ["None until the meeting is confirmed as a customer engagement"]


def test_an_insight_names_a_subject_once_not_two_forms_of_one_word(sample: Analysis) -> None:
    # "comments on configured and configuration" read as a machine's keyword list
    for r in sample.summary_table:
        subject = r.insight.split(" (")[0]
        words = [w.strip(",.:;").casefold() for w in subject.split() if len(w) >= 6]
        stems = [w[:6] for w in words]
        assert len(stems) == len(set(stems)), r.insight
