"""Teams .docx transcripts, read with python-docx.

Teams has written two layouts (both handled by :mod:`mcem.parsing.plain`):
- older: one paragraph per cue, ``0:0:0.0 --> 0:0:5.320`` / speaker / text, separated by
  line breaks inside the paragraph (or as separate paragraphs);
- newer: a title, date and duration, "X started transcription", then ``Name   0:03``
  paragraphs each followed by the text paragraphs, and "X stopped transcription".

Only body paragraphs are read: the tables Teams adds (e.g. "saved-by <name>") are metadata,
not speech.
"""

from __future__ import annotations

import io
import zipfile

import docx

from mcem.errors import TranscriptError
from mcem.parsing.plain import read_lines
from mcem.transcript import Transcript

# A .docx is a zip: a small file can inflate to gigabytes. Refuse before python-docx inflates it.
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024

NOT_FOUND = (
    "no Teams transcript found in this Word document — download the transcript from the "
    "meeting in Teams (.docx or .vtt) and try again"
)
FIX_DOCX = "open it in Word and save it as .docx again, or download the .vtt transcript from Teams"


def read_docx(data: bytes, source: str) -> Transcript:
    _check_zip(data, source)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:  # python-docx raises many types (KeyError, ValueError, lxml errors) on bad parts
        raise TranscriptError(source, f"is not a readable Word document — {FIX_DOCX}") from None
    # Line breaks inside a paragraph come back as "\n"; the older Teams layout relies on them.
    lines = [line for paragraph in document.paragraphs for line in paragraph.text.split("\n")]
    return read_lines(lines, source, not_found=NOT_FOUND)


def _check_zip(data: bytes, source: str) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        raise TranscriptError(source, f"is not a valid .docx file (not a zip archive) — {FIX_DOCX}") from None
    if sum(entry.file_size for entry in entries) > MAX_UNZIPPED_BYTES:
        raise TranscriptError(
            source,
            f"the Word document unpacks to more than {MAX_UNZIPPED_BYTES // (1024 * 1024)} MB — "
            "download the .vtt transcript from Teams instead",
        )
    if "word/document.xml" not in {entry.filename for entry in entries}:
        raise TranscriptError(source, f"is a zip file but not a Word document — {FIX_DOCX}")
