"""Uploaded Office files checked before anything parses them (issue 16).

A .docx or .xlsx is a zip archive of XML parts. `check_office_zip` looks at it
the way an attacker's file would hurt a reader, before the file is stored or
opened by openpyxl: the end record and the central directory first (how many
members, how big they say they are, their names), then every member read as a
stream, a chunk at a time, so that a refused file never costs more than a
chunk of memory. Any reader that opens the file through Python's zipfile
(openpyxl, the Excel import) stops at a member's declared size and fails its
CRC beyond it, so the declared sizes checked here are all it can ever inflate;
reading every member to its end here proves the sizes and CRCs true as well.

`defuse_xml` (called at start-up, ops.apps) puts defusedxml's parsers in place
of the standard library's and checks that they and openpyxl's are in force.

Imports no app: the attachments (records.attachments) and an Excel import use
it alike.
"""

import posixpath
import re
import struct
import unicodedata
import warnings
import xml.parsers.expat
import zipfile
import zlib

from defusedxml import DefusedXmlException, defuse_stdlib
from defusedxml.ElementTree import ParseError, fromstring
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext as _

# An Office document has a few dozen members; a workbook with hundreds of
# sheets and images a few thousand at most.
MAX_MEMBERS = 2000
# Bytes of central directory per member, at most: a member's entry is 46 bytes
# and its name (Office names are short), with room for extra fields. Checked
# before zipfile reads the directory, which it keeps in memory entry by entry.
MAX_DIRECTORY_BYTES = MAX_MEMBERS * 512
# All members inflated together. Text compresses about 17 times in a real
# workbook (150,000 rows of names and numbers: 4 MB, 69 MB inflated), so the
# largest attachment (20 MB) of text inflates to some 350 MB; a zip bomb to
# gigabytes or more.
MAX_UNCOMPRESSED_BYTES = 500 * 1024 * 1024
# Inflated ÷ compressed size of one member: Apache POI's ZipSecureFile refuses
# above 100 (MIN_INFLATE_RATIO 0.01) and so does this; real parts stay below
# 30, a bomb reaches 1,000 (deflate's ceiling). Members smaller than
# RATIO_FLOOR_BYTES inflated are not judged by their ratio: a small part of
# blanks compresses far but costs nothing.
MAX_RATIO = 100
RATIO_FLOOR_BYTES = 1024 * 1024
# [Content_Types].xml lists a part type per sheet or image: kilobytes.
MAX_CONTENT_TYPES_BYTES = 1024 * 1024
CHUNK = 64 * 1024

# Members that carry VBA macros, whatever the file is named (.xlsm, .docm and
# templates alike): the project itself and its signatures, and Word's data.
MACRO_MEMBER = re.compile(r"^(vbaproject.*\.bin|vbadata\.xml)$", re.IGNORECASE)
# Part content types of macro-enabled documents and of the VBA project.
MACRO_CONTENT_TYPE = re.compile(r"macroenabled|vbaproject", re.IGNORECASE)
XML_MEMBER = re.compile(r"\.(xml|rels)$", re.IGNORECASE)

_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")


def _refuse(message: str, code: str):
    raise ValidationError(message, code=code)


def _corrupt():
    _refuse(_("文件已损坏或不是有效的 Office 文件，无法打开。"), "corrupt")


def _mb(size: int) -> str:
    return f"{size // (1024 * 1024)} MB"


