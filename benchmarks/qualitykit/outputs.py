"""One verified Analysis rendered the way a reader meets it, each output as plain text to search.

The renderers are the product's own (``mcem.cli.render_all`` for Markdown, Word, JSON and the card;
``mcem.render.email`` for the email), so the benchmark sees exactly what people would see.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import docx
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from benchmarks.qualitykit.key import Output
from mcem.cli import render_all
from mcem.model import Analysis
from mcem.render import common as c
from mcem.render.email import to_email_html

# The email links to the draft in SharePoint; any http(s) address renders the same text.
DRAFT_URL = "https://sharepoint.invalid/sites/AccountTeam/draft.docx"
_TAG = re.compile(r"<[^>]+>")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


@dataclass(frozen=True)
class Rendered:
    dump: dict[str, Any]  # the Analysis as analysis.json holds it
    texts: dict[Output, str]


def render(analysis: Analysis) -> Rendered:
    out = render_all(analysis)
    texts: dict[Output, str] = {
        "markdown": markdown_text(out.markdown),
        "docx": docx_text(out.docx),
        "docx_body": docx_text(out.docx, skip_private_box=True),
        "card": "\n".join(_strings(json.loads(out.card_json))),
        "email": html_text(to_email_html(analysis, DRAFT_URL)),
        "json": out.analysis_json,
    }
    return Rendered(dump=analysis.model_dump(mode="json"), texts=texts)


def markdown_text(markup: str) -> str:
    """The Markdown with its backslash escapes undone (``\\<starts\\>`` reads ``<starts>``)."""
    return _MD_ESCAPE.sub(r"\1", markup)


def docx_text(data: bytes, *, skip_private_box: bool = False) -> str:
    """Every paragraph of the document body and of its tables (nested ones too), in order.

    ``skip_private_box`` leaves out the marked box of things said in confidence, the one place of the
    Word draft where they may stand for the author to decide.
    """
    body = docx.Document(io.BytesIO(data)).element.body
    lines = []
    for block in body.iterchildren():
        texts = [Paragraph(p, None).text for p in block.iter(qn("w:p"))]
        if skip_private_box and block.tag == qn("w:tbl") and _is_private_box(texts):
            continue
        lines += texts
    return "\n".join(lines)


def _is_private_box(texts: list[str]) -> bool:
    label = getattr(c, "PRIVATE_LABEL", "")  # absent before the renderers had the box
    return bool(label) and bool(texts) and texts[0].strip().startswith(label)


def html_text(markup: str) -> str:
    body = markup.split("<body", 1)[-1]
    return html.unescape(_TAG.sub(" ", body))


def _strings(value: Any) -> Iterator[str]:
    """The card's text: every string value except ids, URLs, types and styling."""
    if isinstance(value, dict):
        for k, v in value.items():
            if k in {"type", "id", "url", "verb", "style", "color", "weight", "size", "spacing", "$schema"}:
                continue
            yield from _strings(v)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value
