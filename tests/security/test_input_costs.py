"""Input that costs too much, or once crashed a parser: refused with one line, before the cost is paid.

Through the real paths: the CLI in-process (exit code, stderr, nothing written), parse_transcript as
the bot calls it on Graph's bytes, and analysis_from_docx as Refresh and Email call it on a draft.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

import mcem.parsing
import mcem.render.docx_reader as docx_reader
from mcem.cli import main
from mcem.errors import DraftError, TranscriptError
from mcem.model import Analysis
from mcem.parsing import MAX_BYTES, parse_transcript
from mcem.parsing.common import MAX_WORDS
from mcem.render.docx import to_docx
from mcem.render.docx_reader import analysis_from_docx
from tests.conftest import FIXTURES, ROOT
from tests.security.bombs import CONTENT_TYPES, RELS, W, docx_bomb, docx_with_paragraphs, lying_docx_bomb

CORPUS = Path(__file__).resolve().parent / "corpus"
CRASHERS = sorted(p for p in CORPUS.iterdir() if p.suffix in (".json", ".vtt", ".docx"))
MB = 1024 * 1024


def run_cli(path: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["analyze", str(path), "--out", str(out), "--engine", "offline"])
    return code, capsys.readouterr().err


def assert_one_line_refusal(code: int, err: str, name: str, out: Path) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines[-1].startswith(f"mcem: {name}: "), err
    assert not out.exists(), "nothing may be written for refused input"


def test_the_corpus_holds_every_crash_that_was_reported() -> None:
    kinds = {p.name.split("-")[0] for p in CRASHERS}
    assert kinds == {"json", "vtt", "docx"}
    assert len(CRASHERS) >= 6


@pytest.mark.parametrize("path", CRASHERS, ids=lambda p: p.name)
def test_each_crashing_input_is_one_line_and_exit_2(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, err = run_cli(path, out, capsys)
    assert_one_line_refusal(code, err, path.name, out)


@pytest.mark.parametrize("path", [p for p in CRASHERS if p.suffix == ".docx"], ids=lambda p: p.name)
def test_each_crashing_docx_is_a_draft_error_when_read_back(path: Path) -> None:
    with pytest.raises(DraftError):
        analysis_from_docx(path.read_bytes())


def test_the_190_mb_docx_bomb_is_refused_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = tmp_path / "bomb.docx"
    bomb.write_bytes(docx_bomb(190 * MB))
    assert bomb.stat().st_size < MB  # small on disk: the cost is all in unpacking
    out = tmp_path / "out"
    started = time.perf_counter()
    code, err = run_cli(bomb, out, capsys)
    elapsed = time.perf_counter() - started
    assert_one_line_refusal(code, err, "bomb.docx", out)
    assert "unpacks to more than 20 MB" in err
    # Before: 213 s and 4.3 GB. The refusal reads only the zip's directory; generous for a busy CI box.
    assert elapsed < 20


def test_a_bomb_that_lies_about_its_size_never_reaches_python_docx_inflated() -> None:
    bomb = lying_docx_bomb(64 * MB)
    # The bomb is real: zipfile alone, as python-docx uses it, inflates the whole part in one call.
    tracemalloc.start()
    try:
        zipfile.ZipFile(io.BytesIO(bomb)).read("word/document.xml")
        naive_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        with pytest.raises(TranscriptError):
            parse_transcript(bomb, "lying.docx")
        guarded_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert naive_peak > 64 * MB
    assert guarded_peak < 16 * MB


def test_a_docx_that_unpacks_to_over_100_times_its_size_is_refused() -> None:
    bomb = docx_bomb(8 * MB)  # under the 20 MB limit, but 100+ times its own size
    with pytest.raises(TranscriptError, match="times its size"):
        parse_transcript(bomb, "ratio.docx")
    with pytest.raises(DraftError, match="times its size"):
        analysis_from_docx(bomb)


def test_a_docx_with_more_paragraphs_than_any_meeting_is_refused_before_reading_them() -> None:
    with pytest.raises(TranscriptError, match="more than 50,000 paragraphs"):
        parse_transcript(docx_with_paragraphs(50_001), "long.docx")
    with pytest.raises(DraftError, match="more than 5,000 paragraphs"):
        analysis_from_docx(docx_with_paragraphs(5_001))


def test_parsing_stops_at_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    data = (ROOT / "samples" / "contoso-manufacturing-call.vtt").read_bytes()
    assert parse_transcript(data, "call.vtt").utterances
    monkeypatch.setattr(mcem.parsing, "PARSE_SECONDS", -1.0)
    with pytest.raises(TranscriptError, match="took longer than"):
        parse_transcript(data, "call.vtt")


def test_reading_a_draft_stops_at_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    analysis = Analysis.model_validate_json((FIXTURES / "render" / "analysis.json").read_text("utf-8"))
    data = to_docx(analysis)
    assert analysis_from_docx(data, base=analysis) == analysis
    monkeypatch.setattr(docx_reader, "READ_SECONDS", -1.0)
    with pytest.raises(DraftError, match="took longer than"):
        analysis_from_docx(data, base=analysis)


def test_entries_compressed_with_methods_word_never_writes_are_refused() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_LZMA) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("word/document.xml", f'<w:document xmlns:w="{W}"><w:body/></w:document>')
    with pytest.raises(TranscriptError, match="compression method"):
        parse_transcript(out.getvalue(), "lzma.docx")


def test_a_transcript_longer_than_any_teams_meeting_is_refused() -> None:
    line = " ".join(["word"] * 100) + "."  # 100 words
    text = "\n".join(f"Ana Silva: {line}" for _ in range(MAX_WORDS // 100 + 1))
    assert len(text.encode()) < MAX_BYTES  # within the size limit: only its length is refused
    with pytest.raises(TranscriptError, match="more than 300,000 words"):
        parse_transcript(text.encode(), "long.txt")
    shorter = "\n".join(text.splitlines()[: MAX_WORDS // 100])
    assert len(parse_transcript(shorter.encode(), "long.txt").utterances) == MAX_WORDS // 100
