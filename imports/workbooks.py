"""The workbooks the import hands out: pure functions, rows in, bytes out.

- the template of a kind: its headers and a note row of allowed values and
  examples (each note begins with reading.NOTE_PREFIX, so that a template
  uploaded with its note row still in place reads as it should);
- the error rows: the user's own rows that have errors, as they were read,
  with a 错误说明 column and the bad cells marked, to fix and upload again.
"""

import io

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from guazhi.excel import ColumnSpec, build_workbook, cell_text

from .checks import Preview
from .reading import NOTE_PREFIX
from .spec import SPECS

BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
ERRORS_HEADER = gettext_lazy("错误说明")


def template(kind: str) -> bytes:
    spec = SPECS[kind]
    notes = [
        NOTE_PREFIX
        + (_("必填；") if c.required else "")
        + (_("可省略此列；") if c.optional_column else "")
        + str(c.note)
        for c in spec.columns
    ]
    return build_workbook(
        title=_("%(label)s导入模板") % {"label": spec.label},
        columns=[ColumnSpec(c.header, c.width) for c in spec.columns],
        rows=[notes],
    )


def _value(ws, value, bad: str):
    if isinstance(value, str):
        value = cell_text(value)
    if not bad and not (isinstance(value, str) and value.startswith("=")):
        return value
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # the user's formula, shown, not run
    if bad:
        cell.fill = BAD_FILL
        cell.comment = Comment(bad, _("导入检查"))
    return cell


def error_rows(result: Preview) -> bytes:
    """The rows with errors, in the file's own columns, then 错误说明."""
    by_row: dict[int, list] = {}
    for problem in result.errors:
        by_row.setdefault(problem.row, []).append(problem)
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(
        title=_("%(label)s错误行") % {"label": result.spec.label}
    )
    headers = [h for h in result.headers]
    for index in range(len(headers) + 1):
        ws.column_dimensions[get_column_letter(index + 1)].width = 16
    ws.column_dimensions[get_column_letter(len(headers) + 1)].width = 60
    bold = Font(bold=True)
    header_cells = []
    for header in [*headers, str(ERRORS_HEADER)]:
        cell = WriteOnlyCell(ws, value=header)
        cell.font = bold
        header_cells.append(cell)
    ws.append(header_cells)
    if 0 in by_row:
        ws.append([""] * len(headers) + ["；".join(p.message for p in by_row[0])])
    for plan in result.rows:
        problems = by_row.get(plan.number)
        if not problems:
            continue
        bad = {}
        for problem in problems:
            bad.setdefault(problem.column, []).append(problem.message)
        cells = [
            _value(ws, value, "；".join(bad.get(header, [])))
            for header, value in zip(headers, plan.cells, strict=False)
        ]
        explained = "；".join(
            _("第%(row)s行 %(column)s：%(message)s")
            % {"row": plan.number, "column": p.column, "message": p.message}
            for p in problems
        )
        ws.append([*cells, explained])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
