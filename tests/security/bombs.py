"""Zip bombs for the tests, generated on the fly (hundreds of MB unpacked; never committed)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'wordprocessingml.document.main+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="word/document.xml"/></Relationships>'
)
_PARAGRAPHS = (
    b"<w:p><w:r><w:t>Ana Silva  0:03</w:t></w:r></w:p>"
    b"<w:p><w:r><w:t>We need the rollout plan before the budget review.</w:t></w:r></w:p>"
)
_MB = 1024 * 1024


def docx_bomb(unpacked: int) -> bytes:
    """A well-formed Word document whose body unpacks to about ``unpacked`` bytes of real paragraphs."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>'.encode())
            block = _PARAGRAPHS * (_MB // len(_PARAGRAPHS))
            for _ in range(max(1, unpacked // len(block))):
                part.write(block)
            part.write(b"</w:body></w:document>")
    return out.getvalue()


def lying_docx_bomb(unpacked: int, declared: int = 4096) -> bytes:
    """A document part that inflates to ``unpacked`` bytes while the headers declare ``declared``.

    The declared CRC is that of the first ``declared`` bytes, so zipfile, which stops reading at the
    declared size, accepts the entry. A guard that trusted the headers would hand it to python-docx,
    whose single whole-part read inflates everything in one call.
    """
    start = f'<?xml version="1.0"?><w:document xmlns:w="{W}"><w:body>'.encode()
    filler = b" " * _MB
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        with archive.open("word/document.xml", "w", force_zip64=False) as part:
            part.write(start)
            for _ in range(unpacked // _MB):
                part.write(filler)
    data = bytearray(out.getvalue())
    prefix = (start + filler * (declared // _MB + 1))[:declared]
    name = b"word/document.xml"
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        length = struct.unpack("<H", data[central + 28 : central + 30])[0]
        if data[central + 46 : central + 46 + length] == name:
            struct.pack_into("<I", data, central + 16, zlib.crc32(prefix))
            struct.pack_into("<I", data, central + 24, declared)
            offset = struct.unpack("<I", data[central + 42 : central + 46])[0]
            struct.pack_into("<I", data, offset + 14, zlib.crc32(prefix))
            struct.pack_into("<I", data, offset + 22, declared)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def docx_with_paragraphs(count: int) -> bytes:
    """A small, honest .docx whose body is ``count`` empty paragraphs (the paragraph-count limit)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        body = "<w:p/>" * count
        archive.writestr(
            "word/document.xml", f'<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>'
        )
    return out.getvalue()
