"""The hostile upload corpus (issue 16): files made to hurt whoever opens them.

Shared by tests/test_uploads.py, which posts each one and expects it refused
with nothing stored, and by `make bench` (bench/uploads.py), which prints how
long each refusal took and the memory it needed. Built in memory, once.
"""

import functools
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from guazhi import uploads
from tests.cadres.files import PDF_BYTES, PNG_BYTES, XLSX_BYTES

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
    '.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
    '2006/main"><w:body><w:p><w:r><w:t>调研报告</w:t></w:r></w:p></w:body>'
    "</w:document>"
)


def docx(**members: bytes | str) -> bytes:
    """A small Word document; keyword members replace or add parts
    (names with "/" are given as the dict's keys through **{...})."""
    parts = {
        "[Content_Types].xml": CONTENT_TYPES,
        "_rels/.rels": RELS,
        "word/document.xml": DOCUMENT,
        **members,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(zipfile.ZipInfo(name), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def rezip(source: bytes, replace: dict[str, bytes | str]) -> bytes:
    """`source` (a zip) with some members replaced or added."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(source)) as old,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as new,
    ):
        for info in old.infolist():
            if info.filename not in replace:
                new.writestr(info.filename, old.read(info))
        for name, data in replace.items():
            new.writestr(name, data)
    return buffer.getvalue()


def inflating(name: str, size: int) -> bytes:
    """A docx one of whose members is `size` zero bytes once inflated (about
    a thousandth of that compressed): written as a stream, never held."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("word/document.xml", DOCUMENT)
        chunk = bytes(1024 * 1024)
        with archive.open(name, "w") as member:
            left = size
            while left > 0:
                member.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
    return buffer.getvalue()


@functools.cache
def zip_bomb() -> bytes:
    """Inflates to just over the limit of all members together."""
    return inflating("word/media/image1.png", uploads.MAX_UNCOMPRESSED_BYTES + 1)


def _shared_strings(text: str, doctype: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="1" uniqueCount="1"><si><t>{text}</t></si></sst>'
    )


def xxe(path: str = "/etc/passwd") -> bytes:
    """A workbook whose only text is an external entity: a reader that
    resolves it puts the named file's content into cell A1."""
    doctype = f'<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file://{path}">]>'
    return rezip(
        XLSX_BYTES, {"xl/sharedStrings.xml": _shared_strings("&xxe;", doctype)}
    )


def billion_laughs() -> bytes:
    lol = "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10 if i else "lol"}">' for i in range(10)
    )
    doctype = f"<!DOCTYPE sst [{lol}]>"
    return rezip(XLSX_BYTES, {"xl/sharedStrings.xml": _shared_strings("&l9;", doctype)})


MACRO_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/>'
    "</Types>"
)


def macro_workbook() -> bytes:
    """A macro-enabled workbook (.xlsm) under a .xlsx name: the VBA project
    and the content types that declare it."""
    with zipfile.ZipFile(io.BytesIO(XLSX_BYTES)) as source:
        types = source.read("[Content_Types].xml").decode()
    types = types.replace(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    ).replace(
        "<Default ",
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        "<Default ",
        1,
    )
    return rezip(
        XLSX_BYTES,
        {
            "[Content_Types].xml": types,
            # The compound file header of a real vbaProject.bin.
            "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
        },
    )


def pdf_zip() -> bytes:
    """A PDF that is also a zip archive (a page to one program, an archive of
    a web page and a script to another)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.html", "<script>alert(document.cookie)</script>")
    return PDF_BYTES + buffer.getvalue()


# A GIF header that is also JavaScript: `GIF89a/*...*/=1;alert(1)`.
GIF_JS = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00;*/=1;alert(document.domain);"


def png_with_script() -> bytes:
    """A valid PNG carrying HTML in a text chunk: harmless while it is served
    as image/png, nosniff, as a download."""
    import struct
    import zlib

    text = b"Comment\x00<html><script>alert(document.cookie)</script></html>"
    chunk = (
        struct.pack(">I", len(text))
        + b"tEXt"
        + text
        + struct.pack(">I", zlib.crc32(b"tEXt" + text))
    )
    return PNG_BYTES[:33] + chunk + PNG_BYTES[33:]


def traversal() -> bytes:
    return docx(**{"../../../etc/cron.d/guazhi": "* * * * * root sh -c id"})


@dataclass(frozen=True)
class Hostile:
    name: str  # the uploaded file's name
    build: Callable[[], bytes]
    code: str  # the ValidationError code it is refused with
    message: str  # a part of the Chinese message the form shows


CORPUS = {
    "zip_bomb": Hostile(
        "调研报告.docx", zip_bomb, "too_large_uncompressed", "压缩炸弹"
    ),
    "xxe": Hostile("调研数据.xlsx", xxe, "xml_doctype", "XML 外部实体"),
    "billion_laughs": Hostile(
        "调研数据.xlsx", billion_laughs, "xml_doctype", "实体声明"
    ),
    "macro_workbook": Hostile("预算.xlsx", macro_workbook, "macro", "含有宏"),
    "polyglot_pdf_zip": Hostile("汇报.pdf", pdf_zip, "polyglot", "含有压缩包"),
    "polyglot_gif_js": Hostile(
        "照片.gif", lambda: GIF_JS, "type_not_allowed", "类型不允许上传"
    ),
    "traversal_name": Hostile(
        "调研报告.docx", traversal, "unsafe_name", "不安全的文件路径"
    ),
}
