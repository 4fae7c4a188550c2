"""AccountHistory from the seeded Contoso calls (analysed offline, as the bot does) and from small parts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mcem.account import CallSource, account_history, stage_strip
from mcem.account.matching import MatchIndex, compatible_owner, same_risk
from mcem.model import Done, NextStep, Quote, Stage
from mcem.offline.records import Cast, done_in
from mcem.offline.scoring import Sentence
from mcem.verify import normalise
from tests.support.accounts import contoso_analyses, contoso_sources, transcript_text
from tests.support.analyses import make


@pytest.fixture(scope="module")
def history():  # type: ignore[no-untyped-def]
    return account_history("Contoso", contoso_sources())


def test_the_calls_are_in_order_with_the_stage_strip_moving(history) -> None:  # type: ignore[no-untyped-def]
    assert [c.subject for c in history.calls] == [
        "Contoso – security operations discovery",
        "Contoso – Sentinel design workshop",
        "Contoso – proof of concept kick-off",
    ]
    assert [c.stage for c in history.calls] == [
        Stage.listen_consult,
        Stage.inspire_design,
        Stage.empower_achieve,
    ]
    assert [stage_strip(c.stage) for c in history.calls] == ["●○○○○", "●●○○○", "●●●○○"]
    assert all("Anika Schulz" in " ".join(c.customer) for c in history.calls)
    assert not any("Lynne" in " ".join(c.customer) for c in history.calls)  # Microsoft is not the customer
    assert history.calls[1].moved[0] == "Stage moved from Listen & Consult to Inspire & Design."


def test_a_next_step_of_call_one_is_closed_by_call_twos_own_words(history) -> None:  # type: ignore[no-untyped-def]
    estimate = next(s for s in history.next_steps if "cost estimate" in s.action)
    assert (estimate.owner, estimate.raised_in, estimate.status, estimate.done_in) == (
        "Lynne Robbins",
        0,
        "done",
        1,
    )
    assert estimate.evidence is not None and "I sent the Sentinel cost estimate" in estimate.evidence.text
    # The evidence is verbatim from the later call, with its speaker and time.
    assert normalise(estimate.evidence.text) in normalise(transcript_text(1))
    assert estimate.evidence.speaker == "Lynne Robbins" and estimate.evidence.start is not None
    assert any("Done: Send you the Sentinel cost estimate" in m for m in history.calls[1].moved)


def test_a_step_asked_for_again_stays_open(history) -> None:  # type: ignore[no-untyped-def]
    briefing = next(s for s in history.next_steps if "CISO briefing" in s.action)
    assert (briefing.owner, briefing.status, briefing.raised_in, briefing.raised_again) == (
        "Alex Wilber",
        "open",
        0,
        [2],
    )
    assert briefing.evidence is None
    assert any("Asked again, still open: Arrange the CISO briefing" in m for m in history.calls[2].moved)


def test_the_works_council_sign_off_is_matched_though_nobody_is_named_in_the_report(history) -> None:  # type: ignore[no-untyped-def]
    council = next(s for s in history.next_steps if "works council" in s.action)
    assert council.status == "done" and council.done_in == 2
    assert council.evidence is not None and council.evidence.text.startswith("The data flows were signed off")


def test_recurring_risk_and_sentiment_over_time(history) -> None:  # type: ignore[no-untyped-def]
    [google] = [r for r in history.recurring_risks if "Google" in r.text]
    assert google.calls == [0, 1, 2]
    tracks = {t.company: t for t in history.sentiment}
    assert tracks["Microsoft"].relation == "microsoft" and [p.call for p in tracks["Microsoft"].points] == [
        0,
        1,
        2,
    ]
    assert tracks["Google"].relation == "competitor"
    # Anika spoke well of Google's offer in every call: a threat, not a customer cold to Google.
    assert [p.threat for p in tracks["Google"].points] == [True, True, True]
    assert not any(p.threat for p in tracks["Microsoft"].points)
    assert tracks["Adatum Consulting"].relation == "partner"
    assert history.sentiment[0].relation == "microsoft"  # Microsoft first


def test_nothing_said_in_confidence_enters_the_history(history) -> None:  # type: ignore[no-untyped-def]
    # Call two's aside ("keep this within this group: ... the Leipzig site") is in its analysis, kept
    # for the draft's author; the account history never carries it.
    assert any("Leipzig" in q.text for q in contoso_analyses()[1].confidential)
    assert "Leipzig" not in history.model_dump_json()


def test_the_order_of_the_sidecars_does_not_matter() -> None:
    sources = contoso_sources()
    shuffled = [sources[2], sources[0], sources[1]]
    assert account_history("Contoso", shuffled) == account_history("Contoso", sources)


def test_an_edited_sidecar_cannot_smuggle_an_aside_back_in() -> None:
    aside = Quote(text="We are negotiating to sell the Leipzig site.", speaker="Anika Schulz", start=3.0)
    base = make()
    step = NextStep(action="Plan around the Leipzig sale", owner="Anika Schulz", quote=aside)
    leaky = base.model_copy(update={"confidential": [aside], "next_steps": [step]})
    history = account_history("Contoso", [CallSource(leaky)])
    assert history.next_steps == [] and "Leipzig" not in history.model_dump_json()


def test_an_empty_account_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one analysis"):
        account_history("Contoso", [])


def _dated(days: int, *, steps: list[NextStep] = (), done: list[Done] = ()):  # type: ignore[no-untyped-def,assignment]
    a = make()
    when = datetime(2026, 10, 1, 15, tzinfo=UTC) + timedelta(days=days)
    return CallSource(
        a.model_copy(
            update={
                "details": a.details.model_copy(update={"date_time": when}),
                "next_steps": list(steps),
                "done": list(done),
            }
        )
    )


def test_the_same_work_by_someone_else_does_not_close_a_step() -> None:
    q = Quote(text="x said it", speaker="x", start=1.0)
    step = NextStep(action="Send the pricing comparison for the renewal", owner="Lynne Robbins", quote=q)
    other = Done(
        action="Sent the pricing comparison for the renewal", owner="Contoso (Anika Schulz)", quote=q
    )
    same = Done(
        action="Sent the pricing comparison for the renewal", owner="Microsoft (Lynne Robbins)", quote=q
    )
    history = account_history("C", [_dated(0, steps=[step]), _dated(7, done=[other])])
    assert history.next_steps[0].status == "open"
    history = account_history("C", [_dated(0, steps=[step]), _dated(7, done=[other, same])])
    assert history.next_steps[0].status == "done" and history.next_steps[0].done_in == 1
    # A report in the same call as the step, or before it, closes nothing.
    history = account_history("C", [_dated(0, done=[same]), _dated(7, steps=[step])])
    assert history.next_steps[0].status == "open"


@pytest.mark.parametrize(
    ("step", "report", "same"),
    [
        (
            "Send the Sentinel cost estimate by Friday the fourteenth",
            "Sent the Sentinel cost estimate on the 13th",
            True,
        ),
        (
            "Export a month of alert data from the SIEM",
            "Exported the alert data from the old SIEM last Monday",
            True,
        ),
        ("Send the pricing comparison", "Sent the architecture diagram", False),
        ("Send the proposal", "Sent it", False),  # one shared word is no match
    ],
)
def test_matching_on_the_work(step: str, report: str, same: bool) -> None:
    assert bool(MatchIndex([report]).matches(step)) is same


def test_owner_and_risk_rules() -> None:
    assert compatible_owner("Microsoft (Lynne Robbins)", "Lynne Robbins")
    assert compatible_owner("Anika Schulz", "")  # "the data flows were signed off": nobody named
    assert not compatible_owner("Alex Wilber", "Contoso (Jonas Richter)")
    assert same_risk(
        "Competitive risk: the customer rates Google well", "Competitive risk: the customer rates Google well"
    )
    assert not same_risk("A worry to answer: “The plant networks.”", "A worry to answer: “The budget round.”")


@pytest.mark.parametrize(
    ("said", "found"),
    [
        ("I sent the completed security questionnaire to Olivia last Thursday.", "Lynne Robbins"),
        ("We've already booked the architecture workshop for the ninth.", "Microsoft (Lynne Robbins)"),
        ("The data flows were signed off by the works council on Monday.", ""),
        ("If we signed the agreement we would be fine.", None),
        ("We ran a pilot in 2019 and it failed.", None),  # background, not a report on work agreed
        ("Have you sent the pricing yet?", None),
        ("We will send the draft next week.", None),
    ],
)
def test_offline_reports_of_work_done(said: str, found: str | None) -> None:
    cast = Cast(["Lynne Robbins", "Anika Schulz"], frozenset({"Lynne Robbins"}), {}, "Contoso")
    done = done_in(Sentence(0, 0, len(said), said, "Lynne Robbins", 0.0), cast)
    assert (done.owner if done else None) == found
