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


def _kickoff_steps() -> list[tuple[str, str, str | None]]:
    t = load_transcript(ROOT / "samples" / "contoso-account" / "contoso-3-poc-kickoff.vtt")
    internal = frozenset({"Lynne Robbins", "Alex Wilber", "Adele Vance", "Isaiah Langer", "Marcus Lee"})
    a = OfflineAnalyzer().analyze_sync(t, MeetingContext(company="Contoso", internal_names=internal))
    return [(s.owner, s.action, s.due) for s in a.next_steps]


def test_a_rhythm_or_a_length_of_time_is_no_due_date_and_stays_in_the_action() -> None:
    # Isaiah: "I'll run weekly check-ins with Jonas every Thursday during the proof of concept."
    # Anika: "we'd like Adatum to train two of Jonas's analysts ... during the six weeks."
    steps = _kickoff_steps()
    check_ins = [s for s in steps if "check-ins" in s[1]]
    assert len(check_ins) == 1, check_ins
    assert "every Thursday during the proof of concept" in check_ins[0][1]
    assert check_ins[0][2] is None
    assert not any(re.search(r"\b(?:every|the|during)$", action) for _, action, _ in steps)
    assert all(due not in ("Thursday", "the Thursday", "six weeks") for _, _, due in steps)


def test_a_request_to_a_partner_and_its_answer_are_one_step_owned_by_who_answered() -> None:
    # Anika asks Adatum to train two analysts; Marcus (Adatum Consulting) answers "We'll train ...".
    training = [s for s in _kickoff_steps() if "analysts" in s[1]]
    assert len(training) == 1, training
    assert training[0][0] == "Adatum Consulting (Marcus Lee)"


def test_a_month_named_before_the_event_it_qualifies_is_read_with_it() -> None:
    # Alex: "I'll set up the CISO briefing for your CFO before the January budget round."
    briefing = next(s for s in _kickoff_steps() if "CISO briefing" in s[1])
    assert briefing[2] == "before the January budget round"
    assert briefing[1] == "Set up the CISO briefing for your CFO"


def test_an_amount_of_data_is_not_when_it_is_due() -> None:
    # Jonas: "I'll export a month of alert data from our current SIEM so your architects can see ..."
    t = load_transcript(ROOT / "samples" / "contoso-account" / "contoso-1-security-discovery.vtt")
    a = OfflineAnalyzer().analyze_sync(t, MeetingContext(company="Contoso"))
    export = next(s for s in a.next_steps if "alert data" in s.action)
    assert export.due is None
    assert "a month of alert data" in export.action


def test_a_promise_that_names_only_when_joins_the_step_it_is_about() -> None:
    # Hannah: "Joanna, can you give them the list of failed challenges ...?" Joanna: "I can export order
    # attempts ..." then "I'll do it before I go on leave on Thursday." Felix: "I'll do it in the second
    # week while I'm on call anyway." Kwame "does the runtime spike and reports back on Friday".
    t = load_transcript(ROOT / "samples" / "northwind-sprint-planning.vtt")
    steps = OfflineAnalyzer().analyze_sync(t, MeetingContext(company="Northwind")).next_steps
    assert not any(re.match(r"Do it\b", s.action) for s in steps), [s.action for s in steps]
    failed = next(s for s in steps if "failed challenges" in s.action)
    assert failed.due == "on Thursday"
    assert any(s.action == "Do the runtime spike and report back" for s in steps)
