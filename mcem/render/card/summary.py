"""The summary card: an Analysis as the Adaptive Card the bot posts when a draft is ready.

It shows the parts a reader acts on in chat — executive summary, the seven-role summary table,
the recommendations — and links to the full Word document for everything else (stage narratives,
insights, sentiment). The card is a pure function of the Analysis and a few delivery details.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from mcem.leaks import scrub
from mcem.links import strip_links
from mcem.model import Analysis, AnalysisMeta, NextStep, Quote, Recommendation, RoleSummary
from mcem.render import common as c
from mcem.render.card.plain import (
    Card,
    action_execute,
    action_open_url,
    action_show_card,
    card,
    heading,
    input_choice_set,
    input_text,
    label,
    literal,
    run,
    table,
    table_cell,
    table_row,
)
from mcem.render.card.size import DEFAULT_MAX_BYTES, TRIM_NOTICE, Limits, fit
from mcem.render.card.text import local_datetime, shorten
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
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The card as a plain dict, at most ``max_bytes`` of compact UTF-8 JSON.

    ``run_id`` rides along in every ``Action.Execute`` so the bot can find the run a click is about;
    ``notes``: short lines about the delivery (what the CRM was told), shown small under the footer.
    Raises ``ValueError`` for a document URL that is not http(s), and ``CardTooLarge``
    when ``max_bytes`` is smaller than even the most trimmed card.
    """
    if document_url is not None and urlsplit(document_url).scheme not in ("http", "https"):
        raise ValueError(f"document_url must be an http(s) link, got {document_url[:80]!r}")
    return fit(lambda limits: _build(analysis, document_url, run_id, limits, tuple(notes)), max_bytes)


def _clean(text: str, limit: int | None) -> str:
    return shorten(strip_links(scrub(text)), limit)


def _build(
    analysis: Analysis, url: str | None, run_id: str | None, lim: Limits, notes: tuple[str, ...] = ()
) -> Card:
    body = _header(analysis, lim)
    if lim.trimmed:
        body.append(label(TRIM_NOTICE, color="warning", size="small"))

    body.append(heading("Executive summary"))
    for paragraph in analysis.executive_summary[: lim.summary_paragraphs]:
        if text := _clean(paragraph, lim.paragraph):
            body.append(literal(text))

    body.append(heading("Summary table"))
    body.append(_table(analysis.summary_table, lim, analysis.details.recording_url))

    body.append(heading("Recommendations"))
    body.extend(_recommendation(i, r, lim) for i, r in enumerate(analysis.recommendations, 1))

    if analysis.next_steps:
        body.append(heading(c.NEXT_STEPS_LABEL))
        body.extend(_next_step(s, lim) for s in analysis.next_steps)

    body.extend(_footer(analysis))
    # The bot's own lines (a CRM's account name, an error's reason): plain text, never parsed as markdown.
    body.extend(literal(run(shorten(n, 300), isSubtle=True), spacing="none") for n in notes if n.strip())
    fallback = _clean(analysis.title, lim.header)
    return card(body, _actions(url, run_id), fallback_text=fallback, full_width=True)


def _engine_note(meta: AnalysisMeta) -> str:
    if meta.note:
        return meta.note
    if meta.engine == "offline":
        return OFFLINE_NOTE
    model = f" ({meta.model})" if meta.model else ""
    return f"Drafted with a language model{model} — review before sharing"


def _header(analysis: Analysis, lim: Limits) -> list[Card]:
    items = [literal(run(_clean(analysis.title, lim.header), size="large", weight="bolder"))]
    when = analysis.details.date_time
    if when is not None:
        # DATE()/TIME() render in each reader's own time zone; they work in TextBlock only.
        items.append(label(local_datetime(when, date_format="LONG"), isSubtle=True, spacing="none"))
    facts = [analysis.details.subject, c.stage_reached(analysis), _engine_note(analysis.meta)]
    line = " · ".join(t for t in (_clean(f, lim.header) for f in facts) if t)
    if line:
        items.append(literal(run(line, isSubtle=True), spacing="none"))
    if analysis.talk is not None:
        # Names come from the transcript, so the line is a RichTextBlock (never parsed as markdown).
        talk = _clean(c.talk_line(analysis.talk), lim.header)
        items.append(literal(run(talk, isSubtle=True), spacing="none"))
        if flag := c.listen_flag_text(analysis.talk):
            items.append(label(flag, color="attention", weight="bolder"))
    return items


