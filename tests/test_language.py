"""Output language: the LLM engine writes in the language asked for or the transcript's own; the offline
engine reads English only and says so in one line (exit 2 from the CLI, an error card in the bot)."""

from __future__ import annotations

from dataclasses import astuple
from pathlib import Path

import pytest

from mcem.cli import main
from mcem.context import MeetingContext
from mcem.errors import LanguageError, explain
from mcem.language import language_of, output_language, transcript_language
from mcem.llm import LLMAnalyzer, llm_settings_from_env
from mcem.offline import OfflineAnalyzer
from mcem.pipeline import analyze
from mcem.transcript import Transcript, Utterance
from tests.stubs import openai_stub as stubs

GERMAN = [
    ("Anna Weber", "Guten Morgen zusammen, danke, dass Sie sich heute die Zeit nehmen."),
    ("Jonas Keller", "Wir haben sechs Werke in Deutschland und die Berichte sind überall unterschiedlich."),
    ("Anna Weber", "Unser größtes Problem ist, dass wir den Betrieb nicht an einem Ort sehen können."),
    (
        "Jonas Keller",
        "Der Pilot in Dresden läuft seit September und die Techniker sind sehr zufrieden damit.",
    ),
]
ENGLISH = [
    ("Anna Weber", "Good morning everyone, and thank you for making the time today."),
    ("Jonas Keller", "We run six plants in Germany and every one of them reports differently."),
    ("Anna Weber", "Our biggest problem is that we cannot see the whole operation in one place."),
    ("Jonas Keller", "The pilot in Dresden has been running since September and the technicians like it."),
]


def _transcript(lines: list[tuple[str, str]], source: str = "werk-call.vtt") -> Transcript:
    return Transcript(
        utterances=tuple(
            Utterance(speaker=s, start=10.0 * i, end=10.0 * i + 9, text=t) for i, (s, t) in enumerate(lines)
        ),
        source=source,
    )


def test_the_transcripts_language_is_detected_without_a_download() -> None:
    assert transcript_language(_transcript(GERMAN)) == "German"
    assert transcript_language(_transcript(ENGLISH)) == "English"
    assert language_of("Too short to tell.") is None
    assert output_language("", _transcript(GERMAN)) == "German"
    assert output_language("French", _transcript(GERMAN)) == "French"


def test_offline_refuses_a_transcript_in_another_language_in_one_line() -> None:
    with pytest.raises(LanguageError) as err:
        OfflineAnalyzer().analyze_sync(_transcript(GERMAN), MeetingContext())
    message = str(err.value)
    assert "werk-call.vtt is in German" in message and "--engine llm" in message and "\n" not in message


def test_offline_refuses_to_write_another_language() -> None:
    with pytest.raises(LanguageError, match="writes English only, not German"):
        OfflineAnalyzer().analyze_sync(_transcript(ENGLISH), MeetingContext(language="German"))
    with pytest.raises(LanguageError):
        OfflineAnalyzer(language="German").analyze_sync(_transcript(ENGLISH), MeetingContext())
    assert OfflineAnalyzer().analyze_sync(_transcript(ENGLISH), MeetingContext(language="English"))


def test_cli_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "werk-call.txt"
    source.write_text("\n".join(f"{s}: {t}" for s, t in GERMAN), "utf-8")
    out = tmp_path / "out"
    code = main(["analyze", str(source), "--out", str(out), "--engine", "offline"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and "German" in err[0] and "--engine llm" in err[0]
    assert not out.exists() or not any(out.iterdir())


def test_the_bot_shows_an_error_card_that_says_what_to_do() -> None:
    said = "Werk review is in German and the offline analyzer reads English only: analyse it with the model"
    title, detail, todo, retry = astuple(explain(LanguageError(said)))
    assert title == "This meeting is not in English"
    assert detail == "Werk review is in German and the offline analyzer reads English only."
    assert "language model" in todo and retry is False


async def test_the_llm_engine_writes_in_the_transcripts_language_or_the_one_asked_for(
    stub: stubs.OpenAIStub,
) -> None:
    settings = llm_settings_from_env(stubs.azure_env(stub))
    assert settings is not None
    analyzer = LLMAnalyzer(settings)
    try:
        await analyze(_transcript(GERMAN), MeetingContext(), analyzer)
        assert "Write every prose field in German" in stub.received[-1].system_text
        await analyze(_transcript(GERMAN), MeetingContext(language="French"), analyzer)
        assert "Write every prose field in French" in stub.received[-1].system_text
    finally:
        await analyzer.aclose()
    configured = LLMAnalyzer(settings, language="Spanish")
    try:
        await analyze(_transcript(ENGLISH), MeetingContext(), configured)
        assert "Write every prose field in Spanish" in stub.received[-1].system_text
    finally:
        await configured.aclose()
