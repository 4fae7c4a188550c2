"""Errors carry their title and advice (mcem/errors.py); every surface shows those and nothing else."""

from __future__ import annotations

import io
from contextlib import redirect_stderr
from pathlib import Path

import pytest

from bot.drafts import DraftProblem
from graph.mail import MailRefused
from graph.service import AccessDenied, GraphError, MeetingNotFound, TranscriptNotReady, TranscriptUnavailable
from mcem import cli
from mcem.errors import (
    UNEXPECTED,
    AnalysisError,
    ConfigError,
    DraftError,
    LLMError,
    MCEMError,
    TranscriptError,
    explain,
)

KINDS: list[MCEMError] = [
    MCEMError("x"),
    TranscriptError("call.vtt", "no speakers"),
    ConfigError("MCEM_X is wrong"),
    DraftError("the table is gone"),
    AnalysisError("no stages"),
    LLMError("timed out", kind="timeout"),
    GraphError("Graph said 500"),
    MeetingNotFound("none"),
    TranscriptUnavailable("off"),
    TranscriptNotReady("soon"),
    AccessDenied("no"),
    MailRefused("outside"),
    DraftProblem("gone"),
]


@pytest.mark.parametrize("err", KINDS, ids=lambda e: type(e).__name__)
def test_every_kind_has_a_title_and_advice_and_shows_its_message(err: MCEMError) -> None:
    why = explain(err)
    assert why.title and why.advice.endswith(".") and why.message == str(err)
    assert why.advice != why.message


def test_titles_tell_the_kinds_apart() -> None:
    titles = [explain(e).title for e in KINDS]
    assert len(set(titles)) == len(titles)


def test_something_that_is_not_ours_shows_none_of_its_text() -> None:
    why = explain(RuntimeError("Priya said the budget is 2 million"))
    assert why is UNEXPECTED and "budget" not in why.message + why.title + why.advice


def test_retry_is_offered_only_where_trying_again_can_help() -> None:
    assert explain(TranscriptNotReady("soon")).retry and explain(LLMError("x")).retry
    assert not any(explain(e).retry for e in (MeetingNotFound("x"), AccessDenied("x"), ConfigError("x")))


def test_the_cli_prints_the_title_message_and_advice_of_a_failed_analysis(tmp_path: Path) -> None:
    err = LLMError("The language model did not answer in time.", kind="timeout")
    stderr = io.StringIO()
    with redirect_stderr(stderr):
        cli._failed(err, tmp_path / "call.vtt")
    lines = stderr.getvalue().splitlines()
    assert lines[0] == "mcem: the language model failed: The language model did not answer in time."
    assert f"mcem: {LLMError.advice}" in lines
    assert lines[-1].endswith("--engine offline")
