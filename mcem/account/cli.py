"""``mcem account DIR``: the account brief from the sidecars in an account folder, on disk.

Prints the brief as Markdown and writes ``Account brief.docx`` into the folder (atomically: a temp
file renamed over the old brief, which is the command's own output, not a person's draft).
Bad input — no folder, no sidecars, a file that is no analysis — is one line on stderr, exit 2.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Literal

from mcem.account.history import account_history
from mcem.account.sidecars import BRIEF_NAME, AccountFolderError, read_account_folder

__all__ = ["account_command"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def account_command(folder: Path, company: str = "", paper: Literal["letter", "a4"] = "letter") -> int:
    from mcem.render.account_docx import account_docx
    from mcem.render.account_markdown import account_markdown

    try:
        sources = read_account_folder(folder)
    except AccountFolderError as err:
        print(f"mcem: {err}", file=sys.stderr)
        return EXIT_USAGE
    name = company.strip() or folder.resolve().name
    history = account_history(name, sources)
    markdown = account_markdown(history)
    brief = account_docx(history, paper=paper)
    target = folder / BRIEF_NAME
    try:
        fd, tmp = tempfile.mkstemp(prefix=".account-brief.", dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(brief)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as err:
        print(f"mcem: cannot write {target}: {err.strerror or err}", file=sys.stderr)
        return EXIT_FAILED
    sys.stdout.write(markdown)
    print(f"\nWrote {target.resolve()}")
    return EXIT_OK
