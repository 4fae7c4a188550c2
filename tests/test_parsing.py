"""The public surface of mcem.parsing: loading files, encodings, limits and refusals."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

import mcem.parsing
from mcem.errors import TranscriptError
from mcem.parsing import MAX_BYTES, load_transcript, parse_transcript
from tests.conftest import FIXTURES, ROOT, TEAMS_EXAMPLE

HERE = FIXTURES / "transcripts"


def _problem(call: Callable[..., object], *args: object) -> str:
    with pytest.raises(TranscriptError) as caught:
        call(*args)
    message = str(caught.value)
    assert "\n" not in message and " — " in message  # one line: what is wrong — what to do
    return caught.value.problem


def test_public_names() -> None:
    assert set(mcem.parsing.__all__) >= {"load_transcript", "parse_transcript", "MAX_BYTES"}
    assert MAX_BYTES == 20 * 1024 * 1024


def test_empty_and_whitespace_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.vtt"
    empty.write_bytes(b"")
    assert _problem(load_transcript, empty).startswith("the file is empty")
    blank = tmp_path / "blank.txt"
    blank.write_bytes(b"\xef\xbb\xbf \r\n\t\n  \n")
    assert _problem(load_transcript, blank).startswith("contains only whitespace")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert _problem(load_transcript, tmp_path / "nope.vtt").startswith("file not found")
    assert _problem(load_transcript, tmp_path).startswith("is a folder, not a file")


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Ana>Hi\x00</v>\n",
        bytes(range(1, 32)) * 20,
    ],
)
def test_binary_content_is_refused(data: bytes) -> None:
    assert _problem(parse_transcript, data, "x.vtt").startswith("looks like a binary file")


def test_undecodable_text_is_refused() -> None:
    # Invalid UTF-8, and 0x81/0x8d are undefined in Windows-1252 as well.
    assert "text encoding that cannot be read" in _problem(parse_transcript, b"Ana: caf\x81\x8d\n", "x.txt")


def test_old_binary_word_file_is_refused() -> None:
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64
    assert "old binary Office file (.doc)" in _problem(parse_transcript, data, "call.doc")


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        lambda text: text.encode("utf-16-le"),
        lambda text: text.encode("utf-16-be"),
        lambda text: text.encode("cp1252"),
    ],
    ids=["utf-8-sig", "utf-16-le", "utf-16-be", "utf-16-le-no-bom", "utf-16-be-no-bom", "cp1252"],
)
def test_encodings_read_the_same(tmp_path: Path, encode: Callable[[str], bytes]) -> None:
    text = (HERE / "colon.txt").read_text("utf-8")
    path = tmp_path / "colon.txt"
    path.write_bytes(encode(text))
    assert load_transcript(path).utterances == load_transcript(HERE / "colon.txt").utterances
    assert load_transcript(path).speakers == ["Ana Farías", "Ben Okafor"]


def test_utf16_vtt_with_bom() -> None:
    original = TEAMS_EXAMPLE
    data = original.read_text("utf-8").encode("utf-16")  # with BOM
    assert parse_transcript(data, "x.vtt").utterances == load_transcript(original).utterances


def test_size_is_checked_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = tmp_path / "huge.vtt"
    with big.open("wb") as handle:
        handle.truncate(MAX_BYTES + 1)  # sparse: no disk space used

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened although it is too large")

    monkeypatch.setattr(Path, "open", refuse)
    monkeypatch.setattr(Path, "read_bytes", refuse)
    assert _problem(load_transcript, big).startswith("is larger than 20 MB")


def test_file_at_the_limit_is_read(tmp_path: Path) -> None:
    body = (HERE / "colon.txt").read_bytes()
    path = tmp_path / "padded.txt"
    path.write_bytes(body + b" " * (MAX_BYTES - len(body)))
    assert len(load_transcript(path).utterances) == 3


def test_oversized_bytes_are_refused() -> None:
    assert _problem(parse_transcript, b" " * (MAX_BYTES + 1), "graph").startswith("is larger than")


def test_a_pipe_cannot_bypass_the_limit(tmp_path: Path) -> None:
    fifo = tmp_path / "stream.vtt"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("wb") as handle:
            handle.write(b"WEBVTT\n\n" + b"x" * MAX_BYTES)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        assert _problem(load_transcript, fifo).startswith("is larger than")
    finally:
        writer.join(timeout=10)


def test_parsing_imports_no_bot_graph_or_cards() -> None:
    code = (
        "import sys, mcem.parsing\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('bot', 'graph', 'cards')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "data",
    [
        b"Ana: hi\nBen: yo\na" + b" " * 2_000_000 + b"x\n",
        b"0:0:1.0 --> " + b" " * 2_000_000 + b"x\n",
        b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + b"<v  " * 500_000,
        (b"Ana  " * 60 + b"\n") * 5_000,
    ],
    ids=["long-space-line", "arrow-then-spaces", "unclosed-voice-tags", "many-double-spaces"],
)
def test_hostile_text_does_not_backtrack_for_minutes(tmp_path: Path, data: bytes) -> None:
    # Run in a child with a deadline: a regex regression would otherwise hang the suite.
    path = tmp_path / "hostile.txt"
    path.write_bytes(data)
    code = (
        "import sys\nfrom pathlib import Path\nfrom mcem.errors import TranscriptError\n"
        "from mcem.parsing import load_transcript\n"
        "try:\n    print(len(load_transcript(Path(sys.argv[1])).utterances))\n"
        "except TranscriptError:\n    print('refused')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in {"refused", "2"}


def test_content_type_wins_over_a_file_like_source_name() -> None:
    # The bot passes the meeting subject as source; a subject ending in ".docx" must not matter.
    data = (TEAMS_EXAMPLE).read_bytes()
    t = parse_transcript(data, "Review of plan.docx", content_type="text/vtt")
    assert len(t.utterances) == 9
    assert t.source == "Review of plan.docx"


def test_docx_that_unpacks_to_hundreds_of_megabytes_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.docx"
    chunk = b"\0" * (1 << 20)
    with (
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/document.xml", "w") as member,
    ):
        for _ in range(201):
            member.write(chunk)
    assert bomb.stat().st_size < MAX_BYTES
    assert "unpacks to more than 20 MB" in _problem(load_transcript, bomb)


def test_zip_with_a_broken_word_part_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("word/document.xml", "<not really xml")
    assert _problem(load_transcript, broken).startswith("is not a readable Word document")
