"""Excel helpers: pure functions, rows in, workbook bytes out, no request.

Write-only mode keeps memory flat for any number of rows (lxml makes it fast).
Text that a spreadsheet would run as a formula (= + - @) is stored as text.
Every text is made fit for a cell first (`cell_text`), whatever its source.
"""

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from guazhi.cleaning import strip_control_chars

FORMULA_PREFIXES = ("=", "+", "-", "@")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a cell holds; openpyxl cuts longer text without a word.
CELL_MAX_CHARS = 32_767


def cell_text(text: str) -> str:
    """`text` as a cell can hold it: without control characters other than tab
    and line breaks (openpyxl refuses to write them), and cut to the cell's
    size with a visible mark at the end rather than silently."""
    if text.isprintable() and len(text) <= CELL_MAX_CHARS:
        return text  # the common case, in one pass in C
    text = strip_control_chars(text)
    if len(text) > CELL_MAX_CHARS:
        mark = _("…（已截断）")
        text = text[: CELL_MAX_CHARS - len(mark)] + mark
    return text


@dataclass(frozen=True)
class ColumnSpec:
    header: str
    width: float = 14


def _cell(ws, value):
    """`value` as written: most values as they are (openpyxl formats a date as
    yyyy-mm-dd itself); a styled cell only where one is needed, since building
    a cell per value costs more than writing the whole row."""
    if isinstance(value, str):
        value = cell_text(value)
        if not value.startswith(FORMULA_PREFIXES):
            return value
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"  # openpyxl would otherwise write it as a formula
        return cell
    if isinstance(value, dt.datetime):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    return value


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[ColumnSpec]
    rows: Iterable[Sequence]


def _write_sheet(wb: Workbook, sheet: Sheet) -> None:
    ws = wb.create_sheet(title=sheet.title[:31])
    ws.freeze_panes = "A2"
    for index, col in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = col.width
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    header = []
    for col in sheet.columns:
        cell = WriteOnlyCell(ws, value=col.header)
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center")
        header.append(cell)
    ws.append(header)
    for row in sheet.rows:
        ws.append([_cell(ws, value) for value in row])


def build_sheets(sheets: Iterable[Sheet]) -> bytes:
    """One workbook, one sheet per entry, in order."""
    wb = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(wb, sheet)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def build_workbook(
    *, title: str, columns: Sequence[ColumnSpec], rows: Iterable[Sequence]
) -> bytes:
    return build_sheets([Sheet(title, columns, rows)])
