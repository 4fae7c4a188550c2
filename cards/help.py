"""The help card: what the bot does and the commands it understands."""

from __future__ import annotations

from typing import Any

from adaptive_cards import types

from mcem.render.card.elements import label, literal, new_card, run, to_dict

COMMANDS: tuple[tuple[str, str], ...] = (
    ("analyze last meeting", "Analyse your most recent meeting that has a transcript."),
    (
        "analyze <subject words or a date>",
        "Analyse the meeting that matches, e.g. “analyze Fabrikam” or “analyze 2026-11-20”.",
    ),
    ("meetings", "List your recent meetings and pick one to analyse."),
    ("refresh", "Rebuild the summary card from your last draft, as edited in SharePoint."),
    (
        "account <company>",
        "Where the account stands across its analysed calls: stages, next steps done and open, risks, "
        "and the account brief in SharePoint.",
    ),
    ("help", "Show this card."),
)


def help_card() -> dict[str, Any]:
    builder = new_card(full_width=False).fallback_text("MCEM Analyst — commands")
    builder.add_item(label("MCEM Analyst", size=types.FontSize.MEDIUM, weight=types.FontWeight.BOLDER))
    builder.add_item(
        label(
            "I turn a Teams customer call into an MCEM Interview Analysis: an executive summary, "
            "the role summary table, recommendations and a Word draft in SharePoint."
        )
    )
    # TextRuns, not a FactSet: "<subject words or a date>" must not meet a markdown/HTML pass.
    for command, meaning in COMMANDS:
        builder.add_item(
            literal(
                run(command, weight=types.FontWeight.BOLDER, font_type=types.FontType.MONOSPACE),
                run(f" — {meaning}"),
                spacing=types.Spacing.SMALL,
            )
        )
    builder.add_item(
        label(
            "In a group chat or channel, mention me first: @MCEM Analyst analyze last meeting.",
            is_subtle=True,
            size=types.FontSize.SMALL,
        )
    )
    return to_dict(builder.create())
