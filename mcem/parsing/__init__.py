"""Transcript ingestion: any supported file -> :class:`mcem.transcript.Transcript`.

Layouts (detected from the content first, then the file name or content type):
- Microsoft Teams WebVTT (:mod:`.vtt`) — what Graph returns and Teams downloads;
- Teams .docx transcripts, older and newer layout (:mod:`.docx_transcript`);
- plain text: ``Name: text`` lines, the Teams "Name   0:03" copy-paste layout, or the older
  ``0:0:0.0 --> 0:0:5.320`` / name / text layout (:mod:`.plain`);
- JSON lists of ``{speaker, text, start?, end?}`` (:mod:`.json_transcript`).

Decisions every caller can rely on:
- Speech Teams could not attribute (``UNKNOWN SPEAKER``, or a cue with no voice span and no
  utterance to belong to) has the speaker ``"Unknown speaker"`` (:data:`UNKNOWN_SPEAKER`).
- Times are seconds from the start of the meeting; ``end >= start`` always; a turn whose
  layout gives only a start ends where the next turn starts. Text without any times gets
  0.0 throughout (no invented times). Utterances stay in file order.
- Text is whitespace-normalised with markup removed and HTML entities decoded.

Size limit: :data:`MAX_BYTES` = 20 MB. A three-hour Teams VTT is about 2 MB and a .docx of
the same meeting smaller, so 20 MB leaves ten times headroom for real meetings while
refusing files (video, archives, logs) that would only waste memory and time. The size is
checked from the file system before a byte is read.

Every problem with the input raises :class:`mcem.errors.TranscriptError` with a one-line
message saying what is wrong and what to do. This package imports nothing from the bot,
Graph or cards packages.
"""

from __future__ import annotations

from pathlib import Path

from mcem.deadline import Deadline
from mcem.errors import TranscriptError
from mcem.parsing.common import UNKNOWN_SPEAKER
from mcem.parsing.decode import decode_text
from mcem.parsing.docx_transcript import read_docx
from mcem.parsing.json_transcript import read_json_text, read_json_value, try_json
from mcem.parsing.plain import read_lines
from mcem.parsing.vtt import looks_like_vtt, read_vtt
from mcem.transcript import Transcript

__all__ = ["MAX_BYTES", "PARSE_SECONDS", "UNKNOWN_SPEAKER", "load_transcript", "parse_transcript"]

MAX_BYTES = 20 * 1024 * 1024
# A 20 MB file of any layout parses in a few seconds; a three-hour meeting in well under one.
PARSE_SECONDS = 30.0

_DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_KNOWN_TYPES = frozenset({_DOCX_TYPE, "text/vtt", "application/json"})
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc/.xls and other OLE files
_TOO_BIG = (
    f"is larger than {MAX_BYTES // (1024 * 1024)} MB, far more than a meeting transcript — "
    "check that this is the transcript file (.vtt, .docx, .txt or .json)"
)


def load_transcript(path: Path) -> Transcript:
    """Read and parse the transcript at ``path``."""
    source = path.name or str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise TranscriptError(source, "file not found — check the path and file name") from None
    except OSError as err:
        raise TranscriptError(source, f"cannot be opened ({err.strerror}) — check the path") from None
    if path.is_dir():
        raise TranscriptError(
            source, "is a folder, not a file — pass the transcript file (.vtt, .docx, .txt or .json)"
        )
    if info.st_size > MAX_BYTES:
        raise TranscriptError(source, _TOO_BIG)
    try:
        with path.open("rb") as handle:
            # One byte more than allowed: catches files that grew after stat, and pipes.
            data = handle.read(MAX_BYTES + 1)
    except PermissionError:
        raise TranscriptError(
            source, "cannot be read (permission denied) — check the file's permissions"
        ) from None
    except OSError as err:
        raise TranscriptError(source, f"cannot be read ({err.strerror}) — check the file") from None
    return parse_transcript(data, source)


def parse_transcript(data: bytes, source: str, *, content_type: str | None = None) -> Transcript:
    """Parse transcript bytes already in memory (e.g. VTT content from Microsoft Graph).

    ``source`` names the input in messages. A known ``content_type`` decides the layout;
    otherwise the content does, then the file name's extension (so a meeting subject used as
    ``source`` never changes how Graph's VTT is read when the content type is given).
    """
    if len(data) > MAX_BYTES:
        raise TranscriptError(source, _TOO_BIG)
    if not data:
        raise TranscriptError(source, "the file is empty — download the transcript from Teams again")
    deadline = Deadline(
        PARSE_SECONDS,
        lambda: TranscriptError(
            source,
            f"took longer than {PARSE_SECONDS:.0f} s to read, far longer than a meeting transcript does — "
            "check that this is the transcript file, or download the .vtt from Teams",
        ),
    )
    media = (content_type or "").split(";")[0].strip().lower()
    suffix = "" if media in _KNOWN_TYPES else Path(source).suffix.lower()
    if data.startswith(_ZIP_MAGIC) or media == _DOCX_TYPE or suffix == ".docx":
        return read_docx(data, source, deadline=deadline)
    if data.startswith(_OLE_MAGIC):
        raise TranscriptError(
            source, "is an old binary Office file (.doc) — save it as .docx in Word, or download the .vtt"
        )
    text = decode_text(data, source)
    if not text.strip(" \t\r\n\f\v\ufeff"):
        raise TranscriptError(source, "contains only whitespace — download the transcript from Teams again")
    if media == "text/vtt" or looks_like_vtt(text) or (suffix == ".vtt" and "-->" in text):
        return read_vtt(text, source, deadline=deadline)
    if media == "application/json" or suffix == ".json":
        return read_json_text(text, source, deadline=deadline)
    if text.lstrip()[:1] in ("[", "{"):
        value = try_json(text)
        if value is not None:
            return read_json_value(value, source, deadline=deadline)
    return read_lines(text.splitlines(), source, deadline=deadline)
