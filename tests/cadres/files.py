"""Small real files of each kind, made in memory, for the attachment tests."""

import io
import struct
import zipfile
import zlib

from openpyxl import Workbook


def _png(width: int = 1, height: int = 1) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(
        b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><document/>')
    return buffer.getvalue()


def _xlsx() -> bytes:
    wb = Workbook()
    wb.active["A1"] = "调研数据"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


PNG_BYTES = _png()
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
JPG_BYTES = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
)
DOCX_BYTES = _docx()
XLSX_BYTES = _xlsx()
# A Windows program: "MZ", then a PE header; no spreadsheet or PDF marker.
EXE_BYTES = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 48
    + b"PE\x00\x00"
)
HTML_BYTES = (
    "<!doctype html><html><body><script>alert(1)</script>汇报</body></html>".encode()
)
