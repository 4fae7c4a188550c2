"""Teams .docx transcripts, read with python-docx.

Teams has written two layouts (both handled by :mod:`mcem.parsing.plain`):
- older: one paragraph per cue, ``0:0:0.0 --> 0:0:5.320`` / speaker / text, separated by
  line breaks inside the paragraph (or as separate paragraphs);
- newer: a title, date and duration, "X started transcription", then ``Name   0:03``
  paragraphs each followed by the text paragraphs, and "X stopped transcription".

Only body paragraphs are read: the tables Teams adds (e.g. "saved-by <name>") are metadata,
not speech.

Cost bounds, all checked before python-docx reads text: the archive is inflated under
:data:`ARCHIVE_LIMITS` (:mod:`mcem.archive`), and the body may hold at most
:data:`MAX_PARAGRAPHS` paragraphs. A three-hour Teams transcript is about 2-3 MB of XML and
6,000 paragraphs; python-docx needs ~0.1 ms per paragraph, so the bounds keep a hostile file
within a few seconds (a 190 MB bomb took 213 s and 4.3 GB before).
"""

from __future__ import annotations

import io
import zipfile

import docx
from docx.document import Document as DocxDocument

from mcem.archive import ArchiveLimits, ArchiveRefused, repack_bounded
from mcem.deadline import Deadline
from mcem.errors import TranscriptError
from mcem.parsing.plain import read_lines
from mcem.transcript import Transcript

MAX_UNZIPPED_BYTES = 20 * 1024 * 1024
ARCHIVE_LIMITS = ArchiveLimits(max_total=MAX_UNZIPPED_BYTES)
MAX_PARAGRAPHS = 50_000

NOT_FOUND = (
    "no Teams transcript found in this Word document — download the transcript from the "
    "meeting in Teams (.docx or .vtt) and try again"
)
FIX_DOCX = "open it in Word and save it as .docx again, or download the .vtt transcript from Teams"
_MAIN_PART = "word/document.xml"


def read_docx(data: bytes, source: str, *, deadline: Deadline | None = None) -> Transcript:
    document = _open(data, source)
    body = document.element.body
    if body is None:
        raise TranscriptError(source, f"the Word document has no body (no text at all) — {FIX_DOCX}")
    if len(body) > MAX_PARAGRAPHS:
        raise TranscriptError(
            source,
            f"the Word document has more than {MAX_PARAGRAPHS:,} paragraphs, far more than a meeting "
            "transcript — download the .vtt transcript from Teams instead",
        )
    paragraphs = document.paragraphs
    # Line breaks inside a paragraph come back as "\n"; the older Teams layout relies on them.
    lines = [
        line
        for paragraph in (deadline.paced(paragraphs) if deadline else paragraphs)
        for line in paragraph.text.split("\n")
    ]
    return read_lines(lines, source, not_found=NOT_FOUND, deadline=deadline)


def _open(data: bytes, source: str) -> DocxDocument:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise TranscriptError(source, f"is not a valid .docx file (not a zip archive) — {FIX_DOCX}") from None
    if _MAIN_PART not in names:
        raise TranscriptError(source, f"is a zip file but not a Word document — {FIX_DOCX}")
    try:
        packed = repack_bounded(data, ARCHIVE_LIMITS)
    except ArchiveRefused as err:
        raise TranscriptError(
            source, f"the Word document {err} — download the .vtt transcript from Teams instead"
        ) from None
    try:
        return docx.Document(io.BytesIO(packed))
    except Exception:  # python-docx raises many types (KeyError, ValueError, lxml errors) on bad parts
        raise TranscriptError(source, f"is not a readable Word document — {FIX_DOCX}") from None
