"""The summary card for what the product really produces: the bundled sample call, analysed offline
and verified by the pipeline, then turned into the card the bot posts."""

from __future__ import annotations

from typing import Any

from cards import schema_errors, teams_findings
from cards.validate import iter_elements, visible_text
from mcem.context import MeetingContext
from mcem.leaks import leaks
from mcem.model import ROLE_TITLES, Analysis
from mcem.offline import OfflineAnalyzer
from mcem.parsing import load_transcript
from mcem.pipeline import analyze
from mcem.render.card import TRIM_NOTICE, card_bytes, summary_card
from tests.conftest import ROOT


async def test_card_for_the_offline_analysis_of_the_sample_call(schema: dict[str, Any]) -> None:
    transcript = load_transcript(ROOT / "samples" / "contoso-manufacturing-call.vtt")
    analysis: Analysis = await analyze(transcript, MeetingContext(), OfflineAnalyzer())
    card = summary_card(analysis, "https://contoso.sharepoint.com/sites/accounts/a.docx", run_id="run-s")

    assert schema_errors(card, schema) == []
    assert teams_findings(card) == []
    assert card_bytes(card) <= 28_000
    texts = visible_text(card)
    assert texts[0] == analysis.title
    assert not [t for t in texts if leaks(t)]
    (table,) = [e for e in iter_elements(card) if e["type"] == "Table"]
    assert ["".join(visible_text({"body": r["cells"][0]["items"]})) for r in table["rows"][1:]] == list(
        ROLE_TITLES.values()
    )
    # every excerpt the card quotes is one the verifier kept, shown whole unless the card was trimmed
    shown = [e["text"][1:-1] for e in iter_elements(card) if e["type"] == "TextRun" and e.get("italic")]
    kept = {r.excerpt.text for r in analysis.summary_table if r.excerpt is not None}
    assert shown
    assert set(shown) <= kept or TRIM_NOTICE in texts
    v = analysis.verification
    assert f"verified against the transcript; {v.quotes_dropped} dropped" in " ".join(texts)
