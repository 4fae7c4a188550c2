"""Zip archives (.docx) made safe to parse: sizes counted while inflating, before any parser sees them.

A .docx is a zip, and a zip's sizes are whatever its maker wrote: a 700 KB file can declare 1 MB
and inflate to gigabytes. So the declared sizes only give an early, cheap refusal; then every entry
is really inflated in small steps, counting, and the count stops at the limit (total uncompressed
bytes, and uncompressed/compressed ratio over the whole archive). What passes is re-packed
*uncompressed*, so the parser that reads it next (python-docx, which inflates a whole part in one
call) can inflate nothing that was not counted.

Word writes only stored and deflated entries; anything else (bzip2, lzma, AES, encrypted, unknown
methods) is refused here instead of surfacing later as a NotImplementedError.
Every refusal is :class:`ArchiveRefused` with a short phrase; callers wrap it in their own error.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass

__all__ = ["ArchiveLimits", "ArchiveRefused", "repack_bounded"]

_STEP = 64 * 1024
_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
# What zipfile and zlib raise on crafted or truncated archives (RuntimeError: encrypted entries).
_DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
)
# Below this many inflated bytes the ratio is not checked: a tiny part may compress very well.
_RATIO_FLOOR = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    max_total: int  # uncompressed bytes of all entries together
    max_ratio: int = 100  # uncompressed / archive size; real .docx files are 3-20
    max_entries: int = 1000  # a Word document has 10-40 parts, a few hundred with many images


class ArchiveRefused(Exception):
    """``str(err)`` is a phrase such as "unpacks to more than 20 MB"."""


def repack_bounded(data: bytes, limits: ArchiveLimits) -> bytes:
    """The same archive, every entry stored uncompressed, or ArchiveRefused before the limits are passed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _DAMAGED:
        raise ArchiveRefused("is not a Word document (not a zip archive)") from None
    try:
        with archive:
            entries = archive.infolist()
            _check_declared(entries, len(data), limits)
            out = io.BytesIO()
            with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as repacked:
                budget = _Budget(len(data), limits)
                for entry in entries:
                    if entry.is_dir():
                        continue
                    repacked.writestr(entry.filename, _inflate(archive, entry, budget))
    except _DAMAGED as err:
        raise ArchiveRefused(f"is damaged ({type(err).__name__} while unpacking)") from None
    return out.getvalue()


def _check_declared(entries: list[zipfile.ZipInfo], size: int, limits: ArchiveLimits) -> None:
    if len(entries) > limits.max_entries:
        raise ArchiveRefused(f"has {len(entries)} parts, more than a Word document ever has")
    for entry in entries:
        if entry.flag_bits & 0x1:
            raise ArchiveRefused("is encrypted (password-protected)")
        if entry.compress_type not in _METHODS:
            raise ArchiveRefused(f"uses a compression method Word never writes ({entry.compress_type})")
    declared = sum(entry.file_size for entry in entries)
    if declared > limits.max_total:
        raise ArchiveRefused(f"unpacks to more than {_mb(limits.max_total)}")
    if declared > _RATIO_FLOOR and declared > limits.max_ratio * size:
        raise ArchiveRefused(f"unpacks to over {limits.max_ratio} times its size (a zip bomb)")


class _Budget:
    def __init__(self, size: int, limits: ArchiveLimits) -> None:
        self._limits = limits
        self._size = size
        self.used = 0

    def spend(self, count: int) -> None:
        self.used += count
        if self.used > self._limits.max_total:
            raise ArchiveRefused(f"unpacks to more than {_mb(self._limits.max_total)}")
        if self.used > _RATIO_FLOOR and self.used > self._limits.max_ratio * self._size:
            raise ArchiveRefused(f"unpacks to over {self._limits.max_ratio} times its size (a zip bomb)")


def _inflate(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, budget: _Budget) -> bytes:
    # read(n) inflates at most n bytes per step (zipfile passes n as zlib's max_length), so a
    # lying header cannot make one step allocate more than _STEP.
    parts: list[bytes] = []
    with archive.open(entry) as handle:
        while chunk := handle.read(_STEP):
            budget.spend(len(chunk))
            parts.append(chunk)
    return b"".join(parts)


def _mb(count: int) -> str:
    return f"{count // (1024 * 1024)} MB"
