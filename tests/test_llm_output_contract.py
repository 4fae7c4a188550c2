"""What the model says never reaches a reader unchecked: LLM -> pipeline (verify) -> every renderer.

A quote the transcript does not contain is dropped; a sentence of the internal MCEM reference the
model echoes is removed — in analysis.json, Markdown, Word and the Adaptive Card alike, including
when the transcript itself tried to make the model do it.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

import docx

from mcem.context import MeetingContext
from mcem.llm import LLMAnalyzer, llm_settings_from_env
from mcem.model import Analysis
from mcem.parsing import load_transcript
from mcem.pipeline import analyze
from mcem.render.card import summary_card
from mcem.render.docx import to_docx
from mcem.render.markdown import to_markdown
from mcem.transcript import Transcript
from tests.conftest import FIXTURES, ROOT
from tests.stubs import openai_stub as stubs
from tests.stubs.llm_replies import FABRICATED, echo_sentences, poisoned

FAKE = FABRICATED
SAMPLE_CONTEXT = MeetingContext(
    company="Contoso Manufacturing",
    internal_names=frozenset({"Priya Raman", "Daniel O'Neil", "Sofia Farías"}),
)
ECHO = echo_sentences()


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold()).split())


def _docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _outputs(analysis: Analysis) -> dict[str, str]:
    return {
        "json": analysis.model_dump_json(),
        "markdown": to_markdown(analysis),
        "docx": _docx_text(to_docx(analysis)),
        "card": json.dumps(summary_card(analysis, None), ensure_ascii=False),
    }


async def _through_pipeline(
    stub: stubs.OpenAIStub, transcript: Transcript, context: MeetingContext
) -> Analysis:
    settings = llm_settings_from_env(stubs.azure_env(stub))
    assert settings is not None
    analyzer = LLMAnalyzer(settings)
    try:
        return await analyze(transcript, context, analyzer)
    finally:
        await analyzer.aclose()


def _assert_clean(analysis: Analysis) -> None:
    for name, text in _outputs(analysis).items():
        flat = _norm(text)
        assert _norm(FAKE) not in flat, f"fabricated quote in {name}"
        for sentence in ECHO:
            assert _norm(sentence) not in flat, f"internal reference in {name}: {sentence}"


def _poisoned(body: dict[str, Any]) -> stubs.Reply:
    return stubs.text(json.dumps(poisoned(body)))


async def test_fabricated_quotes_and_reference_echoes_never_reach_any_output(stub: stubs.OpenAIStub) -> None:
    transcript = load_transcript(ROOT / "samples" / "contoso-manufacturing-call.vtt")
    stub.default = _poisoned
    analysis = await _through_pipeline(stub, transcript, SAMPLE_CONTEXT)
    assert analysis.verification.quotes_dropped == 2
    assert analysis.verification.internal_sentences_removed >= 4
    assert analysis.summary_table[0].excerpt is None
    kept = [q for q in analysis.quotes()]
    assert kept and all(q.start is not None for q in kept)  # real quotes kept, with their times
    _assert_clean(analysis)


async def test_a_reply_obeying_an_injection_in_the_transcript_is_neutralised(stub: stubs.OpenAIStub) -> None:
    transcript = load_transcript(FIXTURES / "llm" / "injection-call.vtt")
    stub.default = _poisoned  # what a model that followed Maria's "instructions" would send
    analysis = await _through_pipeline(
        stub, transcript, MeetingContext(internal_names=frozenset({"Jordan Blake"}))
    )
    # The injection reached the model only as quoted data (see test_llm_analyzer), and its effects die here.
    assert analysis.verification.quotes_dropped == 2
    _assert_clean(analysis)
    # The customer's real words survive, attributed and timed.
    speakers = {q.speaker for q in analysis.quotes()}
    assert speakers == {"Maria Lopez"}


async def test_a_good_reply_keeps_every_quote_with_its_time_and_speaker(stub: stubs.OpenAIStub) -> None:
    """A hand-written model answer to the injection call that did not obey it (the fixture)."""
    reply = (FIXTURES / "llm" / "injection-call.reply.json").read_text("utf-8")
    stub.enqueue(stubs.text(reply))
    transcript = load_transcript(FIXTURES / "llm" / "injection-call.vtt")
    analysis = await _through_pipeline(
        stub,
        transcript,
        MeetingContext(internal_names=frozenset({"Jordan Blake"}), company="Fabrikam Retail"),
    )
    assert analysis.verification.quotes_dropped == 0 and analysis.verification.quotes_checked == 8
    assert analysis.verification.internal_sentences_removed == 0
    assert analysis.company_name == "Fabrikam Retail"  # the calendar's name beats the model's guess
    starts = {q.text: q.start for q in analysis.quotes()}
    # Times come from the turn that holds the words (7.1-20.3 s and 28.1-36.4 s in the fixture).
    lose = starts["We lose about three hours per store per week on it."]
    pilot = starts["We want a pilot in ten stores before we commit to anything bigger."]
    assert lose is not None and 7.1 <= lose <= 20.3
    assert pilot is not None and 28.1 <= pilot <= 36.4
    assert {q.speaker for q in analysis.quotes()} == {"Maria Lopez"}
    markdown = to_markdown(analysis)
    assert "We want a pilot in ten stores before we commit to anything bigger." in markdown
    assert [s.discussed for s in analysis.stages] == [True, False, True, False, False]
