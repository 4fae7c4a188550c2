"""JSON transcripts: plain lists, wrapped lists, times as seconds or clock strings."""

from __future__ import annotations

import pytest

from mcem.errors import TranscriptError
from mcem.parsing import load_transcript, parse_transcript
from mcem.transcript import Transcript
from tests.conftest import FIXTURES

HERE = FIXTURES / "transcripts"


def _rows(transcript: Transcript) -> list[tuple[str, float, float, str]]:
    return [(u.speaker, u.start, u.end, u.text) for u in transcript.utterances]


def test_list_with_key_aliases_and_time_forms() -> None:
    t = load_transcript(HERE / "list.json")
    assert _rows(t) == [
        ("Ana Farías", 1.5, 4.0, "Thanks for making the time."),  # entity decoded, spaces collapsed
        ("Ben Okafor", 4.25, 6.5, "Happy to."),  # name/content keys, clock strings
        ("Ana Farías", 62.0, 65.0, "Let us start."),  # mm:ss
    ]


def test_utterances_wrapper_and_missing_speaker() -> None:
    t = load_transcript(HERE / "wrapped.json")
    assert _rows(t) == [
        ("Ana Farías", 0.0, 0.0, "Thanks for making the time."),
        ("Ben Okafor", 0.0, 0.0, "Happy to."),
        ("Unknown speaker", 0.0, 0.0, "Who just joined?"),
    ]


def test_transcript_wrapper_and_end_before_start() -> None:
    assert _rows(load_transcript(HERE / "transcript_key.json")) == [
        ("Ana Farías", 3.0, 3.0, "Ready when you are.")
    ]


def test_json_detected_without_a_json_name() -> None:
    data = b'[{"speaker": "Ana", "text": "Hi.", "start": "12.5"}]'
    assert _rows(parse_transcript(data, "upload")) == [("Ana", 12.5, 12.5, "Hi.")]


def test_bracketed_timestamp_text_is_not_mistaken_for_json() -> None:
    data = b"[00:00:05] Ana: Hi.\n[00:00:07] Ben: Hello.\n"
    assert _rows(parse_transcript(data, "upload")) == [("Ana", 5.0, 7.0, "Hi."), ("Ben", 7.0, 7.0, "Hello.")]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("no_speakers.json", 'no speaker names found — give each item a "speaker"'),
        ("bad_time.json", "item 1 has an unreadable time 'soon'"),
        ("not_transcript.json", "the JSON is not a transcript"),
    ],
)
def test_refused_json_files(name: str, expected: str) -> None:
    with pytest.raises(TranscriptError) as caught:
        load_transcript(HERE / name)
    assert expected in caught.value.problem


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'[{"speaker": "Ana", "text": "Hi."', "is not valid JSON (line 1, column"),
        (b'["Ana: Hi."]', "item 1 is not an object"),
        (b'[{"speaker": "Ana", "text": 5}]', "item 1 has text that is not a string"),
        (b'[{"speaker": ["Ana"], "text": "Hi."}]', "item 1 has a speaker that is not a string"),
        (b'[{"speaker": "Ana", "text": "Hi.", "start": NaN}]', "item 1 has an unreadable time"),
        (b'[{"speaker": "Ana"}]', "the JSON has no items with text"),
        (b'[{"speaker": "Ana", "text": "   "}]', "the transcript has no spoken text"),
    ],
)
def test_refused_json_bytes(data: bytes, expected: str) -> None:
    with pytest.raises(TranscriptError) as caught:
        parse_transcript(data, "t.json")
    assert expected in caught.value.problem


def test_content_type_json_reports_json_errors() -> None:
    # Without the content type this would be read as plain text and refused for another reason.
    with pytest.raises(TranscriptError, match="is not valid JSON"):
        parse_transcript(b'{"utterances": [', "graph-content", content_type="application/json")
