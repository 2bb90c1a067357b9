"""Excel helpers: pure functions, rows in, workbook bytes out, no request.

One set of rules for every export (issue 20), applied here so that no export
has to remember them:

- Chinese headers in bold on a tinted, frozen first row, with an autofilter
  over the columns and rows written;
- column widths at least as wide as the header (a CJK character counts two);
- dates as real dates (yyyy-mm-dd), date-times as yyyy-mm-dd hh:mm in local
  time (openpyxl refuses an aware datetime);
- text that a spreadsheet would run as a formula (starting with = + - @, a tab
  or a carriage return) stored as text, with Excel's quote prefix so that
  editing the cell does not turn it into one;
- control characters stripped and text longer than a cell holds cut with a
  visible mark (`cell_text`), whatever the text's source.

Write-only mode keeps memory flat for any number of rows (lxml makes it fast).
"""

import datetime as dt
import io
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from guazhi.cleaning import strip_control_chars

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a cell holds; openpyxl cuts longer text without a word.
CELL_MAX_CHARS = 32_767
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
# Excel's widest column, in characters.
MAX_WIDTH = 80
# How often a long export reports its progress (rows).
PROGRESS_EVERY = 1000


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


def display_width(text: str) -> int:
    """Columns `text` takes on screen: a wide (CJK) character counts two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@dataclass(frozen=True)
class ColumnSpec:
    header: str
    width: float = 14

    @property
    def shown_width(self) -> float:
        """The width given, widened to fit the header, at most MAX_WIDTH."""
        return min(max(self.width, display_width(str(self.header)) + 2), MAX_WIDTH)


def text_cell(ws, value: str):
    """A cell holding `value` as text, whatever it starts with."""
    cell = WriteOnlyCell(ws, value=value)
    cell.data_type = "s"  # openpyxl would otherwise write it as a formula
    cell.quotePrefix = True  # and Excel would make it one when it is edited
    return cell


def cell_value(ws, value):
    """`value` as written: most values as they are (openpyxl gives a date the
    yyyy-mm-dd format itself); a styled cell only where one is needed, since
    building a cell per value costs more than writing the whole row."""
    if isinstance(value, str):
        value = cell_text(value)
        if not value.startswith(FORMULA_PREFIXES):
            return value
        return text_cell(ws, value)
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, Promise):  # a lazy translation, a label
        return cell_value(ws, str(value))
    if isinstance(value, Styled):
        cell = cell_value(ws, value.value)
        if not isinstance(cell, Cell):
            cell = WriteOnlyCell(ws, value=cell)
        if value.fill is not None:
            cell.fill = value.fill
        if value.alignment is not None:
            cell.alignment = value.alignment
        return cell
    return value  # a date: openpyxl formats it as DATE_FORMAT


@dataclass(frozen=True)
class Styled:
    """A sheet's value written with a fill or an alignment (a matrix's state
    cell in its colour); the styles shared by the cells that have them."""

    value: object
    fill: PatternFill | None = None
    alignment: Alignment | None = None


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: Sequence[ColumnSpec]
    rows: Iterable[Sequence]


def add_sheet(wb: Workbook, title: str, columns: Sequence[ColumnSpec]):
    """A write-only sheet with the house header: frozen, bold, tinted, widths
    set. Rows are appended by the caller; `set_filter` closes it."""
    ws = wb.create_sheet(title=strip_control_chars(title)[:31])
    ws.freeze_panes = "A2"
    for index, col in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = col.shown_width
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    centred = Alignment(horizontal="center")
    header = []
    for col in columns:
        cell = WriteOnlyCell(ws, value=cell_text(str(col.header)))
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = centred
        header.append(cell)
    ws.append(header)
    return ws


def set_filter(ws, columns: Sequence[ColumnSpec], rows: int) -> None:
    """The autofilter over the header and the `rows` rows written below it."""
    ws.auto_filter.ref = f"A1:{get_column_letter(max(len(columns), 1))}{rows + 1}"


Progress = Callable[[int], None]


def _write_sheet(wb: Workbook, sheet: Sheet, progress: Progress | None) -> int:
    ws = add_sheet(wb, sheet.title, sheet.columns)
    n = 0
    for row in sheet.rows:
        ws.append([cell_value(ws, value) for value in row])
        n += 1
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
    if progress is not None:
        progress(n % PROGRESS_EVERY)
    set_filter(ws, sheet.columns, n)
    return n


def write_sheets(
    sheets: Iterable[Sheet], target: IO[bytes], *, progress: Progress | None = None
) -> int:
    """One workbook written to `target`, one sheet per entry, in order; the
    number of data rows. `progress(n)` is told of every PROGRESS_EVERY rows
    written (and the rest at each sheet's end), for a background export."""
    wb = Workbook(write_only=True)
    rows = sum(_write_sheet(wb, sheet, progress) for sheet in sheets)
    wb.save(target)
    return rows


def build_sheets(sheets: Iterable[Sheet]) -> bytes:
    """One workbook, one sheet per entry, in order."""
    buffer = io.BytesIO()
    write_sheets(sheets, buffer)
    return buffer.getvalue()


def build_workbook(
    *, title: str, columns: Sequence[ColumnSpec], rows: Iterable[Sequence]
) -> bytes:
    return build_sheets([Sheet(title, columns, rows)])


# --- Exports that may run in the background ----------------------------------
# A lower app's export view cannot import the exports app above it; the exports
# app hands its queueing function down here (exports.apps.ExportsConfig.ready).

_background: dict[str, Callable] = {}


def register_background(kind: str, queue: Callable) -> None:
    """`queue(request, rows, path)` starts export `kind` as a job, answers the
    page."""
    _background[kind] = queue


def in_background(request, kind: str, rows: int, *, path: dict | None = None):
    """The response that queued export `kind` as a background job when it has
    more rows than the EXPORT_BACKGROUND_ROWS setting, else None: the view
    then builds the file itself. `path`: what the URL's path names that
    decides the rows (name -> value, e.g. the round exported), kept with the
    job's query parameters."""
    # Read at call time (a live setting), from the backend itself: the
    # `config.NAME` proxy turns awaitable when an event loop runs in the thread.
    from constance.utils import get_values_for_keys

    queue = _background.get(kind)
    if queue is None:
        return None
    if (
        rows
        <= get_values_for_keys(["EXPORT_BACKGROUND_ROWS"])["EXPORT_BACKGROUND_ROWS"]
    ):
        return None
    return queue(request, rows, path or {})


def xlsx_response(body: bytes, filename: str):
    """The workbook `body` as a download named `filename` (RFC 6266)."""
    from guazhi.http import file_response

    return file_response(body, filename=filename, content_type=XLSX_CONTENT_TYPE)
