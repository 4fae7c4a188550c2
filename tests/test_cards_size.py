"""Trimming the summary card to the Teams message budget, in a fixed order, never losing rows."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from cards import schema_errors, teams_findings
from cards.validate import iter_elements, visible_text
from mcem.model import ROLE_TITLES, Analysis
from mcem.render.card import DEFAULT_MAX_BYTES, TRIM_NOTICE, CardTooLarge, card_bytes, summary_card
from mcem.render.card.elements import ELLIPSIS, shorten
from mcem.render.card.size import LADDER, Limits
from tests.conftest import FIXTURES

URL = "https://fabrikam.sharepoint.com/sites/accounts/Shared%20Documents/Fabrikam/analysis.docx"
UNLIMITED = 10**9


@pytest.fixture
def analysis() -> Analysis:
    return Analysis.model_validate_json((FIXTURES / "cards" / "analysis.json").read_text("utf-8"))


def _words(seed: str, n: int) -> str:
    return " ".join(f"{seed}{i}" for i in range(n))


@pytest.fixture
def huge(analysis: Analysis) -> Analysis:
    """Every field the card shows, far past anything a real call produces."""
    data = analysis.model_dump(mode="json")
    data["executive_summary"] = [_words(f"summary{p}w", 900) for p in range(3)]
    for row in data["summary_table"]:
        row["excerpt"] = {"text": _words("quote", 700), "speaker": "Dana Whitfield", "start": 61.0}
        row["insight"] = _words("insight", 700)
        row["actions"] = [_words(f"action{k}w", 120) for k in range(10)]
    data["recommendations"] = [
        {"title": _words("title", 60), "narrative": _words("narrative", 900), "stages": []} for _ in range(5)
    ]
    return Analysis.model_validate(data)


def _rows(card: dict[str, Any]) -> list[dict[str, Any]]:
    (table,) = [e for e in iter_elements(card["body"]) if e["type"] == "Table"]
    return table["rows"]


def _first_cells(card: dict[str, Any]) -> list[str]:
    return ["".join(visible_text({"body": r["cells"][0]["items"]})) for r in _rows(card)[1:]]


def test_default_budget_is_28_kb() -> None:
    assert DEFAULT_MAX_BYTES == 28_000


def test_a_normal_analysis_is_not_trimmed(analysis: Analysis) -> None:
    card = summary_card(analysis, URL)
    assert card == summary_card(analysis, URL, max_bytes=UNLIMITED)
    assert TRIM_NOTICE not in visible_text(card)
    assert ELLIPSIS not in json.dumps(card, ensure_ascii=False)


def test_huge_analysis_is_trimmed_under_budget_and_stays_valid(
    huge: Analysis, schema: dict[str, Any]
) -> None:
    untrimmed = summary_card(huge, URL, max_bytes=UNLIMITED)
    assert card_bytes(untrimmed) > 10 * DEFAULT_MAX_BYTES  # the test input really is too big
    card = summary_card(huge, URL, run_id="run-1")
    assert card_bytes(card) <= DEFAULT_MAX_BYTES
    assert schema_errors(card, schema) == []
    assert teams_findings(card) == []
    texts = visible_text(card)
    assert TRIM_NOTICE in texts
    assert _first_cells(card) == list(ROLE_TITLES.values())
    assert {a["title"]: a for a in card["actions"]}["Open the full document"]["url"] == URL
    excerpts = [e["text"] for e in iter_elements(card) if e["type"] == "TextRun" and e.get("italic")]
    assert len(excerpts) == 7
    assert all(x.startswith("“quote0 quote1") and x.endswith(f"{ELLIPSIS}”") for x in excerpts)
    numbered = [t for t in texts if t[:2] in {"1.", "2.", "3.", "4.", "5."}]
    assert len(numbered) == 5  # recommendations are shortened, never dropped


def test_trimming_is_deterministic(huge: Analysis) -> None:
    assert summary_card(huge, URL, max_bytes=15_000) == summary_card(huge, URL, max_bytes=15_000)


@pytest.mark.parametrize("budget", [9_000, 12_000, 20_000, 40_000])
def test_any_reasonable_budget_is_respected(huge: Analysis, schema: dict[str, Any], budget: int) -> None:
    card = summary_card(huge, URL, max_bytes=budget)
    assert card_bytes(card) <= budget
    assert schema_errors(card, schema) == []
    assert len(_rows(card)) == 8


def test_first_trim_drops_the_second_summary_paragraph_only(analysis: Analysis) -> None:
    full = summary_card(analysis, URL, max_bytes=UNLIMITED)
    card = summary_card(analysis, URL, max_bytes=card_bytes(full) - 1)
    texts = visible_text(card)
    assert analysis.executive_summary[0] in texts
    assert analysis.executive_summary[1] not in texts
    assert TRIM_NOTICE in texts
    # nothing else is shortened yet: every insight is whole
    for row in analysis.summary_table:
        assert row.insight in texts


def test_a_tighter_budget_never_gives_a_longer_card(huge: Analysis) -> None:
    sizes = [card_bytes(summary_card(huge, URL, max_bytes=b)) for b in (40_000, 28_000, 20_000, 12_000)]
    assert sizes == sorted(sizes, reverse=True)


def test_ladder_only_ever_tightens() -> None:
    assert LADDER[0] == Limits() and not LADDER[0].trimmed
    fields = [f for f in Limits.__dataclass_fields__ if f != "summary_paragraphs"]

    def rank(v: int | None) -> float:
        return float("inf") if v is None else v

    for looser, tighter in itertools.pairwise(LADDER):
        assert tighter.summary_paragraphs <= looser.summary_paragraphs
        for f in fields:
            assert rank(getattr(tighter, f)) <= rank(getattr(looser, f)), f


def test_impossible_budget_is_a_clear_error(analysis: Analysis) -> None:
    with pytest.raises(CardTooLarge, match=r"max_bytes=500 is too small .* use at least \d+"):
        summary_card(analysis, URL, max_bytes=500)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short text", 50, "short text"),
        ("short   text\nwith  gaps", None, "short text with gaps"),
        ("one two three four five six", 14, "one two three…"),
        ("averyveryverylongword and more", 10, "averyvery…"),
        ("end with comma, next words here", 16, "end with comma…"),
        ("anything", 1, "…"),
    ],
)
def test_shorten(text: str, limit: int | None, expected: str) -> None:
    result = shorten(text, limit)
    assert result == expected
    if limit is not None:
        assert len(result) <= limit