def _directory(fileobj) -> tuple[int, int]:
    """(members, central directory bytes) from the end record, before zipfile
    reads the directory. Zip64 records are followed when the end record says so."""
    fileobj.seek(0, 2)
    size = fileobj.tell()
    start = max(0, size - _EOCD.size - 0xFFFF)
    fileobj.seek(start)
    tail = fileobj.read(size - start)
    at = tail.rfind(_EOCD_SIGNATURE)
    if at < 0 or len(tail) - at < _EOCD.size:
        _corrupt()
    _sig, _disk, _cd_disk, _n_disk, members, cd_size, cd_offset, _comment = (
        _EOCD.unpack_from(tail, at)
    )
    if members == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        if at < _ZIP64_LOCATOR.size:
            _corrupt()
        sig, _disk, record_at, _disks = _ZIP64_LOCATOR.unpack_from(
            tail, at - _ZIP64_LOCATOR.size
        )
        if sig != b"PK\x06\x07" or record_at + _ZIP64_EOCD.size > size:
            _corrupt()
        fileobj.seek(record_at)
        record = fileobj.read(_ZIP64_EOCD.size)
        fields = _ZIP64_EOCD.unpack(record)
        if fields[0] != b"PK\x06\x06":
            _corrupt()
        members, cd_size = fields[7], fields[8]
    return members, cd_size


def _unsafe_name(name: str) -> bool:
    """A name that would leave the folder it is extracted to, or hide what it is."""
    if not name or "\\" in name or name.startswith("/"):
        return True
    if re.match(r"^[A-Za-z]:", name):  # a Windows drive
        return True
    if any(unicodedata.category(c).startswith("C") for c in name):
        return True
    return ".." in name.split("/")


def _shown(name: str) -> str:
    printable = "".join(c for c in name if not unicodedata.category(c).startswith("C"))
    return printable[:80]


class _DoctypeFound(Exception):
    pass


class _RootReached(Exception):
    pass


class _Prologue:
    """Reads an XML part up to its root element, refusing a DOCTYPE there.

    Office Open XML forbids DTDs in its parts (ECMA-376 Part 2, the package
    conventions), and a DTD is what an entity attack (XXE, billion laughs)
    needs; it can only come before the root element. expat here builds nothing,
    resolves nothing and stops at the root.
    """

    def __init__(self):
        self.parser = xml.parsers.expat.ParserCreate()
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        self.parser.StartElementHandler = self._root
        self.done = False

    def _doctype(self, *args):
        raise _DoctypeFound

    def _root(self, *args):
        raise _RootReached

    def feed(self, data: bytes, final: bool = False) -> None:
        if self.done:
            return
        try:
            self.parser.Parse(data, final)
        except _RootReached:
            self.done = True
        except _DoctypeFound:
            _doctype()
        except xml.parsers.expat.ExpatError:
            _corrupt()


