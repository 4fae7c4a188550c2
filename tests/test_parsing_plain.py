"""Line layouts: "Name: text", the Teams copy-paste and .docx layouts, and what is not a transcript."""

from __future__ import annotations

import io

import docx
import pytest

from mcem.errors import TranscriptError
from mcem.parsing import load_transcript, parse_transcript
from mcem.transcript import Transcript
from tests.conftest import FIXTURES

HERE = FIXTURES / "transcripts"


def _rows(transcript: Transcript) -> list[tuple[str, float, float, str]]:
    return [(u.speaker, u.start, u.end, u.text) for u in transcript.utterances]


def test_name_colon_lines_with_continuations_and_no_times() -> None:
    t = load_transcript(HERE / "colon.txt")
    # The title and "Date: ..." come before the first speaker and are not speech;
    # lines without a name continue the previous turn; no times in the file -> 0.0.
    assert _rows(t) == [
        ("Ana Farías", 0.0, 0.0, "Thanks for making the time today."),
        (
            "Ben Okafor",
            0.0,
            0.0,
            "Happy to. We have a lot to cover. Our pilot numbers came in last week and they look "
            "better than expected.",
        ),
        ("Ana Farías", 0.0, 0.0, "Good, let us start there."),
    ]


def test_name_colon_lines_with_timestamps() -> None:
    t = load_transcript(HERE / "colon_timestamps.txt")
    assert _rows(t) == [
        ("Ana Farías", 5.0, 9.0, "Thanks for making the time today."),
        ("Ben Okafor", 9.0, 62.0, "Happy to."),
        ("Ana Farías", 62.0, 3723.0, "Let us start with the pilot."),
        ("Ben Okafor", 3723.0, 3723.0, "One more thing before we close."),
    ]


def test_teams_copy_paste_layout() -> None:
    t = load_transcript(HERE / "teams_paste.txt")
    # Two+ spaces or a tab before the time; "started/stopped transcription" is not speech.
    assert _rows(t) == [
        ("Ana Farías", 3.0, 41.0, "Thanks for making the time today. Let us start with the pilot."),
        ("Ben Okafor", 41.0, 3723.0, "Happy to."),
        ("Ana Farías", 3723.0, 3723.0, "One more thing before we close."),
    ]


def test_older_teams_arrow_layout_as_text() -> None:
    t = load_transcript(HERE / "arrow_layout.txt")
    assert _rows(t) == [
        ("Ana Farías", 0.0, 5.32, "Thanks for making the time today."),
        ("Ben Okafor", 6.09, 8.5, "Happy to."),
        ("Ana Farías", 9.0, 12.04, "Let us start with the pilot."),
    ]


def test_docx_older_layout() -> None:
    t = load_transcript(HERE / "teams_old_layout.docx")
    # The "saved-by" table Teams appends is metadata and must not end up in the last turn.
    assert _rows(t) == [
        ("Ana Farías", 0.0, 5.32, "Thanks for making the time today."),
        ("Ben O'Brien", 6.09, 8.5, "Happy to. We have a lot to cover."),
        ("Ana Farías", 9.0, 14.04, "Let us start with the pilot numbers."),
    ]


def test_docx_newer_layout() -> None:
    t = load_transcript(HERE / "teams_new_layout.docx")
    assert _rows(t) == [
        ("Ana Farías", 3.0, 41.0, "Thanks for making the time today. Let us start with the pilot."),
        ("Ben O'Brien", 41.0, 3723.0, "Happy to."),
        ("Ana Farías", 3723.0, 3723.0, "One more thing before we close."),
    ]


def test_docx_detected_by_content_not_name() -> None:
    data = (HERE / "teams_new_layout.docx").read_bytes()
    t = parse_transcript(data, "download")
    assert t.speakers == ["Ana Farías", "Ben O'Brien"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("essay.txt", "no speaker turns found — this does not look like a meeting transcript"),
        ("data.csv", "no speaker turns found"),
        ("memo.docx", "no Teams transcript found in this Word document"),
        ("not_a_zip.docx", "is not a valid .docx file (not a zip archive)"),
        ("not_word.docx", "is a zip file but not a Word document"),
    ],
)
def test_refused_layouts(name: str, expected: str) -> None:
    with pytest.raises(TranscriptError) as caught:
        load_transcript(HERE / name)
    assert caught.value.source == name
    assert expected in caught.value.problem
    assert "\n" not in str(caught.value)


def test_sentence_before_a_colon_is_not_a_speaker() -> None:
    text = "Ana: We agreed on three things.\nThe main reason is simple: money.\nBen: Right.\n"
    t = parse_transcript(text.encode(), "notes.txt")
    assert t.speakers == ["Ana", "Ben"]
    assert t.utterances[0].text == "We agreed on three things. The main reason is simple: money."


def test_arrow_layout_without_names_is_refused() -> None:
    text = "0:0:0.0 --> 0:0:2.0\nWe agreed on three things.\n0:0:2.0 --> 0:0:4.0\nAnd a fourth.\n"
    with pytest.raises(TranscriptError, match="no speaker names found"):
        parse_transcript(text.encode(), "captions.txt")


def test_names_in_scripts_without_letter_case() -> None:
    text = "田中太郎: おはようございます。\n鈴木花子: はい、資料を共有しますね。\n"
    t = parse_transcript(text.encode(), "ja.txt")
    assert t.speakers == ["田中太郎", "鈴木花子"]
    arrow = "0:0:5.100 --> 0:0:8.250\n田中太郎\nおはようございます。\n"
    assert _rows(parse_transcript(arrow.encode(), "ja2.txt")) == [
        ("田中太郎", 5.1, 8.25, "おはようございます。")
    ]


def test_docx_header_and_text_inside_one_paragraph() -> None:
    # Some exports keep "Name   0:03" and the text in one paragraph, split by line breaks.
    document = docx.Document()
    document.add_paragraph("Meeting Transcript")
    run = document.add_paragraph().add_run("Ana Farías   0:03")
    for piece in ("Hello.", "Ben Okafor\t0:09", "Hi."):
        run.add_break()
        run.add_text(piece)
    buffer = io.BytesIO()
    document.save(buffer)
    assert _rows(parse_transcript(buffer.getvalue(), "one-paragraph.docx")) == [
        ("Ana Farías", 3.0, 9.0, "Hello."),
        ("Ben Okafor", 9.0, 9.0, "Hi."),
    ]
