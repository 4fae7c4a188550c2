"""The MCEM Interview Analysis template, read from the copy shipped in ``mcem/data``.

The template has two parts: the customer-facing sections (the output contract) and the
"MCEM Reference for LLM (Internal — Do Not Include in Customer Output)". The internal part
may guide an analysis; no output may contain it. This module splits the two and gives the
verifier the internal sentences to look for.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources

_INTERNAL_HEADING = "### MCEM Reference for LLM"


@cache
def template_text() -> str:
    return resources.files("mcem").joinpath("data/mcem-interview-analysis-template.md").read_text("utf-8")


@cache
def customer_part() -> str:
    text = template_text()
    return text[: text.index(_INTERNAL_HEADING)]


@cache
def internal_reference() -> str:
    text = template_text()
    return text[text.index(_INTERNAL_HEADING) :]


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("\\", "")
    text = re.sub(r"[*_>#`]", " ", text)
    return " ".join(text.split())


@cache
def internal_sentences() -> tuple[str, ...]:
    """The internal reference cut into sentence-sized pieces worth detecting (>= 6 words).

    Bullets like "**Strategic Leadership:** Orchestrate executive-level ..." give both the whole
    line and the part after the label, so a paraphrase-free echo of either is caught.
    """
    pieces: list[str] = []
    for raw in internal_reference().splitlines():
        line = _clean(raw.lstrip(" *-"))
        if not line:
            continue
        candidates = [line]
        if ":" in line:
            candidates.append(line.split(":", 1)[1].strip())
        for c in candidates:
            for sentence in re.split(r"(?<=[.!?])\s+", c):
                if len(sentence.split()) >= 6:
                    pieces.append(sentence)
    return tuple(dict.fromkeys(pieces))


@cache
def stage_guidance() -> dict[str, str]:
    """Customer-facing guidance text under each '### N. Stage' heading, keyed by heading title."""
    part = customer_part()
    out: dict[str, str] = {}
    for m in re.finditer(r"^### \d\. (.+?)\n(.*?)(?=^### |^## |\Z)", part, flags=re.M | re.S):
        out[_clean(m.group(1))] = _clean(m.group(2))
    return out