def _doctype():
    _refuse(
        _("含有文档类型定义（DTD）或实体声明，可能是 XML 外部实体攻击，不能上传。"),
        "xml_doctype",
    )


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_MEMBERS:
        _too_many(len(infos))
    seen, total = set(), 0
    for info in infos:
        name = info.orig_filename
        if _unsafe_name(name):
            _refuse(
                _(
                    "包含不安全的文件路径“%(name)s”（“..”、绝对路径、盘符、"
                    "反斜杠或控制字符），不能上传。"
                )
                % {"name": _shown(name)},
                "unsafe_name",
            )
        if name.lower() in seen:
            _refuse(
                _("包含重复的文件名“%(name)s”，不能上传。") % {"name": _shown(name)},
                "duplicate_name",
            )
        seen.add(name.lower())
        if MACRO_MEMBER.match(posixpath.basename(name)):
            _macro()
        if info.flag_bits & 0x1:
            _refuse(_("含有加密的内容，不能上传。"), "encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            _refuse(_("使用了 Office 不用的压缩方式，不能上传。"), "compression")
        total += info.file_size
        if total > MAX_UNCOMPRESSED_BYTES:
            _refuse(
                _("解压后超过 %(limit)s（疑似压缩炸弹），不能上传。")
                % {"limit": _mb(MAX_UNCOMPRESSED_BYTES)},
                "too_large_uncompressed",
            )
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            _refuse(
                _("压缩比异常（超过 %(limit)s 倍，疑似压缩炸弹），不能上传。")
                % {"limit": MAX_RATIO},
                "ratio",
            )


def _too_many(count: int):
    _refuse(
        _("压缩包内的文件过多（%(count)s 个，上限 %(limit)s 个），不能上传。")
        % {"count": count, "limit": MAX_MEMBERS},
        "too_many_members",
    )


def _macro():
    _refuse(
        _(
            "含有宏（VBA 代码），不能上传。请另存为不含宏的 .docx 或 .xlsx "
            "文件后再上传。"
        ),
        "macro",
    )


def _check_content_types(archive: zipfile.ZipFile) -> None:
    """A macro-enabled main part or a VBA project, declared by its type."""
    try:
        info = archive.getinfo("[Content_Types].xml")
    except KeyError:
        _corrupt()
    if info.file_size > MAX_CONTENT_TYPES_BYTES:
        _corrupt()
    try:
        root = fromstring(archive.read(info), forbid_dtd=True)
    except DefusedXmlException:
        _doctype()
    except ParseError:
        _corrupt()
    for element in root.iter():
        if MACRO_CONTENT_TYPE.search(element.get("ContentType", "")):
            _macro()


def _read_members(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Every member to its end, a chunk at a time: zipfile stops at the
    declared size and checks the CRC there; XML parts are read by _Prologue."""
    for info in infos:
        prologue = _Prologue() if XML_MEMBER.search(info.filename) else None
        with archive.open(info) as member:
            while chunk := member.read(CHUNK):
                if prologue:
                    prologue.feed(chunk)
        if prologue:
            prologue.feed(b"", final=True)


def check_office_zip(fileobj) -> None:
    """Refuse an Office file (.docx, .xlsx) that is unsafe to open, with a
    Chinese message (ValidationError): too many members, too big inflated or
    inflating too far (a zip bomb), a name that leaves its folder, encrypted or
    oddly compressed members, VBA macros, a DTD in an XML part (XXE), or an
    archive that does not hold together. Reads the file from its start and
    leaves it positioned there."""
    try:
        members, directory_bytes = _directory(fileobj)
        if members > MAX_MEMBERS or directory_bytes > MAX_DIRECTORY_BYTES:
            _too_many(members)
        fileobj.seek(0)
        with zipfile.ZipFile(fileobj) as archive:
            infos = archive.infolist()
            _check_directory(infos)
            _read_members(archive, infos)
            _check_content_types(archive)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError):
        _corrupt()
    except (OSError, ValueError, struct.error, NotImplementedError, RuntimeError):
        # What zipfile raises besides BadZipFile on a damaged archive.
        _corrupt()
    finally:
        fileobj.seek(0)


# --- XML parsers --------------------------------------------------------------

_ENTITY_PROBE = b'<!DOCTYPE x [<!ENTITY e "expanded">]><x>&e;</x>'


def defuse_xml() -> None:
    """Put defusedxml in place of the standard library's XML parsers, then
    check at start-up that xml.etree and openpyxl parse with entities off.
    Fails loudly (ImproperlyConfigured) when they do not."""
    import xml.etree.ElementTree as ElementTree

    import openpyxl
    from openpyxl.xml import functions as openpyxl_xml

    with warnings.catch_warnings():
        # defuse_stdlib imports its deprecated cElementTree shim, to patch it too.
        warnings.simplefilter("ignore", DeprecationWarning)
        defuse_stdlib()
    problems = []
    try:
        # The standard library on purpose: the probe is ours, and it must fail.
        ElementTree.fromstring(_ENTITY_PROBE)  # noqa: S314
        problems.append("xml.etree.ElementTree expands entities")
    except DefusedXmlException:
        pass
    if openpyxl.DEFUSEDXML is not True:
        problems.append("openpyxl.DEFUSEDXML is not True (OPENPYXL_DEFUSEDXML set?)")
    if not openpyxl_xml.iterparse.__module__.startswith("defusedxml"):
        problems.append("openpyxl reads worksheets without defusedxml")
    try:
        probe = openpyxl_xml.fromstring(_ENTITY_PROBE)
        if "expanded" in "".join(probe.itertext()):
            problems.append("openpyxl's parser expands entities")
    except DefusedXmlException:
        pass
    if problems:
        raise ImproperlyConfigured(
            "XML 解析未启用 defusedxml 防护：" + "; ".join(problems)
        )
