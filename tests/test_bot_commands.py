from __future__ import annotations

from datetime import date

import pytest

from bot.commands import Account, AnalyzeLast, AnalyzeMatching, Help, ListMeetings, parse_command

TODAY = date(2026, 11, 25)  # a Wednesday


@pytest.mark.parametrize(
    "text",
    [
        "analyze last meeting",
        "Analyze last meeting",
        "  analyze   the LAST call ",
        "analyse my latest meeting",
        "analyze most recent meeting.",
        "analyze",
        "summarize last meeting",
        "analyze last",
    ],
)
def test_last_meeting_phrasings(text: str) -> None:
    assert parse_command(text, today=TODAY) == AnalyzeLast()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("analyze Contoso quarterly review", AnalyzeMatching(words="Contoso quarterly review")),
        ("analyze the call with Fabrikam", AnalyzeMatching(words="Fabrikam")),
        ("analyze 2026-11-20", AnalyzeMatching(on=date(2026, 11, 20))),
        ("analyze meeting on 20 Nov", AnalyzeMatching(on=date(2026, 11, 20))),
        ("analyze Contoso on Nov 3rd", AnalyzeMatching(words="Contoso", on=date(2026, 11, 3))),
        ("analyze Contoso March 3, 2025", AnalyzeMatching(words="Contoso", on=date(2025, 3, 3))),
        ("analyze yesterday", AnalyzeMatching(on=date(2026, 11, 24))),
        ("analyze Northwind monday", AnalyzeMatching(words="Northwind", on=date(2026, 11, 23))),
        ("analyze today", AnalyzeMatching(on=TODAY)),
    ],
)
def test_analyze_with_subject_or_date(text: str, expected: AnalyzeMatching) -> None:
    assert parse_command(text, today=TODAY) == expected


def test_a_future_day_without_year_means_last_year() -> None:
    assert parse_command("analyze 3 December", today=TODAY) == AnalyzeMatching(on=date(2025, 12, 3))


def test_an_impossible_date_stays_as_words() -> None:
    assert parse_command("analyze 31 February", today=TODAY) == AnalyzeMatching(words="31 February")


@pytest.mark.parametrize("text", ["meetings", "Meetings", "my meetings", "list meetings", "recent meetings"])
def test_meetings(text: str) -> None:
    assert parse_command(text, today=TODAY) == ListMeetings()


@pytest.mark.parametrize("text", ["help", "HELP", "?", "", None, "hello"])
def test_help(text: str | None) -> None:
    assert parse_command(text, today=TODAY) == Help()


def test_anything_else_gets_help_and_keeps_what_was_typed() -> None:
    assert parse_command("what's the weather", today=TODAY) == Help(unknown="what's the weather")


def test_words_that_only_start_like_a_command_are_not_one() -> None:
    assert parse_command("analyzer settings", today=TODAY) == Help(unknown="analyzer settings")


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("account Contoso", Account("Contoso")),
        ("Account for contoso manufacturing", Account("contoso manufacturing")),
        ("history of Fabrikam", Account("Fabrikam")),
        ("account", Account("")),
        ("accountant", Help(unknown="accountant")),
        ("analyze account review", AnalyzeMatching(words="account review")),
    ],
)
def test_account_command(text: str, command: object) -> None:
    assert parse_command(text, today=date(2026, 12, 3)) == command
