"""The next steps of a Word draft read back after a person deleted or reworded some of them: each line
keeps the verified quote of the step it came from."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import docx
from docx.document import Document as DocxDocument
from docx.text.paragraph import Paragraph

from bot.state import StepDone
from bot.step_marks import done_notes, step_places
from mcem.context import MeetingContext
from mcem.model import Analysis
from mcem.offline import OfflineAnalyzer
from mcem.parsing import load_transcript
from mcem.render import common
from mcem.render.docx import to_docx
from mcem.render.docx_reader import analysis_from_docx
from tests.conftest import ROOT

_INTERNAL = frozenset({"Lynne Robbins", "Alex Wilber", "Adele Vance", "Isaiah Langer", "Marcus Lee"})


def _kickoff() -> Analysis:
    t = load_transcript(ROOT / "samples" / "contoso-account" / "contoso-3-poc-kickoff.vtt")
    return OfflineAnalyzer().analyze_sync(t, MeetingContext(company="Contoso", internal_names=_INTERNAL))


def _step_lines(document: DocxDocument) -> list[Paragraph]:
    paragraphs = document.paragraphs
    start = next(i for i, p in enumerate(paragraphs) if p.text == common.NEXT_STEPS_LABEL)
    lines = []
    for p in paragraphs[start + 1 :]:
        if (
            not p.text.strip()
            or p.text in common.EXTRA_LABELS
            or (p.style and p.style.name.startswith("Heading"))
        ):
            break
        lines.append(p)
    return lines


def _edited(analysis: Analysis, edit) -> bytes:  # type: ignore[no-untyped-def]
    document = docx.Document(io.BytesIO(to_docx(analysis)))
    edit(_step_lines(document))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_deleted_next_step_takes_its_own_quote_with_it() -> None:
    analysis = _kickoff()
    assert len(analysis.next_steps) >= 4

    def delete_the_second(lines: list[Paragraph]) -> None:
        assert len(lines) == len(analysis.next_steps)
        lines[1]._p.getparent().remove(lines[1]._p)

    back = analysis_from_docx(_edited(analysis, delete_the_second), base=analysis)
    assert back.next_steps == [s for i, s in enumerate(analysis.next_steps) if i != 1]


def test_a_reworded_step_after_a_deleted_one_keeps_its_quote() -> None:
    analysis = _kickoff()
    third = analysis.next_steps[2]

    def delete_one_reword_the_next(lines: list[Paragraph]) -> None:
        lines[1]._p.getparent().remove(lines[1]._p)
        lines[
            2
        ].text = f"{third.action} (with the CFO's office) — {third.owner}, {third.due or 'no date set'}"

    back = analysis_from_docx(_edited(analysis, delete_one_reword_the_next), base=analysis)
    assert len(back.next_steps) == len(analysis.next_steps) - 1
    reworded = back.next_steps[1]
    assert reworded.action.endswith("(with the CFO's office)")
    assert reworded.quote == third.quote  # not the deleted step's
    assert back.next_steps[2:] == analysis.next_steps[3:]


def test_a_tick_after_a_deleted_line_names_the_step_the_analysis_json_holds() -> None:
    # The Outlook card's "Next steps done" lists the draft's steps as read back; the marks (and the
    # account history) count them as analysis.json does.
    analysis = _kickoff()

    def delete_the_first(lines: list[Paragraph]) -> None:
        lines[0]._p.getparent().remove(lines[0]._p)

    back = analysis_from_docx(_edited(analysis, delete_the_first), base=analysis)
    assert step_places(back, analysis) == list(range(1, len(analysis.next_steps)))
    assert step_places(back, None) == list(range(len(back.next_steps)))
    marked = [StepDone(2, "Sofia Farías", datetime(2026, 12, 3, 14, tzinfo=UTC))]
    assert done_notes(marked, step_places(back, analysis)) == {1: "done — Sofia Farías, 3 Dec 2026"}
