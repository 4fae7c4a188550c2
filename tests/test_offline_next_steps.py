"""Next steps the offline analyzer reads from what was said: the action, its owner and its date."""

from __future__ import annotations

import re

from mcem.context import MeetingContext
from mcem.offline import OfflineAnalyzer
from mcem.parsing import load_transcript
from tests.conftest import ROOT


def test_a_date_taken_out_of_the_action_takes_its_contrast_with_it() -> None:
    # Helen: "show us that the data scientists can move their models in a few weeks, not a few months."
    t = load_transcript(ROOT / "samples" / "contoso-manufacturing-call.vtt")
    a = OfflineAnalyzer().analyze_sync(t, MeetingContext(company="Contoso Manufacturing"))
    step = next(s for s in a.next_steps if "move their models" in s.action)
    assert step.due == "in a few weeks"
    assert step.action.endswith("move their models")
    assert not any(re.search(r",\s*not\b[^,]*$", s.action) for s in a.next_steps)


def test_a_forecast_is_not_a_next_step_but_a_promise_of_work_is() -> None:
    # Siobhan: "we'll have four weeks of data by the committee" gives nobody work; nor Helen's "a full
    # quarter of data by January".
    # Rachel's recap "Nadia: have the Guidewire connector working for the exit review" does.
    t = load_transcript(ROOT / "samples" / "woodgrove-insurance-poc-checkin.vtt")
    a = OfflineAnalyzer().analyze_sync(t, MeetingContext(company="Woodgrove"))
    actions = [s.action for s in a.next_steps]
    assert not any("weeks of data" in x for x in actions)
    assert any("Guidewire connector working" in x for x in actions)


def test_having_a_deliverable_by_a_date_is_a_promise() -> None:
    t = load_transcript(ROOT / "samples" / "northwind-sprint-planning.vtt")
    a = OfflineAnalyzer().analyze_sync(t, MeetingContext(company="Northwind"))
    actions = [s.action for s in a.next_steps]
    assert any("hotfix out" in x for x in actions)
    assert any("first version of the funnel dashboard" in x for x in actions)
