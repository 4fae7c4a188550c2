"""AccountHistory -> Markdown, what ``mcem account DIR`` prints. Every text is escaped (``escape``)."""

from __future__ import annotations

from mcem.account.history import AccountHistory
from mcem.render import account_text as t
from mcem.render.markdown import escape

__all__ = ["account_markdown"]


def account_markdown(history: AccountHistory) -> str:
    blocks = [f"# {escape(t.title(history))}", escape(t.headline(history)), f"## {t.CALLS}"]
    rows = ["| " + " | ".join(t.CALL_COLUMNS) + " |", "|" + "---|" * len(t.CALL_COLUMNS)]
    for call in history.calls:
        cells = [t.call_date(call), call.subject or "—", t.customer_text(call), t.stage_text(call.stage)]
        rows.append("| " + " | ".join(escape(x) for x in cells) + " |")
    blocks += ["\n".join(rows), t.STAGE_KEY]
    moved = [
        f"**{escape(t.call_date(call))}** — " + " ".join(escape(m) for m in call.moved)
        for call in history.calls[1:]
        if call.moved
    ]
    if moved:
        blocks += [f"## {t.MOVED}", "\n".join(f"- {m}" for m in moved)]
    blocks.append(f"## {t.OPEN}")
    if history.open:
        lines = []
        for s in history.open:
            lines.append(f"- {escape(t.step_line(s, history))}")
            mark = t.mark_line(s, history)
            if mark:
                lines.append(f"  - {escape(mark)}")
        blocks.append("\n".join(lines))
    else:
        blocks.append(t.NOTHING_OPEN)
    blocks.append(f"## {t.DONE}")
    if history.closed:
        lines = []
        for s in history.closed:
            lines.append(f"- {escape(t.step_line(s, history))}")
            if s.evidence is not None and s.done_in is not None:
                lines.append(f"  > {escape(t.evidence_line(s.evidence, history, s.done_in))}")
            mark = t.mark_line(s, history)
            if mark:
                lines.append(f"  - {escape(mark)}")
        blocks.append("\n".join(lines))
    else:
        blocks.append(t.NOTHING_DONE)
    blocks.append(f"## {t.RISKS}")
    recurring = history.recurring_risks
    blocks.append(
        "\n".join(f"- {escape(r.text)} ({escape(t.risk_calls(r.calls, history))})" for r in recurring)
        if recurring
        else t.NO_RECURRING
    )
    others = [r for r in history.risks if not r.recurring]
    if others:
        blocks += [
            f"### {t.OTHER_RISKS}",
            "\n".join(f"- {escape(r.text)} ({escape(t.risk_calls(r.calls, history))})" for r in others),
        ]
    if history.sentiment:
        blocks += [
            f"## {t.SENTIMENT}",
            "\n".join(f"- {escape(t.sentiment_line(s, history))}" for s in history.sentiment),
        ]
    blocks.append(f"*{t.FOOTNOTE}*")
    return "\n\n".join(blocks) + "\n"
