"""The command line as a user runs it: ``mcem.cli.main`` with real files and exit codes, and a real
process where the process itself matters (``python -m``, a closed pipe)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from docx import Document

from mcem.model import ROLE_TITLES, STAGE_TITLES, Analysis
from mcem.template import internal_sentences
from tests.conftest import AMI_DIR, ROOT, TEAMS_EXAMPLE
from tests.support.cli import LLM_VARS, run_cli


def test_help_explains_every_option() -> None:
    top = run_cli("--help")
    assert top.returncode == 0
    assert "analyze" in top.stdout
    sub = run_cli("analyze", "--help")
    assert sub.returncode == 0
    for option in (
        "--out",
        "--engine",
        "--company",
        "--participant",
        "--internal",
        "--paper",
        "offline",
        "llm",
        "analysis.docx",
        "card.json",
        "AZURE_OPENAI_ENDPOINT",
        "OPENAI_API_KEY",
    ):
        assert option in sub.stdout, option


def test_version_and_python_dash_m() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"mcem \d+\.\d+\.\d+\n", result.stdout)
    as_module = subprocess.run(
        [sys.executable, "-m", "mcem", "--version"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert as_module.stdout == result.stdout


def test_no_command_prints_help_and_fails() -> None:
    result = run_cli()
    assert result.returncode == 2
    assert "analyze" in result.stderr


def test_analyze_ami_meeting_writes_four_outputs_that_keep_the_contract(tmp_path: Path) -> None:
    out = tmp_path / "x"
    result = run_cli("analyze", str(AMI_DIR / "ami-IS1000a.vtt"), "--out", str(out))
    assert result.returncode == 0, result.stderr
    names = {"analysis.md", "analysis.docx", "analysis.json", "card.json"}
    assert {p.name for p in out.iterdir()} == names
    for name in names:
        assert str((out / name).resolve()) in result.stdout

    analysis = Analysis.model_validate_json((out / "analysis.json").read_text("utf-8"))
    assert analysis.meta.engine == "offline"
    assert [s.stage for s in analysis.stages] == list(STAGE_TITLES)
    assert 3 <= len(analysis.recommendations) <= 5

    markdown = (out / "analysis.md").read_text("utf-8")
    positions = [markdown.index(f"### {i}. {title}") for i, title in enumerate(STAGE_TITLES.values(), 1)]
    assert positions == sorted(positions)
    for title in ROLE_TITLES.values():
        assert title in markdown

    doc = Document(str(out / "analysis.docx"))
    table = doc.tables[0]
    assert [row.cells[0].text.strip() for row in table.rows[1:]] == list(ROLE_TITLES.values())

    card = json.loads((out / "card.json").read_text("utf-8"))
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.5"

    everything = markdown + "\n".join(p.text for p in doc.paragraphs) + json.dumps(card)
    assert "MCEM Reference" not in everything
    for sentence in internal_sentences():
        assert sentence not in everything


def test_internal_flag_keeps_quotes_on_the_customer_side(tmp_path: Path) -> None:
    sample = ROOT / "samples" / "contoso-manufacturing-call.vtt"
    out = tmp_path / "sample"
    first = run_cli("analyze", str(sample), "--out", str(out))
    assert first.returncode == 0, first.stderr
    guessed = Analysis.model_validate_json((out / "analysis.json").read_text("utf-8"))
    internal = [p.name for p in guessed.details.attendees if p.side.value == "internal"]
    assert internal, "the offline analyzer should tell the account team from the customer in the sample"

    pinned = run_cli(
        "analyze", str(sample), "--out", str(out), "--internal", ",".join(internal), "--company", "Pinned Co"
    )
    assert pinned.returncode == 0, pinned.stderr
    analysis = Analysis.model_validate_json((out / "analysis.json").read_text("utf-8"))
    assert analysis.company_name == "Pinned Co"
    speakers = {q.speaker for q in analysis.quotes()}
    assert speakers, "the sample call should yield customer quotes"
    assert not speakers & set(internal)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\xff\xfe binary \x00", "binary"),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello there\n", "speaker"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, content: bytes, needle: str
) -> None:
    bad = tmp_path / "meeting.vtt"
    bad.write_bytes(content)
    out = tmp_path / "out"
    result = run_cli("analyze", str(bad), "--out", str(out))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "meeting.vtt" in lines[0]
    assert needle in lines[0].lower()
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("analyze", str(tmp_path / "nope.vtt"), "--out", str(tmp_path / "o"))
    assert result.returncode == 2
    assert "nope.vtt" in result.stderr
    assert "Traceback" not in result.stderr


def test_llm_engine_without_configuration_says_what_to_set(tmp_path: Path) -> None:
    result = run_cli(
        "analyze",
        str(TEAMS_EXAMPLE),
        "--engine",
        "llm",
        "--out",
        str(tmp_path / "o"),
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "AZURE_OPENAI_ENDPOINT" in result.stderr
    assert not (tmp_path / "o").exists()


def test_unwritable_output_directory_is_reported_without_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    result = run_cli("analyze", str(TEAMS_EXAMPLE), "--out", str(blocker / "sub"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "--out" in result.stderr


def test_date_and_subject_fill_the_interview_details(tmp_path: Path) -> None:
    out = tmp_path / "dated"
    result = run_cli(
        "analyze",
        str(TEAMS_EXAMPLE),
        "--out",
        str(out),
        "--date",
        "2026-11-24 15:30",
        "--subject",
        "Quarterly check-in",
    )
    assert result.returncode == 0, result.stderr
    analysis = Analysis.model_validate_json((out / "analysis.json").read_text("utf-8"))
    assert analysis.details.date_time is not None
    assert analysis.details.date_time.isoformat() == "2026-11-24T15:30:00+00:00"
    assert "24 November 2026" in (out / "analysis.md").read_text("utf-8")


def test_unreadable_date_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(
        "analyze",
        str(TEAMS_EXAMPLE),
        "--out",
        str(tmp_path / "o"),
        "--date",
        "last tuesday",
    )
    assert result.returncode == 2
    assert "YYYY-MM-DD" in result.stderr
    assert not (tmp_path / "o").exists()


def test_a_closed_pipe_is_not_a_traceback(tmp_path: Path) -> None:
    """`mcem analyze ... | head -1`: the reader leaves early; the files are still all there."""
    env = {k: v for k, v in os.environ.items() if k not in LLM_VARS}
    out = tmp_path / "piped"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mcem.cli",
            "analyze",
            str(AMI_DIR / "ami-IS1000a.vtt"),
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `head` exiting before the paths are printed
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0
    assert "Traceback" not in stderr
    assert {p.name for p in out.iterdir()} == {"analysis.md", "analysis.docx", "analysis.json", "card.json"}


def _damage(every: int, tmp_path: Path) -> tuple[Path, int]:
    """The sample call with the seconds of every ``every``-th cue's start made unreadable."""
    lines = (ROOT / "samples" / "contoso-manufacturing-call.vtt").read_text("utf-8").split("\n")
    timing = [i for i, line in enumerate(lines) if "-->" in line]
    for i in timing[every - 1 :: every]:
        lines[i] = lines[i][:6] + "7x" + lines[i][8:]
    path = tmp_path / "converted.vtt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path, timing[every - 1] + 1


