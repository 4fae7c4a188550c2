"""Prompt files: loaded by name from ``prompts/``, filled, and versioned.

Placeholders are ``{{name}}``. Filling is one pass, so a value that itself contains ``{{...}}``
(a transcript can) is never expanded. A missing or unexpected value is an error, not a blank.
The version written into analysis.json is ``prompts/VERSION`` plus a hash of every prompt file,
so an edited prompt can never pass for the old one.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

from mcem.model import ROLE_TITLES, STAGE_TITLES
from mcem.template import internal_reference

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


class PromptError(KeyError):
    """A prompt was filled with missing or unexpected values (a programming error, not user input)."""


@cache
def load(name: str, directory: Path = PROMPTS_DIR) -> str:
    return (directory / f"{name}.txt").read_text("utf-8")


def placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def fill(template: str, values: dict[str, str]) -> str:
    needed = placeholders(template)
    missing, extra = needed - values.keys(), values.keys() - needed
    if missing or extra:
        raise PromptError(f"placeholders missing {sorted(missing)}, unexpected {sorted(extra)}")
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


@cache
def prompt_version(directory: Path = PROMPTS_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*.txt")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    base = (directory / "VERSION").read_text("utf-8").strip()
    return f"{base}+{digest.hexdigest()[:8]}"


def shared_values(language: str = "English") -> dict[str, str]:
    """Values every system prompt uses; generated from the model so names cannot drift."""
    return {
        "language": language,
        "stage_list": "; ".join(f"{s.value} ({t})" for s, t in STAGE_TITLES.items()),
        "role_list": "; ".join(f"{r.value} ({t})" for r, t in ROLE_TITLES.items()),
        "stage_guidance": load("stage_guidance").strip(),
        "mcem_reference": _reference_body(),
    }


@cache
def system_prompt(name: str, language: str = "English") -> str:
    return fill(load(name), shared_values(language))


def _reference_body() -> str:
    # Drop the template's own heading: the prompt frames the block itself.
    lines = internal_reference().splitlines()
    return "\n".join(lines[1:]).strip()
