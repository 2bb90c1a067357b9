"""The rules every export follows (guazhi/excel.py), on a workbook built the
way every export builds one."""

import datetime as dt
import zipfile
from io import BytesIO
from urllib.parse import unquote

import openpyxl
from django.utils import timezone

from guazhi.excel import (
    CELL_MAX_CHARS,
    ColumnSpec,
    Sheet,
    build_sheets,
    build_workbook,
    write_sheets,
)
from guazhi.http import attachment_disposition

# Text a spreadsheet would run or mangle; each must come back as written.
FORMULA_CORPUS = [
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    '=HYPERLINK("http://example.com","点此")',
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
]


def _book(body: bytes):
    return openpyxl.load_workbook(BytesIO(body))


def test_headers_are_frozen_filtered_bold_and_wide_enough():
    columns = [ColumnSpec("姓名", 4), ColumnSpec("中期考核日期", 6)]
    rows = [("甲", dt.date(2026, 1, 2)), ("乙", dt.date(2026, 3, 4))]
    sheet = _book(build_workbook(title="名册", columns=columns, rows=rows)).active
    assert [c.value for c in sheet[1]] == ["姓名", "中期考核日期"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:B3"
    assert sheet["A1"].font.b
    # six CJK characters take twelve columns, and the header is not cut off
    assert sheet.column_dimensions["B"].width >= 12
    assert sheet.column_dimensions["A"].width >= 4


def test_dates_and_times_are_real_dates():
    aware = timezone.make_aware(dt.datetime(2026, 5, 6, 7, 8))
    body = build_workbook(
        title="t",
        columns=[ColumnSpec("日期"), ColumnSpec("时间")],
        rows=[(dt.date(2026, 1, 2), aware)],
    )
    sheet = _book(body).active
    assert sheet["A2"].is_date and sheet["A2"].value == dt.datetime(2026, 1, 2)
    assert sheet["A2"].number_format == "yyyy-mm-dd"
    assert sheet["B2"].is_date and sheet["B2"].number_format == "yyyy-mm-dd hh:mm"
    # local time (Asia/Shanghai), without the zone Excel cannot hold
    assert sheet["B2"].value == timezone.localtime(aware).replace(tzinfo=None)


def test_formula_looking_text_is_stored_as_text_with_the_quote_prefix():
    body = build_workbook(
        title="t", columns=[ColumnSpec("姓名")], rows=[(t,) for t in FORMULA_CORPUS]
    )
    sheet = _book(body).active
    for row, text in enumerate(FORMULA_CORPUS, start=2):
        cell = sheet.cell(row=row, column=1)
        assert cell.data_type == "s", text
        assert cell.value == text
        assert cell.quotePrefix, text
    with zipfile.ZipFile(BytesIO(body)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml


def test_control_characters_are_stripped_and_long_text_is_cut_visibly():
    long = "长" * (CELL_MAX_CHARS + 10)
    body = build_workbook(
        title="t\x01", columns=[ColumnSpec("内容")], rows=[("谈\x00心\x1f",), (long,)]
    )
    sheet = _book(body).active
    assert sheet.title == "t"
    assert sheet["A2"].value == "谈心"
    assert len(sheet["A3"].value) == CELL_MAX_CHARS
    assert sheet["A3"].value.endswith("…（已截断）")


def test_progress_is_told_of_every_row_written():
    told = []
    rows = [(n,) for n in range(2500)]
    out = BytesIO()
    n = write_sheets(
        [Sheet("a", [ColumnSpec("n")], rows), Sheet("b", [ColumnSpec("n")], rows[:5])],
        out,
        progress=told.append,
    )
    assert n == 2505 and sum(told) == 2505
    assert _book(out.getvalue())["a"].auto_filter.ref == "A1:A2501"


def test_each_sheet_of_a_workbook_follows_the_rules():
    body = build_sheets(
        [
            Sheet("一", [ColumnSpec("甲")], [("=x",)]),
            Sheet("二", [ColumnSpec("乙")], []),
        ]
    )
    book = _book(body)
    assert [ws.freeze_panes for ws in book.worksheets] == ["A2", "A2"]
    assert book["二"].auto_filter.ref == "A1:A1"


def test_a_chinese_file_name_is_sent_as_rfc_6266_with_an_ascii_fallback():
    header = attachment_disposition('考核结果/2026:第一批"预览".xlsx')
    assert header.startswith('attachment; filename="')
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback.isascii() and fallback.endswith(".xlsx")
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == "考核结果-2026-第一批-预览-.xlsx"
