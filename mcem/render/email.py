"""Analysis -> the HTML body of the summary email (Outlook journey), and its subject line.

Outlook's Word-based renderer ignores <style> blocks and most modern CSS, so everything is inline
and the layout is tables. Every piece of text is escaped with ``html.escape``: a transcript is
untrusted, and a quote such as ``<script>`` must arrive as text. As in the chat card, a sentence
carrying the template's internal "MCEM Reference for LLM" text is dropped, even if an older or
hand-edited analysis still holds one: the email leaves the bot's hands for people's mailboxes.

With ``card`` (the actionable-message card of mcem/render/card/outlook.py) the card rides in the
head as ``<script type="application/adaptivecard+json">``, where Outlook looks for it; every other
mail client ignores a script of that type and shows the HTML body, which stays complete.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import urlsplit

from mcem.leaks import scrub
from mcem.model import Analysis, Recommendation, RoleSummary
from mcem.render import common as c

__all__ = ["CARD_SCRIPT_TYPE", "email_subject", "to_email_html"]

CARD_SCRIPT_TYPE = "application/adaptivecard+json"

OPEN_DOCUMENT = "Open the full draft in SharePoint"
_FONT = "font-family:Segoe UI,Calibri,Arial,sans-serif"
_TEXT = f"{_FONT};font-size:14px;line-height:1.45;color:#242424"
_CELL = f"{_FONT};font-size:13px;line-height:1.4;color:#242424;border:1px solid #c8c8c8;padding:6px 8px"
_HEAD_CELL = _CELL + ";background-color:#d9e2f3;font-weight:bold;text-align:left"
_H2 = f"{_FONT};font-size:18px;font-weight:bold;color:#1f3864;margin:20px 0 8px 0"
_SUBTLE = f"{_FONT};font-size:12px;color:#595959"
# A "bulletproof" button: Outlook's Word engine ignores padding and background on <a>, so the colour
# and the padding sit on the table cell and the link only carries the white text.
_BUTTON_CELL = "background-color:#0f6cbd;padding:10px 18px;border-radius:4px"
_BUTTON_LINK = f"{_FONT};font-size:15px;font-weight:bold;color:#ffffff;text-decoration:none"
_SUBJECT_LIMIT = 200


def email_subject(analysis: Analysis) -> str:
    """'Interview Analysis – Priya Raman, Contoso (Contoso pilot review)', one line, at most 200 chars."""
    subject = c.clean(analysis.title)
    meeting = c.clean(analysis.details.subject)
    if meeting:
        subject = f"{subject} ({meeting})"
    if len(subject) > _SUBJECT_LIMIT:
        subject = subject[: _SUBJECT_LIMIT - 1].rstrip() + "…"
    return subject


def to_email_html(analysis: Analysis, document_url: str, *, card: dict[str, Any] | None = None) -> str:
    """The whole HTML document; ``document_url`` (http/https) is the draft in SharePoint; ``card``
    an actionable-message card to embed (None: the plain HTML mail)."""
    if urlsplit(document_url).scheme not in ("http", "https"):
        raise ValueError(f"document_url must be an http(s) link, got {document_url[:80]!r}")
    parts = [
        f'<p style="{_SUBTLE};font-weight:bold;text-transform:none">{_esc(c.CONFIDENTIAL)}</p>',
        f'<h1 style="{_FONT};font-size:22px;color:#1f3864;margin:0 0 4px 0">{_esc(analysis.title)}</h1>',
        f'<p style="{_SUBTLE};margin:0 0 16px 0">{_esc(_when_and_subject(analysis))}</p>',
        _link(document_url),
        _heading(c.EXECUTIVE_SUMMARY),
        *(_paragraph(p) for p in _texts(analysis.executive_summary)),
        _heading(c.SUMMARY_TABLE),
        _table(analysis.summary_table),
        _heading(c.RECOMMENDATIONS),
        _recommendations(analysis.recommendations),
        _bullets(c.NEXT_STEPS_LABEL, [c.next_step_text(s) for s in analysis.next_steps]),
        _bullets(c.DECISIONS_LABEL, [d.text for d in analysis.decisions]),
        _link(document_url),
        f'<p style="{_SUBTLE};margin-top:24px">{_esc(c.provenance(analysis))}</p>',
        f'<p style="{_SUBTLE};font-weight:bold">{_esc(c.CONFIDENTIAL)}. '
        "Do not forward outside the account team.</p>",
    ]
    body = "\n".join(p for p in parts if p)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_esc(email_subject(analysis))}</title>\n{_card_script(card)}</head>\n"
        f'<body style="margin:0;padding:16px;background-color:#ffffff">\n'
        f'<div style="{_TEXT};max-width:760px">\n{body}\n</div>\n</body>\n</html>\n'
    )


def _card_script(card: dict[str, Any] | None) -> str:
    if card is None:
        return ""
    # "<", ">" and "&" only ever occur inside JSON strings, where \uXXXX means the same character:
    # so no text in the card (a quote saying "</script>") can end the script element early.
    text = json.dumps(card, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="{CARD_SCRIPT_TYPE}">{text}</script>\n'


def _esc(text: str) -> str:
    return html.escape(c.clean(text), quote=True)


def _scrub(text: str) -> str:
    """The text without any sentence that carries internal reference text (mcem/leaks.py)."""
    return scrub(c.clean(text))


def _texts(items: list[str]) -> list[str]:
    return [t for t in (_scrub(i) for i in items) if t]


def _when_and_subject(analysis: Analysis) -> str:
    bits = [c.clean(analysis.details.subject)]
    if analysis.details.date_time is not None:
        bits.append(c.format_when(analysis.details.date_time))
    return " · ".join(b for b in bits if b)


def _heading(text: str) -> str:
    return f'<h2 style="{_H2}">{_esc(text)}</h2>'


def _paragraph(text: str) -> str:
    return f'<p style="{_TEXT};margin:0 0 10px 0">{_esc(text)}</p>'


def _link(url: str) -> str:
    href = html.escape(url, quote=True)
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:16px 0">'
        f'<tr><td bgcolor="#0f6cbd" style="{_BUTTON_CELL}">'
        f'<a href="{href}" style="{_BUTTON_LINK}">{_esc(OPEN_DOCUMENT)}</a></td></tr></table>'
    )


def _table(rows: list[RoleSummary]) -> str:
    head = "".join(f'<th style="{_HEAD_CELL}">{_esc(t)}</th>' for t in c.TABLE_COLUMNS)
    body = "".join(_row(r) for r in rows)
    return (
        '<table cellpadding="0" cellspacing="0" border="0" width="100%" '
        'style="border-collapse:collapse;width:100%">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _row(row: RoleSummary) -> str:
    middle: list[str] = []
    if row.excerpt is not None and (quote := _scrub(row.excerpt.text)):
        shown = row.excerpt.model_copy(update={"text": quote})
        middle.append(
            f"<em>{_esc(c.quote_text(shown))}</em> "
            f'<span style="color:#595959">({_esc(c.attribution(row.excerpt))})</span>'
        )
    if insight := _scrub(row.insight):
        middle.append(_esc(insight))
    actions = [c.as_sentence(a) for a in _texts(row.actions)]
    items = "".join(f'<li style="margin:0 0 4px 0">{_esc(a)}</li>' for a in actions)
    listed = f'<ul style="margin:0;padding-left:18px">{items}</ul>' if items else "—"
    return (
        f'<tr><td style="{_CELL};font-weight:bold;vertical-align:top;width:22%">{_esc(row.title)}</td>'
        f'<td style="{_CELL};vertical-align:top">{"<br><br>".join(middle) or "—"}</td>'
        f'<td style="{_CELL};vertical-align:top;width:32%">'
        f"{listed}</td></tr>"
    )


def _bullets(label: str, items: list[str]) -> str:
    shown = [c.as_sentence(t) for t in _texts(items)]
    if not shown:
        return ""
    lis = "".join(f'<li style="{_TEXT};margin:0 0 4px 0">{_esc(t)}</li>' for t in shown)
    head = f'<p style="{_TEXT};margin:12px 0 4px 0"><strong>{_esc(label)}</strong></p>'
    return f'{head}<ul style="margin:0;padding-left:22px">{lis}</ul>'


def _recommendations(recs: list[Recommendation]) -> str:
    items = []
    for rec in recs:
        title, narrative = _scrub(rec.title), _scrub(rec.narrative)
        text = f"<strong>{_esc(title)}</strong>" + (f" — {_esc(narrative)}" if narrative else "")
        items.append(f'<li style="{_TEXT};margin:0 0 8px 0">{text}</li>')
    return f'<ol style="margin:0;padding-left:22px">{"".join(items)}</ol>'
