"""Fuzzing every parser and renderer with hypothesis: each returns a result or raises its own one-line error.

Parsers (parse_transcript for every layout, including .docx archives; analysis_from_docx for drafts)
get bytes shaped like their input and bytes that are not; renderers (Markdown, Word, card, email)
and verification get the fixture analysis with hostile text in every field. A crash of any other
kind is a bug: users would see a traceback (CLI) or a generic failure (bot).

Kept quick and repeatable for CI: bounded examples, no deadline (the machine may be busy),
derandomized, and no example database written into the repository.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mcem.errors import DraftError, TranscriptError
from mcem.model import Analysis
from mcem.parsing import parse_transcript
from mcem.render.card import summary_card
from mcem.render.docx import to_docx
from mcem.render.docx_reader import analysis_from_docx
from mcem.render.email import to_email_html
from mcem.render.markdown import to_markdown
from mcem.transcript import Transcript, Utterance
from mcem.verify import verify
from tests.conftest import FIXTURES
from tests.security.bombs import CONTENT_TYPES, RELS, W

FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Pieces that have broken parsers and renderers elsewhere, mixed into random text.
_NASTY = st.sampled_from(
    [
        "-->",
        "<v Ana>",
        "</v>",
        "WEBVTT",
        "9" * 400,
        "9" * 4400,
        "00:00:01.000",
        "\u202e",
        "\u2066",
        "\x00",
        "\x1b[2K",
        "\r\n",
        "](",
        "[x](https://evil.example)",
        "<script>",
        "&amp;",
        "&#0;",
        "**",
        "# ",
        "1. ",
        "> ",
        "|",
        "\\",
        "{{transcript}}",
        "</transcript>",
        "NaN",
        "1e999",
        "\ufeff",
        "\ud7ff",
        "Ana Silva  0:03",
        "Ana: ",
    ]
)
_TEXT = st.lists(st.one_of(st.text(max_size=40), _NASTY), max_size=12).map("".join)
_LINE = st.one_of(
    st.builds(lambda n, t: f"{n}: {t}", st.sampled_from(["Ana", "Bo Li", "UNKNOWN SPEAKER", ""]), _TEXT),
    st.builds(
        lambda a, b, who, t: f"{a} --> {b}\n<v {who}>{t}</v>",
        st.one_of(
            st.from_regex(r"-?\d{1,6}:\d{1,3}:\d{1,3}([.,]\d{0,12})?", fullmatch=True),
            st.sampled_from(
                ["9" * 320 + ":00:00.000", "9" * 5000 + ":00:00.000"]
            ),  # hours past float, past int
        ),
        st.from_regex(r"\d{1,6}:\d{1,3}(:\d{1,3})?([.,]\d{0,12})?", fullmatch=True),
        st.sampled_from(["Ana", "Bo", "", "<v"]),
        _TEXT,
    ),
    _TEXT,
)
_TRANSCRIPT_TEXT = st.builds(
    lambda head, lines: head + "\n\n".join(lines),
    st.sampled_from(["WEBVTT\n\n", "", "\ufeffWEBVTT\n", "NOTE x\n\n"]),
    st.lists(_LINE, max_size=15),
)
_JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(10**500), max_value=10**500),
        st.floats(allow_nan=True, allow_infinity=True),
        _TEXT,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(
            st.sampled_from(["speaker", "text", "start", "end", "name", "utterances"]), inner, max_size=5
        ),
    ),
    max_leaves=20,
)


def _parse(data: bytes, source: str, content_type: str | None = None) -> None:
    try:
        transcript = parse_transcript(data, source, content_type=content_type)
    except TranscriptError as err:
        assert "\n" not in str(err) and str(err).startswith(f"{source}: ")
        return
    assert isinstance(transcript, Transcript) and transcript.utterances


@FUZZ
@given(data=st.binary(max_size=2000), name=st.sampled_from(["t.vtt", "t.txt", "t.json", "t.docx", "t"]))
def test_any_bytes(data: bytes, name: str) -> None:
    _parse(data, name)


@FUZZ
@given(text=_TRANSCRIPT_TEXT, media=st.sampled_from([None, "text/vtt", "text/plain"]))
def test_transcript_shaped_text(text: str, media: str | None) -> None:
    _parse(text.encode("utf-8", errors="surrogatepass"), "call.vtt", media)


@FUZZ
@given(value=_JSON, digits=st.sampled_from([0, 400, 4400]))
def test_json_transcripts(value: Any, digits: int) -> None:
    text = json.dumps(value)
    if digits:  # json.dumps cannot write an int this long, so it goes in as text
        text = f'[{{"speaker": "Ana", "text": "Hi.", "start": {"9" * digits}}}, {text}]'
    _parse(text.encode(), "call.json")


@st.composite
def _archives(draw: st.DrawFn) -> bytes:
    out = io.BytesIO()
    body = draw(st.lists(_TEXT, max_size=6))
    xml = draw(
        st.one_of(
            st.just(
                f'<w:document xmlns:w="{W}"><w:body>'
                + "".join(f"<w:p><w:r><w:t>{t}</w:t></w:r></w:p>" for t in body)
                + "</w:body></w:document>"
            ),
            st.just(f'<w:document xmlns:w="{W}"/>'),
            _TEXT,
        )
    )
    with zipfile.ZipFile(out, "w") as archive:
        method = draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))
        for name, content in (
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", RELS),
            ("word/document.xml", xml),
        ):
            if draw(st.booleans()) or name == "word/document.xml":
                archive.writestr(name, content.encode("utf-8", errors="surrogatepass"), compress_type=method)
    data = bytearray(out.getvalue())
    # Flip a few bytes: damaged headers, sizes, methods, CRCs.
    for index, value in draw(
        st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(0, 255)), max_size=3)
    ):
        data[index] = value
    return bytes(data)


@FUZZ
@given(data=_archives())
def test_docx_archives_as_transcripts_and_as_drafts(data: bytes) -> None:
    _parse(data, "call.docx")
    try:
        analysis_from_docx(data)
    except DraftError as err:
        assert "\n" not in str(err)


# -- renderers and verification --------------------------------------------------------------------

_BASE = json.loads((FIXTURES / "render" / "analysis.json").read_text("utf-8"))
_TEXT_FIELDS = [
    ("participant_name",),
    ("company_name",),
    ("company_background",),
    ("executive_summary", 0),
    ("details", "subject"),
    ("stages", 0, "paragraphs", 0),
    ("stages", 1, "quotes", 0, "text"),
    ("stages", 1, "quotes", 0, "speaker"),
    ("insights", 0),
    ("recommendations", 0, "title"),
    ("recommendations", 1, "narrative"),
    ("summary_table", 0, "insight"),
    ("summary_table", 2, "actions", 0),
    ("additional_feedback", "overall_mood"),
    ("additional_feedback", "sentiment", 0, "company"),
    ("additional_feedback", "sentiment", 0, "summary"),
]


def _with(values: list[str]) -> Analysis:
    data = json.loads(json.dumps(_BASE))
    for path, value in zip(_TEXT_FIELDS, values, strict=False):
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        try:
            node[path[-1]] = value
        except (IndexError, KeyError, TypeError):
            continue
    try:
        return Analysis.model_validate(data)
    except ValidationError:
        assume(False)
        raise


_VALUES = st.lists(
    _TEXT.filter(lambda t: t.strip() != ""), min_size=len(_TEXT_FIELDS), max_size=len(_TEXT_FIELDS)
)


@FUZZ
@given(values=_VALUES)
def test_every_renderer_takes_hostile_text(values: list[str]) -> None:
    analysis = _with(values)
    url = "https://contoso.sharepoint.com/sites/a/draft.docx"
    assert to_markdown(analysis)
    data = to_docx(analysis)
    assert data.startswith(b"PK")
    summary_card(analysis, url, run_id="r1")
    assert to_email_html(analysis, url).startswith("<!DOCTYPE html>")
    try:
        analysis_from_docx(data, base=analysis)
        analysis_from_docx(data)
    except DraftError as err:
        assert "\n" not in str(err)


@FUZZ
@given(values=_VALUES, said=st.lists(_TEXT.filter(lambda t: t.strip() != ""), min_size=1, max_size=4))
def test_verification_takes_hostile_text(values: list[str], said: list[str]) -> None:
    analysis = _with(values)
    transcript = Transcript(
        utterances=tuple(
            Utterance(speaker="Ana", start=float(i), end=float(i), text=t) for i, t in enumerate(said)
        ),
        source="t",
    )
    checked = verify(analysis, transcript)
    assert verify(checked, transcript) == checked  # idempotent, even on hostile text


@pytest.mark.parametrize("name", ["analysis.json"])
def test_the_fixture_the_renderer_fuzz_starts_from_is_valid(name: str) -> None:
    assert Analysis.model_validate(_BASE).summary_table
