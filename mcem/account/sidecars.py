"""The account folder: each call's draft with its ``analysis.json`` sidecar beside it, and the brief.

Layout (the same on disk and in SharePoint)::

    <Company>/
        2026-10-22 Contoso – security discovery.docx            the draft people edit
        2026-10-22 Contoso – security discovery.analysis.json   the sidecar: the Analysis as written
        Account brief.docx                                     the history across calls

The draft stays the source for ``refresh``; the sidecar is the source for history, because it is what
verification checked (every quote verbatim) and an edited Word file no longer says which sentence a
next step rests on.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from mcem.account.history import CallSource
from mcem.errors import MCEMError
from mcem.model import Analysis

__all__ = [
    "BRIEF_NAME",
    "SIDECAR_SUFFIX",
    "AccountFolderError",
    "call_stem",
    "is_account_folder",
    "read_account_folder",
    "read_sidecar",
    "sidecar_name",
]

SIDECAR_SUFFIX = ".analysis.json"
BRIEF_NAME = "Account brief.docx"
SIDECAR_LIMIT = 5 * 1024 * 1024  # an analysis is ~30 KB; anything this large is not one
_FORBIDDEN = re.compile(r'["*:<>?/\\|#%]|[\x00-\x1f\x7f]')
_BIDI = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


class AccountFolderError(MCEMError):
    title = "The account folder could not be read"
    advice = "Point at a folder that `mcem analyze --account DIR` wrote, or analyse a call into it first."
    retry = False


def call_stem(start: datetime, subject: str) -> str:
    """``"<yyyy-mm-dd> <subject>"`` with what file systems and SharePoint refuse replaced."""
    text = unicodedata.normalize("NFC", f"{start:%Y-%m-%d} {subject}")
    text = _FORBIDDEN.sub("-", _BIDI.sub("", text))
    text = " ".join(text.split())[:120].rstrip(" .")
    return text or f"{start:%Y-%m-%d} meeting"


def sidecar_name(draft_name: str) -> str:
    """The sidecar beside a draft: "X.docx" -> "X.analysis.json" (a renamed "X 1.docx" keeps its pair)."""
    stem = draft_name[: -len(".docx")] if draft_name.lower().endswith(".docx") else draft_name
    return stem + SIDECAR_SUFFIX


def read_sidecar(data: bytes, name: str) -> Analysis:
    """One sidecar's Analysis; AccountFolderError naming the file when it is not one."""
    if len(data) > SIDECAR_LIMIT:
        raise AccountFolderError(f"{name}: larger than {SIDECAR_LIMIT // (1024 * 1024)} MB, not an analysis")
    try:
        return Analysis.model_validate_json(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the file"
        raise AccountFolderError(f"{name}: not an analysis.json ({where}: {first['msg']})") from None


def is_account_folder(folder: Path) -> bool:
    """A folder that already keeps calls the account way (at least one sidecar)."""
    return folder.is_dir() and any(folder.glob("*" + SIDECAR_SUFFIX))


def read_account_folder(folder: Path) -> list[CallSource]:
    """Every sidecar in the folder, with the draft beside it when there is one."""
    if not folder.is_dir():
        raise AccountFolderError(f"{folder}: not a folder")
    found = sorted(folder.glob("*" + SIDECAR_SUFFIX))
    if not found:
        raise AccountFolderError(
            f"{folder}: no *{SIDECAR_SUFFIX} sidecars here; analyse calls into it with "
            f"`mcem analyze FILE --account {folder} --date YYYY-MM-DD` first"
        )
    sources = []
    for path in found:
        try:
            data = path.read_bytes()
        except OSError as err:
            raise AccountFolderError(f"{path.name}: cannot be read ({err.strerror or err})") from None
        draft = path.name[: -len(SIDECAR_SUFFIX)] + ".docx"
        sources.append(CallSource(read_sidecar(data, path.name), draft if (folder / draft).exists() else ""))
    return sources
