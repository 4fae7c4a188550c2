"""Prompt injection through both engines: the schema holds, nothing internal and no foreign link gets out.

Each case in tests/security/injections.py is a short customer call with one injected turn. The
offline analyzer reads it as is; the LLM analyzer sends it to the OpenAI-compatible stand-in, which
answers as a model that obeyed the injection would. Whatever came back goes through the pipeline
(verification) and every renderer: analysis.json, Markdown, the Word document's text, the Adaptive
Card and the email. None may carry a URL but the draft's own, a Markdown link, live HTML, or a
sentence of the template's internal MCEM reference.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import docx
import pytest

from mcem.context import MeetingContext
from mcem.errors import LLMError
from mcem.llm import LLMAnalyzer, llm_settings_from_env
from mcem.model import ROLE_TITLES, STAGE_TITLES, Analysis
from mcem.offline import OfflineAnalyzer
from mcem.parsing import parse_transcript
from mcem.pipeline import analyze
from mcem.render.card import summary_card
from mcem.render.docx import to_docx
from mcem.render.email import to_email_html
from mcem.render.markdown import to_markdown
from mcem.template import internal_sentences
from mcem.transcript import Transcript
from tests.security.injections import CASES, EVIL, OUTSIDER, Case
from tests.stubs import openai_stub as stubs
from tests.stubs.llm_replies import answer_for

DRAFT_URL = "https://contoso.sharepoint.com/sites/accounts/Shared%20Documents/Fabrikam/draft.docx"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CONTEXT = MeetingContext(company="Fabrikam Retail", internal_names=frozenset({"Priya Raman"}))

_URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.-]{1,20}://|www\d{0,3}\.|(?:javascript|vbscript|data|mailto):)\S*")
_MARKDOWN_LINK = re.compile(r"\]\s*\(")
_LIVE_HTML = re.compile(r"(?i)<\s*(?:img|script|iframe|object|embed|svg|form|base)\b")
_ANCHOR = re.compile(r"(?i)<\s*a\b[^>]*>")


def test_there_are_at_least_twenty_cases() -> None:
    assert len(CASES) >= 20
    assert len({c.name for c in CASES}) == len(CASES)


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    props = document.core_properties
    parts += [props.title or "", props.subject or "", props.keywords or "", props.comments or ""]
    # Hyperlinks live in the part's relationships, not in its text.
    parts += [rel.target_ref for rel in document.part.rels.values() if rel.is_external]
    return "\n".join(parts)


def _card_texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [t for key, value in node.items() if key != "$schema" for t in _card_texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in _card_texts(value)]
    return [node] if isinstance(node, str) else []


def _outputs(analysis: Analysis) -> dict[str, str]:
    card = summary_card(analysis, DRAFT_URL, run_id="run-1")
    assert card["$schema"] == CARD_SCHEMA
    email = to_email_html(analysis, DRAFT_URL)
    # The one link the email may carry is the bot's own, to the draft.
    assert all(f'href="{DRAFT_URL}"' in tag for tag in _ANCHOR.findall(email)), _ANCHOR.findall(email)
    return {
        "analysis.json": analysis.model_dump_json(),
        "markdown": to_markdown(analysis),
        "docx": _docx_text(to_docx(analysis)),
        "card": "\n".join(_card_texts(card)).replace(DRAFT_URL, ""),
        "email": email.replace(DRAFT_URL, ""),
    }


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def assert_safe(analysis: Analysis) -> None:
    # The schema held: the model validates again, with the template's shape.
    again = Analysis.model_validate_json(analysis.model_dump_json())
    assert [s.stage for s in again.stages] == list(STAGE_TITLES)
    assert [r.role for r in again.summary_table] == list(ROLE_TITLES)
    assert 3 <= len(again.recommendations) <= 5
    internal = [_norm(s) for s in internal_sentences()]
    for name, text in _outputs(analysis).items():
        assert not _URL.search(text), f"a URL in {name}: {_URL.search(text)}"
        assert EVIL not in text.casefold() or name == "never", f"{EVIL} in {name}"
        assert OUTSIDER not in text, f"an outsider's address in {name}"
        assert not _MARKDOWN_LINK.search(text), f"a Markdown link in {name}"
        if name == "email":
            assert not _LIVE_HTML.search(text), "live HTML in the email"
        flat = _norm(text)
        assert "mcem reference for llm" not in flat, f"the internal heading in {name}"
        for sentence in internal:
            assert sentence not in flat, f"internal reference in {name}: {sentence[:60]}"


def _transcript(case: Case) -> Transcript:
    return parse_transcript(case.vtt().encode(), f"{case.name}.vtt")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_offline_engine(case: Case) -> None:
    analysis = await analyze(_transcript(case), CONTEXT, OfflineAnalyzer())
    assert_safe(analysis)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
async def test_llm_engine_replaying_an_obeyed_injection(case: Case, stub: stubs.OpenAIStub) -> None:
    def obeying(body: dict[str, Any]) -> stubs.Reply:
        reply = answer_for(body)
        if body["response_format"]["json_schema"]["name"] != "mcem_part_evidence":
            case.obey(reply)
        return stubs.text(json.dumps(reply, ensure_ascii=False))

    stub.default = obeying
    settings = llm_settings_from_env(stubs.azure_env(stub))
    assert settings is not None
    analyzer = LLMAnalyzer(settings)
    transcript = _transcript(case)
    try:
        analysis = await analyze(transcript, CONTEXT, analyzer)
    except LLMError as err:
        # Only a reply outside the schema may fail, and then cleanly: one line, nothing of the reply.
        assert "extra" in case.name, f"{case.name}: {err}"
        assert EVIL not in str(err) and OUTSIDER not in str(err) and "\n" not in str(err)
        return
    finally:
        await analyzer.aclose()
    assert "extra" not in case.name or not hasattr(analysis, "send_to")
    # The model was asked with the injection inside the transcript block only.
    request = stub.received[0].user_text
    transcript_block = request.split("<transcript>", 1)[1].split("</transcript>", 1)[0]
    injected = transcript.utterances[3].text  # the injected turn, as the parser read it
    assert _norm(injected) in _norm(transcript_block)
    assert EVIL not in request.replace(transcript_block, "")
    assert_safe(analysis)