def test_an_unreadable_time_line_is_one_warning_and_the_analysis_goes_on(tmp_path: Path) -> None:
    path, line = _damage(40, tmp_path)  # 1 cue in 40: well over 90% readable
    result = run_cli("analyze", str(path), "--out", str(tmp_path / "out"), "--paper", "a4")
    assert result.returncode == 0, result.stderr
    warnings = [w for w in result.stderr.splitlines() if "warning" in w]
    assert warnings and warnings[0].startswith(
        f"mcem: warning: converted.vtt: cue 40 (line {line}) skipped: its time line '"
    )
    assert all(w.endswith("cannot be read") for w in warnings)
    assert "Traceback" not in result.stderr
    section = Document(str(tmp_path / "out" / "analysis.docx")).sections[0]
    assert (section.page_width.twips, section.page_height.twips) == (11906, 16838)  # A4, as asked


def test_too_many_unreadable_time_lines_are_one_clean_refusal(tmp_path: Path) -> None:
    path, line = _damage(5, tmp_path)  # 1 cue in 5 unreadable: only 80% readable
    result = run_cli("analyze", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"cue 5 (line {line}) has an unreadable time line" in result.stderr
    assert "cues cannot be read, too many to skip" in result.stderr
    assert not (tmp_path / "out").exists()
