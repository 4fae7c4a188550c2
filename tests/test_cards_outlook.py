"""The summary email's actionable-message card (mcem/render/card/outlook.py) and its embedding.

Checked against the Adaptive Card JSON schema at the version the card declares (1.4, tests/specs)
and against Outlook's documented subset (cards/outlook.py); the email is checked for the card in
its head, escaped so no text can end the script early, and for nothing confidential or internal.
"""

from __future__ import annotations

import html.parser
import json
from typing import Any

import pytest

from cards.outlook import outlook_findings, without_outlook_root
from cards.validate import iter_elements, schema_errors
from mcem.model import NextStep, Quote, RoleSummary
from mcem.render import common
from mcem.render.card.outlook import (
    DONE_INPUT,
    VERB_OUTLOOK_REFRESH,
    VERB_STEPS_DONE,
    outlook_card,
    teams_user_ids,
)
from mcem.render.card.size import card_bytes
from mcem.render.email import CARD_SCRIPT_TYPE, to_email_html
from tests.conftest import SPECS
from tests.fixtures.bot.fakes import sample_analysis
from tests.support.cards import texts

URL = "https://contoso.sharepoint.com/sites/acct/Shared%20Documents/Contoso/draft.docx?web=1&x=1"
ORIGINATOR = "c9b4352b-a76b-43b9-88ff-80edddaa243b"


def _schema(version: str) -> dict[str, Any]:
    return json.loads((SPECS / f"adaptive-card-{version}.0.schema.json").read_text("utf-8"))


def with_steps():
    step = NextStep(
        action="Send the managed service proposal",
        owner="Marcus Lee",
        due="by the twelfth of December",
        quote=Quote(text="Marcus will send the proposal by the twelfth of December.", speaker="Priya Raman"),
    )
    other = step.model_copy(update={"action": "Book the CFO workshop", "owner": "Megan Bowen", "due": None})
    return sample_analysis().model_copy(update={"next_steps": [step, other]})


def card(**kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"originator": ORIGINATOR, "run_id": "run-1"} | kw
    return outlook_card(with_steps(), URL, **args)


def test_the_card_is_valid_at_the_version_it_declares_and_in_outlooks_subset() -> None:
    built = card(user_ids=teams_user_ids(["u-1", "u-2", "u-1"]), done={1: "done — Megan Bowen, 3 Dec"})
    assert built["version"] == "1.4"
    rest, problems = without_outlook_root(built)
    assert problems == []
    assert schema_errors(rest, _schema(built["version"])) == []
    assert outlook_findings(built) == []
    assert built["originator"] == ORIGINATOR
    assert built["refresh"] == {
        "action": {"type": "Action.Execute", "verb": VERB_OUTLOOK_REFRESH, "data": {"run_id": "run-1"}},
        "userIds": ["8:orgid:u-1", "8:orgid:u-2"],
    }


def test_the_checks_catch_what_outlook_would_not_show() -> None:
    """The subset check fails a Teams-only card: a Table, version 1.5, no originator, Action.Submit."""
    from mcem.render.card import summary_card

    teams = summary_card(sample_analysis(), URL)
    found = outlook_findings(teams | {"actions": [*teams["actions"], {"type": "Action.Submit"}]})
    assert any(f.startswith("originator") for f in found)
    assert any("version '1.5'" in f for f in found)
    assert "Table: not shown by Outlook in an actionable message" in found
    assert "Action.Submit: not shown by Outlook in an actionable message" in found
    # And the 1.4 schema refuses the 1.5 card (its Table among the rest).
    assert schema_errors(without_outlook_root(teams)[0], _schema("1.4")) != []
    assert outlook_findings(card() | {"originator": ""}) != []
    assert without_outlook_root(card() | {"hideOriginalBody": "yes"})[1] != []


def test_the_summary_table_is_a_column_set_per_role_in_the_templates_order() -> None:
    built = card()
    assert not [e for e in iter_elements(built) if e["type"].startswith("Table")]
    rows = [e for e in built["body"] if e["type"] == "ColumnSet"]
    analysis = with_steps()
    assert [r["columns"][0]["items"][0]["text"] for r in rows] == [r.title for r in analysis.summary_table]
    assert len(rows) == 7


