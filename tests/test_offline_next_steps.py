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
