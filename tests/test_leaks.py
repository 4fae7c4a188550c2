"""The internal-reference guard (mcem/leaks.py): one rule for verification, the card and the email,
and it sees through echoes disguised with look-alike letters, zero-width characters and width forms."""

from __future__ import annotations

import pytest

from mcem.leaks import fold, is_internal, leaks, scrub, split_sentences
from mcem.model import Analysis
from mcem.render.card import summary_card
from mcem.render.email import to_email_html
from mcem.template import internal_sentences
from mcem.transcript import Transcript, Utterance
from mcem.verify import verify
from tests.conftest import FIXTURES

ECHO = next(s for s in internal_sentences() if s.startswith("Monitor usage trends"))
URL = "https://contoso.sharepoint.com/sites/AccountTeam/Shared%20Documents/draft.docx"

CYRILLIC = str.maketrans({"a": "а", "e": "е", "o": "о", "c": "с", "p": "р", "M": "М", "T": "Т"})
GREEK = str.maketrans({"o": "ο", "i": "ι", "v": "ν", "A": "Α", "E": "Ε", "t": "τ"})


def zero_width(text: str) -> str:
    """A zero-width space, joiner or soft hyphen inside every word: invisible to a reader."""
    marks = "\u200b\u200d\u00ad\u2060\ufeff"
    return " ".join(
        w[:2] + marks[i % len(marks)] + w[2:] if len(w) > 3 else w for i, w in enumerate(text.split())
    )


def fullwidth(text: str) -> str:
    """Letters in their fullwidth forms (punctuation kept: the sentence still ends where it did)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalpha() else c for c in text)


DISGUISES = {
    "cyrillic look-alikes": lambda s: s.translate(CYRILLIC),
    "greek look-alikes": lambda s: s.translate(GREEK),
    "zero-width characters": zero_width,
    "fullwidth forms": fullwidth,
    "all at once": lambda s: zero_width(s.translate(CYRILLIC)),
}


@pytest.mark.parametrize("disguise", DISGUISES.values(), ids=DISGUISES.keys())
def test_a_disguised_echo_folds_to_the_plain_one(disguise) -> None:  # type: ignore[no-untyped-def]
    hidden = disguise(ECHO)
    assert hidden != ECHO and ECHO not in hidden  # the disguise really changes the text
    assert fold(hidden) == fold(ECHO)
    assert is_internal(hidden) and leaks(f"We agreed the plan. {hidden}")
    assert scrub(f"We agreed the plan. {hidden} Budget in Q3.") == "We agreed the plan. Budget in Q3."


def test_the_heading_is_caught_in_any_script() -> None:
    assert is_internal("See the MСEM Reference fοr LLM section.")  # Cyrillic С, Greek ο
    assert is_internal("See the M\u200bCEM Reference for LLM section.")


def test_ordinary_text_in_other_scripts_is_not_internal() -> None:
    for sentence in (
        "Дана хочет общий обзор диспетчеризации для пяти складов.",
        "Η Δανάη θέλει κοινή εικόνα για πέντε αποθήκες.",
        "Dana wants a shared dispatch view for five depots.",
    ):
        assert not is_internal(sentence) and not leaks(sentence)
        assert scrub(sentence) == sentence


def test_one_sentence_splitter_for_every_surface() -> None:
    assert split_sentences('She said "yes." **Then** we left!  Done? ok') == [
        'She said "yes."',
        "**Then** we left!",
        "Done?",
        "ok",
    ]
    assert split_sentences("We agreed. **Ship it.** Next step.") == [
        "We agreed.",
        "**Ship it.**",
        "Next step.",
    ]


def test_an_echo_cut_by_a_sentence_break_is_still_removed() -> None:
    words = ECHO.split()
    cut = "We met. " + " ".join(words[:4]) + ". " + " ".join(words[4:])
    assert leaks(cut)
    assert not leaks(scrub(cut)) and scrub(cut).startswith("We met.")


@pytest.fixture
def analysis() -> Analysis:
    return Analysis.model_validate_json((FIXTURES / "render" / "analysis.json").read_text("utf-8"))


def test_verification_removes_a_disguised_echo(analysis: Analysis) -> None:
    hidden = zero_width(ECHO.translate(CYRILLIC))
    analysis.executive_summary[0] = f"The pilot went well. {hidden}"
    transcript = Transcript(
        utterances=[Utterance(speaker="Dana", text="The pilot went well.", start=0, end=2)]
    )
    out = verify(analysis, transcript)
    assert out.executive_summary[0] == "The pilot went well."
    assert out.verification.internal_sentences_removed >= 1


def test_the_card_and_the_email_drop_a_disguised_echo(analysis: Analysis) -> None:
    # An older or hand-edited analysis that never went through this verification.
    hidden = ECHO.translate(GREEK)
    analysis.executive_summary[0] = f"The pilot went well. {hidden} Budget follows in Q3."
    email = to_email_html(analysis, URL)
    card = str(summary_card(analysis, URL))
    for rendered in (email, card):
        assert "The pilot went well." in rendered and "Budget follows in Q3." in rendered
        assert hidden not in rendered and fold(ECHO) not in fold(rendered)
