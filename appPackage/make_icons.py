"""Draw the Teams app icons: color.png (192x192) and outline.png (32x32, white on transparent).

``python appPackage/make_icons.py`` rewrites both files beside this script. Pure standard library
(zlib + struct): the icons are a few shapes, and the build machine need not have Pillow. The output
is deterministic, so a test can check the committed icons are what this script draws.

The motif: a speech bubble (the customer call) holding three lines of text (the written analysis).
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

__all__ = ["ACCENT", "color_icon", "encode_png", "outline_icon", "write_icons"]

HERE = Path(__file__).resolve().parent
ACCENT = (0x1F, 0x4E, 0x8C)  # the manifest's accentColor, #1F4E8C
WHITE = (255, 255, 255)
SUPERSAMPLE = 4  # samples per axis for smooth (anti-aliased) edges

Shape = Callable[[float, float], bool]  # (x, y) in 0..1 -> inside?
Pixel = tuple[int, int, int, int]


def _rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> Shape:
    def inside(x: float, y: float) -> bool:
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return False
        cx = min(max(x, x0 + r), x1 - r)
        cy = min(max(y, y0 + r), y1 - r)
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r

    return inside


def _triangle(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> Shape:
    def side(p: tuple[float, float], q: tuple[float, float], x: float, y: float) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    def inside(x: float, y: float) -> bool:
        s1, s2, s3 = side(a, b, x, y), side(b, c, x, y), side(c, a, x, y)
        return (s1 >= 0 and s2 >= 0 and s3 >= 0) or (s1 <= 0 and s2 <= 0 and s3 <= 0)

    return inside


def _union(*shapes: Shape) -> Shape:
    return lambda x, y: any(s(x, y) for s in shapes)


def _bubble(x0: float, y0: float, x1: float, y1: float) -> Shape:
    """A rounded box with a tail at its lower left."""
    w, h = x1 - x0, y1 - y0
    box = _rounded_rect(x0, y0, x1, y1 - 0.18 * h, 0.16 * min(w, h))
    tail = _triangle((x0 + 0.18 * w, y1 - 0.2 * h), (x0 + 0.42 * w, y1 - 0.2 * h), (x0 + 0.12 * w, y1))
    return _union(box, tail)


def _text_lines(x0: float, y0: float, x1: float, y1: float, thickness: float) -> Shape:
    """Three rounded bars, the last one shorter, spread over the box."""
    w, h = x1 - x0, y1 - y0
    bars = []
    for i, length in enumerate((1.0, 1.0, 0.6)):
        top = y0 + i * (h - thickness) / 2
        bars.append(_rounded_rect(x0, top, x0 + length * w, top + thickness, thickness / 2))
    return _union(*bars)


def _coverage(shape: Shape, size: int, px: int, py: int) -> float:
    hits = 0
    for sy in range(SUPERSAMPLE):
        for sx in range(SUPERSAMPLE):
            x = (px + (sx + 0.5) / SUPERSAMPLE) / size
            y = (py + (sy + 0.5) / SUPERSAMPLE) / size
            hits += shape(x, y)
    return hits / SUPERSAMPLE**2


def color_icon(size: int = 192) -> list[list[Pixel]]:
    """Accent-coloured rounded tile, white bubble, accent text lines."""
    tile = _rounded_rect(0.0, 0.0, 1.0, 1.0, 0.18)
    bubble = _bubble(0.2, 0.22, 0.8, 0.8)
    lines = _text_lines(0.3, 0.31, 0.7, 0.55, 0.065)
    rows: list[list[Pixel]] = []
    for py in range(size):
        row: list[Pixel] = []
        for px in range(size):
            a_tile = _coverage(tile, size, px, py)
            a_bubble = _coverage(bubble, size, px, py)
            a_lines = _coverage(lines, size, px, py)
            # Layer: accent tile, white bubble over it, accent lines over the bubble.
            white = a_bubble * (1 - a_lines)
            rgb = tuple(round(ACCENT[i] * (1 - white) + WHITE[i] * white) for i in range(3))
            row.append((rgb[0], rgb[1], rgb[2], round(255 * a_tile)))
        rows.append(row)
    return rows


def outline_icon(size: int = 32) -> list[list[Pixel]]:
    """The bubble's outline and its text lines, white on transparent (Teams' rule for outline icons)."""
    outer = _bubble(0.06, 0.1, 0.94, 0.94)
    inner = _bubble(0.15, 0.19, 0.85, 0.83)
    lines = _text_lines(0.29, 0.31, 0.71, 0.65, 0.085)

    def ink(x: float, y: float) -> bool:
        return (outer(x, y) and not inner(x, y)) or lines(x, y)

    return [[(*WHITE, round(255 * _coverage(ink, size, px, py))) for px in range(size)] for py in range(size)]


def encode_png(rows: list[list[Pixel]]) -> bytes:
    """8-bit RGBA PNG, filter 0 on every row, fixed zlib level: the same pixels give the same bytes."""
    height, width = len(rows), len(rows[0])
    raw = b"".join(b"\x00" + bytes(v for pixel in row for v in pixel) for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def write_icons(directory: Path = HERE) -> tuple[Path, Path]:
    color, outline = directory / "color.png", directory / "outline.png"
    color.write_bytes(encode_png(color_icon()))
    outline.write_bytes(encode_png(outline_icon()))
    return color, outline


if __name__ == "__main__":
    for path in write_icons(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(path)
