"""Bytes to text, refusing what is not text.

Order tried: UTF-16 when a BOM says so, UTF-8 (with or without BOM), then Windows-1252
(what Notepad and older Office save). UTF-16 without a BOM is recognised by its NUL bytes.
Binary content — other NUL bytes, or many control characters — is refused instead of being
"decoded" into garbage.
"""

from __future__ import annotations

import codecs

from mcem.errors import TranscriptError

# Controls that never occur in text files (tab, newlines, form feed and escape excluded).
_CONTROLS = frozenset(chr(c) for c in range(32) if chr(c) not in "\t\n\r\f\v\x1b")
_BINARY = "looks like a binary file, not text — save the transcript as .vtt, .docx, .txt or .json"


def decode_text(data: bytes, source: str) -> str:
    text = _decode(data, source)
    if "\x00" in text or _control_share(text) > 0.01:
        raise TranscriptError(source, _BINARY)
    return text


def _decode(data: bytes, source: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not data.startswith(
        codecs.BOM_UTF32_LE
    ):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise TranscriptError(
                source, "says it is UTF-16 but is not valid UTF-16 — save it again as UTF-8 text"
            ) from None
    if b"\x00" in data:
        encoding = _bomless_utf16(data)
        if encoding is None:
            raise TranscriptError(source, _BINARY)
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            raise TranscriptError(source, _BINARY) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise TranscriptError(
            source, "uses a text encoding that cannot be read — save the transcript as UTF-8 text"
        ) from None


def _bomless_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark shows as NUL in every other byte for Latin text."""
    sample = data[:4096]
    if len(sample) < 8 or len(sample) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _control_share(text: str) -> float:
    sample = text[:65536]
    if not sample:
        return 0.0
    return sum(1 for char in sample if char in _CONTROLS) / len(sample)
