"""An uploaded roster as a header and rows, whatever it was saved as.

An .xlsx is checked by guazhi.uploads.check_office_zip before openpyxl opens
it (zip bombs, macros, DTDs); openpyxl reads it read-only, a row at a time,
formulas as written (a formula where a value belongs is refused by row).
A CSV is read as UTF-8 (with or without the BOM that WPS writes) or, failing
that, as GB 18030, the superset of the GBK that Chinese Excel saves. Reading
stops after BLANK_RUN blank rows (a sheet may claim a million) and refuses a
file with more rows than the IMPORT_MAX_ROWS setting.
"""

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from guazhi.uploads import check_office_zip

from .parsing import half_width

# Blank rows in a row after which the sheet is taken to have ended.
BLANK_RUN = 50
# Rows above the header that a roster may carry (a title, a date line).
HEADER_SEARCH_ROWS = 10
# A note row of the template (and the same row copied by the user) starts so.
NOTE_PREFIX = "说明："
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and an encrypted .xlsx


class FileRefused(ValueError):
    """The whole file cannot be read; the message says why, in Chinese."""


@dataclass
class Table:
    headers: list[str]  # normalised, as in the column spec
    rows: list[tuple[int, list]] = field(default_factory=list)  # (row number, cells)


def header_key(value) -> str:
    """A header as compared: no spaces or line breaks, half-width, without the
    * that marks a required column, NFKC."""
    if value is None:
        return ""
    plain = half_width(str(value))
    plain = re.sub(r"\s+", "", plain).replace("*", "")
    return unicodedata.normalize("NFKC", plain)


def _blank(cells) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _is_note(cells) -> bool:
    filled = [c for c in cells if c is not None and str(c).strip()]
    return bool(filled) and all(str(c).strip().startswith(NOTE_PREFIX) for c in filled)


def _xlsx_rows(fileobj):
    try:
        check_office_zip(fileobj)
    except ValidationError as exc:
        raise FileRefused(exc.messages[0]) from exc
    try:
        workbook = load_workbook(fileobj, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise FileRefused(_("文件已损坏或不是有效的 Excel 工作簿，无法打开。")) from exc
    try:
        sheet = workbook.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(
        _("无法识别 CSV 文件的编码，请另存为“CSV UTF-8”或 Excel 工作簿。")
    )


def _csv_rows(data: bytes):
    if b"\x00" in data:
        raise FileRefused(_("文件不是 Excel 工作簿（.xlsx）或 CSV 文件，无法读取。"))
    content = _decode(data)
    try:
        dialect = csv.Sniffer().sniff(content[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(content), dialect)


def _rows(fileobj, filename: str):
    fileobj.seek(0)
    head = fileobj.read(8)
    fileobj.seek(0)
    lower = filename.lower()
    if lower.endswith((".xlsm", ".xltm", ".xlam")):
        raise FileRefused(
            _("含有宏的工作簿（.xlsm）不能导入。请另存为不含宏的 .xlsx 文件后再上传。")
        )
    if head.startswith(_OLE):
        raise FileRefused(
            _(
                "文件受密码保护，或是旧版 Excel（.xls）文件。请取消密码，另存为 .xlsx 后再上传。"
            )
        )
    if head.startswith(_ZIP):
        return _xlsx_rows(fileobj)
    if lower.endswith((".csv", ".txt")):
        return _csv_rows(fileobj.read())
    raise FileRefused(_("文件不是 Excel 工作簿（.xlsx）或 CSV 文件，无法读取。"))


def read_table(fileobj, filename: str, *, headers: list[str], max_rows: int) -> Table:
    """The rows under the header row, each with its row number in the sheet.
    The header row is the first of the first HEADER_SEARCH_ROWS rows that
    holds `headers[0]`; note rows and blank rows are skipped."""
    rows = _rows(fileobj, filename)
    first = header_key(headers[0])
    found: list[str] | None = None
    number = 0
    for number, cells in enumerate(rows, start=1):
        keys = [header_key(c) for c in cells]
        if first in keys:
            found = keys
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if found is None:
        raise FileRefused(
            _(
                "前%(rows)s行中找不到表头（第一列应为“%(first)s”）。"
                "请使用本页提供的模板。"
            )
            % {"rows": HEADER_SEARCH_ROWS, "first": headers[0]}
        )
    while found and not found[-1]:
        found.pop()
    table = Table(headers=found)
    blanks = 0
    for at, cells in enumerate(rows, start=number + 1):
        cells = list(cells[: len(found)])
        if _blank(cells):
            blanks += 1
            if blanks >= BLANK_RUN:
                break
            continue
        blanks = 0
        if _is_note(cells):
            continue
        if len(table.rows) >= max_rows:
            raise FileRefused(
                _(
                    "数据超过%(max)s行的上限（系统设置“每次导入的最多行数”），"
                    "请分成几个文件导入。"
                )
                % {"max": max_rows}
            )
        cells += [None] * (len(found) - len(cells))
        table.rows.append((at, cells))
    return table
