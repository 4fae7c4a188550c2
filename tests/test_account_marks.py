"""Next steps marked done by a person (the summary email's "Next steps done") in the account history.

The seeded Contoso calls (analysed offline, as the bot does) with marks on their steps: how a mark
closes a step, sits beside a later call's quote, loses to a call after it that asks again, follows a
step asked for again, and what the card, the Word brief and the Markdown show of it.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from docx import Document

from cards import schema_errors, teams_findings
from mcem.account import CallSource, StepMark, StepStatus, account_history
from mcem.account.history import AccountHistory
from mcem.model import NextStep, Quote
from mcem.render.account_docx import account_docx
from mcem.render.account_markdown import account_markdown
from mcem.render.card.account import account_card
from tests.support.accounts import contoso_sources
from tests.support.analyses import make
from tests.support.cards import texts

# The calls are 20 Oct, 10 Nov and 1 Dec 2026 (15:00 UTC). Call 1's steps, as its draft lists them:
COST_ESTIMATE, CISO_BRIEFING, SEND_EXPORT, BRING_ARCHITECTS = 0, 2, 3, 4
# Call 3's "Set up the CISO briefing" is call 1's briefing asked for again.
CISO_AGAIN = 2
AFTER_ALL = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
BETWEEN_2_AND_3 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _history(*marks: tuple[int, StepMark]) -> AccountHistory:
    sources = contoso_sources()
    for call, mark in marks:
        sources[call] = replace(sources[call], marks=(*sources[call].marks, mark))
    return account_history("Contoso", sources)


def _step(history: AccountHistory, words: str) -> StepStatus:
    [step] = [s for s in history.next_steps if words in s.action]
    return step


def _docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def _section(markdown: str, heading: str) -> str:
    start = markdown.index(f"## {heading}")
    return markdown[start : markdown.index("\n## ", start + 3)]


def test_a_mark_closes_an_open_step_with_who_when_and_where() -> None:
    before = _history()
    assert _step(before, "Bring Isaiah").status == "open"
    history = _history((0, StepMark(step=BRING_ARCHITECTS, by="Lynne Robbins", at=AFTER_ALL)))
    step = _step(history, "Bring Isaiah")
    assert (step.status, step.done_in, step.evidence, step.marked_in, step.reopened_in) == (
        "done",
        None,
        None,
        0,
        None,
    )
    assert step.marked is not None and (step.marked.by, step.marked.at, step.marked.via) == (
        "Lynne Robbins",
        AFTER_ALL,
        "outlook",
    )
    assert (len(history.closed), len(history.open)) == (len(before.closed) + 1, len(before.open) - 1)


def test_a_later_calls_quote_and_a_mark_are_both_kept() -> None:
    history = _history((0, StepMark(step=COST_ESTIMATE, by="Alex Wilber", at=BETWEEN_2_AND_3)))
    step = _step(history, "cost estimate")
    assert (step.status, step.done_in, step.marked_in) == ("done", 1, 0)
    assert step.evidence is not None and "I sent the Sentinel cost estimate" in step.evidence.text
    assert step.marked is not None and step.marked.by == "Alex Wilber"
    done = _section(account_markdown(history), "Next steps done")
    assert "I sent the Sentinel cost estimate" in done
    assert "Marked done by Alex Wilber in Outlook, 20 Nov 2026." in done


def test_a_call_after_the_mark_that_asks_again_reopens_the_step_and_the_mark_stays_in_sight() -> None:
    # Marked on 20 Nov; the kick-off on 1 Dec asked for the CISO briefing again.
    history = _history((0, StepMark(step=CISO_BRIEFING, by="Alex Wilber", at=BETWEEN_2_AND_3)))
    step = _step(history, "Arrange the CISO briefing")
    assert (step.status, step.reopened_in, step.raised_again) == ("open", 2, [2])
    assert step.marked is not None
    still_open = _section(account_markdown(history), "Next steps still open")
    assert (
        "Marked done by Alex Wilber in Outlook, 20 Nov 2026; asked for again on 1 Dec, so still open."
        in still_open
    )
    assert any("Asked again, still open: Arrange the CISO briefing" in m for m in history.calls[2].moved)


def test_a_mark_after_the_call_that_asked_again_closes_the_step() -> None:
    history = _history((0, StepMark(step=CISO_BRIEFING, by="Alex Wilber", at=AFTER_ALL)))
    step = _step(history, "Arrange the CISO briefing")
    assert (step.status, step.reopened_in) == ("done", None)
    # At the kick-off it was still open: what moved then says so, as it did.
    assert any("Asked again, still open: Arrange the CISO briefing" in m for m in history.calls[2].moved)


def test_marking_the_repeat_marks_the_step_it_repeats() -> None:
    # Ticked on the kick-off's summary, where the briefing was asked for again ("Set up the CISO briefing").
    history = _history((2, StepMark(step=CISO_AGAIN, by="Isaiah Langer", at=AFTER_ALL, via="teams")))
    step = _step(history, "Arrange the CISO briefing")
    assert (step.status, step.raised_in, step.marked_in) == ("done", 0, 2)
    done = _section(account_markdown(history), "Next steps done")
    assert "Marked done by Isaiah Langer in Teams, 3 Dec 2026 (on the summary of 1 Dec)." in done


def test_the_latest_of_two_marks_counts_and_a_step_merged_within_a_call_takes_its_mark() -> None:
    # Call 1's "Send the alert export" is the same work as its "Export a month of alert data": one step.
    early = StepMark(step=CISO_BRIEFING, by="Alex Wilber", at=BETWEEN_2_AND_3)
    late = StepMark(step=CISO_BRIEFING, by="Lynne Robbins", at=AFTER_ALL)
    history = _history((0, early), (0, late), (0, StepMark(step=SEND_EXPORT, by="Jonas", at=AFTER_ALL)))
    briefing = _step(history, "Arrange the CISO briefing")
    assert briefing.marked is not None and (briefing.marked.by, briefing.status) == ("Lynne Robbins", "done")
    export = _step(history, "Export a month of alert data")
    assert export.marked is not None and export.marked.by == "Jonas"


def test_a_mark_for_a_step_the_call_does_not_have_or_hides_is_no_mark() -> None:
    aside = Quote(text="We are negotiating to sell the Leipzig site.", speaker="Anika Schulz", start=3.0)
    public = NextStep(
        action="Send the pricing sheet",
        owner="Lynne Robbins",
        quote=Quote(text="I'll send it.", speaker="Lynne Robbins"),
    )
    private = NextStep(action="Plan around the Leipzig sale", owner="Anika Schulz", quote=aside)
    analysis = make().model_copy(update={"confidential": [aside], "next_steps": [private, public]})
    marks = [StepMark(step=0, by="Someone", at=AFTER_ALL), StepMark(step=7, by="Someone", at=AFTER_ALL)]
    history = account_history("Contoso", [CallSource(analysis, marks=marks)])
    [step] = history.next_steps
    assert step.action == "Send the pricing sheet" and step.marked is None and step.status == "open"
    # The mark on the second step still finds it after the aside's step is dropped.
    history = account_history(
        "Contoso", [CallSource(analysis, marks=[StepMark(step=1, by="Sofia Farías", at=AFTER_ALL)])]
    )
    assert history.next_steps[0].marked is not None and history.next_steps[0].status == "done"


def test_a_mark_kept_under_an_address_shows_no_address_and_still_marks_the_step() -> None:
    # Graph had no display name for the person, so the bot kept their address as the name.
    mark = StepMark(step=BRING_ARCHITECTS, by="lynner@contoso.example", at=AFTER_ALL)
    history = _history((0, mark))
    step = _step(history, "Bring Isaiah")
    assert step.status == "done" and step.marked is not None and step.marked.by == ""
    markdown = account_markdown(history)
    assert "Marked done in Outlook, 3 Dec 2026." in markdown and "contoso.example" not in markdown
    assert "link removed" not in _section(markdown, "Next steps done")


def test_the_card_and_the_word_brief_show_the_mark(schema: dict[str, Any]) -> None:
    history = _history(
        (0, StepMark(step=BRING_ARCHITECTS, by="Lynne Robbins", at=AFTER_ALL)),
        (0, StepMark(step=CISO_BRIEFING, by="Alex Wilber", at=BETWEEN_2_AND_3)),
    )
    card = account_card(history, None)
    assert schema_errors(card, schema) == [] and teams_findings(card) == []
    text = texts(card)
    done_part = text[text.index("Next steps done") :]
    assert "✓ Bring Isaiah, our cloud solution architect" in done_part
    assert "Marked done by Lynne Robbins in Outlook, 3 Dec 2026." in done_part
    open_part = text[text.index("Next steps still open") : text.index("Next steps done")]
    assert "asked for again on 1 Dec, so still open" in open_part
    brief = _docx_text(account_docx(history))
    done_part = brief[brief.index("Next steps done") :]
    assert "✓ Marked done by Lynne Robbins in Outlook, 3 Dec 2026." in done_part
    assert "6 next steps done, 9 open" in brief.splitlines()[1]


def test_two_analyses_of_one_meeting_are_one_call_and_the_older_ones_marks_carry_over() -> None:
    sources = contoso_sources()
    first = sources[0].analysis
    # Regenerated a day later: the same call, its steps in another order.
    again = first.model_copy(
        update={
            "next_steps": list(reversed(first.next_steps)),
            "meta": first.meta.model_copy(
                update={"generated_at": first.meta.generated_at + timedelta(days=1)}
            ),
        }
    )
    older = replace(
        sources[0],
        meeting="m-1",
        marks=[StepMark(step=BRING_ARCHITECTS, by="Lynne Robbins", at=AFTER_ALL)],
    )
    newer = CallSource(again, "2026-10-20 Contoso – security operations discovery 1.docx", meeting="m-1")
    history = account_history("Contoso", [older, newer, *sources[1:]])
    assert len(history.calls) == 3 and history.calls[0].draft == newer.draft
    step = _step(history, "Bring Isaiah")
    assert step.status == "done" and step.marked is not None and step.marked.by == "Lynne Robbins"
    # Without the meeting's id they are two calls, as before.
    assert len(account_history("Contoso", [replace(older, meeting=""), newer, *sources[1:]]).calls) == 4