def _table(rows: list[RoleSummary], lim: Limits, recording: str) -> Card:
    header = table_row([table_cell([label(h, weight="bolder")]) for h in TABLE_HEADERS])
    return table(
        # Role names like "Representative" break mid-word below about 30% of a narrow chat pane.
        [5, 6, 5],
        [header, *(_role_row(r, lim, recording) for r in rows)],
        firstRowAsHeader=True,
        showGridLines=True,
        verticalCellContentAlignment="top",
        spacing="small",
    )


def _role_row(row: RoleSummary, lim: Limits, recording: str) -> Card:
    middle: list[Card] = []
    if row.excerpt is not None and (quote := _clean(row.excerpt.text, lim.excerpt)):
        middle.append(literal(run(f"“{quote}”", italic=True), *_said_by(row.excerpt, lim, recording)))
    insight = _clean(row.insight, lim.insight)
    if insight or not middle:
        middle.append(literal(insight or "—", spacing="small"))
    actions = row.actions[: lim.actions_per_role] if lim.actions_per_role else row.actions
    bullets = [literal(f"• {text}", spacing="small") for a in actions if (text := _clean(a, lim.action))]
    return table_row(
        [
            table_cell([label(row.title, weight="bolder")]),
            table_cell(middle),
            table_cell(bullets or [literal("—")]),
        ]
    )


def _said_by(quote: Quote, lim: Limits, recording: str) -> list[Card]:
    """' — Speaker (12:34)', the time opening the recording at that moment when there is one."""
    who = _clean(quote.speaker, lim.header)
    if quote.start is None:
        return [run(f" — {who}", isSubtle=True)]
    when = format_timestamp(quote.start)
    url = c.moment_link(quote, recording)
    if url is None:
        return [run(f" — {who} ({when})", isSubtle=True)]
    moment = action_open_url(f"Play the recording at {when}", url)
    return [
        run(f" — {who} (", isSubtle=True),
        run(when, underline=True, color="accent", selectAction=moment),
        run(")", isSubtle=True),
    ]


def _recommendation(number: int, rec: Recommendation, lim: Limits) -> Card:
    title = _clean(rec.title, lim.rec_title)
    inlines = [run(f"{number}. {title}", weight="bolder")]
    if lim.rec_narrative != 0 and (narrative := _clean(rec.narrative, lim.rec_narrative)):
        inlines.append(run(f" — {narrative}"))
    return literal(*inlines)


def _next_step(step: NextStep, lim: Limits) -> Card:
    """'• Send the proposal' and, in bold, who owns it and by when."""
    owner = _clean(step.owner, lim.header) or "owner not named"
    due = _clean(step.due or "", lim.header)
    inlines = [run(f"• {_clean(step.action, lim.action)}")]
    inlines.append(run(f" — {owner}", weight="bolder"))
    if due:
        inlines.append(run(f", {due}"))
    return literal(*inlines, spacing="small")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _footer(analysis: Analysis) -> list[Card]:
    v = analysis.verification
    if v.quotes_checked:
        kept = v.quotes_checked - v.quotes_dropped
        line = f"{_plural(kept, 'quote')} verified against the transcript; {v.quotes_dropped} dropped"
    else:
        line = "Quotes have not been checked against the transcript yet"
    items = [label(line, isSubtle=True, size="small", separator=True)]
    quiet = [s.title for s in analysis.stages if not s.discussed]
    if quiet:
        items.append(
            label(
                f"Not discussed on this call: {', '.join(quiet)}",
                isSubtle=True,
                size="small",
                spacing="none",
            )
        )
    return items


def _actions(url: str | None, run_id: str | None) -> list[Card]:
    data: dict[str, Any] = {"run_id": run_id} if run_id else {}
    actions: list[Card] = []
    if url is not None:
        actions.append(action_open_url("Open the full document", url, style="positive"))
    email_data = {**data, "document_url": url} if url else dict(data)
    actions.append(action_execute("Email to internal attendees", VERB_EMAIL, email_data))
    actions.append(action_execute("Regenerate", VERB_REGENERATE, dict(data)))
    if url is not None:
        # Rebuilds this card from the Word draft as people edited it in SharePoint.
        actions.append(action_execute("Refresh from the document", VERB_REFRESH, dict(data)))
    actions.append(action_show_card("Feedback", _feedback_form(data)))
    return actions


def _feedback_form(data: dict[str, Any]) -> Card:
    rating = input_choice_set(
        "rating",
        "Was this draft useful?",
        list(FEEDBACK_CHOICES),
        style="expanded",
        isRequired=True,
        errorMessage="Pick one answer",
    )
    comment = input_text("comment", "What should be better? (optional)", isMultiline=True, maxLength=1000)
    send = action_execute("Send feedback", VERB_FEEDBACK, dict(data))
    return card([rating, comment], [send], full_width=False)
