"""Confidential asides: found by phrase family, kept out of every field and of the card, email and Markdown,
and shown once in the Word draft's marked box."""

from __future__ import annotations

import io
import json

import docx
import pytest

from mcem.confidential import find_asides, secrets_of
from mcem.model import CompanySentiment, NextStep, Quote, Stage
from mcem.render import common as c
from mcem.render.card import summary_card
from mcem.render.docx import to_docx
from mcem.render.email import to_email_html
from mcem.render.markdown import to_markdown
from mcem.transcript import Transcript, Utterance
from mcem.verify import verify
from tests.support.analyses import make


def _call(*lines: tuple[str, str]) -> Transcript:
    return Transcript(
        utterances=tuple(
            Utterance(speaker=who, start=10.0 * i, end=10.0 * i + 9, text=text)
            for i, (who, text) in enumerate(lines)
        )
    )


# One case per phrase family: (what is said, the private sentence it must cover, a public one it must not).
FAMILIES = {
    "within the group": (
        "Two things, and please keep the first one within this group. We are buying Fabrikam Tools "
        "next spring. The second thing is our audit in May.",
        "We are buying Fabrikam Tools next spring.",
        "The second thing is our audit in May.",
    ),
    "not public": (
        "Our CEO is stepping down in March. That's not public yet. Anyway, the pilot went well.",
        "Our CEO is stepping down in March.",
        "Anyway, the pilot went well.",
    ),
    "nda": (
        "We ran the pilot with good results. This part is under NDA: Northwind Motors will be our biggest "
        "customer next year.",
        "This part is under NDA: Northwind Motors will be our biggest customer next year.",
        "We ran the pilot with good results.",
    ),
    "off the record": (
        "Off the record, we are also talking to Globex about the same workload. The rollout is on track.",
        "Off the record, we are also talking to Globex about the same workload.",
        "",
    ),
    "confidential": (
        "The budget is approved. What I'm about to say is confidential. We will close the Leeds plant "
        "in the autumn.",
        "We will close the Leeds plant in the autumn.",
        "The budget is approved.",
    ),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_phrase_family_marks_its_sentences(family: str) -> None:
    said, private, public = FAMILIES[family]
    asides = find_asides(_call(("Priya Raman", "Anything else?"), ("Helen Whitaker", said)))
    texts = [a.text for a in asides]
    assert private in texts
    assert {a.family for a in asides} == {family}
    if public:
        assert public not in texts


def test_ordinary_talk_of_confidential_data_is_no_aside() -> None:
    call = _call(
        ("Helen Whitaker", "Confidential documents must be labelled before they go into the index."),
        ("Anika Schulz", "We keep the backups within the EU region."),
    )
    assert find_asides(call) == []


def test_names_only_the_aside_uses_are_secrets() -> None:
    said, _, _ = FAMILIES["within the group"]
    call = _call(("Helen Whitaker", said), ("Tomás Herrera", "The audit in May worries me."))
    secrets = secrets_of(call)
    assert "Fabrikam Tools" in secrets.names
    assert secrets.leaks("They plan to acquire Fabrikam Tools.")
    assert not secrets.leaks("The audit in May worries me.")


ASIDE = (
    "Two things, and please keep the first one within this group. We are buying Fabrikam Tools next "
    "spring, which adds two plants."
)
CALL = _call(
    ("Priya Raman", "Is there anything else we should know?"),
    ("Helen Whitaker", ASIDE),
    ("Helen Whitaker", "Marcus will send the managed service proposal by the twelfth of December."),
)


def _leaky():
    """A draft that repeats the aside everywhere a careless writer (or model) might."""
    leak = "We are buying Fabrikam Tools next spring, which adds two plants."
    a = make(
        quotes=[Quote(text=leak, speaker="Helen Whitaker")],
        summary=f"Helen said “{leak}”. Keep this sentence.",
    )
    feedback = a.additional_feedback.model_copy(
        update={
            "other_topics": ["Fabrikam Tools acquisition (raised by Helen Whitaker).", "A warehouse flood."],
            "sentiment": [
                *a.additional_feedback.sentiment,
                CompanySentiment(company="Fabrikam Tools", label="neutral", summary="Being acquired."),
            ],
        }
    )
    step = NextStep(
        action="Send the managed service proposal",
        owner="Marcus",
        due="by the twelfth of December",
        quote=Quote(
            text="Marcus will send the managed service proposal by the twelfth of December.",
            speaker="Helen Whitaker",
        ),
    )
    return a.model_copy(update={"additional_feedback": feedback, "next_steps": [step]})


def test_verify_keeps_the_aside_in_confidential_only() -> None:
    out = verify(_leaky(), CALL)
    assert [q.text for q in out.confidential] == [
        "Two things, and please keep the first one within this group.",
        "We are buying Fabrikam Tools next spring, which adds two plants.",
    ]
    dump = out.model_dump(mode="json", exclude={"confidential"})
    assert "Fabrikam" not in json.dumps(dump)
    assert out.stages[0].quotes == []
    assert out.executive_summary[0] == "Keep this sentence."
    assert out.additional_feedback.other_topics == ["A warehouse flood."]
    assert [s.company for s in out.additional_feedback.sentiment] == ["Microsoft"]
    assert out.verification.private_removed >= 3
    assert out.next_steps[0].owner == "Marcus"  # what is not private stays
    assert verify(out, CALL) == out


def test_a_sentence_the_model_flags_is_private_too() -> None:
    flagged = Quote(
        text="Marcus will send the managed service proposal by the twelfth of December.", speaker=""
    )
    out = verify(_leaky().model_copy(update={"confidential": [flagged]}), CALL)
    assert flagged.text in [q.text for q in out.confidential]
    assert out.next_steps == []  # it rested on the flagged sentence


def test_renderers_keep_the_aside_out_of_what_travels_and_box_it_in_word() -> None:
    out = verify(_leaky(), CALL)
    assert "Fabrikam" not in to_markdown(out)
    assert "Fabrikam" not in json.dumps(summary_card(out, "https://contoso.sharepoint.com/d.docx"))
    assert "Fabrikam" not in to_email_html(out, "https://contoso.sharepoint.com/d.docx")
    document = docx.Document(io.BytesIO(to_docx(out)))
    assert "Fabrikam" not in "\n".join(p.text for p in document.paragraphs)
    box = document.tables[0].rows[0].cells[0].text
    assert box.startswith(c.PRIVATE_LABEL)
    assert "We are buying Fabrikam Tools next spring" in box
    assert sum("Fabrikam" in cell.text for t in document.tables for r in t.rows for cell in r.cells) == 1


def test_next_steps_show_in_every_output_with_owner_and_date() -> None:
    out = verify(_leaky(), CALL)
    line = "Send the managed service proposal — Marcus, by the twelfth of December"
    assert line in to_markdown(out)
    assert line in to_email_html(out, "https://contoso.sharepoint.com/d.docx")
    card = json.dumps(summary_card(out, None), ensure_ascii=False)
    assert "Send the managed service proposal" in card and " — Marcus" in card
    document = docx.Document(io.BytesIO(to_docx(out)))
    assert any(p.text.startswith(line) for p in document.paragraphs)
    assert out.stages[0].stage is Stage.listen_consult
