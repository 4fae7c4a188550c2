"""Quote -> moment: every quote's time opens the meeting recording there, when Graph has one."""

from __future__ import annotations

import base64
import io
import json
import math
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import docx
import pytest

from cards import schema_errors
from mcem.links import moment_url, recording_link
from mcem.model import Analysis, Quote
from mcem.parsing import parse_transcript
from mcem.render.card import summary_card
from mcem.render.docx import to_docx
from mcem.render.docx_reader import analysis_from_docx
from mcem.verify import verify
from tests.support.analyses import make

RECORDING = "https://contoso-my.sharepoint.com/personal/priya_contoso_com/Documents/Recordings/Call.mp4"
CALL = b"""WEBVTT

00:00:00.000 --> 00:00:10.000
<v Priya Raman>Thanks for joining, Helen.</v>

00:12:34.000 --> 00:12:44.000
<v Helen Whitaker>Our biggest hurdle is aligning global teams on one reporting standard.</v>
"""


def start_of(url: str) -> float:
    """The start time a moment link asks Stream for (the ``nav`` parameter, decoded)."""
    (nav,) = parse_qs(urlsplit(url).query)["nav"]
    return float(json.loads(base64.b64decode(unquote(nav)))["playbackOptions"]["startTimeInSeconds"])


def analysis_with(recording: str) -> Analysis:
    quote = Quote(text="aligning global teams on one reporting standard", speaker="Helen Whitaker")
    draft = make(quotes=[quote], excerpt=quote.model_copy(update={"text": "Our biggest hurdle is aligning"}))
    draft = draft.model_copy(
        update={"details": draft.details.model_copy(update={"recording_url": recording})}
    )
    return verify(draft, parse_transcript(CALL, "call.vtt"))


@pytest.mark.parametrize(
    "url",
    [
        RECORDING,
        "https://contoso.sharepoint.com/sites/Sales/_layouts/15/stream.aspx?id=%2Fsites%2FSales%2Fa.mp4",
        "https://contoso.sharepoint.us/personal/a/Documents/Recordings/a.mp4",
        "http://127.0.0.1:8123/personal/a/Documents/Recordings/a.mp4",
    ],
)
def test_recording_addresses_that_may_be_linked(url: str) -> None:
    assert recording_link(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/Recordings/a.mp4",
        "https://contoso.sharepoint.com.evil.example/a.mp4",
        "http://contoso.sharepoint.com/a.mp4",  # plain http to a real host
        "http://10.0.0.5/a.mp4",
        "https://user:secret@contoso.sharepoint.com/a.mp4",
        "javascript:alert(1)//.sharepoint.com",
        'https://contoso.sharepoint.com/a.mp4"onmouseover="x',
        "",
    ],
)
def test_other_addresses_are_refused(url: str) -> None:
    assert recording_link(url) is None


def test_moment_url_is_the_stream_nav_parameter() -> None:
    url = moment_url(RECORDING, 754.04)
    assert url.startswith(RECORDING + "?nav=") and start_of(url) == 754.0
    assert start_of(moment_url(RECORDING, 1438.96)) == 1438.9  # never past the second shown (23:58)
    # An address that already has a query keeps it.
    assert start_of(moment_url(RECORDING + "?web=1", 3)) == 3.0
    assert moment_url(RECORDING + "?web=1", 3).startswith(RECORDING + "?web=1&nav=")


def test_verification_keeps_a_recording_address_only_when_it_is_one() -> None:
    assert analysis_with(RECORDING).details.recording_url == RECORDING
    assert analysis_with("https://evil.example/a.mp4").details.recording_url == ""


def test_word_quotes_link_to_their_moment_and_refresh_still_reads_them() -> None:
    analysis = analysis_with(RECORDING)
    quote = analysis.stages[0].quotes[0]
    assert quote.start is not None and quote.start > 754  # a quote from inside the 12:34 cue
    data = to_docx(analysis)
    document = docx.Document(io.BytesIO(data))
    targets = [r.target_ref for r in document.part.rels.values() if "hyperlink" in r.reltype]
    assert targets and all(t.startswith(RECORDING + "?nav=") for t in targets)
    assert start_of(moment_url(RECORDING, quote.start)) in {start_of(t) for t in targets}
    (paragraph,) = [p for p in document.paragraphs if p.style.name == "Quote"]
    assert paragraph.text.endswith(f"— Helen Whitaker, [{12:02d}:{int(quote.start) % 60:02d}]")
    (link,) = paragraph.hyperlinks
    assert (
        link.text == f"[12:{int(quote.start) % 60:02d}]"
        and start_of(link.address) == math.floor(quote.start * 10) / 10
    )
    assert analysis_from_docx(data, analysis) == analysis
    # Without the analysis it came from, the reader gets the words, the speaker and the whole second.
    (read,) = analysis_from_docx(data).stages[0].quotes
    assert (read.text, read.speaker, read.start) == (quote.text, quote.speaker, float(int(quote.start)))


def test_without_a_recording_the_time_is_shown_and_nothing_links() -> None:
    analysis = analysis_with("")
    document = docx.Document(io.BytesIO(to_docx(analysis)))
    assert not [r for r in document.part.rels.values() if "hyperlink" in r.reltype]
    (paragraph,) = [p for p in document.paragraphs if p.style.name == "Quote"]
    assert paragraph.text.endswith("— Helen Whitaker, [12:3" + paragraph.text[-2:])
    card = json.dumps(summary_card(analysis, None))
    assert "selectAction" not in card and "Helen Whitaker (12:34)" in card


def _runs_with_links(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [node] if node.get("type") == "TextRun" and "selectAction" in node else []
        return found + [r for v in node.values() for r in _runs_with_links(v)]
    if isinstance(node, list):
        return [r for v in node for r in _runs_with_links(v)]
    return []


def test_card_excerpt_time_opens_the_recording_there(schema: dict[str, Any]) -> None:
    analysis = analysis_with(RECORDING)
    card = summary_card(analysis, "https://contoso.sharepoint.com/sites/Sales/draft.docx")
    assert schema_errors(card, schema) == []
    (moment,) = _runs_with_links(card)
    excerpt = analysis.summary_table[0].excerpt
    assert excerpt is not None and excerpt.start is not None
    assert moment["text"] == "12:34"
    action = moment["selectAction"]
    assert (
        action["type"] == "Action.OpenUrl" and start_of(action["url"]) == math.floor(excerpt.start * 10) / 10
    )
    assert action["url"].startswith(RECORDING)
