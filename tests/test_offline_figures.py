"""mcem.offline.figures: a figure is a number with the thing it counts, never a cut-off phrase."""

from __future__ import annotations

import pytest

from mcem.context import MeetingContext
from mcem.model import Stage
from mcem.offline.figures import figures, figures_in
from mcem.offline.findings import gather
from mcem.parsing import load_transcript
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("We run six plants in four countries.", ["six plants", "four countries"]),
        (
            "We agreed on six weeks at Monterrey, on two lines, with three success criteria.",
            ["six weeks", "two lines", "three success criteria"],
        ),
        (
            "We want to scale from two hundred users to two thousand by the end of Q3.",
            ["two hundred users", "Q3"],
        ),
        (
            "After eight weeks we have one hundred and eighty-seven active users.",
            ["eight weeks", "one hundred and eighty-seven active users"],
        ),
        ("Adoption is about seventy percent, up 12% since 2024.", ["seventy percent", "12%"]),
        ("It costs about forty million dollars a year.", ["forty million dollars"]),
        ("There are three things, and two of them matter; one of them is cost.", []),
        ("Litware was a good product in 2010.", []),
    ],
)
def test_figures_keep_their_noun(text: str, expected: list[str]) -> None:
    assert figures_in(text) == expected


def test_figures_dedupe_across_sentences_and_skip_seen() -> None:
    texts = [
        "Six plants report late.",
        "All six plants and two depots.",
        "Eleven days, then eleven days again.",
    ]
    assert figures(texts) == ["Six plants", "two depots", "Eleven days"]
    assert figures(texts, seen={"six plants"}) == ["two depots", "Eleven days"]


def test_every_figure_in_the_sample_is_a_whole_phrase_from_the_transcript() -> None:
    t = load_transcript(ROOT / "samples" / "contoso-manufacturing-call.vtt")
    f = gather(t, MeetingContext())
    said = " ".join(u.text for u in t.utterances).casefold()
    found = [x for s in Stage for x in f.figures[s]]
    assert "three success criteria" in found
    for x in found:
        assert x.casefold() in said
        last = x.split()[-1].casefold()
        # the noun is there: no "three success", no bare "two thousand"
        assert last not in {"success", "thousand", "hundred", "two", "of"}
