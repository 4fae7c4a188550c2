"""The summary card: an Analysis as the Adaptive Card the bot posts when a draft is ready.

It shows the parts a reader acts on in chat — executive summary, the seven-role summary table,
the recommendations — and links to the full Word document for everything else (stage narratives,
insights, sentiment). The card is a pure function of the Analysis and a few delivery details.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from adaptive_cards import types
from adaptive_cards.card import (
    ActionExecute,
    ActionOpenUrl,
    ActionShowCard,
    AdaptiveCard,
    InputChoice,
    InputChoiceSet,
    InputText,
    RichTextBlock,
    Table,
    TableCell,
    TableColumnDefinition,
    TableRow,
    TextBlock,
    TextRun,
)

from mcem.leaks import scrub
from mcem.links import strip_links
from mcem.model import Analysis, AnalysisMeta, NextStep, Quote, Recommendation, RoleSummary
from mcem.render import common as c
from mcem.render.card.elements import (
    CARD_VERSION,
    heading,
    label,
    literal,
    local_datetime,
    new_card,
    run,
    shorten,
    to_dict,
)
from mcem.render.card.size import DEFAULT_MAX_BYTES, TRIM_NOTICE, Limits, fit
from mcem.transcript import format_timestamp

VERB_EMAIL = "email"
VERB_REGENERATE = "regenerate"
VERB_FEEDBACK = "feedback"
VERB_REFRESH = "refresh"

TABLE_HEADERS = ("Role", "Key customer excerpt & insight", "Proposed actions")
OFFLINE_NOTE = "Offline draft — made without a language model"
FEEDBACK_CHOICES = (("Useful", "useful"), ("Partly useful", "partly"), ("Not useful", "not_useful"))


def summary_card(
    analysis: Analysis,
    document_url: str | None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    run_id: str | None = None,
) -> dict[str, Any]:
    """The card as a plain dict, at most ``max_bytes`` of compact UTF-8 JSON.

    ``run_id`` rides along in every ``Action.Execute`` so the bot can find the run a click is about.
    Raises ``ValueError`` for a document URL that is not http(s), and ``CardTooLarge``
    when ``max_bytes`` is smaller than even the most trimmed card.
    """
    if document_url is not None and urlsplit(document_url).scheme not in ("http", "https"):
        raise ValueError(f"document_url must be an http(s) link, got {document_url[:80]!r}")
    return fit(lambda limits: _build(analysis, document_url, run_id, limits), max_bytes)


def _clean(text: str, limit: int | None) -> str:
    return shorten(strip_links(scrub(text)), limit)


def _build(analysis: Analysis, url: str | None, run_id: str | None, lim: Limits) -> dict[str, Any]:
    builder = new_card().fallback_text(_clean(analysis.title, lim.header))
    builder.add_items(_header(analysis, lim))
    if lim.trimmed:
        builder.add_item(label(TRIM_NOTICE, color=types.Colors.WARNING, size=types.FontSize.SMALL))

    builder.add_item(heading("Executive summary"))
    for paragraph in analysis.executive_summary[: lim.summary_paragraphs]:
        if text := _clean(paragraph, lim.paragraph):
            builder.add_item(literal(text))

    builder.add_item(heading("Summary table"))
    builder.add_item(_table(analysis.summary_table, lim, analysis.details.recording_url))

    builder.add_item(heading("Recommendations"))
    builder.add_items([_recommendation(i, r, lim) for i, r in enumerate(analysis.recommendations, 1)])

    if analysis.next_steps:
        builder.add_item(heading(c.NEXT_STEPS_LABEL))
        builder.add_items([_next_step(s, lim) for s in analysis.next_steps])

    builder.add_items(_footer(analysis))
    builder.add_actions(_actions(url, run_id))
    return to_dict(builder.create())


def _engine_note(meta: AnalysisMeta) -> str:
    if meta.note:
        return meta.note
    if meta.engine == "offline":
        return OFFLINE_NOTE
    model = f" ({meta.model})" if meta.model else ""
    return f"Drafted with a language model{model} — review before sharing"


def _header(analysis: Analysis, lim: Limits) -> list[Any]:
    items: list[Any] = [
        literal(
            run(_clean(analysis.title, lim.header), size=types.FontSize.LARGE, weight=types.FontWeight.BOLDER)
        )
    ]
    when = analysis.details.date_time
    if when is not None:
        # DATE()/TIME() render in each reader's own time zone; they work in TextBlock only.
        items.append(
            label(local_datetime(when, date_format="LONG"), is_subtle=True, spacing=types.Spacing.NONE)
        )
    facts = [analysis.details.subject, c.stage_reached(analysis), _engine_note(analysis.meta)]
    line = " · ".join(t for t in (_clean(f, lim.header) for f in facts) if t)
    if line:
        items.append(literal(run(line, is_subtle=True), spacing=types.Spacing.NONE))
    if analysis.talk is not None:
        # Names come from the transcript, so the line is a RichTextBlock (never parsed as markdown).
        talk = _clean(c.talk_line(analysis.talk), lim.header)
        items.append(literal(run(talk, is_subtle=True), spacing=types.Spacing.NONE))
        if flag := c.listen_flag_text(analysis.talk):
            items.append(label(flag, color=types.Colors.ATTENTION, weight=types.FontWeight.BOLDER))
    return items


def _table(rows: list[RoleSummary], lim: Limits, recording: str) -> Table:
    header = TableRow(
        cells=[TableCell(items=[label(h, weight=types.FontWeight.BOLDER)]) for h in TABLE_HEADERS]
    )
    return Table(
        # Role names like "Representative" break mid-word below about 30% of a narrow chat pane.
        columns=[TableColumnDefinition(width=w) for w in (5, 6, 5)],
        rows=[header, *(_role_row(r, lim, recording) for r in rows)],
        first_row_as_header=True,
        show_grid_lines=True,
        vertical_cell_content_alignment=types.VerticalAlignment.TOP,
        spacing=types.Spacing.SMALL,
    )


def _role_row(row: RoleSummary, lim: Limits, recording: str) -> TableRow:
    middle: list[Any] = []
    if row.excerpt is not None and (quote := _clean(row.excerpt.text, lim.excerpt)):
        middle.append(literal(run(f"“{quote}”", italic=True), *_said_by(row.excerpt, lim, recording)))
    insight = _clean(row.insight, lim.insight)
    if insight or not middle:
        middle.append(literal(insight or "—", spacing=types.Spacing.SMALL))
    actions = row.actions[: lim.actions_per_role] if lim.actions_per_role else row.actions
    bullets: list[Any] = [
        literal(f"• {text}", spacing=types.Spacing.SMALL) for a in actions if (text := _clean(a, lim.action))
    ]
    return TableRow(
        cells=[
            TableCell(items=[label(row.title, weight=types.FontWeight.BOLDER)]),
            TableCell(items=middle),
            TableCell(items=bullets or [literal("—")]),
        ]
    )


def _said_by(quote: Quote, lim: Limits, recording: str) -> list[TextRun]:
    """' — Speaker (12:34)', the time opening the recording at that moment when there is one."""
    who = _clean(quote.speaker, lim.header)
    if quote.start is None:
        return [run(f" — {who}", is_subtle=True)]
    when = format_timestamp(quote.start)
    url = c.moment_link(quote, recording)
    if url is None:
        return [run(f" — {who} ({when})", is_subtle=True)]
    moment = ActionOpenUrl(title=f"Play the recording at {when}", url=url)
    return [
        run(f" — {who} (", is_subtle=True),
        run(when, underline=True, color=types.Colors.ACCENT, select_action=moment),
        run(")", is_subtle=True),
    ]


def _recommendation(number: int, rec: Recommendation, lim: Limits) -> RichTextBlock:
    title = _clean(rec.title, lim.rec_title)
    inlines = [run(f"{number}. {title}", weight=types.FontWeight.BOLDER)]
    if lim.rec_narrative != 0 and (narrative := _clean(rec.narrative, lim.rec_narrative)):
        inlines.append(run(f" — {narrative}"))
    return literal(*inlines)


def _next_step(step: NextStep, lim: Limits) -> RichTextBlock:
    """'• Send the proposal' and, in bold, who owns it and by when."""
    owner = _clean(step.owner, lim.header) or "owner not named"
    due = _clean(step.due or "", lim.header)
    inlines = [run(f"• {_clean(step.action, lim.action)}")]
    inlines.append(run(f" — {owner}", weight=types.FontWeight.BOLDER))
    if due:
        inlines.append(run(f", {due}"))
    return literal(*inlines, spacing=types.Spacing.SMALL)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _footer(analysis: Analysis) -> list[TextBlock]:
    v = analysis.verification
    if v.quotes_checked:
        kept = v.quotes_checked - v.quotes_dropped
        line = f"{_plural(kept, 'quote')} verified against the transcript; {v.quotes_dropped} dropped"
    else:
        line = "Quotes have not been checked against the transcript yet"
    items = [label(line, is_subtle=True, size=types.FontSize.SMALL, separator=True)]
    quiet = [s.title for s in analysis.stages if not s.discussed]
    if quiet:
        items.append(
            label(
                f"Not discussed on this call: {', '.join(quiet)}",
                is_subtle=True,
                size=types.FontSize.SMALL,
                spacing=types.Spacing.NONE,
            )
        )
    return items


def _actions(url: str | None, run_id: str | None) -> list[Any]:
    data: dict[str, Any] = {"run_id": run_id} if run_id else {}
    actions: list[Any] = []
    if url is not None:
        actions.append(
            ActionOpenUrl(title="Open the full document", url=url, style=types.ActionStyle.POSITIVE)
        )
    email_data = {**data, "document_url": url} if url else dict(data)
    actions.append(ActionExecute(title="Email to internal attendees", verb=VERB_EMAIL, data=email_data))
    actions.append(ActionExecute(title="Regenerate", verb=VERB_REGENERATE, data=dict(data)))
    if url is not None:
        # Rebuilds this card from the Word draft as people edited it in SharePoint.
        actions.append(ActionExecute(title="Refresh from the document", verb=VERB_REFRESH, data=dict(data)))
    actions.append(ActionShowCard(title="Feedback", card=_feedback_form(data)))
    return actions


def _feedback_form(data: dict[str, Any]) -> AdaptiveCard:
    choices = [InputChoice(title=t, value=v) for t, v in FEEDBACK_CHOICES]
    return (
        AdaptiveCard.new()
        .version(CARD_VERSION)
        .add_item(
            InputChoiceSet(
                id="rating",
                label="Was this draft useful?",
                choices=choices,
                style=types.ChoiceInputStyle.EXPANDED,
                is_required=True,
                error_message="Pick one answer",
            )
        )
        .add_item(
            InputText(
                id="comment",
                label="What should be better? (optional)",
                is_multiline=True,
                max_length=1000,
            )
        )
        .add_action(ActionExecute(title="Send feedback", verb=VERB_FEEDBACK, data=dict(data)))
        .create()
    )
