"""Workbooks and CSV files for the import tests, made in memory."""

import io

from openpyxl import Workbook

from cadres import idcard
from imports.spec import SPECS
from imports.workbooks import template


def xlsx(
    rows: list[list],
    *,
    headers: list[str] | None = None,
    kind="cadres",
    title: str | None = None,
) -> bytes:
    """A workbook whose first sheet holds (a title row,) the headers, rows."""
    wb = Workbook()
    ws = wb.active
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
    ws.append(headers or SPECS[kind].headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list], *, kind="cadres", encoding="gbk") -> bytes:
    lines = [",".join(SPECS[kind].headers)]
    lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def template_with(rows: list[list], kind: str) -> bytes:
    """The downloaded template, its note row kept, with rows added."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(template(kind)))
    ws = wb.worksheets[0]
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def id_for(seq: int, *, gender="M", birth=None) -> str:
    """A valid ID number; above 499 the birth date moves on a day per 500."""
    import datetime as dt

    birth = birth or dt.date(1985, 3, 14) + dt.timedelta(days=seq // 500)
    return idcard.make("110101", birth, seq % 500, gender)


def cadre_row(number: str, *, name="张伟", unit="甲县财政局", rank="正科", **extra):
    """A cadre row in the spec's column order (the 14 fixed columns)."""
    values = {
        "姓名": name,
        "性别": "",
        "身份证号": number,
        "出生日期": "",
        "民族": "汉族",
        "政治面貌": "中共党员",
        "学历": "大学本科",
        "专业": "农业经济",
        "工作单位": unit,
        "现任职务": "科长",
        "职级": rank,
        "任现职时间": "2020.05",
        "是否后备干部": "否",
        "联系电话": "13800000000",
    }
    values.update(extra)
    return [values[h] for h in SPECS["cadres"].headers if h in values]
