"""The talk-time bar chart for the Word draft, as PNG bytes written by hand.

Why no plotting library: the chart is a few rectangles and some digits, and the CLI's offline run
must not pay an import of matplotlib or Pillow (neither is a dependency; matplotlib alone costs
hundreds of milliseconds to import). zlib and struct write a valid PNG without a display, the same
bytes for the same figures (so the .docx stays byte-for-byte reproducible), in well under a
millisecond. The names and colours the bars stand for are in the text beside the picture
(mcem/render/docx.py), which screen readers and the refresh reader see; the image only repeats the
percentages, drawn with a tiny built-in digit font.
"""

from __future__ import annotations

import struct
import zlib

from mcem.model import TalkSide, TalkTime

__all__ = ["COLOURS", "talk_chart_png"]

# Fluent palette: Microsoft blue, partner purple, customer green, unattributed grey.
COLOURS: dict[TalkSide, tuple[int, int, int]] = {
    "microsoft": (0x00, 0x78, 0xD4),
    "partner": (0x87, 0x64, 0xB8),
    "customer": (0x10, 0x7C, 0x10),
    "unknown": (0x8A, 0x88, 0x86),
}
_TRACK = (0xED, 0xEB, 0xE9)
_INK = (0x32, 0x31, 0x30)
_WHITE = (0xFF, 0xFF, 0xFF)

WIDTH = 480
_BAR = 28
_GAP = 12
_PAD = 10
_LABEL = 64  # room on the right for "100%"
_SCALE = 4  # the 3x5 glyphs drawn 12x20

# 3x5 glyphs, one string of 15 cells per character, row by row.
_GLYPHS = {
    "0": "111101101101111",
    "1": "010110010010111",
    "2": "111001111100111",
    "3": "111001111001111",
    "4": "101101111001001",
    "5": "111100111001111",
    "6": "111100111101111",
    "7": "111001001001001",
    "8": "111101111101111",
    "9": "111101111001111",
    "%": "101001010100101",
}


def talk_chart_png(talk: TalkTime) -> bytes:
    """One horizontal bar per side, in the order of ``talk.sides``, with its share in percent."""
    rows = max(1, len(talk.sides))
    height = 2 * _PAD + rows * _BAR + (rows - 1) * _GAP
    canvas = bytearray(bytes(_WHITE) * (WIDTH * height))
    track = WIDTH - 2 * _PAD - _LABEL
    for i, side in enumerate(talk.sides):
        top = _PAD + i * (_BAR + _GAP)
        _fill(canvas, _PAD, top, track, _BAR, _TRACK)
        filled = round(track * side.share)
        if side.share > 0:
            filled = max(filled, 2)  # a side that spoke at all is visible
        _fill(canvas, _PAD, top, filled, _BAR, COLOURS[side.side])
        _text(canvas, f"{round(side.share * 100)}%", _PAD + track + 8, top + (_BAR - 5 * _SCALE) // 2)
    return _png(canvas, WIDTH, height)


def _fill(canvas: bytearray, x: int, y: int, w: int, h: int, colour: tuple[int, int, int]) -> None:
    row = bytes(colour) * w
    for line in range(y, y + h):
        start = (line * WIDTH + x) * 3
        canvas[start : start + len(row)] = row


def _text(canvas: bytearray, text: str, x: int, y: int) -> None:
    for ch in text:
        cells = _GLYPHS[ch]
        for n, cell in enumerate(cells):
            if cell == "1":
                _fill(canvas, x + (n % 3) * _SCALE, y + (n // 3) * _SCALE, _SCALE, _SCALE, _INK)
        x += 4 * _SCALE


def _png(canvas: bytearray, width: int, height: int) -> bytes:
    stride = width * 3
    # Filter type 0 (None) before each row; level 1: flat colour packs to ~1 KB at a third of the
    # default level's time.
    raw = b"".join(b"\x00" + bytes(canvas[r * stride : (r + 1) * stride]) for r in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    # 96 dpi (3780 px per metre), so Word sizes it as drawn when no width is given.
    dpi = struct.pack(">IIB", 3780, 3780, 1)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"pHYs", dpi)
        + _chunk(b"IDAT", zlib.compress(raw, 1))
        + _chunk(b"IEND", b"")
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
