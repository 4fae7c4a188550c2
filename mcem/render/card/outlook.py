"""Analysis -> the summary card embedded in the summary email: an Outlook actionable message.

Outlook renders Adaptive Cards in email only as "actionable messages" (Microsoft Learn, "Universal
Action Model" for Outlook and "Designing Outlook Actionable Message cards with the Adaptive Card
format"), which differ from the Teams card in four ways this renderer follows:

- ``version`` 1.4: the Universal Action Model (``Action.Execute`` answered by the bot, ``refresh``)
  starts at 1.4, and Outlook is not documented beyond it, so nothing newer than 1.4 is used — in
  particular no ``Table`` (1.5): the seven-role summary table becomes one ``ColumnSet`` per role,
  the table-like layout those docs recommend;
- ``originator``: the provider id registered in the Actionable Email Developer Dashboard; Outlook
  drops a card without it (the caller passes it, the bot reads MCEM_OUTLOOK_ORIGINATOR);
- ``refresh`` runs an ``Action.Execute`` when the mail is opened, so readers see the draft as people
  last edited it in SharePoint; ``userIds`` lists the recipients (Teams needs them; Outlook ignores
  them and always refreshes);
- no ``Action.Submit`` and no ``Input.Time`` (Outlook does not show them), no ``{{DATE()}}``
  functions (not documented for Outlook): dates are written out.

Like the Teams card it is a pure function of the Analysis and a few delivery details, shows no
confidential aside (``analysis.confidential`` is never read here), drops sentences that echo the
internal MCEM reference (mcem/leaks.py) and every link but the bot's own to the draft.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from adaptive_cards import types
from adaptive_cards.card import (
    AdaptiveCard,
    Column,
    ColumnSet,
    Container,
    InputChoice,
    InputChoiceSet,
    RichTextBlock,
)

from mcem.leaks import scrub
from mcem.links import strip_links
from mcem.model import Analysis, NextStep, Recommendation, RoleSummary
from mcem.render import common as c
from mcem.render.card.elements import heading, label, literal, run, shorten, to_dict
from mcem.render.card.size import DEFAULT_MAX_BYTES, Limits, fit
from mcem.transcript import format_timestamp

__all__ = [
    "DONE_INPUT",
    "OUTLOOK_CARD_VERSION",
    "OUTLOOK_TRIM_NOTICE",
    "VERB_OUTLOOK_REFRESH",
    "VERB_STEPS_DONE",
    "outlook_card",
    "teams_user_ids",
]

OUTLOOK_CARD_VERSION = "1.4"
VERB_OUTLOOK_REFRESH = "outlookRefresh"
VERB_STEPS_DONE = "nextStepsDone"
DONE_INPUT = "done_steps"  # the multi-select input whose value (indexes "0,2") the done button sends
OUTLOOK_TRIM_NOTICE = "Trimmed to fit the email card — see the full document for everything."
OPEN_DRAFT = "Open the draft"
REFRESH = "Refresh from the document"
STEPS_DONE = "Next steps done"


def teams_user_ids(object_ids: Sequence[str]) -> list[str]:
    """The ``refresh.userIds`` form (Teams' MRI of a work account) of Entra object ids, once each."""
    seen: dict[str, None] = {}
    for oid in object_ids:
        if oid.strip():
            seen.setdefault(f"8:orgid:{oid.strip()}", None)
    return list(seen)


def outlook_card(
    analysis: Analysis,
    document_url: str,
    *,
    originator: str,
    run_id: str,
    user_ids: Sequence[str] = (),
    done: Mapping[int, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> dict[str, Any]:
    """The actionable-message card as a plain dict, at most ``max_bytes`` of compact UTF-8 JSON.

    ``done`` maps a next step's index to the note shown beside it ("done — Megan Bowen, 3 Dec");
    those steps leave the "Next steps done" choices. Raises ``ValueError`` for a document URL that
    is not http(s) or an empty originator (Outlook would not show the card at all).
    """
    if urlsplit(document_url).scheme not in ("http", "https"):
        raise ValueError(f"document_url must be an http(s) link, got {document_url[:80]!r}")
    if not originator.strip():
        raise ValueError("an actionable message needs the originator (provider id) it was registered with")
    marks = dict(done or {})

    def build(limits: Limits) -> dict[str, Any]:
        card = _body_card(analysis, document_url, run_id, marks, limits)
        # Outlook's own root properties and the refresh: adaptive-cards-py models neither.
        card["originator"] = originator.strip()
        # The card carries what a reader acts on; the HTML body stays in the mail for clients that
        # show no cards, and for replies and forwards, which carry only the body.
        card["hideOriginalBody"] = True
        card["refresh"] = {
            "action": {"type": "Action.Execute", "verb": VERB_OUTLOOK_REFRESH, "data": {"run_id": run_id}},
            "userIds": list(user_ids),
        }
        return card

    return fit(build, max_bytes)


def _clean(text: str, limit: int | None) -> str:
    return shorten(strip_links(scrub(c.clean(text))), limit)


def _body_card(
    analysis: Analysis, url: str, run_id: str, done: dict[int, str], lim: Limits
) -> dict[str, Any]:
    title = _clean(analysis.title, lim.header)
    builder = AdaptiveCard.new().version(OUTLOOK_CARD_VERSION).fallback_text(title)
    builder.add_items(_header(analysis, lim))
    if lim.trimmed:
        builder.add_item(label(OUTLOOK_TRIM_NOTICE, color=types.Colors.WARNING, size=types.FontSize.SMALL))

    builder.add_item(heading(c.EXECUTIVE_SUMMARY))
    for paragraph in analysis.executive_summary[: lim.summary_paragraphs]:
        if text := _clean(paragraph, lim.paragraph):
            builder.add_item(literal(text))

    builder.add_item(heading(c.SUMMARY_TABLE))
    builder.add_items([_role(row, lim) for row in analysis.summary_table])

    builder.add_item(heading(c.RECOMMENDATIONS))
    builder.add_items([_recommendation(i, r, lim) for i, r in enumerate(analysis.recommendations, 1)])

    if analysis.next_steps:
        builder.add_item(heading(c.NEXT_STEPS_LABEL))
        builder.add_items([_next_step(i, s, done.get(i), lim) for i, s in enumerate(analysis.next_steps)])
        open_steps = [(i, s) for i, s in enumerate(analysis.next_steps) if i not in done]
        if open_steps:
            builder.add_item(_done_choices(open_steps, lim))

    builder.add_item(label(c.CONFIDENTIAL, is_subtle=True, size=types.FontSize.SMALL, separator=True))
    card = to_dict(builder.create())
    card["actions"] = _actions(url, run_id, has_open_steps=len(done) < len(analysis.next_steps))
    return card


def _header(analysis: Analysis, lim: Limits) -> list[Any]:
    items: list[Any] = [
        literal(
            run(_clean(analysis.title, lim.header), size=types.FontSize.LARGE, weight=types.FontWeight.BOLDER)
        )
    ]
    facts = [
        analysis.details.subject,
        c.format_when(analysis.details.date_time) if analysis.details.date_time else "",
        c.stage_reached(analysis),
    ]
    line = " · ".join(t for t in (_clean(f, lim.header) for f in facts) if t)
    if line:
        items.append(literal(run(line, is_subtle=True), spacing=types.Spacing.NONE))
    return items


def _role(row: RoleSummary, lim: Limits) -> ColumnSet:
    """One row of the summary table: the role on the left, excerpt, insight and actions on the right."""
    right: list[Any] = []
    if row.excerpt is not None and (quote := _clean(row.excerpt.text, lim.excerpt)):
        who = _clean(row.excerpt.speaker, lim.header)
        if row.excerpt.start is not None:
            who = f"{who} ({format_timestamp(row.excerpt.start)})"
        right.append(literal(run(f"“{quote}”", italic=True), run(f" — {who}", is_subtle=True)))
    if insight := _clean(row.insight, lim.insight):
        right.append(literal(insight, spacing=types.Spacing.SMALL))
    actions = row.actions[: lim.actions_per_role] if lim.actions_per_role else row.actions
    right += [
        literal(f"• {text}", spacing=types.Spacing.SMALL) for a in actions if (text := _clean(a, lim.action))
    ]
    return ColumnSet(
        separator=True,
        spacing=types.Spacing.MEDIUM,
        columns=[
            # Outlook on phones is narrow: a third for the role keeps "Representative" on one line.
            Column(width=1, items=[label(c.clean(row.title), weight=types.FontWeight.BOLDER)]),
            Column(width=2, items=right or [literal("—")]),
        ],
    )


def _recommendation(number: int, rec: Recommendation, lim: Limits) -> RichTextBlock:
    inlines = [run(f"{number}. {_clean(rec.title, lim.rec_title)}", weight=types.FontWeight.BOLDER)]
    if lim.rec_narrative != 0 and (narrative := _clean(rec.narrative, lim.rec_narrative)):
        inlines.append(run(f" — {narrative}"))
    return literal(*inlines)


def _step_words(step: NextStep, lim: Limits) -> tuple[str, str]:
    owner = _clean(step.owner, lim.header) or "owner not named"
    due = _clean(step.due or "", lim.header)
    return _clean(step.action, lim.action), owner + (f", {due}" if due else "")


def _next_step(index: int, step: NextStep, note: str | None, lim: Limits) -> RichTextBlock:
    action, who = _step_words(step, lim)
    inlines = [run(f"{'✓' if note else '•'} {action}", strikethrough=bool(note))]
    inlines.append(run(f" — {who}", weight=types.FontWeight.BOLDER))
    if note:
        inlines.append(run(f" ({_clean(note, lim.header)})", is_subtle=True))
    return literal(*inlines, spacing=types.Spacing.SMALL)


def _done_choices(steps: list[tuple[int, NextStep]], lim: Limits) -> Container:
    choices = []
    for index, step in steps:
        action, who = _step_words(step, lim)
        choices.append(InputChoice(title=f"{action} — {who}", value=str(index)))
    return Container(
        spacing=types.Spacing.MEDIUM,
        items=[
            InputChoiceSet(
                id=DONE_INPUT,
                label="Mark as done",
                choices=choices,
                is_multi_select=True,
                style=types.ChoiceInputStyle.EXPANDED,
                wrap=True,
            )
        ],
    )


def _actions(url: str, run_id: str, *, has_open_steps: bool) -> list[dict[str, Any]]:
    """Plain dicts: adaptive-cards-py adds ``mode`` (a 1.5 property) that the 1.4 schema refuses."""
    data = {"run_id": run_id}
    actions: list[dict[str, Any]] = [
        {"type": "Action.OpenUrl", "title": OPEN_DRAFT, "url": url, "style": "positive"},
        {"type": "Action.Execute", "title": REFRESH, "verb": VERB_OUTLOOK_REFRESH, "data": dict(data)},
    ]
    if has_open_steps:
        actions.append({"type": "Action.Execute", "title": STEPS_DONE, "verb": VERB_STEPS_DONE, "data": data})
    return actions