def test_the_buttons_open_the_draft_refresh_and_mark_next_steps_done() -> None:
    built = card()
    assert [a["title"] for a in built["actions"]] == [
        "Open the draft",
        "Refresh from the document",
        "Next steps done",
    ]
    assert built["actions"][0] == {
        "type": "Action.OpenUrl",
        "title": "Open the draft",
        "url": URL,
        "style": "positive",
    }
    assert {a.get("verb") for a in built["actions"][1:]} == {VERB_OUTLOOK_REFRESH, VERB_STEPS_DONE}
    [choices] = [
        i for e in built["body"] if e["type"] == "Container" for i in e["items"] if i.get("id") == DONE_INPUT
    ]
    assert choices["isMultiSelect"] is True
    assert [c["value"] for c in choices["choices"]] == ["0", "1"]


def test_a_step_marked_done_is_shown_done_and_leaves_the_choices() -> None:
    built = card(done={0: "done — Megan Bowen, 3 Dec 2026"})
    shown = texts(built)
    assert "✓ Send the managed service proposal" in shown and "done — Megan Bowen, 3 Dec 2026" in shown
    [choices] = [i for e in built["body"] if e["type"] == "Container" for i in e["items"]]
    assert [c["value"] for c in choices["choices"]] == ["1"]
    all_done = card(done={0: "done", 1: "done"})
    assert [a["title"] for a in all_done["actions"]] == ["Open the draft", "Refresh from the document"]
    assert DONE_INPUT not in json.dumps(all_done)


def test_no_originator_or_a_foreign_link_is_refused() -> None:
    with pytest.raises(ValueError, match="originator"):
        outlook_card(with_steps(), URL, originator=" ", run_id="r")
    with pytest.raises(ValueError, match="http"):
        outlook_card(with_steps(), "javascript:alert(1)", originator=ORIGINATOR, run_id="r")


def test_a_long_analysis_is_trimmed_to_the_budget_and_says_so() -> None:
    analysis = with_steps()
    long_rows = [r.model_copy(update={"insight": "Budget pressure. " * 200}) for r in analysis.summary_table]
    big = analysis.model_copy(update={"summary_table": long_rows})
    built = outlook_card(big, URL, originator=ORIGINATOR, run_id="r", max_bytes=12_000)
    assert card_bytes(built) <= 12_000
    assert "Trimmed to fit the email card" in texts(built)
    assert outlook_findings(built) == []


class _Scripts(html.parser.HTMLParser):
    """The scripts of a document as an HTML parser (a mail client) sees them, and where they sit."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[str, str, bool]] = []  # (type, text, in head)
        self._in: str | None = None
        self._head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head":
            self._head = True
        if tag == "script":
            self._in = dict(attrs).get("type") or ""
            self.scripts.append((self._in, "", self._head))

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self._head = False
        if tag == "script":
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            kind, text, head = self.scripts[-1]
            self.scripts[-1] = (kind, text + data, head)


def test_the_email_embeds_the_card_in_its_head_and_keeps_the_html_body() -> None:
    analysis = with_steps()
    hostile = "Quote: </script><script>alert(1)</script> & <!-- more"
    rows = [analysis.summary_table[0].model_copy(update={"insight": hostile}), *analysis.summary_table[1:]]
    analysis = analysis.model_copy(update={"summary_table": rows})
    built = outlook_card(analysis, URL, originator=ORIGINATOR, run_id="run-1")
    page = to_email_html(analysis, URL, card=built)
    parser = _Scripts()
    parser.feed(page)
    [(kind, text, in_head)] = parser.scripts
    assert kind == CARD_SCRIPT_TYPE and in_head
    assert json.loads(text) == built  # the hostile text arrived whole, inside the JSON
    assert "</script><script>" not in page.split("</head>")[0].split("<title>")[1]
    assert "The pilot went well" in page.split("<body")[1]  # the HTML body is still all there


def test_without_a_card_the_email_is_the_plain_html_as_before() -> None:
    page = to_email_html(with_steps(), URL)
    assert "<script" not in page and CARD_SCRIPT_TYPE not in page


def test_nothing_confidential_or_internal_reaches_the_card() -> None:
    aside = Quote(text="We are buying Fabrikam Tools next spring.", speaker="Helen Whitaker")
    analysis = with_steps().model_copy(update={"confidential": [aside]})
    reference = "MCEM Reference for LLM (Internal — Do Not Include in Customer Output)"
    leaky = RoleSummary.model_validate(
        analysis.summary_table[0].model_dump() | {"insight": f"Fine. {reference} says so."}
    )
    analysis = analysis.model_copy(update={"summary_table": [leaky, *analysis.summary_table[1:]]})
    built = outlook_card(analysis, URL, originator=ORIGINATOR, run_id="r")
    dumped = json.dumps(built, ensure_ascii=False)
    assert "Fabrikam" not in dumped
    assert "Reference for LLM" not in dumped
    assert common.CONFIDENTIAL in texts(built)
