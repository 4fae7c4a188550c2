"""The account card: an AccountHistory as the Adaptive Card the bot posts for ``account <company>``.

What an account manager acts on in chat: the calls with the stage strip, what moved, the next steps
still open and those a later call showed done (with that call's words), the risks that recur and the
tone over time. The Word brief in SharePoint has everything; the card links to it. A pure function
of the history, trimmed (fewer calls shown, shorter texts) until it fits the Teams message size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from adaptive_cards import types
from adaptive_cards.card import ActionOpenUrl, Table, TableCell, TableColumnDefinition, TableRow

from mcem.account.history import AccountHistory, StepStatus
from mcem.links import strip_links
from mcem.render import account_text as t
from mcem.render.card.elements import heading, label, literal, new_card, run, shorten, to_dict
from mcem.render.card.size import DEFAULT_MAX_BYTES, TRIM_NOTICE, CardTooLarge, card_bytes

__all__ = ["account_card"]

OPEN_BRIEF = "Open the account brief"


@dataclass(frozen=True)
class _Limits:
    calls: int | None = None  # the newest calls shown; None: all
    moved: int | None = None  # calls whose moves are shown, newest first
    steps: int | None = None  # of each kind, open and done
    text: int | None = None  # characters of any one text

    @property
    def trimmed(self) -> bool:
        return self != _Limits()


_LADDER = (
    _Limits(),
    _Limits(calls=12, moved=3, steps=10, text=300),
    _Limits(calls=8, moved=2, steps=8, text=200),
    _Limits(calls=6, moved=1, steps=5, text=140),
    _Limits(calls=4, moved=1, steps=3, text=90),
)


def account_card(
    history: AccountHistory,
    brief_url: str | None,
    *,
    partial: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, Any]:
    """The card as a plain dict of at most ``max_bytes`` compact UTF-8 JSON.

    ``partial``: the history holds only the calls the reader may see, not all of the account's, so
    the card says so (and the caller gives no brief link: the brief is the whole account's)."""
    if brief_url is not None and urlsplit(brief_url).scheme not in ("http", "https"):
        raise ValueError(f"brief_url must be an http(s) link, got {brief_url[:80]!r}")
    smallest = 0
    for limits in _LADDER:
        card = _build(history, brief_url, limits, partial)
        smallest = card_bytes(card)
        if smallest <= max_bytes:
            return card
    raise CardTooLarge(f"max_bytes={max_bytes} is too small for an account card (smallest {smallest} bytes)")


def _clean(text: str, limit: int | None) -> str:
    # The history is already guarded against internal text (mcem/account/history.py: _guarded).
    return shorten(strip_links(text), limit)


def _build(history: AccountHistory, url: str | None, lim: _Limits, partial: bool) -> dict[str, Any]:
    builder = new_card().fallback_text(_clean(t.title(history), 200))
    builder.add_item(
        literal(run(_clean(t.title(history), 200), size=types.FontSize.LARGE, weight=types.FontWeight.BOLDER))
    )
    builder.add_item(
        literal(run(_clean(t.headline(history), None), is_subtle=True), spacing=types.Spacing.NONE)
    )
    if partial:
        builder.add_item(label(t.PARTIAL, is_subtle=True, size=types.FontSize.SMALL))
    if lim.trimmed:
        builder.add_item(label(TRIM_NOTICE, color=types.Colors.WARNING, size=types.FontSize.SMALL))

    builder.add_item(heading(t.CALLS))
    calls = list(enumerate(history.calls))
    if lim.calls is not None and len(calls) > lim.calls:
        hidden = len(calls) - lim.calls
        calls = calls[-lim.calls :]
        builder.add_item(label(f"{hidden} earlier calls are in the brief.", is_subtle=True))
    builder.add_item(_calls_table(history, calls, lim))
    builder.add_item(label(t.STAGE_KEY, is_subtle=True, size=types.FontSize.SMALL))

    moved = [(i, call) for i, call in enumerate(history.calls) if i and call.moved]
    if lim.moved is not None:
        moved = moved[-lim.moved :] if lim.moved else []
    if moved:
        builder.add_item(heading(t.MOVED))
        for _, call in moved:
            builder.add_item(
                literal(
                    run(f"{t.call_date(call)}: ", weight=types.FontWeight.BOLDER),
                    run(_clean(" ".join(call.moved), lim.text and lim.text * 2)),
                    spacing=types.Spacing.SMALL,
                )
            )

    builder.add_item(heading(t.OPEN))
    still = history.open[: lim.steps] if lim.steps is not None else history.open
    for s in still:
        builder.add_item(_step(s, history, lim))
        _mark(builder, s, history, lim)
    if not still:
        builder.add_item(literal(t.NOTHING_OPEN))
    builder.add_item(heading(t.DONE))
    done = history.closed[: lim.steps] if lim.steps is not None else history.closed
    for s in done:
        builder.add_item(_step(s, history, lim))
        if s.evidence is not None and s.done_in is not None:
            builder.add_item(
                literal(
                    run(_clean(t.evidence_line(s.evidence, history, s.done_in), lim.text), italic=True),
                    spacing=types.Spacing.NONE,
                )
            )
        _mark(builder, s, history, lim)
    if not done:
        builder.add_item(literal(t.NOTHING_DONE))

    builder.add_item(heading(t.RISKS))
    recurring = history.recurring_risks[: lim.steps] if lim.steps is not None else history.recurring_risks
    builder.add_items(
        [
            literal(
                f"• {_clean(r.text, lim.text)} ({t.risk_calls(r.calls, history)})",
                spacing=types.Spacing.SMALL,
            )
            for r in recurring
        ]
        or [literal(t.NO_RECURRING)]
    )
    if history.sentiment:
        builder.add_item(heading(t.SENTIMENT))
        builder.add_items(
            [
                literal(f"• {_clean(t.sentiment_line(s, history), lim.text)}", spacing=types.Spacing.SMALL)
                for s in history.sentiment[:6]
            ]
        )
    builder.add_item(
        label(t.FOOTNOTE, is_subtle=True, size=types.FontSize.SMALL, spacing=types.Spacing.MEDIUM)
    )
    if url:
        builder.add_action(ActionOpenUrl(title=OPEN_BRIEF, url=url))
    return to_dict(builder.create())


def _calls_table(history: AccountHistory, calls: list[tuple[int, Any]], lim: _Limits) -> Table:
    header = TableRow(
        cells=[TableCell(items=[label(h, weight=types.FontWeight.BOLDER)]) for h in ("Date", "Call", "Stage")]
    )
    rows = [header]
    for _, call in calls:
        who = _clean(t.customer_text(call), lim.text)
        rows.append(
            TableRow(
                cells=[
                    TableCell(items=[literal(t.call_date(call))]),
                    TableCell(
                        items=[
                            literal(_clean(call.subject or "—", lim.text)),
                            literal(run(who, is_subtle=True), spacing=types.Spacing.NONE),
                        ]
                    ),
                    TableCell(items=[literal(t.stage_text(call.stage))]),
                ]
            )
        )
    return Table(
        columns=[TableColumnDefinition(width=w) for w in (3, 6, 5)],
        rows=rows,
        first_row_as_header=True,
        show_grid_lines=True,
        vertical_cell_content_alignment=types.VerticalAlignment.TOP,
        spacing=types.Spacing.SMALL,
    )


def _mark(builder: Any, step: StepStatus, history: AccountHistory, lim: _Limits) -> None:
    line = t.mark_line(step, history)
    if line:
        builder.add_item(literal(run(_clean(line, lim.text), is_subtle=True), spacing=types.Spacing.NONE))


def _step(step: StepStatus, history: AccountHistory, lim: _Limits) -> Any:
    mark = "✓" if step.status == "done" else "○"
    return literal(f"{mark} {_clean(t.step_line(step, history), lim.text)}", spacing=types.Spacing.SMALL)
